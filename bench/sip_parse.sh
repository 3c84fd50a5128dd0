#!/usr/bin/env bash
# bench/sip_parse.sh [BUILD_DIR]: SIP parse benchmark. Runs bench_sip_parse (messages/s per
# core, ours vs Sofia-SIP vs a naive split loop), then counts instructions per message for each
# case with callgrind: two runs of N and 2N iterations, the difference divided by N (start-up
# and one-time costs cancel out). Needs a release build: meson setup build-release
# --buildtype=release && ninja -C build-release bench/bench_sip_parse.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-release}
bin=$build/bench/bench_sip_parse
[ -x "$bin" ] || { echo "no $bin (build it first)"; exit 1; }
secs=${SECONDS_PER_FIGURE:-2.5}
n=${CALLGRIND_N:-5000}

"$bin" --seconds "$secs"

if ! command -v valgrind >/dev/null; then
	echo "(valgrind not installed: no instruction counts)"
	exit 0
fi
cases="locate core full naive"
"$bin" --iterations 1 --case sofia --msg ack >/dev/null 2>&1 && cases="$cases sofia"
ir() { # case msg iterations -> total Ir
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --iterations "$3" \
		--case "$1" --msg "$2" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo
echo "instructions per message (callgrind, (Ir(2N) - Ir(N)) / N, N=$n):"
printf '%-8s' message
for c in $cases; do printf ' %10s' "$c"; done
printf ' %11s\n' "sofia/full"
for m in invite 200ok ack; do
	printf '%-8s' "$m"
	full=0 sofia=0
	for c in $cases; do
		a=$(ir "$c" "$m" "$n")
		b=$(ir "$c" "$m" $((2 * n)))
		per=$(( (b - a) / n ))
		[ "$c" = full ] && full=$per
		[ "$c" = sofia ] && sofia=$per
		printf ' %10d' "$per"
	done
	if [ "$full" -gt 0 ] && [ "$sofia" -gt 0 ]; then
		awk -v s="$sofia" -v f="$full" 'BEGIN { printf " %11.1f\n", s / f }'
	else
		echo
	fi
done
