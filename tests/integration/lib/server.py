"""Helpers for the server's integration tests (tests/integration/server_*.py):
start monbot-server on SQLite or a private MariaDB, make keys, read /metrics
with the Prometheus text-format rules, read stored rows, print TAP.

Run with /usr/bin/python3 (python3-websockets). O is the build folder."""
import asyncio
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
O = os.path.join(ROOT, os.environ.get("O", "build/native"))
SERVER = os.path.join(O, "monbot-server")
AGENT = os.path.join(O, "monbot-agent")
MARIADB_SH = os.path.join(ROOT, "tests", "integration", "lib", "mariadb.sh")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}", flush=True)
            if detail is not None:
                for line in str(detail).splitlines()[:30]:
                    print(f"#   {line}", flush=True)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, f"got {got!r}, want {want!r}")

    def skip(self, name, why):
        self.n += 1
        print(f"ok {self.n} - {name} # SKIP {why}", flush=True)

    def diag(self, msg):
        for line in str(msg).splitlines():
            print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        sys.exit(1 if self.failed else 0)


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def have_mariadb():
    return any(os.access(p, os.X_OK) for p in ("/usr/sbin/mariadbd", "/usr/sbin/mysqld")) or \
        subprocess.call(["bash", "-c", "command -v mariadbd >/dev/null"]) == 0


class MariaDB:
    """A private MariaDB through the storage engineer's harness."""

    def __init__(self, base):
        self.dir = os.path.join(base, "mariadb")
        self.env = {}

    def start(self):
        out = subprocess.run(["bash", MARIADB_SH, "start", self.dir], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("MariaDB did not start: " + out.stderr[-2000:])
        for line in out.stdout.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                self.env[k] = v
        return self

    def stop(self):
        subprocess.run(["bash", MARIADB_SH, "stop", self.dir], capture_output=True)

    def cleanup(self):
        subprocess.run(["bash", MARIADB_SH, "cleanup", self.dir], capture_output=True)

    def query(self, sql, db="monitoring"):
        cmd = ["mariadb", "--no-defaults", "-uroot", f"--socket={self.dir}/sock", "-N", "-B", db, "-e", sql]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MYSQL")}
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        rows = []
        for line in out.stdout.splitlines():
            rows.append(tuple(None if c == "NULL" else c for c in line.split("\t")))
        return rows


class Server:
    """monbot-server in its own working directory."""

    def __init__(self, tmp, db="sqlite", tls=False, mariadb=None, env=None, binary=None):
        self.bin = binary or SERVER  # another build's monbot-server (tls_pairs.py)
        self.dir = tmp
        self.port = free_port()
        self.udp_port = free_port(socket.SOCK_DGRAM)
        self.tls = tls
        self.db = db
        self.mariadb = mariadb
        self.proc = None
        self.log_path = os.path.join(tmp, "server.log")
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith(("MYSQL_", "AGENT_")) or k in ("DB", "PORT", "TLS", "BOT_TOKEN"):
                del self.env[k]
        self.env.update({
            "PORT": str(self.port), "UDP_TEST_PORT": str(self.udp_port),
            "TLS": "1" if tls else "0", "DB": db, "LOG_LEVEL": "DEBUG",
        })
        if db == "mysql":
            self.env.update(mariadb.env)
            self.env["MYSQL_DB"] = "monitoring"
        if env:
            self.env.update(env)

    def cli(self, *args, check=True):
        out = subprocess.run([self.bin, *args], cwd=self.dir, env=self.env, capture_output=True,
                             text=True, stdin=subprocess.DEVNULL)
        if check and out.returncode != 0:
            raise RuntimeError(f"monbot-server {' '.join(args)}: {out.returncode} {out.stderr}")
        return out

    def new_key(self, name=None):
        args = ["key", "new"] + ([name] if name else [])
        return self.cli(*args).stdout.split()[0]

    def start(self, wait=True):
        started = self.log().count("agents on")  # a restart in the same directory appends
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.bin], cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        if wait:
            deadline = time.time() + 30
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("server exited: " + self.log()[-3000:])
                if self.log().count("agents on") > started:
                    break
                try:  # LOG_LEVEL may hide the start line: the port answers
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    break
                except OSError:
                    pass
                time.sleep(0.05)
            else:
                self.proc.kill()  # leave nothing running behind a failed test
                self.proc.wait()
                raise RuntimeError("server did not start: " + self.log()[-3000:])
        return self

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.logf.close()
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    # ---- HTTP ----
    def url(self, path):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def ws_url(self, secret):
        return f"{'wss' if self.tls else 'ws'}://127.0.0.1:{self.port}/ws/{secret}"

    def ssl_ctx(self):
        if not self.tls:
            return None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def http_get(self, path, timeout=10):
        req = urllib.request.Request(self.url(path))
        with urllib.request.urlopen(req, timeout=timeout, context=self.ssl_ctx()) as r:
            return r.status, r.read().decode()

    def metrics(self):
        return parse_metrics(self.http_get("/metrics")[1])

    # ---- stored rows ----
    def rows(self, sql, args=()):
        if self.db == "mysql":
            q = sql
            for a in args:
                q = q.replace("?", "'" + str(a).replace("'", "''") + "'", 1)
            return self.mariadb.query(q)
        con = sqlite3.connect(f"file:{os.path.join(self.dir, 'monbot.db')}?mode=ro", uri=True, timeout=30)
        try:
            return [tuple(r) for r in con.execute(sql, args).fetchall()]
        finally:
            con.close()


