import math

import pytest

import quiverdb


def test_parameters_of_every_kind_round_trip(db):
    values = {
        "none": None,
        "yes": True,
        "int": -(2**62),
        "float": 2.5,
        "text": "héllo",
        "bytes": b"\x00\xff",
        "list": [1, "two", [3.0, None]],
        "tuple": (1, 2),
        "map": {"a": 1, "b": {"c": [True]}},
    }
    result = db.execute(
        "RETURN $none AS none, $yes AS yes, $int AS int, $float AS float, $text AS text, "
        "$bytes AS bytes, $list AS list, $tuple AS tuple, $map AS map",
        values,
    )
    row = result.dicts()[0]
    expected = dict(values, tuple=[1, 2])
    assert row == expected
    assert type(row["yes"]) is bool and type(row["int"]) is int


def test_numpy_values_as_parameters(db):
    np = pytest.importorskip("numpy")
    r = db.execute(
        "RETURN $v AS v, $i AS i, $f AS f",
        {"v": np.array([1.0, 2.0], dtype=np.float32), "i": np.int64(7), "f": np.float64(0.5)},
    )
    assert r.rows() == [([1.0, 2.0], 7, 0.5)]


def test_temporal_parameters_and_results(db):
    import datetime as dt

    params = {
        "d": dt.date(2024, 2, 29),
        "ldt": dt.datetime(2024, 3, 1, 12, 30, 15, 250000),
        "zdt": dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "t": dt.time(9, 5),
        "gap": dt.timedelta(days=1, seconds=90, microseconds=5),
    }
    db.execute(
        "CREATE (:Event {d: $d, ldt: $ldt, zdt: $zdt, t: $t, gap: $gap})", params
    )
    row = db.execute(
        "MATCH (e:Event) RETURN e.d AS d, e.ldt AS ldt, e.zdt AS zdt, e.t AS t, e.gap AS gap, "
        "e.d + e.gap AS later, e.zdt.hour AS hour, valueType(e.zdt) AS type"
    ).dicts()[0]
    # Temporal values come back as ISO 8601 text (exact to the nanosecond).
    assert row == {
        "d": "2024-02-29",
        "ldt": "2024-03-01T12:30:15.250",
        "zdt": "2024-03-01T12:00+02:00",
        "t": "09:05",
        "gap": "P1DT1M30.000005S",
        "later": "2024-03-01",
        "hour": 12,
        "type": "ZONED DATETIME NOT NULL",
    }
    with pytest.raises(quiverdb.CypherError) as e:
        db.execute("RETURN date('2024-02-30')")
    assert "day 30 is out of range (1 to 29)" in str(e.value)


def test_bad_parameters(db):
    with pytest.raises(quiverdb.InvalidInputError, match="64-bit"):
        db.execute("RETURN $x", {"x": 2**70})
    with pytest.raises(quiverdb.InvalidInputError, match="map key"):
        db.execute("RETURN $x", {"x": {1: 2}})
    with pytest.raises(quiverdb.InvalidInputError, match="object"):
        db.execute("RETURN $x", {"x": object()})
    with pytest.raises(quiverdb.CypherError) as e:
        db.execute("RETURN $missing")
    assert e.value.code == "Neo.ClientError.Statement.ParameterMissing"


def test_rows_dicts_columns_batches(people):
    r = people.execute("MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY id")
    assert r.columns == ["id", "name"]
    assert len(r) == 5
    assert r.rows() == [(i, f"p{i}") for i in range(5)]
    assert list(r) == r.rows()
    assert r[0] == (0, "p0") and r[-1] == (4, "p4")
    with pytest.raises(IndexError):
        r[5]
    assert r.dicts()[1] == {"id": 1, "name": "p1"}
    assert r.column("name") == [f"p{i}" for i in range(5)]
    assert r.column(0) == list(range(5))
    with pytest.raises(KeyError):
        r.column("nope")
    batches = list(r.iter_batches(2))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [row for b in batches for row in b] == r.rows()
    with pytest.raises(quiverdb.InvalidInputError):
        r.iter_batches(0)
    assert people.execute("MATCH (p:Person) RETURN count(p)").scalar() == 5
    assert people.execute("MATCH (p:Nobody) RETURN p").scalar() is None
    with pytest.raises(quiverdb.InvalidInputError):
        r.scalar()


