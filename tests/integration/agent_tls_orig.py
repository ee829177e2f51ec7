#!/usr/bin/python3
"""Each agent build against a WebSocket server with the original's TLS
settings (uvicorn: ssl_ciphers="TLSv1"), held to TLS 1.2 so that only those
CBC/SHA-1 suites can be chosen, one RSA and one ECDSA certificate made by
openssl. AGENT_VERIFY_SSL=1 (pinning): the handshake completes, the first
message arrives, the server reports a TLSv1 suite and the pin file holds
the certificate's fp and spki. Usage: agent_tls_orig.py AGENT NAME [AGENT NAME...]"""
import asyncio
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile

import websockets

TMP = tempfile.mkdtemp(prefix="monbot-tlsorig-")
failures = 0
count = 0
TLSV1_SUITES = set(subprocess.run(["openssl", "ciphers", "TLSv1"], check=True, capture_output=True,
                                  text=True).stdout.strip().split(":"))


def check(ok, what):
    global failures, count
    count += 1
    print(("ok" if ok else "not ok") + " - " + what, flush=True)
    if not ok:
        failures += 1


def make_cert(name, kind):
    k, c = os.path.join(TMP, name + ".key"), os.path.join(TMP, name + ".crt")
    new = ["-newkey", "rsa:2048"] if kind == "rsa" else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "30", "-subj", "/CN=localhost",
                    "-keyout", k, "-out", c] + new, check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", c, "-outform", "DER"], check=True, capture_output=True).stdout
    pub = subprocess.run(["openssl", "x509", "-in", c, "-pubkey", "-noout"], check=True, capture_output=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, check=True,
                          capture_output=True).stdout
    return c, k, hashlib.sha256(der).hexdigest(), hashlib.sha256(spki).hexdigest()


async def session(agent, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_ciphers("TLSv1")            # uvicorn's default ssl_ciphers
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    got = {"msgs": [], "cipher": None}

    async def handler(ws, path):
        so = ws.transport.get_extra_info("ssl_object")
        # cipher()[1] is the version that defined the suite; version() is the negotiated one
        got["cipher"] = (so.cipher()[0], so.version())
        try:
            async for m in ws:
                got["msgs"].append(json.loads(m))
                await ws.send(json.dumps({"commands": []}))
        except websockets.ConnectionClosed:
            pass

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = await websockets.serve(handler, "127.0.0.1", port, ssl=ctx)
    fp_file = os.path.join(TMP, "fp-%d.json" % port)
    env = dict(os.environ, AGENT_SECRET="Sekret123", AGENT_SERVER_IP="127.0.0.1", AGENT_PORT=str(port),
               AGENT_INTERVAL="1", AGENT_RECONNECT_DELAY="1", AGENT_TLS="1", AGENT_VERIFY_SSL="1",
               AGENT_FP_FILE=fp_file)
    logp = os.path.join(TMP, "agent-%d.log" % port)
    ag = subprocess.Popen([os.path.abspath(agent)], env=env, stdin=subprocess.DEVNULL, stdout=open(logp, "wb"),
                          stderr=subprocess.STDOUT, cwd=TMP)
    for _ in range(200):
        if got["msgs"] or ag.poll() is not None:
            break
        await asyncio.sleep(0.05)
    if ag.poll() is None:
        ag.send_signal(signal.SIGTERM)
        try:
            ag.wait(10)
        except subprocess.TimeoutExpired:
            ag.kill()
            ag.wait()
    srv.close()
    await srv.wait_closed()
    pin = json.load(open(fp_file)) if os.path.exists(fp_file) else None
    return got, pin, ag.returncode, open(logp, errors="replace").read()


async def main():
    args = sys.argv[1:]
    certs = {kind: make_cert(kind, kind) for kind in ("rsa", "ecdsa")}
    for agent, name in zip(args[0::2], args[1::2]):
        if not os.access(agent, os.X_OK):
            check(False, "%s: %s built" % (name, agent))
            continue
        for kind, (c, k, fp, spki) in certs.items():
            got, pin, rc, log = await session(agent, c, k)
            cipher = got["cipher"]
            what = "%s agent, %s certificate, TLS 1.2 with ciphers 'TLSv1'" % (name, kind)
            check(len(got["msgs"]) >= 1 and "ts" in got["msgs"][0] and "host" in got["msgs"][0],
                  what + ": handshake and first message (%d messages)" % len(got["msgs"]))
            check(cipher is not None and cipher[1] == "TLSv1.2" and cipher[0] in TLSV1_SUITES and
                  cipher[0] == ("ECDHE-RSA-AES256-SHA" if kind == "rsa" else "ECDHE-ECDSA-AES256-SHA"),
                  what + ": server reports %s" % (cipher,))
            check(pin == {"fp": fp, "spki": spki}, what + ": pin file %s" % (pin,))
            check(rc == 0, what + ": SIGTERM exits 0 (got %s)" % rc)
            if failures:
                print("# " + log[-1500:].replace("\n", "\n# "))
    return 1 if failures else 0


sys.exit(asyncio.run(main()))
