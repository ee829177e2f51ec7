# The server for 32-bit ARM Debian, armhf (boards/server-cross.mk).
BOARD_TRIPLET := arm-linux-gnueabihf
BOARD_DEB_ARCH := armhf
include boards/server-cross.mk
