"""Full-text search peers on the Debian package corpus: tantivy (BM25 build,
OR and phrase query latency, top-10 dump for score comparison), bm25s, and
LanceDB hybrid search, plus BM25 / vector / fusion retrieval quality.

Usage: fulltext_peers.py [--data DIR] [--out FILE] [--dump FILE]
                         [--runs 3] [--heap BYTES] [--work DIR]

* Corpus: nodes.csv of DATA (default /work/shared/datasets/debian), one
  document per node: integer id, text fields `description` and
  `long_description` (empty when missing), both indexed with positions by
  tantivy's "default" analyzer (SimpleTokenizer: split on chars that are
  not alphanumeric; RemoveLongFilter(40): drop tokens of >= 40 UTF-8 bytes;
  LowerCaser, per char). tokens() below is the same rule in Python (per
  char str.isalnum, length test on the token before lowercasing, lower()
  per char so final sigma is not special); the script counts the documents
  and queries where it and tantivy's own analyzer disagree (2 documents:
  Rust's char::is_alphanumeric also takes the Other_Alphabetic combining
  marks, e.g. Devanagari vowel signs, Arabic shadda; str.isalnum does not).
* Queries: the 1,000 texts of queries_source.csv; the relevant document of
  query i is its source_id. OR query: a flat BooleanQuery of SHOULD term
  queries, one per (token, field), duplicates kept (as the classic parser
  with default fields [description, long_description] would score them).
  Phrase query: the first two tokens as a phrase, SHOULD over both fields,
  for the queries with >= 2 tokens. Built with tantivy.Query (no parser).
* Build: --runs fresh directories, `index.writer(heap_size=--heap,
  num_threads=2)`, add all documents, commit, wait_merging_threads; median
  seconds and the directory size after the last run.
* Latency: one thread, top-10, `searcher.search(q, 10, count=False)` timed
  with perf_counter_ns after a warm-up pass (count=True, which visits every
  match, reported too); p50/p99 in microseconds; plus the mean cost of a
  timed no-op Python call.
* Dump (--dump): per OR query its tokens, doc_freq per (field, token) and
  the top-10 [id, score]; with num_docs, segments and the avgdl per field
  read from tantivy's explanation.
* Quality (MRR@10, recall@10 of source_id): tantivy BM25 OR; exact cosine
  (gt_cosine.ivecs / gt_cosine_sim.fvecs); RRF (k=60) of BM25 top-100 and
  cosine top-100; min-max normalised 0.5/0.5 score fusion of the same
  lists; bm25s (default: method lucene, k1 1.5, b 0.75) over the tokens of
  both fields concatenated; LanceDB hybrid (native FTS index, its default
  options, on description + " " + long_description, flat vector search,
  RRFReranker, limit 10), with its p50 latency. (lancedb 0.40 marks
  create_fts_index deprecated in favour of create_index(config=FTS()).)

Versions measured: tantivy 0.27.0, bm25s 0.3.16, lancedb 0.40.0,
numpy 2.4.6, pyarrow 26.0.1, pandas 3.1.1 (Python 3.11).

  python3 -m venv ~/py-venv
  ~/py-venv/bin/pip install tantivy==0.27.0 bm25s==0.3.16 lancedb==0.40.0 \
      numpy==2.4.6 pyarrow==26.0.1 pandas==3.1.1
  ~/py-venv/bin/python benches/peers/fulltext_peers.py
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from importlib import metadata

import numpy as np

FIELDS = ("description", "long_description")
csv.field_size_limit(1 << 30)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def tokens(text):
    """tantivy's "default" analyzer in Python (see the docstring)."""
    out, cur = [], []
    for c in text + " ":
        if c.isalnum():
            cur.append(c)
        elif cur:
            tok = "".join(cur)
            cur = []
            if len(tok.encode("utf-8")) < 40:
                out.append("".join(ch.lower() for ch in tok))
    return out


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    d = int(raw[0])
    return raw.reshape(-1, d + 1)[:, 1:].copy().view(dtype)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def lat_summary(ns):
    return {"p50_us": pct(ns, 50) / 1e3, "p99_us": pct(ns, 99) / 1e3,
            "mean_us": statistics.fmean(ns) / 1e3, "n": len(ns)}


def quality(ranked, rel, k=10):
    mrr = hit = 0.0
    for lst, r in zip(ranked, rel):
        top = list(lst)[:k]
        if r in top:
            hit += 1
            mrr += 1.0 / (top.index(r) + 1)
    return {"mrr@10": mrr / len(rel), "recall@10": hit / len(rel)}


def rrf(lists, k=60):
    s = {}
    for lst in lists:
        for rank, (d, _) in enumerate(lst, 1):
            s[d] = s.get(d, 0.0) + 1.0 / (k + rank)
    return [d for d, _ in sorted(s.items(), key=lambda x: (-x[1], x[0]))]


