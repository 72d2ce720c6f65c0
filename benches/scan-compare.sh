#!/usr/bin/env bash
# Scan throughput: `moat scan` versus rspamd (rspamc → a local rspamd) and SpamAssassin
# (spamc → a local spamd), on the same files in the same run, every tool's DNS pointed at a
# loopback dnsmasq that answers NXDOMAIN to everything at once, so CPU is what is compared.
# Prints messages/s of each and the ratios. Not a test gate; see docs/PERFORMANCE.md.
#
#   benches/scan-compare.sh            # spam-1 + easy-ham-1 (3000 messages), 2 clients each
#   JOBS=1 ROUNDS=1 benches/scan-compare.sh
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

JOBS="${JOBS:-2}"      # concurrent clients (and server workers) per tool
ROUNDS="${ROUNDS:-2}"  # each tool is timed this many times, interleaved
SAMPLE="${SAMPLE:-1}"  # keep every SAMPLE-th file (1: all 3000), for a quicker run
SPAMASSASSIN="${SPAMASSASSIN:-1}"  # 0: leave SpamAssassin out (it is by far the slowest)
CORPUS="${MOAT_CORPUS_DIR:-/var/tmp/moat-corpus}"

for tool in rspamd rspamc spamd spamc dnsmasq python3; do
    command -v "$tool" >/dev/null || {
        echo "$tool not found (Debian packages: rspamd spamassassin spamc dnsmasq-base python3)" >&2
        exit 1
    }
done

# MOAT=path: that binary instead of building one. MOAT_BASELINE=path: also time that binary
# (e.g. a build of the previous commit), for before/after figures from the same run.
. benches/lib.sh
bench_binary
baseline="${MOAT_BASELINE:-}"

if [ ! -d "$CORPUS/spam-1" ] || [ ! -d "$CORPUS/easy-ham-1" ]; then
    echo "fetching the corpus: scripts/corpus.sh" >&2
    scripts/corpus.sh "$moat" >/dev/null
fi

bench_workdir moat-scan
chmod 755 "$work"

# The same files for every tool, dealt round-robin into one list per client.
find "$CORPUS/spam-1" "$CORPUS/easy-ham-1" -type f | sort | awk -v k="$SAMPLE" 'NR % k == 0' >"$work/all"
total=$(wc -l <"$work/all")
for j in $(seq 0 $((JOBS - 1))); do
    awk -v n="$JOBS" -v j="$j" 'NR % n == j' "$work/all" >"$work/list.$j"
done

# DNS: NXDOMAIN for every name, at once (UDP and TCP).
dns_port=$(free_port)
dnsmasq -k --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
    --port="$dns_port" --address=/#/ --user=root --group=root --pid-file= \
    >"$work/dnsmasq.log" 2>&1 &
pids+=($!)
wait_port "$dns_port" 300

# --- Moat: the default config with the whole rule pack, sender authentication on, and
# optionally a classifier trained on the same folders (training is not timed).
cat >"$work/moat.yaml" <<EOF
hostname: mx.bench.test
listen: [127.0.0.1:25]
domains: [example.test]
backend: {protocol: smtp, address: 127.0.0.1:26}
dns:
  nameservers: ["127.0.0.1:$dns_port"]
auth:
  enabled: true
log:
  level: warn
EOF
cp "$work/moat.yaml" "$work/moat-bayes.yaml"
printf 'bayes:\n  model: %s\n' "$work/bayes.model" >>"$work/moat-bayes.yaml"
"$moat" learn --config "$work/moat-bayes.yaml" --model "$work/bayes.model" \
    --spam "$CORPUS/spam-1" --ham "$CORPUS/easy-ham-1" >"$work/learn.log" 2>&1

# --- rspamd 3.x, Debian's configuration with a local.d of our own: workers on loopback
# ports, our DNS, no fuzzy (it would ask rspamd.com's servers), no redis (modules that need
# it switch themselves off, Bayes included).
rspamd_port=$(free_port)
rspamd_ctl=$(free_port)
# Its compiled Hyperscan database is kept between runs (compiling takes minutes).
rspamd_db=/var/tmp/moat-bench-rspamd
mkdir -p "$work/rspamd/local.d" "$work/rspamd/override.d" "$work/rspamd/run" "$rspamd_db"
chown nobody:nogroup "$rspamd_db"
cat >"$work/rspamd/local.d/options.inc" <<EOF
dns { nameserver = ["127.0.0.1:$dns_port"]; timeout = 1s; retransmits = 1; }
EOF
cat >"$work/rspamd/local.d/worker-normal.inc" <<EOF
bind_socket = "127.0.0.1:$rspamd_port";
count = $JOBS;
EOF
echo "bind_socket = \"127.0.0.1:$rspamd_ctl\";" >"$work/rspamd/local.d/worker-controller.inc"
echo 'enabled = false;' >"$work/rspamd/override.d/worker-proxy.inc"
echo 'enabled = false;' >"$work/rspamd/override.d/worker-fuzzy.inc"
echo 'enabled = false;' >"$work/rspamd/local.d/fuzzy_check.conf"
echo "type = \"file\"; filename = \"$work/rspamd/rspamd.log\"; level = \"info\";" \
    >"$work/rspamd/override.d/logging.inc"
chown -R nobody:nogroup "$work/rspamd"
rspamd -f -u nobody -g nogroup -c /etc/rspamd/rspamd.conf \
    --var="LOCAL_CONFDIR=$work/rspamd" --var="DBDIR=$rspamd_db" \
    --var="RUNDIR=$work/rspamd/run" --var="LOGDIR=$work/rspamd" >"$work/rspamd.out" 2>&1 &
