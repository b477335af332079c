"""Converters: one traced TensorFlow function -> a LiteRT flatbuffer or an ONNX model.

Both start from a function of a dict of tensors with a fixed input signature (named ``tf.TensorSpec``s)
that returns a dict of named tensors, never from ``TFLiteConverter.from_keras_model`` (which fails under
Keras 3, keras#19108). LiteRT conversion allows builtin ops only: a graph that would need Flex (TensorFlow)
ops fails with the ops named, because the ``ai-edge-litert`` interpreter cannot run them.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from nlpsuite.errors import NlpsuiteError

__all__ = ["FORMATS", "QUANTIZATIONS", "check_options", "flat_function", "litert_bytes", "onnx_bytes"]

FORMATS = ("litert", "onnx")
QUANTIZATIONS = ("none", "dynamic", "int8")
ONNX_OPSET = 17


def check_options(fmt: str, quantize: str) -> None:
    """Rejects an unknown format or a quantization this exporter cannot do, in the user's words.

    Args:
        fmt: ``litert`` or ``onnx``.
        quantize: ``none``, ``dynamic`` (int8 weights, float activations) or ``int8``.

    Example:

    >>> check_options("onnx", "dynamic")
    """
    if fmt not in FORMATS:
        raise NlpsuiteError(f"--format {fmt}: choose one of {', '.join(FORMATS)}")
    if quantize not in QUANTIZATIONS:
        raise NlpsuiteError(f"--quantize {quantize}: choose one of {', '.join(QUANTIZATIONS)}")
    if quantize == "int8":
        # Full-integer quantization needs a calibration set of real inputs per task (and int8 kernels
        # for the recurrent loops); weight-only quantization needs neither.
        raise NlpsuiteError(
            "--quantize int8 (full-integer, calibrated activations) is not supported for these recurrent "
            "models; use --quantize dynamic (int8 weights, float activations) or none"
        )


def litert_bytes(function: Callable[..., Mapping[str, Any]], specs: Mapping[str, Any], quantize: str,
                 track: Any) -> bytes:
    """Converts ``function(inputs: dict) -> dict`` to a LiteRT flatbuffer with builtin ops only.

    Args:
        function: a callable taking one dict of tensors (traced here, through a SavedModel).
        specs: ``{name: tf.TensorSpec}``, the input signature.
        quantize: ``none`` or ``dynamic`` (weights stored as int8).
        track: the Keras model (or layer) whose variables ``function`` reads.

    Example:

    >>> import keras, numpy as np, tensorflow as tf
    >>> from pathlib import Path
    >>> from nlpsuite.export.runtime import ExportedFunction, describe
    >>> layer = keras.layers.Dense(2)
    >>> layer.build((1, 3))
    >>> specs = {"x": tf.TensorSpec((1, 3), tf.float32, name="x")}
    >>> _ = Path("dense.tflite").write_bytes(litert_bytes(lambda d: {"y": layer(d["x"])}, specs, "none", layer))
    >>> spec = {"inputs": describe(specs.values()), "outputs": [{"name": "y"}]}
    >>> x = np.array([[1.0, 2.0, 3.0]], "float32")
    >>> y = ExportedFunction("dense.tflite", spec, "litert")(x=x)["y"]
    >>> np.allclose(y, keras.ops.convert_to_numpy(layer(x)), atol=1e-5)  # the interpreter computes the layer
    True
    """
    import keras
    import tensorflow as tf

    # Through a SavedModel signature (keras.export.ExportArchive tracks the Keras 3 variables): the
    # flatbuffer then keeps a signature with the inputs' and outputs' names, which the interpreter's
    # signature runner calls by name.
    names = list(specs)
    archive = keras.export.ExportArchive()
    archive.track(track)
    archive.add_endpoint(
        "serve", lambda *tensors: function(dict(zip(names, tensors, strict=True))), [specs[n] for n in names]
    )
    with tempfile.TemporaryDirectory() as saved:
        archive.write_out(saved, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize == "dynamic":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        try:
            return converter.convert()
        except Exception as exc:  # ConverterError, with the MLIR diagnostics in its text
            ops = sorted(set(re.findall(r"tf\.([A-Za-z0-9]+)", str(exc)))) or ["see the converter log"]
            raise NlpsuiteError(
                f"LiteRT conversion needs ops outside the builtin set ({', '.join(ops[:8])}); "
                "export --format onnx instead"
            ) from None


def onnx_bytes(function: Callable[..., Mapping[str, Any]], specs: Mapping[str, Any],
               quantize: str) -> tuple[bytes, list[str]]:
    """Converts ``function(inputs: dict) -> dict`` to ONNX with tf2onnx; returns the model and its output names.

    The output names follow the function's outputs in ``tf.nest.flatten`` order (dict keys sorted).

    Args:
        function: a ``tf.function`` taking one dict of tensors.
        specs: ``{name: tf.TensorSpec}``.
        quantize: ``none`` or ``dynamic`` (``onnxruntime.quantization.quantize_dynamic``, int8 weights).

    Example:

    >>> import tensorflow as tf
    >>> f = tf.function(lambda d: {"y": d["x"] * 2.0})
    >>> model, outputs = onnx_bytes(f, {"x": tf.TensorSpec((None, 3), tf.float32, name="x")}, "none")
    >>> outputs
    ['y']
    >>> import numpy as np, onnxruntime
    >>> session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    >>> session.run(outputs, {"x": np.array([[1.0, 2.0, 3.0]], "float32")})[0].tolist()
    [[2.0, 4.0, 6.0]]
    """
    try:
        import tf2onnx
    except ImportError:
        raise NlpsuiteError("ONNX export needs tf2onnx: pip install 'nlpsuite[edge]'") from None
    flat = flat_function(function, specs)
    with _generic_recurrent_loops():
        model, _ = tf2onnx.convert.from_function(flat, input_signature=list(specs.values()), opset=ONNX_OPSET)
    unsupported = sorted(_unknown_ops(model.graph))
    if unsupported:
        # tf2onnx keeps ops it cannot convert as-is; ONNX Runtime would refuse the file at load.
        raise NlpsuiteError(
            f"ONNX conversion left TensorFlow ops without an ONNX equivalent ({', '.join(unsupported[:8])}); "
            "export --format litert instead"
        )
    outputs = [o.name for o in model.graph.output]
    data = model.SerializeToString()
    if quantize == "dynamic":
        data = _quantize_onnx(data)
    return data, outputs


# tf2onnx's rewriters that fuse a recognised LSTM/GRU loop into ONNX's LSTM/GRU op. The fused ops know
# nothing of a Keras mask (a padded row's backward direction would start on its padding), so the loops
# stay generic ONNX Loops, which carry the mask's select ops like the TensorFlow graph.
_FUSED_RNN_REWRITERS = (
    "rewriter_lstm_tf2", "rewrite_gru_tf2", "rewrite_single_direction_lstm", "rewrite_bi_direction_lstm",
    "rewrite_single_direction_gru", "rewrite_bi_direction_gru",
)


@contextlib.contextmanager
def _generic_recurrent_loops() -> Iterator[None]:
    import tf2onnx.tfonnx

    saved = {name: getattr(tf2onnx.tfonnx, name) for name in _FUSED_RNN_REWRITERS if hasattr(tf2onnx.tfonnx, name)}
    try:
        for name in saved:
            setattr(tf2onnx.tfonnx, name, lambda graph, ops: ops)
        yield
    finally:
        for name, rewriter in saved.items():
            setattr(tf2onnx.tfonnx, name, rewriter)


def _unknown_ops(graph: Any) -> set[str]:
    """Op types in ``graph`` (and its loop/branch bodies) that no registered ONNX schema defines."""
    import onnx

    from nlpsuite.export.ops import onnx_nodes

    return {op for domain, op in onnx_nodes(graph) if not onnx.defs.has(op, domain)}


def _quantize_onnx(data: bytes) -> bytes:
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise NlpsuiteError("ONNX quantization needs onnxruntime: pip install 'nlpsuite[edge]'") from None
    with tempfile.TemporaryDirectory() as tmp:
        source, target = os.path.join(tmp, "float.onnx"), os.path.join(tmp, "int8.onnx")
        with open(source, "wb") as f:
            f.write(data)
        quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        with open(target, "rb") as f:
            return f.read()


def flat_function(function: Callable[..., Mapping[str, Any]], specs: Mapping[str, Any]) -> Any:
    """``function(dict)`` as a ``tf.function`` of positional tensors named by ``specs``, so LiteRT and
    ONNX see one named input per spec (signature runners and ONNX sessions are called by name).

    Args:
        function: a callable taking one dict of tensors.
        specs: ``{name: tf.TensorSpec}``, in the order of the flat function's arguments.

    Example:
    >>> import tensorflow as tf
    >>> flat = flat_function(lambda d: {"sum": d["a"] + d["b"]}, {
    ...     "a": tf.TensorSpec((), tf.float32, name="a"), "b": tf.TensorSpec((), tf.float32, name="b")})
    >>> float(flat(tf.constant(1.0), tf.constant(2.0))["sum"])
    3.0
    """
    import tensorflow as tf

    names = list(specs)

    def flat(*tensors):
        return function(dict(zip(names, tensors, strict=True)))

    return tf.function(flat, input_signature=[specs[n] for n in names], autograph=False)
