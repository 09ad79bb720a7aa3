import os
import threading

import numpy as np
import pytest

import quiverdb

DIM = 16


@pytest.fixture
def vectors(db):
    rng = np.random.default_rng(7)
    data = rng.standard_normal((500, DIM)).astype(np.float32)
    with db.write() as tx:
        tx.create_collection("v", DIM, metric="l2")
        report = tx.upsert_vectors(
            "v",
            np.arange(500, dtype=np.uint64),
            data,
            [{"group": i % 5, "rank": i} for i in range(500)],
        )
    assert report == {"inserted": 500, "updated": 0, "rejected": []}
    return db, data


def brute(data, q, k):
    d = ((data - q) ** 2).sum(axis=1)
    return np.argsort(d, kind="stable")[:k]


def test_exact_search_matches_brute_force(vectors):
    db, data = vectors
    rng = np.random.default_rng(1)
    for q in rng.standard_normal((10, DIM)).astype(np.float32):
        keys, scores = db.search("v", q, 10, exact=True)
        assert keys.dtype == np.uint64 and scores.dtype == np.float32
        assert list(keys) == list(brute(data, q, 10))
        assert np.all(np.diff(scores) >= 0)  # L2: best (smallest) first


def test_approximate_search_recall(vectors):
    db, data = vectors
    queries = np.random.default_rng(2).standard_normal((50, DIM)).astype(np.float32)
    found = 0
    for q in queries:
        keys, _ = db.search("v", q, 10, ef=64)
        found += len(set(keys) & set(brute(data, q, 10)))
    assert found / 500 >= 0.9


def test_search_many_equals_search(vectors):
    db, _ = vectors
    queries = np.random.default_rng(3).standard_normal((40, DIM)).astype(np.float32)
    keys, scores = db.search_many("v", queries, 5, ef=64, threads=3)
    assert keys.shape == (40, 5) and scores.shape == (40, 5)
    for i, q in enumerate(queries):
        k1, s1 = db.search("v", q, 5, ef=64)
        assert list(keys[i]) == list(k1)
        np.testing.assert_allclose(scores[i], s1)
    # Fewer points than k: the row is padded.
    keys, scores = db.search_many("v", queries[:2], 5, filter={"rank": 3})
    assert list(keys[0]) == [3] + [quiverdb.NO_KEY] * 4
    assert np.isnan(scores[0][1:]).all()


def test_filters_payloads_and_keys(vectors):
    db, data = vectors
    q = data[10]
    keys, scores, payloads = db.search("v", q, 5, filter={"group": 0}, with_payload=True)
    assert all(p["group"] == 0 for p in payloads) and keys[0] == 10
    keys, _ = db.search("v", q, 50, filter={"rank": (100, 109)})
    assert sorted(keys) == list(range(100, 110))
    keys, _ = db.search("v", q, 3, keys=[1, 2, 3, 4])
    assert set(keys) <= {1, 2, 3, 4}
    vector, payload = db.get_vector("v", 10)
    np.testing.assert_array_equal(vector, data[10])
    assert payload == {"group": 0, "rank": 10}
    assert db.get_vector("v", 10_000) is None


def test_upsert_update_delete_and_snapshot(vectors):
    db, data = vectors
    snap = db.read()
    with db.write() as tx:
        r = tx.upsert_vectors("v", [0, 1000], np.stack([data[1], data[2]]))
        assert (r["inserted"], r["updated"]) == (1, 1)
        assert tx.delete_vector("v", 5) is True
        assert tx.delete_vector("v", 5) is False
    assert db.collections()[0]["count"] == 500
    assert snap.collections()[0]["count"] == 500
    keys, _ = snap.search("v", data[5], 1, exact=True)
    assert keys[0] == 5  # the snapshot still has it
    keys, _ = db.search("v", data[5], 1, exact=True)
    assert keys[0] != 5
    snap.close()


