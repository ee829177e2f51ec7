#!/usr/bin/env bash
# On the live machine `monbot-agent --once` agrees with independent tools
# run here: free -b (RAM total exact, used within 1 %; in a container with a
# cgroup memory limit below the host's RAM, the cgroup's own files), df -B1
# with the original's disk rules applied here (same mounts, sizes exact),
# /proc/uptime, nproc, uname and /proc/loadavg.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/agent_lib.sh

for tool in free df nproc getconf uname; do
	command -v $tool >/dev/null || { not_ok "$tool is installed (procps, coreutils)"; finish; }
done

read_free() { # -> "total available swap_total"
	LC_ALL=C free -b | awk '$1 == "Mem:" { t = $2; a = $7 } $1 == "Swap:" { s = $2 } END { print t, a, s }'
}
read -r up0 _ < <(tr '.' ' ' </proc/uptime)
read -r ftot0 favail0 fswap < <(read_free)
run_agent live PATH=/usr/bin:/bin -- --once
read -r ftot1 favail1 _ < <(read_free)
read -r up1 _ </proc/uptime
check "--once exits 0" [ "$(rc_of live)" = 0 ] || show live

# Independent views, handed to the checks through the environment.
export FREE_TOTAL=$ftot0 FREE_USED0=$((ftot0 - favail0)) FREE_USED1=$((ftot1 - favail1)) FREE_SWAP=$fswap
export UPTIME_BEFORE=$up0 UPTIME_AFTER=$up1
export NPROC=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) ONLINE=$(getconf _NPROCESSORS_ONLN)
export UNAME_N=$(uname -n) UNAME_R=$(uname -r) UNAME_M=$(uname -m)
LC_ALL=C df -B1 --output=source,fstype,size,used,avail,target >"$TMP/df.txt" 2>/dev/null
export DF=$TMP/df.txt

# The memory cgroup the agent runs in and its limit, read here (cgroups(7)):
# v1 "N:memory:/path" under /sys/fs/cgroup/memory, v2 "0::/path".
cg_limit=""
while IFS=: read -r _ ctl path; do
	case "$ctl" in
	memory) f=/sys/fs/cgroup/memory$path/memory.limit_in_bytes; [ -r "$f" ] || f=/sys/fs/cgroup/memory/memory.limit_in_bytes ;;
	"") f=/sys/fs/cgroup$path/memory.max; [ -r "$f" ] || f=/sys/fs/cgroup/memory.max ;;
	*) continue ;;
	esac
	v=$(cat "$f" 2>/dev/null) || continue
	case "$v" in *[!0-9]* | "") ;; *) cg_limit=$v; break ;; esac
done </proc/self/cgroup
if [ -n "$cg_limit" ] && [ "$cg_limit" -lt "$ftot0" ]; then
	echo "# memory cgroup limit $cg_limit below the host's $ftot0: the agent reports the container's RAM"
	export CG_LIMIT=$cg_limit
	jexpect "$TMP/live.out" <<-'EOF'
	RAM total is the cgroup limit :: j["ram_total"] == int(E["CG_LIMIT"])
	RAM used is within the limit :: 0 <= j["ram_used"] <= j["ram_total"]
	EOF
	skip "RAM total equals free -b" "container with a memory limit"
else
	jexpect "$TMP/live.out" <<-'EOF'
	RAM total equals free -b's exactly :: j["ram_total"] == int(E["FREE_TOTAL"])
	RAM used (total - available) within 1 % of free -b's :: min(abs(j["ram_used"] - int(E[v])) / int(E[v]) for v in ("FREE_USED0", "FREE_USED1")) <= 0.01 or int(E["FREE_USED0"]) <= j["ram_used"] <= int(E["FREE_USED1"]) or int(E["FREE_USED1"]) <= j["ram_used"] <= int(E["FREE_USED0"])
	RAM percent is used / total :: approx(j["ram"], j["ram_used"] * 100 / j["ram_total"], 0.05)
	EOF
