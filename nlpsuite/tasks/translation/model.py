"""The sequence-to-sequence model: bidirectional recurrent encoder, attentional recurrent decoder.

The decoder follows Luong et al. (2015) and the TensorFlow "NMT with attention" tutorial: the recurrent decoder
reads the previous target tokens, its output at each step is the attention query over the encoder outputs, and
``tanh(W [context; query])`` predicts the next token. The attention score is configurable: ``BahdanauAttention``
(additive) or ``LuongAttention`` (multiplicative, ``general``). Putting attention after the recurrent layer
(instead of feeding the context back into it, as Bahdanau's decoder does) keeps the teacher-forced decoder one
plain GRU/LSTM layer over the whole target (cuDNN-eligible on a GPU, one fused loop on a CPU) while a decoding
step is still O(source length): ``decode_step`` runs the same weights for one token from the carried recurrent
state, so greedy and beam search never re-run the prefix.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from nlpsuite.errors import check_choice
from nlpsuite.layers._building import layer_config
from nlpsuite.layers.attention import BahdanauAttention, LuongAttention
from nlpsuite.layers.recurrent import recurrent_stack
from nlpsuite.tasks.translation.preprocess import PAD_ID

__all__ = ["ATTENTIONS", "TranslationModel", "masked_accuracy", "masked_loss"]

ATTENTIONS = ("luong", "bahdanau")


@keras.saving.register_keras_serializable(package="nlpsuite")
class TranslationModel(keras.Model):
    """Attentional encoder-decoder for subword ids.

    Args:
        source_vocabulary_size: source subword count (id 0 is padding).
        target_vocabulary_size: target subword count.
        embedding_dim: size of both embeddings.
        units: recurrent units (per direction in the encoder, and in the decoder).
        num_layers: recurrent layers in the encoder and in the decoder.
        cell: ``"gru"`` or ``"lstm"``.
        attention: ``"luong"`` (general score) or ``"bahdanau"`` (additive score).
        attention_units: hidden size of the Bahdanau score.
        dropout: dropout on embeddings and on the attentional vector.
        **kwargs: ``keras.Model`` arguments (``name``, ``dtype``).

    Call arguments:
        inputs: ``(source_ids [batch, S], decoder_input_ids [batch, T])``; decoder inputs start with the
            start token (teacher forcing).
        training: whether dropout is active.

    Returns:
        Logits ``[batch, T, target_vocabulary_size]`` (float32 even under mixed precision).

    Example:

    >>> import numpy as np
    >>> model = TranslationModel(20, 30, embedding_dim=8, units=8)
    >>> source = np.array([[5, 6, 7, 0]]); decoder_in = np.array([[2, 9, 10]])
    >>> tuple(model((source, decoder_in)).shape)
    (1, 3, 30)
    """

    def __init__(
        self,
        source_vocabulary_size: int,
        target_vocabulary_size: int,
        embedding_dim: int = 256,
        units: int = 256,
        num_layers: int = 1,
        cell: str = "gru",
        attention: str = "luong",
        attention_units: int = 256,
        dropout: float = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_choice("attention", attention, ATTENTIONS)
        self.source_vocabulary_size = int(source_vocabulary_size)
        self.target_vocabulary_size = int(target_vocabulary_size)
        self.embedding_dim = int(embedding_dim)
        self.units = int(units)
        self.num_layers = int(num_layers)
        self.cell = cell
        self.attention_kind = attention
        self.attention_units = int(attention_units)
        self.dropout_rate = float(dropout)

        self.source_embedding = keras.layers.Embedding(
            self.source_vocabulary_size, self.embedding_dim, name="source_embedding"
        )
        self.target_embedding = keras.layers.Embedding(
            self.target_vocabulary_size, self.embedding_dim, name="target_embedding"
        )
        self.encoder = recurrent_stack(
            self.units,
            num_layers=self.num_layers,
            cell=cell,
            bidirectional=True,
            dropout=self.dropout_rate,
            return_state=True,
            name="encoder",
        )
        self.decoder = recurrent_stack(
            self.units,
            num_layers=self.num_layers,
            cell=cell,
            dropout=self.dropout_rate,
            return_state=True,
            name="decoder",
        )
        # The encoder's final [forward; backward] states, squeezed to the decoder's size, start the decoder.
        self.bridges = [
            keras.layers.Dense(self.units, activation="tanh", name=f"bridge_{i}")
            for i in range(self.num_layers * self.encoder.states_per_layer)
        ]
        if attention == "bahdanau":
            self.attention = BahdanauAttention(self.attention_units, name="attention")
        else:
            self.attention = LuongAttention(score="general", name="attention")
        self.attentional = keras.layers.Dense(self.units, activation="tanh", name="attentional")
        self.dropout = keras.layers.Dropout(self.dropout_rate, name="dropout")
        self.classifier = keras.layers.Dense(
            self.target_vocabulary_size, dtype="float32", name="classifier"
        )

    # -- the pieces decoding uses
    def encode(self, source_ids, training: bool = False):
        """``source_ids [B, S]`` -> ``(encoder_outputs [B, S, 2U], source_mask [B, S], decoder_states)``."""
        source_mask = ops.not_equal(source_ids, PAD_ID)
        embedded = self.dropout(self.source_embedding(source_ids), training=training)
        outputs, *states = self.encoder(embedded, mask=source_mask, training=training)
        decoder_states = [bridge(state) for bridge, state in zip(self.bridges, states, strict=True)]
        return outputs, source_mask, decoder_states

    def _predict_tokens(self, query, encoder_outputs, source_mask, training: bool):
        context, weights = self.attention(query, encoder_outputs, values_mask=source_mask)
        attentional = self.attentional(ops.concatenate([context, query], axis=-1))
        return self.classifier(self.dropout(attentional, training=training)), weights

    def decode_step(self, token_ids, states: list, encoder_outputs, source_mask):
        """One decoder step for ``token_ids [N]`` from ``states``.

        Returns:
            ``(logits [N, V], new_states, attention_weights [N, S])``.
        """
        embedded = self.target_embedding(token_ids)
        query, new_states = self.decoder.step(embedded, states)
        logits, weights = self._predict_tokens(query, encoder_outputs, source_mask, training=False)
        return logits, new_states, weights

    def call(self, inputs, training: bool | None = None):
        source_ids, decoder_in = inputs
        encoder_outputs, source_mask, states = self.encode(source_ids, training=training)
        embedded = self.dropout(self.target_embedding(decoder_in), training=training)
        # No target mask: right padding cannot change earlier steps, and the loss skips padded positions.
        queries, *_ = self.decoder(embedded, initial_state=states, training=training)
        logits, _ = self._predict_tokens(queries, encoder_outputs, source_mask, training=training)
        return logits

    def get_config(self) -> dict:
        return layer_config(self, super().get_config(), "source_vocabulary_size", "target_vocabulary_size",
                            "embedding_dim", "units", "num_layers", "cell", "attention_units",
                            attention=self.attention_kind, dropout=self.dropout_rate)


def masked_loss(label_smoothing: float = 0.0):
    """Token cross-entropy averaged over non-padding targets, with optional label smoothing.

    Keras's ``SparseCategoricalCrossentropy`` has no label smoothing and its ``sum_over_batch_size``
    reduction would count padding in the denominator, so this returns the masked mean directly.

    Args:
        label_smoothing: mass spread uniformly over the vocabulary.

    Example:
    >>> import numpy as np
    >>> logits = np.log(np.array([[[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]], "float32"))
    >>> loss = masked_loss()
    >>> round(float(loss(np.array([[1, 0]]), logits)), 4)  # -log 0.25; the padding target (0) is ignored
    1.3863
    """

    def loss(y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        nll = -ops.take_along_axis(log_probs, ops.expand_dims(y_true, -1), axis=-1)[..., 0]
        if label_smoothing:
            nll = (1.0 - label_smoothing) * nll - label_smoothing * ops.mean(log_probs, axis=-1)
        mask = ops.cast(ops.not_equal(y_true, PAD_ID), "float32")
        return ops.sum(nll * mask) / ops.maximum(ops.sum(mask), 1.0)

    loss.__name__ = "masked_cross_entropy"
    return loss


def masked_accuracy(y_true, y_pred):
    """Next-token accuracy over non-padding targets.

    Example:
    >>> import numpy as np
    >>> logits = np.array([[[0.0, 5.0, 0.0], [0.0, 0.0, 5.0], [5.0, 0.0, 0.0]]], "float32")
    >>> float(masked_accuracy(np.array([[1, 1, 0]]), logits))  # one of the two real tokens is right
    0.5
    """
    y_true = ops.cast(y_true, "int32")
    hits = ops.cast(ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), y_true), "float32")
    mask = ops.cast(ops.not_equal(y_true, PAD_ID), "float32")
    return ops.sum(hits * mask) / ops.maximum(ops.sum(mask), 1.0)
