#!/usr/bin/python3
"""tls_pairs.py — every agent build against every server build: monbot-agent
and monbot-server of each TLS back-end (mbedTLS in $O, wolfSSL in
$O-wolfssl), the four pairs end to end on SQLite with the default
AGENT_VERIFY_SSL=1. For each pair: first use pins the server's certificate
(the pin equals openssl's SHA-256 of it), the samples are stored and acked
(rows == samples taken from the agent's exit line, 0 unacknowledged,
nothing dropped), the arena's peak fits its size; a second run connects on the pin;
a pin of the other server is refused (exit 3) and stores nothing. Each
server's /metrics counts exactly the rows in its database. Then
AGENT_VERIFY_SSL=force through an ECDSA CA, each agent against each server.
Each NAME=PATH argument adds one more mbedTLS agent build (the BOARD=x86_64
agent, on the project's own mbedTLS configuration) against both servers.

tests/integration/tls_pairs.sh builds the wolfSSL programs and runs this."""
import hashlib
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import server as S  # noqa: E402

BUILDS = {"mbedtls": S.O, "wolfssl": S.O + "-wolfssl"}
ARENA_KB = {"mbedtls": 160, "wolfssl": 2048}  # WIRE_TLS_ARENA_KB in wire/ws.mk
# agent name -> binary: each back-end's, then the extra mbedTLS agents of argv
AGENTS = {name: os.path.join(d, "monbot-agent") for name, d in BUILDS.items()}
AGENTS.update((n, os.path.abspath(p)) for n, p in (a.split("=", 1) for a in sys.argv[1:]))
EXIT_RE = re.compile(r"stopping \(signal 15\), (\d+) samples taken, (\d+) unacknowledged, (\d+) dropped; "
                     r"TLS arena peak (\d+) of (\d+) bytes")
WAIT_S = 60  # a deadline for a stuck pair, never a measured time

t = S.Tap()


def cert_hashes(path):
    der = subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"], capture_output=True,
                         check=True).stdout
    pub = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-pubkey"], capture_output=True,
                         check=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, capture_output=True,
                          check=True).stdout
    return hashlib.sha256(der).hexdigest(), hashlib.sha256(spki).hexdigest()


def count(srv, key):
    return srv.rows("SELECT COUNT(*), COUNT(DISTINCT ts) FROM metrics WHERE secret = ?", (key,))[0]


def run_agent(srv, key, workdir, agent_bin, want_rows):
    """Runs the agent until the server holds want_rows rows of key, then
    stops it; returns (exit code, log, exit-line numbers or None). The stop
    follows a stored row at once, well before the next sample (AGENT_INTERVAL
    1 s) is taken: a sample taken but not yet sent at SIGTERM would stay
    unacknowledged, and the exact counts below would not hold."""
    before = os.path.getsize(os.path.join(workdir, "agent.log")) if os.path.exists(workdir) else 0
    p = S.start_agent(srv, key, workdir, binary=agent_bin)
    deadline = time.time() + WAIT_S
    while time.time() < deadline and p.poll() is None and count(srv, key)[0] < want_rows:
        time.sleep(0.02)
    rc = S.stop_agent(p)
    log = S.agent_log(p)[before:]  # this run's lines (the log is appended to)
    m = EXIT_RE.search(log)
    return rc, log, tuple(int(x) for x in m.groups()) if m else None


