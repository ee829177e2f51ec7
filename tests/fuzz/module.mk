# tests/fuzz/: every libFuzzer target, one layout and one set of rules.
#   tests/fuzz/<name>.c            the target (LLVMFuzzerTestOneInput)
#   tests/fuzz/<name>/corpus/      inputs kept (seeds and merged runs)
#   tests/fuzz/<name>/crashes/     crash inputs, kept as regressions
# `make fuzz` runs each target FUZZ_SECONDS on its corpus with clang's
# libFuzzer (new inputs go to $(O)/fuzz/<name>.work, a crash to crashes/);
# `make test` replays corpus and crashes through the same file built with
# gcc and tests/fuzz/replay.c (unit test test_replay_<x> for fuzz_<x>),
# natively and under the sanitizers.
#
# A module adds a target with
#   FUZZ_NAMES += fuzz_<x>
#   FUZZ_SRCS_fuzz_<x> := the sources clang compiles into it (instrumented)
#   FUZZ_OBJS_fuzz_<x> := the objects (or archives) the gcc replay links
#   FUZZ_LIBS_fuzz_<x> := libraries both need (optional)

FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -I. -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE
FUZZ_TARGETS += $(FUZZ_NAMES:%=$(O)/fuzz/%)
UNIT_TESTS += $(FUZZ_NAMES:fuzz_%=test_replay_%)
.SECONDARY: $(FUZZ_NAMES:%=$(O)/obj/tests/fuzz/%.o) $(O)/obj/tests/fuzz/replay.o

$(O)/fuzz/%: tests/fuzz/%.c $$(FUZZ_SRCS_$$*)
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*) $(FUZZ_LIBS_$*)

$(O)/tests/test_replay_%: $(O)/obj/tests/fuzz/fuzz_%.o $(O)/obj/tests/fuzz/replay.o $$(FUZZ_OBJS_fuzz_$$*)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(FUZZ_LIBS_fuzz_$*)

.PHONY: fuzz
fuzz: $(FUZZ_NAMES:%=$(O)/fuzz/%)
	$(Q)for t in $(FUZZ_NAMES); do \
		mkdir -p tests/fuzz/$$t/corpus tests/fuzz/$$t/crashes $(O)/fuzz/$$t.work; \
		echo "== $$t ($(FUZZ_SECONDS) s)"; \
		$(O)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=tests/fuzz/$$t/crashes/ $(O)/fuzz/$$t.work tests/fuzz/$$t/corpus \
			2>&1 | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|==|SUMMARY|.*ERROR)'; \
	done
