# sbx: one Makefile. Targets: all check demo bench install fuzz san lint.
# Sources are found by convention, so a new module needs no edit here:
#   lib/*.c keyring/*.c policy/*.c runtime-check/*.c sign/*.c verify/*.c
#   audit/*.c                     -> build/libsbx.a
#     (except tool mains, sbx-*.c, runtime-check/agent-*.c and
#     runtime-check/lazy-*.c)
#   */sbx-*.c                     -> bin/sbx-*   (one tool each)
#   the guard (docs/guard.md)     -> bin/sbx-guard, bin/libsbxguard.so
#     (front ends: FRONT_OBJ, no OpenSSL), bin/libsbxguard-full.so
#     (OpenSSL: loaded on a miss or to write the event) and
#     bin/libsbx-net.so (libcurl, libgit2: loaded by the full one
#     for HTTP sinks, the Pushgateway and URL checks)
#   tests/unit/check_*.c          -> build/tests/check_*   (check suites)
#   tests/e2e/*.sh                -> run in order by `make check`
#   tests/fuzz/fuzz_*.c           -> build/fuzz/fuzz_*     (libFuzzer)

PREFIX	?= /usr/local
CC	?= cc
BUILD	?= build
BIN	?= bin
PKGS	 = libcrypto libssl jansson libcurl libgit2 libarchive zlib libdeflate

CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter -Werror
CPPFLAGS += -Iinclude -D_GNU_SOURCE -DSBX_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=c11 $(WARN) -fPIC $(CFLAGS) \
	   $(shell pkg-config --cflags $(PKGS))
LDLIBS	 = $(shell pkg-config --libs $(PKGS)) -lpthread
# --as-needed drops the libraries nothing calls.
AS_NEEDED = -Wl,--as-needed
JAVA_HOME ?= $(patsubst %/bin/javac,%,$(realpath $(shell command -v javac)))
JNI_CFLAGS = -isystem $(JAVA_HOME)/include -isystem $(JAVA_HOME)/include/linux
CHECK_LIBS = $(shell pkg-config --libs check)
VERSION	 = 0.1.0
comma	:= ,

