# Big-endian MIPS routers: Atheros/Qualcomm QCA ar71xx/ath79 (AR71xx, AR9xxx,
# QCA95xx: 24Kc and 74Kc cores), most of the routers OpenWrt runs on. Debian
# has no big-endian MIPS port (no target libraries), only the cross compiler:
# musl comes from Debian's source (tools/build-musl.sh). MIPS32r2, o32,
# hard-float FPXX as mipsel.mk, and the same reliance on the kernel's FPU
# emulator on cores without an FPU (the 24Kc and 74Kc have none). This is the
# board that proves the agent byte-order clean (WebSocket lengths and
# masking, JSON numbers): the tests run it under qemu-mips-static against a
# little-endian server.
BOARD_TRIPLET := mips-linux-gnu
BOARD_ARCH_CFLAGS := -march=mips32r2 -mabi=32 -mhard-float -mfpxx
BOARD_ISA16_CFLAGS := -mips16 -minterlink-mips16
BOARD_QEMU := qemu-mips-static -cpu 24Kf
# Routers have no GPU: no nvidia-smi or amdgpu reader in the binary.
BOARD_GPU := none
# Nor, by default, the fleet collectors (issue 16: 20 KiB with all of them,
# and routers run no Docker, systemd or SMART drives): a router with a UPS
# or a textfile job builds with BOARD_FLEET="ups textfile" (7 KiB).
BOARD_FLEET := none
include boards/musl-cross.mk
