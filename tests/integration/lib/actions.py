"""What the remote-action tests share (agent_actions.py, bot_actions.py):
real agents that can never power off this machine (MONBOT_ROOT set, so
port/linux/host.c never tries reboot(2) even as root, and PATH holding only
a folder of fakes whose `shutdown` records its arguments), and reading
commands back through `monbot-server command-show`."""
import json
import os
import shutil
import time

from server import ROOT, agent_log, start_agent

FAKES = os.path.join(ROOT, "tests", "fakes", "actions")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "desktop", "t0")
CPU_MODEL = "Test CPU 9000 @ 1.00GHz"
WAIT = 40  # upper bound for an answer (COMMAND_POLL 1 s; not a timing assertion)


def make_root(base):
    """The desktop fixture tree plus a /proc/cpuinfo: the built-in report's
    figures come from it."""
    root = os.path.join(base, "root")
    shutil.copytree(FIXTURE, root, symlinks=True)
    with open(os.path.join(root, "proc", "cpuinfo"), "w") as f:
        f.write(f"processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: {CPU_MODEL}\n\n")
    return root


def make_live_root(base):
    """A root prefix onto the real /proc, /sys and /etc: real samples (the
    server stores them), and still a MONBOT_ROOT, so no reboot(2)."""
    root = os.path.join(base, "live")
    os.makedirs(root, exist_ok=True)
    for d in ("proc", "sys", "etc"):
        os.symlink("/" + d, os.path.join(root, d))
    return root


def make_bin(base, name, tools):
    d = os.path.join(base, name)
    os.makedirs(d, exist_ok=True)
    for tool in tools:
        os.symlink(os.path.join(FAKES, tool), os.path.join(d, tool))
    return d


def agent(srv, key, base, name, bindir, root, extra=None):
    env = {"PATH": bindir, "MONBOT_ROOT": root,
           "FAKE_POWER_LOG": os.path.join(base, "power.log"),
           "FAKE_MODE_FILE": os.path.join(base, "mode"), "FAKE_PID_FILE": os.path.join(base, "fake.pid"),
           "FAKE_OOKLA_JSON": os.path.join(FAKES, "ookla.json")}
    env.update(extra or {})
    # Never a power action on the real OS: the root prefix and our PATH.
    assert env["MONBOT_ROOT"] and os.path.isdir(env["MONBOT_ROOT"]) and env["PATH"] == bindir
    assert not os.path.exists(os.path.join(bindir, "shutdown")) or \
        os.path.realpath(os.path.join(bindir, "shutdown")) == os.path.join(FAKES, "shutdown")
    p = start_agent(srv, key, os.path.join(base, name), extra=env)
    deadline = time.time() + 30
    while time.time() < deadline and "connected to" not in agent_log(p):
        time.sleep(0.1)
    return p


def command(srv, key, verb):
    out = srv.cli("command", key, verb)
    return int(out.stdout.split()[-1])


def answered(srv, cid, limit=WAIT):
    end = time.time() + limit
    rec = None
    while time.time() < end:
        rec = json.loads(srv.cli("command-show", str(cid)).stdout)
        if rec["state"] == "answered":
            return rec
        time.sleep(0.2)
    return rec


def power_log(base):
    try:
        with open(os.path.join(base, "power.log")) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def set_mode(base, mode):
    with open(os.path.join(base, "mode"), "w") as f:
        f.write(mode)


def fake_pid(base):
    try:
        return int(open(os.path.join(base, "fake.pid")).read())
    except (FileNotFoundError, ValueError):
        return None


def gone(pid, limit=10):
    """The process ended (or is a zombie) within limit s (an upper bound)."""
    if pid is None:
        return False
    end = time.time() + limit
    while time.time() < end:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[1][0] in "ZX":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


def meminfo_gib(root, key):
    for line in open(os.path.join(root, "proc", "meminfo")):
        if line.startswith(key + ":"):
            return "%.2f" % (int(line.split()[1]) * 1024 / 2 ** 30)
    return None
