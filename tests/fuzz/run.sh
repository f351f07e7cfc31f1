#!/bin/sh
# tests/fuzz/run.sh: what `make fuzz` runs once the targets are built
# (tests/fuzz/build.mk): make the seed corpora, then for each target
# replay its regression inputs (tests/fuzz/regressions/<target>/) and
# fuzz it for SECONDS from its seeds plus the corpus it kept from earlier
# runs ($BUILD/fuzz/corpus/<target>/). One summary line per target;
# a crash, leak, timeout or sanitizer report prints the end of its log
# (all of it in $BUILD/fuzz/<target>.log, the input that did it in
# $BUILD/fuzz/artifacts/<target>/) and makes the exit status 1.
#
# With FUZZ_RUNS set (make test sets it), each target instead runs that
# many inputs from seed 1 and its seeds alone, in a corpus folder emptied
# first: nearly the same inputs on every machine (coverage feedback from
# DCMTK's threads and allocations varies a little), so that what passes
# here very likely passes in CI. Without it (make fuzz), the seed is
# random and the corpus grows from run to run: the search for findings.
#
# usage: tests/fuzz/run.sh BUILD SECONDS TARGET...   (from the repository root)
set -eu

build=$1 seconds=$2
shift 2
if [ -n "${FUZZ_RUNS:-}" ]; then
    budget="-seed=1 -runs=$FUZZ_RUNS"
else
    budget="-max_total_time=$seconds"
fi
python=${PYTHON:-/usr/bin/python3}
dir=$build/fuzz

rm -rf "$dir/seeds"
$python -m tests.fuzz.seeds "$dir/seeds"

# The libFuzzer statistics of a finished run: coverage, features, speed.
summary() {
    done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$1" | tail -n 1 || true)
    speed=$(grep -E '^stat::average_exec_per_sec:' "$1" | awk '{print $2}' || true)
    echo "$done_line" | sed -E 's/^#([0-9]+)[[:space:]]+[A-Z]+[[:space:]]+(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1 runs, \2/' | tr -d '\n'
    echo ", ${speed:-?} exec/s"
}

failed=0
for t in "$@"; do
    bin=$dir/$t log=$dir/$t.log
    corpus=$dir/corpus/$t
    if [ -n "${FUZZ_RUNS:-}" ]; then
        corpus=$dir/corpus-fixed/$t
        rm -rf "$corpus"
    fi
    mkdir -p "$corpus" "$dir/artifacts/$t"
    regressions=tests/fuzz/regressions/$t
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        if ! "$bin" "$regressions"/* >"$log" 2>&1; then
            echo "fuzz: $t: FAILED replaying tests/fuzz/regressions/$t:"
            tail -n 60 "$log"
            failed=1
            continue
        fi
        echo "fuzz: $t: $(ls "$regressions" | wc -l) regression inputs pass"
    fi
    # The regressions seed the run too: they reach the corners that failed.
    if "$bin" $budget -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/$t/" "$corpus" "$dir/seeds/$t" \
        $([ -d "$regressions" ] && echo "$regressions") >"$log" 2>&1; then
        echo "fuzz: $t: $(summary "$log")"
    else
        echo "fuzz: $t: FAILED (log: $log; input: $dir/artifacts/$t/):"
        tail -n 60 "$log"
        failed=1
    fi
done
exit $failed
