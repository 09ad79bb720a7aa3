"""Writes a seeded clustered vector set with exact ground truth, for the
1M x 128 L2 comparison: DIR/base.fvecs, DIR/queries.fvecs, DIR/gt_l2.ivecs.

Usage: make_vectors.py DIR [--n 1000000] [--dim 128] [--queries 1000]

Points: 1,000 Gaussian centres (N(0, 1) per component), each point a
centre plus N(0, 0.35^2) noise; queries drawn the same way (not in the
base). Ground truth: exact top-100 by L2 (faiss IndexFlatL2).
  pip install numpy faiss-cpu==1.15.1
"""
import argparse
import os

import numpy as np


def write_vecs(path, rows, dtype):
    rows = np.ascontiguousarray(rows.astype(dtype))
    n, d = rows.shape
    out = np.empty((n, d + 1), dtype=np.int32)
    out[:, 0] = d
    out[:, 1:] = rows.view(np.int32)
    out.tofile(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--queries", type=int, default=1000)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((1000, args.dim)).astype(np.float32)

    def draw(n):
        which = rng.integers(0, len(centres), n)
        return centres[which] + 0.35 * rng.standard_normal((n, args.dim)).astype(np.float32)

    base = draw(args.n)
    queries = draw(args.queries)
    write_vecs(os.path.join(args.dir, "base.fvecs"), base, np.float32)
    write_vecs(os.path.join(args.dir, "queries.fvecs"), queries, np.float32)
    import faiss

    flat = faiss.IndexFlatL2(args.dim)
    flat.add(base)
    _, gt = flat.search(queries, 100)
    write_vecs(os.path.join(args.dir, "gt_l2.ivecs"), gt, np.int32)
    print(f"wrote {args.n} x {args.dim} base, {args.queries} queries, top-100 ground truth")


if __name__ == "__main__":
    main()
