#!/usr/bin/env python3
"""Summarises matrix_bench.sh against the vector-robustness targets, per
set: recall@10 at ef 32, 64 and 128 (tie-aware where the set has scores)
of each QuiverDB walk against the better of hnswlib and faiss HNSW; q/s
at recall 0.95 of the best QuiverDB walk against the faster peer (target
1.5x); the build against hnswlib's (target 1.0x).

Usage: matrix_summary.py OUT_DIR [SET ...]   (prints Markdown, writes
OUT_DIR/matrix.json)
"""
import json
import os
import sys

from ann_summary import at


def point(curve, ef, key):
    p = next((p for p in curve if p["ef"] == ef), None)
    return None if p is None else p.get(key)


def main():
    out = sys.argv[1]
    sets = sys.argv[2:] or sorted(
        s for s in os.listdir(out) if os.path.isfile(os.path.join(out, s, "peers.json"))
    )
    report = {}
    print("| set | walk | recall ef 32 / 64 / 128 | best peer | met | q/s at 0.95 | faster peer | ratio | build s | hnswlib s | ratio |")
    print("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for s in sets:
        d = os.path.join(out, s)
        peers = json.load(open(os.path.join(d, "peers.json")))
        key = "tie_recall" if point(peers["hnswlib"], 32, "tie_recall") is not None else "recall"
        best = {
            ef: max(point(peers[p], ef, key) or 0 for p in ("hnswlib", "faiss_hnsw"))
            for ef in (32, 64, 128)
        }
        peer_qps = max(at(peers[p], 0.95, key) or 0 for p in ("hnswlib", "faiss_hnsw"))
        hnsw_build = peers["hnswlib_build_s"]
        report[s] = {"key": key, "best_peer": best, "peer_qps": peer_qps, "hnswlib_build_s": hnsw_build}
        for mode in ("none", "int8", "binary"):
            path = os.path.join(d, f"quiver-{mode}.jsonl")
            if not os.path.exists(path):
                continue
            curve = [json.loads(line) for line in open(path) if line.strip()]
            build = json.load(open(os.path.join(d, f"import-{mode}.json")))["elapsed_s"]
            ours = {ef: point(curve, ef, key) for ef in (32, 64, 128)}
            met = all(ours[ef] is not None and ours[ef] >= best[ef] for ef in ours)
            qps = at(curve, 0.95, key)
            report[s][mode] = {"recall": ours, "qps_095": qps, "build_s": build, "recall_met": met}
            fmt = lambda x: "—" if x is None else f"{x:.4f}"
            print(
                f"| {s} | {mode} | {' / '.join(fmt(ours[e]) for e in (32, 64, 128))} "
                f"| {' / '.join(fmt(best[e]) for e in (32, 64, 128))} | {'yes' if met else 'NO'} "
                f"| {qps or 0:,.0f} | {peer_qps:,.0f} | {(qps or 0) / peer_qps if peer_qps else 0:.2f}x "
                f"| {build:.1f} | {hnsw_build:.1f} | {build / hnsw_build:.2f}x |"
            )
    json.dump(report, open(os.path.join(out, "matrix.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
