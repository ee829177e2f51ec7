# MonitoringBot top-level build.  Each directory owns a module.mk fragment that
# adds its sources, programs and tests; this file holds the shared rules.
#
#   make [all|agent|server|tools|test|bench|fuzz|clean|run|boards|packages]
#   BOARD=<name>     include boards/<name>.mk (cross targets; 'make boards'
#                    builds the agent of every Linux board)
#   TLS=mbedtls|wolfssl   TLS back-end (default mbedtls)
#   PORT=linux|bsd|windows|unsupported   OS port (command line only: the
#                    environment's PORT is the server's TCP port, SPEC §2)
#   CROSS_COMPILE=<prefix>   STATIC=1   SAN=1 (ASan+UBSan)   V=1   WERROR=1

.DEFAULT_GOAL := all
SHELL := /bin/bash

# The server's PORT from the environment must not be taken for the OS port.
SERVER_PORT_ENV := $(if $(filter environment,$(origin PORT)),$(PORT))
ifneq ($(origin PORT),command line)
PORT :=
endif
unexport PORT

BOARD ?=
ifneq ($(BOARD),)
include boards/$(BOARD).mk
endif

PORT := $(or $(PORT),$(BOARD_PORT),linux)
TLS ?= mbedtls
STATIC ?= 0
SAN ?= 0
CROSS_COMPILE ?=
ifeq ($(origin CC),default)
CC := $(or $(BOARD_CC),$(CROSS_COMPILE)gcc)
endif
ifeq ($(origin AR),default)
AR := $(CROSS_COMPILE)ar
endif
STRIP ?= $(CROSS_COMPILE)strip
CLANG ?= clang-14
PYTHON ?= /usr/bin/python3

# A port other than the target's own gets its own folder (build/native-unsupported).
O := build/$(or $(BOARD),native)$(if $(filter-out $(or $(BOARD_PORT),linux),$(PORT)),-$(PORT))$(if $(BOARD),,$(if $(filter 1,$(STATIC)),-static))$(if $(filter 1,$(SAN)),-san)$(if $(filter wolfssl,$(TLS)),-wolfssl)

# A board may optimise for size instead (BOARD_OPT, boards/*.mk).
CFLAGS ?= $(or $(BOARD_OPT),-O2) -g
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wundef -Wno-unused-parameter
ifeq ($(CI),true)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
MB_CPPFLAGS := -I. -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -MMD -MP $(BOARD_CPPFLAGS)
MB_CFLAGS := $(WARNINGS) $(BOARD_CFLAGS)
MB_LDFLAGS := $(BOARD_LDFLAGS)
ifeq ($(SAN),1)
MB_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
MB_LDFLAGS += -fsanitize=address,undefined
CFLAGS := -O1 -g
endif
ifeq ($(STATIC),1)
MB_LDFLAGS += -static
endif

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

# A board that needs mbedTLS built for its C library (BOARD_MBEDTLS=1) gets
# it before anything is compiled, so no object sees the system's headers.
# It is built with the project's configuration (BOARD_MBEDTLS_CONFIG, a path
# from the top of the tree; boards/mbedtls_agent_config.h says what is in it
# and why) and BOARD_MBEDTLS_CFLAGS, and every object of the build sees the
# same configuration.
# A cross board on musl (boards/musl-cross.mk) builds its C library first,
# from Debian's source (tools/build-musl.sh); its compiler is musl's wrapper.
ifeq ($(BOARD_MUSL),1)
BOARD_MUSL_LIB := $(BOARD_MUSL_DIR)/lib/libc.a
$(BOARD_MUSL_LIB): tools/build-musl.sh boards/$(BOARD).mk boards/musl-cross.mk
	$(call say,MUSL,$(BOARD_MUSL_DIR))tools/build-musl.sh $(abspath $(BOARD_MUSL_DIR)) $(BOARD_TRIPLET) "-Os $(BOARD_ARCH_CFLAGS) $(BOARD_NOPIE)"
BOARD_PREREQ := $(BOARD_MUSL_LIB)
endif

ifeq ($(BOARD_MBEDTLS),1)
BOARD_MBEDTLS_CONFIG ?= boards/mbedtls_agent_config.h
# Optimised for size, one section per function and object, so that the link
# keeps only what the agent calls (the TLS code runs a handshake an hour),
# and no unwind tables (C without exceptions; a stripped binary keeps
# .eh_frame otherwise: 34 KiB of the x86_64 agent with its own objects).
BOARD_MBEDTLS_CFLAGS ?= -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables
MB_LDFLAGS += -Wl,--gc-sections
MBEDTLS_BUILD := $(O)/mbedtls
MBEDTLS_LIBDIR := $(MBEDTLS_BUILD)/library
MB_CPPFLAGS := -I$(MBEDTLS_BUILD)/include -DMBEDTLS_CONFIG_FILE='"$(BOARD_MBEDTLS_CONFIG)"' $(MB_CPPFLAGS)
BOARD_PREREQ += $(MBEDTLS_LIBDIR)/libmbedtls.a
# A stamp holding the configuration's name and the flags: another header or
# other flags (from the command line) rebuild mbedTLS and every object, as
# an edit of the header does.
BOARD_MBEDTLS_STAMP := $(O)/gen/board_mbedtls
$(BOARD_MBEDTLS_STAMP): board-mbedtls-force
	@mkdir -p $(dir $@)
	@echo '$(BOARD_MBEDTLS_CONFIG) $(BOARD_MBEDTLS_CFLAGS)' | cmp -s - $@ || echo '$(BOARD_MBEDTLS_CONFIG) $(BOARD_MBEDTLS_CFLAGS)' >$@
