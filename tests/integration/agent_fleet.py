#!/usr/bin/python3
"""The real monbot-agent --once against fake fleet sources on this machine
(issue 16): a Docker Engine on a Unix socket (http.server over AF_UNIX,
replies in the Engine API's documented schema: ContainerSummary, one-shot
stats, inspect), the same on a Podman-named socket, one that cuts its JSON
short; NUT (upsd's LIST UPS / LIST VAR) on TCP and one that never answers;
apcupsd's NIS; busctl and smartctl as programs on PATH printing recorded
output; a textfile directory with a 10 MB file, control characters and a
FIFO. Checks the exact fleet keys of the printed sample. Prints TAP lines.
FLEET_AGENT and FLEET_QEMU run a board's binary instead (see below)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from fleetfakes import FX, Engine, apc_server, nut_server, start_engine, tcp_listener  # noqa: E402

O = os.environ.get("O", "build/native")
AGENT = os.path.abspath(os.environ.get("FLEET_AGENT") or os.path.join(O, "monbot-agent"))
# A board's binary under qemu-user: FLEET_AGENT=build/mips/monbot-agent
# FLEET_QEMU="qemu-mips-static -cpu 24Kf" (big-endian NIS lengths and NVMe fields).
QEMU = os.environ.get("FLEET_QEMU", "").split()
if QEMU:
    QEMU[0] = shutil.which(QEMU[0]) or QEMU[0]
TMP = tempfile.mkdtemp(prefix="monbot-fleet-")
failures = 0


def check(ok, what, got=None):
    global failures
    print(("ok" if ok else "not ok") + " - " + what, flush=True)
    if not ok:
        failures += 1
        if got is not None:
            print("# got: " + json.dumps(got)[:2000])


# ---- the agent --------------------------------------------------------------

def run_agent(env_extra, path_dir=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
    env.update({"AGENT_NUT": "0", "AGENT_APCUPSD": "0", "AGENT_DOCKER_SOCKET": "0",
                "AGENT_SMART": "0", "AGENT_UNITS": "0", "MONBOT_NO_NVML": "1"})
    env.update(env_extra)
    if path_dir:
        env["PATH"] = path_dir + ":" + env.get("PATH", "/usr/bin:/bin")
    t0 = time.monotonic()
    p = subprocess.run(QEMU + [AGENT, "--once"], env=env, cwd=TMP, capture_output=True, timeout=60)
    dt = time.monotonic() - t0
    try:
        return json.loads(p.stdout), dt, p
    except ValueError:
        return None, dt, p


def fleet_keys(d):
    return {k: d[k] for k in ("containers", "units_failed", "smart", "ups", "custom") if d and k in d}


def main():
    # Docker
    sock = os.path.join(TMP, "docker.sock")
    eng = Engine([("a" * 64, "web", "running", "Up 2 hours (healthy)", 2),
                  ("b" * 64, "db", "exited", "Exited (1) 3 minutes ago", 0),
                  ("c" * 64, "bad\x07name\x1b[31m", "restarting", "Restarting (1) 1 second ago", 9)])
    start_engine(sock, eng)
    d, dt, p = run_agent({"AGENT_DOCKER_SOCKET": sock})
    got = fleet_keys(d)
    want = {"containers": [
        {"name": "web", "engine": "docker", "state": "running", "health": "healthy", "restarts": 2,
         "cpu": 2.5, "mem": 41943040},
        {"name": "db", "engine": "docker", "state": "exited", "restarts": 0},
        {"name": "badname[31m", "engine": "docker", "state": "restarting", "restarts": 9}]}
    check(got == want, "docker: containers with state, health, restarts, CPU % and memory exactly", got)
    check(any("one-shot=true" in r for r in eng.requests), "docker: stats asked one-shot (no 1 s wait in the engine)")

    psock = os.path.join(TMP, "podman.sock")
    start_engine(psock, Engine([("d" * 64, "pod-web", "running", "Up 1 minute", 0)]))
    d, dt, p = run_agent({"AGENT_DOCKER_SOCKET": psock})
    got = fleet_keys(d)
    check(got.get("containers") == [{"name": "pod-web", "engine": "podman", "state": "running", "restarts": 0,
                                     "cpu": 2.5, "mem": 41943040}], "podman: its socket, engine podman", got)

    tsock = os.path.join(TMP, "trunc.sock")
    start_engine(tsock, Engine(eng.containers, truncate=True))
    d, dt, p = run_agent({"AGENT_DOCKER_SOCKET": tsock})
    check(d is not None and "containers" not in d, "docker: JSON cut short over the socket: no containers key",
          fleet_keys(d))

    d, dt, p = run_agent({"AGENT_DOCKER_SOCKET": os.path.join(TMP, "nothing.sock")})
    check(d is not None and "containers" not in d, "docker: no socket: no containers key")

    many = [("%064x" % i, "c%02d" % i, "running", "Up", 0) for i in range(50)]
    msock = os.path.join(TMP, "many.sock")
    meng = Engine(many)
    start_engine(msock, meng, http11=True)
    d, dt, p = run_agent({"AGENT_DOCKER_SOCKET": msock})
    cs = (d or {}).get("containers", [])
    check(len(cs) == 50 and all(c["cpu"] == 2.5 and c["mem"] == 41943040 for c in cs) and
          [c["name"] for c in cs] == ["c%02d" % i for i in range(50)],
          "docker: 50 containers over HTTP/1.1 (stats pipelined on one connection), each with CPU and memory")

    # UPS: NUT, a silent NUT, apcupsd
    nl = tcp_listener()
    nut_server(nl)
    d, dt, p = run_agent({"AGENT_NUT": "127.0.0.1:%d" % nl.getsockname()[1]})
    got = fleet_keys(d)
    check(got == {"ups": {"source": "nut", "name": "ups", "status": "OB DISCHRG", "on_battery": True, "charge": 87,
                          "runtime": 1820, "load": 23}}, "nut: LIST UPS then LIST VAR ups, exact values", got)
    d, dt, p = run_agent({"AGENT_NUT": "127.0.0.1:%d/ups" % nl.getsockname()[1]})
    check(fleet_keys(d).get("ups", {}).get("charge") == 87, "nut: the UPS named in AGENT_NUT")

    sl = tcp_listener()
    nut_server(sl, silent=True)
    d, dt, p = run_agent({"AGENT_NUT": "127.0.0.1:%d" % sl.getsockname()[1]})
    check(d is not None and "ups" not in d, "nut: a server that never answers: no ups key, the sample still printed")
    print("# silent NUT: --once took %.2f s (one 300 ms timeout, then rest)" % dt)
    check(b"UPS daemon silent" in p.stderr, "nut: the silence logged", p.stderr.decode(errors="replace"))

    al = tcp_listener()
    apc_server(al)
    d, dt, p = run_agent({"AGENT_APCUPSD": "127.0.0.1:%d" % al.getsockname()[1]})
    got = fleet_keys(d)
    check(got == {"ups": {"source": "apcupsd", "name": "office", "status": "ONLINE", "on_battery": False,
                          "charge": 100, "runtime": 2718, "load": 12}}, "apcupsd: NIS status frames, exact values", got)

    # busctl and smartctl on PATH, drives in a fixture root
    bindir = os.path.join(TMP, "bin")
    os.makedirs(bindir)
    with open(os.path.join(bindir, "busctl"), "w") as f:
        f.write("#!/bin/sh\ncat '%s'\n" % os.path.join(FX, "busctl_failed.json"))
    with open(os.path.join(bindir, "smartctl"), "w") as f:
        f.write("#!/bin/sh\nfor a; do d=$a; done\ncase $d in /dev/sda) cat '%s';; *) cat '%s'; exit 8;; esac\n"
                % (os.path.join(FX, "smartctl_sda.json"), os.path.join(FX, "smartctl_failing.json")))
    for n in ("busctl", "smartctl"):
        os.chmod(os.path.join(bindir, n), 0o755)
    root = os.path.join(TMP, "root")
    for dev, model in (("sda", "Samsung SSD 870 EVO 1TB"), ("sdb", "WDC WD40EFRX")):
        os.makedirs(os.path.join(root, "sys/block", dev, "device"))
        with open(os.path.join(root, "sys/block", dev, "device/model"), "w") as f:
            f.write(model + "   \n")
    os.makedirs(os.path.join(root, "sys/block/sda1"))  # not a whole disk name... skipped
    d, dt, p = run_agent({"AGENT_UNITS": "1"}, bindir)
    got = fleet_keys(d)
    check(got == {"units_failed": ["nginx.service", "backup@nightly.service", "evil[2J.mount"]},
          "units: busctl's failed units, control characters dropped", got)
    d, dt, p = run_agent({"AGENT_SMART": "1", "MONBOT_ROOT": root}, bindir)
    got = fleet_keys(d).get("smart")
    names = sorted(x["dev"] for x in got or [])
    sda = [x for x in got or [] if x["dev"] == "sda"]
    sdb = [x for x in got or [] if x["dev"] == "sdb"]
    check(names == ["sda", "sdb"] and sda and sda[0]["ok"] is True and sda[0]["temp"] == 34 and
          sda[0]["model"] == "Samsung SSD 870 EVO 1TB" and len(sda[0]["attrs"]) == 4 and
          sda[0]["attrs"][3] == {"id": 194, "name": "Temperature_Celsius", "value": 66, "worst": 52, "thresh": 0,
                                 "raw": 133145755682} and
          sdb and sdb[0]["ok"] is False and sdb[0]["attrs"][0]["thresh"] == 140,
          "smart: smartctl -j per drive under /sys/block, a failing one with exit status 8", got)
    env_path = os.environ.get("PATH", "")
    os.environ["PATH"] = "/nonexistent"
    d, dt, p = run_agent({"AGENT_SMART": "1", "AGENT_UNITS": "1", "MONBOT_ROOT": root})
    os.environ["PATH"] = env_path
    check(d is not None and "smart" not in d and "units_failed" not in d,
          "smart, units: no smartctl, no busctl on PATH: no key", fleet_keys(d))

    # textfiles
    tf = os.path.join(TMP, "textfile")
    os.makedirs(tf)
    with open(os.path.join(tf, "backup.prom"), "w") as f:
        f.write("# HELP backup_age_seconds Age.\n# TYPE backup_age_seconds gauge\nbackup_age_seconds 3600\n"
                "temp{room=\"attic\"} 21.5\n")
    with open(os.path.join(tf, "big.prom"), "w") as f:
        f.write("big_first 1\n")
        line = "x" * 99 + "\n"
        f.write(line * (10 * 1024 * 1024 // 100))
        f.write("big_last 2\n")
    with open(os.path.join(tf, "evil.prom"), "wb") as f:
        f.write(b"bad\x01name 1\nlbl{a=\"\x1b[2J\"} 2\ngood 5\n")
    with open(os.path.join(tf, "notes.txt"), "w") as f:
        f.write("ignored 1\n")
    os.mkfifo(os.path.join(tf, "fifo.prom"))
    d, dt, p = run_agent({"AGENT_TEXTFILE_DIR": tf})
    got = fleet_keys(d)
    check(got == {"custom": {"backup_age_seconds": 3600, "temp{room=\"attic\"}": 21.5, "big_first": 1, "good": 5}},
          "textfile: *.prom only, a 10 MB file read to its first 64 KiB, control characters refused, a FIFO "
          "skipped", got)

    d, dt, p = run_agent({})
    check(d is not None and not fleet_keys(d), "every source off: no fleet key", fleet_keys(d))

    # The real server takes the larger samples (it ignores the fleet keys:
    # SPEC §3), acknowledges each, and the agent stops with none left.
    if not QEMU and os.path.exists(os.path.join(O, "monbot-server")):
        import re
        from server import Server, agent_log, start_agent, stop_agent  # noqa: E402
        os.makedirs(os.path.join(TMP, "srv"), exist_ok=True)
        srv = Server(os.path.join(TMP, "srv"), tls=False).start()
        try:
            key = srv.new_key("fleet")
            ap = start_agent(srv, key, os.path.join(TMP, "live"), binary=AGENT, extra={
                "AGENT_DOCKER_SOCKET": msock, "AGENT_NUT": "127.0.0.1:%d" % nl.getsockname()[1],
                "AGENT_APCUPSD": "0", "AGENT_TEXTFILE_DIR": tf, "AGENT_UNITS": "1", "AGENT_SMART": "0",
                "PATH": bindir + ":" + os.environ.get("PATH", "")})
            end = time.time() + 30
            while time.time() < end and len(srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,))) < 3:
                time.sleep(0.05)
            rc = stop_agent(ap)
            log = agent_log(ap)
            m = re.search(r"(\d+) samples taken, (\d+) unacknowledged, (\d+) dropped", log)
            rows = srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,))
            check(rc == 0 and m is not None and m.group(2) == "0" and m.group(3) == "0" and
                  len(rows) == int(m.group(1)) and len(rows) >= 3,
                  "real server: samples with 50 containers, a UPS, units and custom metrics stored and "
                  "acknowledged, none left (%s rows)" % len(rows), log[-1500:])
        finally:
            srv.stop()
    shutil.rmtree(TMP, ignore_errors=True)
    print("# %d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
