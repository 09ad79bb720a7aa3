"""Cut the bundled slice out of the full Debian dataset (see README.md).

Usage: python3 data/make_slice.py ../shared/datasets/debian data
Deterministic: the same input gives the same slice.
"""
import csv
import random
import struct
import sys
from collections import deque

src, out = sys.argv[1], sys.argv[2]
TARGET = 2500

csv.field_size_limit(1 << 30)
nodes = list(csv.DictReader(open(f"{src}/nodes.csv", newline="")))
edges = list(csv.DictReader(open(f"{src}/edges.csv", newline="")))
deps = {}
for e in edges:
    # Closures follow hard dependencies only (recommends and suggests
    # would pull in most of the archive).
    if e["type"] in ("DEPENDS", "PRE_DEPENDS"):
        deps.setdefault(e["src"], []).append(e["dst"])

rng = random.Random(7)
names = sorted(n["name"] for n in nodes)
seeds = ["curl", "git", "python3", "openssh-client", "vim", "postgresql", "nginx", "gimp"]
seeds += rng.sample(names, 400)
chosen, order = set(), []
for seed in seeds:
    # Each seed with its whole dependency closure, while it fits.
    closure, queue = [], deque([seed])
    seen = {seed}
    while queue:
        v = queue.popleft()
        if v not in chosen:
            closure.append(v)
        for d in deps.get(v, []):
            if d not in seen:
                seen.add(d)
                queue.append(d)
    if len(chosen) + len(closure) > TARGET:
        continue
    for v in closure:
        chosen.add(v)
        order.append(v)

by_name = {n["name"]: n for n in nodes}
keep = sorted(chosen)
with open(f"{out}/packages.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name:string", "row:int", "version:string", "section:string", "priority:string",
                "installed_size:int", "description:string"])
    for i, name in enumerate(keep):
        n = by_name[name]
        w.writerow([name, i, n["version"], n["section"], n["priority"], n["installed_size"], n["description"]])
with open(f"{out}/dependencies.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["src:string", "dst:string", "type", "weight:float"])
    for e in edges:
        if e["src"] in chosen and e["dst"] in chosen:
            w.writerow([e["src"], e["dst"], e["type"], e["weight"]])

# Embeddings: row i of the slice = the package on row i of packages.csv.
base = open(f"{src}/base.fvecs", "rb").read()
dim = struct.unpack_from("<i", base, 0)[0]
stride = 4 + 4 * dim
with open(f"{out}/descriptions.fvecs", "wb") as f:
    for name in keep:
        i = int(by_name[name]["id"])
        f.write(base[i * stride:(i + 1) * stride])
print(f"{len(keep)} packages, dim {dim}")
