#!/usr/bin/env python3
"""The OpenWrt packages (tools/packages.sh) checked against the ipk format as
opkg reads it: a gzip'd tar (OpenWrt's ipkg-build; older opkg took an ar
archive) holding ./debian-binary ("2.0"), ./control.tar.gz and
./data.tar.gz; control's fields (Package, Version, Architecture,
Installed-Size, Description); every conffile a file of data; maintainer
scripts executable shell; data paths relative, owned by root. The binary's
ELF header matches the package's architecture and it runs under qemu-user;
the procd init script, run over stand-ins for rc.common's functions with
the shipped UCI config, opens one procd instance with respawn and the
agent's settings."""
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from server import ROOT, O, Tap  # noqa: E402

# OpenWrt arch -> (ELF class, data, e_machine, qemu command)
ARCH = {
    "mips_24kc": (1, 2, 8, ["qemu-mips-static", "-cpu", "24Kf"]),
    "mipsel_24kc": (1, 1, 8, ["qemu-mipsel-static", "-cpu", "24Kf"]),
    "arm_cortex-a7_neon-vfpv4": (1, 1, 40, ["qemu-arm-static"]),
    "aarch64_cortex-a53": (2, 1, 183, ["qemu-aarch64-static"]),
}
REQUIRED = ["Package", "Version", "Architecture", "Installed-Size", "Description"]

STUBS = r'''
config_load() { [ "$1" = monbot ] || echo "config_load $1"; }
config_get() { eval "v=\${UCI_$3-}"; [ -n "$v" ] || v=${4-}; eval "$1=\$v"; }
config_get_bool() { config_get "$@"; eval "case \$$1 in 1|on|true|yes|enabled) $1=1;; *) $1=0;; esac"; }
procd_open_instance() { echo "open_instance"; }
procd_set_param() { echo "param $*"; }
procd_close_instance() { echo "close_instance"; }
procd_add_reload_trigger() { echo "reload_trigger $*"; }
mkdir() { :; }
'''


def members(tf):
    return [m.name for m in tf.getmembers()]


def uci_env(text):
    """UCI_<option>=<value> from the config's option lines (one section)."""
    env = {}
    for line in text.splitlines():
        m = re.match(r"\s*option\s+(\w+)\s+'([^']*)'", line)
        if m:
            env["UCI_" + m.group(1)] = m.group(2)
    return env