fi
jexpect "$TMP/live.out" <<-'EOF'
swap total equals free -b's :: j.get("swap_total") == int(E["FREE_SWAP"])
uptime agrees with /proc/uptime (whole seconds) :: int(E["UPTIME_BEFORE"]) - 1 <= j["uptime"] <= float(E["UPTIME_AFTER"]) + 1
cores equals nproc (online CPUs where affinity is narrower) :: j["cores"] == int(E["NPROC"]) or (int(E["NPROC"]) != int(E["ONLINE"]) and j["cores"] == int(E["ONLINE"]))
host: hostname, kernel and arch as uname :: (j["host"]["hostname"], j["host"]["kernel"], j["host"]["arch"]) == (E["UNAME_N"], E["UNAME_R"], E["UNAME_M"])
load: three non-negative numbers :: len(j["load"]) == 3 and all(x >= 0 for x in j["load"])
CPU% and top processes present after the 1 s wait :: 0 <= j["cpu"] <= 100 and isinstance(j["top_procs"], list) and len(j["top_procs"]) <= 5
EOF

# Disks: df's view with the original's rules applied here. df writes mount
# points with spaces as they are (the target is the last column) and prints
# sizes for the filesystems it shows; nodev types come from /proc/filesystems.
"$PYTHON" - "$TMP/live.out" "$DF" >"$TMP/disks.txt" <<-'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
nodev = set()
for line in open("/proc/filesystems"):
    parts = line.split()
    if len(parts) == 2 and parts[0] == "nodev":
        nodev.add(parts[1])
nodev.discard("zfs")  # psutil counts zfs as a device
skip_types = {"tmpfs", "devtmpfs", "squashfs", "overlay", "aufs"}
skip_under = ("/snap", "/var/lib/docker", "/var/snap", "/boot")
rows = []
for line in open(sys.argv[2]).read().splitlines()[1:]:
    f = line.split(None, 5)
    if len(f) < 6 or not f[2].isdigit():
        continue
    src, fstype, size, used, avail, target = f[0], f[1], int(f[2]), int(f[3]), int(f[4]), f[5]
    if fstype in nodev or fstype.lower() in skip_types or src.startswith("/dev/loop"):
        continue
    if target.startswith(skip_under) or size < 1 << 30:
        continue
    rows.append((src, target, size, used, avail))
# One line per device: its shortest mount point.
best = {}
for r in rows:
    if r[0] not in best or len(r[1]) < len(best[r[0]][1]):
        best[r[0]] = r
want = {r[1]: r for r in best.values()}
got = {d["mount"]: d for d in j.get("disks", [])}
def line(ok, desc, detail=""):
    print(("ok\t" if ok else "notok\t") + desc + ("\t" + detail if detail and not ok else ""))
line(sorted(got) == sorted(want), "disks: the same mounts as df after the filters",
     "agent %s, df %s" % (sorted(got), sorted(want)))
for m in sorted(set(got) & set(want)):
    src, target, size, used, avail = want[m]
    d = got[m]
    line(d["total"] == size, "disk %s: total %d bytes exactly" % (m, size), "agent %s" % d["total"])
    line(abs(d["used"] - used) <= max(size // 100, 1), "disk %s: used within 1 %% of size" % m,
         "agent %s, df %s" % (d["used"], used))
    line(abs(d["percent"] - used * 100 / (used + avail)) <= 0.5, "disk %s: percent of used + available" % m,
         "agent %s, df %.2f" % (d["percent"], used * 100 / (used + avail)))
EOF
while IFS=$'\t' read -r st desc detail; do
	if [ "$st" = ok ]; then ok "$desc"; else not_ok "$desc"; [ -n "$detail" ] && echo "# $detail"; fi
done <"$TMP/disks.txt"
[ -s "$TMP/disks.txt" ] || not_ok "disk comparison ran"
if [ "$TAP_FAILED" != 0 ]; then
	echo "# df -B1:"
	diag <"$DF"
	show live
fi
finish
