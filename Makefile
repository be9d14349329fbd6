# Makefile - builds flowc, runs every test, installs it. See README.md.
#
#   make               build build/flowc
#   make run           JIT-run the word count example on examples/data/sample.txt
#   make bench         benchmarks against hand-written C (bench/run.sh; not part of make test)
#   make test          build and run every test (unit, golden, examples, docs, fuzz regressions,
#                      end-to-end runs of jobs in both back ends, compressed and many-file inputs)
#   make test SAN=1    the same under AddressSanitizer and UBSan (in build-san/)
#   make fuzz          fuzz the front end, then the frame decoder, with libFuzzer for
#                      FUZZ_SECONDS each (default 600)
#   make install PREFIX=/usr/local DESTDIR=   (and make uninstall, the same variables)
#   make clean
#
# Generated scanner and parser go to build/gen/, objects to build/ (or build-san/).

PREFIX ?= /usr/local
DESTDIR ?=
CC := gcc
CFLAGS ?= -O2 -g
FUZZ_SECONDS ?= 600

ifeq ($(SAN),1)
B := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DFLOWC_SANITIZE
export ASAN_OPTIONS := detect_leaks=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
else
B := build
SANFLAGS :=
endif

# `flowc run` keeps the tiered JIT's native code in $XDG_CACHE_HOME/flowc: make's runs (the
# tests, make run) keep theirs in the build folder
export XDG_CACHE_HOME := $(abspath $(B))/cache

GEN := build/gen
WARN := -Wall -Wextra -Werror
ALL_CFLAGS := -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -I$(GEN) -Icompiler -Igrammar -Iruntime -MMD -MP

