"""Cypher on the Debian package graph: QuiverDB against Kuzu, both
embedded, both loaded from the same files, the queries run in the same
session, alternating per query.

Usage: cypher_peers.py DATASET_DIR WORK_DIR [--quiver PATH] [--repeat 20]

DATASET_DIR holds nodes.csv, edges.csv, base.fvecs and sp_pairs.csv
(../shared/datasets/debian). WORK_DIR (outside the repository) receives
both databases. QuiverDB: `quiver import` (nodes keyed by name under
Package, edges by type, the vectors as the node-bound collection
`descriptions`), then each query through `quiver query --repeat N
--json`, whose elapsed_ms is the statement's own median time with the
database open (parse, plan, run, results collected). Kuzu 0.11.3 (Python
API): a Package node table (name primary key, the CSV's columns and a
FLOAT[384] embedding), one relationship table per edge type, its vector
index (extension `vector`, cosine); each query through Connection.execute
with the result fetched, median of N. Prints one JSON document.

  python3 -m venv ~/kuzu-venv && ~/kuzu-venv/bin/pip install kuzu==0.11.3 numpy pyarrow
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time

import kuzu
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NAME = "curl"

# (name, QuiverDB statement, Kuzu statement); $name / $q are parameters.
QUERIES = [
    (
        "point lookup by name",
        "MATCH (p:Package {name: $name}) RETURN p.name, p.version, p.installed_size",
        "MATCH (p:Package) WHERE p.name = $name RETURN p.name, p.version, p.installed_size",
    ),
    (
        "1-hop, filter, aggregate",
        "MATCH (p:Package {name: $name})-[:DEPENDS]->(d) WHERE d.installed_size > 100 "
        "RETURN count(d) AS n, sum(d.installed_size) AS size",
        "MATCH (p:Package)-[:DEPENDS]->(d:Package) WHERE p.name = $name AND d.installed_size > 100 "
        "RETURN count(d) AS n, sum(d.installed_size) AS size",
    ),
    (
        "2-hop, filter, aggregate",
        "MATCH (p:Package {name: $name})-[:DEPENDS]->()-[:DEPENDS]->(d) WHERE d.section = 'libs' "
        "RETURN count(DISTINCT d) AS n",
        "MATCH (p:Package)-[:DEPENDS]->(:Package)-[:DEPENDS]->(d:Package) "
        "WHERE p.name = $name AND d.section = 'libs' RETURN count(DISTINCT d) AS n",
    ),
    (
        "reachability *1..3",
        "MATCH (p:Package {name: $name})-[:DEPENDS*1..3]->(d) RETURN count(DISTINCT d) AS n",
        "MATCH (p:Package)-[:DEPENDS*1..3]->(d:Package) WHERE p.name = $name "
        "RETURN count(DISTINCT d) AS n",
    ),
    (
        "top 10 by in-degree",
        "MATCH (p:Package)<-[:DEPENDS]-() RETURN p.name AS name, count(*) AS deg "
        "ORDER BY deg DESC, name LIMIT 10",
        "MATCH (p:Package)<-[:DEPENDS]-(:Package) RETURN p.name AS name, count(*) AS deg "
        "ORDER BY deg DESC, name LIMIT 10",
    ),
    (
        "kNN 10 then 1-hop",
        "CALL db.index.vector.queryNodes('descriptions', 10, $q) YIELD node, score "
        "MATCH (node)-[:DEPENDS]->(d) RETURN node.name AS name, count(d) AS deps ORDER BY name",
        "CALL QUERY_VECTOR_INDEX('Package', 'desc_idx', $q, 10) WITH node, distance "
        "MATCH (node)-[:DEPENDS]->(d:Package) RETURN node.name AS name, count(d) AS deps ORDER BY name",
    ),
]

SHORTEST_QUIVER = (
    "MATCH (a:Package {name: $a}), (b:Package {name: $b}) "
    "MATCH p = shortestPath((a)-[*]->(b)) RETURN length(p) AS hops"
)
SHORTEST_KUZU = (
    "MATCH p = (a:Package)-[* SHORTEST 1..30]->(b:Package) "
    "WHERE a.name = $a AND b.name = $b RETURN length(p) AS hops"
)


def read_fvecs(path):
    data = np.fromfile(path, dtype=np.int32)
    dim = data[0]
    return data.reshape(-1, dim + 1)[:, 1:].view(np.float32)


def cypher_literal(v):
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(v, list):
        return "[" + ", ".join(cypher_literal(x) for x in v) + "]"
    return repr(v)


def quiver_query(quiver, db, stmt, params, repeat):
    cmd = [quiver, "query", db, stmt, "--json", "--repeat", str(repeat)]
    for k, v in params.items():
        cmd += ["--param", f"{k}={cypher_literal(v)}"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"quiver query failed: {out.stderr}")
    doc = json.loads(out.stdout)
    return doc["elapsed_ms"], doc["rows"]


def kuzu_query(conn, stmt, params, repeat):
    times = []
    rows = None
    for _ in range(repeat):
        t = time.perf_counter()
        res = conn.execute(stmt, params)
        rows = res.get_all()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times), rows


def load_kuzu(data, work, vectors):
    path = os.path.join(work, "kuzu")
    for old in (path, path + ".wal"):
        if os.path.isdir(old):
            shutil.rmtree(old)
        elif os.path.exists(old):
            os.remove(old)
    # Staging (not timed): a parquet of the nodes with their embeddings,
    # one CSV of edges per type.
    with open(os.path.join(data, "nodes.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    cols = ["name", "version", "section", "priority", "installed_size", "maintainer", "description"]
    table = {c: [r[c] for r in rows] for c in cols}
    table["installed_size"] = [int(x) if x else None for x in table["installed_size"]]
    table["embedding"] = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])
    nodes_pq = os.path.join(work, "nodes.parquet")
    pq.write_table(pa.table(table), nodes_pq)
    types = {}
    with open(os.path.join(data, "edges.csv"), newline="") as f:
        for r in csv.DictReader(f):
            types.setdefault(r["type"], []).append((r["src"], r["dst"], r["weight"]))
    edge_files = {}
    for t, es in types.items():
        p = os.path.join(work, f"edges_{t}.csv")
        with open(p, "w", newline="") as f:
            csv.writer(f).writerows(es)
        edge_files[t] = p
    t0 = time.perf_counter()
    db = kuzu.Database(path)
    conn = kuzu.Connection(db, num_threads=2)
    conn.execute(
        "CREATE NODE TABLE Package(name STRING PRIMARY KEY, version STRING, section STRING, "
        "priority STRING, installed_size INT64, maintainer STRING, description STRING, "
        f"embedding FLOAT[{vectors.shape[1]}])"
    )
    conn.execute(f"COPY Package FROM '{nodes_pq}'")
    for t, p in edge_files.items():
        conn.execute(f"CREATE REL TABLE {t}(FROM Package TO Package, weight DOUBLE)")
        conn.execute(f"COPY {t} FROM '{p}' (HEADER=false)")
    t1 = time.perf_counter()
    conn.execute("INSTALL vector")
    conn.execute("LOAD vector")
    conn.execute("CALL CREATE_VECTOR_INDEX('Package', 'desc_idx', 'embedding', metric := 'cosine')")
    t2 = time.perf_counter()
    return db, conn, {"graph_s": t1 - t0, "vector_index_s": t2 - t1}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("work")
    ap.add_argument("--quiver", default="target/release/quiver")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=100)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    vectors = read_fvecs(os.path.join(args.data, "base.fvecs"))
    names = [r["name"] for r in csv.DictReader(open(os.path.join(args.data, "nodes.csv"), newline=""))]
    q = [float(x) for x in vectors[names.index(NAME)]]

    qdb = os.path.join(args.work, "quiver.qdb")
    shutil.rmtree(qdb, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run(
        [args.quiver, "import", qdb, "--nodes", os.path.join(args.data, "nodes.csv"),
         "--edges", os.path.join(args.data, "edges.csv"), "--vectors", os.path.join(args.data, "base.fvecs"),
         "--collection", "descriptions", "--by-order", "--label", "Package", "--key", "name"],
        check=True, capture_output=True,
    )
    quiver_load = time.perf_counter() - t
    db, conn, kuzu_load = load_kuzu(args.data, args.work, vectors)

    results = []
    for name, qs, ks in QUERIES:
        params = {k: v for k, v in {"name": NAME, "q": q}.items() if f"${k}" in qs}
        reps = max(3, args.repeat // 4) if "top 10" in name else args.repeat
        quiver_ms, quiver_rows = quiver_query(args.quiver, qdb, qs, params, reps)
        kuzu_ms, kuzu_rows = kuzu_query(conn, ks, params, reps)
        results.append({
            "query": name, "quiver_ms": quiver_ms, "kuzu_ms": kuzu_ms,
            "quiver_rows": quiver_rows[:10], "kuzu_rows": [list(r) for r in kuzu_rows][:10],
        })
        print(f"{name}: quiver {quiver_ms:.3f} ms, kuzu {kuzu_ms:.3f} ms", file=sys.stderr)

    pairs = list(csv.DictReader(open(os.path.join(args.data, "sp_pairs.csv"), newline="")))[: args.pairs]
    qt, kt, agree = [], [], 0
    for p in pairs:
        params = {"a": p["src_name"], "b": p["dst_name"]}
        ms, rows = quiver_query(args.quiver, qdb, SHORTEST_QUIVER, params, 3)
        qt.append(ms)
        kms, krows = kuzu_query(conn, SHORTEST_KUZU, params, 3)
        kt.append(kms)
        if rows and krows and rows[0][0] == krows[0][0] == int(p["hops"]):
            agree += 1
    results.append({
        "query": f"shortestPath, {len(pairs)} pairs (median per pair)",
        "quiver_ms": statistics.median(qt), "kuzu_ms": statistics.median(kt),
        "hops_agree_with_reference": agree,
    })
    print(f"shortestPath: quiver {statistics.median(qt):.3f} ms, kuzu {statistics.median(kt):.3f} ms, "
          f"{agree}/{len(pairs)} agree", file=sys.stderr)
    qsum = sum(r["quiver_ms"] for r in results)
    ksum = sum(r["kuzu_ms"] for r in results)
    print(json.dumps({
        "load_s": {"quiver": quiver_load, "kuzu": kuzu_load},
        "queries": results,
        "sum_of_medians_ms": {"quiver": qsum, "kuzu": ksum, "ratio": qsum / ksum},
        "kuzu_version": kuzu.__version__,
    }, indent=1, default=str))


if __name__ == "__main__":
    main()
