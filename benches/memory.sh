#!/usr/bin/env bash
# Peak memory of Moat under large concurrent messages: N sessions (40) each send one message
# of SIZE bytes (24 MiB) at once, from 127.0.0.1 and 127.0.0.2, through Moat (default rules,
# backend: Postfix's smtp-sink); a 4xx is retried (benches/memory-client.py). Prints the
# Moat process's peak RSS (VmHWM from /proc/PID/status) and what the client saw.
# Not a test gate (tests/guarantees/memory.rs is); see docs/SECURITY.md, "Memory budget".
#
#   benches/memory.sh                         # 40 x 24 MiB, limits.max_memory default (1 GiB)
#   MAX_MEMORY=256MiB benches/memory.sh
#   MOAT_BIN=/path/to/old/moat benches/memory.sh   # a build without limits.max_memory: MAX_MEMORY=
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

SESSIONS="${SESSIONS:-40}"
SIZE="${SIZE:-25165824}"
# limits.max_memory; empty: the key is left out (the default, or a build that predates it).
MAX_MEMORY="${MAX_MEMORY-}"
# Extra top-level YAML for Moat's config, e.g. MOAT_EXTRA=$'rules:\n  files: []' (rules off).
MOAT_EXTRA="${MOAT_EXTRA:-}"

command -v smtp-sink >/dev/null || { echo "smtp-sink not found (Debian package postfix)" >&2; exit 1; }

. benches/lib.sh
bench_binary
bench_workdir moat-memory

sink_user=()
[ "$(id -u)" -eq 0 ] && sink_user=(-u nobody)
sink_port=$(free_port)
smtp-sink "${sink_user[@]}" -h sink.bench.test "127.0.0.1:$sink_port" 1024 >"$work/sink.log" 2>&1 &
pids+=($!)
wait_port "$sink_port"

moat_port=$(free_port)
memory_yaml=""
[ -n "$MAX_MEMORY" ] && memory_yaml="  max_memory: $MAX_MEMORY"
cat >"$work/moat.yaml" <<YAML
hostname: mx.bench.test
listen:
  - 127.0.0.1:$moat_port
domains:
  - example.test
backend:
  protocol: smtp
  address: 127.0.0.1:$sink_port
limits:
  max_connections: 1000
  max_connections_per_ip: ${PER_IP:-20}
  max_message_size: 25MiB
$memory_yaml
log:
  level: warn
$MOAT_EXTRA
YAML
"$moat" serve --config "$work/moat.yaml" >"$work/moat.log" 2>&1 &
moat_pid=$!
pids+=("$moat_pid")
wait_port "$moat_port"

rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$moat_pid/status"; }
idle=$(rss VmRSS)
if [ "${CLIENT:-python}" = smtp-source ]; then
    # Postfix's client: all sessions at full speed from one address, no retries (a refused
    # message counts as not delivered). Needs max_connections_per_ip >= SESSIONS: PER_IP=.
    command -v smtp-source >/dev/null || { echo "smtp-source not found" >&2; exit 1; }
    started=$(date +%s.%N)
    smtp-source -s "$SESSIONS" -m "$SESSIONS" -l "$SIZE" -f a@sender.test -t alice@example.test \
        "127.0.0.1:$moat_port" >"$work/source.log" 2>&1 || true
    result="smtp-source done in $(echo "$(date +%s.%N) - $started" | bc) s; said: $(head -c 300 "$work/source.log" | tr "\n" " ")"
else
    result=$(python3 benches/memory-client.py "$moat_port" "$SESSIONS" "$SIZE")
fi
peak=$(rss VmHWM)
echo "moat $("$moat" --version 2>/dev/null || echo "$moat") sessions=$SESSIONS size=$SIZE max_memory=${MAX_MEMORY:-default}"
echo "client: $result"
awk -v idle="$idle" -v peak="$peak" -v n="$SESSIONS" -v size="$SIZE" 'BEGIN {
    printf "RESULT idle_rss=%.0fMiB peak_rss=%.0fMiB per_message=%.2fx\n",
        idle / 1024, peak / 1024, (peak - idle) * 1024 / (n * size)
}'
