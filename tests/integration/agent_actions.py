#!/usr/bin/python3
"""Issue 11, the agent's side of remote actions: a real monbot-server (TLS)
and a real monbot-agent, commands issued with `monbot-server command` and
read back with `command-show`.

Power actions never reach this machine's OS: every agent here runs with
MONBOT_ROOT set (port/linux/host.c then never tries reboot(2), even as
root) and with PATH holding only a folder of ours, whose `shutdown` is a
stub recording its arguments (tests/fakes/actions/shutdown). The test
refuses to start an agent otherwise.

Covers: reboot/shutdown reach the stub once each with -r now / -h now;
AGENT_ALLOW_POWER=0 refuses with a text and runs nothing; diag with no inxi
or lshw gives the built-in report; the built-in speed test against the
server; a fake Ookla `speedtest` (exact figures) and one printing garbage;
a fake inxi printing 100 MB (cut off) and one never exiting (killed at
MONBOT_TEST_ACTION_TIMEOUT_MS); a second diag while one runs; a stability test with absurd arguments, one
on loopback and a second one while it runs (skipped with the stub stab.c)."""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import Server, Tap, agent_log, stop_agent, tmpdir  # noqa: E402
from actions import (CPU_MODEL, agent, answered, command, fake_pid, gone, make_bin,  # noqa: E402
                     make_live_root, make_root, meminfo_gib, power_log, set_mode)

t = Tap()


def scenario_power_and_builtin(srv, base, root):
    key = srv.new_key("plain")
    bindir = make_bin(base, "bin-plain", ["shutdown"])
    p = agent(srv, key, base, "a-plain", bindir, root)
    try:
        rec = answered(srv, command(srv, key, "reboot"))
        t.ok(rec["state"] == "answered" and rec["answer"].startswith("Rebooting "),
             "reboot answered with a text first", rec)
        rec = answered(srv, command(srv, key, "shutdown"))
        t.ok(rec["state"] == "answered" and rec["answer"].startswith("Shutting down "),
             "shutdown answered with a text first", rec)
        end = time.time() + 10
        while time.time() < end and len(power_log(base)) < 2:
            time.sleep(0.1)
        time.sleep(1)  # a second call would show now
        t.eq(power_log(base), ["-r now", "-h now"], "the stub shutdown ran once for each, -r now then -h now")

        rec = answered(srv, command(srv, key, "diag"))
        a = (rec or {}).get("answer") or ""
        heads = [h for h in ("OS:", "Kernel:", "CPU:", "Memory:", "Uptime:", "Mounts:", "Interfaces:")
                 if not re.search("^" + re.escape(h), a, re.M)]
        t.ok(rec["state"] == "answered" and "built-in report" in a and not heads,
             "diag with no inxi or lshw on PATH: the built-in report's sections", f"missing {heads}\n{a}")
        t.ok(f"CPU: {CPU_MODEL}" in a, "its CPU model is the one in MONBOT_ROOT's /proc/cpuinfo", a)
        want = f"Memory: {meminfo_gib(root, 'MemTotal')} GiB total, {meminfo_gib(root, 'MemAvailable')} GiB available"
        t.ok(want in a, "its memory figures are the fixture's", f"want {want!r}\n{a}")

        rec = answered(srv, command(srv, key, "speedtest"), 90)
        a = (rec or {}).get("answer") or ""
        m = re.match(r"Speedtest \(monitoring server\): download ([0-9.]+) Mbit/s, upload ([0-9.]+) Mbit/s, "
                     r"ping ([0-9.]+) ms \(127\.0\.0\.1:\d+\)$", a)
        t.ok(m is not None and float(m.group(1)) > 1 and float(m.group(2)) > 1,
             "built-in speed test over TLS against the server: a loopback rate over 1 Mbit/s both ways", a)
        t.diag(a)
    finally:
        rc = stop_agent(p)
    log = agent_log(p)
    t.eq(rc, 0, "agent exits 0")
    m = re.search(r"TLS arena peak (\d+) of (\d+)", log)
    t.ok(m is not None and "arena exhausted" not in log, "the link and the speed test fit the TLS arena",
         log[-2000:])
    if m:
        t.diag(f"TLS arena peak {m.group(1)} of {m.group(2)} bytes")


