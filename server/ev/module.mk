# server/ev/: the event loop (ev.h): one portable file and one file per
# readiness backend, kqueue on the BSDs, else epoll. Linked by the server
# and monbot-loadgen; its tests run both backends on Linux.
EV_BACKEND := $(if $(filter bsd,$(PORT)),kqueue,epoll)
EV_SRCS := server/ev/ev.c server/ev/ev_$(EV_BACKEND).c
EV_OBJS := $(EV_SRCS:%.c=$(O)/obj/%.o)

UNIT_TESTS += test_ev
$(O)/tests/test_ev: $(O)/obj/tests/unit/test_ev.o $(EV_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka

# The kqueue backend on Linux: the same tests over a kqueue(2) emulation on
# epoll (tests/unit/ev_kqueue_shim), so both backends run in `make test`.
ifneq ($(EV_BACKEND),kqueue)
UNIT_TESTS += test_ev_kqueue
$(O)/obj/tests/kq/ev_kqueue.o: server/ev/ev_kqueue.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) -Itests/unit/ev_kqueue_shim $(MB_CPPFLAGS) $(CPPFLAGS) $(MB_CFLAGS) $(CFLAGS) -c -o $@ $<
$(O)/tests/test_ev_kqueue: $(O)/obj/tests/unit/test_ev.o $(O)/obj/server/ev/ev.o $(O)/obj/tests/kq/ev_kqueue.o \
                           $(O)/obj/tests/unit/test_ev_kqueue_emul.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka
$(O)/obj/tests/unit/test_ev_kqueue_emul.o: MB_CPPFLAGS += -Itests/unit/ev_kqueue_shim
endif
