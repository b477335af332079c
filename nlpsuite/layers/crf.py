"""Linear-chain CRF layer for sequence tagging, with its loss, metric and decoding layer.

Design: the CRF's trainable weights (transitions, start, end) live in the layer, but the layer's
*output* carries everything the loss needs, so a plain functional model trains with
``model.fit(x, y)`` and a registered, stateless ``CRFLoss`` - no custom ``train_step``, no loss
object bound to a layer instance, and ``.keras`` files load with ``safe_mode=True``.

The output is the CRF's pairwise log-potentials plus the mask, ``[batch, time, num_tags + 1,
num_tags]``:

- ``output[b, t, i, j]`` (``i < num_tags``) scores tag ``j`` at position ``t`` after tag ``i``
  (emission + transition; start scores folded into the first valid position, end scores into the
  last; forbidden transitions get `nlpsuite.ops.FORBIDDEN_SCORE`);
- ``output[b, t, num_tags, :]`` is the mask (1.0 valid, 0.0 padding).

Training, evaluation and prediction all see this same tensor (so validation loss works); tags
come from ``crf.decode(output)``, or in-graph from a `CRFDecode` layer stacked on the output.
The alternatives were worse: returning tags at inference breaks ``evaluate`` / validation loss; a
``compute_loss``/``train_step`` override needs a Model subclass around the user's model; a loss
holding a reference to the layer cannot be saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from nlpsuite.errors import NlpsuiteError
from nlpsuite.layers._building import layer_config
from nlpsuite.ops.crf import (
    FORBIDDEN_SCORE,
    crf_constraint_masks,
    crf_pairwise_decode,
    crf_pairwise_log_likelihood,
    crf_pairwise_marginals,
    crf_pairwise_nbest_decode,
    crf_pairwise_potentials,
)

__all__ = ["CRF", "CRFAccuracy", "CRFDecode", "CRFLoss", "split_crf_output"]


def split_crf_output(outputs):
    """Splits a `CRF` output into ``(potentials [batch, time, K, K], mask bool [batch, time])``.

    Args:
        outputs: a `CRF` layer's output ``[batch, time, num_tags + 1, num_tags]``: the potentials, then
            one row whose first entry carries the mask.

    Returns:
        ``(potentials [batch, time, num_tags, num_tags], mask bool [batch, time])``.

    Example:
    >>> import numpy as np
    >>> outputs = CRF(2)(np.zeros((1, 3, 2), "float32"), mask=np.array([[True, True, False]]))
    >>> potentials, mask = split_crf_output(outputs)
    >>> tuple(potentials.shape), np.asarray(mask).tolist()
    ((1, 3, 2, 2), [[True, True, False]])
    """
    outputs = ops.convert_to_tensor(outputs)
    if len(outputs.shape) != 4 or outputs.shape[2] != outputs.shape[3] + 1:
        raise NlpsuiteError(
            "CRF output must be [batch, time, num_tags + 1, num_tags] (the output of "
            f"nlpsuite.layers.CRF), got shape {tuple(outputs.shape)}."
        )
    return outputs[:, :, :-1, :], outputs[:, :, -1, 0] > 0.5


def _penalty(allowed: np.ndarray) -> np.ndarray:
    return np.where(allowed, 0.0, FORBIDDEN_SCORE).astype("float32")


@keras.saving.register_keras_serializable(package="nlpsuite")
class CRF(keras.layers.Layer):
    """Linear-chain conditional random field over per-token tag scores.

    Put it after a ``Dense(num_tags)`` layer, compile with `CRFLoss` (mean negative
    log-likelihood per sequence) and train with ``model.fit(x, y)``, where ``y`` holds gold tag ids
    ``[batch, time]`` (padding values are ignored). The layer returns the CRF potentials (see the
    module docstring), not tags: decode with ``crf.decode(outputs)`` or stack a `CRFDecode`
    layer on the output for a model that predicts tags. Computation is always float32.

    Args:
        num_tags: number of tags ``K``; the input's last axis must be ``K``.
        constraints: ``None``, ``"bio"``, ``"bioes"`` or ``"bmes"``. Forbidden transitions, start
            tags (``I-X``/``M-X``/``E-X``) and, for BIOES/BMES, end tags (``B-X``, ``I-X``) get
            a large negative score, so they are never decoded and carry no probability in
            training.
        tags: tag names in index order, required with ``constraints``, e.g.
            ``["O", "B-PER", "I-PER"]``.
        use_boundary_transitions: learn start and end scores (default True).
        transitions_initializer: initializer of the ``[K, K]`` transition scores.
        boundary_initializer: initializer of the start and end scores.
        transitions_regularizer: optional regularizer of the transition scores.
        **kwargs: base `keras.layers.Layer` arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[batch, time, num_tags]`` emission scores.
        mask: optional boolean ``[batch, time]``; by default the Keras mask propagated from a
            ``mask_zero=True`` embedding. Masked positions may be anywhere (right or left padding).

    Returns:
        ``[batch, time, num_tags + 1, num_tags]`` float32 potentials and mask, without a Keras
        mask (the loss reads the mask from the tensor itself).

    Example:
    >>> import numpy as np, keras
    >>> from nlpsuite.layers.crf import CRF, CRFLoss
    >>> tokens = keras.Input((None,), dtype="int32")
    >>> x = keras.layers.Embedding(50, 8, mask_zero=True)(tokens)
    >>> crf = CRF(3, constraints="bio", tags=["O", "B-PER", "I-PER"])
    >>> model = keras.Model(tokens, crf(keras.layers.Dense(3)(x)))
    >>> model.compile(optimizer="adam", loss=CRFLoss())
    >>> x = np.array([[4, 7, 9, 0], [3, 2, 0, 0]]); y = np.array([[1, 2, 0, 0], [0, 1, 0, 0]])
    >>> _ = model.fit(x, y, epochs=1, verbose=0)
    >>> tuple(crf.decode(model.predict(x, verbose=0)).shape)
    (2, 4)
    """

    def __init__(
        self,
        num_tags: int,
        constraints: str | None = None,
        tags: Sequence[str] | None = None,
        use_boundary_transitions: bool = True,
        transitions_initializer: Any = "glorot_uniform",
        boundary_initializer: Any = "zeros",
        transitions_regularizer: Any = None,
        **kwargs,
    ):
        # Log-space sums in half precision lose too much; keep the CRF in float32 by default.
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        if int(num_tags) < 1:
            raise NlpsuiteError(f"CRF: num_tags must be >= 1, got {num_tags}.")
        self.num_tags = int(num_tags)
        self.tags = list(tags) if tags is not None else None
        self.constraints = constraints.lower() if isinstance(constraints, str) else constraints
        self.use_boundary_transitions = bool(use_boundary_transitions)
        self.transitions_initializer = keras.initializers.get(transitions_initializer)
        self.boundary_initializer = keras.initializers.get(boundary_initializer)
        self.transitions_regularizer = keras.regularizers.get(transitions_regularizer)
        self._penalties = self._constraint_penalties()
        self.supports_masking = True

    def _constraint_penalties(self):
        if self.tags is not None and len(self.tags) != self.num_tags:
            raise NlpsuiteError(
                f"CRF: `tags` has {len(self.tags)} names but num_tags={self.num_tags}; pass one "
                "name per tag, in index order."
            )
        if self.constraints is None:
            return None
        if self.tags is None:
            raise NlpsuiteError(
                f"CRF(constraints={self.constraints!r}) needs the tag names: pass "
                "tags=[...] in index order, e.g. ['O', 'B-PER', 'I-PER']."
            )
        allowed = crf_constraint_masks(self.constraints, self.tags)
        return tuple(_penalty(mask) for mask in allowed)

    def build(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] != self.num_tags:
            raise NlpsuiteError(
                f"CRF(num_tags={self.num_tags}) got inputs with last axis {input_shape[-1]}; put "
                f"a Dense({self.num_tags}) layer before the CRF."
            )
        self.transitions = self.add_weight(
            name="transitions",
            shape=(self.num_tags, self.num_tags),
            initializer=self.transitions_initializer,
            regularizer=self.transitions_regularizer,
        )
        if self.use_boundary_transitions:
            self.start_transitions = self.add_weight(
                name="start_transitions",
                shape=(self.num_tags,),
                initializer=self.boundary_initializer,
            )
            self.end_transitions = self.add_weight(
                name="end_transitions",
                shape=(self.num_tags,),
                initializer=self.boundary_initializer,
            )

    def scores(self):
        """``(transitions [K, K], start [K] or None, end [K] or None)`` with constraints applied."""
        transitions = ops.convert_to_tensor(self.transitions)
        start = end = None
        if self.use_boundary_transitions:
            start = ops.convert_to_tensor(self.start_transitions)
            end = ops.convert_to_tensor(self.end_transitions)
        if self._penalties is not None:
            penalty_transitions, penalty_start, penalty_end = self._penalties
            transitions = transitions + penalty_transitions
            start = penalty_start if start is None else start + penalty_start
            end = penalty_end if end is None else end + penalty_end
        return transitions, start, end

    def _potentials(self, inputs, mask):
        inputs = ops.cast(inputs, "float32")
        if len(inputs.shape) != 3:
            raise NlpsuiteError(
                f"CRF: inputs must be [batch, time, {self.num_tags}] emission scores, got shape {tuple(inputs.shape)}."
            )
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], "bool")
        mask = ops.cast(mask, "bool")
        transitions, start, end = self.scores()
        return crf_pairwise_potentials(inputs, transitions, mask, start, end), mask

    def call(self, inputs, mask=None):
        potentials, mask = self._potentials(inputs, mask)
        mask_rows = ops.cast(mask, potentials.dtype)[:, :, None, None] * ops.ones(
            (1, 1, 1, self.num_tags), potentials.dtype
        )
        return ops.concatenate([potentials, mask_rows], axis=2)

    def compute_mask(self, inputs, mask=None):
        # The mask travels inside the output; a Keras mask would make the loss weight each
        # sequence's NLL per token.
        return None

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[:2]), self.num_tags + 1, self.num_tags)

    def _pairwise(self, inputs, mask):
        """Accepts this layer's output (rank 4) or emission scores (rank 3)."""
        inputs = ops.convert_to_tensor(inputs)
        if len(inputs.shape) == 4:
            potentials, packed_mask = split_crf_output(inputs)
            return potentials, packed_mask if mask is None else ops.cast(mask, "bool")
        return self._potentials(inputs, mask)

    def decode(self, inputs, mask=None):
        """Viterbi tags, int32 ``[batch, time]`` (0 at padding).

        Args:
            inputs: this layer's output, or ``[batch, time, num_tags]`` emission scores.
            mask: optional boolean ``[batch, time]``; overrides the mask inside ``inputs``.
        """
        potentials, mask = self._pairwise(inputs, mask)
        tags, _ = crf_pairwise_decode(potentials, mask)
        return tags

    def decode_with_scores(self, inputs, mask=None):
        """``(tags int32 [batch, time], best path score [batch])``."""
        potentials, mask = self._pairwise(inputs, mask)
        return crf_pairwise_decode(potentials, mask)

    def nbest(self, inputs, n: int, mask=None):
        """The ``n`` best paths: ``(tags int32 [batch, n, time], scores [batch, n])``, best first.

        Paths that do not exist (a row with fewer than ``n`` paths) have score ``-inf``.
        """
        potentials, mask = self._pairwise(inputs, mask)
        return crf_pairwise_nbest_decode(potentials, mask, n)

    def marginals(self, inputs, mask=None):
        """Per-token tag posteriors ``[batch, time, num_tags]`` (0 at padding): confidences."""
        potentials, mask = self._pairwise(inputs, mask)
        return crf_pairwise_marginals(potentials, mask)

    def log_likelihood(self, inputs, tag_indices, mask=None):
        """Log-likelihood ``[batch]`` of gold ``tag_indices`` ``[batch, time]``."""
        potentials, mask = self._pairwise(inputs, mask)
        return crf_pairwise_log_likelihood(potentials, tag_indices, mask)

    def get_config(self) -> dict[str, Any]:
        return layer_config(self, super().get_config(), "num_tags", "constraints", "tags",
                            "use_boundary_transitions", "transitions_initializer", "boundary_initializer",
                            "transitions_regularizer")


