#!/usr/bin/env python3
"""Paced SMTP load: sends messages at a fixed rate (not as fast as possible) and prints the
latency of each message's end of DATA -> final reply, which is what a sender waits for.

    benches/paced.py PORT [--rate 500] [--seconds 10] [--size 4096] [--connections 20]

Message i is due at start + i/rate; a pool of persistent connections takes them in turn (a
connection that is still busy when its next message is due makes that message late, and the
lateness is reported). Prints one summary line: sent, achieved rate, p50/p99/max latency in ms.
Only the standard library; loopback only.
"""

import argparse
import asyncio
import time


async def reply(reader):
    """Reads one (possibly multi-line) SMTP reply; returns its code."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        if line[3:4] != b"-":
            return int(line[:3])


async def expect(reader, ok):
    code = await reply(reader)
    if code != ok:
        raise RuntimeError(f"expected {ok}, got {code}")


async def worker(port, body, queue, start, rate, latencies, lateness):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await expect(reader, 220)
    writer.write(b"EHLO client.bench.test\r\n")
    await expect(reader, 250)
    while True:
        i = await queue.get()
        if i is None:
            break
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        lateness.append(max(0.0, time.monotonic() - due))
        writer.write(b"MAIL FROM:<sender@origin.test>\r\n")
        await expect(reader, 250)
        writer.write(b"RCPT TO:<alice@example.test>\r\n")
        await expect(reader, 250)
        writer.write(b"DATA\r\n")
        await expect(reader, 354)
        writer.write(body)
        sent = time.monotonic()
        await expect(reader, 250)
        latencies.append(time.monotonic() - sent)
    writer.write(b"QUIT\r\n")
    await writer.drain()
    writer.close()


def message(size):
    head = (
        "From: Sender <sender@origin.test>\r\nTo: alice@example.test\r\n"
        "Subject: paced load\r\nMessage-ID: <paced@origin.test>\r\n"
        "Date: Thu, 26 Nov 2026 08:00:00 +0000\r\n\r\n"
    ).encode()
    line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
    body = bytearray(head)
    while len(body) < size:
        body += line
    return bytes(body) + b".\r\n"


def quantile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--connections", type=int, default=20)
    a = ap.parse_args()
    total = int(a.rate * a.seconds)
    queue = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    for _ in range(a.connections):
        queue.put_nowait(None)
    latencies, lateness = [], []
    body = message(a.size)
    start = time.monotonic() + 0.2
    await asyncio.gather(
        *(worker(a.port, body, queue, start, a.rate, latencies, lateness)
          for _ in range(a.connections))
    )
    elapsed = time.monotonic() - start
    latencies.sort()
    lateness.sort()
    print(
        f"sent {len(latencies)} in {elapsed:.2f} s ({len(latencies) / elapsed:.0f}/s): "
        f"latency p50 {quantile(latencies, 0.5) * 1000:.2f} ms "
        f"p99 {quantile(latencies, 0.99) * 1000:.2f} ms "
        f"max {latencies[-1] * 1000:.2f} ms; "
        f"start lateness p99 {quantile(lateness, 0.99) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
