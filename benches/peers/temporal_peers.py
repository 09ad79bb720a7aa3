"""Temporal statements on 1M nodes: QuiverDB against Kuzu 0.11.3, both
embedded, loaded from the same CSV file, one thread each, each statement
in a fresh process of its own (peak RSS per process), rows compared.

Usage: temporal_peers.py WORK_DIR [--nodes 1000000] [--quiver PATH]
                         [--repeat 5] [--seed 20261206] [--no-load]

WORK_DIR (outside the repository) receives events.csv and the databases.

* Data: `Event` nodes, header `id:int,at:datetime,kind:string`: id
  0..nodes-1, `at` a UTC instant drawn uniformly (to the second) over
  2020-01-01 .. 2025-01-01, written `2023-03-01T12:34:56Z`; kind one of
  eight strings. QuiverDB reads `at` as a `datetime` (the typed CSV
  header), Kuzu as a TIMESTAMP (`CREATE NODE TABLE Event(id INT64 PRIMARY
  KEY, at TIMESTAMP, kind STRING)`, `COPY ... (HEADER=true)`), from the
  same file.
* Statements (STATEMENTS below): a month's range count, a day's rows, the
  ten latest, the ten first after an instant, a count per year — each on
  QuiverDB without a property index, then again after `CREATE INDEX FOR
  (e:Event) ON (e.at)` (a copy of the database), and on Kuzu (no
  secondary index on a property exists there). QuiverDB: `quiver query
  DB STMT --json --repeat N` (its median, database open); Kuzu: a child
  process running the statement N times (its median), as
  social_peers.py does.

Prints one JSON document on stdout; progress on stderr.

  ~/py-venv/bin/python benches/peers/temporal_peers.py /tmp/temporal-work
"""
import argparse
import json
import os
import shutil
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from social_peers import (  # noqa: E402  (a sibling script)
    default_quiver, kuzu_query, mb, normalise, quiver_query, ratio, remove_kuzu, run_measured)

KINDS = ["click", "view", "buy", "share", "like", "save", "open", "close"]
START, END = np.datetime64("2020-01-01T00:00:00"), np.datetime64("2025-01-01T00:00:00")

# (name, QuiverDB statement, Kuzu statement, rows ordered?)
STATEMENTS = [
    (
        "month_count",
        "MATCH (e:Event) WHERE e.at >= datetime('2023-03-01T00:00:00Z') AND e.at < datetime('2023-04-01T00:00:00Z') RETURN count(*) AS n",
        "MATCH (e:Event) WHERE e.at >= timestamp('2023-03-01 00:00:00') AND e.at < timestamp('2023-04-01 00:00:00') RETURN count(*) AS n",
        True,
    ),
    (
        "day_rows",
        "MATCH (e:Event) WHERE e.at >= datetime('2023-03-01T00:00:00Z') AND e.at < datetime('2023-03-02T00:00:00Z') RETURN e.id AS id ORDER BY id",
        "MATCH (e:Event) WHERE e.at >= timestamp('2023-03-01 00:00:00') AND e.at < timestamp('2023-03-02 00:00:00') RETURN e.id AS id ORDER BY id",
        True,
    ),
    (
        "latest10",
        "MATCH (e:Event) RETURN e.id AS id ORDER BY e.at DESC, id LIMIT 10",
        "MATCH (e:Event) RETURN e.id AS id ORDER BY e.at DESC, id LIMIT 10",
        True,
    ),
    (
        "first10_after",
        "MATCH (e:Event) WHERE e.at >= datetime('2023-01-01T00:00:00Z') RETURN e.id AS id ORDER BY e.at, id LIMIT 10",
        "MATCH (e:Event) WHERE e.at >= timestamp('2023-01-01 00:00:00') RETURN e.id AS id ORDER BY e.at, id LIMIT 10",
        True,
    ),
    (
        "per_year",
        "MATCH (e:Event) RETURN e.at.year AS y, count(*) AS n ORDER BY y",
        "MATCH (e:Event) RETURN date_part('year', e.at) AS y, count(*) AS n ORDER BY y",
        True,
    ),
]


