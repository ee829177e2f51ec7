# 64-bit ARM boards: Raspberry Pi 3/4/5 on a 64-bit OS, ARM servers, the
# filogic and mediatek/mt7622 routers. ARMv8-A baseline (every AArch64 core;
# the FPU is part of the architecture). Runs under qemu-aarch64-static in the
# tests.
BOARD_TRIPLET := aarch64-linux-gnu
BOARD_ARCH_CFLAGS := -march=armv8-a
BOARD_QEMU := qemu-aarch64-static
include boards/musl-cross.mk
# No PT_GNU_RELRO: musl applies it only in its dynamic linker (ldso/dynlink.c),
# never in a static binary, and aarch64's linker aligns its end to the 64 KiB
# maximum page, which pads the file to the next 64 KiB (330 KiB instead of
# 280 KiB once the code passed 256 KiB with the fleet collectors).
BOARD_LDFLAGS += -Wl,-z,norelro
