"""Validity of a tag sequence, written from the schemes' definitions (not nlpsuite's CRF masks).

- BIO (IOB2): ``I-X`` only right after ``B-X`` or ``I-X``; a sequence may not start with ``I-X``.
- BIOES: inside a span (after ``B-X``/``I-X``) only ``I-X`` or ``E-X`` may come; outside a span
  (at the start, after ``O``, ``E-X`` or ``S-X``) only ``O``, ``B-*`` or ``S-*``; the sequence may
  not end inside a span.
- BMES: BIOES with ``M`` for ``I``.
"""

from __future__ import annotations

from collections.abc import Sequence

INSIDE = {"BIO": "I", "BIOES": "I", "BMES": "M"}


def _split(tag: str) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, dash, kind = tag.partition("-")
    if not dash or not kind or len(prefix) != 1:
        raise AssertionError(f"{tag!r} is neither O nor PREFIX-TYPE")
    return prefix, kind


def violation(tags: Sequence[str], scheme: str) -> str | None:
    """Why ``tags`` is not a valid ``scheme`` sequence (first offending position), or None."""
    scheme = scheme.upper()
    inside = INSIDE[scheme]
    allowed_prefixes = {"O", "B", inside} | ({"E", "S"} if scheme != "BIO" else set())
    open_type = None  # the type of the span being read, or None outside a span
    for i, tag in enumerate(tags):
        prefix, kind = _split(tag)
        if prefix not in allowed_prefixes:
            return f"position {i}: {tag!r} is not a {scheme} tag"
        if scheme == "BIO":
            if prefix == inside and open_type != kind:
                return f"position {i}: {tag!r} does not continue a {kind} span"
            open_type = kind if prefix in ("B", inside) else None
            continue
        if open_type is None:
            if prefix in (inside, "E"):
                return f"position {i}: {tag!r} outside a span"
            open_type = kind if prefix == "B" else None
        else:
            if prefix not in (inside, "E") or kind != open_type:
                return f"position {i}: {tag!r} inside an open {open_type} span"
            open_type = None if prefix == "E" else open_type
    if open_type is not None and scheme != "BIO":
        return f"ends inside an open {open_type} span"
    return None

