"""Classification metrics: accuracy, macro-F1, expected calibration error, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["classification_metrics", "expected_calibration_error"]

ECE_BINS = 15


def classification_metrics(
    y_true: np.ndarray, probabilities: np.ndarray, labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1, calibration error (ECE, 15 equal bins), NLL and the confusion matrix."""
    y_pred = probabilities.argmax(axis=-1)
    k = len(labels)
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)
    per_class = {}
    for i, label in enumerate(labels):
        tp = matrix[i, i]
        precision = tp / matrix[:, i].sum() if matrix[:, i].sum() else 0.0
        recall = tp / matrix[i].sum() if matrix[i].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(matrix[i].sum()),
        }
    present = [label for label in labels if per_class[label]["support"] > 0]
    confidence = probabilities.max(axis=-1)
    return {
        "accuracy": float((y_pred == y_true).mean()),
        "macro_f1": float(np.mean([per_class[label]["f1"] for label in present])),
        "ece": expected_calibration_error(confidence, y_pred == y_true),
        "nll": float(
            -np.mean(np.log(np.clip(probabilities[np.arange(len(y_true)), y_true], 1e-12, 1.0)))
        ),
        "examples": len(y_true),
        "per_class": per_class,
        "confusion_matrix": {
            "labels": list(labels),
            "rows_true_columns_predicted": matrix.tolist(),
        },
    }


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
) -> float:
    """``sum_b |B_b| / n * |accuracy(B_b) - confidence(B_b)|`` over equal-width confidence bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)
