# mpirun.sh - sourced by the tests that start MPI ranks (test_mpi.sh, test_cells.sh,
# test_sharpness.sh) after they set W (the warmup binary): one definition of how they call
# mpirun, in MPIRUN. --allow-run-as-root: CI runs as root; --oversubscribe: 4 ranks on 2 cores;
# --mca btl self,vader: shared memory only (no probing of network interfaces in containers).
# A sanitizer build: LeakSanitizer reports Open MPI's own allocations (its dlopened components,
# which nobody frees at exit) as leaks of every rank that called MPI_Init, and fails it. Leak
# detection is off for the processes mpirun starts there; ASan and UBSan stay on, and leaks stay
# checked by every other test and under valgrind.
MPIRUN="mpirun --allow-run-as-root --oversubscribe --mca btl self,vader"
if ldd "$W" 2>/dev/null | grep -q libasan; then
    MPIRUN="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 $MPIRUN"
fi
