#!/usr/bin/env bash
# Runs the real binary, `monbot-agent --once`, with MONBOT_ROOT on each fixture
# host's t0 tree and checks its JSON with Python: exact RAM, disks, uptime,
# cores and host fields, computed by hand from the t0 files (the unit test
# test_collect checks the t0 -> t1 deltas). TAP on stdout.
#
# --once takes a baseline, waits 1 s and samples again, so here it reads the
# same files twice: the CPU total does not grow, so "cpu" is absent (collect.c
# needs a positive total delta); every interface was compared and none went
# back, so net_up and net_down are present and 0; process shares are 0 and the
# list is ordered by memory.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build/native}
case $O in /*) ;; *) O=$top/$O ;; esac
agent=$O/monbot-agent
py=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$agent" ]; then
	echo "1..1"
	echo "not ok 1 - $agent not built (make agent)"
	exit 1
fi

for h in thishost container armboard router desktop router-3.18 router-4.14 router-5.4; do
	# A bare environment in an empty directory: no .env, no AGENT_* from the
	# caller, no NVIDIA back-end (NVML and nvidia-smi read the real machine).
	(cd "$work" && env -i MONBOT_ROOT="$top/tests/fixtures/$h/t0" MONBOT_NO_NVML=1 \
		PATH=/nonexistent-monbot-test HOME="$work" "$agent" --once \
		>"$work/$h.json" 2>"$work/$h.err")
	echo $? >"$work/$h.rc"
done

exec "$py" - "$work" <<'PYEOF'
import json, sys, time

work = sys.argv[1]

def no_constants(name):
    raise ValueError("not JSON: " + name)

# Per host, from t0 by hand. RAM: MemTotal and MemAvailable in kB * 1024
# (the container: its cgroup's memory.max and memory.current - inactive_file).
# Disks: statvfs "<mount> frsize blocks bfree bavail": used = (blocks -
# bfree) * frsize, total = blocks * frsize. Uptime: floor of /proc/uptime.
EXPECT = {
    "thishost": dict(
        # 24684084 - 24311712 = 372372 kB
        ram_used=372372 * 1024, ram_total=24684084 * 1024,        # 381308928, 25276502016
        # / 4096 66053021 61845490 20876766: (66053021-61845490)*4096 = 4207531*4096
        disks=[("/", 4207531 * 4096, 66053021 * 4096)],          # 17234046976, 270553174016
        uptime=971, cores=2,                                       # "971.59 ..."
        host=dict(hostname="vm", os="Debian GNU/Linux 12 (bookworm)", kernel="6.18.44-fc-v669", arch="x86_64"),
        procs=["bash", "sleep (2)", "monbot-fixture-busy", "ksoftirqd/0", "kthreadd"],
        cpu_temp=None),
    "container": dict(
        # memory.current 309985280 - inactive_file 70254592 = 239730688 of memory.max 536870912
        ram_used=239730688, ram_total=536870912,
        # /data 4096 488378368 301234600: 187143768*4096; /etc/hosts 4096 122940816 73211455: 49729361*4096
        disks=[("/data", 187143768 * 4096, 488378368 * 4096), ("/etc/hosts", 49729361 * 4096, 122940816 * 4096)],
        uptime=1234567, cores=8,
        host=dict(hostname="3f2a9c1b7d4e", os="Debian GNU/Linux 12 (bookworm)", kernel="6.1.0-18-amd64", arch="x86_64"),
        procs=["gunicorn (4)", "python3", "sh", "tini", "monbot-agent"],
        cpu_temp=53),                                              # thermal_zone1 x86_pkg_temp 53000
    "armboard": dict(
        ram_used=(3885404 - 2936288) * 1024, ram_total=3885404 * 1024,   # 949116 kB
        # / 4096 7620086 5123470; /media/pi/USB\040DISK 32768 945536 612345
        disks=[("/", (7620086 - 5123470) * 4096, 7620086 * 4096),
               ("/media/pi/USB DISK", (945536 - 612345) * 32768, 945536 * 32768)],
        uptime=864000, cores=4,
        host=dict(hostname="raspberrypi", os="Debian GNU/Linux 12 (bookworm)", kernel="6.6.31+rpt-rpi-v8", arch="aarch64"),
        procs=["python3", "node-red", "systemd-journald", "systemd", "systemd-timesyncd"],
        cpu_temp=48.2),                                            # cpu_thermal 48199 -> 48.199
    "router": dict(
        ram_used=(124620 - 63932) * 1024, ram_total=124620 * 1024,       # 60688 kB
        disks=[("/mnt/sda1", (15237120 - 9876601) * 4096, 15237120 * 4096)],
        uptime=345678, cores=1,
        host=dict(hostname="OpenWrt", os="OpenWrt 23.05.3", kernel="5.15.150", arch="mips"),
        procs=["hostapd", "dnsmasq", "netifd", "rpcd", "dropbear (2)"],
        cpu_temp=None),
    "desktop": dict(
        ram_used=(32780684 - 21240000) * 1024, ram_total=32780684 * 1024,  # 11540684 kB
        disks=[("/", (25656558 - 14412400) * 4096, 25656558 * 4096),
               ("/home", (456789012 - 234568001) * 4096, 456789012 * 4096),
               ("/mnt/data", (1953506304 - 987654321) * 4096, 1953506304 * 4096)],
        uptime=259200, cores=16,
        host=dict(hostname="ryzen-desk", os="Ubuntu 24.04.1 LTS", kernel="6.8.0-45-generic", arch="x86_64"),
        procs=["firefox", "Isolated Web Co (3)", "code (3)", "gnome-shell", "Web Content"],
        cpu_temp=60.1),                                            # k10temp Tctl 60125
    # OpenWrt 15.05 (kernel 3.18), 40 s after boot, clock at 1970: no disk
    # (rootfs, squashfs, jffs2, overlay), the name from /etc/openwrt_release,
    # the machine from the tree's uname file (no proc/sys/kernel/arch).
    "router-3.18": dict(
        ram_used=(61112 - 31900) * 1024, ram_total=61112 * 1024,           # 29212 kB
        disks=[], uptime=40, cores=1,                                      # "40.12 ..."
        host=dict(hostname="OpenWrt", os="OpenWrt Chaos Calmer 15.05", kernel="3.18.20", arch="mips"),
        procs=["hostapd", "netifd", "procd", "uhttpd", "pppd"],             # rss 430 322 298 280 246
        cpu_temp=None),
    "router-4.14": dict(
        ram_used=(483572 - 361208) * 1024, ram_total=483572 * 1024,        # 122364 kB
        disks=[], uptime=1209613, cores=2,
        host=dict(hostname="OpenWrt", os="OpenWrt 19.07.10", kernel="4.14.275", arch="armv7l"),
        procs=["hostapd (2)", "nlbwmon", "rpcd", "dnsmasq", "netifd"],      # rss 2808 1004 640 610 520
        cpu_temp=50),                                              # thermal_zone0 tsens_tz_sensor0 50000
    "router-5.4": dict(
        ram_used=(123896 - 64120) * 1024, ram_total=123896 * 1024,         # 59776 kB
        # /mnt/sda1 4096 122063840 73214561: (122063840-73214561)*4096 = 48849279*4096
        disks=[("/mnt/sda1", (122063840 - 73214561) * 4096, 122063840 * 4096)],
        uptime=86412, cores=4,
        host=dict(hostname="dir860l", os="OpenWrt 21.02.7", kernel="5.4.238", arch="mips"),
        procs=["smbd (2)", "hostapd", "wpa_supplicant", "rpcd", "dnsmasq"], # rss 5230 1450 1210 610 590
        cpu_temp=None),
}

n = 0
failed = 0
print("1..%d" % (len(EXPECT) * 8))

def check(ok, what, detail=""):
    global n, failed
    n += 1
    if not ok:
        failed += 1
        print("not ok %d - %s" % (n, what))
        if detail:
            print("# " + detail.replace("\n", "\n# "))
    else:
        print("ok %d - %s" % (n, what))

for h, e in EXPECT.items():
    rc = open("%s/%s.rc" % (work, h)).read().strip()
    out = open("%s/%s.json" % (work, h)).read()
    err = open("%s/%s.err" % (work, h)).read()
    try:
        d = json.loads(out, parse_constant=no_constants)
        ok = rc == "0" and isinstance(d, dict) and out.count("\n") == 1
    except ValueError as ex:
        d, ok = {}, False
        err += "\n" + str(ex)
    check(ok, "%s: --once exits 0 with one JSON object" % h, "rc=%s stderr=%s stdout=%s" % (rc, err, out[:300]))
    check(d.get("ram_used") == e["ram_used"] and d.get("ram_total") == e["ram_total"],
          "%s: ram_used %d, ram_total %d" % (h, e["ram_used"], e["ram_total"]),
          "got %s %s" % (d.get("ram_used"), d.get("ram_total")))
    got = [(x.get("mount"), x.get("used"), x.get("total")) for x in d.get("disks", [])]
    if h == "container":
        # The /etc/resolv.conf, /etc/hostname, /etc/hosts binds of one device are
        # test_collect's business (test_container_disks): here, the two expected
        # lines must be there and nothing but /data and /etc/* besides.
        ok = all(x in got for x in e["disks"]) and all(m == "/data" or m.startswith("/etc/") for m, _, _ in got)
    else:
        ok = got == e["disks"]
    check(ok, "%s: disks %s" % (h, [m for m, _, _ in e["disks"]]), "got %s" % got)
    check(d.get("uptime") == e["uptime"] and d.get("cores") == e["cores"],
          "%s: uptime %d, cores %d" % (h, e["uptime"], e["cores"]), "got %s %s" % (d.get("uptime"), d.get("cores")))
    host = d.get("host", {})
    check({k: host.get(k) for k in e["host"]} == e["host"] and str(host.get("agent", "")).startswith("monbot-agent "),
          "%s: host %s" % (h, e["host"]), "got %s" % host)
    # Same files read twice: no CPU%, zero rates, zero process shares.
    check("cpu" not in d and d.get("net_up") == 0 and d.get("net_down") == 0,
          "%s: one snapshot: cpu absent, net_up = net_down = 0" % h,
          "got cpu=%s net_up=%s net_down=%s" % (d.get("cpu"), d.get("net_up"), d.get("net_down")))
    procs = d.get("top_procs", [])
    check([p.get("name") for p in procs] == e["procs"] and all(p.get("cpu") == 0 for p in procs),
          "%s: top_procs by memory, cpu 0" % h, "got %s" % procs)
    ts = d.get("ts")
    check(isinstance(ts, (int, float)) and abs(ts - time.time()) < 600 and d.get("cpu_temp") == e["cpu_temp"],
          "%s: ts is now, cpu_temp %s" % (h, e["cpu_temp"]), "got ts=%s cpu_temp=%s" % (ts, d.get("cpu_temp")))

sys.exit(1 if failed else 0)
PYEOF
