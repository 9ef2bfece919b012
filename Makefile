# Pith: the two commands a fresh machine needs are `make demo` and `make test`.
SWIFT ?= swift
PITH_HOME ?= $(HOME)/.cache/pith
export PITH_HOME
RELEASE = $(SWIFT) build -c release
PITH = .build/release/pith
TEXT = $(PITH_HOME)/data/python-tutorial.txt
SENTENCES = $(PITH_HOME)/data/sentences.txt
FUZZ_SECONDS ?= 60

.PHONY: demo test fuzz deps build models bench clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(RELEASE) --product pith

models: deps
	@bash scripts/fetch-models.sh

# Pith's main job on the default model: generate text, then measure perplexity on held-out text.
demo: build models
	$(PITH) inspect smollm2
	$(PITH) generate smollm2 --chat --prompt "Write one sentence about the sea." --max-tokens 48 --temperature 0
	$(PITH) generate smollm2 --prompt "Once upon a time" --max-tokens 48 --temperature 0.8 --top-p 0.9 --seed 1
	$(PITH) perplexity smollm2 --text $(TEXT) --context 512 --chunks 16
	$(PITH) similarity minilm "A man is playing a guitar." "Someone plays music." "The stock market fell sharply."
	$(PITH) pack smollm2 -o $(PITH_HOME)/smollm2.pith --meta examples/smollm2.meta.json --compress rans
	$(PITH) verify $(PITH_HOME)/smollm2.pith
	$(PITH) generate $(PITH_HOME)/smollm2.pith --prompt "The capital of France is" --max-tokens 16 --temperature 0

# Every test, real-model ones included, built in release so the real models run at speed; then a bounded fuzzing
# campaign over the readers of untrusted files. PITH_REQUIRE_MODELS turns a missing model or text into a failing test
# instead of skipped ones.
test: deps models
	$(SWIFT) build -c release --build-tests -Xswiftc -enable-testing
	PITH_REQUIRE_MODELS=1 $(SWIFT) test -c release --skip-build -Xswiftc -enable-testing
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash scripts/fuzz.sh

# libFuzzer over the readers (packages, GGUF, safetensors, graphs, tokenizers, key files) for FUZZ_SECONDS in all;
# fails on any crash, sanitizer report, leak, hang or oversized allocation (scripts/fuzz.sh, Sources/pith-fuzz).
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash scripts/fuzz.sh

# Speed on the default models; set LLAMA_BENCH=/path/to/llama-bench to measure llama.cpp side by side, and
# SBERT_PYTHON=/path/to/python (with torch and sentence-transformers) for sentence-transformers on the same sentences.
bench: build models
	$(PITH) bench minilm --file $(SENTENCES) --sentences 1000
	@if [ -n "$$SBERT_PYTHON" ]; then "$$SBERT_PYTHON" scripts/reference/sbert_bench.py "$(PITH_HOME)/models/minilm" $(SENTENCES); fi
	$(PITH) bench smollm2
	@if [ -n "$$LLAMA_BENCH" ]; then "$$LLAMA_BENCH" -m "$(PITH_HOME)/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" -t 2 -p 128 -n 64 -r 3; fi

# The pith_qweight kernels built for AVX-512, AVX2-only and plain x86-64 targets, each SIMD level checked against the
# portable C kernels (AddressSanitizer on the native build); the Swift tests cover this machine's build.
.PHONY: kernel-levels
kernel-levels:
	bash scripts/kernel-levels.sh

clean:
	rm -rf .build .build-fuzz
