"""Edge export: a saved task -> LiteRT or ONNX functions plus the task's assets, and back to a task.

```
nlpsuite export --model saved_models/ner-en --format litert --out exports/ner-en-litert
nlpsuite predict --model exports/ner-en-litert "Angela Merkel visited Paris."
```

An export folder holds ``config.json`` and ``assets/`` copied from the model, one ``<function>.tflite``
or ``<function>.onnx`` per exported function (see ``nlpsuite.export.tasks``) and ``export.json``, which
describes them: format, quantization, source model, and each function's inputs and outputs (name,
shape with ``null`` for any size, dtype). ``load`` returns the same task class as ``nlpsuite.load``, with
the exported functions run by the LiteRT interpreter or ONNX Runtime where the task calls its model.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from nlpsuite.errors import NlpsuiteError
from nlpsuite.export.convert import FORMATS, QUANTIZATIONS, check_options, litert_bytes, onnx_bytes
from nlpsuite.export.runtime import ExportedFunction, describe, require_runtime
from nlpsuite.export.tasks import ADAPTERS
from nlpsuite.tasks.base import ASSETS_DIR, CONFIG_FILE, atomic_directory, get_task_class, read_json

EXPORT_FILE = "export.json"
SUFFIX = {"litert": ".tflite", "onnx": ".onnx"}

__all__ = ["EXPORT_FILE", "FORMATS", "QUANTIZATIONS", "export_model", "is_export", "load", "load_any"]


def export_model(model_dir: str | os.PathLike, fmt: str, out: str | os.PathLike,
                 quantize: str = "none") -> dict[str, Any]:
    """Exports the saved task in ``model_dir`` to ``out`` (written atomically); returns ``export.json``.

    Args:
        model_dir: a folder written by ``task.save`` (``config.json``, ``model.keras``, ``assets/``).
        fmt: ``litert`` or ``onnx``.
        out: the export folder; an existing one is replaced only once the new export is complete.
        quantize: ``none`` or ``dynamic`` (int8 weights); ``int8`` is refused with the reason.

    Example:

    A conversion takes tens of seconds, so this example only shows the checks made before one starts
    (``tests/export`` exports a tiny model of every task and compares its outputs with Keras'):

    >>> export_model("saved_models/stock", "onnx", "exports/stock-onnx", quantize="int8")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: --quantize int8 (full-integer, calibrated activations) is not supported ...
    >>> export_model("saved_models/stock", "tflite", "exports/stock")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: --format tflite: choose one of litert, onnx
    """
    check_options(fmt, quantize)
    model_dir, out = Path(model_dir), Path(out)
    if is_export(model_dir):
        raise NlpsuiteError(f"{model_dir} is already an export; give the saved model folder it came from")
    if out.resolve() == model_dir.resolve():
        raise NlpsuiteError(f"--out {out} is the model folder itself; choose another folder")
    require_runtime(fmt)  # converting takes a while; say first if the result could not be run here
    import nlpsuite
    from nlpsuite.ops import crf as crf_ops

    task = nlpsuite.load(model_dir)
    graphs_of, _ = ADAPTERS[task.name]
    # Runtime-only conversions: the converters trace TensorFlow graphs, whatever KERAS_BACKEND says.
    graphs = graphs_of(task, 1 if fmt == "litert" else None)
    manifest: dict[str, Any] = {
        "format": fmt,
        "quantize": quantize,
        "task": task.name,
        "source_model": str(model_dir),
        "functions": {},
    }
    with atomic_directory(out) as tmp:
        for name, (function, specs) in graphs.items():
            with crf_ops.for_export():
                manifest["functions"][name] = _convert(name, function, specs, fmt, quantize, tmp, task.model)
        shutil.copy2(model_dir / CONFIG_FILE, tmp / CONFIG_FILE)
        shutil.copytree(model_dir / ASSETS_DIR, tmp / ASSETS_DIR)
        (tmp / EXPORT_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _convert(name: str, function: Any, specs: dict[str, Any], fmt: str, quantize: str, folder: Path,
             track: Any) -> dict:
    import tensorflow as tf

    traced = tf.function(function, autograph=False)
    outputs = traced.get_concrete_function(dict(specs)).structured_outputs
    path = folder / f"{name}{SUFFIX[fmt]}"
    if fmt == "litert":
        path.write_bytes(litert_bytes(function, specs, quantize, track))
    else:
        data, _ = onnx_bytes(traced, specs, quantize)
        path.write_bytes(data)
    return {
        "file": path.name,
        "size_bytes": path.stat().st_size,
        "inputs": describe(list(specs.values())),
        "outputs": [
            {"name": key, "shape": list(t.shape.as_list()), "dtype": t.dtype.name} for key, t in outputs.items()
        ],
    }


def is_export(directory: str | os.PathLike) -> bool:
    """Whether ``directory`` is an export folder (it has ``export.json``).

    Example:
    >>> from pathlib import Path
    >>> Path("ner-onnx").mkdir()
    >>> _ = Path("ner-onnx/export.json").write_text("{}")
    >>> is_export("ner-onnx"), is_export("saved_models/ner-en")
    (True, False)
    """
    return (Path(directory) / EXPORT_FILE).is_file()


def load(directory: str | os.PathLike, threads: int = 0) -> Any:
    """The task saved in an export folder, its model calls run by the folder's runtime.

    Args:
        directory: a folder written by ``export_model``.
        threads: runtime threads (0 = the runtime's default).

    Example:

    >>> import json
    >>> from pathlib import Path
    >>> Path("stock-onnx").mkdir()
    >>> _ = Path("stock-onnx/export.json").write_text(json.dumps({"format": "coreml", "functions": {}}))
    >>> load("stock-onnx")
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: stock-onnx/export.json is not an nlpsuite export; export the model again
    """
    directory = Path(directory)
    manifest = read_json(directory / EXPORT_FILE)
    fmt = manifest.get("format")
    if fmt not in FORMATS or not isinstance(manifest.get("functions"), dict):
        raise NlpsuiteError(f"{directory / EXPORT_FILE} is not an nlpsuite export; export the model again")
    payload = read_json(directory / CONFIG_FILE)
    task_class = get_task_class(payload.get("task", manifest.get("task", "")))
    config = _config(task_class, payload.get("config", {}))
    assets = task_class.load_assets(directory / ASSETS_DIR)
    info = {**payload.get("info", {}), "export": manifest}
    task = task_class(config, None, assets, info)
    functions = {}
    for name, spec in manifest["functions"].items():
        path = directory / spec["file"]
        if not path.is_file():
            raise NlpsuiteError(f"{path} is missing; export the model again")
        functions[name] = ExportedFunction(path, spec, fmt, threads)
    ADAPTERS[task.name][1](task, functions)
    return task


def load_any(directory: str | os.PathLike) -> Any:
    """``load`` for an export folder, ``nlpsuite.load`` for a saved model (what predict/evaluate use).

    Example:
    >>> load_any("saved_models/ner-en")  # not an export: nlpsuite.load, and its message
    Traceback (most recent call last):
    ...
    nlpsuite.errors.NlpsuiteError: no model in ...; run `make train-ner` to build it
    """
    if is_export(directory):
        return load(directory)
    import nlpsuite

    return nlpsuite.load(directory)


def _config(task_class: Any, values: dict[str, Any]) -> Any:
    from nlpsuite.tasks.base import config_from_dict

    return config_from_dict(task_class.config_class, values)
