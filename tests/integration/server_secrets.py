#!/usr/bin/python3
"""Files that hold secrets are 0600 from the start (SPEC §5, issue 9 point
4), under a umask of 022 that would let SQLite and fopen make them 0644:
monbot.db and its -wal and -shm, the generated TLS key (the certificate
stays 0644), the server's .env with BOT_TOKEN and the agent's with
AGENT_SECRET, both asked for on a terminal (a pty)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from server import AGENT, SERVER, Server, Tap, free_port, tmpdir  # noqa: E402

t = Tap()
os.umask(0o022)


def mode(path):
    try:
        return oct(os.stat(path).st_mode & 0o7777)
    except FileNotFoundError:
        return "missing"


def wait_for(cond, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def on_terminal(argv, cwd, env, answer, done):
    """Runs argv with a pty as stdin, types answer, waits for done(log)."""
    master, slave = os.openpty()
    log = os.path.join(cwd, "run.log")
    with open(log, "wb") as lf:
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=lf, stderr=subprocess.STDOUT)
    os.close(slave)
    os.write(master, answer.encode() + b"\n")
    ok = wait_for(lambda: done(open(log, errors="replace").read()))
    p.terminate()
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    os.close(master)
    return ok, open(log, errors="replace").read()


# ---- the database, its WAL files and the generated key -----------------------
d = tmpdir("secrets-srv")
srv = Server(d, tls=True)
srv.start()
key = srv.new_key("a")
t.ok(len(key) > 8, "a key was made")
for name in ("monbot.db", "monbot.db-wal", "monbot.db-shm", "key.pem"):
    t.eq(mode(os.path.join(d, name)), "0o600", f"{name} is 0600 while the server runs")
t.eq(mode(os.path.join(d, "cert.pem")), "0o644", "cert.pem (public) is 0644")
srv.stop()
t.eq(mode(os.path.join(d, "monbot.db")), "0o600", "monbot.db is 0600 after a clean stop")

# ---- the server's .env with BOT_TOKEN --------------------------------------
d = tmpdir("secrets-env")
env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DB", "TLS", "PORT")}
env.update({"TLS": "0", "PORT": str(free_port()), "UDP_TEST_PORT": str(free_port()),
            "TELEGRAM_API_URL": "http://127.0.0.1:9", "SQLITE_PATH": os.path.join(d, "m.db")})
ok, log = on_terminal([SERVER], d, env, "123:token", lambda s: "BOT_TOKEN saved to .env" in s)
t.ok(ok, "the server said it saved BOT_TOKEN", log[-2000:])
t.eq(mode(os.path.join(d, ".env")), "0o600", "the server's new .env is 0600")
t.eq(open(os.path.join(d, ".env")).read() if os.path.exists(os.path.join(d, ".env")) else None,
     "BOT_TOKEN=123:token\n", "the server's .env holds the token")

# ---- the agent's .env with AGENT_SECRET ------------------------------------
d = tmpdir("secrets-agent")
env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_")}
env.update({"AGENT_SERVER_IP": "127.0.0.1", "AGENT_PORT": str(free_port()), "AGENT_TLS": "0",
            "AGENT_RECONNECT_DELAY": "1"})
with open(os.path.join(d, ".env"), "w") as f:
    f.write("AGENT_INTERVAL=5\n")
os.chmod(os.path.join(d, ".env"), 0o600)
ok, log = on_terminal([AGENT], d, env, "agent-secret-1",
                      lambda s: "AGENT_SECRET=" in open(os.path.join(d, ".env")).read())
t.ok(ok, "the agent saved AGENT_SECRET", log[-2000:])
t.eq(mode(os.path.join(d, ".env")), "0o600", "the agent's rewritten .env stays 0600")
t.eq(open(os.path.join(d, ".env")).read(), "AGENT_INTERVAL=5\nAGENT_SECRET=agent-secret-1\n",
     "the agent's .env keeps its line and adds the secret")
d2 = tmpdir("secrets-agent-new")
ok, log = on_terminal([AGENT], d2, env, "agent-secret-2",
                      lambda s: os.path.exists(os.path.join(d2, ".env")))
t.ok(ok, "the agent made a new .env", log[-2000:])
t.eq(mode(os.path.join(d2, ".env")), "0o600", "the agent's new .env is 0600")
t.done()