def pair(tag, srv, srv_fp, other_pins, agent_tls, base):
    agent_bin = AGENTS[agent_tls]
    key = srv.new_key()
    work = os.path.join(base, tag.replace("/", "-"))
    pin_file = os.path.join(work, "fp.json")

    # 1. first use: pinned, stored, acked
    rc, log, ex = run_agent(srv, key, work, agent_bin, 2)
    t.eq(rc, 0, f"{tag}: agent exits 0 on SIGTERM")
    if not t.ok(ex is not None, f"{tag}: agent's exit line", log[-2000:]):
        return
    taken, unacked, dropped, peak, size = ex
    rows, distinct = count(srv, key)
    t.ok(f"first connection: pinned server certificate {srv_fp[0]} (key {srv_fp[1]})" in log,
         f"{tag}: first connection pins openssl's hashes of the server certificate", log[-2000:])
    with open(pin_file) as f:
        t.eq(json.load(f), {"fp": srv_fp[0], "spki": srv_fp[1]}, f"{tag}: pin file")
    t.eq([ln for ln in log.splitlines() if "disconnected" in ln or "arena exhausted" in ln], [],
         f"{tag}: no disconnection")
    t.ok(rows >= 2, f"{tag}: samples stored ({rows})")
    # every sample taken is stored and acknowledged: acks by identity, and a
    # clean stop waits for those in flight (issue 9 points 1 and 13)
    t.eq((rows, unacked), (taken, 0), f"{tag}: rows stored == samples taken, 0 unacknowledged")
    t.eq(distinct, rows, f"{tag}: one row per sample ts")
    t.eq(dropped, 0, f"{tag}: nothing dropped")
    t.eq(size, ARENA_KB.get(agent_tls, ARENA_KB["mbedtls"]) * 1024, f"{tag}: agent's TLS arena size")
    t.ok(0 < peak <= size, f"{tag}: arena peak {peak} within {size}")
    t.diag(f"{tag}: agent TLS arena peak {peak} of {size} bytes")

    # 2. the pin is kept: a second run connects and stores more
    rc, log, ex2 = run_agent(srv, key, work, agent_bin, rows + 1)
    rows2, _ = count(srv, key)
    t.eq(rc, 0, f"{tag}: pinned run exits 0")
    t.ok("connected to 127.0.0.1" in log and "pinned" not in log and "pin file" not in log,
         f"{tag}: second run connects on the pin, silently", log[-2000:])
    with open(pin_file) as f:
        t.eq(json.load(f), {"fp": srv_fp[0], "spki": srv_fp[1]}, f"{tag}: pin file unchanged")
    if t.ok(ex2 is not None, f"{tag}: pinned run's exit line", log[-2000:]):
        t.ok(rows2 > rows, f"{tag}: pinned run stored more ({rows2 - rows})")
        t.eq((rows2 - rows, ex2[1]), (ex2[0], 0),
             f"{tag}: pinned run: rows stored == samples taken, 0 unacknowledged")

    # 3. another server's pin: refused before anything is sent
    with open(pin_file, "w") as f:
        json.dump({"fp": other_pins[0], "spki": other_pins[1]}, f)
    p = S.start_agent(srv, key, work, binary=agent_bin)
    try:
        rc = p.wait(WAIT_S)
    except subprocess.TimeoutExpired:
        rc = None
    S.stop_agent(p)
    log = S.agent_log(p)
    t.eq(rc, 3, f"{tag}: agent with another server's pin exits 3")
    t.ok(f"does not match the one pinned in {pin_file} (pinned key {other_pins[1]}, now {srv_fp[0]} "
         f"with key {srv_fp[1]})" in log, f"{tag}: mismatch names both keys", log[-1500:])
    t.eq(count(srv, key)[0], rows2, f"{tag}: nothing stored past a refused pin")


def make_chain(d):
    """An ECDSA P-256 CA and a leaf for localhost signed by it (openssl)."""
    def ossl(*a):
        subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True)
    ossl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key")
    ossl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=monbot test CA", "-days", "30",
         "-addext", "basicConstraints=critical,CA:TRUE", "-out", "ca.pem")
    ossl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "leaf.key")
    ossl("req", "-new", "-key", "leaf.key", "-subj", "/CN=localhost", "-out", "leaf.csr")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
    ossl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-days", "30", "-extfile", "ext", "-out", "leaf.pem")
    os.chmod(os.path.join(d, "leaf.key"), 0o600)


