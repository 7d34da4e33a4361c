# recsys-tui — multi-region e-commerce recommender (see README.md).
# `make help` lists the targets; a newcomer never needs to read further.

CC        ?= cc
PREFIX    ?= /usr/local
OLIST_DIR ?= ../shared/olist
DB        ?= olist.db
# SAN=1 builds with ASan+UBSan, SAN=thread with TSan, each in its own build tree.
SAN       ?=

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

PKGS      := sqlite3 libcurl ncursesw libcjson zlib openblas
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS   ?= $(OPT)
CFLAGS   += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP $(SANFLAGS) $(PKG_CFLAGS) -Isrc
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lcsv -lpthread -lm

SRCS      := $(wildcard src/*.c src/util/*.c src/engine/*.c src/net/*.c src/tui/*.c)
OBJS      := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS  := $(filter-out $(BUILD)/src/main.o,$(OBJS))
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BIN       := $(BUILD)/recsys-tui

.PHONY: all deps run test sanitize tsan test-tsan unit valgrind install uninstall bench clean help format fuzz

all: $(BIN) $(if $(filter build,$(BUILD)),recsys-tui)

recsys-tui: $(BIN)
	ln -sf $(BIN) $@

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS)

## deps: install the Debian packages the build, tests and benchmarks need (idempotent)
deps:
	@scripts/deps.sh

## run: build, ingest (real data if $(OLIST_DIR) exists, else generated sample), train, open the dashboard
run: deps all
	./recsys-tui --data $(OLIST_DIR) --db $(DB)

## test: every unit and end-to-end test; SAN=1 runs them under ASan+UBSan
test: deps $(BIN) $(TEST_BINS)
	@BUILD=$(BUILD) BIN=$(BIN) OLIST_DIR=$(OLIST_DIR) SAN=$(SAN) tests/run.sh

## sanitize: `make test` under ASan+UBSan
sanitize:
	$(MAKE) test SAN=1

## test-tsan: every test under ThreadSanitizer (CI runs the multi-threaded ones)
test-tsan:
	$(MAKE) test SAN=thread

unit: $(TEST_BINS)

## valgrind: the C unit tests under valgrind (leaks and memory errors fail them)
valgrind: deps $(TEST_BINS)
	@BUILD=$(BUILD) BIN=$(BIN) ONLY=test_ RECSYS_VALGRIND=1 \
	  WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
	  tests/run.sh

## bench: every benchmark under bench/ (needs the real data for the headline figures)
bench: deps all
	@for b in bench/ingest bench/train bench/recommend bench/serve; do \
	  [ -x $$b ] && OLIST_DIR=$(OLIST_DIR) BIN=$(abspath $(BIN)) $$b || exit 1; done

## fuzz: libFuzzer (clang) on the HTTP parsers for FUZZ_SECONDS; new inputs go to $(BUILD)/fuzz/corpus
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -g -O1 -std=c11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined
fuzz: deps
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $(BUILD)/fuzz/fuzz_http fuzz/fuzz_http.c src/net/http.c
	$(BUILD)/fuzz/fuzz_http -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
	  $(BUILD)/fuzz/corpus fuzz/corpus/http

install: all
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/recsys-tui
	install -D -m 0644 man/recsys-tui.1 $(DESTDIR)$(PREFIX)/share/man/man1/recsys-tui.1
	install -D -m 0644 regions.conf $(DESTDIR)$(PREFIX)/share/recsys-tui/regions.conf

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/recsys-tui $(DESTDIR)$(PREFIX)/share/man/man1/recsys-tui.1
	rm -rf $(DESTDIR)$(PREFIX)/share/recsys-tui

format:
	clang-format -i $(SRCS) $(wildcard src/*/*.h src/*.h tests/unit/*.c tests/unit/*.h)

clean:
	rm -rf build build-san build-tsan recsys-tui

help:
	@echo "make            build ./recsys-tui"
	@echo "make run        build, ingest, train and open the dashboard (installs packages)"
	@echo "make test       all tests (SAN=1: ASan+UBSan, SAN=thread: TSan)"
	@echo "make sanitize   make test SAN=1"
	@echo "make valgrind   the unit tests under valgrind"
	@echo "make bench      benchmarks against peers (sqlite3 .import, scikit-learn, nginx)"
	@echo "make install    PREFIX=/usr/local: binary, man page, regions.conf"
	@echo "make deps       install the Debian packages needed"

-include $(OBJS:.o=.d) $(TEST_BINS:=.d)
