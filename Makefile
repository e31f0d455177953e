# warmup - build, test, install.
#   make            build/warmup (CLI), build/libwarmup.a, build/libwarmup.so, build/warmup.pc
#   make test       install missing Debian packages, build and run every test
#   make check      the fast loop: every unit and parity test at small sizes (under a minute)
#   make demo       build and run the demo
#   make studies    every study at its default size (opt-in; about 40 minutes on 2 cores)
#   make test-browser  the HTML reports in headless Chromium (installs chromium)
#   make bench      schedule micro-benchmarks (see docs/BENCHMARKS.md)
#   make plant-bugs plant the bugs of docs/RELIABILITY.md one at a time and check the tests catch each
#   make sanitize   the whole test suite under ASan + UBSan
#   make valgrind   the C and CLI tests under valgrind (zero errors, zero leaks)
#   make install PREFIX=/usr/local [DESTDIR=...]   /   make uninstall
#   make python     the Python package `warmup` for /usr/bin/python3's user site-packages
#                   (PYTHON=..., PYTHON_PREFIX=DIR: install into DIR instead; DESTDIR honoured)
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
# the version is written once, in include/warmup.h (WU_VERSION); the shared library's name and
# warmup.pc take it from there
VERSION := $(shell sed -n 's/^\#define WU_VERSION "\([^"]*\)".*/\1/p' include/warmup.h)
# the soname's version: the major number from 1.0 on; before 1.0, where a minor version may
# change the ABI (0.3.0 grew wu_sched_opts and wu_suggest_in), major.minor, so that a program
# built against 0.2 never loads 0.3 (issue 17)
SOMAJOR := $(word 1,$(subst ., ,$(VERSION)))$(if $(filter 0,$(word 1,$(subst ., ,$(VERSION)))),.$(word 2,$(subst ., ,$(VERSION))))
OPT     ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wundef -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wvla
# OpenBLAS (CBLAS sgemm) when its header and library are installed (make BLAS=0 to use the
# builtin matmul instead); the engine links it, libwarmup does not
ifeq ($(origin BLAS), undefined)
BLAS    := $(shell printf '\043include <cblas.h>\nint main(void){return 0;}' | $(CC) -x c - -lopenblas -o /dev/null 2>/dev/null && echo 1 || echo 0)
endif
BLASLIB := $(if $(filter 1,$(BLAS)),-lopenblas,)
BLASDEF := $(if $(filter 1,$(BLAS)),-DWU_HAVE_CBLAS,)
# OpenMP when the compiler has it (make OPENMP=0 to build without)
ifeq ($(origin OPENMP), undefined)
OPENMP  := $(shell printf 'int main(void){return 0;}' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo 1 || echo 0)
endif
OMPFLAG := $(if $(filter 1,$(OPENMP)),-fopenmp,)
# MPI (data-parallel `mpirun -np K warmup train`, src/train/dist.c) when Open MPI's mpicc is
# installed (make MPI=0 to build without, MPI=1 to insist); only dist.c and the programs that
# link the engine see it, libwarmup does not
ifeq ($(origin MPI), undefined)
MPI     := $(shell command -v mpicc >/dev/null 2>&1 && mpicc --showme:compile >/dev/null 2>&1 && echo 1 || echo 0)
endif
ifeq ($(MPI),1)
ifeq ($(shell mpicc --showme:compile >/dev/null 2>&1 && echo ok),)
$(error MPI=1: Open MPI's mpicc is not installed (apt-get install openmpi-bin libopenmpi-dev), or build with MPI=0)
endif
MPICFLAGS := $(shell mpicc --showme:compile) -DWU_HAVE_MPI
MPILIBS   := $(shell mpicc --showme:link)
endif
CFLAGS  += $(OPT) $(WARN) $(OMPFLAG) -fno-math-errno -D_POSIX_C_SOURCE=200809L -Iinclude
LDLIBS  := -lm $(OMPFLAG)
ENGLIBS  = -lz $(MPILIBS)
B       ?= build

# The features this build directory was compiled with: every object depends on $(B)/features,
# rewritten only when they change, so `make MPI=0` after `make` (or installing Open MPI or
# OpenBLAS later) rebuilds what they touch instead of linking stale objects
FEATURES := BLAS=$(BLAS) OPENMP=$(OPENMP) MPI=$(MPI) OPT=$(OPT) CC=$(CC)
$(shell mkdir -p $(B) && [ "$$(cat $(B)/features 2>/dev/null)" = '$(FEATURES)' ] || echo '$(FEATURES)' > $(B)/features)

LIB_SRC := $(wildcard src/schedule/*.c src/optim/*.c) src/util/fail.c src/util/checksum.c src/util/mem.c
UTIL_ENG := $(filter-out src/util/fail.c src/util/checksum.c src/util/mem.c,$(wildcard src/util/*.c))
ENG_SRC := $(UTIL_ENG) $(wildcard src/nn/*.c src/model/*.c src/data/*.c src/train/*.c src/lab/*.c src/report/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
PIC_OBJ := $(LIB_SRC:%.c=$(B)/pic/%.o)
ENG_OBJ := $(ENG_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/obj/%.o)
TESTS   := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))

.PHONY: python python-install valgrind-cli all test test-run check-run plant-bugs test-fashion test-slurm test-browser studies fuzz fuzz-build check demo demo-run bench sanitize valgrind valgrind-run install uninstall clean deps docs

all: $(B)/warmup $(B)/libwarmup.a $(B)/libwarmup.so $(B)/libwarmup_plot.so $(B)/warmup.pc

# libwarmup is the embeddable library (include/warmup.h); the engine archive holds the layers
# the CLI and tests use on top of it (the rest of src/util/, nn, model, data, train, lab, report).
$(B)/libwarmup_engine.a: $(ENG_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h) $(B)/features
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/pic/%.o: %.c $(wildcard include/*.h src/*/*.h) $(B)/features
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -c $< -o $@

# the update loops are worth -O3 (loop unswitching and vectorisation); the flag comes last so it
# wins over OPT, while sanitizer flags in OPT stay
$(B)/obj/src/optim/%.o $(B)/pic/src/optim/%.o: CFLAGS += -O3
# -fno-trapping-math lets the compiler turn clamps and selects into vector code (PyTorch builds
# with it too); nothing here relies on floating-point exceptions
$(B)/obj/src/nn/%.o: CFLAGS += -O3 -fno-trapping-math $(BLASDEF)
$(B)/obj/src/train/dist.o: CFLAGS += $(MPICFLAGS)

# libwarmup exports exactly what include/warmup.h declares (WU_API): everything else in it, the
# internals and the util helpers it carries (wu_fail, wu_fnv1a), is hidden (tests/test_abi.sh)
$(LIB_OBJ) $(PIC_OBJ): CFLAGS += -fvisibility=hidden

$(B)/libwarmup.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libwarmup.so: $(PIC_OBJ)
	$(CC) -shared -Wl,-soname,libwarmup.so.$(SOMAJOR) -o $@ $^ $(LDLIBS)

# libwarmup_plot.so (include/warmup_plot.h): schedules drawn as the SVG of `warmup plot`, for
# the Python package; self-contained (the schedule, chart and SVG code, libm and libc only) and
# exporting only the wu_plot_* functions (a version script hides everything else)
PLOT_SRC := src/report/plot_svg.c src/report/chart.c src/report/svg.c \
            $(wildcard src/schedule/*.c) src/util/fail.c src/util/checksum.c
PLOT_PIC := $(PLOT_SRC:%.c=$(B)/pic/%.o)
$(B)/pic/src/report/%.o: CFLAGS += -fvisibility=hidden

$(B)/libwarmup_plot.so: $(PLOT_PIC)
	@printf '{ global: wu_plot_svg; wu_plot_free; local: *; };\n' > $(B)/warmup_plot.map
	$(CC) -shared -Wl,-soname,libwarmup_plot.so.$(SOMAJOR) -Wl,--no-undefined \
	    -Wl,--version-script=$(B)/warmup_plot.map -o $@ $^ -lm $(filter -fsanitize%,$(LDLIBS))

OMPLIBS := $(if $(filter 1,$(OPENMP)),-lgomp,)
PCSED    = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@OMPLIBS@|$(OMPLIBS)|'

$(B)/warmup.pc: warmup.pc.in include/warmup.h
	$(PCSED) $< > $@

$(B)/warmup: $(CLI_OBJ) $(B)/libwarmup_engine.a $(B)/libwarmup.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(B)/libwarmup_engine.a $(B)/libwarmup.a -lcjson $(BLASLIB) $(ENGLIBS) $(LDLIBS)

# ---- the Python package (python/warmup: ctypes over libwarmup.so, no compiler at import) ------
# Debian's pip refuses --user installs (PEP 668), so the package is copied as it is, with the
# two shared libraries beside its modules (warmup/_lib.py looks there first).
PYTHON ?= /usr/bin/python3
python:
	@sh scripts/deps.sh python
	@$(MAKE) --no-print-directory python-install

python-install: $(B)/libwarmup.so $(B)/libwarmup_plot.so
	@site="$(PYTHON_PREFIX)"; \
	if [ -z "$$site" ]; then site=$$($(PYTHON) -m site --user-site) || exit 1; fi; \
	dest="$(DESTDIR)$$site/warmup"; \
	mkdir -p "$$dest" && rm -rf "$$dest/__pycache__" && \
	install -m 644 python/warmup/*.py "$$dest/" && \
	install -m 755 $(B)/libwarmup.so $(B)/libwarmup_plot.so "$$dest/" && \
	echo "installed the Python package warmup into $$dest" && \
	echo "  try: $(PYTHON) -c 'import warmup; print(warmup.Schedule(\"warmup(10%) > cosine\", 3e-4, total_steps=1000).lr(50))'" && \
	case "$$site" in "$$($(PYTHON) -m site --user-site)") ;; \
	    *) echo "  ($$site is not on $(PYTHON)'s path by default: PYTHONPATH=$$site)";; esac

# ---- tests ---------------------------------------------------------------------------------
deps:
	@sh scripts/deps.sh test

$(B)/tests/%: tests/%.c tests/harness.h $(B)/libwarmup_engine.a $(B)/libwarmup.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(B)/libwarmup_engine.a $(B)/libwarmup.a -lcjson $(BLASLIB) $(ENGLIBS) $(LDLIBS)

# The fuzz targets replayed over their seeds and regressions (tests/test_fuzz.c) need the CLI
# too: its objects, with main.c built without main().
$(B)/obj/cli_nomain.o: src/cli/main.c $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DWU_NO_MAIN -c $< -o $@

$(B)/tests/test_fuzz: tests/test_fuzz.c tests/harness.h $(wildcard fuzz/*.c fuzz/*.h) $(filter-out %/main.o,$(CLI_OBJ)) $(B)/obj/cli_nomain.o $(B)/libwarmup_engine.a $(B)/libwarmup.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(filter-out %/main.o,$(CLI_OBJ)) $(B)/obj/cli_nomain.o $(B)/libwarmup_engine.a $(B)/libwarmup.a -lcjson $(BLASLIB) $(ENGLIBS) $(LDLIBS)

# test_config walks the configuration table through the CLI's option parser too.
$(B)/tests/test_config: tests/test_config.c tests/harness.h $(B)/obj/src/cli/train_opts.o $(B)/obj/src/cli/cli_util.o $(B)/libwarmup_engine.a $(B)/libwarmup.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(B)/obj/src/cli/train_opts.o $(B)/obj/src/cli/cli_util.o $(B)/libwarmup_engine.a $(B)/libwarmup.a -lcjson $(BLASLIB) $(ENGLIBS) $(LDLIBS)

# The README's C example is compiled and run, so the documentation cannot rot.
$(B)/tests/readme_example: README.md $(B)/libwarmup.a
	@mkdir -p $(dir $@)
	awk '/<!-- example:begin -->/{f=1;next} /<!-- example:end -->/{f=0} f && !/^```/' README.md > $(B)/tests/readme_example.c
	$(CC) $(CFLAGS) -o $@ $(B)/tests/readme_example.c $(B)/libwarmup.a $(LDLIBS)

# Install what is missing first, then build in a fresh make so that the OpenBLAS and OpenMP
# detection sees what was just installed.
test:
	@sh scripts/deps.sh test
	@$(MAKE) --no-print-directory test-run

# the make variables a test passes on when it calls make itself (test_install.sh), so that it
# sees the same build
TESTVARS = WU_CFLAGS="$(OPT)" WU_MAKEVARS="B=$(B) OPENMP=$(OPENMP) BLAS=$(BLAS) MPI=$(MPI)" WU_MPI=$(MPI)

test-run: all $(TESTS) $(B)/tests/readme_example
	@$(TESTVARS) sh tests/run.sh $(B)

# The fast loop (under a minute on 2 cores): every C test (unit and parity) at small sizes and
# the CLI, training, bad-input and crash scripts in their quick mode (WU_TEST_QUICK=1); the
# studies, sweeps and browser tests are left to make test. Like make test, it first installs
# the Debian packages that are missing (a no-op when they are there).
check:
	@sh scripts/deps.sh test
	@$(MAKE) --no-print-directory check-run

check-run: all $(TESTS) $(B)/tests/readme_example
	@$(TESTVARS) sh tests/run.sh --quick $(B)
plant-bugs: # opt-in, about 8 minutes: plant each bug of docs/RELIABILITY.md into a copy, check the tests catch it
	@sh tools/plant_bugs.sh --check

# Opt-in: train the MLP and the ViT on Fashion-MNIST for a few hundred steps and check their
# test accuracy (needs Debian's dataset-fashion-mnist; skipped with a message without it).
test-fashion: $(B)/tests/test_vision
	@WU_FASHION=1 $(B)/tests/test_vision

# The HTML reports in headless Chromium (part of make test when chromium is installed; this
# target installs Debian's chromium first).
test-browser: all
	@sh scripts/deps.sh browser
	@sh tests/test_browser.sh $(B)/warmup

# Opt-in: a single-node Slurm (Debian's slurm-wlm and munge, installed by this target, started
# in a scratch directory and stopped after; needs root) runs a sweep as the job array of
# `warmup sweep --emit-slurm` (docs/CLUSTER.md).
test-slurm: all
	@sh scripts/deps.sh slurm
	@sh tests/test_slurm.sh $(B)/warmup

# Opt-in: every study at its default size (each under 10 minutes on 2 cores; docs/STUDIES.md).
# The list is the registry's (`warmup study --list`), not kept here.
studies: all
	@list=$$($(B)/warmup study --list) || exit 1; \
	for s in $$(printf '%s\n' "$$list" | cut -f1); do $(B)/warmup study $$s --out $(B)/studies/$$s || exit 1; done

# ---- fuzzing: libFuzzer targets built with clang, ASan and UBSan (fuzz/, docs/RELIABILITY.md)
# make fuzz [FUZZ_SECONDS=60] runs each target for FUZZ_SECONDS, starting from the committed
# seeds in fuzz/corpus/NAME; what it finds goes to build-fuzz/ (crash-* files: add each as a
# regression seed and a test).
FUZZ_TARGETS := spec idx corpus ckpt cli
FUZZ_SECONDS ?= 60
FB       := build-fuzz
FUZZ_CFLAGS := -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -DWU_NO_MAIN -Iinclude -Isrc \
               -Wno-unknown-pragmas -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ := $(patsubst %.c,$(FB)/obj/%.o,$(LIB_SRC) $(ENG_SRC) $(CLI_SRC))

$(FB)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FB)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) -lcjson -lz -lm

fuzz-build:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FB)/fuzz_%)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FB)/found-$$t; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    len=4096; [ $$t = ckpt ] && len=65536; mask=0; [ $$t = cli ] && mask=3; \
	    ASAN_OPTIONS=detect_leaks=1 $(FB)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	        -rss_limit_mb=2048 -max_len=$$len -close_fd_mask=$$mask -print_final_stats=1 \
	        -artifact_prefix=$(FB)/$$t- \
	        $(FB)/found-$$t fuzz/corpus/$$t > $(FB)/fuzz_$$t.log 2>&1 \
	        || { tail -30 $(FB)/fuzz_$$t.log; exit 1; }; \
	    grep -E 'stat::number_of_executed_units|stat::new_units_added' $(FB)/fuzz_$$t.log; \
	done

# ---- everything else -----------------------------------------------------------------------
# The pictures in the README and docs/, drawn by the CLI itself (commit the result).
docs: $(B)/warmup
	$(B)/warmup plot cosine 'warmup(10%) > cosine' 'warmup(10%, exp) > cosine' \
	    'warmup(5%) > constant > sqrt(20%)' --labels 'no warmup,linear warmup 10%,exponential warmup 10%,warmup-stable-decay' \
	    --lr 3e-4 --steps 1000 --title 'Warmup strategies of the guide (peak LR 3e-4, 1000 steps)' \
	    -o docs/img/schedules.svg
	$(B)/warmup suggest --optimizer sgd --base-lr 1e-4 --base-batch 256 --base-warmup 1000 \
	    --batch 8192 --steps 100000 -o docs/img/suggest-large-batch.svg > /dev/null
	$(B)/warmup demo --out $(B)/demo-docs > /dev/null
	cp $(B)/demo-docs/loss.svg docs/img/demo-loss.svg
	cp $(B)/demo-docs/lr.svg docs/img/demo-lr.svg
	cp $(B)/demo-docs/grad_norm.svg docs/img/demo-grad-norm.svg
	cp $(B)/demo-docs/update.svg docs/img/demo-update.svg

demo:
	@sh scripts/deps.sh build
	@$(MAKE) --no-print-directory demo-run

demo-run: all
	$(B)/warmup demo --out demo-out

$(B)/bench_schedule: bench/bench_schedule.c $(B)/libwarmup.a
	$(CC) $(CFLAGS) -O3 -o $@ $< $(B)/libwarmup.a $(LDLIBS)

$(B)/bench_optim: bench/bench_optim.c $(B)/libwarmup.a
	$(CC) $(CFLAGS) -O3 -o $@ $< $(B)/libwarmup.a $(LDLIBS)

$(B)/bench_gpt: bench/bench_gpt.c $(B)/libwarmup_engine.a $(B)/libwarmup.a
	$(CC) $(CFLAGS) $(BLASDEF) -Isrc -o $@ $< $(B)/libwarmup_engine.a $(B)/libwarmup.a $(BLASLIB) $(ENGLIBS) $(LDLIBS)

$(B)/bench_vision: bench/bench_vision.c $(B)/libwarmup_engine.a $(B)/libwarmup.a
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(B)/libwarmup_engine.a $(B)/libwarmup.a $(BLASLIB) $(ENGLIBS) $(LDLIBS)

# the gradient average of data-parallel training (bench/mpi_train.sh runs it under mpirun)
$(B)/bench_allreduce: bench/bench_allreduce.c $(B)/libwarmup_engine.a
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(B)/libwarmup_engine.a $(MPILIBS) $(LDLIBS)

bench: $(B)/bench_schedule $(B)/bench_optim $(B)/bench_gpt $(B)/bench_vision
	$(B)/bench_schedule
	$(B)/bench_optim
	OMP_NUM_THREADS=2 $(B)/bench_gpt
	OMP_NUM_THREADS=2 $(B)/bench_vision

sanitize:
	@sh scripts/deps.sh test
	$(MAKE) B=build-san OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDLIBS="-lm $(OMPFLAG) -fsanitize=address,undefined" test-run

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(B)/warmup $(DESTDIR)$(PREFIX)/bin/warmup
	install -m 644 $(B)/libwarmup.a $(DESTDIR)$(PREFIX)/lib/libwarmup.a
	install -m 755 $(B)/libwarmup.so $(DESTDIR)$(PREFIX)/lib/libwarmup.so.$(VERSION)
	ln -sf libwarmup.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libwarmup.so.$(SOMAJOR)
	ln -sf libwarmup.so.$(SOMAJOR) $(DESTDIR)$(PREFIX)/lib/libwarmup.so
	install -m 755 $(B)/libwarmup_plot.so $(DESTDIR)$(PREFIX)/lib/libwarmup_plot.so.$(VERSION)
	ln -sf libwarmup_plot.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libwarmup_plot.so.$(SOMAJOR)
	ln -sf libwarmup_plot.so.$(SOMAJOR) $(DESTDIR)$(PREFIX)/lib/libwarmup_plot.so
	install -m 644 include/warmup.h $(DESTDIR)$(PREFIX)/include/warmup.h
	install -m 644 include/warmup_plot.h $(DESTDIR)$(PREFIX)/include/warmup_plot.h
	$(PCSED) warmup.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/warmup.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/warmup $(DESTDIR)$(PREFIX)/lib/libwarmup.a \
	    $(DESTDIR)$(PREFIX)/lib/libwarmup.so $(DESTDIR)$(PREFIX)/lib/libwarmup.so.$(SOMAJOR) \
	    $(DESTDIR)$(PREFIX)/lib/libwarmup.so.$(VERSION) $(DESTDIR)$(PREFIX)/include/warmup.h \
	    $(DESTDIR)$(PREFIX)/lib/libwarmup_plot.so $(DESTDIR)$(PREFIX)/lib/libwarmup_plot.so.$(SOMAJOR) \
	    $(DESTDIR)$(PREFIX)/lib/libwarmup_plot.so.$(VERSION) $(DESTDIR)$(PREFIX)/include/warmup_plot.h \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/warmup.pc

clean:
	rm -rf build build-san build-fuzz build-noomp build-noblas

# The C tests, the CLI tests, short training runs and a demo under valgrind: zero errors and
# zero leaks (definite, indirect or possible; memory still reachable at exit, such as libgomp's
# thread pool, is not a leak).
VALGRIND := valgrind --error-exitcode=9 --leak-check=full -q \
            --errors-for-leak-kinds=definite,indirect,possible \
            --suppressions=$(CURDIR)/tests/valgrind.supp
valgrind:
	@sh scripts/deps.sh valgrind
	$(MAKE) valgrind-run

# The CLI tests and the bad-input catalogue under valgrind (part of CI): zero errors, zero leaks.
valgrind-cli: all
	@sh scripts/deps.sh valgrind
	@printf '#!/bin/sh\nexec $(VALGRIND) %s/$(B)/warmup "$$@"\n' "$$(pwd)" > $(B)/warmup-vg && chmod +x $(B)/warmup-vg
	@sh tests/run.sh --only-cli $(B) $(B)/warmup-vg

valgrind-run: all $(TESTS)
	@for t in $(TESTS); do WU_VALGRIND=1 $(VALGRIND) $$t >/dev/null || { echo "valgrind: $$t failed"; exit 1; }; done
	@printf '#!/bin/sh\nexec $(VALGRIND) %s/$(B)/warmup "$$@"\n' "$$(pwd)" > $(B)/warmup-vg && chmod +x $(B)/warmup-vg
	@sh tests/test_cli.sh $(B)/warmup-vg
	@sh tests/valgrind_train.sh $(B)/warmup-vg
