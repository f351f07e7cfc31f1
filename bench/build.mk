# find_bench: C-FIND load against mockpacs (make bench-mockpacs).
PROGRAMS += find_bench
find_bench_SRC       := bench/find_bench.c
find_bench_TOOLCHAIN := dicom
