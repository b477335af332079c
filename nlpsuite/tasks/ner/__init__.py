"""Named-entity recognition: a BiLSTM-CRF over words + characters + casing (English) or characters +
bigrams (Chinese, optionally + jieba "softword" positions).

Split the way keras-hub splits a model family: ``config`` (``NerConfig``), ``preprocess`` (features,
vocabularies, batches), ``model`` (the network and its compiled inference function) and ``task``
(``NerTask``: train / evaluate / predict / save).
"""

from nlpsuite.tasks.ner.config import NerConfig
from nlpsuite.tasks.ner.task import NerTask

__all__ = ["NerConfig", "NerTask"]
