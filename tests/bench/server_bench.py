#!/usr/bin/python3
"""Server bench rows per back-end (SQLite; MySQL on a private MariaDB):
monbot-loadgen opens N TLS WebSocket agents (one key each), then each sends
a sample a second for the duration. Rows: concurrent agents held, samples/s
ingested, p50/p99 send-to-ack (the ack is sent once the row is committed:
send-to-stored plus one hop), server RSS (peak over the send phase) and CPU,
TLS handshakes a second while connecting (full ones: the generator offers
no session).
  SERVER_BENCH_AGENTS (5000)  SERVER_BENCH_SECONDS (60)  SERVER_BENCH_DBS (sqlite mysql)
Target (issue 4): 5000 agents, p99 < 2 s, RSS < 256 MiB on both back-ends."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverbench import Sampler, Server, cpu_row, on_backends, row, run_loadgen, write_keys  # noqa: E402

N = int(os.environ.get("SERVER_BENCH_AGENTS", "5000"))
SECS = int(os.environ.get("SERVER_BENCH_SECONDS", "60"))
DBS = os.environ.get("SERVER_BENCH_DBS", "sqlite mysql").split()


def bench(db, base, mariadb):
    srv = Server(base, db=db, mariadb=mariadb, tls=True, env={"LOG_LEVEL": "WARN"})
    keys_file = os.path.join(base, "keys.txt")
    nkeys = write_keys(srv, N, keys_file)
    srv.start()
    sm = Sampler(srv.proc.pid)
    r, err, marks = run_loadgen(srv.proc.pid, ["--keys", keys_file, "--agents", str(nkeys), "--port",
                                               str(srv.port), "--duration", str(SECS), "--ramp", "400"])
    sm.stop()
    srv.stop()
    if r is None:
        row(f"server {db}", "FAILED", f"loadgen: {err.strip()[-200:]}")
        return False
    tag = f"server {db}"
    note = f"{nkeys} TLS agents, 1 sample/s each, {SECS} s"
    row(f"{tag}: concurrent agents held", f"{r['held_at_end']}", f"{r['opened']} opened, {r['dropped']} dropped")
    row(f"{tag}: samples/s ingested", f"{r['acked'] / max(r['seconds'], 1):.0f}",
        note + "; acknowledged = committed")
    cpu_row(tag, marks)
    rss_send = sm.peak_rss(marks.get("t0", 0), marks.get("t1", float("inf")))
    row(f"{tag}: p50 / p99 send to stored (ack)", f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms",
        f"max {r['max_ms']:.0f} ms; sent {r['sent']}, acked {r['acked']}, failed {r['failed']}")
    row(f"{tag}: server RSS", f"{rss_send / 1048576:.0f} MiB", f"peak over the send phase, {nkeys} sessions")
    if r.get("ramp_seconds") and r["ramp_seconds"] == r["ramp_seconds"]:
        row(f"{tag}: TLS sessions opened per second", f"{r['opened'] / r['ramp_seconds']:.0f}",
            "ECDHE-ECDSA P-256 handshakes, loadgen and server on the same 2 cores")
    return r["failed"] == 0 and r["dropped"] == 0


on_backends("mb-server-bench.", DBS, bench)
