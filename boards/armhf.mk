# ARMv7 hard-float boards: Raspberry Pi 2 and later, ARM NAS boxes, mvebu and
# ipq40xx routers. Thumb-2 (the code is about a third smaller than ARM mode;
# every ARMv7-A core runs it), VFPv3-D16 (the common subset of ARMv7 FPUs:
# Cortex-A7/A9/A15/A53 in 32-bit mode all have it), the hard-float ABI
# (Debian's armhf; the binary is static, the host's own C library does not
# matter). Runs under qemu-arm-static in the tests.
BOARD_TRIPLET := arm-linux-gnueabihf
BOARD_ARCH_CFLAGS := -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -mthumb
BOARD_QEMU := qemu-arm-static
include boards/musl-cross.mk
