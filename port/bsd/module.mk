# port/bsd/: the FreeBSD port (PORT=bsd, boards/freebsd.mk). Only
# sys_freebsd.c includes FreeBSD headers; the decoders and the port layer
# over them are built on every host for test_bsd_decode, into a folder of
# their own (a fake system-call table stands in for sys_freebsd.c there).
BSD_TEST_SRCS := port/bsd/abi.c port/bsd/dec_cpu.c port/bsd/dec_fs.c port/bsd/dec_misc.c \
                 port/bsd/dec_proc.c port/bsd/bsd.c port/posix/clock.c port/fs_whole.c
BSD_TEST_OBJS := $(BSD_TEST_SRCS:%.c=$(O)/obj/tests/bsd/%.o)
$(O)/obj/tests/bsd/%.o: %.c | $(BOARD_PREREQ)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(MB_CPPFLAGS) $(CPPFLAGS) $(MB_CFLAGS) $(CFLAGS) -c -o $@ $<

UNIT_TESTS += test_bsd_decode
$(O)/tests/test_bsd_decode: $(O)/obj/tests/unit/test_bsd_decode.o $(BSD_TEST_OBJS) $(O)/obj/agent-min/collect.o \
                            $(O)/obj/wire/json.o $(O)/obj/wire/sample.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lm -lcmocka