.PHONY: board-mbedtls-force
# One recipe makes the three (a grouped target: the copies made from each,
# wire/ws.mk, see all three as remade).
$(MBEDTLS_LIBDIR)/libmbedtls.a $(MBEDTLS_LIBDIR)/libmbedx509.a $(MBEDTLS_LIBDIR)/libmbedcrypto.a &: $(BOARD_MBEDTLS_CONFIG) $(BOARD_MBEDTLS_STAMP) tools/build-mbedtls.sh $(BOARD_MUSL_LIB)
	$(call say,MBEDTLS,$(MBEDTLS_BUILD))MBEDTLS_CONFIG="$(BOARD_MBEDTLS_CONFIG)" MBEDTLS_CFLAGS="$(BOARD_MBEDTLS_CFLAGS)" tools/build-mbedtls.sh $(MBEDTLS_BUILD) "$(CC)" "$(AR)"
endif

# The native builds with mbedTLS (no BOARD) link it built from Debian's
# source package too, with the default configuration plus
# wire/mbedtls_host_config.h (record buffers that shrink after the
# handshake, Debian's threading), in build/mbedtls-host shared by every
# native build folder (a cross-built server, boards/server-cross.mk, has its
# own in its folder). HOST_MBEDTLS=0 links Debian's binary package instead.
ifeq ($(BOARD)$(TLS),mbedtls)
HOST_MBEDTLS ?= 1
endif
# switching it rebuilds every object (the structures differ)
ifeq ($(BOARD),)
HOST_MBEDTLS_STAMP := $(O)/gen/host_mbedtls
$(HOST_MBEDTLS_STAMP): host-mbedtls-force
	@mkdir -p $(dir $@)
	@echo 'HOST_MBEDTLS=$(HOST_MBEDTLS)' | cmp -s - $@ || echo 'HOST_MBEDTLS=$(HOST_MBEDTLS)' >$@
.PHONY: host-mbedtls-force
endif
ifeq ($(HOST_MBEDTLS),1)
HOST_MBEDTLS_CONFIG := wire/mbedtls_host_config.h
HOST_MBEDTLS_BUILD := $(if $(BOARD),$(O)/mbedtls-host,build/mbedtls-host)
MBEDTLS_LIBDIR := $(HOST_MBEDTLS_BUILD)/library
MB_CPPFLAGS := -isystem $(HOST_MBEDTLS_BUILD)/include -DMBEDTLS_USER_CONFIG_FILE='"$(HOST_MBEDTLS_CONFIG)"' $(MB_CPPFLAGS)
BOARD_PREREQ += $(MBEDTLS_LIBDIR)/libmbedtls.a
$(MBEDTLS_LIBDIR)/libmbedtls.a $(MBEDTLS_LIBDIR)/libmbedx509.a $(MBEDTLS_LIBDIR)/libmbedcrypto.a &: $(HOST_MBEDTLS_CONFIG) tools/build-mbedtls.sh
	$(call say,MBEDTLS,$(HOST_MBEDTLS_BUILD))MBEDTLS_USER_CONFIG="$(HOST_MBEDTLS_CONFIG)" tools/build-mbedtls.sh $(HOST_MBEDTLS_BUILD) "$(CC)" "$(AR)"
endif

# A board whose C library is not the system's sees none of the system's
# headers but the header-only libraries it names (BOARD_SYS_HEADERS, jsmn),
# copied into its own folder.
ifneq ($(BOARD_SYS_HEADERS),)
BOARD_INC := $(O)/gen/inc
MB_CPPFLAGS += -idirafter $(BOARD_INC)
BOARD_PREREQ += $(BOARD_SYS_HEADERS:%=$(BOARD_INC)/%)
$(BOARD_SYS_HEADERS:%=$(BOARD_INC)/%): $(BOARD_INC)/%: /usr/include/%
	@mkdir -p $(dir $@)
	$(Q)cp $< $@
endif

# A board's objects are compiled again, and its programs linked again, when
# its compiler or flags change (boards/*.mk edited, or given on the command
# line).
ifneq ($(BOARD),)
BOARD_FLAGS_STAMP := $(O)/gen/board_cflags
$(BOARD_FLAGS_STAMP): board-flags-force
	@mkdir -p $(dir $@)
	@echo '$(CC) $(MB_CPPFLAGS) $(CPPFLAGS) $(MB_CFLAGS) $(CFLAGS) $(MB_LDFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(MB_CPPFLAGS) $(CPPFLAGS) $(MB_CFLAGS) $(CFLAGS) $(MB_LDFLAGS) $(LDFLAGS)' >$@
