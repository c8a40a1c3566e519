# cfregions — SQLite extension for Cloudflare origin cloud region mappings.
#
#   make                 build/cfregions.so (build/asan/cfregions.so: the ASan+UBSan build)
#   make demo            the local-store demo
#   make demo-api        the API store, against the fake Cloudflare API on 127.0.0.1
#   make test            every suite below, after `make deps`
#   make deps            checks what the build and the tests need; installs only what is missing
#   make deps-demo       the same for `make demo` alone
#   make install PREFIX=/usr/local                     make clean
#   make fuzz            libFuzzer over the IP parser and the API answers (FUZZ_SECONDS each,
#                        default 300)
#   make bench           benchmarks, printed figures
#   suites (each alone): test-symbols test-unit test-golden test-asan test-valgrind test-python
#                        test-loaders test-demos test-http test-fake conformance sdk-check
#                        fuzz-smoke

CC       ?= cc
CLANG    ?= clang
PREFIX   ?= /usr/local
BUILD    := build
FUZZ_SECONDS ?= 300

# ---- Flags, defined once: the extension, its C tests and the fuzzer are all compiled with these.
STD_FLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror
INC_FLAGS := -Iinclude -Iext
# Each object gets a .d file listing the headers it really includes (-MP: a deleted header is no
# error); they are included at the end of this file.
DEP_FLAGS := -MMD -MP
CFLAGS   ?= -O2 -g
# The plain build leaves out the asserts (they check invariants; the ASan build keeps them).
RELEASE_FLAGS := -DNDEBUG
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=undefined
# Fuzzer objects get libFuzzer's coverage instrumentation; only the link adds libFuzzer's main.
FUZZ_OBJ_FLAGS := $(SAN_FLAGS) -fsanitize=fuzzer-no-link
FUZZ_FLAGS := $(SAN_FLAGS) -fsanitize=fuzzer
# The extension's objects: position-independent, and every symbol hidden except the one that
# include/cfregions.h marks visible (sqlite3_cfregions_init); `make test-symbols` checks it.
EXT_FLAGS := -fPIC -fvisibility=hidden
# sqlite3 is in the compile flags (for sqlite3ext.h) but deliberately never linked into the .so:
# a loadable extension calls SQLite only through the routines pointer that the loading program
# hands to sqlite3_cfregions_init (SQLITE_EXTENSION_INIT2), so it uses that program's SQLite.
# Linking libsqlite3 would add a second, unrelated SQLite to processes that have their own.
# Only the C unit tests, which are programs and not extensions, link it (SQLITE_LIBS).
PKG_CFLAGS  = $(shell pkg-config --cflags sqlite3 libcurl jansson 2>/dev/null)
PKG_LIBS    = $(shell pkg-config --libs libcurl jansson 2>/dev/null) -lm -lpthread
SQLITE_LIBS = $(shell pkg-config --libs sqlite3 2>/dev/null)
COMPILE     = $(CC) $(STD_FLAGS) $(INC_FLAGS) $(PKG_CFLAGS) $(DEP_FLAGS)

