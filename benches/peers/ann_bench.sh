#!/usr/bin/env bash
# One run of the vector-search comparison on one dataset, everything in the
# same session on the same files: QuiverDB through its CLI (one collection
# per quantization: none, int8, binary), then hnswlib and faiss HNSW
# (vector_peers.py), then a summary (ann_summary.py).
#
# usage: PY=<venv>/bin/python benches/peers/ann_bench.sh DATASET_DIR OUT_DIR [cosine|l2]
#   DATASET_DIR holds base.fvecs, queries.fvecs and gt_<metric>.ivecs (and,
#   for the tie-aware recall, gt_<metric>_scores.fvecs or, for cosine,
#   gt_cosine_sim.fvecs); OUT_DIR (outside the
#   repository) receives the databases (removed after use) and the JSON.
#   QUIVER=path/to/quiver (default target/release/quiver), EFS="16 24 ...",
#   MODES="none int8 binary" (the quantizations measured), PEER_EFS="16,32,..."
#   (the peers' ef values; default vector_peers.py's)
#   The venv: pip install hnswlib==0.8.0 faiss-cpu==1.15.1 numpy
set -euo pipefail
dir=$1
out=$2
metric=${3:-cosine}
quiver=${QUIVER:-target/release/quiver}
py=${PY:-python3}
efs=${EFS:-16 24 32 48 64 96 128 192 256}
modes=${MODES:-none int8 binary}
gt=$dir/gt_$metric.ivecs
scores=()
peer_scores=()
for f in "$dir/gt_${metric}_scores.fvecs" "$dir/gt_cosine_sim.fvecs"; do
    if [[ ${#scores[@]} -eq 0 && -f $f && ( $metric == cosine || $f == *_scores.fvecs ) ]]; then
        scores=(--gt-scores "$f")
        peer_scores=(--gt-scores "$f")
    fi
done
mkdir -p "$out"
for q in $modes; do
    db=$out/db-$q
    rm -rf "$db"
    echo "quiver, quantization $q: import" >&2
    "$quiver" import "$db" --vectors "$dir/base.fvecs" --collection v --metric "$metric" \
        --quantization "$q" --json > "$out/import-$q.json"
    # Reopened: what the index holds once loaded from its checkpoint.
    "$quiver" stats "$db" --json > "$out/stats-$q.json"
    echo "quiver, quantization $q: search" >&2
    for ef in $efs; do
        "$quiver" search "$db" --collection v --queries "$dir/queries.fvecs" --gt "$gt" \
            "${scores[@]}" --ef "$ef" --repeat 3 --json
    done > "$out/quiver-$q.jsonl"
    for threads in 1 2 1 2; do
        "$quiver" search "$db" --collection v --queries "$dir/queries.fvecs" --gt "$gt" \
            --ef 48 --threads "$threads" --repeat 10 --json
    done > "$out/threads-$q.jsonl"
    rm -rf "$db"
done
echo "hnswlib and faiss" >&2
"$py" benches/peers/vector_peers.py "$dir" --metric "$metric" --gt "$gt" "${peer_scores[@]}" \
    --faiss-hnsw ${PEER_EFS:+--efs "$PEER_EFS"} > "$out/peers.json"
"$py" benches/peers/ann_summary.py "$out"
