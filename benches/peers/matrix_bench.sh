#!/usr/bin/env bash
# The vector benchmark matrix: ann_bench.sh on every set make_matrix.py
# wrote (each set's metric from its meta.json), then one summary against
# the targets (matrix_summary.py).
#
# usage: PY=<venv>/bin/python benches/peers/matrix_bench.sh MATRIX_DIR OUT_DIR [SET ...]
#   MATRIX_DIR as make_matrix.py wrote it; OUT_DIR/<set>/ receives each
#   set's run (databases removed after use); QUIVER, EFS as ann_bench.sh,
#   MODES defaults to "none int8" here.
#   The venv: pip install hnswlib==0.8.0 faiss-cpu==1.15.1 numpy
set -euo pipefail
dir=$1
out=$2
shift 2
py=${PY:-python3}
export MODES=${MODES:-none int8}
sets=("$@")
if [[ ${#sets[@]} -eq 0 ]]; then
    for m in "$dir"/*/meta.json; do
        sets+=("$(basename "$(dirname "$m")")")
    done
fi
mkdir -p "$out"
for set in "${sets[@]}"; do
    metric=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['metric'])" "$dir/$set/meta.json")
    echo "== $set ($metric)" >&2
    bash benches/peers/ann_bench.sh "$dir/$set" "$out/$set" "$metric" > "$out/$set.summary.txt"
done
"$py" benches/peers/matrix_summary.py "$out" "${sets[@]}"
