#!/usr/bin/env bash
# Relay throughput: Postfix's smtp-source straight into smtp-sink, then through Moat (backend:
# smtp → the same smtp-sink), in one run on loopback. Prints messages/s for both and the ratio.
# Not a test gate; see benches/README.md.
#
#   benches/relay-load.sh                  # -s 20 -m 5000 -l 4096
#   SESSIONS=50 MESSAGES=20000 SIZE=10240 benches/relay-load.sh
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

SESSIONS="${SESSIONS:-20}"      # smtp-source -s: parallel sessions
MESSAGES="${MESSAGES:-5000}"    # smtp-source -m: messages in total
SIZE="${SIZE:-4096}"            # smtp-source -l: message size in bytes
LOG_LEVEL="${LOG_LEVEL:-info}"  # Moat's log level during the run
# Extra smtp-source options, e.g. SOURCE_OPTS=-d (several messages per connection).
SOURCE_OPTS="${SOURCE_OPTS:-}"
# Extra top-level YAML for Moat's config, e.g. MOAT_EXTRA=$'rules:\n  files: []' (rules off).
MOAT_EXTRA="${MOAT_EXTRA:-}"
# Extra YAML lines for the backend section, indented by two spaces, e.g.
# BACKEND_EXTRA=$'  pool:\n    max_idle: 0' (backend connection pool off).
BACKEND_EXTRA="${BACKEND_EXTRA:-}"
# A moat binary to use instead of building one (e.g. to compare two builds).
MOAT_BIN="${MOAT_BIN:-${MOAT:-}}"  # MOAT= is accepted too
# AUTH=1: SPF/DKIM/DMARC/iprev on, against a loopback dnsmasq serving the sender's zone.
AUTH="${AUTH:-0}"
# CEILING=1: also relay through HAProxy in TCP mode (a byte splice, no SMTP at all): the most
# any proxy between smtp-source and smtp-sink can keep of the direct rate on this machine.
CEILING="${CEILING:-0}"
# PACED=RATE: afterwards, paced.py at RATE messages/s for PACED_SECONDS, direct and via Moat.
PACED="${PACED:-}"
PACED_SECONDS="${PACED_SECONDS:-10}"

for tool in smtp-sink smtp-source; do
    command -v "$tool" >/dev/null || { echo "$tool not found (Debian package postfix)" >&2; exit 1; }
done

. benches/lib.sh
bench_binary

bench_workdir moat-bench

# smtp-sink refuses to run as root without -u.
sink_user=()
[ "$(id -u)" -eq 0 ] && sink_user=(-u nobody)
sink_port=$(free_port)
smtp-sink "${sink_user[@]}" -h sink.bench.test "127.0.0.1:$sink_port" 1024 >"$work/sink.log" 2>&1 &
pids+=($!)
wait_port "$sink_port"

# The sender's DNS, answered at once from loopback (NXDOMAIN for every other name): SPF passes
# for 127.0.0.1, DMARC p=none, 127.0.0.1 ↔ client.bench.test for iprev. dnsmasq answers as the
# authority for `test` and 127/8, with a 300 s TTL and an SOA on NXDOMAIN, as a real zone does:
# Moat's resolver caches the answers (and the "no such record" answers, RFC 2308), as in
# production for a steady sender. Without the SOA and the TTL every message would query again.
auth_yaml=""
if [ "$AUTH" = 1 ]; then
    command -v dnsmasq >/dev/null || { echo "dnsmasq not found (Debian package dnsmasq-base)" >&2; exit 1; }
    dns_port=$(free_port)
    dnsmasq -k --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
        --port="$dns_port" --address=/#/ --user=root --group=root --pid-file= \
        --txt-record=origin.test,"v=spf1 ip4:127.0.0.1 -all" \
        --txt-record=_dmarc.origin.test,"v=DMARC1; p=none" \
        --txt-record=client.bench.test,"v=spf1 ip4:127.0.0.1 -all" \
        --ptr-record=1.0.0.127.in-addr.arpa,client.bench.test \
        --host-record=client.bench.test,127.0.0.1 --local-ttl=300 \
        --auth-zone=test,127.0.0.0/8 --auth-server=ns.test,127.0.0.1 \
        --auth-soa=1,hostmaster.test,1200,120,604800 >"$work/dnsmasq.log" 2>&1 &
    pids+=($!)
    wait_port "$dns_port"
    auth_yaml=$(printf 'dns:\n  nameservers: ["127.0.0.1:%s"]\nauth:\n  enabled: true' "$dns_port")
fi

moat_port=$(free_port)
admin_port=$(free_port)
cat >"$work/moat.yaml" <<EOF
hostname: mx.bench.test
listen:
  - 127.0.0.1:$moat_port
