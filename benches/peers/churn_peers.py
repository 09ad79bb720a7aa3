#!/usr/bin/env python3
"""The churn protocol of benches/churn.rs on hnswlib: insert N points, then
replace 10 % of them per round for 20 rounds (mark_deleted, then add_items
with replace_deleted=True, so new points take the deleted slots); after
each round one JSON line with the process's RSS, the round's time and
recall@10 at ef 48 against exact search over 200 queries.

Usage: churn_peers.py DATASET_DIR [--metric cosine|l2] [--rounds 20] [--limit N]
  pip install hnswlib==0.8.0 numpy
"""
import argparse
import json
import time

import numpy as np


def read_vecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].view(np.float32).copy()


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--metric", default="cosine", choices=["cosine", "l2"])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    base = read_vecs(f"{args.dir}/base.fvecs")
    if args.limit:
        base = base[: args.limit]
    queries = read_vecs(f"{args.dir}/queries.fvecs")[:200]
    n, dim = base.shape
    scale = float(np.sqrt(np.mean(base[0] ** 2)))
    import hnswlib

    rss0 = rss_bytes()
    index = hnswlib.Index(space=args.metric, dim=dim)
    index.init_index(max_elements=n, M=16, ef_construction=200, random_seed=42, allow_replace_deleted=True)
    t = time.perf_counter()
    index.add_items(base, np.arange(n), num_threads=2)
    build = time.perf_counter() - t
    index.set_ef(48)
    current = base.copy()
    # Each point gets a new label (hnswlib's replace_deleted maps labels
    # wrongly when a deleted label is added again in the same batch).
    label = np.arange(n)
    key_of = {i: i for i in range(n)}
    next_label = n

    def recall():
        if args.metric == "cosine":
            cb = current / np.linalg.norm(current, axis=1, keepdims=True)
            cq = queries / np.linalg.norm(queries, axis=1, keepdims=True)
            truth = np.argsort(-(cq @ cb.T), axis=1)[:, :10]
        else:
            d = (queries**2).sum(1)[:, None] - 2 * queries @ current.T + (current**2).sum(1)[None, :]
            truth = np.argsort(d, axis=1)[:, :10]
        index.set_num_threads(1)
        found = [[key_of[int(x)] for x in index.knn_query(q, k=10)[0][0]] for q in queries]
        return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]))

    def report(round_, seconds):
        print(json.dumps({
            "round": round_, "n": n, "dim": dim, "metric": args.metric, "seconds": seconds,
            "rss_bytes": rss_bytes(), "rss_growth_bytes": rss_bytes() - rss0,
            "graph_rows": index.get_current_count(), "recall": recall(),
        }), flush=True)

    report(0, build)
    rng = np.random.default_rng(0xC0FFEE)
    for round_ in range(1, args.rounds + 1):
        keys = rng.choice(n, size=n // 10, replace=False)
        src = rng.integers(0, n, size=len(keys))
        fresh = (base[src] + 0.1 * scale * rng.standard_normal((len(keys), dim))).astype(np.float32)
        t = time.perf_counter()
        for k in keys:
            index.mark_deleted(int(label[k]))
            del key_of[int(label[k])]
        new = np.arange(next_label, next_label + len(keys))
        next_label += len(keys)
        index.add_items(fresh, new, num_threads=2, replace_deleted=True)
        label[keys] = new
        key_of.update({int(x): int(k) for x, k in zip(new, keys)})
        current[keys] = fresh
        report(round_, time.perf_counter() - t)


if __name__ == "__main__":
    main()