def test_bad_vector_input(vectors):
    db, data = vectors
    with pytest.raises(quiverdb.InvalidInputError, match="components"):
        db.search("v", np.zeros(DIM + 1, dtype=np.float32))
    with pytest.raises(quiverdb.InvalidInputError, match="dtype"):
        db.search("v", np.zeros(DIM, dtype=np.int32))
    with pytest.raises(quiverdb.InvalidInputError, match="one-dimensional"):
        db.search("v", np.zeros((2, DIM), dtype=np.float32))
    with pytest.raises(quiverdb.InvalidInputError, match="two-dimensional"):
        db.search_many("v", np.zeros(DIM, dtype=np.float32))
    with pytest.raises(quiverdb.NotFoundError):
        db.search("nope", data[0])
    with pytest.raises(quiverdb.InvalidInputError, match="k must"):
        db.search("v", data[0], 0)
    with db.write() as tx:
        with pytest.raises(quiverdb.InvalidInputError, match="keys for"):
            tx.upsert_vectors("v", [1, 2], data[:3])
        with pytest.raises(quiverdb.InvalidInputError, match="two-dimensional"):
            tx.upsert_vectors("v", [1], data[0])
        with pytest.raises(quiverdb.InvalidInputError, match="negative"):
            tx.upsert_vectors("v", np.array([-1], dtype=np.int64), data[:1])
        bad = data[:2].copy()
        bad[1, 3] = np.nan
        r = tx.upsert_vectors("v", [600, 601], bad)
        assert r["inserted"] == 1 and [x[:2] for x in r["rejected"]] == [(1, 601)]
        with pytest.raises(quiverdb.ConstraintError):
            tx.create_collection("v", DIM)
        with pytest.raises(quiverdb.InvalidInputError, match="metric"):
            tx.create_collection("w", DIM, metric="manhattan")
        with pytest.raises(quiverdb.InvalidInputError, match="payloads"):
            tx.upsert_vectors("v", [1], data[:1], [{}, {}])


def test_float64_is_converted(db):
    with db.write() as tx:
        tx.create_collection("c", 3)
        tx.upsert_vectors("c", [1, 2], np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    keys, scores = db.search("c", [0.9, 0.1, 0.0], 1)
    assert keys[0] == 1 and scores[0] > 0.9


def test_node_bound_collection_and_label_filter(db):
    with db.write() as tx:
        a = tx.add_node(["Doc"])
        b = tx.add_node(["Other"])
        tx.create_collection("emb", 2, bound_to_nodes=True)
        tx.upsert_vectors("emb", [a, b], np.array([[1, 0], [1, 0.1]], dtype=np.float32))
        r = tx.upsert_vectors("emb", [12345], np.array([[1, 0]], dtype=np.float32))
        assert len(r["rejected"]) == 1
    keys, _ = db.search("emb", [1, 0], 5, label="Doc")
    assert list(keys) == [a]


def test_parallel_searches_from_python_threads(vectors):
    db, _ = vectors
    queries = np.random.default_rng(4).standard_normal((64, DIM)).astype(np.float32)
    expected = [list(db.search("v", q, 5, ef=32)[0]) for q in queries]
    out = [None] * len(queries)

    def work(lo):
        with db.read() as snap:
            for i in range(lo, len(queries), 4):
                out[i] = list(snap.search("v", queries[i], 5, ef=32)[0])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == expected


MODEL = os.environ.get("QUIVER_MODEL")


@pytest.mark.skipif(
    not MODEL and os.environ.get("QUIVER_REQUIRE_MODEL") != "1",
    reason="no model: set QUIVER_MODEL (data/models/fetch-minilm.sh)",
)
def test_text_collection(tmp_path):
    path = tmp_path / "db"
    with quiverdb.Database(path) as db:
        with db.write() as tx:
            tx.create_text_collection("docs")
            r = tx.upsert_texts(
                "docs",
                [1, 2, 3],
                ["a library for compressing files", "a web browser", "   "],
            )
        assert r["inserted"] == 2 and r["rejected"][0][:2] == (2, 3)
        keys, scores, texts = db.search_text("docs", "zip archive compression", 1)
        assert list(keys) == [1] and texts == ["a library for compressing files"]
    with quiverdb.Database(path) as db:
        with pytest.raises(quiverdb.EmbedderError):
            db.search_text("docs", "browser", 1)
        db.attach_model("docs")
        assert list(db.search_text("docs", "browser", 1)[0]) == [2]


def test_text_collection_without_a_model(db, monkeypatch):
    monkeypatch.delenv("QUIVER_MODEL", raising=False)
    with db.write() as tx:
        with pytest.raises(quiverdb.EmbedderError, match="QUIVER_MODEL"):
            tx.create_text_collection("docs")