def weighted(lists, weights):
    s = {}
    for lst, w in zip(lists, weights):
        if not lst:
            continue
        vals = [v for _, v in lst]
        lo, hi = min(vals), max(vals)
        for d, v in lst:
            n = (v - lo) / (hi - lo) if hi > lo else 1.0
            s[d] = s.get(d, 0.0) + w * n
    return [d for d, _ in sorted(s.items(), key=lambda x: (-x[1], x[0]))]


def dir_size(path):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)


def build_tantivy(tantivy, docs, path, heap):
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, indexed=False)
    for f in FIELDS:
        sb.add_text_field(f, stored=False, tokenizer_name="default", index_option="position")
    schema = sb.build()
    index = tantivy.Index(schema, path=path)
    t0 = time.perf_counter()
    w = index.writer(heap_size=heap, num_threads=2)
    for i, desc, long in docs:
        w.add_document(tantivy.Document(id=i, description=desc, long_description=long))
    w.commit()
    w.wait_merging_threads()
    secs = time.perf_counter() - t0
    index.reload()
    return index, schema, secs


def explain_terms(expl):
    """(field id, term, dl, avgdl, N) for every TermQuery in an explanation."""
    out = []

    def walk(e):
        if e.get("description", "").startswith("TermQuery"):
            vals = {}
            for d in e["details"]:
                vals[d["description"].split(",")[0]] = d["value"]
                for dd in d.get("details", []):
                    vals[dd["description"].split(",")[0]] = dd["value"]
            ctx = e.get("context", [""])[0]
            fid = int(ctx.split("field=")[1].split(",")[0]) if "field=" in ctx else -1
            term = ctx.rsplit('"', 2)[1] if '"' in ctx else None
            out.append((fid, term, vals.get("dl"), vals.get("avgdl"), vals.get("N"), "(K1+1)" in vals))
        for d in e.get("details", []):
            walk(d)
    walk(expl)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/work/shared/datasets/debian")
    ap.add_argument("--out", default="benches/results/fulltext-peers.json")
    ap.add_argument("--dump", default="/tmp/fulltext/tantivy_top10.json")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--heap", type=int, default=256_000_000)
    ap.add_argument("--work", default=None, help="parent of the temp dirs")
    a = ap.parse_args()
    os.environ.setdefault("LANCEDB_LOG", "error")  # else a deprecation warning per hybrid query
    import bm25s
    import lancedb
    import pyarrow as pa
    import tantivy
    from lancedb.rerankers import RRFReranker

    res = {"benchmark": "fulltext-peers", "loadavg_at_start": os.getloadavg()}
    res["versions"] = {p: metadata.version(p) for p in
                       ("tantivy", "bm25s", "lancedb", "numpy", "pyarrow", "pandas")}
    res["versions"]["python"] = sys.version.split()[0]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    res["machine"] = {"cpu": cpu, "cores": os.cpu_count()}

    with open(os.path.join(a.data, "nodes.csv"), newline="", encoding="utf-8") as f:
        docs = [(int(r["id"]), r["description"] or "", r["long_description"] or "") for r in csv.DictReader(f)]
    assert [d[0] for d in docs] == list(range(len(docs)))
    with open(os.path.join(a.data, "queries_source.csv"), newline="", encoding="utf-8") as f:
        qrows = list(csv.DictReader(f))
    qtext = [r["text"] for r in qrows]
    rel = [int(r["source_id"]) for r in qrows]
    qtok = [tokens(t) for t in qtext]
    dtok = [(tokens(d), tokens(l)) for _, d, l in docs]
    log(f"{len(docs)} documents, {len(qtext)} queries")

    # Python tokens against tantivy's own analyzer
    an = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
          .filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase()).build())
    bad_docs = [d[0] for d, tk in zip(docs, dtok) if an.analyze(d[1]) != tk[0] or an.analyze(d[2]) != tk[1]]
    bad_q = [i for i, t in enumerate(qtext) if an.analyze(t) != qtok[i]]
    res["tokenizer_check"] = {"docs_differing": len(bad_docs), "doc_ids": bad_docs[:20],
                              "queries_differing": len(bad_q), "query_ids": bad_q[:20]}
    ntok = [sum(len(t[k]) for t in dtok) for k in (0, 1)]
    res["corpus"] = {"docs": len(docs), "tokens": dict(zip(FIELDS, ntok)),
                     "avgdl_python": {f: n / len(docs) for f, n in zip(FIELDS, ntok)}}
    log("tokenizer check:", res["tokenizer_check"])

    # 1. bulk build
    base = tempfile.mkdtemp(prefix="fulltext-", dir=a.work)
    times, sizes, keep = [], [], None
    for run in range(a.runs):
        path = os.path.join(base, f"tantivy{run}")
        os.makedirs(path)
        index, schema, secs = build_tantivy(tantivy, docs, path, a.heap)
        times.append(secs)
        sizes.append(dir_size(path))
        log(f"tantivy build run {run}: {secs:.2f} s, {sizes[-1]} bytes")
        if keep:
            shutil.rmtree(keep[0])
        keep = (path, index, schema)
    path, index, schema = keep
    searcher = index.searcher()
    res["tantivy_build"] = {"seconds_median": statistics.median(times), "seconds": times,
                            "bytes_on_disk": sizes[-1], "bytes_each_run": sizes,
                            "heap_size": a.heap, "num_threads": 2,
                            "segments": searcher.num_segments, "num_docs": searcher.num_docs}

    # 2. queries
    Q, Occ = tantivy.Query, tantivy.Occur
    or_q = [Q.boolean_query([(Occ.Should, Q.term_query(schema, f, t)) for t in tk for f in FIELDS])
            if tk else None for tk in qtok]
    ph_q = [Q.boolean_query([(Occ.Should, Q.phrase_query(schema, f, tk[:2])) for f in FIELDS])
            for tk in qtok if len(tk) >= 2]

    def timed(qs, count):
        out = []
        for q in qs:
            t0 = time.perf_counter_ns()
            searcher.search(q, 10, count=count)
            out.append(time.perf_counter_ns() - t0)
        return out

    orq = [q for q in or_q if q is not None]
    for qs in (orq, ph_q):
        timed(qs, False)
    lat = {"or_top10": lat_summary(timed(orq, False)), "phrase2_top10": lat_summary(timed(ph_q, False))}
    timed(orq, True)
    lat["or_top10_count_true"] = lat_summary(timed(orq, True))

    def noop():
        return None
    n = 200_000
    ns = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        noop()
        ns.append(time.perf_counter_ns() - t0)
    lat["timed_noop_call_mean_us"] = statistics.fmean(ns) / 1e3
    lat["queries_without_tokens"] = sum(1 for q in or_q if q is None)
    res["tantivy_latency"] = lat
    log("tantivy latency:", json.dumps(lat))

    # 3. top-10 / top-100 lists, dump
    ids = {}

    def doc_id(addr):
        key = (addr.segment_ord, addr.doc)
        if key not in ids:
            ids[key] = searcher.doc(addr)["id"][0]
        return ids[key]

    bm_top100, dump_q, expl_rows = [], [], []
    for i, q in enumerate(or_q):
        hits = searcher.search(q, 100, count=False).hits if q is not None else []
        lst = [(doc_id(addr), score) for score, addr in hits]
        bm_top100.append(lst)
        dump_q.append({"query": i, "tokens": qtok[i],
                       "doc_freq": {f: {t: searcher.doc_freq(f, t) for t in dict.fromkeys(qtok[i])} for f in FIELDS},
                       "top10": [[d, s] for d, s in lst[:10]]})
        if hits and i < 200:
            expl_rows += [(doc_id(hits[0][1]),) + r for r in
                          explain_terms(json.loads(q.explain(searcher, hits[0][1]).to_json()))]
    # avgdl, N and dl as tantivy used them (read from explanations)
    fname = {1: FIELDS[0], 2: FIELDS[1]}
    avgdl = {fname[r[1]]: r[4] for r in expl_rows if r[1] in fname}
    dl_pairs = [(len(dtok[r[0]][r[1] - 1]), r[3]) for r in expl_rows if r[1] in fname]
    stats = {"num_docs": searcher.num_docs, "segments": searcher.num_segments,
             "N_in_explanation": sorted({r[5] for r in expl_rows}), "avgdl_tantivy": avgdl,
             "avgdl_python": res["corpus"]["avgdl_python"],
             "score_has_k1_plus_1_factor": all(r[6] for r in expl_rows),
             "dl_checked": len(dl_pairs), "dl_equal_true_length": sum(1 for t, d in dl_pairs if t == d),
             "dl_examples_true_vs_tantivy": sorted({p for p in dl_pairs if p[0] != p[1]})[:15]}
    res["tantivy_stats"] = stats
    log("tantivy stats:", json.dumps(stats))
    os.makedirs(os.path.dirname(os.path.abspath(a.dump)), exist_ok=True)
    with open(a.dump, "w") as f:
        json.dump({"engine": "tantivy", "version": res["versions"]["tantivy"], "stats": stats,
                   "fields": FIELDS, "queries": dump_q}, f)
    res["dump"] = a.dump

    # 4. quality
    gt = read_vecs(os.path.join(a.data, "gt_cosine.ivecs"), np.int32)
    gts = read_vecs(os.path.join(a.data, "gt_cosine_sim.fvecs"), np.float32)
    vec_top100 = [list(zip(map(int, gt[i]), map(float, gts[i]))) for i in range(len(rel))]
    ql = {"tantivy_bm25_or": quality([[d for d, _ in l] for l in bm_top100], rel),
          "vector_exact_cosine": quality([[d for d, _ in l] for l in vec_top100], rel),
          "rrf_k60_bm25_vector": quality([rrf([b, v]) for b, v in zip(bm_top100, vec_top100)], rel),
          "minmax_0.5_0.5_bm25_vector": quality(
              [weighted([b, v], [0.5, 0.5]) for b, v in zip(bm_top100, vec_top100)], rel)}

    # bm25s: one text per document, the tokens of both fields
    t0 = time.perf_counter()
    r25 = bm25s.BM25()
    r25.index([d + l for d, l in dtok], show_progress=False)
    b_build = time.perf_counter() - t0
    vocab = r25.vocab_dict
    qt = [[t for t in tk if t in vocab] or [""] for tk in qtok]
    t0 = time.perf_counter()
    docs_b, _ = r25.retrieve(qt, k=10, show_progress=False, n_threads=1)
    b_q = time.perf_counter() - t0
    ql["bm25s"] = quality([list(map(int, r)) for r in docs_b], rel)
    ql["bm25s"].update({"index_seconds": b_build, "retrieve_1000_seconds_1thread": b_q,
                        "method": r25.method, "k1": r25.k1, "b": r25.b})
    log("bm25s:", ql["bm25s"])

    # LanceDB hybrid
    base_v = read_vecs(os.path.join(a.data, "base.fvecs"), np.float32)
    qv = read_vecs(os.path.join(a.data, "queries.fvecs"), np.float32)
    ldir = os.path.join(base, "lance")
    lt0 = time.perf_counter()
    db = lancedb.connect(ldir)
    tbl = db.create_table("docs", pa.table({
        "id": pa.array([d[0] for d in docs], pa.int64()),
        "text": pa.array([d[1] + " " + d[2] for d in docs], pa.string()),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(base_v.reshape(-1), pa.float32()), base_v.shape[1])}))
    t1 = time.perf_counter()
    tbl.create_fts_index("text")
    t2 = time.perf_counter()
    rr = RRFReranker()

    def hybrid(i):
        return (tbl.search(query_type="hybrid").vector(qv[i]).text(qtext[i])
                .rerank(rr).limit(10).select(["id"]).to_list())
    for i in range(50):
        hybrid(i)
    l_res, l_ns, fails = [], [], 0
    for i in range(len(rel)):
        t0 = time.perf_counter_ns()
        try:
            rows = hybrid(i)
        except Exception as e:  # noqa: BLE001  (a text the FTS parser refuses)
            rows, fails = [], fails + 1
            log(f"lancedb query {i} failed: {e}")
        l_ns.append(time.perf_counter_ns() - t0)
        l_res.append([int(r["id"]) for r in rows])
    ql["lancedb_hybrid_rrf"] = quality(l_res, rel)
    ql["lancedb_hybrid_rrf"].update({"latency": lat_summary(l_ns), "failed_queries": fails,
                                     "table_create_seconds": t1 - lt0,
                                     "fts_index_seconds": t2 - t1,
                                     "fts_options": "create_fts_index defaults: native, simple tokenizer, "
                                                    "lower_case, stem, remove_stop_words, ascii_folding, "
                                                    "max_token_length 40, no positions; no vector index (flat)"})
    res["quality"] = ql
    shutil.rmtree(base, ignore_errors=True)

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")
    b, L = res["tantivy_build"], res["tantivy_latency"]
    print(f"tantivy {res['versions']['tantivy']}: build {b['seconds_median']:.2f} s (median of {a.runs}), "
          f"{b['bytes_on_disk'] / 1e6:.1f} MB, {b['segments']} segments")
    for k in ("or_top10", "phrase2_top10", "or_top10_count_true"):
        print(f"  {k:20s} p50 {L[k]['p50_us']:8.1f} us  p99 {L[k]['p99_us']:8.1f} us  (n={L[k]['n']})")
    print(f"  timed no-op call     mean {L['timed_noop_call_mean_us']:.3f} us")
    print(f"  (K1+1) factor: {stats['score_has_k1_plus_1_factor']}; dl == true length for "
          f"{stats['dl_equal_true_length']}/{stats['dl_checked']} (quantised fieldnorm otherwise); "
          f"avgdl {avgdl}")
    for k, v in ql.items():
        extra = f"  p50 {v['latency']['p50_us'] / 1e3:.2f} ms" if "latency" in v else ""
        print(f"  {k:28s} MRR@10 {v['mrr@10']:.4f}  recall@10 {v['recall@10']:.4f}{extra}")
    print(f"results: {a.out}; dump: {a.dump}")


if __name__ == "__main__":
    main()
