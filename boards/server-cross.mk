# The server cross-built for a Debian architecture (boards/server-arm64.mk,
# server-armhf.mk): glibc and dynamic, as the native server, against that
# architecture's glibc, SQLite, libcurl and MariaDB client (mbedTLS is
# built from its Debian source, below) unpacked into build/sysroot-<arch>/root (tools/server-sysroot.sh: apt-get
# download and dpkg -x, never a foreign architecture on this machine), used
# as the compiler's --sysroot. Only `make server BOARD=server-<arch>` is
# meant: the agent has its own boards. The board file sets BOARD_TRIPLET
# and BOARD_DEB_ARCH.
CROSS_COMPILE := $(BOARD_TRIPLET)-
BOARD_SYSROOT := $(CURDIR)/build/sysroot-$(BOARD_DEB_ARCH)/root
BOARD_CC := $(BOARD_TRIPLET)-gcc --sysroot=$(BOARD_SYSROOT)
BOARD_CPPFLAGS := -isystem $(BOARD_SYSROOT)/usr/include/mariadb
# the header-only libraries (arch-independent) from this machine, copied
BOARD_SYS_HEADERS := jsmn.h stb/stb_truetype.h stb/stb_image_write.h
# this machine's mariadb_config names x86_64 paths
MARIADB_CONFIG := false
# mbedTLS built from Debian's source for this architecture, as the native
# server's (Makefile, wire/mbedtls_host_config.h): the same sessions, and
# the package needs the same libraries as amd64's
HOST_MBEDTLS := 1