def scenario_power_busybox(srv, base, root):
    """No shutdown(8) on PATH, as on OpenWrt and Alpine: busybox's reboot
    and poweroff, which have init stop the system in order."""
    key = srv.new_key("busybox")
    bindir = make_bin(base, "bin-busybox", ["reboot", "poweroff"])
    before = len(power_log(base))
    p = agent(srv, key, base, "a-busybox", bindir, root)
    try:
        r1 = answered(srv, command(srv, key, "reboot"))
        r2 = answered(srv, command(srv, key, "shutdown"))
        t.ok((r1 or {}).get("answer", "").startswith("Rebooting ") and
             (r2 or {}).get("answer", "").startswith("Shutting down "),
             "busybox host: reboot and shutdown answered with their texts", (r1, r2))
        end = time.time() + 10
        while time.time() < end and len(power_log(base)) < before + 2:
            time.sleep(0.1)
        time.sleep(1)  # a second call would show now
        t.eq(power_log(base)[before:], ["reboot", "poweroff"],
             "busybox host: the stub reboot ran for reboot and poweroff for shutdown, once each")
    finally:
        stop_agent(p)


def scenario_power_off(srv, base, root):
    key = srv.new_key("nopower")
    bindir = make_bin(base, "bin-nopower", ["shutdown"])
    before = len(power_log(base))
    p = agent(srv, key, base, "a-nopower", bindir, root, {"AGENT_ALLOW_POWER": "0"})
    try:
        r1 = answered(srv, command(srv, key, "reboot"))
        r2 = answered(srv, command(srv, key, "shutdown"))
        t.eq((r1 or {}).get("answer"),
             "Power commands are disabled on this host (AGENT_ALLOW_POWER=0): reboot refused.",
             "AGENT_ALLOW_POWER=0: reboot refused with a text")
        t.eq((r2 or {}).get("answer"),
             "Power commands are disabled on this host (AGENT_ALLOW_POWER=0): shutdown refused.",
             "AGENT_ALLOW_POWER=0: shutdown refused with a text")
        time.sleep(2.5)  # past the agent's flush wait before a power call
        t.eq(len(power_log(base)), before, "the stub shutdown never ran")
        # stability goes to stab.c (stab.h), which checks its arguments
        for args, why in (("0 5", "bad interval"), ("5 864000", "bad duration"), ("-1 5", "bad interval"),
                          ("abc 5", "bad interval"), ("20 x", "bad duration"), ("1e3 5", "bad interval")):
            rec = answered(srv, command(srv, key, "stability " + args))
            t.ok((rec or {}).get("answer", "").startswith("Stability test refused: " + why),
                 f"stability {args} is refused with a text ({why})", rec)
        c1 = command(srv, key, "stability 20 2")
        c2 = command(srv, key, "stability 20 2")
        r1, r2 = answered(srv, c1), answered(srv, c2)
        answers = [(r2 or {}).get("answer") or "", (r1 or {}).get("answer") or ""]
        if any("not available in this build" in x for x in answers):
            t.skip("stability 20 ms x 2 s on loopback", "agent-min/stab.c is the stub")
        else:
            m = re.match(r"stability: (\d+) packets, (\d+) lost", answers[1])
            t.ok(answers[0] == "Stability test already running on this host." and m is not None and
                 int(m.group(1)) == 100 and int(m.group(2)) == 0,
                 "stability 20 ms x 2 s: 100 packets, none lost; a second one meanwhile: already running, "
                 "recorded on the second request",
                 answers)
    finally:
        stop_agent(p)


