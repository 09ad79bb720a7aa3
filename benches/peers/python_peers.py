"""The Python package against the Rust API and against the peers' Python
APIs, in one run, on the same files.

Usage (a venv with the package built from this checkout, `maturin develop
--release` in src/python, and the peers):
  python_peers.py cypher  DATASET_DIR WORK_DIR [--quiver PATH] [--repeat 20]
  python_peers.py vectors DATASET_DIR WORK_DIR [--quiver PATH] [--only quiver,hnswlib,lancedb,chroma]
  python_peers.py load    WORK_DIR [--nodes 1000000] [--edges 9000000] [--runs 3]
  python_peers.py kernels DATASET_DIR WORK_DIR [--nodes 1000000] [--edges 9000000] [--runs 3]

cypher: the Debian statements of cypher_peers.py, each timed three ways
in turn: `quiver query --repeat N --json` (the Rust API's
Database::execute_with, the database open), `quiverdb.Database.execute`
with the rows converted to Python objects, and Kuzu 0.11.3's
Connection.execute + get_all(); medians of N. The overhead of Python is
the second minus the first.

vectors: the Debian embeddings (cosine, 1,000 queries, exact top-10
ground truth). QuiverDB from Python (one snapshot, one search call per
query, one thread; then search_many on 1 and 2 threads) and through
`quiver search --json` over an ef sweep; hnswlib 0.8.0 (M 16,
ef_construction 200), LanceDB (IVF_HNSW_SQ index, then with a flat
refine) and Chroma (HNSW, M 16, construction ef 200) over their knobs; at
each point recall@10 and queries/s.

load: a seeded power-law graph (endpoint rank ~ u^2.5, as benches/graph.rs
draws it) as pandas DataFrames, loaded by `Database.import_graph` and by
Kuzu's COPY FROM a DataFrame, each in a fresh process and directory,
alternating; wall time of the load and the process's peak RSS
(ru_maxrss; the DataFrames, built first, are in both).

  pip install kuzu==0.11.3 hnswlib==0.8.0 lancedb chromadb pandas numpy pyarrow
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def read_ivecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:]


def recall_at(found, truth, k=10):
    return float(np.mean([len(set(map(int, f[:k])) & set(map(int, t[:k]))) / k for f, t in zip(found, truth)]))


def ensure_quiver_db(quiver, data, work):
    qdb = os.path.join(work, "quiver.qdb")
    if not os.path.isdir(qdb):
        subprocess.run(
            [quiver, "import", qdb, "--nodes", os.path.join(data, "nodes.csv"),
             "--edges", os.path.join(data, "edges.csv"), "--vectors", os.path.join(data, "base.fvecs"),
             "--collection", "descriptions", "--by-order", "--label", "Package", "--key", "name"],
            check=True, capture_output=True,
        )
    return qdb


# ---------------------------------------------------------------- cypher

def cypher(args):
    import kuzu
    import quiverdb
    from cypher_peers import NAME, QUERIES, SHORTEST_KUZU, SHORTEST_QUIVER, load_kuzu, quiver_query, kuzu_query, read_fvecs

    os.makedirs(args.work, exist_ok=True)
    qdb = ensure_quiver_db(args.quiver, args.data, args.work)
    vectors = read_fvecs(os.path.join(args.data, "base.fvecs"))
    names = [r["name"] for r in csv.DictReader(open(os.path.join(args.data, "nodes.csv"), newline=""))]
    q = [float(x) for x in vectors[names.index(NAME)]]
    _kdb, conn, _ = load_kuzu(args.data, args.work, vectors)

    def python_ms(stmt, params, repeat):
        with quiverdb.Database(qdb) as db:
            db.execute(stmt, params).rows()  # plan cached, as the CLI's first run caches it
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                rows = db.execute(stmt, params).rows()
                times.append((time.perf_counter() - t) * 1e3)
        return statistics.median(times), rows

    pairs = list(csv.DictReader(open(os.path.join(args.data, "sp_pairs.csv"), newline="")))
    first = pairs[0]
    statements = [(n, qs, ks) for n, qs, ks in QUERIES] + [
        ("shortestPath, one pair", SHORTEST_QUIVER, SHORTEST_KUZU),
    ]
    out = []
    for name, qs, ks in statements:
        if "shortestPath" in name:
            params = {"a": first["src_name"], "b": first["dst_name"]}
        else:
            params = {k: v for k, v in {"name": NAME, "q": q}.items() if f"${k}" in qs}
        reps = max(3, args.repeat // 4) if "top 10" in name else args.repeat
        rust_ms, rust_rows = quiver_query(args.quiver, qdb, qs, params, reps)
        py_ms, py_rows = python_ms(qs, params, reps)
        row = {"query": name, "rust_ms": rust_ms, "python_ms": py_ms,
               "overhead_us": (py_ms - rust_ms) * 1e3,
               "rows_equal": [list(r) for r in py_rows] == rust_rows}
        row["kuzu_ms"], _ = kuzu_query(conn, ks, params, reps)
        out.append(row)
        print(json.dumps(row), file=sys.stderr)
    print(json.dumps({"cypher": out, "kuzu_version": kuzu.__version__}, indent=1))


# --------------------------------------------------------------- vectors

def timed_pass(search, queries, repeat=3):
    """Queries/s over `repeat` timed passes after one untimed warm-up pass
    (as `quiver search --repeat`), and the results of the first."""
    found = [search(q) for q in queries]
    t = time.perf_counter()
    for _ in range(repeat):
        for q in queries:
            search(q)
    return repeat * len(queries) / (time.perf_counter() - t), found


def at_recall(curve, target=0.95):
    """Queries/s at `target` recall, interpolated linearly between the two
    sweep points around it (None when the sweep never reaches it)."""
    pts = sorted((p["recall"], p["qps"]) for p in curve if p.get("recall") is not None)
    for (r0, q0), (r1, q1) in zip(pts, pts[1:]):
        if r0 <= target <= r1:
            return q0 if r1 == r0 else q0 + (q1 - q0) * (target - r0) / (r1 - r0)
    return None


def quiver_curves(args, base, queries, truth, efs, result):
    import quiverdb

    # f32 (the imported collection) and int8 codes walked with an exact
    # re-rank (built here from Python, once); through the CLI (the Rust
    # API) and from Python.
    qdb = ensure_quiver_db(args.quiver, args.data, args.work)
    int8 = os.path.join(args.work, "int8.qdb")
    if not os.path.isdir(int8):
        with quiverdb.Database(int8) as db:
            with db.write() as tx:
                tx.create_collection("descriptions", base.shape[1], quantization="int8")
                tx.upsert_vectors("descriptions", np.arange(len(base), dtype=np.uint64), base)
            db.checkpoint()
    for label, path in (("f32", qdb), ("int8", int8)):
        cli = []
        for ef in efs:
            doc = subprocess.run(
                [args.quiver, "search", path, "--collection", "descriptions", "--queries",
                 os.path.join(args.data, "queries.fvecs"), "--gt", os.path.join(args.data, "gt_cosine.ivecs"),
                 "--k", "10", "--ef", str(ef), "--repeat", "3", "--json"],
                check=True, capture_output=True, text=True,
            ).stdout
            d = json.loads(doc)
            cli.append({"ef": ef, "recall": d.get("recall"), "qps": d.get("qps")})
        result[f"quiver_cli_{label}"] = {"curve": cli, "at_0.95": at_recall(cli)}
        print(json.dumps({f"cli_{label}": cli}), file=sys.stderr)

        py, batch = [], []
        with quiverdb.Database(path) as db:
            ids = None
            if path == qdb:
                # The imported collection is bound to nodes (--by-order: the
                # i-th node imported, in id order, has row i).
                order = db.execute("MATCH (p:Package) RETURN id(p) AS i ORDER BY i").column(0)
                ids = {node: row for row, node in enumerate(order)}
            with db.read() as snap:
                for ef in efs:
                    qps, found = timed_pass(lambda q: snap.search("descriptions", q, 10, ef=ef)[0], queries)
                    if ids is not None:
                        found = [[ids[int(k)] for k in f] for f in found]
                    py.append({"ef": ef, "recall": recall_at(found, truth), "qps": qps})
                    one = two = 0.0
                    for _ in range(3):
                        t = time.perf_counter()
                        keys1, _ = snap.search_many("descriptions", queries, 10, ef=ef, threads=1)
                        one = max(one, len(queries) / (time.perf_counter() - t))
                        t = time.perf_counter()
                        keys2, _ = snap.search_many("descriptions", queries, 10, ef=ef, threads=2)
                        two = max(two, len(queries) / (time.perf_counter() - t))
                    assert (keys1 == keys2).all()
                    batch.append({"ef": ef, "qps_1_thread": one, "qps_2_threads": two, "speedup": two / one})
        result[f"quiver_python_{label}"] = {"curve": py, "at_0.95": at_recall(py)}
        result[f"quiver_python_batch_{label}"] = batch
        print(json.dumps({label: py, "batch": batch}), file=sys.stderr)


def hnswlib_curve(args, base, queries, truth, efs, result):
    import hnswlib

    index = hnswlib.Index(space="cosine", dim=base.shape[1])
    index.init_index(max_elements=len(base), M=16, ef_construction=200, random_seed=1)
    t = time.perf_counter()
    index.add_items(base, np.arange(len(base)), num_threads=2)
    build = time.perf_counter() - t
    index.set_num_threads(1)
    rows = []
    for ef in efs:
        index.set_ef(max(ef, 10))
        qps, found = timed_pass(lambda q: index.knn_query(q, k=10, num_threads=1)[0][0], queries)
        rows.append({"ef": ef, "recall": recall_at(found, truth), "qps": qps})
    result["hnswlib"] = {"build_s": build, "settings": "M 16, ef_construction 200, one knn_query per query, 1 thread",
                         "curve": rows, "at_0.95": at_recall(rows)}
    print(json.dumps({"hnswlib": rows}), file=sys.stderr)


def lancedb_curve(args, base, queries, truth, efs, result):
    import lancedb
    import pyarrow as pa

    ldir = tempfile.mkdtemp(dir=args.work)
    ldb = lancedb.connect(ldir)
    table = ldb.create_table(
        "v", pa.table({"id": np.arange(len(base)),
                       "vector": pa.FixedSizeListArray.from_arrays(pa.array(base.reshape(-1)), base.shape[1])}))
    t = time.perf_counter()
    table.create_index(metric="cosine", vector_column_name="vector", index_type="IVF_HNSW_SQ",
                       num_partitions=1, m=16, ef_construction=200)
    build = time.perf_counter() - t
    rows = []
    for ef in efs:
        for refine in (None, 2):
            def one(q, ef=ef, refine=refine):
                s = table.search(q).metric("cosine").limit(10).ef(max(ef, 10 * (refine or 1)))
                s = s.select(["id", "_distance"])
                if refine:
                    s = s.refine_factor(refine)
                return s.to_arrow()["id"].to_numpy()
            qps, found = timed_pass(one, queries, repeat=1)
            rows.append({"ef": ef, "refine_factor": refine, "recall": recall_at(found, truth), "qps": qps})
    result["lancedb"] = {"version": lancedb.__version__, "build_s": build,
                         "settings": "IVF_HNSW_SQ, 1 partition, m 16, ef_construction 200; ef sweep, refine_factor none or 2",
                         "curve": rows,
                         "at_0.95": at_recall([r for r in rows if r["refine_factor"] is None]),
                         "at_0.95_refined": at_recall([r for r in rows if r["refine_factor"] == 2])}
    print(json.dumps({"lancedb": rows}), file=sys.stderr)
    shutil.rmtree(ldir, ignore_errors=True)


def chroma_curve(args, base, queries, truth, efs, result):
    import chromadb

    # ef_search is fixed when the collection is made (modify() did not
    # change it for searches in 1.5.9): one collection per ef.
    rows, builds = [], []
    for ef in (16, 32, 64, 128):
        cdir = tempfile.mkdtemp(dir=args.work)
        client = chromadb.PersistentClient(path=cdir)
        col = client.create_collection(
            "vectors",
            configuration={"hnsw": {"space": "cosine", "max_neighbors": 16, "ef_construction": 200,
                                    "ef_search": ef}})
        t = time.perf_counter()
        step = 5000
        for i in range(0, len(base), step):
            col.add(ids=[str(j) for j in range(i, min(i + step, len(base)))], embeddings=base[i:i + step])
        builds.append(time.perf_counter() - t)
        qps, found = timed_pass(
            lambda q: [int(x) for x in col.query(query_embeddings=[q], n_results=10, include=[])["ids"][0]],
            queries, repeat=1)
        rows.append({"ef": ef, "recall": recall_at(found, truth), "qps": qps})
        print(json.dumps({"chroma": rows[-1]}), file=sys.stderr)
        del col, client
        shutil.rmtree(cdir, ignore_errors=True)
    result["chroma"] = {"version": chromadb.__version__, "build_s": statistics.median(builds),
                        "settings": "HNSW, cosine, max_neighbors 16, ef_construction 200; ef_search 16-128",
                        "curve": rows, "at_0.95": at_recall(rows)}


SYSTEMS = {"quiver": quiver_curves, "hnswlib": hnswlib_curve, "lancedb": lancedb_curve, "chroma": chroma_curve}


def vectors(args):
    from cypher_peers import read_fvecs

    os.makedirs(args.work, exist_ok=True)
    base = np.ascontiguousarray(read_fvecs(os.path.join(args.data, "base.fvecs")))
    queries = np.ascontiguousarray(read_fvecs(os.path.join(args.data, "queries.fvecs")))
    truth = read_ivecs(os.path.join(args.data, "gt_cosine.ivecs"))
    efs = [16, 24, 32, 48, 64, 96, 128]
    result = {}
    for name in args.only.split(","):
        SYSTEMS[name](args, base, queries, truth, efs, result)
    print(json.dumps(result, indent=1, default=str))


# ------------------------------------------------------------------ load

GRAPH = r"""
import numpy as np, pandas as pd
n, m = {n}, {m}
rng = np.random.default_rng(7)
def ends(size):
    return np.minimum((n * rng.random(size) ** 2.5).astype(np.int64), n - 1)
