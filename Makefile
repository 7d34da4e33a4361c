# recsys-tui — multi-region e-commerce recommender (see README.md).
# `make help` lists the targets; a newcomer never needs to read further.
#
# Flags: the project's own flags live in FINAL_CFLAGS; CFLAGS, CPPFLAGS and
# LDFLAGS are the user's and are appended last, so `make CFLAGS=-O0` only
# changes the optimisation (redis' FINAL_CFLAGS pattern). WERROR=1 turns
# warnings into errors (CI sets it); V=1 prints full compiler command lines.

CC        ?= cc
PREFIX    ?= /usr/local
# Where `make install` puts regions.conf (SYSCONFDIR/recsys-tui/) and where the
# program looks for it when ./regions.conf is absent: /etc for PREFIX=/usr (as
# a Debian package would), else PREFIX/etc (/usr/local/etc by default).
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
OLIST_DIR ?= ../shared/olist
DB        ?= olist.db
# SAN=1 builds with ASan+UBSan, SAN=thread with TSan, each in its own build tree.
SAN       ?=
WERROR    ?=
V         ?=

ifeq ($(SAN),thread)
  BUILD    ?= build-tsan
  SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
  OPT      := -O1 -g
else ifneq ($(SAN),)
  BUILD    ?= build-san
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  OPT      := -O1 -g
else
  BUILD    ?= build
  SANFLAGS :=
  OPT      := -O2 -g
endif

PKGS       := sqlite3 libcurl ncursesw libcjson zlib openblas
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

STD          := -std=c11 -D_GNU_SOURCE
WARN         := -Wall -Wextra -Wmissing-prototypes $(if $(filter 1 yes,$(WERROR)),-Werror)
FINAL_CFLAGS  = $(STD) $(WARN) $(OPT) $(SANFLAGS) -MMD -MP $(PKG_CFLAGS) -Isrc $(CPPFLAGS) $(CFLAGS)
FINAL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
FINAL_LIBS    = $(PKG_LIBS) -lcsv -lpthread -lm $(LDLIBS)

ifeq ($(V),1)
  Q :=
  say :=
else
  Q := @
  say = @printf '  %-4s %s\n' $(1) $(2);
endif

