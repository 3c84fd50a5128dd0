#!/usr/bin/env bash
# tools/run-tests.sh: what "make test" runs. Installs what is missing, builds the sanitizer
# build, runs every meson test (unit, corpus replay, integration, end-to-end) and every fuzz
# target for FUZZ_SECONDS, then prints one line "N passed, N failed" and exits non-zero on
# any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0

if [ ! -f build/build.ninja ]; then
	meson setup build -Db_sanitize=address,undefined -Db_lundef=false || { echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C build; then
	echo "build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

meson test -C build --print-errorlogs --num-processes 2
log=build/meson-logs/testlog.json
if [ -f "$log" ]; then
	read -r p f < <(python3 - "$log" <<'PY'
import json, sys
p = f = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL", "SKIP"):
        p += 1
    else:
        f += 1
print(p, f)
PY
)
	passed=$((passed + p))
	failed=$((failed + f))
else
	failed=$((failed + 1))
fi

if [ "${FUZZ_SECONDS:-30}" != "0" ]; then
	out=$(mktemp)
	bash tools/fuzz.sh | tee "$out"
	fp=$(grep -c '^fuzz: PASS' "$out" || true)
	ff=$(grep -c '^fuzz: FAIL' "$out" || true)
	passed=$((passed + fp))
	failed=$((failed + ff))
	rm -f "$out"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
