# Titan build. `make` builds build/titan, build/titan-train and build/libtitan.a.
# `make test` runs the suite twice: plain, then under AddressSanitizer+UBSan.
# Sources are found by directory, so adding a file never needs a Makefile edit.

CC      ?= cc
BUILD   ?= build
SAN     ?= 0
PREFIX  ?= /usr/local
OPT     ?= -O2

CFLAGS  += -std=c11 -D_DEFAULT_SOURCE $(OPT) -g -Wall -Wextra -Werror \
           -Wshadow -Wvla -Wjump-misses-init -fno-strict-aliasing -I. -Iinclude -MMD -MP
LDLIBS  += -llzma -lbrotlienc -lbrotlidec -lpthread -lm
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC   := $(sort $(shell find core formats quant platform -name "*.c"))
CLI_SRC   := $(wildcard tools/cli/*.c)
TITAN_SRC := $(wildcard tools/titan/*.c)
TRAIN_SRC := $(filter-out tools/train/main.c,$(wildcard tools/train/*.c))
TEST_SRC  := $(wildcard tests/unit/test_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard tools/bench/bench_*.c)
BENCH_COMMON_SRC := $(wildcard tools/bench/common/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB       := $(BUILD)/libtitan.a
TRAINLIB  := $(BUILD)/libtitan-train.a
CLI_OBJ   := $(call obj,$(CLI_SRC))
TESTS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCHES   := $(patsubst tools/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

# Objects of tests and benchmarks are reached by pattern chains only: keep
# them. (A bare .SECONDARY would treat every object as intermediate, so a
# moved source file would never be compiled into an up-to-date library.)
.SECONDARY: $(call obj,$(TEST_SRC) $(BENCH_SRC))
.PHONY: all test check unit e2e fuzz fuzz-smoke install clean bench model golf-compare golf-configs
all: $(BUILD)/titan $(BUILD)/titan-train $(LIB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(call obj,$(LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(TRAINLIB): $(call obj,$(TRAIN_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/titan: $(call obj,$(TITAN_SRC)) $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/titan-train: $(BUILD)/obj/tools/train/main.o $(TRAINLIB) $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TRAINLIB) $(CLI_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/bench/%: $(BUILD)/obj/tools/bench/%.o $(call obj,$(BENCH_COMMON_SRC)) $(TRAINLIB) $(CLI_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Benchmarks (tools/bench/bench_*.c): run alone on a quiet machine; each
# measures the machine's limits in the same run and reports ratios.
bench: all $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

# The default model from scratch (tools/data/train_model.sh; long). Settings
# pass through, e.g. `make model STEPS=20000 SHIP=tools/data/model`.
model: all
	tools/data/train_model.sh

# golf-cpu against nano for the same wall-clock budget (tools/data/golf/compare.sh;
# ~15 minutes), e.g. `make golf-compare GOLF_SECONDS=720`.
golf-compare: all
	tools/data/golf/compare.sh $(GOLF_SECONDS)

# Rewrite tools/data/golf/*.json from the presets (tests/e2e/golf_configs.sh checks them).
golf-configs: all
	tools/data/golf/configs.sh

# One suite: cmocka unit tests, then end-to-end CLI tests, with a closing tally.
check: all $(TESTS)
	BUILD=$(BUILD) SAN=$(SAN) tests/run.sh

test:
	$(MAKE) check BUILD=build
	$(MAKE) check BUILD=build-asan SAN=1

# libFuzzer targets (clang): the library is compiled once with coverage and
# sanitizers, each target links it. fuzz-smoke runs each briefly, as CI does.
FUZZ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -O1 -g -I. -Iinclude \
               -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB    := build-fuzz/libtitan-fuzz.a
fuzz: $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC (fuzz) $<"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_LIB): $(patsubst %.c,build-fuzz/obj/%.o,$(LIB_SRC))
	rm -f $@ && ar rcs $@ $^
build-fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) $(LDLIBS) -o $@
fuzz-smoke: fuzz
	tests/fuzz/smoke.sh 20

VERSION := $(shell sed -n 's/^\#define TITAN_VERSION "\([^"]*\)".*/\1/p' include/titan.h)

# Installs the tools, the static library, its header and a pkg-config file
# (`pkg-config --cflags --libs titan`; the library's own dependencies are in
# Libs, as a static library needs them).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	           $(DESTDIR)$(PREFIX)/include
	install -m 755 $(BUILD)/titan $(BUILD)/titan-train $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/titan.h $(DESTDIR)$(PREFIX)/include/
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' \
	    'libdir=$${prefix}/lib' '' 'Name: titan' \
	    'Description: inference runtime and evaluator for small quantized language models' \
	    'Version: $(VERSION)' 'Cflags: -I$${includedir}' \
	    'Libs: -L$${libdir} -ltitan $(LDLIBS)' \
	    >$(DESTDIR)$(PREFIX)/lib/pkgconfig/titan.pc

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj build-fuzz/obj -name '*.d' 2>/dev/null)