@keras.saving.register_keras_serializable(package="nlpsuite")
class CRFLoss(keras.losses.Loss):
    """Negative log-likelihood of gold tags under a `CRF` output; mean over sequences by default.

    ``y_true`` is ``[batch, time]`` (or ``[batch, time, 1]``) integer tag ids; values at padding
    positions are ignored. ``y_pred`` is the `CRF` layer's output. Stateless, so it saves and loads
    by name (``"nlpsuite>CRFLoss"``).

    Example:
    >>> import numpy as np
    >>> crf = CRF(2)
    >>> outputs = crf(np.zeros((1, 3, 2), "float32"))
    >>> float(CRFLoss()(np.zeros((1, 3)), outputs)) > 0  # -log P(gold) of 8 paths
    True
    """

    def __init__(self, name: str = "crf_loss", reduction: str = "sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        potentials, mask = split_crf_output(y_pred)
        tags = ops.cast(y_true, "int32")
        if len(tags.shape) == 3:
            tags = ops.squeeze(tags, axis=-1)
        return -crf_pairwise_log_likelihood(potentials, tags, mask)

    def get_config(self) -> dict[str, Any]:
        return super().get_config()


@keras.saving.register_keras_serializable(package="nlpsuite")
class CRFAccuracy(keras.metrics.Metric):
    """Token accuracy of the Viterbi tags of a `CRF` output (padding excluded).

    Decodes every batch, so it costs one Viterbi pass per step; leave it out of ``compile`` when
    training speed matters.

    Args:
        name: the metric's name.
        dtype: dtype of the running counts.

    Example:
    >>> import numpy as np
    >>> emissions = np.array([[[5.0, 0.0], [0.0, 5.0], [5.0, 0.0]]], "float32")  # decodes to 0, 1, (pad)
    >>> outputs = CRF(2, transitions_initializer="zeros")(emissions, mask=np.array([[True, True, False]]))
    >>> metric = CRFAccuracy()
    >>> metric.update_state(np.array([[0, 0, 1]]), outputs)  # one of the two real tokens is right
    >>> float(metric.result())
    0.5
    """

    def __init__(self, name: str = "crf_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        potentials, mask = split_crf_output(y_pred)
        tags, _ = crf_pairwise_decode(potentials, mask)
        gold = ops.cast(y_true, "int32")
        if len(gold.shape) == 3:
            gold = ops.squeeze(gold, axis=-1)
        weight = ops.cast(mask, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            if len(sample_weight.shape) == 1:
                sample_weight = sample_weight[:, None]
            weight = weight * sample_weight
        hits = ops.cast(ops.equal(tags, gold), "float32") * weight
        self.correct.assign_add(ops.cast(ops.sum(hits), self.dtype))
        self.total.assign_add(ops.cast(ops.sum(weight), self.dtype))

    def result(self):
        return ops.divide_no_nan(self.correct, self.total)


@keras.saving.register_keras_serializable(package="nlpsuite")
class CRFDecode(keras.layers.Layer):
    """Viterbi tags from a `CRF` output, in-graph: turns a trained model into a tagger.

    Has no weights (everything is in its input), so it can be stacked on a trained model's output:
    ``tagger = keras.Model(model.inputs, CRFDecode()(model.outputs[0]))``.

    Args:
        return_marginals: also return the per-token posteriors ``[batch, time, num_tags]``.
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: a `CRF` layer's output ``[batch, time, num_tags + 1, num_tags]``.

    Returns:
        int32 tags ``[batch, time]`` (0 at padding), or ``(tags, marginals)``.

    Example:
    >>> import numpy as np
    >>> outputs = CRF(3)(np.random.rand(2, 4, 3).astype("float32"))
    >>> tuple(CRFDecode()(outputs).shape)
    (2, 4)
    """

    def __init__(self, return_marginals: bool = False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.return_marginals = bool(return_marginals)

    def call(self, inputs):
        potentials, mask = split_crf_output(inputs)
        tags, _ = crf_pairwise_decode(potentials, mask)
        if not self.return_marginals:
            return tags
        return tags, crf_pairwise_marginals(potentials, mask)

    def compute_output_spec(self, inputs):
        batch, time, _, num_tags = inputs.shape
        tags = keras.KerasTensor((batch, time), dtype="int32")
        if not self.return_marginals:
            return tags
        return tags, keras.KerasTensor((batch, time, num_tags), dtype="float32")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"return_marginals": self.return_marginals})
        return config
