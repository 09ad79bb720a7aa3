#!/usr/bin/env bash
# Build time of QuiverDB's import (f32 walk: graph, storage, checkpoint and
# the default-ef calibration included) against hnswlib's add_items (graph
# only, the vectors already in memory), alternating, ROUNDS times each;
# prints every time and the medians.
#
# usage: PY=<venv>/bin/python benches/peers/build_bench.sh DATASET_DIR OUT_DIR [cosine|l2] [ROUNDS]
#   QUIVER=path/to/quiver (default target/release/quiver), QUANT=none|int8|binary
set -euo pipefail
dir=$1
out=$2
metric=${3:-cosine}
rounds=${4:-3}
quiver=${QUIVER:-target/release/quiver}
py=${PY:-python3}
quant=${QUANT:-none}
mkdir -p "$out"
ours=()
theirs=()
for r in $(seq "$rounds"); do
    rm -rf "$out/db"
    t=$("$quiver" import "$out/db" --vectors "$dir/base.fvecs" --collection v --metric "$metric" \
        --quantization "$quant" --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["elapsed_s"])')
    rm -rf "$out/db"
    h=$("$py" benches/peers/vector_peers.py "$dir" --metric "$metric" --build-only \
        | "$py" -c 'import json,sys; print(json.load(sys.stdin)["hnswlib_build_s"])')
    echo "round $r: quiver import ($quant) $t s, hnswlib add_items $h s"
    ours+=("$t")
    theirs+=("$h")
done
"$py" - "${#ours[@]}" "${ours[@]}" "${theirs[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
ours = [float(x) for x in sys.argv[2:2 + n]]
theirs = [float(x) for x in sys.argv[2 + n:]]
mo, mt = statistics.median(ours), statistics.median(theirs)
print(f"median: quiver {mo:.2f} s, hnswlib {mt:.2f} s, ratio {mo / mt:.3f}")
PY