# ---- Prometheus text format 0.0.4 --------------------------------------------
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"


def _unescape_label(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            n = s[i + 1]
            out.append({"\\": "\\", '"': '"', "n": "\n"}[n])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_metrics(text):
    """Strict reader: every sample's family has one TYPE (and HELP) before it,
    families are contiguous, label values are unescaped, values are floats.
    Returns {family: {"type", "help", "samples": [(name, {labels}, value)]}}.
    Raises ValueError on anything the format does not allow."""
    fams, order, current = {}, [], None
    if not text.endswith("\n"):
        raise ValueError("exposition must end with a line feed")
    for ln, line in enumerate(text.split("\n")[:-1], 1):
        if line == "":
            continue
        if line.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) (" + _NAME + r") ?(.*)$", line)
            if not m:
                continue  # other comments are allowed
            kind, name, rest = m.groups()
            f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
            if name not in order:
                order.append(name)
            elif current != name:
                raise ValueError(f"line {ln}: family {name} is not contiguous")
            if kind == "TYPE":
                if f["type"] is not None:
                    raise ValueError(f"line {ln}: second TYPE for {name}")
                if f["samples"]:
                    raise ValueError(f"line {ln}: TYPE after samples of {name}")
                if rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    raise ValueError(f"line {ln}: bad type {rest!r}")
                f["type"] = rest
            else:
                if f["help"] is not None:
                    raise ValueError(f"line {ln}: second HELP for {name}")
                f["help"] = rest.replace("\\n", "\n").replace("\\\\", "\\")
            current = name
            continue
        m = re.match(r"^(" + _NAME + r")(\{(.*)\})? (\S+)( -?\d+)?$", line)
        if not m:
            raise ValueError(f"line {ln}: not a sample: {line!r}")
        name, _, lbl, val, _ts = m.groups()
        labels = {}
        if lbl:
            pos = 0
            while pos < len(lbl):
                lm = re.compile(r'(' + _LABEL + r')="((?:[^"\\\n]|\\[\\"n])*)"(,|$)').match(lbl, pos)
                if not lm:
                    raise ValueError(f"line {ln}: bad labels {lbl!r}")
                if lm.group(1) in labels:
                    raise ValueError(f"line {ln}: repeated label {lm.group(1)}")
                labels[lm.group(1)] = _unescape_label(lm.group(2))
                pos = lm.end()
        try:
            value = float(val)
        except ValueError:
            raise ValueError(f"line {ln}: bad value {val!r}")
        fam = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name not in fams and name.endswith(suffix) and name[: -len(suffix)] in fams:
                fam = name[: -len(suffix)]
        if fam not in fams or fams[fam]["type"] is None:
            raise ValueError(f"line {ln}: sample of {name} before its TYPE")
        if current != fam:
            raise ValueError(f"line {ln}: family {fam} is not contiguous")
        for s in fams[fam]["samples"]:
            if s[0] == name and s[1] == labels:
                raise ValueError(f"line {ln}: duplicate series {name}{labels}")
        fams[fam]["samples"].append((name, labels, value))
    return fams


