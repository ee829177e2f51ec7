#!/usr/bin/env bash
# GPUs through the real agent binary (`monbot-agent --once`): NVML through
# the fake libnvidia-ml.so.1 found by the agent's own dlopen via
# LD_LIBRARY_PATH, the nvidia-smi fallback through the fake script on PATH,
# and hostile answers from both. Without either the GPU keys are absent and
# every other key is the same. Values: tests/fakes/fake_nvml.c and
# tests/fakes/nvidia-smi (two GPUs). The runs are independent and go in
# parallel (each --once waits 1 s); the checks follow.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/agent_lib.sh

FAKES=$(pwd)/$O/tests
for v in fakenvml fakenvml-minimal fakenvml-nomem; do
	[ -f "$FAKES/$v/libnvidia-ml.so.1" ] || { not_ok "fake $O/tests/$v/libnvidia-ml.so.1 is built"; finish; }
done
for f in /sys/class/drm/card*/device/gpu_busy_percent; do
	if [ -e "$f" ]; then
		skip "GPUs from fakes only" "this host has an amdgpu card, which every sample would include"
		finish
	fi
done
# A host with a real driver library: keep it out where the test wants none.
NO_REAL_NVML=()
if { ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q 'libnvidia-ml\.so\.1 '; then
	NO_REAL_NVML=(MONBOT_NO_NVML=1)
	echo "# a real libnvidia-ml.so.1 is installed: MONBOT_NO_NVML=1 where no NVML is wanted"
fi
# A folder with the fake nvidia-smi and one with nothing in it.
mkdir -p "$TMP/smi" "$TMP/nobin"
cp tests/fakes/nvidia-smi "$TMP/smi/nvidia-smi" && chmod +x "$TMP/smi/nvidia-smi"
QUERY='--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw --format=csv,noheader,nounits'

nvml() { # name FAKE_NVML-mode [lib folder] [PATH]: fake nvidia-smi on PATH too
	run_agent "$1" LD_LIBRARY_PATH="${3:-$FAKES/fakenvml}" FAKE_NVML="$2" PATH="${4:-$TMP/smi}" FAKE_SMI=two \
		FAKE_SMI_LOG="$TMP/$1.smi" -- --once
}
smi() { # name FAKE_SMI-mode
	run_agent "$1" MONBOT_NO_NVML=1 PATH="$TMP/smi" FAKE_SMI="$2" FAKE_SMI_LOG="$TMP/$1.smi" -- --once
}
smi_calls() { if [ -f "$TMP/$1.smi" ]; then wc -l <"$TMP/$1.smi"; else echo 0; fi; }
SMI_BAD="garbage driver-error mixed header short long negative used-over-total binary empty nonzero"

# ---- the runs ------------------------------------------------------------------
run_agent none "${NO_REAL_NVML[@]}" PATH="$TMP/nobin" -- --once &
nvml nvml two &
for m in na memfail badvals many longname; do nvml "nvml-$m" $m & done
nvml nvml-minimal two "$FAKES/fakenvml-minimal" &
nvml nvml-initfail init_fail &
nvml nvml-init_fail-alone init_fail "" "$TMP/nobin" &
nvml nvml-zero-alone zero "" "$TMP/nobin" &
nvml nvml-nomem two "$FAKES/fakenvml-nomem" "$TMP/nobin" &
run_agent nonvml LD_LIBRARY_PATH="$FAKES/fakenvml" MONBOT_NO_NVML=1 PATH="$TMP/smi" FAKE_SMI_LOG="$TMP/nonvml.smi" -- --once &
smi smi two &
for m in crlf na many hang $SMI_BAD; do smi "smi-$m" $m & done
wait
export NONE_JSON=$TMP/none.out SMI_JSON=$TMP/smi.out

# ---- neither: the reference run -------------------------------------------
check "no GPU library, no nvidia-smi: --once exits 0" [ "$(rc_of none)" = 0 ] || show none
jexpect "$TMP/none.out" <<-'EOF'
no GPU library, no nvidia-smi: no GPU keys :: not (k & GPU_KEYS)
no GPU library, no nvidia-smi: every other key is there :: {"ts","cpu","ram","ram_used","ram_total","uptime","cores","load","disks","top_procs","host"} <= k
EOF

# Everything but the GPU keys as in the reference run (values that cannot
# change within seconds).
same_as_none() { # name
	jexpect "$TMP/$1.out" <<-EOF
	$1: the other keys are the reference run's :: k - GPU_KEYS == set(json.load(open(E["NONE_JSON"]))) - GPU_KEYS
	$1: same RAM total, swap, cores, host, disks :: all(j.get(x) == json.load(open(E["NONE_JSON"])).get(x) for x in ("ram_total","swap_total","cores","host")) and [d["mount"] for d in j["disks"]] == [d["mount"] for d in json.load(open(E["NONE_JSON"]))["disks"]]
	EOF
}

# ---- NVML: two GPUs --------------------------------------------------------
check "NVML: --once exits 0" [ "$(rc_of nvml)" = 0 ] || show nvml
jexpect "$TMP/nvml.out" <<-'EOF'
NVML: two GPUs :: len(j["gpus"]) == 2
NVML: GPU 0 exactly :: j["gpus"][0] == {"index": 0, "name": "NVIDIA GeForce RTX 4090", "util": 37, "vram_used": 8190, "vram_total": 24564, "temp": 61, "power_w": 215.5}
NVML: GPU 1 exactly (700 KiB past 1234 MiB is 1234 MiB; 22345 mW) :: j["gpus"][1] == {"index": 1, "name": "NVIDIA RTX A2000", "util": 5, "vram_used": 1234, "vram_total": 6138, "temp": 44, "power_w": 22.3}
NVML: flat gpu, vram_used, vram_total, gpu_temp are GPU 0's :: (j["gpu"], j["vram_used"], j["vram_total"], j["gpu_temp"]) == (37, 8190, 24564, 61)
NVML: vram = 8190/24564 = 33.34 % written as 33.3 :: j["vram"] == 33.3 == round(8190 / 24564 * 100, 1)
EOF
check "NVML: vram written with one decimal on the wire" grep -q '"vram":33.3,' "$TMP/nvml.out"
check "NVML loaded: nvidia-smi on PATH not run" [ "$(smi_calls nvml)" = 0 ]
same_as_none nvml

# ---- NVML: what a driver may answer ---------------------------------------
jexpect "$TMP/nvml-na.out" <<-'EOF'
NVML not supported (util, temp, power): GPUs with name and VRAM only :: [sorted(g) for g in j["gpus"]] == [["index", "name", "vram_total", "vram_used"]] * 2
NVML not supported: flat gpu and gpu_temp absent, vram present :: not ({"gpu", "gpu_temp"} & k) and j["vram"] == 33.3
EOF
jexpect "$TMP/nvml-memfail.out" <<-'EOF'
NVML memory call fails on GPU 0: its VRAM absent :: "vram_used" not in j["gpus"][0] and "vram_total" not in j["gpus"][0] and j["gpus"][0]["util"] == 37
NVML memory call fails on GPU 0: GPU 1 intact :: j["gpus"][1]["vram_used"] == 1234
NVML memory call fails on GPU 0: flat vram keys absent, gpu present :: not ({"vram", "vram_used", "vram_total"} & k) and j["gpu"] == 37 and j["gpu_temp"] == 61
EOF
jexpect "$TMP/nvml-badvals.out" <<-'EOF'
NVML util 250 % and used > total: those values absent :: all("util" not in g and "vram_used" not in g for g in j["gpus"]) and not ({"gpu", "vram", "vram_used"} & k)
EOF
jexpect "$TMP/nvml-many.out" <<-'EOF'
NVML with twelve GPUs: the first eight :: [g["index"] for g in j["gpus"]] == list(range(8))
EOF
jexpect "$TMP/nvml-longname.out" <<-'EOF'
NVML name filling the buffer without NUL: cut to 95 characters :: j["gpus"][0]["name"] == "X" * 95
EOF
jexpect "$TMP/nvml-minimal.out" <<-'EOF'
NVML without name/util/temp/power symbols: name and VRAM only :: j["gpus"][0] == {"index": 0, "name": "NVIDIA GPU 0", "vram_used": 8190, "vram_total": 24564}
NVML without optional symbols: flat vram present, gpu absent :: j["vram"] == 33.3 and "gpu" not in k
EOF

# NVML unusable: init fails, no device, no memory call -> nvidia-smi or none.
jexpect "$TMP/nvml-initfail.out" <<-'EOF'
nvmlInit fails: nvidia-smi takes over :: len(j["gpus"]) == 2 and "power_w" not in j["gpus"][1]
EOF
check "nvmlInit fails: nvidia-smi run once, with the original's query" [ "$(cat "$TMP/nvml-initfail.smi" 2>/dev/null)" = "$QUERY" ]
for m in init_fail zero; do
	jexpect "$TMP/nvml-$m-alone.out" <<-EOF
	NVML $m and no nvidia-smi: no GPU keys :: not (k & GPU_KEYS)
	EOF
done
jexpect "$TMP/nvml-nomem.out" <<-'EOF'
NVML without nvmlDeviceGetMemoryInfo is not used: no GPU keys :: not (k & GPU_KEYS)
EOF
check "MONBOT_NO_NVML=1: the library is left alone, nvidia-smi used" [ "$(smi_calls nonvml)" = 1 ]

# ---- nvidia-smi ------------------------------------------------------------
check "nvidia-smi: --once exits 0" [ "$(rc_of smi)" = 0 ] || show smi
check "nvidia-smi: run once with the original's query" [ "$(cat "$TMP/smi.smi" 2>/dev/null)" = "$QUERY" ]
jexpect "$TMP/smi.out" <<-'EOF'
nvidia-smi: GPU 0 exactly :: j["gpus"][0] == {"index": 0, "name": "NVIDIA GeForce RTX 4090", "util": 37, "vram_used": 8190, "vram_total": 24564, "temp": 61, "power_w": 215.5}
nvidia-smi: GPU 1 exactly, power [N/A] absent :: j["gpus"][1] == {"index": 1, "name": "NVIDIA RTX A2000", "util": 5, "vram_used": 1234, "vram_total": 6138, "temp": 44}
nvidia-smi: flat keys are GPU 0's :: (j["gpu"], j["vram"], j["vram_used"], j["vram_total"], j["gpu_temp"]) == (37, 33.3, 8190, 24564, 61)
EOF
same_as_none smi
jexpect "$TMP/smi-crlf.out" <<-'EOF'
nvidia-smi with CRLF line ends: the same GPUs :: j["gpus"] == json.load(open(E["SMI_JSON"]))["gpus"]
EOF
jexpect "$TMP/smi-na.out" <<-'EOF'
nvidia-smi [N/A] and [Not Supported]: only name and VRAM :: j["gpus"] == [{"index": 0, "name": "NVIDIA GeForce RTX 4090", "vram_used": 8190, "vram_total": 24564}]
nvidia-smi [N/A]: flat gpu and gpu_temp absent, vram present :: not ({"gpu", "gpu_temp"} & k) and j["vram"] == 33.3
EOF
jexpect "$TMP/smi-many.out" <<-'EOF'
nvidia-smi with twelve GPUs: the first eight :: [g["util"] for g in j["gpus"]] == list(range(8))
EOF

# Anything that is not the answer to the query: no GPU keys at all.
for m in $SMI_BAD; do
	if [ "$(rc_of "smi-$m")" != 0 ]; then
		not_ok "nvidia-smi $m: --once exits 0"
		show "smi-$m"
		continue
	fi
	jexpect "$TMP/smi-$m.out" <<-EOF
	nvidia-smi $m: no GPU keys, the rest as without GPUs :: not (k & GPU_KEYS) and k == set(json.load(open(E["NONE_JSON"]))) - GPU_KEYS
	EOF
done
# A hanging nvidia-smi is killed after its time limit (3 s).
check "nvidia-smi hangs: --once still exits 0" [ "$(rc_of smi-hang)" = 0 ]
check "nvidia-smi hangs: given up in time ($(cat "$TMP/smi-hang.ms") ms, 1 s of it the sample wait)" \
	[ "$(cat "$TMP/smi-hang.ms")" -lt 6000 ]
jexpect "$TMP/smi-hang.out" <<-'EOF'
nvidia-smi hangs: no GPU keys :: not (k & GPU_KEYS)
EOF

finish
