#!/usr/bin/python3
"""The Windows agent (make agent BOARD=windows-x64: monbot-agent.exe from
mingw-w64) run under wine, headless, against the real native monbot-server:
  - the .exe imports only Windows' own DLLs (static: no libgcc or pthread DLL);
  - --once: CPU, RAM, swap, disks, uptime with values checked against this
    host's /proc and statvfs (wine passes the host's numbers through the
    Win32 calls the port makes);
  - over TLS with pinning: the pin file written, >= 3 samples stored in the
    server's database with their cpu/ram/swap/uptime/disks columns in range;
    Ctrl-C (SIGINT, which wine makes the console's CTRL_C_EVENT) stops it
    cleanly with every sample taken stored once; a second run on the saved
    pin connects again;
  - a diag whose systeminfo never ends is stopped at the time limit (the
    job object kills it) while samples go on;
  - a pin file of another key: exit 3, the message on stderr, and the same
    text in the message box's test hook (MONBOT_ALERT_FILE);
  - the tray icon: icon.png beside the .exe by default, AGENT_ICON_FILE
    otherwise, decoded by Windows' own PNG icon loader (its test hook
    MONBOT_TRAY_FILE; headless wine has no notification area to show it in);
  - a remote diag runs systeminfo (a stand-in built here with mingw-w64,
    beside the .exe, as wine's own prints nothing) through port/windows'
    child processes: its output is the answer, AGENT_SECRET not passed on;
  - --install-service / --remove-service through wine's service manager.
Skips loudly (a SKIP line and a warning on stderr) only when wine64 is not
installed; wineserver is stopped at the end in every case."""
import json
import os
import re
import struct
import zlib
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import ROOT, Server, Tap, tmpdir  # noqa: E402
from actions import answered, command  # noqa: E402

WINE = "/usr/lib/wine/wine64"  # Debian's wine64 has no /usr/bin/wine
WINESERVER = "/usr/lib/wine/wineserver"
BOARD_O = os.path.join(ROOT, "build", "windows-x64")
EXE = os.path.join(BOARD_O, "monbot-agent.exe")
PREFIX = os.path.join(BOARD_O, "wine")  # kept between runs: the first start builds it (~700 MB)
SYSTEM_DLLS = {"kernel32.dll", "user32.dll", "gdi32.dll", "shell32.dll", "advapi32.dll", "ws2_32.dll",
               "iphlpapi.dll", "psapi.dll", "msvcrt.dll"}
t = Tap()


def wine_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "MONBOT_", "DISPLAY", "WAYLAND"))}
    # no Mono or Gecko installer dialogs when the prefix is first made
    env.update({"WINEPREFIX": PREFIX, "WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml="})
    env.update(extra or {})
    return env


