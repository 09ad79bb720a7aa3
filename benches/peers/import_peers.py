"""Bulk import of one edge list: `quiver import` against Kuzu's COPY FROM,
in the same run, on the same file, alternating, each in a fresh directory.

Usage: import_peers.py EDGELIST NODES [--runs 3] [--quiver PATH]

EDGELIST is `src dst weight` lines with integer node ids 0..NODES-1.
Kuzu: CREATE the tables, COPY the node ids (a CSV written beforehand, not
timed), then COPY the edges (the list linked as .csv): timed from before
the node COPY to after the edge COPY. quiver: `quiver import DB --edges
EDGELIST` (creates the nodes from the keys, writes both adjacency
directions, syncs): timed end to end as a process. Peak RSS of each from
/usr/bin/time. Prints one JSON document.

  python3 -m venv ~/peers-venv && ~/peers-venv/bin/pip install kuzu==0.11.3
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

KUZU = r"""
import os, sys, time, kuzu
d, edges, nodes_csv = sys.argv[1], sys.argv[2], sys.argv[3]
db = kuzu.Database(os.path.join(d, "db"))
conn = kuzu.Connection(db, num_threads=2)
conn.execute("CREATE NODE TABLE V(id INT64, PRIMARY KEY(id))")
conn.execute("CREATE REL TABLE E(FROM V TO V, w DOUBLE)")
link = os.path.join(d, "edges.csv")
os.symlink(os.path.abspath(edges), link)
t = time.perf_counter()
conn.execute(f"COPY V FROM '{nodes_csv}'")
t1 = time.perf_counter()
conn.execute(f"COPY E FROM '{link}' (DELIM=' ', HEADER=false)")
t2 = time.perf_counter()
print(t1 - t, t2 - t1, t2 - t)
"""


def timed(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M"] + cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {out.stderr}")
    line = [l for l in out.stderr.splitlines() if l.startswith("TIME ")][-1]
    _, wall, rss = line.split()
    return out.stdout, float(wall), int(rss) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("edges")
    ap.add_argument("nodes", type=int)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quiver", default="target/release/quiver")
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    nodes_csv = os.path.join(work, "nodes.csv")
    with open(nodes_csv, "w") as f:
        f.writelines(f"{i}\n" for i in range(args.nodes))
    kuzu, quiver = [], []
    try:
        for _ in range(args.runs):
            d = tempfile.mkdtemp(dir=work)
            out, wall, rss = timed([sys.executable, "-c", KUZU, d, args.edges, nodes_csv])
            n, e, total = map(float, out.split())
            kuzu.append({"nodes_s": n, "edges_s": e, "copy_s": total, "process_s": wall, "peak_rss_mib": rss})
            shutil.rmtree(d)
            d = tempfile.mkdtemp(dir=work)
            out, wall, rss = timed([args.quiver, "import", os.path.join(d, "db"), "--edges", args.edges, "--json"])
            rep = json.loads(out)
            quiver.append({"import_s": rep["elapsed_s"], "process_s": wall, "peak_rss_mib": rss,
                           "stages": rep["stages"], "nodes": rep["nodes"], "edges": rep["edges"]})
            shutil.rmtree(d)
    finally:
        shutil.rmtree(work)
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    print(json.dumps({
        "kuzu": {"copy_s_median": med(kuzu, "copy_s"), "process_s_median": med(kuzu, "process_s"),
                 "peak_rss_mib_max": max(x["peak_rss_mib"] for x in kuzu), "runs": kuzu},
        "quiver": {"import_s_median": med(quiver, "import_s"), "process_s_median": med(quiver, "process_s"),
                   "peak_rss_mib_max": max(x["peak_rss_mib"] for x in quiver), "runs": quiver},
    }, indent=1))


if __name__ == "__main__":
    main()