def check_ipk(t, path, arch):
    n = os.path.basename(path)
    raw = open(path, "rb").read()
    t.ok(raw[:2] == b"\x1f\x8b", f"{n}: a gzip file (OpenWrt's ipk, not ar)")
    outer = tarfile.open(fileobj=io.BytesIO(gzip.decompress(raw)))
    names = members(outer)
    t.eq(sorted(names), ["./control.tar.gz", "./data.tar.gz", "./debian-binary"],
         f"{n}: holds ./debian-binary, ./control.tar.gz, ./data.tar.gz and nothing else")
    t.eq(names[0], "./debian-binary", f"{n}: debian-binary first (as ipkg-build writes it)")
    t.eq(outer.extractfile("./debian-binary").read(), b"2.0\n", f"{n}: debian-binary is 2.0")
    ctl = tarfile.open(fileobj=outer.extractfile("./control.tar.gz"), mode="r:gz")
    data = tarfile.open(fileobj=outer.extractfile("./data.tar.gz"), mode="r:gz")
    cnames = members(ctl)
    t.ok("./control" in cnames, f"{n}: control.tar.gz has ./control", cnames)
    fields = {}
    for line in ctl.extractfile("./control").read().decode().splitlines():
        if line and not line[0].isspace():
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    t.ok(all(fields.get(k) for k in REQUIRED), f"{n}: control has {', '.join(REQUIRED)}", fields)
    t.eq(fields.get("Package"), "monbot-agent", f"{n}: Package monbot-agent")
    t.eq(fields.get("Architecture"), arch, f"{n}: Architecture {arch}")
    t.ok(re.fullmatch(r"[0-9][A-Za-z0-9.+~-]*", fields.get("Version", "")) is not None,
         f"{n}: Version is a version")
    dfiles = {m.name: m for m in data.getmembers()}
    size = sum(m.size for m in data.getmembers() if m.isfile())
    t.ok(fields.get("Installed-Size", "").isdigit() and int(fields["Installed-Size"]) >= size,
         f"{n}: Installed-Size covers the data ({size} bytes)", fields.get("Installed-Size"))
    conf = ctl.extractfile("./conffiles").read().decode().split() if "./conffiles" in cnames else []
    t.ok("/etc/config/monbot" in conf, f"{n}: /etc/config/monbot is a conffile", conf)
    t.ok(all(c.startswith("/") and "." + c in dfiles and dfiles["." + c].isfile() for c in conf),
         f"{n}: every conffile is a file of data.tar.gz", conf)
    for s in ("./postinst", "./prerm"):
        m = ctl.getmember(s) if s in cnames else None
        t.ok(m is not None and m.mode & 0o111 and ctl.extractfile(s).read().startswith(b"#!/bin/sh"),
             f"{n}: {s[2:]} is an executable shell script")
    t.ok(all((x == "." or x.startswith("./")) and ".." not in x.split("/") for x in dfiles),
         f"{n}: data paths are relative, no ..")
    t.ok(all(m.uid == 0 and m.gid == 0 for m in list(dfiles.values()) + ctl.getmembers()),
         f"{n}: everything owned by root (0:0)")
    for f, mode in (("./usr/bin/monbot-agent", 0o755), ("./etc/init.d/monbot-agent", 0o755),
                    ("./etc/config/monbot", 0o600)):
        m = dfiles.get(f)
        t.ok(m is not None and m.isfile() and m.mode & 0o777 == mode, f"{n}: {f[1:]} mode {mode:o}",
             m and oct(m.mode))
    elf = data.extractfile("./usr/bin/monbot-agent").read()
    cls, dat, mach, qemu = ARCH[arch]
    em = int.from_bytes(elf[18:20], "big" if dat == 2 else "little")
    t.ok(elf[:4] == b"\x7fELF" and elf[4] == cls and elf[5] == dat and em == mach,
         f"{n}: the binary's ELF class, byte order and machine are {arch}'s",
         (elf[4], elf[5], em))
    tmp = tempfile.mkdtemp()
    try:
        data.extractall(tmp)
        if shutil.which(qemu[0]):
            r = subprocess.run(qemu + [os.path.join(tmp, "usr/bin/monbot-agent"), "--version"],
                               capture_output=True, text=True, timeout=60)
            t.ok(r.returncode == 0 and "monbot-agent" in r.stdout, f"{n}: it runs under {qemu[0]}",
                 r.stdout + r.stderr)
        else:
            t.skip(f"{n}: it runs under {qemu[0]}", "not installed")
        init = os.path.join(tmp, "etc/init.d/monbot-agent")
        text = open(init).read()
        t.ok(text.startswith("#!/bin/sh /etc/rc.common") and "USE_PROCD=1" in text,
             f"{n}: init script is an rc.common procd script")
        r = subprocess.run(["sh", "-n", init], capture_output=True, text=True)
        t.ok(r.returncode == 0, f"{n}: init script parses (sh -n)", r.stderr)
        env = uci_env(open(os.path.join(tmp, "etc/config/monbot")).read())
        t.eq(env.get("UCI_secret"), "", f"{n}: the shipped config has no key")
        prog = STUBS + f". {init}\nstart_service; echo rc=$?\n"
        r = subprocess.run(["sh", "-c", prog], capture_output=True, text=True,
                           env=dict(env, PATH=os.environ["PATH"]))
        t.ok("open_instance" not in r.stdout and "rc=1" in r.stdout,
             f"{n}: without a key start_service starts nothing", r.stdout + r.stderr)
        env.update(UCI_secret="k3yFromNewkey", UCI_server="10.0.0.2")
        r = subprocess.run(["sh", "-c", prog], capture_output=True, text=True,
                           env=dict(env, PATH=os.environ["PATH"]))
        out = r.stdout
        t.ok(out.count("open_instance") == 1 and "close_instance" in out and "rc=0" in out,
             f"{n}: start_service opens one procd instance", out + r.stderr)
        t.ok("param command /usr/bin/monbot-agent" in out, f"{n}: the instance runs /usr/bin/monbot-agent", out)
        t.ok(re.search(r"^param respawn \d+ \d+ \d+$", out, re.M) is not None,
             f"{n}: respawn is set", out)
        t.ok(re.search(r"^param env .*AGENT_SECRET=k3yFromNewkey AGENT_SERVER_IP=10.0.0.2 AGENT_PORT=8000", out,
                       re.M) is not None and "AGENT_FP_FILE=/etc/monbot/fingerprint.json" in out,
             f"{n}: the UCI options become the agent's settings, the pin kept in /etc/monbot", out)
    finally:
        shutil.rmtree(tmp)


def main():
    t = Tap()
    out = tempfile.mkdtemp()
    try:
        r = subprocess.run(["bash", "-c", f'source tests/integration/lib/pkg.sh; build_packages "{out}"'],
                           cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, O=O))
        if not t.ok(r.returncode == 0, "tools/packages.sh builds the packages", r.stdout + r.stderr):
            t.done()
        for arch in ARCH:
            p = [f for f in os.listdir(out) if f.endswith(f"_{arch}.ipk")]
            if t.eq(len(p), 1, f"one ipk for {arch}"):
                check_ipk(t, os.path.join(out, p[0]), arch)
    finally:
        shutil.rmtree(out)
    # FreeBSD's rc.d script: only its shell syntax can be checked here (no FreeBSD, no rc.subr)
    rc = os.path.join(ROOT, "packaging", "freebsd", "monbot_agent")
    r = subprocess.run(["sh", "-n", rc], capture_output=True, text=True)
    text = open(rc).read()
    t.ok(r.returncode == 0 and "# PROVIDE: monbot_agent" in text and 'run_rc_command "$1"' in text,
         "packaging/freebsd/monbot_agent parses (sh -n) and is an rc.subr script (never run on FreeBSD)", r.stderr)
    t.done()


main()
