#!/usr/bin/python3
"""Server scale rows per back-end (SQLite; MySQL on a private MariaDB):
monbot-loadgen holds N TLS WebSocket agents (one key each) sending a sample
every interval (the agent's default 5 s) for the duration, and halfway
through kills STORM of them at once, each reconnecting after the agent's
own first delay (3.75-5 s) and resuming its TLS session from its ticket, as
after a server restart. Rows: agents held, samples/s stored, p50/p99
send->stored (ack), server RSS and per agent, server CPU, the storm's time
until every killed agent is back and storing, and the p99 of the agents
that stayed meanwhile.

The bench raises its own open-file limit (both processes hold N sockets;
as root up to fs.nr_open) and spreads the sessions over several loopback
addresses (each has about 28 000 ephemeral ports). The generator runs on
the same cores as the server: its TLS work (a full handshake costs the
client about what it costs the server) is in the figures.
  SCALE_AGENTS (100000)  SCALE_SECONDS (300)  SCALE_INTERVAL_MS (5000)
  SCALE_STORM (10000)  SCALE_DBS (sqlite mysql)
Where the open-file limit is lower than N (a hard limit this process may not
raise), the agents one process can hold send faster, so that the server
still gets N's samples a second; the RSS per agent says what N would take.
Targets (issue 15): 100 000 agents held, p99 <= 1 s, RSS <= 1 GiB; the
storm back in <= 10 s."""
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverbench import Sampler, Server, cpu_row, on_backends, proc_stat, row, run_loadgen, write_keys  # noqa: E402

N = int(os.environ.get("SCALE_AGENTS", "100000"))
SECS = int(os.environ.get("SCALE_SECONDS", "300"))
INTERVAL = int(os.environ.get("SCALE_INTERVAL_MS", "5000"))
STORM = int(os.environ.get("SCALE_STORM", "10000"))
DBS = os.environ.get("SCALE_DBS", "sqlite mysql").split()
PER_ADDR = 25000


def fig(v, f=".0f"):
    """A figure of the generator's JSON; null (none measured) as a dash."""
    return "–" if v is None else format(v, f)


def raise_fd_limit(want):
    """The open-file limit for this process and its children: want, or as
    much as the hard limit allows (raising that needs the privilege)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for lim in ((want, max(want, hard)), (min(want, hard), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, lim)
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def bench(db, base, mariadb, n, interval):
    srv = Server(base, db=db, mariadb=mariadb, tls=True, env={"LOG_LEVEL": "WARN"})
    keys_file = os.path.join(base, "keys.txt")
    nkeys = write_keys(srv, n, keys_file, bulk=True)
    srv.start()
    pid = srv.proc.pid
    time.sleep(1)
    idle_rss = proc_stat(pid)[1]
    sm = Sampler(pid)
    hosts = ",".join(f"127.0.0.{1 + i}" for i in range((nkeys + PER_ADDR - 1) // PER_ADDR))
    storm = min(STORM, nkeys)
    r, err, marks = run_loadgen(pid, ["--keys", keys_file, "--agents", str(nkeys), "--port", str(srv.port),
                                      "--host", hosts, "--interval-ms", str(interval), "--duration", str(SECS),
                                      "--ramp", "2000", "--ramp-timeout", "1800", "--inflight", "128",
                                      "--resume", "--storm", str(storm), "--storm-at", str(SECS // 2)])
    sm.stop()
    srv.stop()
    tag = f"server {db} at scale"
    if r is None:
        row(tag, "FAILED", f"loadgen: {err.strip()[-200:]}")
        return False
    per_s = 1000.0 / interval
    note = f"{nkeys} TLS agents, a sample every {interval / 1000:g} s, {SECS} s"
    row(f"{tag}: concurrent agents held", f"{r['held_at_end']}",
        f"{r['opened']} opened in {fig(r['ramp_seconds'], '.0f')} s (full handshakes), {r['dropped']} dropped, "
        f"{r['connect_failed']} failed to connect")
    row(f"{tag}: samples/s stored", f"{r['acked'] / max(r['seconds'], 1):.0f}",
        f"{note}; offered {nkeys * per_s:.0f}/s; acknowledged = committed")
    row(f"{tag}: p50 / p99 send to stored (ack)", f"{fig(r['p50_ms'])} / {fig(r['p99_ms'])} ms",
        f"max {fig(r['max_ms'])} ms; sent {r['sent']}, acked {r['acked']}, never acked {r['failed']}, "
        f"{r['storm_lost']} lost in flight to the storm")
    t0, ts, t1 = marks.get("t0", 0), marks.get("ts", 0), marks.get("t1", time.time())
    cpu_row(tag, marks)
    held = sm.peak_rss(t0, ts or t1)
    peak = sm.peak_rss(t0, t1)
    row(f"{tag}: server RSS, agents held", f"{held / 1048576:.0f} MiB",
        f"peak of the send phase before the storm, {nkeys} sessions; {idle_rss / 1048576:.0f} MiB before the "
        f"first: {(held - idle_rss) / max(nkeys, 1) / 1024:.1f} KiB an agent")
    row(f"{tag}: server RSS, storm included", f"{peak / 1048576:.0f} MiB",
        "peak of the whole send phase: the reconnects' handshakes")
    row(f"{tag}: storm, {storm} agents killed: all back and storing", f"{fig(r['storm_back_s'], '.1f')} s",
        f"{r['storm_back']} back; reconnects after 3.75-5 s (the agent's first delay) resuming their TLS "
        f"session; {r['storm_retries']} retried; {r['resumed']} resumed handshakes")
    row(f"{tag}: storm, the others' p50 / p99 meanwhile", f"{fig(r['storm_p50_ms'])} / {fig(r['storm_p99_ms'])} ms",
        "send->stored of the agents that stayed connected, from the kill until all are back")
    return r["failed"] == 0 and r["dropped"] == 0 and r["storm_back"] == storm


def main():
    want = N + 1024
    lim = raise_fd_limit(want)
    n = N if lim >= want else max(lim - 1024, 100)
    interval = INTERVAL
    if n < N:
        # the same offered rate from the agents one process may hold
        interval = max(int(INTERVAL * n / N), 100)
        row("server at scale: open-file limit", f"{lim}",
            f"{n} agents, a sample every {interval / 1000:g} s: the {N * 1000 / INTERVAL:.0f} samples/s of {N} "
            f"at {INTERVAL / 1000:g} s (the limit cannot be raised without CAP_SYS_RESOURCE; the server and the "
            f"generator each hold a socket per agent)")
    on_backends("mb-scale-bench.", DBS, lambda db, d, m: bench(db, d, m, n, interval), label="server at scale")


main()
