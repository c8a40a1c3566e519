# cfregions — SQLite extension for Cloudflare origin cloud region mappings.
#   make            build build/cfregions.so
#   make demo       local-store demo (installs missing packages first)
#   make test       every test (installs missing packages first)
#   make install PREFIX=/usr/local

CC       ?= cc
PREFIX   ?= /usr/local
BUILD    := build
PKGS     := sqlite3 libcurl jansson
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -fPIC -Iinclude -Iext -I$(BUILD)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs libcurl jansson 2>/dev/null) -lm
CFLAGS   ?= -O2 -g
SRCS     := $(sort $(wildcard ext/*.c))
HDRS     := $(wildcard ext/*.h include/*.h)
GEN      := $(BUILD)/regions_data.c
OBJS     := $(SRCS:ext/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/regions_data.o
ASAN_OBJS := $(SRCS:ext/%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/regions_data.o
SO       := $(BUILD)/cfregions.so
ASAN_SO  := $(BUILD)/asan/cfregions.so
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

# Debian packages the build and the tests need; `make deps` installs the missing ones.
DEB_BUILD := build-essential pkg-config libsqlite3-dev sqlite3 libcurl4-openssl-dev libjansson-dev
DEB_TEST  := python3 clang libclang-rt-14-dev valgrind curl sqlite-utils
PYTHON    = $(shell sh test/find-python.sh)

.PHONY: all deps deps-build demo demo-api test test-golden test-asan test-python test-http test-fake conformance sdk-check test-valgrind fuzz-smoke test-loaders test-demos \
        fuzz bench clean install

all: $(SO)

$(BUILD)/obj $(BUILD)/asan:
	mkdir -p $@

# The built-in region list is data in sql/, compiled into the extension as a string.
$(GEN): sql/supported_regions.json ext/embed.sh | $(BUILD)/obj
	sh ext/embed.sh cfr_builtin_regions_json $< > $@

$(BUILD)/obj/%.o: ext/%.c $(HDRS) | $(BUILD)/obj
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/regions_data.o: $(GEN)
	$(CC) $(CFLAGS_BASE) $(CFLAGS) -c $< -o $@
$(SO): $(OBJS)
	$(CC) -shared -Wl,--no-undefined -o $@ $(OBJS) $(PKG_LIBS)

$(BUILD)/asan/%.o: ext/%.c $(HDRS) | $(BUILD)/asan
	$(CC) $(CFLAGS_BASE) $(PKG_CFLAGS) $(ASAN_FLAGS) -c $< -o $@
$(BUILD)/asan/regions_data.o: $(GEN) | $(BUILD)/asan
	$(CC) $(CFLAGS_BASE) $(ASAN_FLAGS) -c $< -o $@
$(ASAN_SO): $(ASAN_OBJS)
	$(CC) -shared $(ASAN_FLAGS) -o $@ $(ASAN_OBJS) $(PKG_LIBS)

deps:
	@sh test/install-deps.sh $(DEB_BUILD) $(DEB_TEST)
	@# Node.js may come from another packaging with npm bundled: install Debian's only when absent.
	@command -v npm >/dev/null 2>&1 || sh test/install-deps.sh nodejs npm
deps-build:
	@sh test/install-deps.sh $(DEB_BUILD)

demo: deps-build
	$(MAKE) $(SO)
	sh sql/examples/demo.sh

# The API store against the fake Cloudflare API on 127.0.0.1, pushing the demo's plan.
demo-api: deps demo
	sh sql/examples/demo-api.sh

test: deps
	$(MAKE) $(SO) $(ASAN_SO)
	$(MAKE) -k test-golden test-asan test-valgrind test-python test-loaders test-demos test-http test-fake conformance sdk-check fuzz-smoke
	@echo "make test: all suites passed"

test-golden: $(SO)
	sh test/run-golden.sh $(SO)

# An ASan .so loads into the stock sqlite3 shell only with the sanitizer runtimes preloaded.
test-asan: $(ASAN_SO)
	ASAN_OPTIONS=detect_leaks=1 LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
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

test-http:
	sh test/http/run.sh

test-fake:
	$(PYTHON) test/test_fake_cloudflare.py
	$(PYTHON) test/test_fake_zones.py

# The fake's zone listing walked by the official TypeScript SDK (an independent client).
sdk-check:
	sh test/sdk/run.sh

conformance:
	sh test/conformance/run.sh

fuzz:
	sh test/fuzz/run.sh

# A short run of the fuzzer's invariants, so every test run builds and exercises the target.
fuzz-smoke:
	sh test/fuzz/run.sh 20

bench: $(SO)
	sh bench/run.sh $(SO)

install: $(SO)
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(SO) $(DESTDIR)$(PREFIX)/lib/cfregions.so
	install -m 0644 include/cfregions.h include/cfregions_ip.h $(DESTDIR)$(PREFIX)/include/

clean:
	rm -rf $(BUILD)
