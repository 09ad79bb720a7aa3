"""What a vector index over a node property costs the writes that feed it
(CREATE VECTOR INDEX, SET of the property) and what its search takes, on
QuiverDB alone, through `quiver query` processes (each one statement, its
elapsed_ms with the database open, its peak RSS).

Usage: vector_property_cost.py WORK_DIR [--nodes 20000] [--dim 384]
                               [--quiver PATH] [--repeat 20]

Steps, each timed:
* create: `UNWIND range(0, N - 1) AS i CREATE (:Chunk {id: i, embedding:
  [x IN range(1, dim) | rand()]})` into an empty database (no index);
  the directory is then copied, so that the two SETs below start alike.
* index: `CREATE VECTOR INDEX chunks FOR (c:Chunk) ON c.embedding
  OPTIONS {indexConfig: {vector.dimensions: dim}}` — the fill of N points,
  HNSW insertion at commit included.
* set (indexed) / set (plain copy): `MATCH (c:Chunk) SET c.embedding =
  [x IN range(1, dim) | rand()]` — N property writes, each feeding the
  index in the first, none in the second.
* search: `CALL db.index.vector.queryNodes('chunks', 10, $v) YIELD node,
  score RETURN node.id, score` with a fixed random vector, --repeat runs,
  the median.

Prints one JSON document.

  python3 benches/peers/vector_property_cost.py /tmp/vp-work
"""
import argparse
import json
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from social_peers import default_quiver, mb, run_measured  # noqa: E402


def query(quiver, db, stmt, repeat=1, params=None, create=False):
    cmd = [quiver, "query", db, stmt, "--json", "--repeat", str(repeat)]
    if create:
        cmd.append("--create")
    for k, v in (params or {}).items():
        cmd += ["--param", f"{k}={v}"]
    rc, out, err, peak, wall = run_measured(cmd)
    if rc != 0:
        sys.exit(f"{stmt[:60]}...: {err}")
    doc = json.loads(out)
    return {"ms": doc["elapsed_ms"], "peak_rss_mb": mb(peak), "wall_s": round(wall, 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--nodes", type=int, default=20_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--quiver", default=default_quiver())
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    db = os.path.join(args.work, "indexed.qdb")
    plain = os.path.join(args.work, "plain.qdb")
    for d in (db, plain):
        shutil.rmtree(d, ignore_errors=True)
    n, dim = args.nodes, args.dim
    embedding = f"[x IN range(1, {dim}) | rand()]"
    out = {"nodes": n, "dim": dim}
    out["create"] = query(
        args.quiver, db,
        f"UNWIND range(0, {n - 1}) AS i CREATE (:Chunk {{id: i, embedding: {embedding}}})",
        create=True)
    shutil.copytree(db, plain)
    out["index"] = query(
        args.quiver, db,
        f"CREATE VECTOR INDEX chunks FOR (c:Chunk) ON c.embedding "
        f"OPTIONS {{indexConfig: {{`vector.dimensions`: {dim}}}}}")
    out["set_indexed"] = query(args.quiver, db, f"MATCH (c:Chunk) SET c.embedding = {embedding}")
    out["set_plain"] = query(args.quiver, plain, f"MATCH (c:Chunk) SET c.embedding = {embedding}")
    rng = random.Random(7)
    v = "[" + ", ".join(f"{rng.random():.6f}" for _ in range(dim)) + "]"
    out["search"] = query(
        args.quiver, db,
        "CALL db.index.vector.queryNodes('chunks', 10, $v) YIELD node, score RETURN node.id, score",
        repeat=args.repeat, params={"v": v})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
