"""nlpsuite: Keras 3 sequence-model applications and the layers they share.

Train a task on a file or folder, save it, load it back with ``nlpsuite.load`` and predict (here a tiny
sentiment model on twelve made-up reviews; ``saved_models/`` holds the real ones):

>>> import nlpsuite
>>> from pathlib import Path
>>> from nlpsuite.tasks.sentiment import SentimentConfig, SentimentTask
>>> words = ["film", "plot", "cast", "story", "score", "ending"]
>>> rows = [f"positive\\tgreat {w}" for w in words] + [f"negative\\tdull {w}" for w in words]
>>> Path("reviews").mkdir()
>>> _ = Path("reviews/train.tsv").write_text("label\\tsentence\\n" + "\\n".join(rows) + "\\n")
>>> config = SentimentConfig(epochs=5, batch_size=4, embedding_dim=8, units=8, learning_rate=0.05,
...                          dev_fraction=0.25)
>>> task = SentimentTask.train("reviews", config)  # one line per epoch: a log, not a terminal
Epoch 1/5
...
>>> _ = task.save("sentiment-tiny")
>>> again = nlpsuite.load("sentiment-tiny")  # config.json says which task class to use
>>> [result["label"] for result in again.predict(["great", "dull"])]
['positive', 'negative']
"""

from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.base import load

__version__ = "0.1.0"
__all__ = ["NlpsuiteError", "load", "__version__"]
