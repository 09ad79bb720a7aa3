#!/usr/bin/env bash
# Fuzzes every parser and decoder of QuiverDB (the targets of
# src/fuzz.rs), each for RUNS executions, and prints one line per target:
# its name, the executions done, the seconds taken, and OK or the path of
# the input that failed.
#
#   tests/fuzz/run.sh [RUNS] [TARGET...]      (from the repository root)
#
# RUNS defaults to 1000000; no TARGET means all of them. Needs the nightly
# toolchain and cargo-fuzz (`rustup toolchain install nightly`,
# `cargo install cargo-fuzz`). Each target runs under AddressSanitizer with
# a 1 GiB RSS limit and a 10 s limit per input; QUIVER_FUZZ_JOBS targets
# run at once (default 2). The starting corpus is written by the smoke
# test from the seeds (tests/data and generated records) into
# tests/fuzz/corpus/. The fuzz build compiles RocksDB once more (nightly,
# its own target folder); to link the one the release build made instead:
#   ROCKSDB_LIB_DIR=$(dirname target/release/build/librocksdb-sys-*/out/librocksdb.a) \
#   ROCKSDB_STATIC=1 tests/fuzz/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-1000000}"
shift || true
jobs="${QUIVER_FUZZ_JOBS:-2}"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(ls tests/fuzz/fuzz_targets | sed 's/\.rs$//')
fi

# The smoke run writes the corpus; it builds with the stable toolchain and
# its own RocksDB (a ROCKSDB_LIB_DIR meant for the fuzz build would make
# it rebuild RocksDB from source the next time it is unset).
env -u ROCKSDB_LIB_DIR -u ROCKSDB_STATIC QUIVER_FUZZ_CORPUS="$PWD/tests/fuzz/corpus" \
    cargo test --release --lib -q fuzz::tests::every_target_survives >/dev/null
cargo +nightly fuzz build --fuzz-dir tests/fuzz >/dev/null

fuzz_one() {
    local target="$1" runs="$2" scratch log
    scratch="$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)"
    log="tests/fuzz/artifacts/$target.log"
    mkdir -p "tests/fuzz/artifacts/$target"
    local status=OK
    if ! TMPDIR="$scratch" cargo +nightly fuzz run --fuzz-dir tests/fuzz "$target" \
        "tests/fuzz/corpus/$target" -- -runs="$runs" -rss_limit_mb=1024 -timeout=10 \
        -artifact_prefix="tests/fuzz/artifacts/$target/" -print_final_stats=1 \
        >"$log" 2>&1; then
        status="FAILED: $(grep -o 'tests/fuzz/artifacts/[^ ]*' "$log" | tail -1) (log: $log)"
    fi
    rm -rf "$scratch"
    local done secs
    done="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)"
    secs="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo '?')"
    printf '%-24s %10s runs %6s s  %s\n' "$target" "$done" "$secs" "$status"
}
export -f fuzz_one
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c "fuzz_one {} $runs"