FRONT_SRC := $(filter-out compiler/main.c,$(wildcard compiler/*.c))
FRONT_OBJ := $(patsubst compiler/%.c,$(B)/obj/%.o,$(FRONT_SRC)) $(B)/obj/lexer.o $(B)/obj/parser.o \
             $(B)/obj/rt_headers.o
RT_SRC := $(wildcard runtime/*.c)
RT_OBJ := $(patsubst runtime/%.c,$(B)/rt/%.o,$(RT_SRC))
RT_LIBS := -lxxhash -lpthread -lm
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
CRITERION_LIBS = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

.PHONY: all deps run bench test unit golden examples docs regress plan e2e e2e-pool memory procs hosts faults stream inputs nexmark fuzz fuzz-front fuzz-frame install uninstall install-test observe monitor extern pipe jsonl capi arrow tier clean

all: deps $(B)/flowc $(B)/libflowrt.a

deps:
	@scripts/install-deps.sh

# ---- generated scanner and parser ----
$(GEN)/parser.c $(GEN)/parser.h: grammar/parser.y
	@mkdir -p $(GEN)
	bison -Wall -Werror --defines=$(GEN)/parser.h -o $(GEN)/parser.c $<

$(GEN)/rt_headers.c: runtime/flowrt.h runtime/flowgen.h scripts/embed.py
	@mkdir -p $(GEN)
	python3 scripts/embed.py $@ jit_flowrt_h=runtime/flowrt.h jit_flowgen_h=runtime/flowgen.h

$(GEN)/lexer.c: grammar/lexer.re
	@mkdir -p $(GEN)
	re2c -W -Werror --no-generation-date -o $@ $<

# ---- objects and the compiler ----
$(B)/obj/%.o: compiler/%.c | $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/obj/%.o: $(GEN)/%.c | $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# ---- the runtime library (C11, gcc); runtime/flowrt.h is what generated code sees ----
$(B)/rt/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) -fPIC -Iruntime -MMD -MP -c $< -o $@

$(B)/libflowrt.a: $(RT_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/libflowfront.a: $(FRONT_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/flowc: $(B)/obj/main.o $(B)/libflowfront.a $(B)/libflowrt.a
	$(CC) $(SANFLAGS) -rdynamic -o $@ $(B)/obj/main.o $(B)/libflowfront.a -Wl,--whole-archive $(B)/libflowrt.a \
	    -Wl,--no-whole-archive -ltcc -ldl $(RT_LIBS)

# ---- tests ----
# (the tests build stage tables by position: the fields they leave out, --stats' operators, are 0)
$(B)/tests/%: tests/unit/%.c $(B)/libflowfront.a $(B)/libflowrt.a | $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-field-initializers -Itests/unit -o $@ $< $(B)/libflowfront.a $(B)/libflowrt.a $(CRITERION_LIBS) -ltcc -ldl $(RT_LIBS)

unit: deps $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "== $$t"; $$t --jobs 2 || exit 1; done

examples: all
	tests/examples.sh $(B)/flowc

docs: all
	tests/docs.sh $(B)/flowc

regress: all
	tests/fuzz/regress.sh $(B)/flowc

faults: all
	tests/faults.sh $(B)/flowc

# the same programs as e2e with the tasks on a pool of two worker threads (one process)
e2e-pool: all
	E2E_ARGS="--workers 2" E2E_JIT_ARGS="--tier-at 2" E2E_PROCS= E2E_THREADS="$${E2E_THREADS:-1 4}" tests/e2e/run.sh $(B)/flowc

# the suites that are one script taking flowc, named as their folder in tests/ (inputs:
# compressed files, folders and glob patterns as sources, against python3's reading)
SUITES := golden plan tier e2e memory procs hosts stream inputs nexmark observe monitor extern pipe jsonl capi arrow
$(SUITES): all
	tests/$@/run.sh $(B)/flowc

test: all unit golden examples docs regress plan tier e2e e2e-pool memory procs hosts faults stream inputs nexmark observe monitor install-test extern pipe jsonl capi arrow

run: all
	$(B)/flowc run examples/wordcount.flow

bench: all
	bench/run.sh

# ---- fuzzing (libFuzzer, clang) ----
FUZZ_B := build-fuzz
FUZZ_SRC := $(filter-out compiler/jit.c compiler/cc.c compiler/tier.c,$(FRONT_SRC))
$(FUZZ_B)/fuzz_front: tests/fuzz/fuzz_front.c $(FUZZ_SRC) $(GEN)/lexer.c $(GEN)/parser.c $(GEN)/rt_headers.c
	@mkdir -p $(FUZZ_B)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -I$(GEN) -Icompiler -Igrammar -Iruntime -o $@ $^

$(FUZZ_B)/fuzz_frame: tests/fuzz/fuzz_frame.c runtime/wire.c runtime/arena.c runtime/flowrt.h runtime/flrt_int.h
	@mkdir -p $(FUZZ_B)
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Iruntime -o $@ $(filter %.c,$^)

# make fuzz: the front end, then the frame decoder (FUZZ_SECONDS each)
fuzz: fuzz-front fuzz-frame

fuzz-front: deps $(FUZZ_B)/fuzz_front
	@mkdir -p $(FUZZ_B)/corpus
	cp examples/*.flow tests/golden/*.flow stdlib/*.flow $(FUZZ_B)/corpus/ 2>/dev/null || true
	$(FUZZ_B)/fuzz_front -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=$(FUZZ_B)/ -dict=tests/fuzz/flow.dict \
	    $(FUZZ_B)/corpus tests/fuzz/corpus

fuzz-frame: deps $(FUZZ_B)/fuzz_frame
	@mkdir -p $(FUZZ_B)/frame_corpus
	$(FUZZ_B)/fuzz_frame -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=$(FUZZ_B)/ $(FUZZ_B)/frame_corpus tests/fuzz/frame_corpus

# ---- install ----
# flowc, the runtime jobs link, its headers, the stdlib, a pkg-config file, the man page,
# syntax highlighting (Vim; a TextMate grammar for the editors that read one) and the docs.
# INSTALLED lists every file, so that uninstall removes exactly what install put there.
P := $(DESTDIR)$(PREFIX)
INSTALLED := bin/flowc lib/flowc/libflowrt.a include/flowc/flowrt.h include/flowc/flowgen.h include/flowc/arrow_abi.h \
    lib/pkgconfig/flowc.pc share/man/man1/flowc.1 share/vim/vimfiles/syntax/flow.vim \
    share/vim/vimfiles/ftdetect/flow.vim share/flowc/editors/flow.tmLanguage.json \
    $(addprefix share/flowc/stdlib/,$(notdir $(wildcard stdlib/*))) \
    $(addprefix share/doc/flowc/,README.md language.md runtime.md monitor.md)

install: all
	install -D -m 755 $(B)/flowc $(P)/bin/flowc
	install -D -m 644 $(B)/libflowrt.a $(P)/lib/flowc/libflowrt.a
	install -D -m 644 runtime/flowrt.h $(P)/include/flowc/flowrt.h
	install -D -m 644 runtime/flowgen.h $(P)/include/flowc/flowgen.h
	install -D -m 644 runtime/arrow_abi.h $(P)/include/flowc/arrow_abi.h
	install -d $(P)/lib/pkgconfig
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(shell sed -n 's/.*FLOWC_VERSION "\(.*\)".*/\1/p' compiler/emit.h)|' \
	    scripts/flowc.pc.in > $(P)/lib/pkgconfig/flowc.pc
	install -D -m 644 docs/flowc.1 $(P)/share/man/man1/flowc.1
	install -D -m 644 docs/editors/vim/syntax/flow.vim $(P)/share/vim/vimfiles/syntax/flow.vim
	install -D -m 644 docs/editors/vim/ftdetect/flow.vim $(P)/share/vim/vimfiles/ftdetect/flow.vim
	install -D -m 644 docs/editors/flow.tmLanguage.json $(P)/share/flowc/editors/flow.tmLanguage.json
	install -d $(P)/share/flowc/stdlib $(P)/share/doc/flowc
	install -m 644 stdlib/* $(P)/share/flowc/stdlib/
	install -m 644 README.md docs/language.md docs/runtime.md docs/monitor.md $(P)/share/doc/flowc/

uninstall:
	rm -f $(addprefix $(P)/,$(INSTALLED))
	-rmdir $(P)/lib/flowc $(P)/include/flowc $(P)/share/flowc/stdlib $(P)/share/flowc/editors \
	    $(P)/share/flowc $(P)/share/doc/flowc 2>/dev/null

# make install into a scratch DESTDIR, a job built and run from there, then uninstall
install-test: all
	tests/install.sh

clean:
	rm -rf build build-san build-fuzz

-include $(wildcard $(B)/obj/*.d $(B)/rt/*.d $(B)/tests/*.d)
