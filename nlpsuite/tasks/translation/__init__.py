"""Translation: attentional GRU/LSTM encoder-decoder, SentencePiece subwords, greedy and beam search.

- ``preprocess``: SentencePiece vocabularies (keras-hub tokenizers) and length-bucketed batches;
- ``model``: ``TranslationModel`` (bidirectional encoder, Bahdanau or Luong attention decoder) and the loss;
- ``decoding``: greedy and batched beam search that carry the decoder state step by step;
- ``task``: ``TranslationTask`` (train / evaluate / predict / save).
"""

from nlpsuite.tasks.translation.task import TranslationConfig, TranslationTask

__all__ = ["TranslationConfig", "TranslationTask"]
