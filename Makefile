# Titan build. `make` builds build/titan, build/titan-train, build/libtitan.a,
# build/libtitan.so and the example programs (build/examples/), and, when
# Open MPI's mpicc is installed, build/titan-train-mpi (distributed training).
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
TITAN_SRC := $(wildcard tools/titan/*.c tools/titan/serve/*.c)
TRAIN_SRC := $(filter-out tools/train/main.c,$(wildcard tools/train/*.c))
MPI_SRC   := $(wildcard tools/train/mpi/*.c)
MPICC     ?= $(shell command -v mpicc 2>/dev/null)
TEST_SRC  := $(wildcard tests/unit/test_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard tools/bench/bench_*.c)
EXAMPLE_SRC := $(wildcard tools/examples/*.c)
BENCH_COMMON_SRC := $(wildcard tools/bench/common/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB       := $(BUILD)/libtitan.a
SHLIB     := $(BUILD)/libtitan.so
SOVERSION := 0
TRAINLIB  := $(BUILD)/libtitan-train.a
CLI_OBJ   := $(call obj,$(CLI_SRC))
TESTS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
EXAMPLES  := $(patsubst tools/examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRC))
BENCHES   := $(patsubst tools/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

# Objects of tests and benchmarks are reached by pattern chains only: keep
# them. (A bare .SECONDARY would treat every object as intermediate, so a
# moved source file would never be compiled into an up-to-date library.)
.SECONDARY: $(call obj,$(TEST_SRC) $(BENCH_SRC) $(EXAMPLE_SRC))
.PHONY: all test check unit e2e fuzz fuzz-smoke install clean bench bench-serve model golf-compare golf-data golf-ablate heldout xenith-long FORCE
all: $(BUILD)/titan $(BUILD)/titan-train $(LIB) $(SHLIB) $(EXAMPLES)
ifneq ($(MPICC),)
all: $(BUILD)/titan-train-mpi
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CFLAGS) -c $< -o $@

# The library's objects serve the static and the shared library: position-
# independent (as the default PIE executables are anyway), and calls inside
# the library bound at link time (-fno-semantic-interposition), so the tools
# run the same code as before.
$(call obj,$(LIB_SRC)): CFLAGS += -fPIC -fno-semantic-interposition
# Objects built with other flags (an older tree) are rebuilt: they depend on
# a file holding the flags, rewritten only when they change.
$(call obj,$(LIB_SRC)): $(BUILD)/obj/lib.flags
$(BUILD)/obj/lib.flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS)' >$@
FORCE:

$(LIB): $(call obj,$(LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The shared library exports the titan_* functions only (tools/libtitan.map).
$(SHLIB): $(call obj,$(LIB_SRC)) tools/libtitan.map
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libtitan.so.$(SOVERSION) \
	    -Wl,--version-script=tools/libtitan.map $(call obj,$(LIB_SRC)) $(LDLIBS) -o $@

$(TRAINLIB): $(call obj,$(TRAIN_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# titan takes the trainer's forward and backward for `eval --ttt`, and
# libmicrohttpd for `titan serve`.
$(BUILD)/titan: $(call obj,$(TITAN_SRC)) $(TRAINLIB) $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lmicrohttpd -o $@

$(BUILD)/titan-train: $(BUILD)/obj/tools/train/main.o $(TRAINLIB) $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# titan-train with the Open MPI transport (tools/train/mpi/) in place of the
# serial one (train_dist_serial.c, in the archive: its member stays unused).
$(call obj,$(MPI_SRC)): CC := $(MPICC)
$(BUILD)/titan-train-mpi: $(BUILD)/obj/tools/train/main.o $(call obj,$(MPI_SRC)) \
                          $(TRAINLIB) $(CLI_OBJ) $(LIB)
	$(MPICC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Example programs (tools/examples/*.c): the public header and the library only.
$(BUILD)/examples/%: $(BUILD)/obj/tools/examples/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TRAINLIB) $(CLI_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# test_embed_split also tests a piece of titan pack (tools/titan/embed_split.c).
$(BUILD)/tests/test_embed_split: $(BUILD)/obj/tests/unit/test_embed_split.o \
		$(BUILD)/obj/tools/titan/embed_split.o $(TRAINLIB) $(CLI_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# test_utf8_stream tests titan's UTF-8 cleaning (tools/titan/utf8_stream.c).
$(BUILD)/tests/test_utf8_stream: $(BUILD)/obj/tests/unit/test_utf8_stream.o \
		$(BUILD)/obj/tools/titan/utf8_stream.o $(TRAINLIB) $(CLI_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/bench/%: $(BUILD)/obj/tools/bench/%.o $(call obj,$(BENCH_COMMON_SRC)) $(TRAINLIB) $(CLI_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Benchmarks (tools/bench/bench_*.c): run alone on a quiet machine; each
# measures the machine's limits in the same run and reports ratios.
bench: all $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done
	@echo "== tools/bench/bench_train.sh"; BUILD=$(BUILD) tools/bench/bench_train.sh

# titan serve under load (tools/bench/bench_serve.sh): one client, then K at
# once against --parallel K; e.g. `make bench-serve SERVE_ARGS="--parallel 2
# --clients 2 --requests 50"`. Not part of `make bench` (it needs a port).
bench-serve: all
	BUILD=$(BUILD) tools/bench/bench_serve.sh $(SERVE_ARGS)

# The default model from scratch (tools/data/train_model.sh; long). Settings
# pass through, e.g. `make model STEPS=20000 SHIP=tools/data/model`.
model: all
	tools/data/train_model.sh

# The shipped model (or HELDOUT_ART) on the held-out texts of
# tools/data/heldout.sh beside xz and Brotli (a few minutes).
heldout: all
	tools/data/heldout_eval.sh $(if $(HELDOUT_ART),-m $(HELDOUT_ART))

# parameter-golf shards and SentencePiece models from the local corpus
# (tools/data/golf/build_data.sh), e.g. `make golf-data GOLF_VOCABS=1024`.
GOLF_VOCABS ?= 1024 8192
golf-data: all
	tools/data/golf/build_data.sh --vocab "$(GOLF_VOCABS)"

# golf-cpu against nano for the same wall-clock budget (tools/data/golf/compare.sh;
# ~15 minutes), e.g. `make golf-compare GOLF_SECONDS=720`.
golf-compare: all
	tools/data/golf/compare.sh $(GOLF_SECONDS)

# What each golf technique buys, one at a time and together, for one fixed step
# budget (tools/data/golf/ablate.sh; ~1 hour on 2 cores; writes
# build/golf-ablate/ablation.md), e.g. `make golf-ablate STEPS=1200`.
golf-ablate: all
	BUILD=$(BUILD) tools/data/golf/ablate.sh

# Issue 24's long stream: 262,144 tokens through xenith-mini-cpu in one
# `titan eval` stream, heap calls and arena constant (tests/long/xenith_long.sh;
# 10-20 minutes, not in check), e.g. `make xenith-long THREADS=2`.
xenith-long: all
	BUILD=$(BUILD) THREADS=$(or $(THREADS),1) tests/long/xenith_long.sh

# One suite: cmocka unit tests, then end-to-end CLI tests, with a closing tally.
check: all $(TESTS)
	BUILD=$(BUILD) SAN=$(SAN) tests/run.sh

test:
	$(MAKE) check BUILD=build
	$(MAKE) check BUILD=build-asan SAN=1

# libFuzzer targets (clang): the library is compiled once with coverage and
# sanitizers, each target links it. fuzz-smoke runs each briefly, as CI does.
FUZZ_BASE_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -O1 -g -I. -Iinclude
FUZZ_CFLAGS := $(FUZZ_BASE_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB    := build-fuzz/libtitan-fuzz.a
FUZZ_OBJ_CFLAGS = $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link
# The SIMD kernels are arithmetic on buffers the planner sized; no parser
# branches in them, and clang's sanitizers make their unrolled tiles take
# minutes each to compile (20 on a 2-core host). The ASan+UBSan suite covers
# them; the fuzz build compiles them uninstrumented.
FUZZ_PLAIN_SRC := $(filter %_avx2.c %_avx512.c %_vnni512.c,$(LIB_SRC))
$(patsubst %.c,build-fuzz/obj/%.o,$(FUZZ_PLAIN_SRC)): FUZZ_OBJ_CFLAGS = $(FUZZ_BASE_CFLAGS)
fuzz: $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC (fuzz) $<"
	@clang $(FUZZ_OBJ_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZ_LIB): $(patsubst %.c,build-fuzz/obj/%.o,$(LIB_SRC))
	rm -f $@ && ar rcs $@ $^
build-fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) $(LDLIBS) -o $@
fuzz-smoke: fuzz
	tests/fuzz/smoke.sh 20

VERSION := $(shell sed -n 's/^\#define TITAN_VERSION "\([^"]*\)".*/\1/p' include/titan.h)

# Installs the tools, the static and shared libraries, the header, pkg-config
# files and the man pages: `cc prog.c $(pkg-config --cflags --libs titan)`
# links the shared library; `pkg-config --libs titan-static` gives the static
# one with its dependencies (and `cc -static ... $(pkg-config --static --libs
# titan)` a fully static program). When installing into the running system
# as root, ldconfig makes the new library known.
LIBDIR  := $(DESTDIR)$(PREFIX)/lib
PCDEPS  := -llzma -lbrotlienc -lbrotlidec -lbrotlicommon -lpthread -lm
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include \
	           $(DESTDIR)$(PREFIX)/share/man/man1 \
	           $(DESTDIR)$(PREFIX)/share/doc/titan/examples
	install -m 755 $(BUILD)/titan $(BUILD)/titan-train $(DESTDIR)$(PREFIX)/bin/
	if [ -x $(BUILD)/titan-train-mpi ]; then \
	    install -m 755 $(BUILD)/titan-train-mpi $(DESTDIR)$(PREFIX)/bin/; fi
	install -m 644 $(LIB) $(LIBDIR)/
	install -m 755 $(SHLIB) $(LIBDIR)/libtitan.so.$(VERSION)
	ln -sf libtitan.so.$(VERSION) $(LIBDIR)/libtitan.so.$(SOVERSION)
	ln -sf libtitan.so.$(SOVERSION) $(LIBDIR)/libtitan.so
	install -m 644 include/titan.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 tools/man/titan.1 tools/man/titan-train.1 \
	    $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(EXAMPLE_SRC) $(DESTDIR)$(PREFIX)/share/doc/titan/examples/
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' \
	    'libdir=$${prefix}/lib' '' 'Name: titan' \
	    'Description: inference runtime and evaluator for small quantized language models' \
	    'Version: $(VERSION)' 'Cflags: -I$${includedir}' \
	    'Libs: -L$${libdir} -ltitan' 'Libs.private: $(PCDEPS)' \
	    >$(LIBDIR)/pkgconfig/titan.pc
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' \
	    'libdir=$${prefix}/lib' '' 'Name: titan-static' \
	    'Description: titan, the static library (libtitan.a) and its dependencies' \
	    'Version: $(VERSION)' 'Cflags: -I$${includedir}' \
	    'Libs: $${libdir}/libtitan.a $(PCDEPS)' \
	    >$(LIBDIR)/pkgconfig/titan-static.pc
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
	    ldconfig; fi

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj build-fuzz/obj -name '*.d' 2>/dev/null)
