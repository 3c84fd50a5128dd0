#!/usr/bin/env bash
# bench/api_bench.sh: start a release privnum-control on loopback with a temp data dir, run
# bench/api_bench against its plain-HTTP port (bind, query, unbind), stop it.
# Usage: bench/api_bench.sh [BUILD_DIR (default build-release)] [api_bench args...]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-release}
shift || true
dir=$(mktemp -d /tmp/pnbench.XXXXXX)
token=bench-token-$$
"$B/control/privnum-control" -D "$dir" -o http.port=0 -o https.address=off \
	-o admin.token="$token" -o stream.socket="$dir/s.sock" -o http.threads=2 \
	-o http.max_connections=4096 >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*http=\([0-9]*\).*/\1/p' "$dir/out")
[ -n "$port" ] || { cat "$dir/err"; exit 1; }
"$B/bench/api_bench" --url "http://127.0.0.1:$port" --admin-token "$token" --server-pid "$pid" "$@"
