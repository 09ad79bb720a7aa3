#!/usr/bin/env python3
"""Measure hnswlib and faiss on a vector set, like benches/vector.rs.

Usage: vector_peers.py DATASET_DIR [--metric cosine|l2] [--gt FILE] [--gt-scores FILE] [--faiss-hnsw]
       vector_peers.py DATASET_DIR --build-only  (hnswlib's build time only)
(DATASET_DIR holds base.fvecs, queries.fvecs and the ground truth:
gt_cosine.ivecs by default, gt_l2.ivecs with --metric l2)

hnswlib: M=16, ef_construction=200, built on all cores (2 here), searched
on one thread (one knn_query per query) over a range of ef, with the
growth of the process's resident memory over the build (bytes/vector); faiss HNSWFlat (M=16, efConstruction
200) likewise with --faiss-hnsw; faiss flat: exact, batch. Prints JSON.
With --gt-scores (an .fvecs of the true scores: cosine similarities, or
Euclidean distances for l2), each point of a curve also has
"tie_recall": a returned id counts when its score is as good as the k-th
true one, so any of several equal duplicates does (as `quiver search
--gt-scores`).
Install in a venv outside the repo:
  pip install hnswlib==0.8.0 faiss-cpu==1.15.1 numpy
"""
import argparse
import json
import resource
import time

import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].view(dtype).copy()


def current_rss_kib():
    """VmRSS of this process in KiB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--metric", default="cosine", choices=["cosine", "l2"])
    ap.add_argument("--gt")
    ap.add_argument("--gt-scores")
    ap.add_argument("--faiss-hnsw", action="store_true")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--efs", help="comma-separated ef values (default 10..200 hnswlib, 16..128 faiss)")
    args = ap.parse_args()
    src = args.dir
    base = read_vecs(f"{src}/base.fvecs", np.float32)
    queries = read_vecs(f"{src}/queries.fvecs", np.float32)
    gt_file = args.gt or f"{src}/gt_{args.metric}.ivecs"
    gt = read_vecs(gt_file, np.int32)[:, :10]
    out = {"n": len(base), "dim": int(base.shape[1]), "metric": args.metric}
    tie = None
    if args.gt_scores:
        kth = read_vecs(args.gt_scores, np.float32)[:, 9]
        if args.metric == "cosine":
            nbase = base / np.linalg.norm(base, axis=1, keepdims=True)
            nqueries = queries / np.linalg.norm(queries, axis=1, keepdims=True)

            def good(i, ids):
                return nbase[ids] @ nqueries[i] >= kth[i] - 1e-5 * max(abs(kth[i]), 1.0)
        else:

            def good(i, ids):
                dist = np.linalg.norm(base[ids] - queries[i], axis=1)
                return dist <= kth[i] + 1e-5 * max(abs(kth[i]), 1.0)

        def tie(labels):
            hits = 0
            for i, l in enumerate(labels):
                hits += int(np.sum(good(i, np.asarray(l, dtype=np.int64))))
            return hits / (10 * len(labels))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    now0 = current_rss_kib()

    import hnswlib

    index = hnswlib.Index(space=args.metric, dim=base.shape[1])
    index.init_index(max_elements=len(base), M=16, ef_construction=200, random_seed=42)
    t = time.perf_counter()
    index.add_items(base, np.arange(len(base)), num_threads=2)
    out["hnswlib_build_s"] = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["hnswlib_peak_rss_mib"] = rss / 1024
    # Peak RSS growth understates the index when reading the input left a
    # higher peak behind; the current RSS growth over the build does not.
    out["hnswlib_peak_rss_growth_bytes_per_vector"] = (rss - rss0) * 1024 / len(base)
    out["hnswlib_rss_growth_bytes_per_vector"] = (current_rss_kib() - now0) * 1024 / len(base)
    if args.build_only:
        print(json.dumps(out))
        return
    index.set_num_threads(1)
    curve = []
    efs = [int(x) for x in args.efs.split(",")] if args.efs else None
    for ef in efs or (10, 16, 24, 32, 48, 64, 96, 128, 200):
        index.set_ef(max(ef, 10))
        index.knn_query(queries[:50], k=10)
        t = time.perf_counter()
        labels = [index.knn_query(q, k=10)[0][0] for q in queries]
        qps = len(queries) / (time.perf_counter() - t)
        recall = np.mean([len(set(l) & set(g)) / 10 for l, g in zip(labels, gt)])
        curve.append({"ef": ef, "recall": float(recall), "qps": qps})
        if tie:
            curve[-1]["tie_recall"] = tie(labels)
    out["hnswlib"] = curve

    del index
    import faiss

    if args.faiss_hnsw:
        faiss.omp_set_num_threads(2)
        xb = base if args.metric == "l2" else base / np.linalg.norm(base, axis=1, keepdims=True)
        xq = queries if args.metric == "l2" else queries / np.linalg.norm(queries, axis=1, keepdims=True)
        metric = faiss.METRIC_L2 if args.metric == "l2" else faiss.METRIC_INNER_PRODUCT
        hnsw = faiss.IndexHNSWFlat(base.shape[1], 16, metric)
        hnsw.hnsw.efConstruction = 200
        t = time.perf_counter()
        hnsw.add(xb)
        out["faiss_hnsw_build_s"] = time.perf_counter() - t
        faiss.omp_set_num_threads(1)
        curve = []
        for ef in efs or (16, 24, 32, 48, 64, 96, 128):
            hnsw.hnsw.efSearch = ef
            t = time.perf_counter()
            labels = [hnsw.search(q[None, :], 10)[1][0] for q in xq]
            qps = len(xq) / (time.perf_counter() - t)
            recall = np.mean([len(set(l) & set(g)) / 10 for l, g in zip(labels, gt)])
            curve.append({"ef": ef, "recall": float(recall), "qps": qps})
            if tie:
                curve[-1]["tie_recall"] = tie(labels)
        out["faiss_hnsw"] = curve
        del hnsw

    faiss.omp_set_num_threads(2)
    if args.metric == "l2":
        nb, nq = base, queries
        flat = faiss.IndexFlatL2(base.shape[1])
    else:
        nb = base / np.linalg.norm(base, axis=1, keepdims=True)
        nq = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        flat = faiss.IndexFlatIP(base.shape[1])
    flat.add(nb)
    t = time.perf_counter()
    _, labels = flat.search(nq, 10)
    out["faiss_flat_batch_qps"] = len(queries) / (time.perf_counter() - t)
    out["faiss_flat_recall"] = float(np.mean([len(set(l) & set(g)) / 10 for l, g in zip(labels, gt)]))
    if tie:
        out["faiss_flat_tie_recall"] = tie(labels)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
