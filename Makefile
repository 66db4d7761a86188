# bf: one non-recursive Makefile. `make`, `make test`, `make bench`,
# `make install PREFIX=... DESTDIR=...`, `make SANITIZE=1 test`, `V=1` for full commands.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man/man1
VERSION := 0.1.0

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
ifeq ($(WERROR),1)
WARN    += -Werror
endif

ifeq ($(SANITIZE),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   ?= build
SANFLAGS :=
endif

PKGS    := sqlite3 libssh2 libcurl libcjson zlib libpq libcrypto libmicrohttpd odbc
# A missing library stops the build here, by name (scripts/install-deps.sh installs them);
# `make clean` and `make uninstall` need none.
ifneq ($(filter-out clean uninstall,$(or $(MAKECMDGOALS),all)),)
ifeq ($(shell command -v pkg-config),)
$(error pkg-config not found: install it (scripts/install-deps.sh))
endif
PKG_MISSING := $(shell for p in $(PKGS); do pkg-config --exists $$p || echo $$p; done)
ifneq ($(PKG_MISSING),)
$(error missing libraries (pkg-config): $(PKG_MISSING); scripts/install-deps.sh installs them)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
endif

ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -DBF_VERSION='"$(VERSION)"' -Ilib -I$(BUILD)/gen \
              $(PKG_CFLAGS) $(WARN) $(SANFLAGS) -MMD -MP $(CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS        = $(PKG_LIBS) -lcsv -lm -lpthread

ifneq ($(V),1)
Q = @
SAY = @printf '  %-6s %s\n'
else
Q =
SAY = @true
endif

LIB_SRC  := $(sort $(wildcard lib/*/*.c lib/*/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/bf_migrations.o
PROG_SRC := $(sort $(wildcard bin/bf-*.c filters/bf-*.c))
PROGS    := $(addprefix $(BUILD)/,$(notdir $(PROG_SRC:.c=)))
MANS     := $(sort $(wildcard bin/*.1 filters/*.1))
SQL      := $(sort $(wildcard state/*.sql))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
SAMPLE_SRC := $(sort $(wildcard tests/tools/bf-sample.c tests/tools/sample/*.c))
TOOLS    := $(if $(SAMPLE_SRC),$(BUILD)/bf-sample) $(BUILD)/bf-hammer $(BUILD)/tests/inject-io.so
CLI_TESTS := $(sort $(wildcard tests/cli/t*.sh))

.PHONY: all test unit-test cli-test bench install uninstall clean
all: $(PROGS) $(TOOLS) $(UNITS)

$(BUILD)/libbf.a: $(LIB_OBJ)
	$(SAY) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c
	$(SAY) CC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/bf_migrations.c: $(SQL) scripts/embed-sql.sh
	$(SAY) GEN $@
	$(Q)mkdir -p $(dir $@)
	$(Q)sh scripts/embed-sql.sh $(SQL) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/bf_migrations.o: $(BUILD)/gen/bf_migrations.c
	$(SAY) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

define prog_rule
$(BUILD)/$(notdir $(1:.c=)): $(BUILD)/$(1:.c=.o) $(BUILD)/libbf.a
	$$(SAY) LD $$@
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$< $(BUILD)/libbf.a $$(LIBS)
endef
$(foreach p,$(PROG_SRC),$(eval $(call prog_rule,$(p))))

# the sample drop generator, a test tool: its parts in tests/tools/sample/, bf's base layer
$(BUILD)/bf-sample: $(SAMPLE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libbf.a
	$(SAY) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libbf.a $(LIBS)

# the HTTP load client of bf-serve's tests and benchmark: nothing of bf's
$(BUILD)/bf-hammer: $(BUILD)/tests/tools/bf-hammer.o
	$(SAY) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< -lpthread

# failing writes, syncs and closes for the tests (LD_PRELOAD; tests/tools/inject-io.c)
$(BUILD)/tests/inject-io.so: tests/tools/inject-io.c
	$(SAY) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -std=c11 $(WARN) -MMD -MP $(CFLAGS) -shared -fPIC -o $@ $< -ldl

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbf.a
	$(SAY) LD $@
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libbf.a $(LIBS)

# Every test is TAP; one prove runs the unit binaries and the CLI scripts.
PROVE_FLAGS ?= -j2 --timer --failures --comments
test: all
	BF_BUILD=$(abspath $(BUILD)) BF_SRC=$(abspath .) BF_TEST_SANITIZE=$(SANITIZE) prove $(PROVE_FLAGS) $(UNITS) $(CLI_TESTS)

unit-test: all
	BF_BUILD=$(abspath $(BUILD)) prove $(PROVE_FLAGS) $(UNITS)

cli-test: all
	BF_BUILD=$(abspath $(BUILD)) BF_SRC=$(abspath .) BF_TEST_SANITIZE=$(SANITIZE) prove $(PROVE_FLAGS) $(CLI_TESTS)

bench: all
	BF_BUILD=$(abspath $(BUILD)) BF_SRC=$(abspath .) bash tests/bench/run.sh

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)
	install -m 0644 $(MANS) $(DESTDIR)$(MANDIR)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGS))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/,$(notdir $(MANS)))

# ---- fuzz targets ---------------------------------------------------------------------
# tests/fuzz/fuzz_*.c are libFuzzer targets. `make` builds them into $(BUILD)/fuzz/ when
# $(FUZZ_CC) (clang, whatever CC is) can link -fsanitize=fuzzer, and says nothing when it
# cannot; FUZZ=0 leaves them out. The library is compiled again for them, instrumented
# (ASan, UBSan, coverage). `make fuzz` runs each for FUZZ_SECONDS from its seeds in
# tests/fuzz/seeds/<name>/, keeping what it learns in $(BUILD)/fuzz/corpus/<name>/ and
# what fails in $(BUILD)/fuzz/findings/; replay a finding with $(BUILD)/fuzz/<name> FILE.
FUZZ_CC      ?= clang
FUZZ_CFLAGS  ?= -g -O1
FUZZ_SECONDS ?= 20
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
ifneq ($(FUZZ),0)
ifneq ($(filter-out clean uninstall,$(or $(MAKECMDGOALS),all)),)
FUZZ_PROBE := int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }
FUZZ_OK := $(shell echo '$(FUZZ_PROBE)' | \
	$(FUZZ_CC) -x c $(FUZZ_SAN) -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1 && echo yes)
endif
endif
FUZZ_BINS    := $(if $(FUZZ_OK),$(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%))
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzz/%.o) $(BUILD)/fuzz/gen/bf_migrations.o
FUZZ_ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DBF_VERSION='"$(VERSION)"' -Ilib -I$(BUILD)/gen \
                  $(PKG_CFLAGS) $(WARN) $(FUZZ_SAN) -MMD -MP $(FUZZ_CFLAGS)

.PHONY: fuzz
all: $(FUZZ_BINS)

$(BUILD)/fuzz/%.o: %.c
	$(SAY) FUZZCC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz/gen/bf_migrations.o: $(BUILD)/gen/bf_migrations.c
	$(SAY) FUZZCC $<
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/libbf.a: $(FUZZ_LIB_OBJ)
	$(SAY) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/libbf.a
	$(SAY) LD $@
	$(Q)$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(BUILD)/fuzz/libbf.a $(LIBS)

fuzz: $(FUZZ_BINS)
	@test -n "$(FUZZ_OK)" || { echo "make fuzz: $(FUZZ_CC) cannot link -fsanitize=fuzzer" \
		"(scripts/install-deps.sh --build installs it)" >&2; exit 1; }
	BF_BUILD=$(abspath $(BUILD)) FUZZ_SECONDS=$(FUZZ_SECONDS) \
		bash tests/fuzz/run.sh $(notdir $(FUZZ_BINS))
# ---- end of the fuzz targets -----------------------------------------------------------

clean:
	rm -rf build build-san

# ($(BUILD)/bf-sample.d: left by builds from before bf-sample moved to tests/tools/)
-include $(filter-out $(BUILD)/bf-sample.d,$(shell find $(BUILD) -name '*.d' 2>/dev/null))
