"""Checks every public layer must pass: config round trip, `safe_mode` reload, clear errors.

Each layer's own test file keeps what is particular to it; `test_layer_contract.py` runs these
checks over the `LayerCase` of every public layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from nlpsuite.errors import NlpsuiteError


@dataclass
class LayerCase:
    """A public layer, an input it accepts and the bad arguments it must refuse.

    Attributes:
        make: builds the layer (same config every call).
        inputs: a batch the layer accepts.
        bad: ``(kwargs, message)`` pairs; ``make_bad(**kwargs)`` must raise NlpsuiteError matching message.
        make_bad: the constructor the bad arguments go to.
    """

    make: Callable[[], keras.layers.Layer]
    inputs: np.ndarray
    make_bad: Callable[..., Any] | None = None
    bad: list[tuple[dict, str]] = field(default_factory=list)


def check_config_round_trip(case: LayerCase) -> None:
    layer = case.make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is type(layer) and revived.get_config() == config


def check_safe_mode_reload(case: LayerCase, tmp_path: Path) -> None:
    inputs = keras.Input(case.inputs.shape[1:], dtype=str(case.inputs.dtype))
    model = keras.Model(inputs, case.make()(inputs))
    expected = keras.ops.convert_to_numpy(model(case.inputs))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(case.inputs)), expected, rtol=1e-6, atol=1e-6)


def check_bad_arguments(case: LayerCase) -> None:
    for kwargs, message in case.bad:
        with pytest.raises(NlpsuiteError, match=message):
            case.make_bad(**kwargs)
