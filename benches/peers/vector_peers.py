#!/usr/bin/env python3
"""Measure hnswlib and faiss on the Debian embeddings, like benches/vector.rs.

Usage: vector_peers.py DATASET_DIR   (holds base.fvecs, queries.fvecs, gt_cosine.ivecs)

hnswlib: M=16, ef_construction=200, cosine, built on all cores (2 here),
searched on one thread over a range of ef; faiss: exact inner product on
normalised vectors, batch. Prints JSON. Install in a venv outside the repo:
  pip install hnswlib==0.8.0 faiss-cpu==1.15.1 numpy
"""
import json
import sys
import time

import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].view(dtype).copy()


def main():
    src = sys.argv[1]
    base = read_vecs(f"{src}/base.fvecs", np.float32)
    queries = read_vecs(f"{src}/queries.fvecs", np.float32)
    gt = read_vecs(f"{src}/gt_cosine.ivecs", np.int32)[:, :10]
    out = {}

    import hnswlib

    index = hnswlib.Index(space="cosine", dim=base.shape[1])
    index.init_index(max_elements=len(base), M=16, ef_construction=200, random_seed=42)
    t = time.perf_counter()
    index.add_items(base, np.arange(len(base)), num_threads=2)
    out["hnswlib_build_s"] = time.perf_counter() - t
    index.set_num_threads(1)
    curve = []
    for ef in (10, 16, 24, 32, 48, 64, 96, 128, 200):
        index.set_ef(max(ef, 10))
        index.knn_query(queries[:50], k=10)
        t = time.perf_counter()
        labels = [index.knn_query(q, k=10)[0][0] for q in queries]
        qps = len(queries) / (time.perf_counter() - t)
        recall = np.mean([len(set(l) & set(g)) / 10 for l, g in zip(labels, gt)])
        curve.append({"ef": ef, "recall": float(recall), "qps": qps})
    out["hnswlib"] = curve

    import faiss

    faiss.omp_set_num_threads(2)
    nb = base / np.linalg.norm(base, axis=1, keepdims=True)
    nq = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(base.shape[1])
    flat.add(nb)
    t = time.perf_counter()
    _, labels = flat.search(nq, 10)
    out["faiss_flat_batch_qps"] = len(queries) / (time.perf_counter() - t)
    out["faiss_flat_recall"] = float(np.mean([len(set(l) & set(g)) / 10 for l, g in zip(labels, gt)]))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