def test_nodes_relationships_paths(people):
    a, k, b = people.execute(
        "MATCH (a:Person {id: 0})-[k:KNOWS]->(b:Person {id: 1}) RETURN a, k, b"
    )[0]
    assert isinstance(a, quiverdb.Node) and isinstance(k, quiverdb.Relationship)
    assert a.labels == ["Person"] and a["name"] == "p0" and a.get("nope", 3) == 3
    assert "age" in a and "nope" not in a
    assert a.properties == {"id": 0, "name": "p0", "age": 20}
    assert (k.start, k.end, k.type, k["since"]) == (a.id, b.id, "KNOWS", 2001)
    assert a == people.execute("MATCH (a:Person {id: 0}) RETURN a").scalar()
    assert len({a, b, a}) == 2
    p = people.execute(
        "MATCH p = shortestPath((a:Person {id: 0})-[*]->(b:Person {id: 4})) RETURN p"
    ).scalar()
    assert isinstance(p, quiverdb.Path)
    assert len(p) == 2 and p.start == a and p.end["id"] == 4
    assert [n["id"] for n in p.nodes] == [0, 3, 4]
    assert [r["since"] for r in p.relationships] == [2010, 2011]


def test_to_pandas(people):
    pd = pytest.importorskip("pandas")
    df = people.execute(
        "MATCH (p:Person) RETURN p.name AS name, p.age AS age ORDER BY age"
    ).to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["name", "age"]
    assert df["age"].tolist() == [20, 25, 30, 35, 40]
    empty = people.execute("MATCH (p:Nobody) RETURN p.x AS x").to_pandas()
    assert list(empty.columns) == ["x"] and len(empty) == 0


def test_to_arrow_and_polars(people):
    pa = pytest.importorskip("pyarrow")
    table = people.execute(
        "MATCH (a:Person)-[k:KNOWS]->(b) RETURN a, k, b.name AS name ORDER BY k.since"
    ).to_arrow()
    assert isinstance(table, pa.Table)
    assert table.num_rows == 5
    assert table.column("name").to_pylist() == ["p1", "p2", "p3", "p3", "p4"]
    first = table.column("a").to_pylist()[0]
    assert first["_labels"] == ["Person"] and first["name"] == "p0"
    assert table.column("k").to_pylist()[0]["_type"] == "KNOWS"
    # The PyCapsule stream: any Arrow consumer reads it.
    r = people.execute("MATCH (p:Person) RETURN p.id AS id ORDER BY id")
    assert pa.table(r).column("id").to_pylist() == [0, 1, 2, 3, 4]
    pl = pytest.importorskip("polars")
    frame = r.to_polars()
    assert isinstance(frame, pl.DataFrame) and frame["id"].to_list() == [0, 1, 2, 3, 4]


def test_to_networkx(people):
    nx = pytest.importorskip("networkx")
    g = people.execute("MATCH (a)-[k:KNOWS]->(b) RETURN a, k, b").to_networkx()
    assert isinstance(g, nx.MultiDiGraph)
    assert g.number_of_nodes() == 5 and g.number_of_edges() == 5
    ids = {d["id"]: n for n, d in g.nodes(data=True)}
    assert g.has_edge(ids[0], ids[3])
    assert nx.shortest_path_length(g, ids[0], ids[4]) == 2
    paths = people.execute("MATCH p = (:Person {id: 0})-[*2]->() RETURN p").to_networkx()
    assert paths.number_of_edges() == 4  # 0->1->2 and 0->3->4


