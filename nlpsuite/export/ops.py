"""Which operators an exported file uses, and which of them a stock runtime may lack.

A LiteRT flatbuffer lists every operator code its subgraphs use (loop bodies included); anything that is not a
builtin is a custom op, and a custom op named ``Flex...`` is a TensorFlow op that only a runtime linked with
the Flex delegate runs. An ONNX model's nodes (loop and branch bodies included) name an op and a domain; ops
outside the standard domain (``com.microsoft`` ones from ONNX Runtime's quantizer, for instance) run only
in runtimes that ship them. This is what the parity benchmark and a model card report.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nlpsuite.errors import NlpsuiteError

__all__ = ["STANDARD_ONNX_DOMAINS", "onnx_nodes", "used_ops"]

STANDARD_ONNX_DOMAINS = ("", "ai.onnx")


def used_ops(path: str | os.PathLike) -> dict[str, list[str]]:
    """The operators of one ``.tflite`` or ``.onnx`` file.

    Args:
        path: an exported function's file.

    Returns:
        ``{"ops": [...], "flex": [...], "custom": [...]}``, each sorted: every operator, the TensorFlow (Flex)
        ones, and the other non-builtin / non-standard ones (``domain:Op`` for ONNX).

    Example:

    >>> import tempfile, tensorflow as tf
    >>> from nlpsuite.export.convert import onnx_bytes
    >>> f = tf.function(lambda d: {"y": d["x"] * 2.0})
    >>> data, _ = onnx_bytes(f, {"x": tf.TensorSpec((None, 3), tf.float32, name="x")}, "none")
    >>> path = Path(tempfile.mkdtemp()) / "f.onnx"
    >>> _ = path.write_bytes(data)
    >>> used_ops(path)["custom"]
    []
    """
    path = Path(path)
    if path.suffix == ".tflite":
        return _litert_ops(path.read_bytes())
    if path.suffix == ".onnx":
        return _onnx_ops(path)
    raise NlpsuiteError(f"{path}: not a .tflite or .onnx file; pass an exported model file")


def _litert_ops(data: bytes) -> dict[str, list[str]]:
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:  # the converter's own copy of the flatbuffer schema
        from tensorflow.lite.python import schema_py_generated as schema

    names = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    model = schema.Model.GetRootAs(data, 0)
    ops, custom = set(), set()
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # Codes above 127 live in BuiltinCode; older files keep small ones only in the deprecated byte.
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == schema.BuiltinOperator.CUSTOM:
            name = (code.CustomCode() or b"?").decode()
            custom.add(name)
            ops.add(name)
        else:
            ops.add(names.get(builtin, str(builtin)))
    flex = {name for name in custom if name.startswith("Flex")}
    return {"ops": sorted(ops), "flex": sorted(flex), "custom": sorted(custom - flex)}


def _onnx_ops(path: Path) -> dict[str, list[str]]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    found = onnx_nodes(model.graph)
    ops = {op for _, op in found}
    custom = {f"{domain}:{op}" for domain, op in found if domain not in STANDARD_ONNX_DOMAINS}
    return {"ops": sorted(ops), "flex": [], "custom": sorted(custom)}


def onnx_nodes(graph: Any) -> set[tuple[str, str]]:
    """``(domain, op_type)`` of every node in an ONNX ``graph`` and in its loop and branch bodies."""
    import onnx

    found = set()
    for node in graph.node:
        found.add((node.domain or "", node.op_type))
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                found |= onnx_nodes(attribute.g)
            elif attribute.type == onnx.AttributeProto.GRAPHS:
                for body in attribute.graphs:
                    found |= onnx_nodes(body)
    return found
