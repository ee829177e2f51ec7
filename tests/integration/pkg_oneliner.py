#!/usr/bin/python3
"""The agent's one-line install (server/dist.h) end to end, in network
namespaces: a real monbot-server with TLS and AGENT_DIST_DIR, its bot on
the Telegram double, in namespace "srv"; a second namespace "host" joined
to it by a veth pair stands for the machine to monitor (nothing of this
touches the machine's own network). /newkey's reply carries the command;
it is run as it is printed (its `sh` with DESTDIR, so that nothing lands in
this machine's /usr or /etc) inside "host": curl checks the server's key
against the pin in the command, the script fetches the agent for this
architecture over the same pin, writes agent.env with the key, the pin
file and the systemd unit, and starts the agent (no systemd runs in a
namespace: in the background), whose samples must reach the server. A
command with another pin installs nothing."""
import base64
import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import ROOT, Server, Tap, tmpdir  # noqa: E402

NS = os.environ.get("MONBOT_NS")
t = Tap()


def sh(*a, **k):
    return subprocess.run(list(a), capture_output=True, text=True, **k)


def outer():
    """Makes the namespaces, runs this script again inside "srv", removes them."""
    if os.geteuid() != 0:
        t.skip("one-line install in network namespaces", "needs root (ip netns)")
        t.done()
    agent = os.path.join(ROOT, "build", "x86_64", "monbot-agent")
    if not os.path.exists(agent):
        r = sh("make", "-s", "--no-print-directory", "BOARD=x86_64", "SAN=0", "agent", cwd=ROOT)
        if not t.ok(r.returncode == 0, "the x86_64 board agent builds", r.stdout + r.stderr):
            t.done()
    n = os.getpid() % 250 + 1
    srv, host = f"mbsrv{os.getpid()}", f"mbhost{os.getpid()}"
    va, vb = f"mbs{os.getpid()}"[:15], f"mbh{os.getpid()}"[:15]
    setup = [
        ["ip", "netns", "add", srv], ["ip", "netns", "add", host],
        ["ip", "link", "add", va, "netns", srv, "type", "veth", "peer", "name", vb, "netns", host],
        ["ip", "-n", srv, "addr", "add", f"10.251.{n}.1/30", "dev", va],
        ["ip", "-n", host, "addr", "add", f"10.251.{n}.2/30", "dev", vb],
        ["ip", "-n", srv, "link", "set", va, "up"], ["ip", "-n", host, "link", "set", vb, "up"],
        ["ip", "-n", srv, "link", "set", "lo", "up"], ["ip", "-n", host, "link", "set", "lo", "up"],
    ]
    rc = 1
    try:
        for c in setup:
            r = sh(*c)
            if r.returncode != 0:
                t.ok(False, "network namespaces srv and host joined by a veth pair", " ".join(c) + ": " + r.stderr)
                t.done()
        env = dict(os.environ, MONBOT_NS=host, MONBOT_SRV_ADDR=f"10.251.{n}.1", MONBOT_HOST_ADDR=f"10.251.{n}.2")
        rc = subprocess.run(["ip", "netns", "exec", srv, sys.executable, os.path.abspath(__file__)],
                            env=env).returncode
    finally:
        # whatever the installed agent left running in "host", by its pids
        for p in sh("ip", "netns", "pids", host).stdout.split():
            try:
                os.kill(int(p), 15)
            except (ProcessLookupError, ValueError):
                pass
        for p in sh("ip", "netns", "pids", srv).stdout.split():
            try:
                os.kill(int(p), 15)
            except (ProcessLookupError, ValueError):
                pass
        time.sleep(0.3)
        sh("ip", "netns", "del", host)
        sh("ip", "netns", "del", srv)
    sys.exit(rc)


def spki_pin(cert):
    """The certificate's public key hash as curl's --pinnedpubkey takes it, by openssl."""
    pub = sh("openssl", "x509", "-in", cert, "-pubkey", "-noout").stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub.encode(),
                         capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode(), hashlib.sha256(der).hexdigest()


