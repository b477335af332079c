"""nlpsuite: Keras 3 sequence-model applications and the layers they share.

>>> import nlpsuite
>>> task = nlpsuite.load("saved_models/ner-en")  # doctest: +SKIP
>>> task.predict(["Angela Merkel visited Paris."])  # doctest: +SKIP
"""

from nlpsuite.errors import NlpsuiteError
from nlpsuite.tasks.base import load

__version__ = "0.1.0"
__all__ = ["NlpsuiteError", "load", "__version__"]
