"""Runners: call one exported function (a ``.tflite`` or ``.onnx`` file) by input name, get outputs by name.

A runner is the only thing that differs between a Keras task and an exported one: the task's own
preprocessing, search and scoring code call it where they would call the Keras model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlpsuite.errors import NlpsuiteError

__all__ = ["ExportedFunction", "describe", "require_runtime"]

_INSTALL = "pip install 'nlpsuite[edge]'"


class ExportedFunction:
    """One exported function, run by the LiteRT interpreter or ONNX Runtime.

    Inputs whose batch dimension was fixed to 1 at export (LiteRT graphs with a recurrent loop: a
    dynamic batch there needs TensorFlow ops) are fed one row at a time and the outputs stacked, so
    callers pass any batch.

    Args:
        path: the ``.tflite`` or ``.onnx`` file.
        spec: its entry in ``export.json``: ``{"inputs": [{"name", "shape", "dtype"}], "outputs": [...]}``.
        fmt: ``litert`` or ``onnx``.
        threads: intra-op threads (0 = the runtime's default).

    Call arguments:
        **inputs: NumPy arrays by input name; extra names are ignored, dtypes are cast to the export's.

    Returns:
        A dict of NumPy arrays by output name.

    Example:

    >>> import tensorflow as tf
    >>> from pathlib import Path
    >>> from nlpsuite.export.convert import onnx_bytes
    >>> specs = {"x": tf.TensorSpec((None, 2), tf.float32, name="x")}
    >>> data, outputs = onnx_bytes(tf.function(lambda d: {"y": d["x"] + 1.0}), specs, "none")
    >>> _ = Path("plus_one.onnx").write_bytes(data)
    >>> fn = ExportedFunction("plus_one.onnx", {"inputs": describe(specs.values()), "outputs": [{"name": "y"}]}, "onnx")
    >>> fn(x=[[1, 2], [3, 4]], ignored=0)["y"].tolist()  # ints cast to the export's float32
    [[2.0, 3.0], [4.0, 5.0]]
    """

    def __init__(self, path: str | Path, spec: Mapping[str, Any], fmt: str, threads: int = 0) -> None:
        self.path = Path(path)
        self.inputs = {i["name"]: i for i in spec["inputs"]}
        self.output_names = [o["name"] for o in spec["outputs"]]
        self.row_by_row = any(i["shape"] and i["shape"][0] == 1 for i in spec["inputs"])
        self.fmt = fmt
        self._run = _open_litert(self.path, threads) if fmt == "litert" else _open_onnx(self.path, threads)

    def __call__(self, **inputs: Any) -> dict[str, np.ndarray]:
        arrays = {
            name: np.asarray(inputs[name], dtype=spec["dtype"])
            for name, spec in self.inputs.items()
            if _require(inputs, name, self.path)
        }
        batch = len(next(iter(arrays.values())))
        if not self.row_by_row or batch == 1:
            return self._run(arrays)
        rows = [self._run({k: v[i : i + 1] for k, v in arrays.items()}) for i in range(batch)]
        return {name: np.concatenate([r[name] for r in rows], axis=0) for name in rows[0]}


def _require(inputs: Mapping[str, Any], name: str, path: Path) -> bool:
    if name not in inputs:
        raise NlpsuiteError(f"{path.name} needs an input named {name!r}; got {', '.join(inputs)}")
    return True


def _open_litert(path: Path, threads: int) -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise NlpsuiteError(f"running a LiteRT export needs ai-edge-litert: {_INSTALL}") from None
    interpreter = Interpreter(model_path=str(path), num_threads=threads or None)
    runner = interpreter.get_signature_runner()

    def run(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        # The signature runner resizes its inputs to these shapes and copies the outputs out.
        return {k: np.array(v) for k, v in runner(**arrays).items()}

    return run


def _open_onnx(path: Path, threads: int) -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise NlpsuiteError(f"running an ONNX export needs onnxruntime: {_INSTALL}") from None
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]

    def run(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(names, session.run(names, arrays), strict=True))

    return run


def require_runtime(fmt: str) -> None:
    """Fails early, before a long conversion, when the runtime for ``fmt`` is missing.

    Args:
        fmt: ``litert`` or ``onnx``.

    Raises:
        NlpsuiteError: the runtime is not installed, with the pip command that installs it.

    Example:
    >>> require_runtime("onnx")  # installed with the [edge] extra: returns quietly
    """
    module = {"litert": "ai_edge_litert.interpreter", "onnx": "onnxruntime"}[fmt]
    try:
        __import__(module)
    except ImportError:
        raise NlpsuiteError(f"--format {fmt} needs {module.split('.')[0]}: {_INSTALL}") from None


def describe(specs: Sequence[Any]) -> list[dict[str, Any]]:
    """``tf.TensorSpec``s (or tensors) as JSON: ``[{"name", "shape" (None = any), "dtype"}]``.

    Args:
        specs: ``tf.TensorSpec``s or tensors with names.

    Example:
    >>> import tensorflow as tf
    >>> describe([tf.TensorSpec((None, 3), tf.int32, name="ids")])
    [{'name': 'ids', 'shape': [None, 3], 'dtype': 'int32'}]
    """
    return [
        {"name": s.name.split(":")[0], "shape": list(s.shape.as_list()), "dtype": s.dtype.name}
        for s in specs
    ]