def metric(fams, name, **labels):
    """Value of one series (0.0 when the family or series is absent)."""
    for fam in fams.values():
        for n, l, v in fam["samples"]:
            if n == name and all(l.get(k) == val for k, val in labels.items()):
                return v
    return 0.0


# ---- the original agent's messages ---------------------------------------------
def original_sample(i=0, full=False):
    """What client/__main__.py gather_metrics() sends (SPEC §3 keys only, no ts)."""
    d = {
        "cpu": 12.5 + i, "ram": 43.1, "ram_used": 7123456000 + i, "ram_total": 16624128000,
        "swap": 0.0, "swap_used": 0, "swap_total": 2147479552, "cpu_temp": 47.0 if i % 2 else None,
        "uptime": 86400 + i, "gpu": 3.0, "vram_used": 512.5, "vram_total": 8192.0, "vram": 6.25,
        "gpu_temp": 41.0, "net_up": None if i == 0 else 1234.5, "net_down": None if i == 0 else 98765.25,
    }
    if full:
        d["disks"] = [{"mount": "/", "percent": 57.3, "used": 123456789012, "total": 215504928768}]
        d["top_procs"] = [{"name": "python3 (2)", "cpu": 5.5, "ram": 104857600}]
    else:
        d["disks"] = []
        d["top_procs"] = []
    return d


def run(coro):
    return asyncio.get_event_loop().run_until_complete(coro) if sys.version_info < (3, 7) else asyncio.run(coro)


def tmpdir(prefix):
    return tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("TMPDIR", "/tmp"))


# ---- real agents ------------------------------------------------------------------
def on_both_backends(t, prefix, check):
    """check(tag, workdir[, mariadb=m]) on SQLite, then on a private MariaDB
    (skipped, said so, when mariadbd is not installed); KEEP=1 keeps files."""
    base = tmpdir(prefix)
    try:
        os.makedirs(os.path.join(base, "sqlite"))
        check("sqlite", os.path.join(base, "sqlite"))
        if not have_mariadb():
            t.skip("[mysql] the same on MariaDB", "mariadbd not installed")
            return
        m = MariaDB(base)
        try:
            m.start()
            os.makedirs(os.path.join(base, "mysql"))
            check("mysql", os.path.join(base, "mysql"), mariadb=m)
        finally:
            m.cleanup()
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(base, ignore_errors=True)
        else:
            t.diag(f"kept {base}")


def wait_for(cond, limit=30):
    """cond() once it is true, polled every 50 ms up to limit seconds."""
    end = time.time() + limit
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    return cond()


def agent_has_link():
    """The agent binary can talk to a server (the lead's link loop is built)."""
    if not os.access(AGENT, os.X_OK):
        return False
    out = subprocess.run([AGENT, "--help"], capture_output=True, text=True)
    return "AGENT_SERVER_IP" in (out.stdout + out.stderr)


def start_agent(srv, key, workdir, interval=1, extra=None, binary=None):
    os.makedirs(workdir, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "MYSQL_"))}
    env.update({
        "AGENT_SECRET": key, "AGENT_SERVER_IP": "127.0.0.1", "AGENT_PORT": str(srv.port),
        "AGENT_INTERVAL": str(interval), "AGENT_TLS": "1" if srv.tls else "0",
        "AGENT_VERIFY_SSL": "1", "AGENT_FP_FILE": os.path.join(workdir, "fp.json"),
        "AGENT_RECONNECT_DELAY": "1", "AGENT_UDP_PORT": str(srv.udp_port),
    })
    if extra:
        env.update(extra)
    log = open(os.path.join(workdir, "agent.log"), "ab")
    p = subprocess.Popen([binary or AGENT], cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT)
    p.logfile = log
    p.workdir = workdir
    return p


def stop_agent(p, timeout=30):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    p.logfile.close()
    return rc


def agent_log(p):
    with open(os.path.join(p.workdir, "agent.log"), errors="replace") as f:
        return f.read()


def gaps(ts_list, limit=2):
    """Places where consecutive stored ts are more than `limit` s apart."""
    return [(a, b) for a, b in zip(ts_list, ts_list[1:]) if b - a > limit]