TOOL_SRC = $(wildcard */sbx-*.c)
TOOLS	 = $(patsubst %.c,$(BIN)/%,$(notdir $(TOOL_SRC)))
LIB_SRC	 = $(filter-out $(TOOL_SRC) runtime-check/agent-%.c \
	   runtime-check/lazy-%.c, \
	   $(wildcard lib/*.c keyring/*.c policy/*.c runtime-check/*.c \
	   sign/*.c verify/*.c audit/*.c))
LIB_OBJ	 = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
UNIT_SRC = $(wildcard tests/unit/check_*.c)
UNITS	 = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS	 = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
AGENT_SRC = $(wildcard runtime-check/agent-*.c)
AGENT	 = $(BIN)/libsbxguard.so $(BIN)/libsbxguard-full.so \
	   $(BIN)/libsbx-net.so
E2E	 = $(sort $(wildcard tests/e2e/*.sh))

.PHONY: all deps check unit e2e demo bench install fuzz fuzz-run san \
	lint clean
.SUFFIXES:

all: $(TOOLS) $(AGENT)

deps:
	@sh ci/install-deps.sh

$(BUILD)/obj/%.o: %.c $(wildcard include/sbx/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libsbx.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $(LIB_OBJ)

define TOOL_RULE
$(BIN)/$(basename $(notdir $(1))): $(BUILD)/obj/$(basename $(1)).o \
    $(BUILD)/libsbx.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS) $$(AS_NEEDED) -o $$@ $$< \
	    $(BUILD)/libsbx.a \
	    $$(or $$(LDLIBS_$(basename $(notdir $(1)))),$$(LDLIBS))
endef
$(foreach t,$(filter-out runtime-check/sbx-guard.c verify/sbx-verify.c, \
    $(TOOL_SRC)),$(eval $(call TOOL_RULE,$(t))))

# The guard runs before every guarded JVM. Its front ends link only what
# a start whose verdicts are all cached needs, without OpenSSL, so that
# the link fails if any of it starts to need more; lazy-full.c loads
# libsbxguard-full.so (the verifier, the audit log, the metrics) on a
# miss or to write the event, and that one links without libcurl and
# libgit2, which lazy-net.c loads from libsbx-net.so for HTTP sinks,
# the Pushgateway and URL checks (docs/guard.md).
FRONT_OBJ = $(patsubst %,$(BUILD)/obj/%.o,runtime-check/guard \
	   runtime-check/guard_cache runtime-check/guard_exec \
	   runtime-check/guard_file runtime-check/guard_path \
	   runtime-check/jvmargs runtime-check/jvmtok runtime-check/lazy \
	   policy/locate policy/parse policy/policy policy/version lib/buf \
	   lib/err lib/file lib/hex lib/manifest lib/provenance_name lib/zip)
FRONT_LIBS = $(shell pkg-config --libs jansson zlib libdeflate)
FULL_LIBS = $(shell pkg-config --libs libcrypto jansson zlib libdeflate) \
	   -lpthread
exports = $(addprefix -Wl$(comma)-u$(comma),$(shell sed -n \
	   's/^[[:space:]]*\(sbx_[a-z0-9_]*\);$$/\1/p' $(1)))
LAZY	 = $(BUILD)/obj/runtime-check/lazy
# The parts of the guard refuse each other unless built from the same
# sources and flags (runtime-check/lazy.h): only lazy.o carries the
# digest.
BUILD_SRC = $(sort $(LIB_SRC) $(wildcard include/sbx/*.h */*.h \
	   runtime-check/lazy-*.c runtime-check/*.map) Makefile)
$(LAZY).o: $(BUILD_SRC)
$(LAZY).o: CPPFLAGS += -DSBX_BUILD_ID='"$(shell { cat $(BUILD_SRC); \
	   echo '$(CC) $(CFLAGS)'; } | sha256sum | cut -c1-64)"'

$(BUILD)/libsbx-front.a: $(FRONT_OBJ)
	rm -f $@ && ar rcs $@ $(FRONT_OBJ)

$(BIN)/sbx-guard: $(BUILD)/obj/runtime-check/sbx-guard.o $(LAZY)-full.o \
    $(BUILD)/libsbx-front.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(AS_NEEDED) -o $@ $(filter %.o,$^) \
	    $(BUILD)/libsbx-front.a $(FRONT_LIBS)

$(BIN)/libsbxguard.so: $(AGENT_SRC) $(LAZY)-full.o $(BUILD)/libsbx-front.a \
    runtime-check/agent.map
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(JNI_CFLAGS) $(ALL_CFLAGS) -shared $(LDFLAGS) \
	    $(AS_NEEDED) -Wl,-Bsymbolic,-z,defs \
	    -Wl,--version-script=runtime-check/agent.map -o $@ $(AGENT_SRC) \
	    $(LAZY)-full.o $(BUILD)/libsbx-front.a $(FRONT_LIBS)

$(BIN)/libsbxguard-full.so: $(LAZY)-net.o $(BUILD)/libsbx.a \
    runtime-check/full.map
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared $(LDFLAGS) $(AS_NEEDED) \
	    -Wl,-Bsymbolic,-z,defs -Wl,--version-script=runtime-check/full.map \
	    $(call exports,runtime-check/full.map) -o $@ $(LAZY)-net.o \
	    $(BUILD)/libsbx.a $(FULL_LIBS)

# sbx-verify runs in every deploy script: it too loads libcurl, libgit2
# and libarchive from libsbx-net.so only to fetch, unpack a bundle or
# send somewhere (7.6 MiB and 6 ms of CPU less for a local verify).
$(BIN)/sbx-verify: $(BUILD)/obj/verify/sbx-verify.o $(LAZY)-net.o \
    $(BUILD)/libsbx.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(AS_NEEDED) -o $@ $(filter %.o,$^) \
	    $(BUILD)/libsbx.a $(FULL_LIBS)

$(BIN)/libsbx-net.so: $(BUILD)/libsbx.a runtime-check/net.map
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared $(LDFLAGS) $(AS_NEEDED) \
	    -Wl,-Bsymbolic,-z,defs -Wl,--version-script=runtime-check/net.map \
	    $(call exports,runtime-check/net.map) -o $@ $(BUILD)/libsbx.a \
	    $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsbx.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DSBX_TEST_DATA='"$(CURDIR)/tests/data"' \
	    $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libsbx.a $(LDLIBS) \
	    $(CHECK_LIBS)

# `make check` is what README.md and .ci/run promise: install what is
# missing, build, run every unit suite, every end-to-end script, the
# sanitizer build of the unit suites, each fuzzer for a short while, and
# the style checks.
check: deps all $(UNITS)
	@$(MAKE) --no-print-directory -k lint unit e2e san fuzz-run

# Every suite runs even after a failure; the list of failures ends it.
unit: $(UNITS)
	@bad=""; for t in $(UNITS); do echo "== $$t"; \
	    $$t || bad="$$bad $$t"; done; \
	    if [ -n "$$bad" ]; then echo "FAILED:$$bad"; exit 1; fi

e2e: all
	@bad=""; for t in $(E2E); do echo "== $$t"; \
	    SBX_BIN=$(CURDIR)/$(BIN) bash $$t || bad="$$bad $$t"; done; \
	    if [ -n "$$bad" ]; then echo "FAILED:$$bad"; exit 1; fi

san:
	@$(MAKE) --no-print-directory BUILD=build-san BIN=build-san/bin \
	    CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" unit

fuzz: $(FUZZERS)

# The library is built once with coverage and sanitizers; each fuzzer
# only links against it.
FUZZ_LIB = build-fuzz/libsbx.a
ifneq ($(BUILD),build-fuzz)
$(FUZZ_LIB): $(LIB_SRC) $(wildcard include/sbx/*.h)
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	    -fno-omit-frame-pointer" build-fuzz/libsbx.a
endif

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	    $(shell pkg-config --cflags $(PKGS)) -o $@ $< $(FUZZ_LIB) $(LDLIBS)

# A crash, a leak or a timeout fails the run and shows the fuzzer's log.
FUZZ_SECONDS ?= 15
fuzz-run: fuzz
	@bad=""; for f in $(FUZZERS); do n=$$(basename $$f); \
	    c=tests/fuzz/corpus/$${n#fuzz_}; mkdir -p $(BUILD)/corpus/$$n; \
	    echo "== $$n ($(FUZZ_SECONDS) s)"; \
	    if $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        -print_final_stats=0 $(BUILD)/corpus/$$n \
	        $$( [ -d $$c ] && echo $$c ) >$(BUILD)/$$n.log 2>&1; then \
	        tail -n 1 $(BUILD)/$$n.log; \
	    else tail -n 30 $(BUILD)/$$n.log; bad="$$bad $$n"; fi; done; \
	    if [ -n "$$bad" ]; then echo "FAILED:$$bad"; exit 1; fi

demo: deps all
	@bash ci/demo.sh

bench: deps all
	@bash bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/sbx \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(AGENT) $(DESTDIR)$(PREFIX)/lib/sbx
	install -m 0644 $(wildcard docs/man/*.1) \
	    $(DESTDIR)$(PREFIX)/share/man/man1

lint:
	@sh ci/lint.sh

clean:
	rm -rf build build-san build-fuzz bin
