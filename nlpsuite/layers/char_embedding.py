"""Character-level word representations: the characters of each token -> one vector.

The CNN encoder (Ma & Hovy, 2016) convolves over a word's characters and max-pools; the BiLSTM
encoder (Lample et al., 2016) reads them both ways and concatenates the final states. Either way,
character id 0 is padding: it never wins the max-pool and never changes the BiLSTM's states, so a
word encodes the same however much padding follows it, and a word with no characters (a padded word
position) encodes as zeros.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers._building import layer_config

__all__ = ["CharEmbedding"]

_ENCODERS = ("cnn", "bilstm")


@keras.saving.register_keras_serializable(package="nlpsuite")
class CharEmbedding(keras.layers.Layer):
    """Embeds each word from its characters with a CNN + max-pool or a BiLSTM.

    Args:
        num_chars: size of the character vocabulary, padding id 0 included.
        char_dim: size of each character embedding.
        output_dim: size of each word vector (even for ``"bilstm"``: ``output_dim // 2`` units per
            direction).
        encoder: ``"cnn"`` or ``"bilstm"``.
        kernel_size: width of the CNN's character window.
        activation: activation of the CNN (ignored by ``"bilstm"``).
        dropout: dropout rate on the character embeddings during training.
        embeddings_initializer: initializer of the character embedding matrix.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: int tensor ``[batch, words, chars]`` of character ids, 0 = padding.
        training: whether dropout is active.

    Returns:
        ``[batch, words, output_dim]``, zeros for words with no characters. The output mask
        ``[batch, words]`` is True for words with at least one character, so a following
        recurrent layer or CRF skips padded words.

    Example:

    >>> import numpy as np
    >>> chars = np.array([[[3, 4, 5, 0], [6, 7, 0, 0], [0, 0, 0, 0]]])  # "abc", "de", padding
    >>> layer = CharEmbedding(num_chars=10, char_dim=8, output_dim=12)
    >>> vectors = layer(chars)
    >>> tuple(vectors.shape)
    (1, 3, 12)
    >>> float(np.abs(np.asarray(vectors)[0, 2]).sum())
    0.0
    """

    def __init__(
        self,
        num_chars: int,
        char_dim: int = 25,
        output_dim: int = 50,
        encoder: str = "cnn",
        kernel_size: int = 3,
        activation: Any = "tanh",
        dropout: float = 0.0,
        embeddings_initializer: Any = "uniform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _validate(num_chars, char_dim, output_dim, encoder, kernel_size, dropout)
        self.num_chars = int(num_chars)
        self.char_dim = int(char_dim)
        self.output_dim = int(output_dim)
        self.encoder = encoder
        self.kernel_size = int(kernel_size)
        self.activation = keras.activations.get(activation)
        self.dropout = float(dropout)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embedding = keras.layers.Embedding(
            self.num_chars,
            self.char_dim,
            embeddings_initializer=self.embeddings_initializer,
            dtype=self.dtype_policy,
            name="char_embedding",
        )
        self.embedding_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)
        if encoder == "cnn":
            # "same" padding sees zeros past the word's end (padding embeddings are zeroed first),
            # so trailing padding cannot change any real position's features.
            self.char_encoder = keras.layers.Conv1D(
                self.output_dim,
                self.kernel_size,
                padding="same",
                activation=self.activation,
                dtype=self.dtype_policy,
                name="char_cnn",
            )
        else:
            self.char_encoder = keras.layers.Bidirectional(
                keras.layers.LSTM(self.output_dim // 2, dtype=self.dtype_policy, name="char_lstm"),
                dtype=self.dtype_policy,
                name="char_bilstm",
            )
        self.supports_masking = True

    def build(self, inputs_shape):
        if len(inputs_shape) != 3:
            raise NlpsuiteError(
                f"CharEmbedding: inputs must be [batch, words, chars] character ids, got shape "
                f"{tuple(inputs_shape)}."
            )
        self.embedding.build((None, inputs_shape[-1]))
        self.char_encoder.build((None, inputs_shape[-1], self.char_dim))

    def call(self, inputs, training=None):
        shape = ops.shape(inputs)
        chars = ops.reshape(inputs, (-1, shape[-1]))  # one row per word
        char_mask = ops.not_equal(chars, 0)
        has_chars = ops.any(char_mask, axis=-1, keepdims=True)
        embedded = self.embedding_dropout(self.embedding(chars), training=training)
        embedded = embedded * ops.cast(ops.expand_dims(char_mask, -1), embedded.dtype)
        if self.encoder == "cnn":
            words = self._masked_max(self.char_encoder(embedded), char_mask)
        else:
            words = self._bilstm(embedded, char_mask, has_chars, training)
        words = ops.where(has_chars, words, ops.zeros_like(words))
        return ops.reshape(words, (shape[0], shape[1], self.output_dim))

    @staticmethod
    def _masked_max(features, char_mask):
        # Padding takes the row's minimum: it can never beat a real character, in any dtype.
        floor = ops.min(features, axis=1, keepdims=True)
        return ops.max(ops.where(ops.expand_dims(char_mask, -1), features, floor), axis=1)

    def _bilstm(self, embedded, char_mask, has_chars, training):
        # cuDNN (TensorFlow) asserts on a row with no valid step, and padded word positions are
        # exactly such rows: let them read their first (zeroed) char; `call` zeroes them after.
        first = ops.expand_dims(ops.equal(ops.arange(ops.shape(char_mask)[1]), 0), 0)
        lstm_mask = ops.logical_or(char_mask, ops.logical_and(first, ops.logical_not(has_chars)))
        return self.char_encoder(embedded, mask=lstm_mask, training=training)

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, 0), axis=-1)

    def compute_output_shape(self, inputs_shape):
        return (*tuple(inputs_shape)[:2], self.output_dim)

    def get_config(self) -> dict:
        return layer_config(self, super().get_config(), "num_chars", "char_dim", "output_dim", "encoder",
                            "kernel_size", "activation", "dropout", "embeddings_initializer")


def _validate(
    num_chars: int, char_dim: int, output_dim: int, encoder: str, kernel_size: int, dropout: float
) -> None:
    if encoder not in _ENCODERS:
        raise NlpsuiteError(f"CharEmbedding: encoder must be 'cnn' or 'bilstm'; got {encoder!r}.")
    if int(num_chars) < 2:
        raise NlpsuiteError(
            f"CharEmbedding: num_chars must count the padding id 0 plus at least one character; "
            f"got {num_chars}."
        )
    if min(int(char_dim), int(output_dim), int(kernel_size)) < 1:
        raise NlpsuiteError(
            f"CharEmbedding: char_dim, output_dim and kernel_size must be >= 1; got "
            f"{char_dim}, {output_dim}, {kernel_size}."
        )
    if encoder == "bilstm" and int(output_dim) % 2:
        raise NlpsuiteError(
            f"CharEmbedding: encoder='bilstm' needs an even output_dim (half per direction); "
            f"got {output_dim}."
        )
    if not 0.0 <= float(dropout) < 1.0:
        raise NlpsuiteError(f"CharEmbedding: dropout must be in [0, 1); got {dropout}.")