def inner():
    from tg import TgDouble
    tmp = tmpdir("monbot-oneliner-")
    addr = os.environ["MONBOT_SRV_ADDR"]
    dist = os.path.join(tmp, "dist")
    os.makedirs(dist)
    shutil.copy(os.path.join(ROOT, "build", "x86_64", "monbot-agent"), os.path.join(dist, "monbot-agent-x86_64"))
    d = TgDouble().start()
    env = dict(d.env())
    env.update({"AGENT_DIST_DIR": dist, "PUBLIC_HOST": addr, "BOT_LANG": "en"})
    srv = Server(tmp, tls=True, env=env).start()
    dest = os.path.join(tmp, "host-root")
    try:
        d.wait_polling(timeout=30)
        log = srv.log()
        t.ok("agent install: 1 binaries" in log, "the server reads AGENT_DIST_DIR at start", log[-2000:])
        mark = d.last_mid(1001)
        d.say({"id": 1001, "first_name": "Op"}, "/newkey web1", chat=1001)
        m = d.wait_message(1001, lambda m: "Key created" in (m.get("text") or ""), 30, after=mark)
        text = html.unescape((m or {}).get("text") or "")
        cmd = next((ln for ln in text.splitlines() if ln.startswith("curl ")), None)
        if not t.ok(cmd is not None, "/newkey's reply has a one-line install command", text):
            return
        t.diag(cmd)
        secret = re.search(r"sh -s -- ([A-Za-z0-9]{20})$", cmd)
        t.ok(secret is not None, "the command ends with the new key", cmd)
        secret = secret.group(1) if secret else ""
        b64, hexd = spki_pin(os.path.join(tmp, "cert.pem"))
        t.ok(f"--pinnedpubkey sha256//{b64} " in cmd, "the command pins the certificate's public key (openssl's hash)",
             cmd)
        t.ok(f"https://{addr}:{srv.port}/install.sh" in cmd, "from the server's own HTTPS endpoint at PUBLIC_HOST")

        def run_in_host(c, dest_dir):
            return subprocess.run(["ip", "netns", "exec", os.environ["MONBOT_NS"], "sh", "-c", c],
                                  env=dict(os.environ, DESTDIR=dest_dir), capture_output=True, text=True,
                                  timeout=60)

        # a wrong pin: curl refuses before any byte, nothing is installed
        wrong = cmd.replace(b64, base64.b64encode(b"\0" * 32).decode())
        bad = os.path.join(tmp, "bad-root")
        r = subprocess.run(["ip", "netns", "exec", os.environ["MONBOT_NS"], "bash", "-o", "pipefail", "-c", wrong],
                           env=dict(os.environ, DESTDIR=bad), capture_output=True, text=True, timeout=60)
        t.ok(r.returncode != 0 and "pinned public key" in r.stderr and not os.path.exists(bad),
             "with another pin curl refuses the server and nothing is installed", r.stdout + r.stderr)

        r = run_in_host(cmd, dest)
        t.ok(r.returncode == 0 and "agent installed" in r.stdout, "the command runs in the host namespace",
             r.stdout + r.stderr)
        binp = os.path.join(dest, "usr/local/bin/monbot-agent")
        t.ok(os.access(binp, os.X_OK) and open(binp, "rb").read() ==
             open(os.path.join(dist, "monbot-agent-x86_64"), "rb").read(),
             "the agent for this architecture is installed, byte for byte")
        envf = os.path.join(dest, "etc/monbot/agent.env")
        e = open(envf).read() if os.path.exists(envf) else ""
        t.ok(f"AGENT_SECRET={secret}\n" in e and f"AGENT_SERVER_IP={addr}\n" in e and
             f"AGENT_PORT={srv.port}\n" in e, "agent.env has the key, the server and its port", e)
        t.eq(oct(os.stat(envf).st_mode & 0o777) if e else None, "0o600", "agent.env is 0600")
        pinf = os.path.join(dest, "var/lib/monbot-agent/fingerprint.json")
        pin = open(pinf).read() if os.path.exists(pinf) else ""
        t.ok(f'"spki": "{hexd}"' in pin, "the pin file holds the same key: the agent's first connection is pinned",
             pin)
        unit = os.path.join(dest, "etc/systemd/system/monbot-agent.service")
        if t.ok(os.path.exists(unit), "the systemd unit is written"):
            u = open(unit).read().replace("ExecStart=/usr/local/bin/", "ExecStart=" + dest + "/usr/local/bin/")
            uf = os.path.join(tmp, "monbot-agent.service")
            open(uf, "w").write(u)
            v = sh("systemd-analyze", "verify", uf)
            t.ok(v.returncode == 0 and not v.stderr.strip(), "systemd-analyze verify passes on it", v.stderr)
        rows = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            rows = srv.rows("SELECT COUNT(*) FROM metrics WHERE secret=?", (secret,))
            if rows and rows[0][0] >= 2:
                break
            time.sleep(0.2)
        agent_log = os.path.join(dest, "var/lib/monbot-agent/monbot-agent.log")
        t.ok(rows and rows[0][0] >= 2, "the installed agent's samples arrive at the server",
             (open(agent_log).read()[-2000:] if os.path.exists(agent_log) else "no agent log") + srv.log()[-1500:])
        host_addr = os.environ["MONBOT_HOST_ADDR"]
        ss = sh("ip", "netns", "exec", os.environ["MONBOT_NS"], "ss", "-tnp").stdout
        t.ok(re.search(rf"ESTAB.*{re.escape(host_addr)}:\d+\s+{re.escape(addr)}:{srv.port}\b.*monbot-agent", ss)
             is not None, "the agent holds its connection from the host namespace to the server's veth address", ss)
    finally:
        srv.stop()
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if NS:
    inner()
    t.done()
else:
    outer()
