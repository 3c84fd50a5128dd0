# privnum: the two commands of the quick start are "make demo" and "make test".
# Build directories: build/ (ASan+UBSan, used by the tests), build-release/ (benchmarks, demo),
# build-fuzz/ (clang + libFuzzer).
SHELL := /bin/bash
FUZZ_SECONDS ?= 30

.PHONY: all setup build release fuzz-build test unit fuzz demo bench format clean

all: build

setup:
	@bash tools/setup.sh

build/build.ninja:
	meson setup build -Db_sanitize=address,undefined -Db_lundef=false

build: setup build/build.ninja
	ninja -C build

build-release/build.ninja:
	meson setup build-release --buildtype=release

release: setup build-release/build.ninja
	ninja -C build-release

build-fuzz/build.ninja:
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false

fuzz-build: setup build-fuzz/build.ninja
	ninja -C build-fuzz

# Everything: setup, build, unit + integration + corpus replay, bounded fuzzing; one summary line.
test:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tools/run-tests.sh

# Only the meson tests (no fuzzing): make unit [T=test_name]
unit: build
	meson test -C build --print-errorlogs $(T)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tools/fuzz.sh

demo: setup release
	@bash tools/demo.sh

bench: release
	@bash bench/run.sh

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-release build-fuzz
