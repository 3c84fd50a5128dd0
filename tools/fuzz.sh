#!/usr/bin/env bash
# tools/fuzz.sh: build the libFuzzer targets (clang) and run each for FUZZ_SECONDS on a copy of
# its seed corpus. Prints "fuzz: PASS <target>" or "fuzz: FAIL <target>" per target; a crash
# input is copied to tests/corpus/<module>/ so that it becomes a regression test.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-30}

if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null ||
		{ echo "fuzz: FAIL setup"; exit 1; }
fi
ninja -C build-fuzz >/dev/null || { echo "fuzz: FAIL build"; exit 1; }

found=0
for exe in $(find build-fuzz/tests/fuzz -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort); do
	found=1
	name=$(basename "$exe")
	module=${name#fuzz_}
	work=$(mktemp -d)
	[ -d "tests/corpus/$module" ] && cp -r "tests/corpus/$module/." "$work/" 2>/dev/null
	artifacts=$(mktemp -d)
	if "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-artifact_prefix="$artifacts/" "$work" >"$artifacts/log" 2>&1; then
		execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$artifacts/log" | awk '{print $2}')
		[ -z "$execs" ] && execs=$(grep -Eo '#[0-9]+' "$artifacts/log" | tail -1 | tr -d '#')
		echo "fuzz: PASS $name (${secs}s, ${execs:-?} runs)"
	else
		echo "fuzz: FAIL $name"
		tail -40 "$artifacts/log"
		for c in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-*; do
			[ -f "$c" ] && mkdir -p "tests/corpus/$module" && cp "$c" "tests/corpus/$module/" &&
				echo "fuzz: saved $(basename "$c") to tests/corpus/$module/"
		done
	fi
	rm -rf "$work" "$artifacts"
done
[ "$found" = 1 ] || echo "fuzz: no targets built"
