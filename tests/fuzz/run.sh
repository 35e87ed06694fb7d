#!/bin/sh
# Runs one libFuzzer target and sums up its final statistics in one line:
#   run.sh BUILD_FUZZ_DIR NAME LIBFUZZER_ARGS... CORPUS_DIRS...
# tests/fuzz/NAME.dict, if there, is passed as the target's dictionary.
# A crash, leak or timeout leaves BUILD_FUZZ_DIR/crash-NAME-* (libFuzzer's artifact),
# prints libFuzzer's report and the command to reproduce it, and fails.
dir=$1; name=$2; shift 2
log=$dir/fuzz_$name.log
dict=$(dirname "$0")/$name.dict
[ -f "$dict" ] && set -- -dict="$dict" "$@"
start=$(date +%s.%N)
if "$dir/fuzz_$name" -print_final_stats=1 -timeout=10 -artifact_prefix="$dir/crash-$name-" \
        "$@" >"$log" 2>&1; then
    # Wall time of the whole run (libFuzzer's own rate rounds short runs down to 0).
    end=$(date +%s.%N)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    awk -v n="fuzz_$name" -v r="$runs" -v s="$start" -v e="$end" -v c="$cov" 'BEGIN {
        printf "%s: %d runs in %.1f s, %.0f exec/s (wall), %s, no crash\n", n, r, e - s,
               r / (e - s), c }'
else
    tail -40 "$log"
    echo "fuzz_$name: FAILED (log: $log); reproduce: $dir/fuzz_$name $dir/crash-$name-*" >&2
    exit 1
fi