def force_chain(srv_tls, base):
    """AGENT_VERIFY_SSL=force through a CA: two ECDSA checks in one handshake
    (the leaf's signature, then the server's), each filling wolfSSL's
    fixed-point cache, must fit the agent's arena."""
    wd = os.path.join(base, "chain-" + srv_tls)
    os.makedirs(wd)
    make_chain(wd)
    srv = S.Server(wd, tls=True, binary=os.path.join(BUILDS[srv_tls], "monbot-server"),
                   env={"SSL_CERT": "leaf.pem", "SSL_KEY": "leaf.key"}).start()
    try:
        for agent_tls in AGENTS:
            tag = f"{agent_tls} agent/{srv_tls} server, force with a CA"
            key = srv.new_key()
            work = os.path.join(wd, "agent-" + agent_tls)
            p = S.start_agent(srv, key, work, binary=AGENTS[agent_tls],
                              extra={"AGENT_SERVER_IP": "localhost", "AGENT_VERIFY_SSL": "force",
                                     "AGENT_CA_FILE": os.path.join(wd, "ca.pem")})
            deadline = time.time() + WAIT_S
            while time.time() < deadline and p.poll() is None and count(srv, key)[0] < 1:
                time.sleep(0.2)
            rc = S.stop_agent(p)
            log = S.agent_log(p)
            m = EXIT_RE.search(log)
            t.eq(rc, 0, f"{tag}: agent exits 0 on SIGTERM")
            t.eq([ln for ln in log.splitlines() if "disconnected" in ln or "arena exhausted" in ln], [],
                 f"{tag}: no disconnection")
            t.ok(count(srv, key)[0] >= 1, f"{tag}: samples stored", log[-1500:])
            t.ok(not os.path.exists(os.path.join(work, "fp.json")), f"{tag}: no pin file in force mode")
            if t.ok(m is not None, f"{tag}: agent's exit line", log[-1500:]):
                peak, size = int(m.group(4)), int(m.group(5))
                t.ok(peak <= size, f"{tag}: arena peak {peak} within {size}")
                t.diag(f"{tag}: agent TLS arena peak {peak} of {size} bytes")
    finally:
        srv.stop()


def main():
    for name, d in BUILDS.items():
        for prog in ("monbot-server", "monbot-agent"):
            if not os.access(os.path.join(d, prog), os.X_OK):
                t.ok(False, f"{name} {prog} built in {d}")
                t.done()
    for name, path in AGENTS.items():
        if not os.access(path, os.X_OK):
            t.ok(False, f"{name} agent built as {path}")
            t.done()
    base = S.tmpdir("tls_pairs.")
    servers = {}
    try:
        for name, d in BUILDS.items():
            wd = os.path.join(base, "server-" + name)
            os.makedirs(wd)
            servers[name] = S.Server(wd, tls=True, binary=os.path.join(d, "monbot-server")).start()
        pins = {n: cert_hashes(os.path.join(s.dir, "cert.pem")) for n, s in servers.items()}
        for srv_tls, srv in servers.items():
            other = pins["wolfssl" if srv_tls == "mbedtls" else "mbedtls"]
            for agent_tls in AGENTS:
                pair(f"{agent_tls} agent/{srv_tls} server", srv, pins[srv_tls], other, agent_tls, base)
        for srv_tls in BUILDS:
            force_chain(srv_tls, base)
        for name, srv in servers.items():
            total = srv.rows("SELECT COUNT(*) FROM metrics")[0][0]
            t.eq(S.metric(srv.metrics(), "monbot_samples_ingested_total"), float(total),
                 f"{name} server: /metrics samples ingested == rows stored")
            t.eq(srv.log().count("TLS handshake failed"), 0, f"{name} server: no failed handshake")
    finally:
        for srv in servers.values():
            srv.stop()
        if not os.environ.get("KEEP"):
            subprocess.run(["rm", "-rf", base])
        else:
            t.diag(f"kept {base}")
    t.done()


if __name__ == "__main__":
    main()
