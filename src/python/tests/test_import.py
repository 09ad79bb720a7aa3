import numpy as np
import pytest

import quiverdb

NODES_CSV = "id,labels,name,age\n1,Person,ann,31\n2,Person;Admin,bob,\nx3,,cid,7\n"
EDGES_CSV = "src,dst,type,since\n1,2,KNOWS,2001\n2,x3,,2002\n"
ALL = (
    "MATCH (a)-[r]->(b) RETURN a.id, labels(a), a.name, a.age, type(r), r.since, b.id "
    "ORDER BY r.since"
)


def csv_db(tmp_path):
    (tmp_path / "n.csv").write_text(NODES_CSV)
    (tmp_path / "e.csv").write_text(EDGES_CSV)
    db = quiverdb.Database(tmp_path / "csv")
    report = db.import_graph(
        nodes=str(tmp_path / "n.csv"), edges=tmp_path / "e.csv", edge_type="LINK"
    )
    assert (report["nodes"], report["edges"]) == (3, 2)
    return db


def test_pandas_tables_load_like_csv_files(tmp_path):
    pd = pytest.importorskip("pandas")
    with csv_db(tmp_path) as expected:
        nodes = pd.DataFrame(
            {
                "id": [1, 2, "x3"],
                "labels": ["Person", "Person;Admin", None],
                "name": ["ann", "bob", "cid"],
                "age": [31, None, 7],  # a float column with NaN: missing
            }
        )
        edges = pd.DataFrame(
            {"src": [1, 2], "dst": [2, "x3"], "type": ["KNOWS", None], "since": [2001, 2002]}
        )
        with quiverdb.Database(tmp_path / "frames") as db:
            report = db.import_graph(nodes=nodes, edges=edges, edge_type="LINK")
            assert report["sources"][0]["source"] == "nodes table 1"
            got = db.execute(ALL).rows()
        want = expected.execute(ALL).rows()
    # pandas made the ages floats (NaN needs a float column)
    assert [(r[:3] + (None if r[3] is None else int(r[3]),) + r[4:]) for r in got] == want


def test_polars_arrow_and_dicts(tmp_path):
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    with csv_db(tmp_path) as expected:
        want = expected.execute(ALL).rows()
    node_cols = {
        "id": [1, 2, "x3"],
        "labels": [["Person"], ["Person", "Admin"], None],
        "name": ["ann", "bob", "cid"],
        "age": [31, None, 7],
    }
    edge_cols = {"src": [1, 2], "dst": [2, "x3"], "type": ["KNOWS", None], "since": [2001, 2002]}
    # polars and Arrow keep one type per column: the keys as text there.
    typed_nodes = dict(node_cols, id=["1", "2", "x3"])
    typed_edges = dict(edge_cols, src=["1", "2"], dst=["2", "x3"])
    for i, (nodes, edges) in enumerate(
        [
            (node_cols, edge_cols),
            (pl.DataFrame(typed_nodes), pl.DataFrame(typed_edges)),
            (pa.table(typed_nodes), pa.table(typed_edges)),
        ]
    ):
        with quiverdb.Database(tmp_path / f"db{i}") as db:
            db.import_graph(nodes=[nodes], edges=edges, edge_type="LINK")
            got = db.execute(ALL).rows()
        if i == 0:
            assert got == want
        else:
            assert [(str(r[0]),) + r[1:6] + (str(r[6]),) for r in got] == [
                (str(r[0]),) + r[1:6] + (str(r[6]),) for r in want
            ]


def test_numpy_columns_and_progress(tmp_path):
    n = 200_000
    rng = np.random.default_rng(5)
    nodes = {"id": np.arange(n), "score": rng.random(n)}
    edges = {"src": rng.integers(0, n, 3 * n), "dst": rng.integers(0, n, 3 * n)}
    seen = []
    with quiverdb.Database(tmp_path / "db") as db:
        report = db.import_graph(
            nodes=nodes, edges=edges, key_label="P", edge_type="L", progress=seen.append
        )
        assert (report["nodes"], report["edges"]) == (n, 3 * n)
        assert db.execute("MATCH (p:P) RETURN count(p)").scalar() == n
        assert db.execute("MATCH ()-[l:L]->() RETURN count(l)").scalar() == 3 * n
        s = db.execute("MATCH (p:P {id: 7}) RETURN p.score").scalar()
        assert s == pytest.approx(nodes["score"][7])
    stages = {p["stage"] for p in seen}
    assert "reading" in stages
    reading = [p for p in seen if p["stage"] == "reading" and p["source"] == "edges table 1"]
    assert reading[-1]["done"] == reading[-1]["total"] == 3 * n


def test_bad_rows_fail_or_are_skipped(tmp_path):
    nodes = {"id": [1, 2, 2.5], "name": ["a", "b", "c"]}
    with quiverdb.Database(tmp_path / "db") as db:
        with pytest.raises(quiverdb.InvalidInputError, match="row 3"):
            db.import_graph(nodes=nodes)
        assert db.execute("MATCH (n) RETURN count(n)").scalar() == 0
        report = db.import_graph(
            nodes=nodes, edges={"src": [1, 1], "dst": [2, 99]}, skip_bad=True
        )
        assert (report["nodes"], report["edges"], report["rejected_total"]) == (2, 1, 2)
        assert report["rejected"][0][:2] == ("nodes table 1", 3)
        with pytest.raises(quiverdb.InvalidInputError, match="no \"id\" column"):
            db.import_graph(nodes={"name": ["x"]})
        with pytest.raises(quiverdb.InvalidInputError, match="no \"src\" column"):
            db.import_graph(edges={"a": [1], "dst": [2]})
        with pytest.raises(quiverdb.InvalidInputError, match="values"):
            db.import_graph(nodes={"id": [1, 2], "x": [1]})
        with pytest.raises(quiverdb.InvalidInputError, match="format"):
            db.import_graph(nodes="graph.parquet")
        with pytest.raises(quiverdb.InvalidInputError, match="cannot import"):
            db.import_graph(nodes=42)
        with pytest.raises(quiverdb.StorageError, match="missing.csv") as e:
            db.import_graph(nodes=str(tmp_path / "missing.csv"))
        assert isinstance(e.value, OSError)


def test_progress_callback_errors_are_raised_after(tmp_path):
    def boom(_):
        raise RuntimeError("stop")

    with quiverdb.Database(tmp_path / "db") as db:
        with pytest.raises(RuntimeError, match="stop"):
            db.import_graph(nodes={"id": [1, 2]}, progress=boom)


def test_progress_true_draws_tqdm_bars(tmp_path, capsys):
    pytest.importorskip("tqdm")
    with quiverdb.Database(tmp_path / "db") as db:
        db.import_graph(nodes={"id": list(range(10))}, progress=True)
    assert "nodes table 1: reading" in capsys.readouterr().err