pids+=($!)
wait_port "$rspamd_port" 300
# Until the Hyperscan database is loaded (compiled: by the main process from the cache, else
# by each worker once hs_helper has compiled it; before that rspamd runs slower PCRE).
for i in $(seq 600); do
    loaded=$(grep -c 'hyperscan database of .* has been loaded' "$work/rspamd/rspamd.log" || true)
    [ "$loaded" -ge 1 ] && break
    [ "$i" -eq 600 ] && echo "rspamd: no Hyperscan database after 5 min, going on" >&2
    sleep 0.5
done

# --- SpamAssassin 4: spamd with Debian's site config plus our DNS server, local tests only
# (-L: no DNS blocklists), no Bayes (untrained, as rspamd's without Redis).
spamd_port=$(free_port)
if [ "$SPAMASSASSIN" = 1 ]; then
cp -r /etc/spamassassin "$work/sa"
cat >>"$work/sa/local.cf" <<EOF
dns_server 127.0.0.1:$dns_port
use_bayes 0
EOF
chown -R nobody:nogroup "$work/sa"
spamd -L --siteconfigpath="$work/sa" --listen="127.0.0.1:$spamd_port" \
    --allowed-ips=127.0.0.1 --min-children="$JOBS" --max-children="$JOBS" \
    --min-spare=0 --max-spare="$JOBS" -u nobody -g nogroup --nouser-config \
    --syslog="$work/spamd.log" >"$work/spamd.out" 2>&1 &
pids+=($!)
wait_port "$spamd_port" 300
fi

# One client per list, all at once; prints the elapsed seconds.
timed() {
    local start end j failed=0 jobs=()
    start=$(date +%s.%N)
    for j in $(seq 0 $((JOBS - 1))); do
        "$@" "$work/list.$j" >"$work/out.$j" 2>&1 &
        jobs+=($!)
    done
    for j in "${jobs[@]}"; do wait "$j" || failed=1; done
    end=$(date +%s.%N)
    [ "$failed" -eq 0 ] || { echo "a client failed: $*" >&2; tail -5 "$work/out."* >&2; exit 1; }
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}
moat_scan() { xargs -d '\n' "$moat" scan --config "$work/moat.yaml" <"$1"; }
baseline_scan() { xargs -d '\n' "$baseline" scan --config "$work/moat.yaml" <"$1"; }
moat_scan_bayes() { xargs -d '\n' "$moat" scan --config "$work/moat-bayes.yaml" <"$1"; }
rspamd_scan() { xargs -d '\n' rspamc -h "127.0.0.1:$rspamd_port" -n 1 -t 60 <"$1"; }
spamd_scan() {
    local f
    while IFS= read -r f; do spamc -d 127.0.0.1 -p "$spamd_port" -c -t 60 <"$f" || [ $? -eq 1 ]; done <"$1"
}

# Warm-up: each server's workers load their rules and start their interpreters; Moat's and the
# corpus' pages come into the page cache, so that the first tool timed is not the one that
# reads the files from disk.
head -50 "$work/all" >"$work/warm"
xargs -d '\n' cat <"$work/all" >/dev/null
xargs -d '\n' "$moat" scan --config "$work/moat.yaml" <"$work/warm" >/dev/null
xargs -d '\n' rspamc -h "127.0.0.1:$rspamd_port" <"$work/warm" >/dev/null
if [ "$SPAMASSASSIN" = 1 ]; then
    while IFS= read -r f; do spamc -d 127.0.0.1 -p "$spamd_port" -c <"$f" >/dev/null || true; done <"$work/warm"
fi

echo "$total messages (spam-1 + easy-ham-1, every ${SAMPLE}th), $JOBS concurrent clients per tool, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
    m=$(timed moat_scan)
    grep -h '^summary' "$work/out."* >"$work/moat-summary"
    mb=$(timed moat_scan_bayes)
    r=$(timed rspamd_scan)
    s=0
    [ "$SPAMASSASSIN" = 1 ] && s=$(timed spamd_scan)
    b=0
    [ -n "$baseline" ] && b=$(timed baseline_scan)
    awk -v n="$total" -v round="$round" -v m="$m" -v mb="$mb" -v r="$r" -v s="$s" -v b="$b" 'BEGIN {
        printf "round %d\n", round
        printf "  %-34s %8.2f s %9.0f messages/s\n", "moat scan (rules + auth):", m, n / m
        printf "  %-34s %8.2f s %9.0f messages/s\n", "moat scan (rules + auth + bayes):", mb, n / mb
        printf "  %-34s %8.2f s %9.0f messages/s\n", "rspamc -> rspamd:", r, n / r
        if (s > 0) printf "  %-34s %8.2f s %9.0f messages/s\n", "spamc -> spamd -L:", s, n / s
        if (b > 0) printf "  %-34s %8.2f s %9.0f messages/s (this build: %.2fx)\n", "MOAT_BASELINE (rules + auth):", b, n / b, b / m
        printf "  Moat / rspamd: %.1fx (with bayes %.1fx)\n", r / m, r / mb
        if (s > 0) printf "  Moat / SpamAssassin: %.1fx (with bayes %.1fx)\n", s / m, s / mb
    }'
done
echo "moat verdicts (rules + auth):"
sed 's/^/  /' "$work/moat-summary"
