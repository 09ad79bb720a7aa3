#!/usr/bin/env python3
"""Writes the vector benchmark matrix: seeded sets of distributions the
engine was not tuned on, each with queries and exact ground truth.

Usage: make_matrix.py DIR [--n 1000000] [--queries 1000] [--only SET,SET]

One folder per set, DIR/<set>/: base.fvecs, queries.fvecs, gt_<metric>.ivecs
(exact top-100 ids) and gt_<metric>_scores.fvecs (their scores as `quiver
search` prints them: the Euclidean distance for l2, the cosine similarity
for cosine), and meta.json (the set's metric and parameters). Queries are
drawn by the set's process but are not base points. Seeds fixed: the same
command writes the same files.

The sets (d dimensions, metric):
  few-clusters    128, l2      12 anisotropic Gaussian clusters of unequal
                               size and spread (per-axis scales drawn per
                               cluster), so the data's scale varies by
                               region and axis
  many-clusters   128, l2      20,000 clusters with Zipf-distributed sizes
                               and log-normal spreads: dense tiny groups
                               beside sparse wide ones
  uniform-256     256, l2      uniform in the unit cube: no structure, high
                               intrinsic dimension (the hard case for
                               graphs)
  angular-skewed  100, cosine  directions from 300 von Mises-Fisher-like
                               clusters of Zipf sizes, norms log-normal
                               (sigma 1): what text embeddings without
                               normalisation look like
  near-dups       128, cosine  a fifth of the points are originals, the
                               rest copies of one of them (Zipf: some have
                               hundreds) with a tiny perturbation, 5 % of
                               copies exact; queries are perturbed copies
                               too, so their neighbours are duplicate groups

Ground truth by exact search (faiss IndexFlatL2 / IndexFlatIP on normalised
vectors). Ties (near-dups has exact duplicates) make recall by ids
depend on how ties were broken: use the scores file (`quiver search
--gt-scores`, `vector_peers.py --gt-scores`) for the tie-aware recall.
  pip install numpy faiss-cpu==1.15.1
"""
import argparse
import json
import os

import numpy as np

from make_vectors import write_vecs

SETS = {
    "few-clusters": (128, "l2"),
    "many-clusters": (128, "l2"),
    "uniform-256": (256, "l2"),
    "angular-skewed": (100, "cosine"),
    "near-dups": (128, "cosine"),
}


def zipf_sizes(rng, groups, total, s):
    """`groups` sizes summing to `total`, proportional to rank^-s."""
    w = np.arange(1, groups + 1, dtype=np.float64) ** -s
    rng.shuffle(w)
    return rng.multinomial(total, w / w.sum())


def few_clusters(rng, n, q, d):
    k = 12
    centres = rng.standard_normal((k, d)) * 3.0
    scales = np.exp(rng.normal(-1.0, 0.6, (k, d)))  # per cluster, per axis
    weights = rng.dirichlet(np.full(k, 0.7))

    def draw(m):
        which = rng.choice(k, m, p=weights)
        out = np.empty((m, d), dtype=np.float32)
        for lo in range(0, m, 100_000):
            w = which[lo : lo + 100_000]
            out[lo : lo + len(w)] = centres[w] + scales[w] * rng.standard_normal((len(w), d))
        return out

    return draw(n), draw(q), {"clusters": k}


def many_clusters(rng, n, q, d):
    k = 20_000
    centres = rng.standard_normal((k, d)).astype(np.float32)
    spread = np.exp(rng.normal(np.log(0.25), 0.5, k)).astype(np.float32)
    sizes = zipf_sizes(rng, k, n + q, 0.9)
    which = np.repeat(np.arange(k), sizes)
    rng.shuffle(which)
    out = np.empty((n + q, d), dtype=np.float32)
    for lo in range(0, n + q, 100_000):
        w = which[lo : lo + 100_000]
        out[lo : lo + len(w)] = centres[w] + spread[w, None] * rng.standard_normal(
            (len(w), d), dtype=np.float32
        )
    return out[:n], out[n:], {"clusters": k, "zipf": 0.9}


