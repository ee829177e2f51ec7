# What the Linux boards share (boards/x86_64.mk, armhf.mk, arm64.mk,
# mipsel.mk, mips.mk): one fully static binary on musl, built here from
# Debian's source for the board's triplet (tools/build-musl.sh says why one
# recipe serves them all), and mbedTLS built from Debian's source against it
# with the project's configuration (boards/mbedtls_agent_config.h). The
# board file sets:
#   BOARD_TRIPLET       the Debian compiler's prefix;
#   BOARD_ARCH_CFLAGS   the target's ISA and float ABI, written out even
#                       where they are the compiler's default, so that the
#                       binary's needs are on the page;
#   BOARD_ISA16_CFLAGS  the compressed instruction set for the agent's and
#                       mbedTLS's code, where the board has one beside its
#                       own (MIPS16e); musl is built without it (its
#                       assembly is of the full ISA);
#   BOARD_QEMU          the qemu-user command the tests run it under (empty
#                       for a board this machine runs natively);
#   BOARD_GPU           none: no GPU reader linked (routers).
CROSS_COMPILE := $(BOARD_TRIPLET)-
BOARD_MUSL := 1
BOARD_MUSL_DIR := build/$(BOARD)/musl
BOARD_CC := $(CURDIR)/$(BOARD_MUSL_DIR)/bin/musl-gcc
# jsmn (header-only) is the one header taken from the system.
BOARD_SYS_HEADERS := jsmn.h
STATIC := 1
BOARD_MBEDTLS := 1
# Position-dependent code, libraries included: the binary is static and
# never relocated, and Debian's compilers default to PIE, whose GOT loads
# cost most on MIPS (every call and global through $gp; non-PIC code is a
# tenth smaller there).
BOARD_NOPIE := -fno-pie
# and no compiler version string in every object (.comment).
BOARD_NOPIE += -fno-ident
BOARD_LDFLAGS := -no-pie
# No PT_GNU_RELRO: musl applies it only in its dynamic linker
# (ldso/dynlink.c), never in a static binary, and the linker aligns its end
# to a page, padding the file: up to 64 KiB on arm64 (its 64 KiB maximum
# page: 330 KiB instead of 280 KiB once the code passed 256 KiB), 1 KiB on
# x86_64.
BOARD_LDFLAGS += -Wl,-z,norelro
BOARD_MBEDTLS_CFLAGS := -Os $(BOARD_ARCH_CFLAGS) $(BOARD_NOPIE) $(BOARD_ISA16_CFLAGS) -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables
# Size first: the agent samples a few times a minute (make bench: the
# sampling is tens of microseconds), one section per function and object so
# that --gc-sections drops what nothing calls, no unwind tables (C, nothing
# unwinds; a stripped binary would keep .eh_frame).
BOARD_OPT := -Os
BOARD_CFLAGS := $(BOARD_ARCH_CFLAGS) $(BOARD_NOPIE) $(BOARD_ISA16_CFLAGS) -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables
