#!/usr/bin/env python3
"""Deterministic sample CSVs for chart tests, goldens, the bench and the
README pictures (no randomness from the library: a fixed LCG, fixed float
formatting, so every run writes the same bytes).

usage: chart_gen.py NAME OUT.csv
"""
import math
import sys

END = 1764000000  # 2025-11-24 16:00:00 UTC


class Lcg:
    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFF

    def next(self):  # 0 <= x < 1
        self.s = (self.s * 1664525 + 1013904223) & 0xFFFFFFFF
        return self.s / 4294967296.0


def f(v):
    return "" if v is None else ("%.3f" % v).rstrip("0").rstrip(".")


def host(span, step, seed, gaps=(), gpu=True, null_every=0):
    """A desktop's day: CPU with bursts, RAM creeping, a GPU job, net traffic."""
    r = Lcg(seed)
    rows = []
    t0 = END - span
    n = span // step + 1
    cpu = 12.0
    for i in range(n):
        t = t0 + i * step
        if any(a <= t < b for a, b in gaps):
            continue
        ph = (t - t0) / span
        # mean-reverting noise around a daily load curve, as real hosts show
        target = 14 + 10 * math.sin(ph * math.pi * 2 * max(1, span / 86400) - 1.2)
        cpu += 0.15 * (target - cpu) + (r.next() - 0.5) * 6
        cpu = min(max(cpu, 1), 60)
        burst = 35 * math.exp(-((ph - 0.62) * 14) ** 2)
        c = min(100.0, cpu + burst + (r.next() * 30 if r.next() < 0.02 else 0))
        ram = 38 + 20 * ph + 4 * math.sin(ph * 9) + r.next()
        g = v = None
        if gpu:
            job = 1 if 0.3 < ph < 0.45 else 0
            g = min(100.0, job * (85 + r.next() * 15) + r.next() * 3)
            v = 11 + job * 55 + r.next()
        day = 0.5 + 0.5 * math.sin(ph * math.pi * 2 * max(1, span / 86400))
        up = (40e3 + 200e3 * day + r.next() * 80e3) * (6 if 0.7 < ph < 0.72 else 1)
        down = (300e3 + 4e6 * day * r.next() + (25e6 if 0.2 < ph < 0.23 else 0))
        if null_every and i % null_every == 7:
            c = None
        rows.append((t, c, ram, g, v, ram * 16e9 / 100, v * 81.92 if v is not None else None, up, down))
    return rows


def write(rows, out, cols):
    with open(out, "w") as fh:
        fh.write(",".join(cols) + "\n")
        for row in rows:
            fh.write(",".join(str(row[0]) if k == 0 else f(row[k]) for k in range(len(cols))) + "\n")


HOST_COLS = ["ts", "cpu", "ram", "gpu", "vram", "ram_used", "vram_used", "net_up", "net_down"]


def stability(out, interval_ms=100, seconds=900, seed=7):
    r = Lcg(seed)
    t0 = END - seconds
    n = seconds * 1000 // interval_ms
    with open(out, "w") as fh:
        fh.write("ts,rtt\n")
        for i in range(n):
            t = t0 + i * interval_ms / 1000
            lost = 300 <= t - t0 < 312 or 640 <= t - t0 < 646 or r.next() < 0.004
            rtt = None if lost else 21 + 6 * r.next() + (40 * r.next() if r.next() < 0.01 else 0)
            fh.write("%s,%s\n" % (("%.3f" % t).rstrip("0").rstrip("."), f(rtt)))


def main():
    name, out = sys.argv[1], sys.argv[2]
    if name == "day":            # 24 h at 60 s, one outage, GPU present
        write(host(86400, 60, 1, gaps=[(END - 40000, END - 36000)]), out, HOST_COLS)
    elif name == "day5s":        # 24 h of 5 s samples
        write(host(86400, 5, 2), out, HOST_COLS)
    elif name == "tenmin":       # 10 min of 5 s samples, a 40 s gap
        write(host(600, 5, 3, gaps=[(END - 300, END - 260)]), out, HOST_COLS)
    elif name == "week":         # 7 d of per-minute rollups as averages
        write(host(7 * 86400, 60, 4, gaps=[(END - 3 * 86400, END - 3 * 86400 + 7200)]), out, HOST_COLS)
    elif name == "month5s":      # 30 d of 5 s samples: 518 400 rows
        write(host(30 * 86400 - 5, 5, 5, gpu=False), out, HOST_COLS)
    elif name == "nogpu":        # a server without a GPU, CPU nulls sometimes
        write(host(3600, 5, 6, gpu=False, null_every=50), out, HOST_COLS)
    elif name == "stability":
        stability(out)
    else:
        sys.exit("unknown data set " + name)


if __name__ == "__main__":
    main()
