"""Cypher on a generated social graph: QuiverDB against Kuzu 0.11.3, both
embedded, both loaded from the same files, one thread each, every
statement run in a fresh process of its own so that each side's peak
memory while running it can be read.

Usage: social_peers.py DATA_DIR WORK_DIR [--quiver PATH] [--repeat 5]
                       [--local-repeat 20] [--only NAME,...]
                       [--engines quiver,kuzu] [--no-load] [--more]

DATA_DIR holds persons.csv and knows.csv from make_social.py (header
`id:int,age:int,city:string` and `src:int,dst:int,since:int`). WORK_DIR
(outside the repository) receives both databases.

* Load. QuiverDB: `quiver import WORK_DIR/quiver.qdb --nodes persons.csv
  --edges knows.csv --label Person --key id --edge-type KNOWS` (its sort
  runs on a worker thread beside the reader). Kuzu, in a child process:
  NODE TABLE Person(id INT64 PRIMARY KEY, age INT64, city STRING), REL
  TABLE KNOWS(FROM Person TO Person, since INT64), `COPY ... (HEADER=true)`
  from the same two files through `Connection(db, num_threads=1)`. Both
  timed as processes, with their peak RSS.
* Statements (QUERIES below, and with --more the fourteen whole-graph
  statements of MORE as well; --only picks some by name). QuiverDB: one
  `quiver query DB STMT --json --repeat N --param k=v` process each; its
  elapsed_ms is the statement's median time with the database open
  (parse, plan, run, rows collected). Kuzu: one child process each
  (`social_peers.py --kuzu-one ...`) that opens the database read-only
  with one thread, runs the statement N times (rows fetched) and reports
  the median. Global statements run --repeat times, the local ones
  (one start node) --local-repeat times. The first run of each is a cold
  one on both sides (fresh process; the files are in the page cache after
  the load). The rows of the last run are compared (sorted first where
  the statement leaves the order open); a mismatch is printed on stderr
  and listed under "mismatches".
* Peak RSS: `/usr/bin/time -f %M` around each child (apt package `time`;
  without it, the child's VmHWM polled from /proc/PID/status), for
  QuiverDB the whole `quiver query` process (open, N runs, JSON out), for
  Kuzu the child process (Python, kuzu, open, N runs); the Kuzu child also
  reports its VmHWM from /proc/self/status right after opening the
  database, before the statement (the baseline of interpreter and
  library), and at the end.
* Write: `MATCH (p:Person) SET p.flag = true`, once each, on copies of the
  databases written out to disk first (`os.sync()`: the kernel flushing a
  fresh copy during the statement would be timed with it), QuiverDB: a
  `quiver query` process, which commits the write; Kuzu: `ALTER TABLE
  Person ADD flag BOOLEAN` first, not timed; then a count of the flagged
  people on each side.

Start ids for the local statements come from the data: the person whose
out-degree is the 90th percentile of the positive out-degrees (of those,
the one with the highest in-degree, then the smallest id); the shortest
path runs from that person to the smallest id at BFS distance
min(4, eccentricity) along KNOWS, so the pair is connected and the
expected length is known.

ratio = quiver_ms / kuzu_ms (above 1: QuiverDB slower). Prints one JSON
document on stdout; progress on stderr.

  python3 -m venv ~/kuzu-venv && ~/kuzu-venv/bin/pip install kuzu==0.11.3 numpy pyarrow
  ~/kuzu-venv/bin/python benches/peers/make_social.py /tmp/social
  ~/kuzu-venv/bin/python benches/peers/social_peers.py /tmp/social /tmp/social-work
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CITY = "city0001"

# (name, QuiverDB statement, Kuzu statement, local?, rows ordered?);
# $id, $a, $b are parameters.
QUERIES = [
    (
        "city_groupby",
        "MATCH (p:Person) RETURN p.city AS c, count(*) AS n ORDER BY n DESC, c LIMIT 10",
        "MATCH (p:Person) RETURN p.city AS c, count(*) AS n ORDER BY n DESC, c LIMIT 10",
        False, True,
    ),
    (
        "age_bands",
        "MATCH (p:Person) RETURN p.age / 10 AS band, count(*) AS n ORDER BY band",
        "MATCH (p:Person) RETURN p.age / 10 AS band, count(*) AS n ORDER BY band",
        False, True,
    ),
    (
        "top_indegree",
        "MATCH (p:Person)<-[:KNOWS]-(:Person) RETURN p.id AS id, count(*) AS n ORDER BY n DESC, id LIMIT 10",
        "MATCH (p:Person)<-[:KNOWS]-(:Person) RETURN p.id AS id, count(*) AS n ORDER BY n DESC, id LIMIT 10",
        False, True,
    ),
    (
        "young_same_city",
        "MATCH (a:Person)-[:KNOWS]->(b:Person) WHERE a.age < 25 AND a.city = b.city RETURN count(*) AS n",
        "MATCH (a:Person)-[:KNOWS]->(b:Person) WHERE a.age < 25 AND a.city = b.city RETURN count(*) AS n",
        False, True,
    ),
    (
        "since_histogram",
        "MATCH (:Person)-[k:KNOWS]->(:Person) RETURN k.since AS y, count(*) AS n ORDER BY y",
        "MATCH (:Person)-[k:KNOWS]->(:Person) RETURN k.since AS y, count(*) AS n ORDER BY y",
        False, True,
    ),
    (
        "two_cycles",
        "MATCH (a:Person)-[:KNOWS]->(b:Person)-[:KNOWS]->(a) RETURN count(*) AS n",
        "MATCH (a:Person)-[:KNOWS]->(b:Person)-[:KNOWS]->(a) RETURN count(*) AS n",
        False, True,
    ),
    (
        "age_city_range",
        f"MATCH (p:Person) WHERE p.age >= 30 AND p.age < 40 AND p.city = '{CITY}' RETURN count(p) AS n",
        f"MATCH (p:Person) WHERE p.age >= 30 AND p.age < 40 AND p.city = '{CITY}' RETURN count(p) AS n",
        False, True,
    ),
    (
        "friends",
        "MATCH (p:Person {id: $id})-[:KNOWS]->(f) RETURN f.id ORDER BY f.id",
        "MATCH (p:Person)-[:KNOWS]->(f:Person) WHERE p.id = $id RETURN f.id ORDER BY f.id",
        True, True,
    ),
    (
        "friends_of_friends",
        "MATCH (p:Person {id: $id})-[:KNOWS]->()-[:KNOWS]->(f) WHERE f.id <> $id RETURN count(DISTINCT f) AS n",
        "MATCH (p:Person)-[:KNOWS]->(:Person)-[:KNOWS]->(f:Person) WHERE p.id = $id AND f.id <> $id "
        "RETURN count(DISTINCT f) AS n",
        True, True,
    ),
    (
        "triangles",
        "MATCH (a:Person {id: $id})-[:KNOWS]->(b)-[:KNOWS]->(c)-[:KNOWS]->(a) RETURN count(*) AS n",
        "MATCH (a:Person)-[:KNOWS]->(b:Person)-[:KNOWS]->(c:Person)-[:KNOWS]->(a) WHERE a.id = $id "
        "RETURN count(*) AS n",
        True, True,
    ),
    (
        "hop12_by_city",
        "MATCH (p:Person {id: $id})-[:KNOWS*1..2]->(f) RETURN f.city AS city, count(*) AS n "
        "ORDER BY n DESC, city LIMIT 10",
        "MATCH (p:Person)-[:KNOWS*1..2]->(f:Person) WHERE p.id = $id RETURN f.city AS city, count(*) AS n "
        "ORDER BY n DESC, city LIMIT 10",
        True, True,
    ),
    (
        "shortest_path",
        "MATCH (a:Person {id: $a}), (b:Person {id: $b}) MATCH p = shortestPath((a)-[:KNOWS*]->(b)) "
        "RETURN length(p) AS hops",
        "MATCH p = (a:Person)-[:KNOWS* SHORTEST 1..30]->(b:Person) WHERE a.id = $a AND b.id = $b "
        "RETURN length(p) AS hops",
        True, True,
    ),
]

# Whole-graph shapes beyond the twelve (--more): the far end's property,
# a comparison across a relationship, aggregates with no key, a second
# aggregation over the first, a relationship filter, a pattern predicate,
# DISTINCT, top rows by property, an open two-hop chain. Same text on
# both sides; all global.
MORE = [
    (name, stmt, stmt, False, ordered)
    for name, stmt, ordered in [
        ("far_city", "MATCH (a:Person)-[:KNOWS]->(b:Person) RETURN b.city AS c, count(*) AS n "
         "ORDER BY n DESC, c LIMIT 5", True),
        ("older_than_friend", "MATCH (a:Person)-[:KNOWS]->(b:Person) WHERE a.age > b.age RETURN count(*) AS n",
         True),
        ("age_stats", "MATCH (p:Person) RETURN avg(p.age) AS a, min(p.age) AS lo, max(p.age) AS hi", True),
        ("outdegree_histogram", "MATCH (p:Person)-[:KNOWS]->(:Person) WITH p, count(*) AS d "
         "RETURN d, count(*) AS n ORDER BY d LIMIT 10", True),
        ("recent_knows", "MATCH (:Person)-[k:KNOWS]->(:Person) WHERE k.since >= 2015 RETURN count(*) AS n",
         True),
        ("city_avg_age", "MATCH (p:Person) WHERE p.age > 50 RETURN p.city AS c, avg(p.age) AS a "
         "ORDER BY c LIMIT 5", True),
        ("knows_nobody", "MATCH (p:Person) WHERE NOT (p)-[:KNOWS]->(:Person) RETURN count(*) AS n", True),
        ("distinct_cities", "MATCH (p:Person) RETURN count(DISTINCT p.city) AS n", True),
        ("city_since", "MATCH (a:Person)-[k:KNOWS]->(b:Person) RETURN a.city AS c, avg(k.since) AS s "
         "ORDER BY c LIMIT 5", True),
        ("oldest", "MATCH (p:Person) RETURN p.id AS id ORDER BY p.age DESC, p.id LIMIT 10", True),
        ("from_city", "MATCH (a:Person)-[:KNOWS]->(b:Person) WHERE a.city = 'city0001' "
         "RETURN b.city AS c, count(*) AS n ORDER BY n DESC, c LIMIT 5", True),
        ("big_cities", "MATCH (p:Person) WITH p.city AS c, count(*) AS n WHERE n > 1000 RETURN count(*) AS k",
         True),
        ("two_hops", "MATCH (a:Person)-[:KNOWS]->(b:Person)-[:KNOWS]->(c:Person) RETURN count(*) AS n", True),
        ("young_outdegree", "MATCH (a:Person)-[:KNOWS]->(b:Person) WHERE a.age < 20 "
         "RETURN a.age AS g, count(*) AS n ORDER BY g", True),
    ]
]

WRITE = ("set_flag", "MATCH (p:Person) SET p.flag = true")
WRITE_KUZU_SETUP = ["ALTER TABLE Person ADD flag BOOLEAN"]
FLAGGED_QUIVER = "MATCH (p:Person) WHERE p.flag = true RETURN count(*) AS n"
FLAGGED_KUZU = "MATCH (p:Person) WHERE p.flag = true RETURN count(*) AS n"


# ---------------------------------------------------------------- children


def vm_hwm_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def kuzu_load_child(db_path, nodes, edges):
    """Child mode: creates the Kuzu database and loads the two files."""
    import kuzu

    t0 = time.perf_counter()
    db = kuzu.Database(db_path)
    conn = kuzu.Connection(db, num_threads=1)
    conn.execute("CREATE NODE TABLE Person(id INT64 PRIMARY KEY, age INT64, city STRING)")
    conn.execute("CREATE REL TABLE KNOWS(FROM Person TO Person, since INT64)")
    t1 = time.perf_counter()
    conn.execute(f"COPY Person FROM '{nodes}' (HEADER=true)")
    t2 = time.perf_counter()
    conn.execute(f"COPY KNOWS FROM '{edges}' (HEADER=true)")
    t3 = time.perf_counter()
    n = conn.execute("MATCH (p:Person) RETURN count(*)").get_next()[0]
    m = conn.execute("MATCH ()-[k:KNOWS]->() RETURN count(*)").get_next()[0]
    del conn
    del db  # closes the database (checkpoint)
    t4 = time.perf_counter()
    print(json.dumps({
        "nodes": n, "edges": m, "nodes_s": t2 - t1, "edges_s": t3 - t2, "close_s": t4 - t3,
        "total_s": t4 - t0, "vm_hwm_kb": vm_hwm_kb(), "kuzu_version": kuzu.__version__,
    }))


def kuzu_one_child(db_path, job):
    """Child mode: opens the database, runs job["stmt"] job["repeat"]
    times, prints the median, the last rows and VmHWM."""
    import kuzu

    t0 = time.perf_counter()
    db = kuzu.Database(db_path, read_only=job.get("read_only", True))
    conn = kuzu.Connection(db, num_threads=1)
    open_s = time.perf_counter() - t0
    hwm_open = vm_hwm_kb()
    for s in job.get("setup", []):
        conn.execute(s)
    times, rows, columns = [], [], []
    for _ in range(max(1, job["repeat"])):
        t = time.perf_counter()
        res = conn.execute(job["stmt"], job.get("params", {}))
        rows = res.get_all()
        times.append((time.perf_counter() - t) * 1e3)
        columns = res.get_column_names()
    after = [conn.execute(s).get_all() for s in job.get("after", [])]
    hwm = vm_hwm_kb()
    t = time.perf_counter()
    del conn
    del db
    close_s = time.perf_counter() - t
    print(json.dumps({
        "elapsed_ms": statistics.median(times), "runs_ms": times, "columns": columns, "rows": rows,
        "after": after, "open_s": open_s, "close_s": close_s, "vm_hwm_open_kb": hwm_open, "vm_hwm_kb": hwm,
    }, default=str))


# ------------------------------------------------------------------ parent


TIME = "/usr/bin/time"


def run_measured(cmd):
    """Runs cmd; returns (exit code, stdout, stderr, peak RSS in KiB, wall
    seconds). The peak comes from GNU time's %M when /usr/bin/time exists
    (it forks the command from its own small process), else from polling
    the child's VmHWM. Not from this process's wait4/RUSAGE_CHILDREN: a
    child forked (or vforked) from this Python process inherits its high
    water mark across exec, so the numbers would floor at this process's
    own peak."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak_file:
        timed = os.access(TIME, os.X_OK)
        full = [TIME, "-q", "-f", "%M", "-o", peak_file.name] + cmd if timed else cmd
        t = time.perf_counter()
        p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        peak = None
        if timed:
            p.wait()
        else:
            while p.poll() is None:
                try:
                    with open(f"/proc/{p.pid}/status") as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                peak = int(line.split()[1])
                except OSError:
                    pass
                time.sleep(0.005)
        wall = time.perf_counter() - t
        if timed:
            text = peak_file.read().split()
            peak = int(text[-1]) if text and text[-1].isdigit() else None
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read().decode(), err.read().decode(), peak, wall