def scenario_fakes(srv, base, _root):
    root = make_live_root(base)
    key = srv.new_key("fakes")
    bindir = make_bin(base, "bin-fakes", ["inxi", "speedtest"])
    p = agent(srv, key, base, "a-fakes", bindir, root, {"MONBOT_TEST_ACTION_TIMEOUT_MS": "3000"})
    try:
        set_mode(base, "ookla")
        rec = answered(srv, command(srv, key, "speedtest"))
        t.eq((rec or {}).get("answer"),
             "Speedtest (speedtest.net, Ookla): download 100.00 Mbit/s, upload 20.00 Mbit/s, ping 12.3 ms "
             "(Example ISP (Berlin))", "a fake Ookla speedtest: its JSON's figures (bytes/s to Mbit/s)")
        set_mode(base, "garbage")
        rec = answered(srv, command(srv, key, "speedtest"))
        t.eq((rec or {}).get("answer"), "Speedtest failed: speedtest: no JSON result in its output",
             "a speedtest printing garbage: a clear failure text")

        set_mode(base, "huge")
        rec = answered(srv, command(srv, key, "diag"))
        a = (rec or {}).get("answer") or ""
        t.ok(a.startswith("[output cut off at 256 KiB: inxi -F was stopped]\n0123456789abcdef"),
             "a fake inxi printing 100 MB: cut off at 256 KiB and said so", a[:200])
        pid = fake_pid(base)
        t.ok(gone(pid), "and it was stopped", pid)

        set_mode(base, "hang")
        os.unlink(os.path.join(base, "fake.pid"))
        c1 = command(srv, key, "diag")
        c2 = command(srv, key, "diag")
        r1, r2 = answered(srv, c1), answered(srv, c2)
        # The agent went on sampling while inxi hung: from its start (the
        # pid file) to the 3 s limit.
        t0 = os.stat(os.path.join(base, "fake.pid")).st_mtime
        t1 = t0 + 3.0
        during = srv.rows("SELECT COUNT(*) FROM metrics WHERE secret=? AND ts > ? AND ts < ?", (key, t0, t1))
        t.ok(during and during[0][0] >= 1, "samples were stored while the hanging inxi ran",
             f"{during} between {t0} and {t1}")
        answers = [(r1 or {}).get("answer"), (r2 or {}).get("answer")]
        # "already running" answers the newest request, the result the one that ran
        t.eq(answers, ["diagnostics failed: inxi -F did not finish within 3 s and was stopped.",
                       "Diagnostics already running on this host."],
             "a diag while one runs: already running on its own record; the one never exiting fails")
        t.ok("inxi -F did not finish within 3 s and was stopped" in agent_log(p),
             "it was killed at the time limit and the reason reported", agent_log(p)[-1500:])
        t.ok(gone(fake_pid(base)), "the hanging inxi is gone", fake_pid(base))
    finally:
        rc = stop_agent(p)
    t.eq(rc, 0, "agent exits 0")


def scenario_plain_speedtest(base, root):
    """AGENT_TLS=0: the built-in speed test over plain TCP."""
    srv = Server(os.path.join(base, "plain-srv"), tls=False, env={"COMMAND_POLL": "1"})
    os.makedirs(srv.dir, exist_ok=True)
    srv.start()
    try:
        key = srv.new_key("plainws")
        p = agent(srv, key, base, "a-plainws", make_bin(base, "bin-plainws", []), root)
        try:
            rec = answered(srv, command(srv, key, "speedtest"), 90)
            a = (rec or {}).get("answer") or ""
            m = re.match(r"Speedtest \(monitoring server\): download ([0-9.]+) Mbit/s, upload ([0-9.]+) Mbit/s", a)
            t.ok(m is not None and float(m.group(1)) > 1 and float(m.group(2)) > 1,
                 "built-in speed test over plain ws:// (AGENT_TLS=0)", a)
        finally:
            stop_agent(p)
    finally:
        srv.stop()


def main():
    base = tmpdir("mb-agent-actions.")
    root = make_root(base)
    srv = Server(base, tls=True, env={"COMMAND_POLL": "1", "SSL_CERT": "cert.pem", "SSL_KEY": "key.pem"})
    srv.start()
    try:
        scenario_power_and_builtin(srv, base, root)
        scenario_power_off(srv, base, root)
        scenario_power_busybox(srv, base, root)
        scenario_fakes(srv, base, root)
        scenario_plain_speedtest(base, root)
    finally:
        rc = srv.stop()
        t.eq(rc, 0, "server exits 0")
        if not os.environ.get("KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
