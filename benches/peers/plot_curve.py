"""Draws recall@10 against single-thread queries/s for QuiverDB's engines and
the peers, from the JSON the benches write.

Usage: plot_curve.py OUT.png TITLE NAME=FILE.json[:KEY] ...
  FILE.json holds a list of {"ef", "recall", "qps"} objects, or an object
  whose KEY member does (vector_peers.py output: KEY hnswlib / faiss_hnsw).
  pip install matplotlib
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    out, title, series = sys.argv[1], sys.argv[2], sys.argv[3:]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for spec in series:
        name, path = spec.split("=", 1)
        key = None
        if ":" in path:
            path, key = path.rsplit(":", 1)
        data = json.load(open(path))
        if key:
            data = data[key]
        pts = sorted((p["recall"], p["qps"], p["ef"]) for p in data)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name)
        for r, q, ef in pts:
            ax.annotate(str(ef), (r, q), fontsize=7, textcoords="offset points", xytext=(3, 3))
    ax.axvline(0.95, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries/s (one thread)")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    main()
