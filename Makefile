# nlpsuite — set-up, tests, apps, benchmarks and training.
# Fresh machine: `make app` (installs, then serves the apps) or `make test`.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# Datasets: $NLPSUITE_DATA_DIR if set, else ../shared/data beside the checkout when present, else the cache.
NLPSUITE_DATA_DIR ?= $(if $(wildcard ../shared/data/README.md),$(abspath ../shared/data),$(HOME)/.cache/nlpsuite)
export NLPSUITE_DATA_DIR
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install app test test-browser lint bench bench-gpu export-parity \
        train-all train-ner train-sentiment train-translation train-poetry train-stock clean

install: $(VENV)/.installed

# Re-runs only when pyproject.toml changes, so a second `make install` takes no time.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,jax,edge]"
	@touch $@

app: install
	$(BIN)/python -m streamlit run apps/Home.py --server.port $(PORT) --server.headless true \
	    --browser.gatherUsageStats false

# The whole suite on TensorFlow, every `>>>` example in the package as a doctest (conftest.py runs each
# in a temp folder with an empty NLPSUITE_DATA_DIR, as on a fresh machine), then the backend-agnostic
# layer and op tests again on JAX.
test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=15
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules nlpsuite
	KERAS_BACKEND=jax $(BIN)/python -m pytest -q -p no:cacheprovider -m backend_agnostic tests/layers tests/ops

test-browser: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/browser

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench

# Every committed model exported to LiteRT and ONNX (float, int8 weights) and evaluated on its test split
# against the Keras model (an hour or more on 2 cores); ARGS passes options, e.g. ARGS="--models ner-en".
export-parity: install
	$(BIN)/python -m bench.export_parity $(ARGS)

# Training throughput on a GPU, with and without mixed precision and XLA (needs a GPU).
bench-gpu: install
	bash bench/gpu.sh

# Trainings go through one queue (scripts/train_all.sh) that holds a machine-wide lock, so two never
# run at once: `make train-all` trains every model in turn; `make train-<app>` trains that app's models.
train-all: install
	bash scripts/train_all.sh
train-ner: install
	QUEUE="ner-en ner-zh" bash scripts/train_all.sh
train-sentiment: install
	QUEUE="sentiment-en sentiment-zh" bash scripts/train_all.sh
train-translation: install
	QUEUE="translation-spa-en translation-zh-en" bash scripts/train_all.sh
train-poetry: install
	QUEUE="poetry-zh poetry-en" bash scripts/train_all.sh
train-stock: install
	QUEUE=stock bash scripts/train_all.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
