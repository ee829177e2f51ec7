# server/store/ — the storage module (SQLite and MySQL back-ends, async
# database thread, key CLI) and its tests. Read after server/module.mk, whose
# server link names $$(STORE_OBJS) and takes $(STORE_LIBS) in its recipe.

STORE_SRCS := server/store/config.c server/store/sql.c server/store/tables.c server/store/core.c \
              server/store/keys.c server/store/cmd.c server/store/read.c server/store/insert.c \
              server/store/rollup.c server/store/import.c server/store/schema.c server/store/async.c \
              server/store/sample.c server/store/db_sqlite.c server/store/db_mysql.c server/store/keycli.c \
              server/store/outbox.c server/store/fleet_text.c
STORE_OBJS = $(STORE_SRCS:%.c=$(O)/obj/%.o)

# MariaDB's libmysqlclient-compatible client; its headers as system headers so
# our warning flags do not apply to them.
MARIADB_CONFIG ?= mariadb_config
MARIADB_CFLAGS := $(patsubst -I%,-isystem %,$(shell $(MARIADB_CONFIG) --cflags 2>/dev/null))
MARIADB_LIBS := $(or $(shell $(MARIADB_CONFIG) --libs 2>/dev/null),-lmariadb)
STORE_LIBS := -lsqlite3 $(MARIADB_LIBS) -lpthread -lm

$(O)/obj/server/store/db_mysql.o: MB_CPPFLAGS += $(MARIADB_CFLAGS)
$(O)/obj/tests/unit/test_store.o $(O)/obj/tests/bench/store_bench.o: MB_CPPFLAGS += $(MARIADB_CFLAGS)

# wire/ objects the store uses: the sample record, JSON writing and reading;
# the port's file calls (the database file created 0600).
STORE_WIRE_OBJS = $(O)/obj/wire/json.o $(O)/obj/wire/jsonr.o $(O)/obj/wire/sample.o $(O)/obj/wire/logesc.o \
                  $(PORT_SOCK_OBJS)

# Unit tests: SQLite on temporary files; the same program runs against a
# private MariaDB from tests/integration/store_mysql.sh (DB=mysql).
UNIT_TESTS += test_store
$(O)/tests/test_store: $(O)/obj/tests/unit/test_store.o $(STORE_OBJS) $(STORE_WIRE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(STORE_LIBS)

# Helpers for the integration scripts and the benchmark.
$(O)/tests/store_outage: $(O)/obj/tests/integration/store_outage.o $(STORE_OBJS) $(STORE_WIRE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(STORE_LIBS)
$(O)/tests/store_keycli: $(O)/obj/tests/integration/store_keycli.o $(STORE_OBJS) $(STORE_WIRE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(STORE_LIBS)
$(O)/tests/store_bench: $(O)/obj/tests/bench/store_bench.o $(STORE_OBJS) $(STORE_WIRE_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(MB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(STORE_LIBS)

TEST_HELPERS += $(O)/tests/store_outage $(O)/tests/store_keycli
INTEG_TESTS += tests/integration/store_mysql.sh tests/integration/store_outage.sh \
               tests/integration/store_keycli.sh
BENCHES += tests/bench/store_bench.sh
BENCH_DEPS += $(O)/tests/store_bench
