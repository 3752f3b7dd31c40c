# Deep-learning templates in Keras 3. `make help` lists the targets.
# Every target builds .venv from requirements.txt first when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help xor xor-demos iris mnist mnist-demos stock text text-demos word2vec caption test test-full bench lint clean

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'
	@echo '  pass overrides with ARGS, e.g. make iris ARGS="--optimizer=nesterov --quick"'

xor: $(VENV)/.installed ## XOR with a 2-4-2 dense network (seconds)
	$(PY) -m projects.xor.train $(ARGS)

xor-demos: $(VENV)/.installed ## figures: activations, SGD/momentum/Nesterov, decision regions
	$(PY) -m projects.xor.demos $(ARGS)

iris: $(VENV)/.installed ## Iris species from four measurements (under a minute)
	$(PY) -m projects.iris.train $(ARGS)

mnist: $(VENV)/.installed ## convolutional network on the real MNIST digits (~5 min)
	$(PY) -m projects.mnist_cnn.train $(ARGS)

mnist-demos: $(VENV)/.installed ## figures: kernels, max vs average pooling, augmentation
	$(PY) -m projects.mnist_cnn.demos $(ARGS)

stock: $(VENV)/.installed ## next-day S&P 500 close with an LSTM, against naive baselines (seconds)
	$(PY) -m projects.stock_rnn.train $(ARGS)

# TensorFlow trains the default's two networks at once, one a core, where JAX runs them in turn
# (projects/text_lstm/README.md); KERAS_BACKEND=jax make text overrides it.
text: export KERAS_BACKEND ?= tensorflow
text: $(VENV)/.installed ## character-level GRUs on Shakespeare, in nats per character (~17 min)
	$(PY) -m projects.text_lstm.train $(ARGS)

text-demos: export KERAS_BACKEND ?= jax
text-demos: $(VENV)/.installed ## figures: memory over distance, vanishing (before and after training) and exploding gradients (~7 min)
	$(PY) -m projects.text_lstm.demos $(ARGS)

# word2vec's step runs faster under TensorFlow with XLA than under JAX on a CPU
# (projects/word2vec/README.md); KERAS_BACKEND=jax make word2vec overrides it.
word2vec: export KERAS_BACKEND ?= tensorflow
word2vec: $(VENV)/.installed ## skip-gram / CBOW word vectors, scored against gensim (~3 min)
	$(PY) -m projects.word2vec.train $(ARGS)

caption: $(VENV)/.installed ## CNN encoder + LSTM decoder writing captions of generated scenes, BLEU (~9 min)
	$(PY) -m projects.image_captioning.train $(ARGS)

# The tests run in parallel processes, one a core (at most four: each imports TensorFlow);
# pytest alone, e.g. .venv/bin/pytest projects/iris, runs them one after another.
XDIST := -n auto --maxprocesses=4

test: $(VENV)/.installed ## the fast test suite (minutes on a CPU)
	$(PY) -m pytest -q $(XDIST)

test-full: $(VENV)/.installed ## every test, including the slow ones
	$(PY) -m pytest -q $(XDIST) -m "slow or not slow"

# benchmarks/run.py: each benchmark in its own process (one that fails is recorded, the rest
# run), benchmarks/results.json, and the README's table of benchmark runs rendered from it.
bench: $(VENV)/.installed ## benchmarks against references, side by side (~90 min; make bench T=mnist_cnn for one)
	$(PY) -m benchmarks.run $(if $(T),--only "$(T)")

# tools/new.py needs only the standard library: no .venv to build first
new: ## a project from a template: make new NAME=my_iris FROM=iris [DEST=../my_iris]
	$(PYTHON) -m tools.new "$(NAME)" "$(FROM)" $(if $(DEST),--dest "$(DEST)")

# Every other folder of projects/ with a train.py (made by make new, or copied by hand) is a
# target of its own: make my_iris runs python -m projects.my_iris.train.
NAMED    := xor iris word2vec
PROJECTS := $(filter-out $(NAMED),$(patsubst projects/%/train.py,%,$(wildcard projects/*/train.py)))
.PHONY: new $(PROJECTS)
$(PROJECTS): $(VENV)/.installed
	$(PY) -m projects.$@.train $(ARGS)

lint: $(VENV)/.installed ## ruff lint and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean: ## remove runs/, caches and the virtual environment
	rm -rf runs .pytest_cache .ruff_cache $(VENV)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
