"""Finding a page's widgets in an AppTest by the label the user sees, not by their position on the page."""

from __future__ import annotations

from typing import Any


def by_label(widgets: Any, label: str) -> Any:
    """The one widget of ``widgets`` (e.g. ``at.text_area``) labelled ``label``; fails listing the labels there."""
    found = [widget for widget in widgets if widget.label == label]
    assert len(found) == 1, f"{len(found)} widgets labelled {label!r}; labels: {[w.label for w in widgets]}"
    return found[0]