def mb(kib):
    return None if kib is None else round(kib / 1024, 1)


def cypher_literal(v):
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(v)


def quiver_query(quiver, db, stmt, params, repeat):
    cmd = [quiver, "query", db, stmt, "--json", "--repeat", str(repeat)]
    for k, v in params.items():
        cmd += ["--param", f"{k}={cypher_literal(v)}"]
    rc, out, err, peak, wall = run_measured(cmd)
    if rc != 0:
        return {"error": err.strip() or f"exit code {rc}", "peak_rss_mb": mb(peak), "wall_s": wall}
    doc = json.loads(out)
    return {"ms": doc["elapsed_ms"], "runs_ms": doc.get("runs_ms"), "rows": doc["rows"],
            "peak_rss_mb": mb(peak), "wall_s": wall}


def kuzu_query(db, stmt, params, repeat, read_only=True, setup=(), after=()):
    job = {"stmt": stmt, "params": params, "repeat": repeat, "read_only": read_only,
           "setup": list(setup), "after": list(after)}
    cmd = [sys.executable, os.path.abspath(__file__), "--kuzu-one", db, json.dumps(job)]
    rc, out, err, peak, wall = run_measured(cmd)
    if rc != 0:
        return {"error": err.strip()[-2000:] or f"exit code {rc}", "peak_rss_mb": mb(peak), "wall_s": wall}
    doc = json.loads(out)
    return {"ms": doc["elapsed_ms"], "runs_ms": doc["runs_ms"], "rows": doc["rows"], "after": doc["after"],
            "peak_rss_mb": mb(peak), "open_rss_mb": mb(doc["vm_hwm_open_kb"]), "self_rss_mb": mb(doc["vm_hwm_kb"]),
            "open_s": doc["open_s"],
            "wall_s": wall}


def normalise(rows, ordered):
    rows = json.loads(json.dumps(rows, default=str))
    return rows if ordered else sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def choose_ids(data):
    """The start person of the local statements and a connected pair for
    the shortest path, from the files (see the module doc)."""
    import numpy as np
    import pyarrow.csv as pacsv

    persons = pacsv.read_csv(os.path.join(data, "persons.csv"))
    edges = os.path.join(data, "knows.csv")
    with open(edges) as f:
        header = f.readline().strip().split(",")
    knows = pacsv.read_csv(edges, convert_options=pacsv.ConvertOptions(include_columns=header[:2]))
    ids = persons.column(0).to_numpy()
    has_city = CITY in set(persons.column(2).unique().to_pylist())
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    src = order[np.searchsorted(sorted_ids, knows.column(0).to_numpy())]
    dst = order[np.searchsorted(sorted_ids, knows.column(1).to_numpy())]
    del knows, persons
    n = len(ids)
    out_deg = np.bincount(src, minlength=n)
    in_deg = np.bincount(dst, minlength=n)
    target = int(np.percentile(out_deg[out_deg > 0], 90, method="lower"))
    cands = np.flatnonzero(out_deg == target)
    # Highest in-degree, then smallest id.
    best = cands[np.lexsort((ids[cands], -in_deg[cands]))[0]]
    # BFS along KNOWS from best.
    by_src = np.argsort(src, kind="stable")
    adj = dst[by_src]
    offsets = np.concatenate([[0], np.cumsum(out_deg)])
    dist = np.full(n, -1, dtype=np.int64)
    dist[best] = 0
    frontier = np.array([best])
    level = 0
    while len(frontier):
        starts = offsets[frontier]
        lens = offsets[frontier + 1] - starts
        total = int(lens.sum())
        if total == 0:
            break
        pos = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
        nb = np.unique(adj[pos])
        nb = nb[dist[nb] < 0]
        if not len(nb):
            break
        level += 1
        dist[nb] = level
        frontier = nb
    hops = min(4, level)
    far = np.flatnonzero(dist == hops)
    b = far[np.argmin(ids[far])] if hops > 0 else best
    return {
        "id": int(ids[best]), "out_degree": int(out_deg[best]), "in_degree": int(in_deg[best]),
        "out_degree_p90": target, "reachable": int((dist >= 0).sum()), "eccentricity": level,
        "a": int(ids[best]), "b": int(ids[b]), "expected_hops": hops, "city_present": has_city,
    }


def load_quiver(quiver, data, qdb):
    shutil.rmtree(qdb, ignore_errors=True)
    cmd = [quiver, "import", qdb, "--nodes", os.path.join(data, "persons.csv"),
           "--edges", os.path.join(data, "knows.csv"), "--label", "Person", "--key", "id",
           "--edge-type", "KNOWS", "--json"]
    rc, out, err, peak, wall = run_measured(cmd)
    if rc != 0:
        sys.exit(f"quiver import failed: {err}")
    rep = json.loads(out)
    return {"s": wall, "peak_rss_mb": mb(peak), "nodes": rep["nodes"], "edges": rep["edges"],
            "rejected": rep["rejected"], "stages": rep.get("stages"), "bottleneck": rep.get("bottleneck")}


def remove_kuzu(path):
    for old in (path, path + ".wal", path + ".shadow", path + ".tmp"):
        if os.path.isdir(old):
            shutil.rmtree(old)
        elif os.path.exists(old):
            os.remove(old)


def load_kuzu(data, kdb):
    remove_kuzu(kdb)
    cmd = [sys.executable, os.path.abspath(__file__), "--kuzu-load", kdb,
           os.path.join(data, "persons.csv"), os.path.join(data, "knows.csv")]
    rc, out, err, peak, wall = run_measured(cmd)
    if rc != 0:
        sys.exit(f"kuzu load failed: {err}")
    doc = json.loads(out)
    doc.update({"s": wall, "peak_rss_mb": mb(peak)})
    return doc


def ratio(q, k):
    return q / k if q is not None and k else None


def measure_write(args, qdb, kdb, engines):
    name, stmt = WRITE
    entry = {"query": name, "statement": stmt}
    if "quiver" in engines:
        copy = qdb + ".write"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(qdb, copy)
        # The copy's pages written out first: the kernel flushing them
        # during the statement would be timed with it (the QuiverDB copy
        # is several files and ~1 GB, Kuzu's one file of ~200 MB).
        os.sync()
        r = quiver_query(args.quiver, copy, stmt, {}, 1)
        entry["quiver_ms"] = r.get("ms")
        entry["quiver_wall_s"] = r["wall_s"]
        entry["quiver_peak_rss_mb"] = r["peak_rss_mb"]
        if "error" in r:
            entry["quiver_error"] = r["error"]
        else:
            c = quiver_query(args.quiver, copy, FLAGGED_QUIVER, {}, 1)
            entry["quiver_flagged"] = c["rows"][0][0] if "rows" in c else c.get("error")
        shutil.rmtree(copy, ignore_errors=True)
    if "kuzu" in engines:
        copy = kdb + ".write"
        remove_kuzu(copy)
        shutil.copyfile(kdb, copy)
        os.sync()
        r = kuzu_query(copy, stmt, {}, 1, read_only=False, setup=WRITE_KUZU_SETUP, after=[FLAGGED_KUZU])
        entry["kuzu_ms"] = r.get("ms")
        entry["kuzu_wall_s"] = r["wall_s"]
        entry["kuzu_peak_rss_mb"] = r["peak_rss_mb"]
        entry["kuzu_self_peak_rss_mb"] = r.get("self_rss_mb")
        if "error" in r:
            entry["kuzu_error"] = r["error"]
        else:
            entry["kuzu_flagged"] = r["after"][0][0][0]
        remove_kuzu(copy)
    entry["ratio"] = ratio(entry.get("quiver_ms"), entry.get("kuzu_ms"))
    print(f"{name}: quiver {entry.get('quiver_ms')} ms, kuzu {entry.get('kuzu_ms')} ms", file=sys.stderr)
    return entry


def default_quiver():
    local = os.path.join(REPO, "target", "release", "quiver")
    if os.path.exists(local):
        return local
    return os.path.expanduser("~/.cache/quiverdb-target/release/quiver")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--kuzu-load":
        return kuzu_load_child(*sys.argv[2:5])
    if len(sys.argv) > 1 and sys.argv[1] == "--kuzu-one":
        return kuzu_one_child(sys.argv[2], json.loads(sys.argv[3]))
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("work")
    ap.add_argument("--quiver", default=default_quiver())
    ap.add_argument("--repeat", type=int, default=5, help="runs of each global statement")
    ap.add_argument("--local-repeat", type=int, default=20, help="runs of each local statement")
    ap.add_argument("--only", help="comma-separated statement names (set_flag for the write)")
    ap.add_argument("--more", action="store_true",
                    help="also the whole-graph statements of MORE (beyond the twelve)")
    ap.add_argument("--engines", default="quiver,kuzu", help="quiver, kuzu or both")
    ap.add_argument("--no-load", action="store_true", help="reuse the databases in WORK_DIR")
    args = ap.parse_args()
    engines = set(args.engines.split(","))
    if not engines or engines - {"quiver", "kuzu"}:
        sys.exit("--engines: quiver, kuzu or quiver,kuzu")
    queries = QUERIES + (MORE if args.more else [])
    names = [q[0] for q in queries] + [WRITE[0]]
    only = set(args.only.split(",")) if args.only else set(names)
    if only - set(names):
        sys.exit(f"--only: unknown {sorted(only - set(names))}; known: {','.join(names)}")
    if "quiver" in engines and not os.access(args.quiver, os.X_OK):
        sys.exit(f"no quiver binary at {args.quiver} (pass --quiver, or --engines kuzu)")
    args.data = os.path.abspath(args.data)
    os.makedirs(args.work, exist_ok=True)
    qdb = os.path.join(os.path.abspath(args.work), "quiver.qdb")
    kdb = os.path.join(os.path.abspath(args.work), "kuzu")

    meta = None
    if os.path.exists(os.path.join(args.data, "meta.json")):
        with open(os.path.join(args.data, "meta.json")) as f:
            meta = json.load(f)
    ids = choose_ids(args.data)
    print(f"ids: {ids}", file=sys.stderr)
    if not ids["city_present"]:
        print(f"warning: no person lives in {CITY}; age_city_range counts 0", file=sys.stderr)

    load = {}
    if not args.no_load:
        if "quiver" in engines:
            load["quiver"] = load_quiver(args.quiver, args.data, qdb)
            print(f"load quiver: {load['quiver']['s']:.2f} s, {load['quiver']['peak_rss_mb']} MB", file=sys.stderr)
        if "kuzu" in engines:
            load["kuzu"] = load_kuzu(args.data, kdb)
            print(f"load kuzu: {load['kuzu']['s']:.2f} s, {load['kuzu']['peak_rss_mb']} MB", file=sys.stderr)

    results, mismatches, errors = [], [], []
    for name, qs, ks, local, ordered in queries:
        if name not in only:
            continue
        params = {k: ids[k] for k in ("id", "a", "b") if f"${k}" in qs}
        reps = args.local_repeat if local else args.repeat
        entry = {"query": name, "params": params, "repeat": reps}
        q = quiver_query(args.quiver, qdb, qs, params, reps) if "quiver" in engines else None
        k = kuzu_query(kdb, ks, params, reps) if "kuzu" in engines else None
        for side, r in (("quiver", q), ("kuzu", k)):
            if r is None:
                continue
            entry[f"{side}_ms"] = r.get("ms")
            entry[f"{side}_peak_rss_mb"] = r["peak_rss_mb"]
            if side == "kuzu":
                entry["kuzu_open_rss_mb"] = r.get("open_rss_mb")
                entry["kuzu_self_peak_rss_mb"] = r.get("self_rss_mb")
            if "error" in r:
                entry[f"{side}_error"] = r["error"]
                errors.append(f"{name} ({side})")
                print(f"{name}: {side} FAILED: {r['error']}", file=sys.stderr)
            else:
                entry[f"{side}_row_count"] = len(r["rows"])
                entry[f"{side}_rows"] = normalise(r["rows"], ordered)[:10]
        entry["ratio"] = ratio(entry.get("quiver_ms"), entry.get("kuzu_ms"))
        if q is not None and k is not None and "rows" in q and "rows" in k:
            entry["rows_match"] = normalise(q["rows"], ordered) == normalise(k["rows"], ordered)
            if not entry["rows_match"]:
                mismatches.append(name)
                print(f"!!! MISMATCH {name}: quiver {entry['quiver_rows']} vs kuzu {entry['kuzu_rows']}",
                      file=sys.stderr)
        if name == "shortest_path":
            for side in ("quiver", "kuzu"):
                rows = entry.get(f"{side}_rows")
                if rows is not None and rows != [[ids["expected_hops"]]]:
                    mismatches.append(f"{name} ({side} against BFS)")
                    print(f"!!! MISMATCH {name}: {side} {rows}, BFS says {ids['expected_hops']} hops",
                          file=sys.stderr)
        results.append(entry)
        print(f"{name}: quiver {entry.get('quiver_ms')} ms / {entry.get('quiver_peak_rss_mb')} MB, "
              f"kuzu {entry.get('kuzu_ms')} ms / {entry.get('kuzu_peak_rss_mb')} MB", file=sys.stderr)

    write = measure_write(args, qdb, kdb, engines) if WRITE[0] in only else None
    if write:
        for side in ("quiver", "kuzu"):
            flagged = write.get(f"{side}_flagged")
            if flagged is not None and meta and flagged != meta["nodes"]:
                mismatches.append(f"set_flag ({side} flagged {flagged} of {meta['nodes']})")

    both = [r for r in results if r.get("quiver_ms") is not None and r.get("kuzu_ms") is not None]
    qsum = sum(r["quiver_ms"] for r in both)
    ksum = sum(r["kuzu_ms"] for r in both)
    if mismatches:
        print(f"!!! MISMATCHES: {mismatches}", file=sys.stderr)
    kuzu_version = load.get("kuzu", {}).get("kuzu_version")
    if kuzu_version is None and "kuzu" in engines:
        import kuzu

        kuzu_version = kuzu.__version__
    print(json.dumps({
        "data": meta,
        "ids": ids,
        "load": load,
        "queries": results,
        "sum_of_medians_ms": {"statements": len(both), "quiver": qsum, "kuzu": ksum,
                              "ratio": ratio(qsum, ksum)},
        "write": write,
        "mismatches": mismatches,
        "errors": errors + [f"set_flag ({s})" for s in ("quiver", "kuzu") if write and f"{s}_error" in write],
        "quiver": args.quiver if "quiver" in engines else None,
        "kuzu_version": kuzu_version,
        "threads": {"quiver": "1 per statement (the import sorts on a worker thread)", "kuzu": 1},
    }, indent=1, default=str))


if __name__ == "__main__":
    main()
