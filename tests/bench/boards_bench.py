#!/usr/bin/python3
"""Board rows of `make bench` (boards/*.mk, issue "Linux boards"):
  - each board's agent stripped (its own binutils' strip), static or not,
    against the 250 KB target;
  - RSS of each board's agent over BOARD_RSS_S seconds (default 600) at a 1 s
    interval, all at once, each connected over TLS (pinning) to one real
    monbot-server on SQLite: x86_64 natively, the others under qemu-user
    (whose own memory is in the figure: the row gives the first reading, the
    last, the lowest and the highest, read every 10 s from VmRSS), and the
    samples the server stored for each.
make bench builds the boards first (make boards)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "lib"))
from server import Server, start_agent, stop_agent, tmpdir  # noqa: E402

BOARDS = os.environ.get("MONBOT_BOARDS", "x86_64 armhf arm64 mipsel mips").split()
TARGET = 250 * 1024
RSS_S = int(os.environ.get("BOARD_RSS_S", "600"))


def board_var(board, name):
    for line in open(os.path.join(ROOT, "boards", board + ".mk")):
        m = re.match(r"^%s := (.*)$" % name, line.rstrip("\n"))
        if m:
            return m.group(1)
    return ""


def kib(n):
    return "%.0f KiB" % (n / 1024.0)


def rss_kib(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def main():
    tmp = tempfile.mkdtemp(prefix="mb-boards-bench.")
    rc = 0
    bins = {}
    try:
        for b in BOARDS:
            binary = os.path.join(ROOT, "build", b, "monbot-agent")
            if not os.access(binary, os.X_OK):
                print("| agent, BOARD=%s | FAILED | %s not built (make boards) |" % (b, binary))
                rc = 1
                continue
            triplet = board_var(b, "BOARD_TRIPLET")
            strip = (triplet + "-strip") if triplet else "strip"
            out = os.path.join(tmp, "agent-" + b)
            subprocess.run([strip, "-o", out, binary], check=True)
            size = os.path.getsize(out)
            hdr = subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True).stdout
            dyn = subprocess.run(["readelf", "-dW", binary], capture_output=True, text=True).stdout
            static = "INTERP" not in hdr and "NEEDED" not in dyn
            verdict = "within" if size <= TARGET else "OVER"
            print("| agent, BOARD=%s, stripped | %s (%d bytes) | %s the 250 KB target; %s; musl, mbedTLS "
                  "(boards/mbedtls_agent_config.h), %s |" %
                  (b, kib(size), size, verdict, "fully static" if static else "NOT static",
                   board_var(b, "BOARD_ARCH_CFLAGS") or "x86-64"))
            qemu = board_var(b, "BOARD_QEMU")
            if qemu:
                w = os.path.join(tmp, "run-" + b)
                with open(w, "w") as f:
                    f.write('#!/bin/sh\nexec %s %s "$@"\n' % (qemu, binary))
                os.chmod(w, 0o755)
                bins[b] = (w, qemu.split()[0])
            else:
                bins[b] = (binary, "native")
        if RSS_S <= 0 or not bins:
            return rc
        base = tmpdir("mb-boards-rss.")
        srv = Server(base, tls=True).start()
        try:
            agents = {}
            for b, (path, how) in bins.items():
                key = srv.new_key("board-" + b)
                agents[b] = (key, how, start_agent(srv, key, os.path.join(base, b), interval=1, binary=path))
            readings = {b: [] for b in agents}
            end = time.monotonic() + RSS_S
            first = True
            while True:
                # the first reading once each is connected and sampling
                if first:
                    time.sleep(15)
                    first = False
                for b, (_, _, p) in agents.items():
                    r = rss_kib(p.pid)
                    if r is not None:
                        readings[b].append(r)
                if time.monotonic() >= end:
                    break
                time.sleep(10)
            for b, (key, how, p) in agents.items():
                stop_agent(p)
                rows = len(srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,)))
                r = readings[b]
                if not r:
                    print("| agent RSS over %d s, BOARD=%s | FAILED | no reading |" % (RSS_S, b))
                    rc = 1
                    continue
                # past the first minute, the pages a first reconnect or a
                # first full sample touch are in
                later = r[6:] or r
                print("| agent RSS over %d s at 1 s, BOARD=%s (%s) | %d → %d KiB | lowest %d, highest %d KiB "
                      "over %d readings every 10 s; from the first minute on %d → %d KiB%s; %d samples stored "
                      "through the real server over TLS |" %
                      (RSS_S, b, how, r[0], r[-1], min(r), max(r), len(r), later[0], later[-1],
                       "; qemu-user's own memory included" if how != "native" else "", rows))
        finally:
            srv.stop()
            shutil.rmtree(base, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