domains:
  - example.test
backend:
  protocol: smtp
  address: 127.0.0.1:$sink_port
$BACKEND_EXTRA
limits:
  max_connections: 10000
  max_connections_per_ip: 10000
  max_connections_per_network: 10000
log:
  level: $LOG_LEVEL
admin:
  listen: 127.0.0.1:$admin_port
$auth_yaml
$MOAT_EXTRA
EOF
"$moat" serve --config "$work/moat.yaml" >"$work/moat.log" 2>&1 &
moat_pid=$!
pids+=("$moat_pid")
wait_port "$moat_port"
wait_port "$admin_port"

scrape() {
    python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
        "http://127.0.0.1:$admin_port/metrics" >"$1"
}

# Runs smtp-source against a port; prints elapsed seconds.
run_source() {
    local port=$1 start end
    start=$(date +%s.%N)
    # shellcheck disable=SC2086 # SOURCE_OPTS is a list of options
    if ! smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" $SOURCE_OPTS \
        -f sender@origin.test -t alice@example.test -M client.bench.test \
        "127.0.0.1:$port" >"$work/source-$port.log" 2>&1; then
        echo "smtp-source against port $port failed:" >&2
        cat "$work/source-$port.log" >&2
        echo "--- moat log (last lines) ---" >&2
        tail -20 "$work/moat.log" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}

auth_note=""
[ "$AUTH" = 1 ] && auth_note=", SPF/DKIM/DMARC/iprev on"
echo "smtp-source -s $SESSIONS -m $MESSAGES -l $SIZE $SOURCE_OPTS (moat log level: $LOG_LEVEL$auth_note)"
direct=$(run_source "$sink_port")
# Moat's CPU time (user + system, in clock ticks) around its run: unlike the rates, it hardly
# depends on what else the machine is doing.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$moat_pid/stat"; }
cpu_before=$(cpu_ticks)
scrape "$work/before"
via_moat=$(run_source "$moat_port")
cpu_after=$(cpu_ticks)
scrape "$work/after"

awk -v n="$MESSAGES" -v d="$direct" -v m="$via_moat" 'BEGIN {
    printf "%-22s %8.2f s %10.0f messages/s\n", "smtp-sink directly:", d, n / d
    printf "%-22s %8.2f s %10.0f messages/s\n", "through Moat:", m, n / m
    printf "Moat / direct: %.2f of the direct rate\n", (n / m) / (n / d)
}'
awk -v n="$MESSAGES" -v t="$((cpu_after - cpu_before))" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "Moat CPU time: %.2f s, %.0f us per message\n", t / hz, t / hz / n * 1e6
}'
echo "Moat's stage histograms over the run (transaction = end of DATA -> reply, relay = backend):"
python3 benches/histogram.py "$work/before" "$work/after"
# One line for benches/relay-matrix.sh.
awk -v n="$MESSAGES" -v d="$direct" -v m="$via_moat" 'BEGIN {
    printf "RESULT direct=%.0f moat=%.0f ratio=%.2f\n", n / d, n / m, (n / m) / (n / d)
}'

if [ "$CEILING" = 1 ]; then
    command -v haproxy >/dev/null || { echo "haproxy not found (Debian package haproxy)" >&2; exit 1; }
    splice_port=$(free_port)
    cat >"$work/haproxy.cfg" <<EOF
global
    maxconn 4000
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen splice
    bind 127.0.0.1:$splice_port
    server sink 127.0.0.1:$sink_port
EOF
    haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
    pids+=($!)
    wait_port "$splice_port"
    spliced=$(run_source "$splice_port")
    awk -v n="$MESSAGES" -v d="$direct" -v h="$spliced" 'BEGIN {
        printf "%-22s %8.2f s %10.0f messages/s\n", "through HAProxy (TCP):", h, n / h
        printf "HAProxy / direct: %.2f of the direct rate (the ceiling for any proxy here)\n", (n / h) / (n / d)
    }'
fi

if [ -n "$PACED" ]; then
    echo "paced: $PACED messages/s for $PACED_SECONDS s, $SIZE bytes, 20 persistent connections"
    printf '  %-14s ' "directly:"
    python3 benches/paced.py "$sink_port" --rate "$PACED" --seconds "$PACED_SECONDS" --size "$SIZE"
    scrape "$work/paced-before"
    printf '  %-14s ' "through Moat:"
    python3 benches/paced.py "$moat_port" --rate "$PACED" --seconds "$PACED_SECONDS" --size "$SIZE"
    scrape "$work/paced-after"
    python3 benches/histogram.py "$work/paced-before" "$work/paced-after"
fi
