# The server for 64-bit ARM Debian (boards/server-cross.mk).
BOARD_TRIPLET := aarch64-linux-gnu
BOARD_DEB_ARCH := arm64
include boards/server-cross.mk