def uniform(rng, n, q, d):
    return (
        rng.random((n, d), dtype=np.float32),
        rng.random((q, d), dtype=np.float32),
        {},
    )


def angular_skewed(rng, n, q, d):
    k = 300
    dirs = rng.standard_normal((k, d)).astype(np.float32)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    # Concentration per cluster: some tight, some nearly uniform on the
    # sphere.
    spread = np.exp(rng.normal(np.log(0.6), 0.5, k)).astype(np.float32) / np.sqrt(d)
    sizes = zipf_sizes(rng, k, n + q, 1.1)
    which = np.repeat(np.arange(k), sizes)
    rng.shuffle(which)
    out = np.empty((n + q, d), dtype=np.float32)
    for lo in range(0, n + q, 100_000):
        w = which[lo : lo + 100_000]
        x = dirs[w] + spread[w, None] * rng.standard_normal((len(w), d), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        norms = np.exp(rng.normal(0.0, 1.0, len(w))).astype(np.float32)
        out[lo : lo + len(w)] = x * norms[:, None]
    return out[:n], out[n:], {"clusters": k, "norm": "lognormal(0, 1)"}


def near_dups(rng, n, q, d):
    originals = n // 5
    k = 2_000
    centres = rng.standard_normal((k, d)).astype(np.float32)
    base = np.empty((n, d), dtype=np.float32)
    base[:originals] = centres[rng.integers(0, k, originals)] + 0.5 * rng.standard_normal(
        (originals, d), dtype=np.float32
    )
    copies = n - originals
    parent = np.repeat(np.arange(originals), zipf_sizes(rng, originals, copies, 1.0))
    noise = 0.01 * rng.standard_normal((copies, d), dtype=np.float32)
    noise[rng.random(copies) < 0.05] = 0.0  # exact duplicates
    base[originals:] = base[parent] + noise
    perm = rng.permutation(n)
    base = base[perm]
    queries = base[rng.integers(0, n, q)] + 0.01 * rng.standard_normal((q, d), dtype=np.float32)
    return base, queries, {"originals": originals, "copy_noise": 0.01, "exact": 0.05}


MAKERS = {
    "few-clusters": few_clusters,
    "many-clusters": many_clusters,
    "uniform-256": uniform,
    "angular-skewed": angular_skewed,
    "near-dups": near_dups,
}


def truth(base, queries, metric, k=100):
    import faiss

    d = base.shape[1]
    if metric == "l2":
        flat = faiss.IndexFlatL2(d)
        flat.add(base)
        dist, ids = flat.search(queries, k)
        return ids, np.sqrt(np.maximum(dist, 0))
    nb = base / np.linalg.norm(base, axis=1, keepdims=True)
    nq = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(d)
    flat.add(nb)
    sims, ids = flat.search(nq, k)
    return ids, sims


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--only", default=",".join(SETS))
    args = ap.parse_args()
    for i, name in enumerate(SETS):
        if name not in args.only.split(","):
            continue
        d, metric = SETS[name]
        rng = np.random.default_rng(1000 + i)
        base, queries, params = MAKERS[name](rng, args.n, args.queries, d)
        out = os.path.join(args.dir, name)
        os.makedirs(out, exist_ok=True)
        write_vecs(os.path.join(out, "base.fvecs"), base, np.float32)
        write_vecs(os.path.join(out, "queries.fvecs"), queries, np.float32)
        ids, scores = truth(base, queries, metric)
        write_vecs(os.path.join(out, f"gt_{metric}.ivecs"), ids, np.int32)
        write_vecs(os.path.join(out, f"gt_{metric}_scores.fvecs"), scores, np.float32)
        meta = {"set": name, "n": args.n, "dim": d, "metric": metric, "queries": args.queries}
        meta.update(params)
        json.dump(meta, open(os.path.join(out, "meta.json"), "w"), indent=1)
        print(f"{name}: {args.n} x {d} {metric}, {args.queries} queries", flush=True)


if __name__ == "__main__":
    main()
