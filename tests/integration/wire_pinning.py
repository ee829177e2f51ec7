#!/usr/bin/python3
"""wire_pinning.py — SPEC §4 trust on first use, end to end with our TLS
client and server: certificate A pinned; B (a new key) refused with the
message telling to delete the file; a new certificate on A's key accepted
and re-pinned; the original agent's fp-only file still works. The pinned
hashes are checked against openssl's.

usage: wire_pinning.py <ws_peer> <label> [<ws_peer for the server>]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

PEER = sys.argv[1]
LABEL = sys.argv[2] if len(sys.argv) > 2 else "native"
SERVER_PEER = sys.argv[3] if len(sys.argv) > 3 else PEER
T = 60
n = 0
failed = 0


def report(ok, what, detail=""):
    global n, failed
    n += 1
    failed += not ok
    print(("ok %d - %s %s" if ok else "not ok %d - %s %s") % (n, LABEL, what), flush=True)
    if not ok and detail:
        for line in str(detail).splitlines()[:15]:
            print("# " + line, flush=True)


class Server:
    def __init__(self, cert, key):
        self.p = subprocess.Popen([SERVER_PEER, "server", "--tls", "--cert", cert, "--key", key],
                                  stdout=subprocess.PIPE, text=True)
        self.port = None
        for line in self.p.stdout:
            if line.startswith("listening "):
                self.port = int(line.split()[1])
                break
        if not self.port:
            raise RuntimeError("server did not start")

    def stop(self):
        self.p.kill()
        self.p.wait()


def client(port, *args):
    r = subprocess.run([PEER, "client", "--port", str(port), "--tls", "--ask-close", "--path", "/ws/pin"] + list(args),
                       capture_output=True, text=True, timeout=T)
    return r.returncode, r.stdout


def openssl_hashes(cert):
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], capture_output=True, check=True).stdout
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"], capture_output=True, check=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, capture_output=True,
                          check=True).stdout
    import hashlib
    return hashlib.sha256(der).hexdigest(), hashlib.sha256(spki).hexdigest()


def main():
    tmp = tempfile.mkdtemp(prefix="wire_pinning.")
    try:
        pin = os.path.join(tmp, "fp.json")
        ca, ka = os.path.join(tmp, "a_cert.pem"), os.path.join(tmp, "a_key.pem")
        cb, kb = os.path.join(tmp, "b_cert.pem"), os.path.join(tmp, "b_key.pem")
        ca2 = os.path.join(tmp, "a2_cert.pem")

        # certificate A (made by our server on first start), first use pins it
        s = Server(ca, ka)
        rc, out = client(s.port, "--verify", "1", "--pin", pin)
        fa, sa = openssl_hashes(ca)
        report(rc == 0 and "pin 1 " in out, "first connection pins certificate A", out)
        saved = json.load(open(pin))
        report(saved == {"fp": fa, "spki": sa}, "pin file holds A's fp and spki as openssl computes them",
               "%s vs %s %s" % (saved, fa, sa))
        report(oct(os.stat(pin).st_mode & 0o777) == "0o600", "pin file mode 0600")
        rc, out = client(s.port, "--verify", "1", "--pin", pin)
        report(rc == 0 and "pin 0 " in out, "second connection matches A", out)
        # AGENT_VERIFY_SSL=force with A as the CA; =0 leaves the pin alone
        rc, out = client(s.port, "--verify", "force", "--ca", ca, "--name", "localhost")
        report(rc == 0, "force: A verified against itself as CA, name localhost", out)
        rc, out = client(s.port, "--verify", "0", "--pin", pin)
        report(rc == 0 and "pin 4 " in out and json.load(open(pin)) == saved, "verify 0 ignores the pin file", out)
        s.stop()

        # certificate B with a new key: refused with the clear error
        s = Server(cb, kb)
        before = open(pin).read()
        rc, out = client(s.port, "--verify", "1", "--pin", pin)
        report(rc == 3 and "pin -1 " in out and "delete " + pin in out and "open" not in out.split(),
               "certificate B (new key) refused: exit 3, message says delete the pin file", out)
        report(open(pin).read() == before, "pin file unchanged after the refusal")
        rc, out = client(s.port, "--verify", "force", "--ca", ca, "--name", "localhost")
        report(rc == 1 and "conn-error TLS" in out, "force: B not trusted with A as CA", out)
        s.stop()

        # a new certificate on A's key: accepted and re-pinned
        subprocess.run(["openssl", "req", "-new", "-x509", "-key", ka, "-subj", "/CN=localhost", "-days", "30",
                        "-addext", "subjectAltName=DNS:localhost", "-out", ca2], check=True, capture_output=True)
        s = Server(ca2, ka)
        rc, out = client(s.port, "--verify", "1", "--pin", pin)
        fa2, sa2 = openssl_hashes(ca2)
        report(rc == 0 and "pin 2 " in out, "renewed certificate on the same key accepted (re-pinned)", out)
        report(json.load(open(pin)) == {"fp": fa2, "spki": sa} and sa2 == sa, "pin file now holds the new fp, same spki")

        # the original agent's file: only "fp"
        with open(pin, "w") as f:
            json.dump({"fp": fa2.upper()}, f)
        rc, out = client(s.port, "--verify", "1", "--pin", pin)
        report(rc == 0 and "pin 3 " in out, "old fp-only pin file accepted", out)
        report(json.load(open(pin)) == {"fp": fa2, "spki": sa}, "fp-only file gained the spki")
        with open(pin, "w") as f:
            json.dump({"fp": fa}, f)
        rc, out = client(s.port, "--verify", "1", "--pin", pin)
        report(rc == 3 and "pin -1 " in out, "fp-only file with another certificate refused", out)
        with open(pin, "w") as f:
            f.write("{garbage")
        rc, out = client(s.port, "--verify", "1", "--pin", pin)
        report(rc != 0 and "pin -2 " in out and open(pin).read() == "{garbage", "garbled pin file refused, kept", out)
        s.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
