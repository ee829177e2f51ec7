# port/: the OS interface. PORT= picks the folder; the Linux port needs -ldl
# for NVML (dlopen) and nothing else. port/posix/ (stop signal, waiting,
# sockets) is shared by the POSIX ports.
PORT_POSIX := $(filter linux bsd,$(PORT))
PORT_SRCS := $(wildcard port/$(PORT)/*.c) $(if $(PORT_POSIX),$(wildcard port/posix/*.c))
# The ports with BSD sockets (POSIX and Winsock) share their address code.
PORT_BSDSOCK := $(filter linux bsd windows,$(PORT))
PORT_SRCS += $(if $(PORT_BSDSOCK),port/sockaddr.c)
# The ports without fleet sources yet share their stubs, and those without
# a mount-table change signal read the table whole each cycle.
PORT_SRCS += $(if $(filter bsd windows unsupported,$(PORT)),port/fleet_none.c port/fs_whole.c)
# A static binary does not dlopen NVML: nvidia-smi is its NVIDIA back-end.
# The ports that load NVML at run time share its calls (port/nvml/).
ifeq ($(PORT)$(STATIC),linux1)
PORT_SRCS := $(filter-out port/linux/gpu_nvml.c,$(PORT_SRCS)) port/linux/static/gpu_nvml.c
else ifneq ($(filter linux windows,$(PORT)),)
PORT_SRCS += port/nvml/nvml.c
endif
# A board without GPUs (BOARD_GPU=none, the routers) links no GPU reader.
ifeq ($(PORT)$(BOARD_GPU),linuxnone)
PORT_SRCS := $(filter-out port/linux/gpu_smi.c port/linux/gpu_amd.c,$(PORT_SRCS)) port/linux/static/gpu_none.c
endif
PORT_OBJS = $(PORT_SRCS:%.c=$(O)/obj/%.o)
# What wire/ needs of the port (sockets, waiting, secret-safe files): every
# program that links the connection layer or .env writing gets these.
PORT_SOCK_OBJS = $(if $(PORT_POSIX),$(O)/obj/port/posix/posix.o $(O)/obj/port/posix/file.o,$(O)/obj/port/$(PORT)/$(PORT).o) \
                 $(if $(PORT_BSDSOCK),$(O)/obj/port/sockaddr.o)
PORT_LIBS_linux := -ldl -lm
PORT_LIBS_unsupported := -lm
PORT_LIBS_bsd := -lm
# Windows: Winsock, GetIfTable2, GetProcessMemoryInfo, the tray icon's
# bitmap (gdi32); kernel32, user32, shell32 and advapi32 come with every
# mingw link.
PORT_LIBS_windows := -lws2_32 -liphlpapi -lpsapi -lgdi32
PORT_LIBS := $(PORT_LIBS_$(PORT))

ifeq ($(PORT),linux)
UNIT_TESTS += test_port_linux
$(O)/tests/test_port_linux: $(O)/obj/tests/unit/test_port_linux.o $$(PORT_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PORT_LIBS) -lcmocka
endif

# Child processes and port_waitv on the POSIX ports.
ifneq ($(PORT_POSIX),)
UNIT_TESTS += test_port_child
$(O)/tests/test_port_child: $(O)/obj/tests/unit/test_port_child.o $(O)/obj/port/posix/child.o $(O)/obj/port/posix/posix.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka
endif

# port/windows' pure half (win_decode.c, no windows.h) on every other
# build: tests/unit/test_win_decode.c under agent-min/collect.c on Linux.
ifneq ($(PORT),windows)
UNIT_TESTS += test_win_decode
$(O)/tests/test_win_decode: $(O)/obj/tests/unit/test_win_decode.o $(O)/obj/port/windows/win_decode.o \
                            $(O)/obj/port/fs_whole.o $(O)/obj/agent-min/collect.o $(O)/obj/wire/json.o \
                            $(O)/obj/wire/sample.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lm -lcmocka
endif

# The Windows agent itself: built with mingw-w64 and run under wine against
# the native monbot-server (tests/integration/agent_windows.py).
# The bench's rows: the .exe's stripped size and its RSS under wine.
ifneq ($(PORT),windows)
INTEG_TESTS += tests/integration/agent_windows.py
BENCHES += tests/bench/agent_windows.sh
endif
