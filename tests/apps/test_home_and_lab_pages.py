from pathlib import Path

from streamlit.testing.v1 import AppTest

from .widgets import by_label

APPS = Path(__file__).resolve().parents[2] / "apps"


def test_home_lists_every_app_and_the_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("NLPSUITE_MODELS_DIR", str(tmp_path))  # no models: each says how to build one
    from apps import ui

    # apps.ui reads the variable at import; another test module may have imported it already.
    monkeypatch.setattr(ui, "MODELS_DIR", tmp_path)
    at = AppTest.from_file(str(APPS / "Home.py"), default_timeout=120).run()
    assert not at.exception
    titles = [h.value for h in at.subheader]
    for title in ("Named entities", "Sentiment", "Translation", "Poetry", "Stock forecast"):
        assert any(title in t for t in titles), titles
    captions = " ".join(c.value for c in at.caption)
    assert "make train-ner" in captions and "Keras backend" in captions


def test_rnn_lab_plots_gradients_and_gates():
    at = AppTest.from_file(str(APPS / "views" / "rnn_lab.py"), default_timeout=120).run()
    assert not at.exception
    assert not at.error
    assert "SimpleRNN" in " ".join(c.value for c in at.caption)
    # The trained comparison's tab reads the committed bench/results/architectures.json.
    assert "Trained: LSTM vs RWKV vs Transformer" in [tab.label for tab in at.tabs]
    assert any("rwkv" in str(frame.value).lower() for frame in at.dataframe)
    by_label(at.text_input, "Sentence").set_value("你好, world 🎉").run()
    assert not at.exception and not at.error
    by_label(at.text_input, "Sentence").set_value("   ").run()
    assert at.error and "Type or paste" in at.error[0].value
