# Windows x86_64 (7 and later, Server 2012 and later): one static
# monbot-agent.exe from mingw-w64, mbedTLS built from Debian's source for it
# (Debian ships no mingw mbedTLS, ../shared/TOOLCHAINS.md). The port is
# port/windows/ (Win32 API, Winsock); the tests run the .exe under wine.
BOARD_PORT := windows
CROSS_COMPILE := x86_64-w64-mingw32-
BOARD_CC := x86_64-w64-mingw32-gcc
STATIC := 1
BOARD_MBEDTLS := 1
EXE := .exe
# jsmn.h (header-only) comes from the system's include folder, after
# mingw's own headers (nothing else is looked up there: a POSIX header the
# portable code wrongly used would show as a glibc error, not pass).
# Windows 7 is the oldest target (_WIN32_WINNT); C99 printf (%zu, %llu)
# from mingw's own stdio rather than msvcrt's; gmtime_r (the CRT has
# gmtime_s); port/windows/posix_compat.h gives the few POSIX names the
# portable code uses their Windows meaning.
BOARD_CPPFLAGS := -idirafter /usr/include -D_WIN32_WINNT=0x0601 -D__USE_MINGW_ANSI_STDIO=1 \
                  -D_POSIX_THREAD_SAFE_FUNCTIONS=200112L -include port/windows/posix_compat.h
# As boards/x86_64.mk: a section per function, no unwind tables; but no
# section per object: mingw's linker script gathers only .bss itself into
# .bss, and -fdata-sections' .bss.<name> sections landed in .data, stored in
# the file (7 MiB of the agent's static buffers).
# -Wno-format: mingw's gcc checks format(printf) against msvcrt's printf,
# not the C99 one __USE_MINGW_ANSI_STDIO links (every native build checks
# the same format strings).
# Size first, as the Linux boards (boards/musl-cross.mk).
BOARD_OPT := -Os
BOARD_CFLAGS := -fno-ident -ffunction-sections -fno-asynchronous-unwind-tables -fno-unwind-tables \
                -Wno-format
# The shared agent configuration plus mbedTLS's platform layer (required on
# Windows: boards/mbedtls_windows_config.h).
BOARD_MBEDTLS_CONFIG := boards/mbedtls_windows_config.h
BOARD_MBEDTLS_CFLAGS := -Os -ffunction-sections -fno-asynchronous-unwind-tables -fno-unwind-tables
