# x86_64 PCs, servers and x86 routers: one fully static binary on musl
# (a tenth of static glibc, TOOLCHAINS.md), mbedTLS built from Debian's source
# for musl. NVIDIA through nvidia-smi (no dlopen in a static binary).
BOARD_CC := musl-gcc
STATIC := 1
BOARD_MBEDTLS := 1
# jsmn.h (header-only) comes from the system's include folder, after musl's.
BOARD_CPPFLAGS := -idirafter /usr/include
# One section per function and object: the link drops what nothing calls
# (--gc-sections, with mbedTLS built the same way: Makefile, BOARD_MBEDTLS).
# No unwind tables: nothing in the agent unwinds (C, no backtrace()), and a
# stripped binary would still carry them (.eh_frame).
BOARD_CFLAGS := -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables
