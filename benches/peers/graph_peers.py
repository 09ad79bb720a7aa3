#!/usr/bin/env python3
"""Measure python-igraph and Kuzu on the same graph files as `benches/graph.rs`.

Usage: graph_peers.py DIR --nodes N [--kuzu] [--quiver BIN --work WORK]
  DIR holds `edgelist.txt` (`src dst weight` per line, node ids 0..n-1) and
  `pairs.txt` (`src dst` per line), as written by `cargo bench --bench graph`
  under target/bench-data/<graph>/ (for Debian, pass the shared dataset's
  edgelist via --edges).

Prints one JSON object: build time, WCC/SCC time and counts, and the median
single-pair shortest-path times (unweighted and weighted). With --quiver, the
same edge list is imported by `quiver import` into WORK, then `quiver
components` runs as a user runs it — a new process each time, end to end
(open, projection, kernel), wall-clock — three times (the first builds the
projection, the later ones read the one the first stored), and `quiver path
--pairs` twice over the pairs (unweighted, each pair once per process: the
first process starts with a cold block cache), then twice weighted over the
first 20 pairs. Peers are
installed from pip in a venv outside the repository:
  pip install igraph==1.0.0 kuzu==0.11.3
"""
import argparse
import json
import os
import shutil
import statistics
import tempfile
import time


def read_pairs(path):
    with open(path) as f:
        return [tuple(int(x) for x in line.split()) for line in f if line.strip()]


def igraph_run(edges_path, pairs, nodes):
    import igraph as ig

    t = time.perf_counter()
    src, dst, w = [], [], []
    with open(edges_path) as f:
        for line in f:
            a, b, c = line.split()
            src.append(int(a))
            dst.append(int(b))
            w.append(float(c))
    g = ig.Graph(n=nodes, edges=list(zip(src, dst)), directed=True)
    g.es["w"] = w
    build = time.perf_counter() - t
    out = {"build_s": build}
    for mode in ("weak", "strong"):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            cc = g.connected_components(mode=mode)
            times.append(time.perf_counter() - t)
        out[f"{mode}_ms"] = statistics.median(times) * 1000
        out[f"{mode}_count"] = len(cc)
        out[f"{mode}_largest"] = max(cc.sizes())
    for label, weights in (("unweighted", None), ("weighted", "w")):
        times = []
        # Weighted single-pair searches take over a second each on the
        # 9M-edge graph: the first 20 pairs give the median.
        for a, b in pairs if weights is None else pairs[:20]:
            t = time.perf_counter()
            g.get_shortest_path(a, b, weights=weights, mode="out")
            times.append(time.perf_counter() - t)
        out[f"path_{label}_median_ms"] = statistics.median(times) * 1000
    return out


def kuzu_run(edges_path, pairs, nodes):
    import kuzu

    tmp = tempfile.mkdtemp()
    try:
        db = kuzu.Database(os.path.join(tmp, "db"))
        conn = kuzu.Connection(db, num_threads=2)
        nodes_csv = os.path.join(tmp, "nodes.csv")
        with open(nodes_csv, "w") as f:
            for i in range(nodes):
                f.write(f"{i}\n")
        conn.execute("CREATE NODE TABLE V(id INT64, PRIMARY KEY(id))")
        conn.execute("CREATE REL TABLE E(FROM V TO V, w DOUBLE)")
        t = time.perf_counter()
        conn.execute(f"COPY V FROM '{nodes_csv}'")
        t_nodes = time.perf_counter() - t
        # Kuzu picks the reader by file extension: link the list as .csv.
        edges_csv = os.path.join(tmp, "edges.csv")
        os.symlink(os.path.abspath(edges_path), edges_csv)
        t = time.perf_counter()
        conn.execute(f"COPY E FROM '{edges_csv}' (DELIM=' ', HEADER=false)")
        t_edges = time.perf_counter() - t
        out = {"load_nodes_s": t_nodes, "load_edges_s": t_edges}
        conn.execute("INSTALL algo")
        conn.execute("LOAD algo")
        conn.execute("CALL project_graph('G', ['V'], ['E'])")
        for name, fn in (("weak", "weakly_connected_components"), ("strong", "strongly_connected_components")):
            times = []
            for _ in range(3):
                t = time.perf_counter()
                res = conn.execute(f"CALL {fn}('G') RETURN group_id, count(*) AS c ORDER BY c DESC")
                rows = res.get_all()
                times.append(time.perf_counter() - t)
            out[f"{name}_ms"] = statistics.median(times) * 1000
            out[f"{name}_count"] = len(rows)
            out[f"{name}_largest"] = rows[0][1] if rows else 0
        times = []
        for a, b in pairs[:20]:
            t = time.perf_counter()
            conn.execute(
                "MATCH p = (a:V)-[:E* SHORTEST 1..30]->(b:V) WHERE a.id = $a AND b.id = $b RETURN length(p)",
                {"a": a, "b": b},
            ).get_all()
            times.append(time.perf_counter() - t)
        out["path_unweighted_median_ms"] = statistics.median(times) * 1000
        times = []
        for a, b in pairs[:10]:
            t = time.perf_counter()
            conn.execute(
                "MATCH p = (a:V)-[e:E* WSHORTEST(w)]->(b:V) WHERE a.id = $a AND b.id = $b RETURN cost(e)",
                {"a": a, "b": b},
            ).get_all()
            times.append(time.perf_counter() - t)
        out["path_weighted_median_ms"] = statistics.median(times) * 1000
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def quiver_run(quiver, edges_path, pairs_path, work):
    import subprocess

    db = os.path.join(work, "graph.qdb")
    shutil.rmtree(db, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([quiver, "import", db, "--edges", edges_path], check=True, capture_output=True)
    out = {"import_s": time.perf_counter() - t, "wcc_runs": [], "path_runs_median_ms": []}
    for _ in range(3):
        t = time.perf_counter()
        res = subprocess.run([quiver, "components", db, "--json"], check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t
        doc = json.loads(res.stdout)
        out["wcc_runs"].append({"wall_s": wall, "projection": doc.get("projection"),
                                "projection_ms": doc["projection_ms"], "kernel_ms": doc["elapsed_ms"],
                                "count": doc["count"], "largest": doc["largest"]})
    out["wcc_median_s"] = statistics.median(r["wall_s"] for r in out["wcc_runs"])
    for _ in range(2):
        res = subprocess.run([quiver, "path", db, "--pairs", pairs_path, "--json"], check=True,
                             capture_output=True, text=True)
        out["path_runs_median_ms"].append(json.loads(res.stdout)["median_us"] / 1000)
    # Weighted by the edge list's third column (imported as `weight`), over
    # the first 20 pairs, as igraph's weighted figure.
    first20 = os.path.join(work, "pairs20.txt")
    with open(pairs_path) as f, open(first20, "w") as g:
        g.writelines(f.readlines()[:20])
    out["weighted_path_runs_median_ms"] = []
    for _ in range(2):
        res = subprocess.run([quiver, "path", db, "--pairs", first20, "--weight", "weight", "--json"],
                             check=True, capture_output=True, text=True)
        out["weighted_path_runs_median_ms"].append(json.loads(res.stdout)["median_us"] / 1000)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--edges", help="edge list (default DIR/edgelist.txt)")
    ap.add_argument("--nodes", type=int, required=True)
    ap.add_argument("--kuzu", action="store_true")
    ap.add_argument("--quiver", help="the quiver binary: import and run the same graph")
    ap.add_argument("--work", help="a folder for QuiverDB's database (with --quiver)")
    args = ap.parse_args()
    edges = args.edges or os.path.join(args.dir, "edgelist.txt")
    pairs = read_pairs(os.path.join(args.dir, "pairs.txt"))
    result = {}
    if args.quiver:
        result["quiver"] = quiver_run(args.quiver, edges, os.path.join(args.dir, "pairs.txt"),
                                      args.work or tempfile.mkdtemp())
    result["igraph"] = igraph_run(edges, pairs, args.nodes)
    if args.kuzu:
        result["kuzu"] = kuzu_run(edges, pairs, args.nodes)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