.PHONY: board-flags-force
endif

# Fragments append to these.
PROGRAMS :=
UNIT_TESTS :=        # names of cmocka programs built as $(O)/tests/<name>;
                     # run natively and again from the SAN=1 build
INTEG_TESTS :=       # scripts, run once with O=<build dir> in the environment
TEST_HELPERS :=      # anything else the tests need built (fake libraries...)
BENCHES :=           # scripts printing rows of the bench table
FUZZ_TARGETS :=      # libFuzzer binaries built by 'make fuzz'
CLEAN_EXTRA :=

# port/ and wire/ first: other fragments name their objects in prerequisites,
# which make expands when it reads a rule. A fragment that needs a variable
# of one included later writes it as $$(VAR) (secondary expansion is on).
.SECONDEXPANSION:
FIRST_FRAGMENTS := port/module.mk wire/module.mk
include $(FIRST_FRAGMENTS) $(filter-out $(FIRST_FRAGMENTS),$(sort $(wildcard */module.mk */*/module.mk)))
# Agent tests that span modules (GPU fakes, live machine, allocation count).
-include tests/agent-tests.mk

# An object of a board build (or of a native one on build/mbedtls-host) is
# compiled again when its mbedTLS configuration changes (its structures
# change with it).
$(O)/obj/%.o: %.c $(BOARD_MBEDTLS_CONFIG) $(HOST_MBEDTLS_CONFIG) $(HOST_MBEDTLS_STAMP) $(BOARD_MBEDTLS_STAMP) $(BOARD_FLAGS_STAMP) | $(BOARD_PREREQ)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(MB_CPPFLAGS) $(CPPFLAGS) $(MB_CFLAGS) $(CFLAGS) -c -o $@ $<

.PHONY: all agent server tools test test-build check bench fuzz clean run deps boards packages
all: $(PROGRAMS)

# The Linux boards (boards/<name>.mk), each one static musl agent with TLS:
# 'make boards' builds them all, 'make agent BOARD=<name>' one.
LINUX_BOARDS := x86_64 armhf arm64 mipsel mips
boards:
	$(Q)for b in $(LINUX_BOARDS); do $(MAKE) --no-print-directory BOARD=$$b SAN=0 agent || exit 1; done

# The packages (tools/packages.sh, packaging/): .deb, .ipk and the Windows
# .zip into build/packages/, from the board builds and the native server,
# each built here first in its own make (their flags must not mix); the
# arm64 and armhf servers against their libraries from Debian's archive
# (tools/server-sysroot.sh, boards/server-cross.mk).
SERVER_CROSS_ARCHS := arm64 armhf
packages:
	$(Q)$(MAKE) --no-print-directory boards
	$(Q)$(MAKE) --no-print-directory SAN=0 all
	$(Q)$(MAKE) --no-print-directory BOARD=windows-x64 SAN=0 agent
	$(Q)for a in $(SERVER_CROSS_ARCHS); do tools/server-sysroot.sh $$a && \
		$(MAKE) --no-print-directory BOARD=server-$$a SAN=0 build/server-$$a/monbot-server || exit 1; done
	$(Q)NATIVE_O="$(O)" PYTHON="$(PYTHON)" tools/packages.sh

SAN_O := $(O:%-san=%)-san
# The Debian packages of .ci/packages, installed when missing (as root).
deps:
	$(Q)tools/deps.sh

test:
	$(Q)tools/deps.sh
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)$(MAKE) --no-print-directory SAN=1 test-build
	$(Q)$(MAKE) --no-print-directory boards
	$(Q)O="$(O)" SAN_O="$(SAN_O)" PYTHON="$(PYTHON)" tests/run-tests.sh "$(UNIT_TESTS)" "$(INTEG_TESTS)"

# 'make check NAME=...' runs one unit test or integration script.
check:
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)O="$(O)" SAN_O="$(SAN_O)" PYTHON="$(PYTHON)" NOSAN=1 tests/run-tests.sh "$(filter $(NAME),$(UNIT_TESTS))" "$(filter %$(NAME),$(INTEG_TESTS))"

test-build: $(PROGRAMS) $(addprefix $(O)/tests/,$(UNIT_TESTS)) $(TEST_HELPERS)

bench: $(PROGRAMS) $(BENCH_DEPS)
	$(Q)tests/run-bench.sh "$(O)" $(BENCHES)

# A newcomer's first command (SPEC §10): the server with embedded defaults and
# a local agent on a fresh key, in ./run/; Ctrl-C stops both.
# The packages first: a fresh machine has not got them, and a make that read
# this file without them builds in a sub-make that reads it again.
run:
	$(Q)tools/deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)O="$(O)" PORT="$(SERVER_PORT_ENV)" tools/run.sh

clean:
	rm -rf build $(CLEAN_EXTRA)

-include $(shell find build -path '*/obj/*' -name '*.d' -type f 2>/dev/null)