# One static archive per layer, linked from the top of the stack down: a
# lower layer that calls up (engine -> net, say) has nothing left to resolve
# against and fails to link. tests/layering.sh checks the includes too.
#   cli -> {net, tui, store, ingest, engine, conf, util}
#   net -> {store, engine, conf, util}    tui -> {conf, util}    store -> util
#   ingest -> util                 engine -> util        conf -> util
LAYERS    := cli net tui store ingest engine conf util
LAYER_LIB  = $(BUILD)/lib/lib$(1).a
LAYER_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(wildcard src/$(1)/*.c))
ARCHIVES  := $(foreach l,$(LAYERS),$(call LAYER_LIB,$(l)))
SRCS      := src/main.c $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c))
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BIN       := $(BUILD)/recsys-tui

.PHONY: all deps deps-run deps-test deps-bench deps-fuzz run test sanitize test-tsan unit \
        valgrind install uninstall bench soak clean help format fuzz

all: $(BIN) $(if $(filter build,$(BUILD)),recsys-tui)

recsys-tui: $(BIN)
	$(Q)ln -sf $(BIN) $@

$(BIN): $(BUILD)/src/main.o $(ARCHIVES)
	$(call say,LINK,$@)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(FINAL_LIBS)

define layer_rule
$(call LAYER_LIB,$(1)): $(call LAYER_OBJS,$(1))
	@mkdir -p $$(dir $$@)
	$$(call say,AR,$$@)rm -f $$@ && $(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rule,$(l))))

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(FINAL_CFLAGS) -c -o $@ $<

# The installed regions file's directory is compiled into cli/conffile.o; the
# stamp holds the value it was built with, so changing PREFIX or SYSCONFDIR
# rebuilds that one object (and nothing else).
$(BUILD)/sysconfdir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SYSCONFDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR)' >$@
$(BUILD)/src/cli/conffile.o: $(BUILD)/sysconfdir.stamp
$(BUILD)/src/cli/conffile.o: FINAL_CFLAGS += -DRECSYS_SYSCONFDIR='"$(SYSCONFDIR)"'
FORCE:

$(BUILD)/tests/%: tests/unit/%.c $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(FINAL_CFLAGS) -Itests/unit -o $@ $< $(ARCHIVES) $(FINAL_LDFLAGS) $(FINAL_LIBS)

## deps: install every Debian package the build, tests, benchmarks and fuzzers need
deps:
	@scripts/deps.sh run test bench fuzz
deps-run:
	@scripts/deps.sh run
deps-test:
	@scripts/deps.sh run test
deps-bench:
	@scripts/deps.sh run bench
deps-fuzz:
	@scripts/deps.sh run fuzz

## run: build, ingest (real data if $(OLIST_DIR) exists, else generated sample), train, open the dashboard
run: deps-run all
	./recsys-tui --data $(OLIST_DIR) --db $(DB)

## test: every unit and end-to-end test; SAN=1 runs them under ASan+UBSan
test: deps-test $(BIN) $(TEST_BINS)
	@BUILD=$(BUILD) BIN=$(BIN) OLIST_DIR=$(OLIST_DIR) SAN=$(SAN) tests/run.sh

## sanitize: `make test` under ASan+UBSan
sanitize:
	$(MAKE) test SAN=1

## test-tsan: every test under ThreadSanitizer (CI runs the multi-threaded ones)
test-tsan:
	$(MAKE) test SAN=thread

unit: $(BIN) $(TEST_BINS)

## valgrind: the C unit tests under valgrind (leaks and memory errors fail them)
valgrind: deps-test $(TEST_BINS)
	@BUILD=$(BUILD) BIN=$(BIN) ONLY=test_ RECSYS_VALGRIND=1 \
	  WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
	  tests/run.sh

## bench: every benchmark under bench/ (needs the real data for the headline figures)
bench: deps-bench all
	@for b in bench/ingest bench/train bench/recommend bench/serve bench/routes bench/reload bench/events; do \
	  [ -x $$b ] && OLIST_DIR=$(OLIST_DIR) BIN=$(abspath $(BIN)) $$b || exit 1; done

## soak: bench/soak, MINUTES (10) at 80% of peak with activations and slow readers
soak: deps-bench all
	@OLIST_DIR=$(OLIST_DIR) BIN=$(abspath $(BIN)) bench/soak

## fuzz: libFuzzer (clang) on every parser of outside bytes, FUZZ_SECONDS each, FUZZ_JOBS at a time
# One target per fuzz/fuzz_NAME.c, seeded from fuzz/corpus/NAME (replayed by
# tests/unit/test_fuzz_NAME.c in `make test`); fuzz/run.sh runs them and
# prints runs and exec/s per target. New inputs go to $(BUILD)/fuzz/corpus.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_TARGETS ?= http csv regions body model
FUZZ_FLAGS   := -g -O1 $(STD) -Isrc -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined $(PKG_CFLAGS)
FUZZ_UTIL    := src/util/error.c src/util/mem.c src/util/clock.c src/util/progress.c
fuzz_srcs_http    := src/net/http.c src/util/sbuf.c src/util/mem.c
fuzz_srcs_csv     := src/ingest/csvload.c src/ingest/olist.c src/ingest/keyset.c \
                     src/ingest/rowbatch.c $(FUZZ_UTIL)
fuzz_srcs_regions := src/conf/regions.c src/util/error.c
fuzz_srcs_body    := src/net/body.c src/util/error.c
fuzz_srcs_model   := $(wildcard src/engine/*.c) $(FUZZ_UTIL) src/util/sha256.c src/util/sbuf.c
define fuzz_rule
$(BUILD)/fuzz/fuzz_$(1): fuzz/fuzz_$(1).c fuzz/fuzz.h $(fuzz_srcs_$(1))
	@mkdir -p $$(dir $$@)
	$$(call say,FUZZ,$$@)$(FUZZ_CC) $(FUZZ_FLAGS) -o $$@ $$(filter %.c,$$^) $(PKG_LIBS) -lcsv -lpthread -lm
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))
fuzz: deps-fuzz $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) fuzz/run.sh $(FUZZ_TARGETS)

## install: the binary, the man page, the shipped regions.conf (PREFIX/share/recsys-tui) and
## the config the program reads (SYSCONFDIR/recsys-tui/regions.conf), which an earlier
## install's edited copy keeps: it is only written when absent or still the shipped file.
ETC_CONF = $(DESTDIR)$(SYSCONFDIR)/recsys-tui/regions.conf
SHIPPED  = $(DESTDIR)$(PREFIX)/share/recsys-tui/regions.conf
install: all
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/recsys-tui
	install -D -m 0644 man/recsys-tui.1 $(DESTDIR)$(PREFIX)/share/man/man1/recsys-tui.1
	@if [ ! -e '$(ETC_CONF)' ] || cmp -s '$(SHIPPED)' '$(ETC_CONF)'; then \
	  echo "install -D -m 0644 regions.conf $(ETC_CONF)"; \
	  install -D -m 0644 regions.conf '$(ETC_CONF)'; \
	else echo "kept the edited $(ETC_CONF) (the shipped one: $(SHIPPED))"; fi
	install -D -m 0644 regions.conf $(SHIPPED)

## uninstall: removes what install wrote, except a regions.conf that was edited
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/recsys-tui $(DESTDIR)$(PREFIX)/share/man/man1/recsys-tui.1
	@if [ -e '$(ETC_CONF)' ] && ! cmp -s '$(SHIPPED)' '$(ETC_CONF)'; then \
	  echo "kept the edited $(ETC_CONF)"; \
	else echo "rm -f $(ETC_CONF)"; rm -f '$(ETC_CONF)'; \
	  rmdir '$(DESTDIR)$(SYSCONFDIR)/recsys-tui' 2>/dev/null || true; fi
	rm -rf $(DESTDIR)$(PREFIX)/share/recsys-tui

format:
	clang-format -i $(SRCS) $(wildcard src/*/*.h src/*.h tests/unit/*.c tests/unit/*.h)

clean:
	rm -rf build build-* recsys-tui

help:
	@echo "make            build ./recsys-tui (V=1 full commands, WERROR=1 warnings fail)"
	@echo "make run        build, ingest, train and open the dashboard (installs build packages)"
	@echo "make test       all tests (SAN=1: ASan+UBSan, SAN=thread: TSan; installs test tools)"
	@echo "make sanitize   make test SAN=1"
	@echo "make valgrind   the unit tests under valgrind"
	@echo "make bench      benchmarks against peers (sqlite3 .import, scikit-learn, nginx)"
	@echo "make soak       bench/soak: MINUTES (10) under load with activations and slow readers"
	@echo "make fuzz       libFuzzer on every parser, FUZZ_SECONDS each (FUZZ_JOBS at a time)"
	@echo "make install    PREFIX=/usr/local: binary, man page, regions.conf (SYSCONFDIR/recsys-tui)"
	@echo "make deps       install every Debian package any target needs"

-include $(OBJS:.o=.d) $(TEST_BINS:=.d)
