#!/usr/bin/env python3
"""Leiden and Louvain: QuiverDB's `quiver algo` against igraph on the same
edge lists, modularity judged by one referee (igraph's `modularity` on the
undirected multigraph, which is how both read a directed edge list).

Usage:
  community_peers.py WORK --quiver target/release/quiver \
      [--debian ../shared/datasets/debian] [--powerlaw 1000000,9000000] \
      [--seeds 10]

For each graph: `quiver import` of the edge list, then per seed `quiver algo
DB leiden|louvain --seed S --json --output F` (the kernel's own time, the
projection built first and not counted) and igraph's
`community_leiden(objective_function="modularity")` (its default two
iterations; QuiverDB's default is three) and `community_multilevel()` on the same
graph in memory (seeded through Python's `random`), each seed's runs back
to back (QuiverDB, then igraph). Prints one JSON object:
per graph and method, the mean modularity over the seeds and the median
time. The power-law graph is the seeded generator of `python_peers.py
kernels` (endpoint rank ∝ u^2.5, seed 7). Peers from pip in a venv
outside the repository: igraph==1.0.0 (and numpy).
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

import numpy as np


def powerlaw(n, m, path):
    rng = np.random.default_rng(7)

    def ends(size):
        return np.minimum((n * rng.random(size) ** 2.5).astype(np.int64), n - 1)

    src, dst = ends(m), ends(m)
    np.savetxt(path, np.column_stack([src, dst]), fmt="%d")
    return n, src, dst


def read_edges(path):
    data = np.loadtxt(path, dtype=np.int64, usecols=(0, 1))
    return data[:, 0], data[:, 1]


def run_quiver(args, db, algorithm, seed, out):
    cmd = [args.quiver, "algo", db, algorithm, "--seed", str(seed), "--json", "--output", out]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    summary = json.loads(done.stdout)
    membership = {}
    with open(out) as f:
        for line in f:
            k, c = line.split()
            membership[int(k)] = int(c)
    return summary, membership


def measure(args, name, n, src, dst, edge_file):
    import igraph as ig

    db = os.path.join(args.work, f"{name}.qdb")
    if not os.path.exists(db):
        subprocess.run([args.quiver, "import", db, "--edges", edge_file], check=True,
                       capture_output=True)
    g = ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=False)
    out = {"nodes": n, "edges": int(len(src))}
    part = os.path.join(args.work, f"{name}-membership.txt")
    # Per seed, QuiverDB and then igraph, back to back: the VM's speed
    # drifts by up to 2x within minutes, so both see the same minutes.
    for ours, theirs in (("leiden", "leiden"), ("louvain", "multilevel")):
        runs = {"quiver": ([], [], []), "igraph": ([], [], [])}
        for seed in range(args.seeds):
            if "quiver" in args.only:
                times, q, counts = runs["quiver"]
                summary, of = run_quiver(args, db, ours, seed, part)
                # A node no edge names is not in the database: alone, it
                # adds nothing to modularity whatever its community.
                membership = [of.get(v, n + v) for v in range(n)]
                times.append(summary["elapsed_ms"] / 1e3)
                q.append(g.modularity(membership))
                counts.append(summary["communities"])
                print(name, "quiver", ours, seed, times[-1], q[-1], summary.get("quality"), file=sys.stderr)
            if "igraph" in args.only:
                times, q, counts = runs["igraph"]
                random.seed(seed)
                t = time.perf_counter()
                if theirs == "leiden":
                    c = g.community_leiden(objective_function="modularity", n_iterations=2)
                else:
                    c = g.community_multilevel()
                times.append(time.perf_counter() - t)
                q.append(g.modularity(c.membership))
                counts.append(len(c))
                print(name, "igraph", theirs, seed, times[-1], q[-1], file=sys.stderr)
        for system, method in (("quiver", ours), ("igraph", theirs)):
            times, q, counts = runs[system]
            if times:
                out[f"{system}_{method}"] = {
                    "modularity_mean": statistics.mean(q), "modularity_min": min(q),
                    "modularity_max": max(q), "median_s": statistics.median(times),
                    "communities_median": statistics.median(counts), "runs_s": times,
                }
    for ours, theirs in (("leiden", "leiden"), ("louvain", "multilevel")):
        a, b = out.get(f"quiver_{ours}"), out.get(f"igraph_{theirs}")
        if a and b:
            out[f"{ours}_time_ratio"] = a["median_s"] / b["median_s"]
            out[f"{ours}_modularity_diff"] = a["modularity_mean"] - b["modularity_mean"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--quiver", default="target/release/quiver")
    ap.add_argument("--debian", help="the shared Debian dataset folder")
    ap.add_argument("--powerlaw", default="1000000,9000000", help="N,M, or 'none'")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--only", default="quiver,igraph", help="the systems to measure")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    result = {}
    if args.debian:
        edge_file = os.path.join(args.debian, "edgelist.txt")
        src, dst = read_edges(edge_file)
        n = int(max(src.max(), dst.max())) + 1
        result["debian"] = measure(args, "debian", n, src, dst, edge_file)
    if args.powerlaw != "none":
        n, m = (int(x) for x in args.powerlaw.split(","))
        edge_file = os.path.join(args.work, f"powerlaw-{n}-{m}.txt")
        if not os.path.exists(edge_file):
            powerlaw(n, m, edge_file)
        src, dst = read_edges(edge_file)
        result["powerlaw"] = measure(args, f"powerlaw-{n}-{m}", n, src, dst, edge_file)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