def test_syntax_error_has_code_line_and_column(db):
    with pytest.raises(quiverdb.CypherSyntaxError) as e:
        db.execute("MATCH (n)\nRETURN n +")
    err = e.value
    assert isinstance(err, SyntaxError) and isinstance(err, quiverdb.QuiverError)
    assert err.code == "Neo.ClientError.Statement.SyntaxError"
    assert err.kind == "SyntaxError"
    assert err.line == 2 and err.column is not None
    assert err.lineno == 2
    with pytest.raises(quiverdb.CypherSyntaxError) as e:
        db.execute("RETURN x")
    assert e.value.detail == "UndefinedVariable"


def test_type_error_and_constraint(db):
    with pytest.raises(quiverdb.CypherTypeError) as e:
        db.execute("RETURN 1 + 'a' - 2")
    assert isinstance(e.value, TypeError)
    with db.write() as tx:
        tx.create_index("User", "email", unique=True)
    db.execute("CREATE (:User {email: 'a@x'})")
    with pytest.raises(quiverdb.CypherConstraintError) as e:
        db.execute("CREATE (:User {email: 'a@x'})")
    assert isinstance(e.value, quiverdb.ConstraintError)
    assert e.value.code == "Neo.ClientError.Schema.ConstraintValidationFailed"
    assert db.execute("MATCH (u:User) RETURN count(u)").scalar() == 1


def test_timeout(db):
    db.execute("UNWIND range(1, 300) AS i CREATE (:N {i: i})")
    with pytest.raises(quiverdb.QueryTimeoutError) as e:
        db.execute(
            "MATCH (a:N), (b:N), (c:N) RETURN count(*)", timeout=0.001
        )
    assert isinstance(e.value, TimeoutError)
    with pytest.raises(quiverdb.InvalidInputError):
        db.execute("RETURN 1", timeout=-1)


def test_explain_and_profile(people):
    r = people.execute("EXPLAIN MATCH (p:Person) RETURN count(p)")
    assert len(r) == 0 and r.plan and all("operator" in s for s in r.plan)
    r = people.execute("PROFILE MATCH (p:Person) WHERE p.age > 30 RETURN p.id")
    assert r.plan is not None and any(s["rows"] is not None for s in r.plan)
    assert people.execute("RETURN 1").plan is None


def test_floats_and_nan(db):
    r = db.execute("RETURN 0.0 / 0.0 AS nan, 1e308 * 10 AS inf").rows()[0]
    assert math.isnan(r[0]) and r[1] == math.inf
    with db.write() as tx:
        with pytest.raises(quiverdb.InvalidInputError, match="NaN"):
            tx.add_node(["A"], {"x": float("nan")})
        with pytest.raises(quiverdb.InvalidInputError, match="map"):
            tx.add_node(["A"], {"x": {"nested": 1}})


def test_stream_pulls_rows_lazily(db):
    db.execute("UNWIND range(1, 5000) AS i CREATE (:N {i: i})")
    q = "MATCH (n:N) RETURN n.i AS i ORDER BY i"
    stream = db.stream(q)
    assert stream.columns == ["i"]
    assert next(stream) == (1,)
    assert stream.fetch(3) == [(2,), (3,), (4,)]
    sizes = [len(b) for b in stream.batches(2000)]
    assert sizes == [2000, 2000, 996]
    assert stream.fetch(10) == [] and next(stream, None) is None
    assert [r for r in db.stream("MATCH (n:N) WHERE n.i <= $k RETURN n.i", {"k": 3})] == [
        (1,),
        (2,),
        (3,),
    ]
    # A snapshot of its own: later commits are not seen.
    with db.stream("MATCH (n:N) RETURN count(n)") as counting:
        db.execute("CREATE (:N {i: 0})")
        assert list(counting) == [(5000,)]
    stopped = db.stream("MATCH (n:N) RETURN n")
    next(stopped)
    stopped.close()
    assert list(stopped) == []
    with pytest.raises(quiverdb.CypherError):
        db.stream("CREATE (:N)")
    with pytest.raises(quiverdb.CypherError):
        list(db.stream("UNWIND [1, 0] AS x RETURN 1 / x"))
    with pytest.raises(quiverdb.InvalidInputError):
        stream.fetch(0)
    late = db.stream(q)
    db.close()
    with pytest.raises(quiverdb.DatabaseClosedError):
        next(late)


