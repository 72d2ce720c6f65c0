#!/usr/bin/env bash
# Connection scale: Moat's resident memory per idle SMTP connection, and the time a normal
# message takes while they are open. Not a test gate; see benches/README.md.
#
#   benches/conn-scale.sh                    # 10000 idle connections
#   CONNECTIONS=20000 benches/conn-scale.sh
set -euo pipefail

cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-10000}"
# A moat binary to use instead of building one.
MOAT_BIN="${MOAT_BIN:-}"

# Moat and the client (two processes) each need one descriptor per connection, plus some:
# raise the soft limit as far as needed, or at least to the hard limit.
need=$((CONNECTIONS + 512))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
    echo "the hard fd limit ($hard) is below the $need descriptors needed" >&2
    exit 1
fi
ulimit -n "$need"

. benches/lib.sh
bench_binary

bench_workdir moat-conn-scale

port=$(free_port)
# Limits raised out of the way, idle timeouts longer than the run; a Maildir backend.
cat >"$work/moat.yaml" <<YAML
hostname: mx.bench.test
listen:
  - 127.0.0.1:$port
domains:
  - example.test
backend:
  protocol: maildir
  path: $work/mail
limits:
  max_connections: $((CONNECTIONS + 100))
  max_connections_per_ip: $((CONNECTIONS + 100))
  max_connections_per_network: $((CONNECTIONS + 100))
  # Every connection idles on purpose here: none may be shed to make room.
  shed_at_percent: 0
  timeouts:
    greeting: 10m
    command: 10m
log:
  level: warn
YAML
"$moat" serve --config "$work/moat.yaml" >"$work/moat.log" 2>&1 &
moat_pid=$!
pids+=("$moat_pid")

python3 - "$port" "$CONNECTIONS" "$moat_pid" "$work/mail" <<'PY'
import asyncio, os, smtplib, sys, time

port, count, pid, maildir = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def send_message(tag):
    """One normal message over a fresh connection; returns seconds from connect to QUIT."""
    start = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("client.bench.test")
        s.sendmail("sender@origin.test", ["alice@example.test"],
                   f"Subject: {tag}\r\nFrom: sender@origin.test\r\n\r\nhello\r\n")
    return time.monotonic() - start

async def idle_connection(i, held):
    # Spread source addresses over 127.0.0.0/8 (ephemeral ports are per source address).
    src = f"127.{1 + i // 60000}.{(i // 250) % 240 + 1}.{i % 250 + 1}"
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0))
    greeting = await reader.readline()
    if not greeting.startswith(b"220"):
        raise SystemExit(f"connection {i}: {greeting!r}")
    held.append(writer)

async def main():
    for _ in range(100):  # wait for the listener
        try:
            send_message("warm-up")
            break
        except OSError:
            time.sleep(0.1)
    send_message("warm-up")  # both code paths (session, delivery) touched once
    time.sleep(0.5)
    before = rss_kib()
    held = []
    opened = time.monotonic()
    batch = 200  # the listen backlog is finite: open in batches
    for start in range(0, count, batch):
        await asyncio.gather(*(idle_connection(i, held) for i in range(start, min(start + batch, count))))
    opened = time.monotonic() - opened
    await asyncio.sleep(1)
    after = rss_kib()
    took = send_message("during")
    delivered = sum(len(files) for d, _, files in os.walk(maildir) if d.endswith("/new"))
    print(f"idle connections open:   {len(held)} (opened in {opened:.1f} s)")
    print(f"moat RSS before / after: {before} KiB / {after} KiB")
    print(f"per idle connection:     {(after - before) / len(held):.1f} KiB")
    print(f"message while open:      {took * 1000:.0f} ms (connect to QUIT), {delivered} delivered in all")
    for w in held:
        w.close()

asyncio.run(main())
PY