def make_events(path, nodes, seed):
    rng = np.random.default_rng(seed)
    span = int((END - START) / np.timedelta64(1, "s"))
    at = START + rng.integers(0, span, nodes).astype("timedelta64[s]")
    text = np.char.add(np.datetime_as_string(at, unit="s"), "Z")
    kinds = np.array(KINDS)[rng.integers(0, len(KINDS), nodes)]
    with open(path, "w") as f:
        f.write("id:int,at:datetime,kind:string\n")
        for i in range(nodes):
            f.write(f"{i},{text[i]},{kinds[i]}\n")


def kuzu_load_child(db_path, events):
    """Child mode: creates the Kuzu database and loads the file."""
    import kuzu

    t0 = time.perf_counter()
    db = kuzu.Database(db_path)
    conn = kuzu.Connection(db, num_threads=1)
    conn.execute("CREATE NODE TABLE Event(id INT64 PRIMARY KEY, at TIMESTAMP, kind STRING)")
    conn.execute(f"COPY Event FROM '{events}' (HEADER=true)")
    n = conn.execute("MATCH (e:Event) RETURN count(*)").get_next()[0]
    del conn
    del db
    print(json.dumps({"nodes": n, "total_s": time.perf_counter() - t0}))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--kuzu-load":
        return kuzu_load_child(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--quiver", default=default_quiver())
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20261206)
    ap.add_argument("--no-load", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    events = os.path.join(args.work, "events.csv")
    qdb = os.path.join(args.work, "quiver.qdb")
    qidx = os.path.join(args.work, "quiver-indexed.qdb")
    kdb = os.path.join(args.work, "kuzu.kz")
    load = {}
    if not args.no_load:
        print(f"writing {args.nodes} events", file=sys.stderr)
        make_events(events, args.nodes, args.seed)
        shutil.rmtree(qdb, ignore_errors=True)
        shutil.rmtree(qidx, ignore_errors=True)
        remove_kuzu(kdb)
        rc, out, err, peak, wall = run_measured(
            [args.quiver, "import", qdb, "--nodes", events, "--label", "Event", "--key", "id", "--json"])
        if rc != 0:
            sys.exit(f"quiver import failed: {err}")
        load["quiver_s"], load["quiver_peak_mb"] = wall, mb(peak)
        rc, out, err, peak, wall = run_measured(
            [sys.executable, os.path.abspath(__file__), "--kuzu-load", kdb, events])
        if rc != 0:
            sys.exit(f"kuzu load failed: {err}")
        load["kuzu_s"], load["kuzu_peak_mb"] = wall, mb(peak)
        shutil.copytree(qdb, qidx)
        rc, out, err, peak, wall = run_measured(
            [args.quiver, "query", qidx, "CREATE INDEX event_at FOR (e:Event) ON (e.at)", "--json"])
        if rc != 0:
            sys.exit(f"quiver index failed: {err}")
        load["quiver_index_s"] = wall
        print(f"loaded: {load}", file=sys.stderr)
    results, mismatches = [], []
    for name, qstmt, kstmt, ordered in STATEMENTS:
        q = quiver_query(args.quiver, qdb, qstmt, {}, args.repeat)
        qi = quiver_query(args.quiver, qidx, qstmt, {}, args.repeat)
        k = kuzu_query(kdb, kstmt, {}, args.repeat)
        for label, side in (("quiver", q), ("quiver_indexed", qi)):
            if "rows" in side and "rows" in k and normalise(side["rows"], ordered) != normalise(k["rows"], ordered):
                mismatches.append(f"{name} ({label})")
                print(f"MISMATCH {name} {label}: {side['rows'][:3]} vs {k['rows'][:3]}", file=sys.stderr)
        row = {
            "name": name,
            "quiver_ms": q.get("ms"), "quiver_indexed_ms": qi.get("ms"), "kuzu_ms": k.get("ms"),
            "quiver_peak_mb": q.get("peak_rss_mb"), "quiver_indexed_peak_mb": qi.get("peak_rss_mb"),
            "kuzu_peak_mb": k.get("peak_rss_mb"),
            "ratio": ratio(q.get("ms"), k.get("ms")), "ratio_indexed": ratio(qi.get("ms"), k.get("ms")),
            "errors": [s["error"] for s in (q, qi, k) if "error" in s],
        }
        print(json.dumps(row), file=sys.stderr)
        results.append(row)
    print(json.dumps({"nodes": args.nodes, "repeat": args.repeat, "load": load,
                      "results": results, "mismatches": mismatches}, indent=1))


if __name__ == "__main__":
    main()
