#!/usr/bin/python3
"""The Windows package (tools/packages.sh): its listing by unzip and by
Python's zipfile, one folder MonitoringBot/ with monbot-agent.exe (an x86-64
PE, the board build stripped), agent.env.example and README.txt (Windows
line ends, the service commands of the README's "Windows"); the unpacked
.exe runs under wine (the service itself is tested by agent_windows.py)."""
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import ROOT, O, Tap  # noqa: E402

WINE = "/usr/lib/wine/wine64"
PREFIX = os.path.join(ROOT, "build", "windows-x64", "wine")
WANT = ["MonitoringBot/monbot-agent.exe", "MonitoringBot/agent.env.example", "MonitoringBot/README.txt"]
t = Tap()
out = tempfile.mkdtemp()
try:
    r = subprocess.run(["bash", "-c", f'source tests/integration/lib/pkg.sh; build_packages "{out}"'],
                       cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, O=O))
    if not t.ok(r.returncode == 0, "tools/packages.sh builds the packages", r.stdout + r.stderr):
        t.done()
    z = [f for f in os.listdir(out) if f.endswith("_windows-x64.zip")]
    if not t.eq(len(z), 1, "one Windows .zip"):
        t.done()
    path = os.path.join(out, z[0])
    lst = subprocess.run(["unzip", "-l", path], capture_output=True, text=True)
    t.ok(lst.returncode == 0 and all(w in lst.stdout for w in WANT), "unzip -l lists the .exe, the .env example "
         "and the README", lst.stdout + lst.stderr)
    zf = zipfile.ZipFile(path)
    t.eq(sorted(zf.namelist()), sorted(WANT), "nothing else in it")
    t.eq(zf.testzip(), None, "every member's CRC is right")
    exe = zf.read(WANT[0])
    pe = int.from_bytes(exe[0x3C:0x40], "little")
    t.ok(exe[:2] == b"MZ" and exe[pe:pe + 4] == b"PE\0\0" and exe[pe + 4:pe + 6] == b"\x64\x86",
         "monbot-agent.exe is an x86-64 PE")
    strip = subprocess.run(["x86_64-w64-mingw32-strip", "-o", os.path.join(out, "s.exe"),
                            os.path.join(ROOT, "build", "windows-x64", "monbot-agent.exe")])

    def masked(b):  # strip(1) stamps the time: TimeDateStamp and CheckSum (PE/COFF headers) set aside
        b = bytearray(b)
        b[pe + 8:pe + 12] = bytes(4)
        b[pe + 24 + 64:pe + 24 + 68] = bytes(4)
        return bytes(b)
    t.ok(strip.returncode == 0 and masked(open(os.path.join(out, "s.exe"), "rb").read()) == masked(exe),
         f"it is the board build, stripped ({len(exe) // 1024} KiB)")
    readme = zf.read(WANT[2])
    env = zf.read(WANT[1])
    t.ok(b"\r\n" in readme and b"\n" not in readme.replace(b"\r\n", b"") and b"\r\n" in env,
         "the text files have Windows line ends")
    t.ok(all(s in readme for s in (b"--install-service", b"sc start MonitoringBotAgent", b"--remove-service",
                                   b".env")), "README.txt gives the service commands")
    t.ok(b"AGENT_SECRET=" in env and b"AGENT_SERVER_IP=" in env, "agent.env.example names the key and server")
    if os.path.exists(WINE):
        d = os.path.join(out, "unz")
        zf.extractall(d)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "DISPLAY", "WAYLAND"))}
        env.update({"WINEPREFIX": PREFIX, "WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml="})
        w = subprocess.run([WINE, os.path.join(d, WANT[0]), "--version"], cwd=os.path.join(d, "MonitoringBot"),
                           env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
        t.ok(w.returncode == 0 and "monbot-agent" in w.stdout, "the unpacked .exe runs under wine (--version)",
             w.stdout + w.stderr)
    else:
        t.skip("the unpacked .exe runs under wine", "wine64 is not installed")
finally:
    shutil.rmtree(out)
t.done()
