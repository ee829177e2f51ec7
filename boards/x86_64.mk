# x86_64 PCs, servers and x86 routers (PC Engines APU, x86 OpenWrt): one fully
# static binary on musl. musl is built from Debian's source like the cross
# boards' (tools/build-musl.sh), not taken from Debian's musl-dev: that one
# is compiled for speed (-O2), and for size the board's own build is 20 KiB
# smaller, from the same source and the same steps as every board.
# NVIDIA through nvidia-smi (no dlopen in a static binary). x86-64 baseline
# (every 64-bit x86 CPU). Runs natively in the tests.
BOARD_TRIPLET := x86_64-linux-gnu
BOARD_ARCH_CFLAGS := -march=x86-64
BOARD_QEMU :=
include boards/musl-cross.mk
# One read-only segment for code and constants, as the other boards' linkers
# lay them out (x86_64's ld pads code to its own pages by default: 4 KiB of
# the file).
BOARD_LDFLAGS += -Wl,-z,noseparate-code
