# find_bench: C-FIND load against mockpacs (make bench-mockpacs).
PROGRAMS += find_bench
find_bench_SRC       := bench/find_bench.c
find_bench_TOOLCHAIN := dicom

# move_bench: studies moved over one held association (make bench-bridge).
PROGRAMS += move_bench
move_bench_SRC       := bench/move_bench.c
move_bench_TOOLCHAIN := dicom
