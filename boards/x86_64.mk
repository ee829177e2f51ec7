# x86_64 PCs, servers and x86 routers: one fully static binary on musl
# (a tenth of static glibc, TOOLCHAINS.md), mbedTLS built from Debian's source
# for musl. NVIDIA through nvidia-smi (no dlopen in a static binary).
BOARD_CC := musl-gcc
STATIC := 1
BOARD_MBEDTLS := 1
# jsmn (header-only) is the one header taken from the system.
BOARD_SYS_HEADERS := jsmn.h
# Size first: the agent samples a few times a minute and make bench shows
# the sampling in tens of microseconds.
BOARD_OPT := -Os
# One section per function and object: the link drops what nothing calls
# (--gc-sections, with mbedTLS built the same way: Makefile, BOARD_MBEDTLS).
# No unwind tables: nothing in the agent unwinds (C, no backtrace()), and a
# stripped binary would still carry them (.eh_frame).
BOARD_CFLAGS := -fno-ident -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables
# One read-only segment for code and constants, as the other boards' linkers
# lay them out (x86_64's ld pads code to its own pages by default: 5 KiB
# of the file here).
BOARD_LDFLAGS := -Wl,-z,noseparate-code