def wine(args, cwd, extra=None, timeout=120):
    return subprocess.run([WINE, EXE, *args], cwd=cwd, env=wine_env(extra), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def meminfo():
    m = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            m[k] = int(v.split()[0]) * 1024
    return m


def check_once(base):
    out = wine(["--once"], base, timeout=180)
    t.eq(out.returncode, 0, "--once under wine exits 0")
    try:
        j = json.loads(out.stdout)
    except ValueError:
        t.ok(False, "--once prints one JSON sample", out.stdout[-1000:] + out.stderr[-1000:])
        return
    t.diag("once: " + json.dumps({k: j.get(k) for k in ("cpu", "ram", "swap", "uptime", "cores", "disks")}))
    keys = {"cpu", "ram", "swap", "ram_used", "ram_total", "swap_used", "swap_total", "uptime", "disks", "cores",
            "top_procs", "host"}
    t.ok(keys <= set(j), "sample has cpu, ram, swap, disks, uptime (and their totals)", sorted(keys - set(j)))
    if not keys <= set(j):
        return
    mi = meminfo()
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    t.ok(0 <= j["cpu"] <= 100, f"cpu {j['cpu']} % within 0..100 (GetSystemTimes over 1 s)")
    t.ok(abs(j["ram_total"] - mi["MemTotal"]) <= 1 << 20,
         f"ram_total {j['ram_total']} is this host's MemTotal {mi['MemTotal']} (GlobalMemoryStatusEx)")
    t.ok(0 < j["ram"] <= 100 and 0 < j["ram_used"] <= j["ram_total"], f"ram {j['ram']} %, used within total")
    t.ok(abs(j["swap_total"] - mi["SwapTotal"]) <= 1 << 20 and 0 <= j["swap_used"] <= j["swap_total"]
         and 0 <= j["swap"] <= 100,
         f"swap_total {j['swap_total']} is the host's SwapTotal {mi['SwapTotal']} (page file beyond RAM), "
         f"swap {j['swap']} %")
    t.ok(abs(j["uptime"] - up) <= 60, f"uptime {j['uptime']} s is the host's {up:.0f} s (GetTickCount64)")
    t.eq(j["cores"], os.cpu_count(), "cores: the host's logical CPUs")
    st = os.statvfs(PREFIX)
    c = [d for d in j["disks"] if d["mount"] == "C:\\"]
    t.ok(len(c) == 1 and c[0]["total"] == st.f_blocks * st.f_frsize and 0 <= c[0]["percent"] <= 100,
         "disks: C:\\ (wine's drive_c) with the size of the filesystem that holds it", j["disks"])
    t.ok(all(len(d["mount"]) == 3 and d["mount"][1:] == ":\\" and d["total"] >= 1 << 30 for d in j["disks"]),
         "disks: drive roots only, none under 1 GiB", j["disks"])
    t.ok(any(p["name"].lower().startswith("monbot-agent.exe") for p in j["top_procs"]) or len(j["top_procs"]) == 5,
         "top_procs from Toolhelp32 (the agent itself, or five busier ones)", j["top_procs"])
    h = j["host"]
    t.ok(h["hostname"].lower() == socket.gethostname().lower() and h["arch"] == "AMD64"
         and "Windows" in h["os"] and h["kernel"].count(".") == 2, "host: name, Windows version, AMD64", h)


def png(path, w, h):
    """A w x h RGBA PNG (zlib, no image library)."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    raw = b"".join(b"\0" + b"\x20\x60\xc0\xff" * w for _ in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


FAKE_SYSTEMINFO = r"""
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	if (getenv("FAKE_HANG")) { /* never ends: the agent's time limit kills it */
		printf("hanging\n");
		fflush(stdout);
		Sleep(INFINITE);
	}
	printf("Host Name:                 FAKEHOST\n");
	printf("OS Name:                   Fake Windows for the test\n");
	printf("args: %d, secret: %s, stdin: %s\n", argc - 1, getenv("AGENT_SECRET") ? "passed" : "dropped",
	       getchar() == EOF ? "empty" : "not empty");
	return 0;
}
"""


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def read_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def start(srv, key, wd, extra=None, exe=EXE):
    os.makedirs(wd, exist_ok=True)
    env = wine_env({
        "AGENT_SECRET": key, "AGENT_SERVER_IP": "127.0.0.1", "AGENT_PORT": str(srv.port), "AGENT_INTERVAL": "1",
        "AGENT_TLS": "1", "AGENT_VERIFY_SSL": "1", "AGENT_FP_FILE": os.path.join(wd, "fp.json"),
        "AGENT_RECONNECT_DELAY": "1", "AGENT_UDP_PORT": str(srv.udp_port), **(extra or {})})
    log = open(os.path.join(wd, "agent.log"), "wb")
    p = subprocess.Popen([WINE, exe], cwd=wd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT)
    p.log = log
    p.wd = wd
    return p


def stop(p):
    """Ctrl-C: wine turns SIGINT into the console's CTRL_C_EVENT (SIGTERM
    would end the process without one). The exit status in p.rc."""
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
    try:
        p.rc = p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.rc = p.wait()
    p.log.close()
    with open(os.path.join(p.wd, "agent.log"), errors="replace") as f:
        return f.read()


def wait_rows(srv, key, n, secs):
    end = time.time() + secs
    rows = []
    while time.time() < end:
        rows = srv.rows("SELECT ts, cpu, ram, swap, uptime, disks FROM metrics WHERE secret=?", (key,))
        if len(rows) >= n:
            break
        time.sleep(0.1)
    return rows


def check_link(base):
    os.makedirs(os.path.join(base, "srv"))
    srv = Server(os.path.join(base, "srv"), tls=True).start()
    try:
        key = srv.new_key("windows")
        wd = os.path.join(base, "agent")
        # a copy of the .exe with its icon.png beside it (the default icon)
        bindir = os.path.join(base, "bin")
        os.makedirs(bindir)
        exe = os.path.join(bindir, "monbot-agent.exe")
        shutil.copy(EXE, exe)
        png(os.path.join(bindir, "icon.png"), 32, 32)
        with open(os.path.join(base, "systeminfo.c"), "w") as f:
            f.write(FAKE_SYSTEMINFO)
        cc = subprocess.run(["x86_64-w64-mingw32-gcc", "-O2", "-o", os.path.join(bindir, "systeminfo.exe"),
                             os.path.join(base, "systeminfo.c")], capture_output=True, text=True)
        t.ok(cc.returncode == 0, "a stand-in systeminfo.exe builds", cc.stderr)
        tray = os.path.join(base, "tray1.txt")
        p = start(srv, key, wd, {"MONBOT_TRAY_FILE": tray}, exe=exe)
        rows = wait_rows(srv, key, 3, 90)
        rec = answered(srv, command(srv, key, "diag"), 60) or {}
        log = stop(p)
        t.ok(len(rows) >= 3, f"TLS link: {len(rows)} samples of the .exe stored by monbot-server", log[-1500:])
        t.eq(p.rc, 0, "Ctrl-C (CTRL_C_EVENT): the .exe exits 0")
        m = re.search(r"stopping \(signal 2\), (\d+) samples taken, (\d+) unacknowledged, (\d+) dropped", log)
        stored = len(srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,)))
        t.ok(m is not None and int(m.group(1)) == stored and m.group(2) == "0" and m.group(3) == "0",
             f"a clean stop: every sample taken stored once ({stored}), 0 unacknowledged", log[-800:])
        ok = rows and all(0 <= r[1] <= 100 and 0 < r[2] <= 100 and 0 <= r[3] <= 100 and r[4] > 0 for r in rows)
        t.ok(bool(ok), "stored samples: cpu, ram, swap in 0..100, uptime > 0", rows[:3])
        t.ok(bool(rows) and all('"mount":"C:\\\\"' in (r[5] or "") for r in rows), "stored samples list C:\\",
             rows[:1])
        pin = {}
        try:
            with open(os.path.join(wd, "fp.json")) as f:
                pin = json.load(f)
        except (OSError, ValueError):
            pass
        t.ok(len(pin.get("fp", "")) == 64 and len(pin.get("spki", "")) == 64,
             "first connection pinned the certificate (fp and spki)", pin)
        want = ("Host Name:                 FAKEHOST\nOS Name:                   Fake Windows for the test\n"
                "args: 0, secret: dropped, stdin: empty")
        t.ok(rec.get("state") == "answered" and (rec.get("answer") or "").replace("\r", "").strip() == want,
             "diag: systeminfo's output is the answer (no secret in its environment, stdin empty)", rec)
        tr = read(tray).split("\n")
        t.ok(len(tr) >= 3 and tr[0].lower().endswith("\\bin\\icon.png") and tr[1] == "loaded 32x32"
             and tr[2] == "not shown", "tray: icon.png beside the .exe, decoded 32x32 (not shown: headless)", tr)
        # the same pin file again: accepted; AGENT_ICON_FILE not a PNG: the stock icon
        n0 = len(rows)
        t_second = int(time.time())
        notpng = os.path.join(base, "not-a-png.png")
        with open(notpng, "w") as f:
            f.write("GIF89a")
        tray = os.path.join(base, "tray2.txt")
        # loopback counted too (it carries the link): the interface counters move
        p = start(srv, key, wd, {"MONBOT_TRAY_FILE": tray, "AGENT_ICON_FILE": notpng, "FAKE_HANG": "1",
                                 "AGENT_NET_IGNORE": "none-of-these",
                                 "MONBOT_TEST_ACTION_TIMEOUT_MS": "3000"}, exe=exe)
        rows = wait_rows(srv, key, n0 + 2, 60)
        count = lambda: len(srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,)))  # noqa: E731
        n1 = count()
        rec = answered(srv, command(srv, key, "diag"), 60) or {}
        n2 = count()
        time.sleep(1.5)
        left = [d for d in os.listdir("/proc") if d.isdigit() and "systeminfo.exe" in read_cmdline(d)]
        log = stop(p)
        rows = srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,))
        t.eq((rec.get("answer") or "").replace("\r", ""),
             "diagnostics failed: systeminfo did not finish within 3 s and was stopped.\nhanging",
             "diag: a systeminfo that never ends is stopped at the time limit (its output so far kept)")
        t.ok(not left, "the hanging systeminfo.exe is gone (its job was terminated)", left)
        t.ok(n2 >= n1 + 2, f"samples went on while it ran ({n2 - n1} in its 3 s)")
        up = srv.rows("SELECT MAX(net_up), MAX(net_down) FROM metrics WHERE secret=? AND ts > ?", (key, t_second))
        t.ok(up and (up[0][0] or 0) > 0 and (up[0][1] or 0) > 0,
             "with loopback counted, net_up and net_down move (GetIfEntry2 over GetIfTable2's list)", up)
        t.ok(len(rows) >= n0 + 2, "a second run on the saved pin connects and stores samples", log[-1500:])
        tr = read(tray).split("\n")
        t.ok(len(tr) >= 3 and tr[0] == notpng and tr[1] == "stock icon",
             "tray: AGENT_ICON_FILE that is not a PNG gives the stock icon", tr)

        # another key's pin: exit 3 with the message, also in the box's hook
        wd = os.path.join(base, "mismatch")
        os.makedirs(wd)
        with open(os.path.join(wd, "fp.json"), "w") as f:
            json.dump({"fp": "ab" * 32, "spki": "cd" * 32}, f)
        hook = os.path.join(wd, "alert.txt")
        p = start(srv, key, wd, {"MONBOT_ALERT_FILE": hook})
        try:
            rc = p.wait(90)
        except subprocess.TimeoutExpired:
            rc = None
        log = stop(p)
        t.eq(rc, 3, "pin mismatch: the .exe exits 3")
        line = [x for x in log.splitlines() if x.startswith("monbot-agent: ")]
        msg = line[-1][len("monbot-agent: "):] if line else ""
        t.ok("delete" in msg and "fp.json" in msg, "pin mismatch: stderr tells to delete the pin file", log[-1500:])
        box = ""
        if os.path.exists(hook):
            with open(hook, encoding="utf-8", errors="replace") as f:
                box = f.read()
        t.eq(box, "MonitoringBot agent\n" + msg + "\n", "pin mismatch: the message box (test hook) has that text")
        t.eq(len(srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,))), len(rows),
             "pin mismatch: nothing stored from the refused server")
        check_service(base, srv, bindir)
    finally:
        srv.stop()


def check_service(base, srv, bindir):
    """Installed, started by wine's service manager, samples stored, stopped
    through the manager with the agent's clean exit in its log, removed."""
    exe = os.path.join(bindir, "monbot-agent.exe")
    key = srv.new_key("windows-service")
    # the service reads the .env beside the .exe (it starts in C:\windows)
    with open(os.path.join(bindir, ".env"), "w") as f:
        f.write(f"AGENT_SECRET={key}\nAGENT_SERVER_IP=127.0.0.1\nAGENT_PORT={srv.port}\nAGENT_INTERVAL=1\n"
                f"AGENT_FP_FILE=svc-fp.json\nAGENT_RECONNECT_DELAY=1\n")
    inst = subprocess.run([WINE, exe, "--install-service"], cwd=base, env=wine_env(), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    t.ok(inst.returncode == 0 and "installed" in inst.stdout, "--install-service under wine's service manager",
         inst.stdout + inst.stderr)
    q = subprocess.run([WINE, "reg", "query", r"HKLM\System\CurrentControlSet\Services\MonitoringBotAgent", "/v",
                        "ImagePath"], env=wine_env(), capture_output=True, text=True, timeout=60)
    t.ok("monbot-agent.exe" in q.stdout and "--service" in q.stdout,
         "the service runs the .exe with --service", q.stdout + q.stderr)
    # wine ends its services with the last ordinary process: one is kept
    # running (the stand-in systeminfo that never ends) while the service runs
    keeper = subprocess.Popen([WINE, os.path.join(bindir, "systeminfo.exe")], env=wine_env({"FAKE_HANG": "1"}),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run([WINE, "sc", "start", "MonitoringBotAgent"], env=wine_env(), capture_output=True, text=True,
                       timeout=60)
        rows = wait_rows(srv, key, 3, 60)
        t.ok(len(rows) >= 3, f"the agent as a service: {len(rows)} samples stored",
             read(os.path.join(bindir, "monbot-agent.log"))[-1500:])
        subprocess.run([WINE, "sc", "stop", "MonitoringBotAgent"], env=wine_env(), capture_output=True, text=True,
                       timeout=60)
        end = time.time() + 20
        while time.time() < end and "stopping" not in read(os.path.join(bindir, "monbot-agent.log")):
            time.sleep(0.2)
        log = read(os.path.join(bindir, "monbot-agent.log"))
        t.ok("stopping (signal 15)" in log and ", 0 unacknowledged," in log,
             "sc stop: a clean stop, everything acknowledged (the service's log beside the .exe)", log[-1500:])
        m = re.search(r"(\d+) samples taken, (\d+) unacknowledged, (\d+) dropped; TLS arena peak (\d+) of (\d+)",
                      log)
        stored = len(srv.rows("SELECT ts FROM metrics WHERE secret=?", (key,)))
        t.ok(m is not None and int(m.group(1)) == stored and 0 < int(m.group(4)) <= int(m.group(5)),
             f"every sample taken stored once ({stored}), TLS arena peak within the arena", log[-800:])
        if m:
            t.diag(f"windows agent TLS arena peak {m.group(4)} of {m.group(5)} bytes")
        st = ""
        for _ in range(50):
            st = subprocess.run([WINE, "sc", "query", "MonitoringBotAgent"], env=wine_env(), capture_output=True,
                                text=True, timeout=60).stdout
            if "STOPPED" in st:
                break
            time.sleep(0.2)
        t.ok("STOPPED" in st, "the service manager sees it stopped", st)
        rm = subprocess.run([WINE, exe, "--remove-service"], cwd=base, env=wine_env(), capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, timeout=120)
        t.ok(rm.returncode == 0 and "removed" in rm.stdout, "--remove-service removes it", rm.stdout + rm.stderr)
        again = subprocess.run([WINE, exe, "--remove-service"], cwd=base, env=wine_env(), capture_output=True,
                               text=True, stdin=subprocess.DEVNULL, timeout=120)
        t.eq(again.returncode, 1, "a second --remove-service fails (no such service)")
    finally:
        keeper.kill()
        keeper.wait()


def main():
    if not os.access(WINE, os.X_OK):
        print(f"WARNING: {WINE} is not installed: the Windows agent was NOT tested "
              "(apt-get install --no-install-recommends wine64)", file=sys.stderr, flush=True)
        t.diag(f"WARNING: {WINE} missing: the Windows agent is not tested")
        t.skip("the Windows agent under wine", "wine64 is not installed")
        t.done()
    b = subprocess.run(["make", "-s", "BOARD=windows-x64", "SAN=0", "agent"], cwd=ROOT, capture_output=True,
                       text=True)
    if not t.ok(b.returncode == 0 and os.path.exists(EXE), "make agent BOARD=windows-x64 builds monbot-agent.exe",
                (b.stdout + b.stderr)[-2000:]):
        t.done()
    dump = subprocess.run(["x86_64-w64-mingw32-objdump", "-p", EXE], capture_output=True, text=True).stdout
    dlls = {ln.split(":", 1)[1].strip().lower() for ln in dump.splitlines() if "DLL Name:" in ln}
    t.ok(dlls and dlls <= SYSTEM_DLLS, f"static .exe: imports only Windows' DLLs {sorted(dlls)}")
    base = tmpdir("mb-agent-windows.")
    os.makedirs(PREFIX, exist_ok=True)
    try:
        check_once(base)
        check_link(base)
    finally:
        subprocess.run([WINESERVER, "-k"], env=wine_env(), capture_output=True, timeout=60)
        if not os.environ.get("KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