def test_arrow_stream_types(db):
    pa = pytest.importorskip("pyarrow")
    db.execute("CREATE (:A {x: 1, tags: ['a', 'b']})-[:R {w: 0.5}]->(:B {y: 'z'})")
    r = db.execute(
        """
        MATCH p = (a:A)-[r:R]->(b:B)
        RETURN a.x AS i, r.w AS f, b.y AS s, true AS t, a.tags AS l, {k: 1, m: [1.5]} AS m,
               null AS n, a, r, p, [1, 'x'] AS mixed
        UNION ALL
        RETURN 2.5 AS i, null AS f, null AS s, null AS t, null AS l, {k: 2, extra: 'e'} AS m,
               null AS n, null AS a, null AS r, null AS p, [] AS mixed
        """
    )
    t = pa.table(r)
    types = {f.name: str(f.type) for f in t.schema}
    assert types["i"] == "double" and types["f"] == "double" and types["s"] == "string"
    assert types["t"] == "bool" and types["l"] == "list<item: string>" and types["n"] == "null"
    assert types["mixed"] == "list<item: string>"
    assert t.column("i").to_pylist() == [1.0, 2.5]
    assert t.column("m").to_pylist() == [
        {"k": 1, "m": [1.5], "extra": None},
        {"k": 2, "m": None, "extra": "e"},
    ]
    a = t.column("a").to_pylist()[0]
    assert a["_labels"] == ["A"] and a["x"] == 1 and a["tags"] == ["a", "b"]
    assert t.column("a").to_pylist()[1] is None
    rel = t.column("r").to_pylist()[0]
    assert (rel["_type"], rel["w"], rel["_start"]) == ("R", 0.5, a["_id"])
    path = t.column("p").to_pylist()[0]
    assert [n["_id"] for n in path["nodes"]] == [a["_id"], rel["_end"]]
    assert t.column("mixed").to_pylist() == [["1", "x"], []]
    empty = pa.table(db.execute("MATCH (n:Nobody) RETURN n.x AS x"))
    assert empty.num_rows == 0 and empty.column_names == ["x"]


def test_arrow_stream_without_pyarrow(tmp_path):
    pytest.importorskip("polars")
    import subprocess
    import sys

    code = f"""
import sys
sys.modules["pyarrow"] = None  # import pyarrow now fails
import polars as pl, quiverdb
with quiverdb.Database({str(tmp_path / "db")!r}) as db:
    db.execute("UNWIND range(1, 100000) AS i CREATE (:N {{i: i, half: i / 2.0}})")
    frame = pl.DataFrame(db.execute("MATCH (n:N) RETURN n.i AS i, n.half AS h ORDER BY i"))
    assert frame.shape == (100000, 2) and frame["i"].sum() == 5000050000, frame
    assert frame.dtypes == [pl.Int64, pl.Float64], frame.dtypes
    assert db.execute("RETURN 1 AS x").to_polars()["x"].to_list() == [1]
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_load_csv_reads_the_import_directory_only(tmp_path):
    imports = tmp_path / "import"
    imports.mkdir()
    (imports / "p.csv").write_text("name,age\nAnn,31\nBob,\n")
    (tmp_path / "secret.csv").write_text("s\n")
    with quiverdb.Database(tmp_path / "db", import_dir=imports) as db:
        rows = db.execute(
            "LOAD CSV WITH HEADERS FROM 'file:///p.csv' AS r "
            "CREATE (p:P {name: r.name, age: toInteger(r.age)}) RETURN p.name AS n, p.age AS a"
        ).dicts()
        assert rows == [{"n": "Ann", "a": 31}, {"n": "Bob", "a": None}]
        with pytest.raises(quiverdb.CypherError, match="leaves the import directory"):
            db.execute("LOAD CSV FROM 'file:///../secret.csv' AS r RETURN r")
    with quiverdb.Database(tmp_path / "db2") as db:
        with pytest.raises(quiverdb.CypherError, match="no import directory"):
            db.execute("LOAD CSV FROM 'file:///p.csv' AS r RETURN r")
