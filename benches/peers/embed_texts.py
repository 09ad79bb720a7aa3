#!/usr/bin/env python3
"""The two text sets of the embedding benchmark, from the Debian dataset
(../shared/datasets/debian): queries.txt — the 1,000 query texts of
queries_source.csv, in order (one-line descriptions, as given); long.txt — 1,000
packages drawn with random.Random(5), each "description. long_description"
(whitespace folded to single spaces), as the dataset's base vectors embed
them. One text a line.

  python3 benches/peers/embed_texts.py ../shared/datasets/debian OUT_DIR
"""

import csv
import os
import random
import sys


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(data, "queries_source.csv"), encoding="utf-8") as f:
        queries = [r["text"].replace("\n", " ").strip() for r in csv.DictReader(f)]
    with open(os.path.join(data, "nodes.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    long = []
    for r in random.Random(5).sample(rows, 1000):
        short, more = " ".join(r["description"].split()), " ".join(r["long_description"].split())
        long.append(f"{short}. {more}" if more else short)
    for name, texts in (("queries.txt", queries), ("long.txt", long)):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write("\n".join(texts) + "\n")
        print(os.path.join(out, name), len(texts))


if __name__ == "__main__":
    main()
