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
    """Accuracy, macro-F1, calibration error (ECE, 15 equal bins), NLL and the confusion matrix.

    Args:
        y_true: ``[n]`` gold class ids.
        probabilities: ``[n, classes]`` predicted probabilities.
        labels: the class names, in id order.

    Returns:
        ``accuracy``, ``macro_f1``, ``ece``, ``nll``, ``examples``, ``per_class`` and ``confusion_matrix``.

    Example:
    >>> import numpy as np
    >>> metrics = classification_metrics(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]),
    ...                                  ["negative", "positive"])
    >>> round(metrics["accuracy"], 4), metrics["confusion_matrix"]["rows_true_columns_predicted"]
    (0.6667, [[1, 0], [1, 1]])
    >>> metrics["per_class"]["positive"]
    {'precision': 1.0, 'recall': 0.5, 'f1': 0.6666666666666666, 'support': 2}
    """
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
    """``sum_b |B_b| / n * |accuracy(B_b) - confidence(B_b)|`` over equal-width confidence bins.

    Args:
        confidence: ``[n]`` the probability of each predicted class.
        correct: ``[n]`` booleans, whether each prediction was right.
        bins: the number of equal-width bins over [0, 1].

    Example:
    >>> import numpy as np
    >>> round(expected_calibration_error(np.array([0.9, 0.9, 0.6, 0.6]), np.array([True, True, True, False])), 4)
    0.1
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)
