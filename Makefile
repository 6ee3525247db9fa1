# The README's two commands: `make serve` and `make test`. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser serve chroma milvus bench bench-hostile train-judge train-verifier test test-llm test-slow clean

install: $(STAMP)

# torch goes in first from the local CPU wheel: anything that pulls it in later would
# otherwise download several GB of CUDA packages.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/qa prepare  # the one-time model export, so the first `qa` command is not slow
	@touch $(STAMP)

# `make serve PORT=7861` when 7860 (server.port) is taken; QA_SERVER__PORT=7861 works too.
serve: install
	$(BIN)/qa serve --ingest-if-empty data/articles $(if $(PORT),--port $(PORT))

# A local Chroma server for store.mode: server (QA_STORE__MODE=server); Ctrl-C stops it.
# Its files go under the data dir (QA_DATA__DIR, default .qa-data).
CHROMA_DIR ?= $(or $(QA_DATA__DIR),.qa-data)/chroma-server
CHROMA_PORT ?= 8000
chroma: install
	$(BIN)/chroma run --path $(CHROMA_DIR) --host 127.0.0.1 --port $(CHROMA_PORT)

# A local Milvus engine for store.backend: milvus (QA_STORE__BACKEND=milvus; store.uri defaults to
# http://127.0.0.1:19530): milvus-lite's gRPC server, shared by every `qa` process on this machine.
# For development only (no auth, no HNSW); production runs Milvus Standalone or
# Distributed (deploy/). Ctrl-C stops it. Its files go under the data dir.
MILVUS_DIR ?= $(or $(QA_DATA__DIR),.qa-data)/milvus
MILVUS_PORT ?= 19530
milvus: install
	$(BIN)/python -m index.storage.milvus.lite_server --data-dir $(MILVUS_DIR) --host 127.0.0.1 --port $(MILVUS_PORT)

# Speed and memory on this machine, printed as a table and written to bench/results/
# (bench/run.py). The first run builds 1k/10k/100k-chunk indexes from ../shared/eval
# (BENCH_EVAL_DIR) into bench/.cache/; BENCH_ARGS=--quick skips the 100k one.
# Then the `backends` table (bench/backends.py): Chroma embedded, Chroma server and Milvus
# (milvus-lite) at 10k and 100k chunks (10k only with --quick), in bench/results/*-backends.md.
# Then what the verifier costs a question at 10k chunks (bench/verifier.py, answer.verify_top).
BACKENDS_ARGS ?= $(if $(findstring --quick,$(BENCH_ARGS)),--sizes 10000)
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.backends $(BACKENDS_ARGS)
	$(BIN)/python -m bench.verifier

# Hostile servers and clients (bench/hostile.py) against a real `qa serve` on loopback: compression
# bombs, slow headers, huge sitemaps, 1 GiB bodies, password floods, server paths in uploads.
bench-hostile: install
	$(BIN)/python -m bench.hostile

# The answer judge (qa/answering/judge.json): trained on SQuAD v1.1 articles that nothing is measured on,
# their redacted copies and tests/data/natural/{tune,train-a,train-b,train-c}; deterministic,
# about a minute on 2 cores.
EVAL_DIR ?= ../shared/eval
train-judge: install
	$(BIN)/python -m qa.evaluation.train_judge --eval-dir $(EVAL_DIR) --out qa/answering/judge.json

# About 45 min on 2 cores: writes qa/answering/verifier-int8.onnx and its figures, verifier.json.
train-verifier: install
	$(BIN)/python -m qa.evaluation.train_verifier --eval-dir $(EVAL_DIR) --out qa/answering \
		--news-articles 1000 --nli-per-set 5000

# The browser tests drive Debian's chromium with the playwright package (no browser download).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(BIN)/python -m pytest

# The crash and big-input tests at full size (make test runs them on 300 articles, 10 kills):
# 1,000 articles, 25 SIGKILLs at random points, then the equality with a clean ingest.
test-slow: install
	QA_CRASH_ARTICLES=1000 QA_CRASH_KILLS=25 $(BIN)/python -m pytest -s tests/test_crash_resume.py \
	  tests/test_big_input.py tests/test_concurrency.py
# Generated answers on a real model in this process: the llamacpp extra and the bundled Gemma 3
# 270M GGUF; prints answer latency, time to first token and tokens/s. Not part of `make test`:
# llama-cpp-python compiles from source once (about 6-12 minutes on 2 cores). The build is
# portable (AVX2, GGML_NATIVE=OFF): a native one uses AMX/AVX-512 tile instructions that some
# virtual machines do not enable, and then crashes on the first token.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
test-llm: install
	@$(BIN)/python -c "import llama_cpp" 2>/dev/null || CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
	  $(BIN)/pip install --quiet --disable-pip-version-check --no-cache-dir 'llama-cpp-python>=0.3.16'
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,llamacpp]'
	$(BIN)/python -m pytest -m llm_local -s tests/test_llm_local.py
clean:
	rm -rf $(VENV) .qa-data .pytest_cache
