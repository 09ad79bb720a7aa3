"""QuiverDB's full-text search on the Debian package corpus, measured the
way benches/peers/fulltext_peers.py measures tantivy, and compared with
that script's top-10 dump.

Usage: fulltext_quiver.py [--quiver BIN] [--data DIR] [--work DIR]
                          [--tantivy-dump FILE] [--out FILE] [--runs 3]
                          [--incremental 1000]

Run fulltext_peers.py first (it writes the tantivy dump), with a release
build of the CLI (`cargo build --release`), e.g.:

  ~/py-venv/bin/python benches/peers/fulltext_peers.py
  ~/py-venv/bin/python benches/peers/fulltext_quiver.py

* Corpus: the same documents (node per package; fields description and
  long_description), imported with `quiver import --fulltext
  desc:Package:description,long_description:alphanumeric` (tantivy's
  default tokenizer). Build time: the importer's `fulltext:index` stage
  (reading the text from the graph, analysing on 2 threads, writing the
  index, committing), median of --runs imports into fresh directories.
  Size: `quiver stats --compact` of the database with the index minus the
  same import without it.
* Queries: the same OR queries (each query's tokens, space-separated: a
  disjunction over both fields) and 2-term phrase queries (the first two
  tokens, quoted), timed by `quiver search --fulltext --query-file`
  (single thread, top-10, after a warm-up pass).
* Scores: for each query, our top-10 against tantivy's: every id both
  lists share must score within 1e-3 relative; the lists must be equal
  but for ties (a position where the ids differ must hold equal scores in
  both lists, within 1e-3).
* Incremental: the corpus without its last --incremental documents
  imported with the index, then those documents added one commit each
  (`quiver query CREATE ...`, one process per commit); OR-query p50 then
  compared with the bulk-built index's.
* Quality (MRR@10, recall@10 of source_id): our BM25; hybrid with the
  dataset's embeddings (a node-bound collection of base.fvecs, queried
  with queries.fvecs) fused by reciprocal rank and by weighted scores
  (`quiver search --fulltext --collection --queries`).
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fulltext_peers import quality, tokens  # noqa: E402

csv.field_size_limit(1 << 30)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    return p.stdout


def import_db(quiver, path, nodes, fulltext=True, vectors=None):
    shutil.rmtree(path, ignore_errors=True)
    cmd = [quiver, "import", path, "--nodes", nodes, "--label", "Package", "--key", "id", "--json"]
    if fulltext:
        cmd += ["--fulltext", "desc:Package:description,long_description:alphanumeric"]
    if vectors:
        cmd += ["--vectors", vectors, "--collection", "emb", "--by-order"]
    report = json.loads(run(cmd))
    stages = {s["stage"]: s["seconds"] for s in report["stages"]}
    return report, stages


def search(quiver, db, query_file, extra=()):
    out = run([quiver, "search", db, "--fulltext", "desc", "--query-file", query_file,
               "--k", "10", "--json", *extra])
    return json.loads(out)


def cypher_string(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def main():
    ap = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    ap.add_argument("--quiver", default=os.path.join(target, "release", "quiver"))
    ap.add_argument("--data", default="/work/shared/datasets/debian")
    ap.add_argument("--work", default="/tmp/ft-quiver")
    ap.add_argument("--tantivy-dump", default="/tmp/fulltext/tantivy_top10.json")
    ap.add_argument("--out", default="benches/results/fulltext-quiver.json")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--incremental", type=int, default=1000)
    args = ap.parse_args()
    q = args.quiver
    os.makedirs(args.work, exist_ok=True)

    # The corpus, as the importer reads it.
    docs = []
    with open(os.path.join(args.data, "nodes.csv"), newline="") as f:
        for row in csv.DictReader(f):
            docs.append((int(row["id"]), row["description"] or "", row["long_description"] or ""))
    nodes = os.path.join(args.work, "nodes.csv")
    base = os.path.join(args.work, "nodes-base.csv")
    cut = len(docs) - args.incremental
    for path, part in ((nodes, docs), (base, docs[:cut])):
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id:int", "description", "long_description"])
            for d in part:
                w.writerow(d)
    queries = []
    with open(os.path.join(args.data, "queries_source.csv"), newline="") as f:
        for row in csv.DictReader(f):
            queries.append((int(row["source_id"]), row["text"]))
    rel = [s for s, _ in queries]
    or_file = os.path.join(args.work, "or.txt")
    phrase_file = os.path.join(args.work, "phrase.txt")
    with open(or_file, "w") as f:
        for _, text in queries:
            f.write(" ".join(tokens(text)) + "\n")
    with open(phrase_file, "w") as f:
        for _, text in queries:
            t = tokens(text)
            if len(t) >= 2:
                f.write(f'"{t[0]} {t[1]}"\n')

    # Build.
    builds = []
    db = os.path.join(args.work, "db")
    for i in range(args.runs):
        _, stages = import_db(q, db, nodes)
        builds.append(stages["fulltext:index"])
        log(f"build {i + 1}: {stages['fulltext:index']:.3f} s")
    plain = os.path.join(args.work, "plain")
    import_db(q, plain, nodes, fulltext=False)
    with_index = json.loads(run([q, "stats", db, "--compact", "--json"]))["disk_bytes"]
    without = json.loads(run([q, "stats", plain, "--compact", "--json"]))["disk_bytes"]

    # Latency and scores.
    or_run = search(q, db, or_file, ["--repeat", "3"])
    phrase_run = search(q, db, phrase_file, ["--repeat", "3"])
    log(f"OR p50 {or_run['p50_us']:.1f} µs p99 {or_run['p99_us']:.1f}; "
        f"phrase p50 {phrase_run['p50_us']:.1f} p99 {phrase_run['p99_us']:.1f}")
    ours = [[(int(i), float(s)) for i, s in hits] for hits in or_run["hits"]]
    comparison = None
    if os.path.exists(args.tantivy_dump):
        dump = json.load(open(args.tantivy_dump))
        theirs = [[(int(i), float(s)) for i, s in d["top10"]] for d in dump["queries"]]
        worst, differ, shared = 0.0, 0, 0
        for a, b in zip(ours, theirs):
            sb = dict(b)
            for i, s in a:
                if i in sb:
                    shared += 1
                    worst = max(worst, abs(s - sb[i]) / max(abs(sb[i]), 1e-9))
            same = len(a) == len(b) and all(
                x[0] == y[0] or abs(x[1] - y[1]) <= 1e-3 * max(abs(y[1]), 1e-9)
                for x, y in zip(a, b))
            differ += not same
        comparison = {"queries": len(theirs), "shared_hits": shared,
                      "max_relative_score_difference": worst,
                      "top10_lists_differing_beyond_ties": differ}
        log(f"vs tantivy: {comparison}")

    # Incremental.
    inc = os.path.join(args.work, "incremental")
    import_db(q, inc, base)
    t = time.perf_counter()
    for d in docs[cut:]:
        run([q, "query", inc,
             f"CREATE (:Package {{id: {d[0]}, description: {cypher_string(d[1])}, "
             f"long_description: {cypher_string(d[2])}}})"])
    added_s = time.perf_counter() - t
    inc_run = search(q, inc, or_file, ["--repeat", "3"])
    inc_same = inc_run["hits"] == or_run["hits"]
    log(f"incremental: {args.incremental} commits in {added_s:.1f} s; "
        f"OR p50 {inc_run['p50_us']:.1f} µs; same hits as bulk: {inc_same}")

    # Quality, with the dataset's embeddings for hybrid.
    hyb = os.path.join(args.work, "hybrid")
    import_db(q, hyb, nodes, vectors=os.path.join(args.data, "base.fvecs"))
    qv = os.path.join(args.data, "queries.fvecs")
    bm25 = quality([[i for i, _ in h] for h in ours], rel)
    fused = {}
    for fusion in ("rrf", "weighted"):
        r = search(q, hyb, or_file, ["--collection", "emb", "--queries", qv, "--fusion", fusion])
        fused[fusion] = {**quality([[int(i) for i, _ in h] for h in r["hits"]], rel),
                         "p50_us": r["p50_us"], "p99_us": r["p99_us"]}
    log(f"quality: bm25 {bm25}, fused {fused}")

    result = {
        "machine": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": "),
        "cores": os.cpu_count(),
        "build_s": {"runs": builds, "median": statistics.median(builds)},
        "index_bytes": with_index - without,
        "db_bytes": {"with_index": with_index, "without": without},
        "or": {k: or_run[k] for k in ("p50_us", "p99_us", "qps")},
        "phrase": {k: phrase_run[k] for k in ("p50_us", "p99_us", "qps", "queries")},
        "vs_tantivy": comparison,
        "incremental": {"commits": args.incremental, "seconds": added_s,
                        "or_p50_us": inc_run["p50_us"], "or_p99_us": inc_run["p99_us"],
                        "same_hits_as_bulk": inc_same},
        "quality": {"bm25": bm25, **fused},
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