nodes = pd.DataFrame({{"id": np.arange(n, dtype=np.int64)}})
edges = pd.DataFrame({{"src": ends(m), "dst": ends(m), "w": rng.integers(1, 11, m).astype(np.float64)}})
"""

QUIVER_LOAD = r"""
import resource, sys, time, quiverdb
{graph}
t = time.perf_counter()
with quiverdb.Database(sys.argv[1]) as db:
    r = db.import_graph(nodes=nodes, edges=edges, key_label="V", edge_type="E")
secs = time.perf_counter() - t
print(secs, r["nodes"], r["edges"], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

KUZU_LOAD = r"""
import resource, sys, time, kuzu
{graph}
t = time.perf_counter()
db = kuzu.Database(sys.argv[1])
conn = kuzu.Connection(db, num_threads=2)
conn.execute("CREATE NODE TABLE V(id INT64, PRIMARY KEY(id))")
conn.execute("CREATE REL TABLE E(FROM V TO V, w DOUBLE)")
conn.execute("COPY V FROM nodes")
conn.execute("COPY E FROM edges")
conn.close(); db.close()
secs = time.perf_counter() - t
nodes_n = len(nodes); edges_n = len(edges)
print(secs, nodes_n, edges_n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def load(args):
    graph = GRAPH.format(n=args.nodes, m=args.edges)
    runs = {"quiverdb": [], "kuzu": []}
    for _ in range(args.runs):
        for name, script in (("quiverdb", QUIVER_LOAD), ("kuzu", KUZU_LOAD)):
            d = tempfile.mkdtemp(dir=args.work)
            out = subprocess.run([sys.executable, "-c", script.format(graph=graph), os.path.join(d, "db")],
                                 check=True, capture_output=True, text=True).stdout.split()
            runs[name].append({"seconds": float(out[0]), "nodes": int(out[1]), "edges": int(out[2]),
                               "peak_rss_mib": int(out[3]) / 1024})
            shutil.rmtree(d, ignore_errors=True)
            print(name, runs[name][-1], file=sys.stderr)
    summary = {
        name: {"median_s": statistics.median(r["seconds"] for r in rs),
               "median_peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in rs), "runs": rs}
        for name, rs in runs.items()
    }
    print(json.dumps({"nodes": args.nodes, "edges": args.edges, "load": summary}, indent=1))


# --------------------------------------------------------------- kernels

def kernels(args):
    """k-core and personalised PageRank against igraph: equal on the
    Debian graph (coreness exactly, ranks within 1e-9 per node), then
    timed on a seeded 1M / 9M power-law graph (kernel only; QuiverDB's
    projection is built and cached first, igraph's graph is in memory)."""
    import igraph as ig
    import pandas as pd
    import quiverdb

    out = {}
    edges = pd.read_csv(os.path.join(args.data, "edges.csv"))
    work = tempfile.mkdtemp(dir=args.work)
    for name, (src, dst) in (("debian", (edges["src"], edges["dst"])),):
        with quiverdb.Database(os.path.join(work, name)) as db:
            db.import_graph(edges={"src": src, "dst": dst}, create_missing_nodes=True)
            key = dict(db.execute("MATCH (n:Node) RETURN id(n), n.id").rows())
            core = db.kcore()
            names = sorted(set(src) | set(dst))
            pos = {k: i for i, k in enumerate(names)}
            g = ig.Graph(n=len(names), edges=list(zip(src.map(pos), dst.map(pos))), directed=True)
            theirs = g.coreness(mode="all")
            ours = {key[int(n)]: int(c) for n, c in zip(core["node"], core["coreness"])}
            out[f"{name}_kcore_equal"] = all(ours[k] == theirs[pos[k]] for k in names)
            seed = names[0]
            node_of = {v: k for k, v in key.items()}
            ppr = db.personalized_pagerank([node_of[seed]])
            ranks = {key[int(n)]: r for n, r in zip(ppr["node"], ppr["rank"])}
            reset = [0.0] * len(names)
            reset[pos[seed]] = 1.0
            ref = g.personalized_pagerank(directed=True, damping=0.85, reset=reset)
            out[f"{name}_ppr_max_diff"] = max(abs(ranks[k] - ref[pos[k]]) for k in names)
    print(json.dumps(out), file=sys.stderr)

    n, m = args.nodes, args.edges
    rng = np.random.default_rng(7)
    def ends(size):
        return np.minimum((n * rng.random(size) ** 2.5).astype(np.int64), n - 1)
    src, dst = ends(m), ends(m)
    with quiverdb.Database(os.path.join(work, "powerlaw")) as db:
        db.import_graph(nodes={"id": np.arange(n)}, edges={"src": src, "dst": dst})
        node_of = dict((b, a) for a, b in db.execute("MATCH (x:Node) RETURN id(x), x.id").rows())
        db.kcore()  # builds and caches the projection
        times = {"quiver_kcore_s": [], "quiver_ppr_s": [], "igraph_kcore_s": [], "igraph_ppr_s": []}
        g = ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=True)
        seeds = [0, 17, 4242]
        reset = [0.0] * n
        for s in seeds:
            reset[s] = 1.0
        for _ in range(args.runs):
            t = time.perf_counter(); core = db.kcore(); times["quiver_kcore_s"].append(time.perf_counter() - t)
            t = time.perf_counter(); theirs = g.coreness(mode="all"); times["igraph_kcore_s"].append(time.perf_counter() - t)
            t = time.perf_counter(); ppr = db.personalized_pagerank([node_of[s] for s in seeds]); times["quiver_ppr_s"].append(time.perf_counter() - t)
            t = time.perf_counter(); ref = g.personalized_pagerank(directed=True, damping=0.85, reset=reset); times["igraph_ppr_s"].append(time.perf_counter() - t)
        ids = db.execute("MATCH (x:Node) RETURN id(x), x.id").rows()
        key = dict(ids)
        ours_core = {key[int(a)]: int(c) for a, c in zip(core["node"], core["coreness"])}
        out["powerlaw_kcore_equal"] = all(ours_core[i] == theirs[i] for i in range(n))
        ours_ppr = {key[int(a)]: r for a, r in zip(ppr["node"], ppr["rank"])}
        out["powerlaw_ppr_max_diff"] = max(abs(ours_ppr[i] - ref[i]) for i in range(n))
    out["medians_s"] = {k: statistics.median(v) for k, v in times.items()}
    out["runs_s"] = times
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=1))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    for name in ("cypher", "vectors"):
        p = sub.add_parser(name)
        p.add_argument("data")
        p.add_argument("work")
        p.add_argument("--quiver", default="target/release/quiver")
        p.add_argument("--repeat", type=int, default=20)
        p.add_argument("--only", default="quiver,hnswlib,lancedb,chroma",
                       help="vectors: the systems to measure, comma-separated")
    p = sub.add_parser("kernels")
    p.add_argument("data")
    p.add_argument("work")
    p.add_argument("--nodes", type=int, default=1_000_000)
    p.add_argument("--edges", type=int, default=9_000_000)
    p.add_argument("--runs", type=int, default=3)
    p = sub.add_parser("load")
    p.add_argument("work")
    p.add_argument("--nodes", type=int, default=1_000_000)
    p.add_argument("--edges", type=int, default=9_000_000)
    p.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    {"cypher": cypher, "vectors": vectors, "load": load, "kernels": kernels}[args.what](args)


if __name__ == "__main__":
    main()
