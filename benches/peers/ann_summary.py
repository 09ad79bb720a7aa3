#!/usr/bin/env python3
"""Summarises one run of ann_bench.sh: q/s at recall@10 0.95 (interpolated
linearly between the two ef values around it) for QuiverDB's modes and the
peers, by the ground truth's ids and, where the run has them, by the
tie-aware recall; build times; 2-thread scaling; index memory per vector.
Also writes OUT/curve-<mode>.json for plot_curve.py.

Usage: ann_summary.py OUT_DIR
"""
import json
import os
import sys


def at(curve, target, key="recall"):
    """Queries/s where `key` crosses `target` (None if it never does)."""
    pts = sorted((p["ef"], p[key], p["qps"]) for p in curve if p.get(key) is not None)
    for (e0, r0, q0), (e1, r1, q1) in zip(pts, pts[1:]):
        if r0 < target <= r1:
            return q0 + (q1 - q0) * (target - r0) / (r1 - r0)
    if pts and pts[0][1] >= target:
        return pts[0][2]
    return None


def fmt(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def main():
    out = sys.argv[1]
    peers = json.load(open(os.path.join(out, "peers.json")))
    n = peers["n"]
    rows = []
    for mode in ("none", "int8", "binary"):
        path = os.path.join(out, f"quiver-{mode}.jsonl")
        if not os.path.exists(path):
            continue
        curve = [json.loads(line) for line in open(path) if line.strip()]
        json.dump(curve, open(os.path.join(out, f"curve-{mode}.json"), "w"))
        build = json.load(open(os.path.join(out, f"import-{mode}.json")))["elapsed_s"]
        stats = json.load(open(os.path.join(out, f"stats-{mode}.json")))
        index = stats["collections"][0]["index"]
        mem = index["memory_bytes"] / n
        walk = index.get("walk_bytes")
        walk = walk / n if walk is not None else None
        threads = [json.loads(line) for line in open(os.path.join(out, f"threads-{mode}.jsonl"))]
        one = sorted(t["qps"] for t in threads if t["threads"] == 1)
        two = sorted(t["qps"] for t in threads if t["threads"] == 2)
        scaling = two[-1] / one[-1] if one and two else None
        rows.append((f"QuiverDB {mode}", curve, build, mem, walk, scaling))
    for key, name in (("hnswlib", "hnswlib 0.8.0"), ("faiss_hnsw", "faiss HNSWFlat")):
        build = peers.get(f"{key}_build_s")
        mem = peers.get("hnswlib_rss_growth_bytes_per_vector") if key == "hnswlib" else None
        rows.append((name, peers[key], build, mem, mem, None))
    best_peer = max(
        at(peers[k], 0.95) or 0 for k in ("hnswlib", "faiss_hnsw")
    )
    ties = all(any("tie_recall" in p and p["tie_recall"] is not None for p in r[1]) for r in rows)
    best_peer_tie = max(at(peers[k], 0.95, "tie_recall") or 0 for k in ("hnswlib", "faiss_hnsw")) if ties else None
    print(f"n {n}, dim {peers['dim']}, {peers['metric']}")
    header = "| | build s | q/s at recall 0.95 | vs best peer |"
    if ties:
        header += " q/s at tie-aware 0.95 | vs best peer |"
    header += " recall at ef 32 | index bytes/vector | walk bytes/vector | vs hnswlib | 2 threads / 1 |"
    hnsw_mem = peers.get("hnswlib_rss_growth_bytes_per_vector")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for name, curve, build, mem, walk, scaling in rows:
        q = at(curve, 0.95)
        line = f"| {name} | {fmt(build, 1)} | {fmt(q)} | {fmt(q / best_peer if q else None, 2)}x |"
        if ties:
            qt = at(curve, 0.95, "tie_recall")
            line += f" {fmt(qt)} | {fmt(qt / best_peer_tie if qt else None, 2)}x |"
        ef32 = next((p for p in curve if p["ef"] == 32), None)
        r32 = "—" if ef32 is None else f"{ef32['recall']:.4f}" + (
            f" ({ef32['tie_recall']:.4f})" if ef32.get("tie_recall") is not None else ""
        )
        ratio = walk / hnsw_mem if walk and hnsw_mem else None
        line += f" {r32} | {fmt(mem)} | {fmt(walk)} | {fmt(ratio, 3)}x | {fmt(scaling, 2)} |"
        print(line)
    print()
    print("| ef | " + " | ".join(r[0] for r in rows) + " |")
    print("|---:|" + "---|" * len(rows))
    efs = sorted({p["ef"] for r in rows for p in r[1]})
    for ef in efs:
        cells = []
        for r in rows:
            p = next((p for p in r[1] if p["ef"] == ef), None)
            cells.append("" if p is None else f"{p['recall']:.4f} / {p['qps']:,.0f}")
        print(f"| {ef} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
