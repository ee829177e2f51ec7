# Little-endian MIPS routers: MediaTek MT7620/MT7621/MT7628 (ramips). MIPS32r2
# (24K, 34K, 74K and 1004K cores all implement it), o32 ABI, hard-float with
# the FPXX register model (Debian's mipsel default; it runs with 32- or
# 64-bit FPU registers). Most of these SoCs have no FPU: the binary then
# relies on the kernel's FPU emulator, which Linux on MIPS builds in (OpenWrt's
# kernels included); the agent's floating point is a few divisions per
# sample, so the emulation traps cost microseconds (README, "Routers without
# an FPU"). Runs under qemu-mipsel-static in the tests (a 24Kf, 74Kf or
# 1004Kf CPU model: qemu-user has no FPU emulator of its own).
BOARD_TRIPLET := mipsel-linux-gnu
BOARD_ARCH_CFLAGS := -march=mips32r2 -mabi=32 -mhard-float -mfpxx
BOARD_ISA16_CFLAGS := -mips16 -minterlink-mips16
BOARD_QEMU := qemu-mipsel-static -cpu 34Kf
# Routers have no GPU: no nvidia-smi or amdgpu reader in the binary.
BOARD_GPU := none
# Nor, by default, the fleet collectors (issue 16: 20 KiB with all of them,
# and routers run no Docker, systemd or SMART drives): a router with a UPS
# or a textfile job builds with BOARD_FLEET="ups textfile" (7 KiB).
BOARD_FLEET := none
include boards/musl-cross.mk
