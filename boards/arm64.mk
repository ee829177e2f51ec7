# 64-bit ARM boards: Raspberry Pi 3/4/5 on a 64-bit OS, ARM servers, the
# filogic and mediatek/mt7622 routers. ARMv8-A baseline (every AArch64 core;
# the FPU is part of the architecture). Runs under qemu-aarch64-static in the
# tests.
BOARD_TRIPLET := aarch64-linux-gnu
BOARD_ARCH_CFLAGS := -march=armv8-a
BOARD_QEMU := qemu-aarch64-static
include boards/musl-cross.mk
