#!/bin/sh
# Install the Debian packages a target needs, only when they are missing.
#   sh scripts/deps.sh build   compiler, make, zlib (gzip'd IDX files), cJSON (`warmup demo` reads
#                              each arm's summary.json), OpenBLAS (OpenMP build: it
#                              shares our thread pool)
#   sh scripts/deps.sh test    + libxml2-utils (xmllint checks that SVG output is well-formed XML),
#                              python3 (tests read JSON and CSV output), python3-pytest,
#                              python3-torch and python3-numpy (the Python package's tests,
#                              tests/test_python.sh), openmpi-bin and libopenmpi-dev (mpirun
#                              and the MPI build, for tests/test_mpi.sh), parallel (GNU
#                              parallel: a sweep's cells across processes, tests/test_cells.sh),
#                              dataset-fashion-mnist (the auto-warmup study's image task,
#                              tests/test_tune.sh; the vision tests' real data)
#   sh scripts/deps.sh python    + python3 (make python: the package for Debian's python3;
#                                warmup.torch also needs python3-torch, which it does not force)
#   sh scripts/deps.sh valgrind  + valgrind
#   sh scripts/deps.sh browser   + chromium (headless, for tests/test_browser.sh)
#   sh scripts/deps.sh slurm     + slurm-wlm and munge (make test-slurm: a single-node Slurm)
#   sh scripts/deps.sh fuzz      + clang (libFuzzer, for make fuzz)
# Uses apt-get (as root, or through sudo); never downloads anything else.
set -e
need="gcc make libc6-dev zlib1g-dev libcjson-dev libopenblas-openmp-dev libopenblas-dev"
[ "$1" = test ] || [ "$1" = valgrind ] && need="$need libxml2-utils python3"
[ "$1" = test ] && need="$need python3-pytest python3-torch python3-numpy"
[ "$1" = test ] && need="$need openmpi-bin libopenmpi-dev parallel dataset-fashion-mnist"
[ "$1" = python ] && need="$need python3"
[ "$1" = valgrind ] && need="$need valgrind"
[ "$1" = browser ] && need="$need chromium"
[ "$1" = slurm ] && need="$need slurm-wlm munge"
[ "$1" = fuzz ] && need="$need clang"
missing=""
for p in $need; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "warmup: installing missing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing
