"""A seeded social graph for social_peers.py: Person nodes and KNOWS edges
as CSV files that both `quiver import` and Kuzu's COPY FROM read.

Usage: make_social.py OUT_DIR [--nodes 1000000] [--edges 10000000] [--seed 20250101]

Writes into OUT_DIR:

* persons.csv, header `id:int,age:int,city:string`, one row per node:
  id 0..nodes-1 (the key), age 13..90 (a gamma shape clipped, most people
  20-45, a long tail of older ones), city `cityNNNN` out of 1000 cities
  with a Zipf-like spread (city0000 the largest).
* knows.csv, header `src:int,dst:int,since:int`, one row per KNOWS edge,
  exactly --edges of them, grouped by src: out-degrees follow a Pareto
  (power-law) weight scaled to the total; each target is drawn with
  probability proportional to a Zipf popularity weight over a random
  ranking of the people (so the hubs are scattered over the ids); self
  loops and repeated (src, dst) pairs are redrawn, so the graph is simple;
  since is a year 1990..2025 skewed towards recent years.
* meta.json: the arguments and a few statistics (degrees, cities).

`quiver import DB --nodes persons.csv --edges knows.csv --label Person
--key id --edge-type KNOWS` reads the typed headers (`name:type`, see
src/import/csv.rs); Kuzu reads the same files with `COPY Person FROM
'persons.csv' (HEADER=true)` and `COPY KNOWS FROM 'knows.csv'
(HEADER=true)`, columns by position (id, age, city; FROM, TO, since).

Deterministic for a given seed (and numpy version). Vectorised: 1M nodes
and 10M edges should take about ten seconds (1M edges: 0.6 s), most of it in the duplicate
check's sort and pyarrow's CSV writer.

  ~/kuzu-venv/bin/python benches/peers/make_social.py /tmp/social --nodes 20000 --edges 200000
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

CITIES = 1000
CITY_ZIPF = 0.9  # city size ∝ 1 / rank^0.9
POPULARITY_ZIPF = 0.75  # P(target) ∝ 1 / rank^0.75
OUT_DEGREE_PARETO = 2.0  # out-degree weight ~ 1 + Pareto(2.0)
MIN_YEAR, MAX_YEAR = 1990, 2025


def draw_targets(rng, cdf, k):
    """k node indices, each with probability ∝ its popularity weight."""
    u = rng.random(k) * cdf[-1]
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


def out_degrees(rng, n, m):
    """Power-law out-degrees summing to exactly m, none above n // 2."""
    w = rng.pareto(OUT_DEGREE_PARETO, n) + 1.0
    cap = max(1, n // 2)
    scaled = w * (m / w.sum())
    deg = np.minimum(np.floor(scaled).astype(np.int64), cap)
    rest = m - int(deg.sum())
    while rest > 0:
        # The remainder goes to nodes drawn in proportion to their weight
        # (those at the cap excluded).
        p = np.where(deg < cap, w, 0.0)
        extra = np.bincount(rng.choice(n, size=rest, p=p / p.sum()), minlength=n)
        deg = np.minimum(deg + extra, cap)
        rest = m - int(deg.sum())
    return deg


def redraw_conflicts(rng, n, src, dst, cdf):
    """Redraws the targets of self loops and repeated (src, dst) pairs
    until there are none; in place. Returns the rounds taken."""
    idx = np.arange(len(src))  # the edges still to check
    rounds = 0
    while len(idx):
        rounds += 1
        s, d = src[idx], dst[idx]
        key = s * n + d
        order = np.argsort(key, kind="stable")
        ks = key[order]
        dup = np.zeros(len(idx), dtype=bool)
        dup[order[1:]] = ks[1:] == ks[:-1]
        bad = dup | (s == d)
        if not bad.any():
            break
        dst[idx[bad]] = draw_targets(rng, cdf, int(bad.sum()))
        # Only the edges of sources that had a conflict need another look.
        again = np.zeros(n, dtype=bool)
        again[s[bad]] = True
        idx = np.flatnonzero(again[src])
    return rounds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=20250101)
    args = ap.parse_args()
    n, m = args.nodes, args.edges
    if n < 2 or m < 0 or m > n * (n // 2):
        sys.exit("need at least 2 nodes and at most nodes * (nodes // 2) edges")
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()

    # People.
    ids = np.arange(n, dtype=np.int64)
    age = np.clip(np.rint(13 + rng.gamma(2.2, 10.0, n)), 13, 90).astype(np.int64)
    city_w = 1.0 / np.arange(1, CITIES + 1) ** CITY_ZIPF
    city_idx = rng.choice(CITIES, size=n, p=city_w / city_w.sum())
    city_names = np.array([f"city{i:04d}" for i in range(CITIES)], dtype=object)
    city = pa.array(city_names[city_idx], type=pa.string())

    # KNOWS: sources by out-degree, targets by popularity.
    deg = out_degrees(rng, n, m)
    src = np.repeat(ids, deg)
    rank = rng.permutation(n)  # rank[i]: node i's popularity rank (0 = top)
    cdf = np.cumsum(1.0 / (rank + 1.0) ** POPULARITY_ZIPF)
    dst = draw_targets(rng, cdf, m)
    rounds = redraw_conflicts(rng, n, src, dst, cdf)
    # Years back from MAX_YEAR: an exponential (scale 6 years) truncated
    # to the range, by inverting its distribution function.
    span = MAX_YEAR - MIN_YEAR + 1
    back = -6.0 * np.log1p(-rng.random(m) * -np.expm1(-span / 6.0))
    since = MAX_YEAR - np.minimum(back.astype(np.int64), span - 1)
    t1 = time.perf_counter()

    opts = pacsv.WriteOptions(quoting_style="none", quoting_header="none", batch_size=1 << 16)
    persons = os.path.join(args.out, "persons.csv")
    knows = os.path.join(args.out, "knows.csv")
    pacsv.write_csv(
        pa.table({"id:int": ids, "age:int": age, "city:string": city}), persons, write_options=opts
    )
    pacsv.write_csv(pa.table({"src:int": src, "dst:int": dst, "since:int": since}), knows, write_options=opts)
    t2 = time.perf_counter()

    indeg = np.bincount(dst, minlength=n)
    meta = {
        "nodes": n, "edges": m, "seed": args.seed, "numpy": np.__version__,
        "files": {"nodes": "persons.csv", "edges": "knows.csv"},
        "params": {"cities": CITIES, "city_zipf": CITY_ZIPF, "popularity_zipf": POPULARITY_ZIPF,
                   "out_degree_pareto": OUT_DEGREE_PARETO, "years": [MIN_YEAR, MAX_YEAR]},
        "out_degree": {"max": int(deg.max()), "median": float(np.median(deg)), "zero": int((deg == 0).sum())},
        "in_degree": {"max": int(indeg.max()), "median": float(np.median(indeg)), "zero": int((indeg == 0).sum())},
        "distinct_cities": int(len(np.unique(city_idx))),
        "largest_city": {"name": "city0000", "people": int((city_idx == 0).sum())},
        "conflict_rounds": rounds,
        "generate_s": t1 - t0, "write_s": t2 - t1,
    }
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
