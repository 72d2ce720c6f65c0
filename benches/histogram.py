#!/usr/bin/env python3
"""Quantiles of Moat's stage histograms over a run, from two /metrics scrapes.

    benches/histogram.py BEFORE AFTER [stage ...]

For each stage of moat_stage_duration_seconds (default: transaction, relay, and all checks
summed per message as `checks`), subtracts BEFORE's buckets from AFTER's and prints count,
mean (exact, from _sum/_count) and p50/p99 interpolated linearly inside the bucket, as
Prometheus' histogram_quantile does. The buckets are 1, 2.5, 5, 10 ms …: a quantile inside
the first bucket is printed as "<1.00" (the mean is exact).
"""

import re
import sys

LINE = re.compile(
    r'^moat_stage_duration_seconds_(bucket|sum|count)\{([^}]*)\} ([0-9.eE+-]+|\+Inf)$'
)


def parse(path):
    """stage -> {"buckets": {le: cumulative}, "sum": s, "count": n}"""
    out = {}
    for line in open(path, encoding="utf-8"):
        m = LINE.match(line.strip())
        if not m:
            continue
        kind, labels, value = m.group(1), m.group(2), float(m.group(3))
        lab = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        h = out.setdefault(lab["stage"], {"buckets": {}, "sum": 0.0, "count": 0.0})
        if kind == "bucket":
            h["buckets"][float(lab["le"])] = value
        else:
            h[kind] = value
    return out


def delta(before, after, stage):
    a = after.get(stage)
    if a is None:
        return None
    b = before.get(stage, {"buckets": {}, "sum": 0.0, "count": 0.0})
    return {
        "buckets": {le: n - b["buckets"].get(le, 0.0) for le, n in a["buckets"].items()},
        "sum": a["sum"] - b["sum"],
        "count": a["count"] - b["count"],
    }


def quantile(h, q):
    total = h["count"]
    if total <= 0:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for le in sorted(h["buckets"]):
        n = h["buckets"][le]
        if n >= rank:
            if le == float("inf"):
                return lower
            inside = n - below
            return lower + (le - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = le, n
    return lower


def report(name, h):
    if h is None or h["count"] <= 0:
        print(f"  {name:<12} (no observations)")
        return
    first = min(h["buckets"])

    def q(p):
        v = quantile(h, p)
        # Inside the first bucket the interpolation says nothing: print "<1.00".
        return f"<{first * 1000:.2f}" if v <= first else f"{v * 1000:.2f}"

    mean = h["sum"] / h["count"] * 1000
    print(
        f"  {name:<12} n={h['count']:<7.0f} mean {mean:7.2f} ms"
        f"   p50 {q(0.5):>7} ms   p99 {q(0.99):>7} ms"
    )


def main():
    before, after = parse(sys.argv[1]), parse(sys.argv[2])
    stages = sys.argv[3:] or ["transaction", "relay", "verdict"]
    for s in stages:
        report(s, delta(before, after, s))
    checks = [s for s in after if s.startswith("check_")]
    for s in sorted(checks):
        report(s, delta(before, after, s))


if __name__ == "__main__":
    main()