# ---- What is built.
SRCS      := $(sort $(wildcard ext/*.c))
# The HTTP client's own files (ext/http.c, ext/http_*.c): its C test links them alone.
HTTP_SRCS := $(filter ext/http.c ext/http_%.c,$(SRCS))
GEN       := $(BUILD)/regions_data.c
OBJS      := $(SRCS:ext/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/regions_data.o
ASAN_OBJS := $(SRCS:ext/%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/regions_data.o
SO        := $(BUILD)/cfregions.so
ASAN_SO   := $(BUILD)/asan/cfregions.so
# C tests: build/test/… plain, build/test-asan/… with ASan+UBSan, from the same sources.
HTTP_TEST      := $(BUILD)/test/http/test_http
HTTP_TEST_ASAN := $(BUILD)/test-asan/http/test_http
UNIT_SRCS       := $(sort $(wildcard test/unit/test_*.c))
UNIT_TESTS      := $(UNIT_SRCS:test/%.c=$(BUILD)/test/%)
UNIT_TESTS_ASAN := $(UNIT_SRCS:test/%.c=$(BUILD)/test-asan/%)
# Fuzzers: build/fuzz/<name> from test/fuzz/<name>.c; test/fuzz/run.sh knows each one's seeds.
FUZZ_IP        := $(BUILD)/fuzz/fuzz_ip
FUZZ_API_JSON  := $(BUILD)/fuzz/fuzz_api_json
FUZZERS        := $(FUZZ_IP) $(FUZZ_API_JSON)
FUZZ_EXT_OBJS  := $(SRCS:ext/%.c=$(BUILD)/fuzz/%.o) $(BUILD)/fuzz/regions_data.o
PYTHON     = $(shell sh test/find-python.sh)

.PHONY: all deps deps-demo demo demo-api test test-symbols test-unit test-golden test-asan \
        test-valgrind test-python test-loaders test-demos test-http test-fake conformance \
        sdk-check fuzz-smoke fuzz bench install clean

all: $(SO)

# ---- The extension. Objects depend on this Makefile too, since it holds their flags.

# The built-in region list is data in sql/, compiled into the extension as a string.
$(GEN): sql/supported_regions.json ext/embed.sh
	@mkdir -p $(@D)
	sh ext/embed.sh cfr_builtin_regions_json $< > $@

$(BUILD)/obj/%.o: ext/%.c Makefile
	@mkdir -p $(@D)
	$(COMPILE) $(EXT_FLAGS) $(RELEASE_FLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/regions_data.o: $(GEN) Makefile
	$(COMPILE) $(EXT_FLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/asan/%.o: ext/%.c Makefile
	@mkdir -p $(@D)
	$(COMPILE) $(EXT_FLAGS) $(SAN_FLAGS) -c $< -o $@
$(BUILD)/asan/regions_data.o: $(GEN) Makefile
	@mkdir -p $(@D)
	$(COMPILE) $(EXT_FLAGS) $(SAN_FLAGS) -c $< -o $@

# --no-undefined: a symbol missing from the link fails here, not at .load time. (The SQLite API
# is no exception: the extension reaches it through the routines pointer, not by symbol.)
$(SO): $(OBJS)
	$(CC) -shared -Wl,--no-undefined $(CFLAGS) -o $@ $(OBJS) $(PKG_LIBS)
$(ASAN_SO): $(ASAN_OBJS)
	$(CC) -shared -Wl,--no-undefined $(SAN_FLAGS) -o $@ $(ASAN_OBJS) $(PKG_LIBS)

# ---- C test programs, linked with the extension's own objects (the ones the .so is made of).

$(BUILD)/test/%.o: test/%.c Makefile
	@mkdir -p $(@D)
	$(COMPILE) $(CFLAGS) -c $< -o $@
$(BUILD)/test-asan/%.o: test/%.c Makefile
	@mkdir -p $(@D)
	$(COMPILE) $(SAN_FLAGS) -c $< -o $@

# The HTTP client is free of SQLite, so its test links http*.o alone.
$(HTTP_TEST): $(BUILD)/test/http/test_http.o $(BUILD)/test/http/test_http_hostile.o \
              $(HTTP_SRCS:ext/%.c=$(BUILD)/obj/%.o)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)
$(HTTP_TEST_ASAN): $(BUILD)/test-asan/http/test_http.o $(BUILD)/test-asan/http/test_http_hostile.o \
                   $(HTTP_SRCS:ext/%.c=$(BUILD)/asan/%.o)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

# A unit test links every object of the extension and the real libsqlite3 (see test/unit/unit.h).
$(UNIT_TESTS): $(BUILD)/test/%: $(BUILD)/test/%.o $(BUILD)/test/unit/unit.o $(OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(SQLITE_LIBS)
$(UNIT_TESTS_ASAN): $(BUILD)/test-asan/%: $(BUILD)/test-asan/%.o $(BUILD)/test-asan/unit/unit.o \
                    $(ASAN_OBJS)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(SQLITE_LIBS)

# libFuzzer needs clang. fuzz_ip: the IP parser/formatter, ext/ip.c alone. fuzz_api_json: the
# API answers (api_json.c, api_dialect.c, regions.c); they call SQLite through the routines
# pointer, so it links every object of the extension and the real libsqlite3, as the unit tests do.
FUZZ_COMPILE = $(CLANG) $(STD_FLAGS) $(INC_FLAGS) $(PKG_CFLAGS) $(DEP_FLAGS) $(FUZZ_OBJ_FLAGS)
$(BUILD)/fuzz/%.o: ext/%.c Makefile
	@mkdir -p $(@D)
	$(FUZZ_COMPILE) -c $< -o $@
$(BUILD)/fuzz/regions_data.o: $(GEN) Makefile
	@mkdir -p $(@D)
	$(FUZZ_COMPILE) -c $< -o $@
$(BUILD)/fuzz/%.o: test/fuzz/%.c Makefile
	@mkdir -p $(@D)
	$(FUZZ_COMPILE) -c $< -o $@
$(FUZZ_IP): $(BUILD)/fuzz/fuzz_ip.o $(BUILD)/fuzz/ip.o
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^
$(FUZZ_API_JSON): $(BUILD)/fuzz/fuzz_api_json.o $(BUILD)/fuzz/sqlite_routines.o $(FUZZ_EXT_OBJS)
	$(CLANG) $(FUZZ_FLAGS) -o $@ $^ $(PKG_LIBS) $(SQLITE_LIBS)

# ---- Dependencies: checked each time, installed only when missing (see test/install-deps.sh).

deps:
	@CC="$(CC)" CLANG="$(CLANG)" sh test/install-deps.sh test
deps-demo:
	@CC="$(CC)" CLANG="$(CLANG)" sh test/install-deps.sh demo

demo: deps-demo
	$(MAKE) $(SO)
	sh sql/examples/demo.sh

# The API store against the fake Cloudflare API on 127.0.0.1, pushing the demo's plan.
demo-api: deps demo
	sh sql/examples/demo-api.sh

# ---- Tests.

test: deps
	$(MAKE) $(SO) $(ASAN_SO)
	$(MAKE) -k test-symbols test-unit test-golden test-asan test-valgrind test-python test-loaders \
	  test-demos test-http test-fake conformance sdk-check fuzz-smoke
	@echo "make test: all suites passed"

# Each .so exports its entry point and nothing else.
test-symbols: $(SO) $(ASAN_SO)
	@status=0; for so in $^; do syms=$$(nm -D --defined-only $$so | awk '{ print $$NF }'); \
	  if [ "$$syms" = sqlite3_cfregions_init ]; then echo "ok   $$so exports $$syms alone"; \
	  else echo "FAIL $$so must export sqlite3_cfregions_init alone; it exports:"; \
	    echo "$$syms"; status=1; fi; \
	done; exit $$status

test-unit: $(UNIT_TESTS) $(UNIT_TESTS_ASAN)
	@status=0; for t in $^; do echo "== $$t"; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t || status=1; done; exit $$status

test-golden: $(SO)
	sh test/run-golden.sh $(SO)

# An ASan .so loads into the stock sqlite3 shell only with the sanitizer runtimes preloaded.
test-asan: $(ASAN_SO)
	ASAN_OPTIONS=detect_leaks=1 \
	  LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	  sh test/run-golden.sh $(ASAN_SO)

# The same scripts with the shell under valgrind: any memory error or leak changes the output.
test-valgrind: $(SO)
	SQLITE3=$(CURDIR)/test/valgrind-sqlite3.sh sh test/run-golden.sh $(SO)

test-python: $(SO)
	sh test/run-python.sh $(PYTHON) $(SO)

test-loaders: $(SO)
	sh test/loaders.sh $(SO)

test-demos: $(SO)
	sh test/demos.sh $(SO)

test-http: $(HTTP_TEST) $(HTTP_TEST_ASAN)
	sh test/http/run.sh $(HTTP_TEST) $(HTTP_TEST_ASAN)

test-fake:
	$(PYTHON) test/test_fake_server.py
	$(PYTHON) test/test_fake_mappings.py
	$(PYTHON) test/test_fake_zones.py

# The fake's zone listing walked by the official TypeScript SDK (an independent client).
sdk-check:
	sh test/sdk/run.sh

conformance:
	sh test/conformance/run.sh

# Every fuzzer runs, even after one has failed; the status says whether any did.
fuzz: $(FUZZERS)
	@status=0; for f in $^; do sh test/fuzz/run.sh $$f $(FUZZ_SECONDS) || status=1; done; \
	  exit $$status

# A short run of each fuzzer's invariants, so every test run builds and exercises the targets.
fuzz-smoke: $(FUZZERS)
	@status=0; for f in $^; do sh test/fuzz/run.sh $$f 20 || status=1; done; exit $$status

bench: $(SO)
	sh bench/run.sh $(SO)

# Only the extension and its header: include/cfregions_ip.h describes functions that are inside
# the .so but not exported from it, so nothing could link against them.
install: $(SO)
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(SO) $(DESTDIR)$(PREFIX)/lib/cfregions.so
	install -m 0644 include/cfregions.h $(DESTDIR)$(PREFIX)/include/

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)
