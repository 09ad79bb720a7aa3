import threading

import pytest

import quiverdb


def count(target, label="A"):
    return target.execute(f"MATCH (n:{label}) RETURN count(n)").scalar()


def test_write_commits_at_the_end_of_the_block(db):
    with db.write() as tx:
        a = tx.add_node(["A"], {"name": "a"})
        b = tx.add_node(["A"], {"name": "b"})
        e = tx.add_edge(a, b, "R", {"w": 1.5})
        assert tx.node(a) == (["A"], {"name": "a"})
        assert count(tx) == 2  # its own writes
        assert count(db) == 0  # not yet visible to others
    assert not tx.active
    assert count(db) == 2
    r = db.execute("MATCH ()-[r:R]->() RETURN r").scalar()
    assert (r.id, r.start, r.end, r["w"]) == (e, a, b, 1.5)
    with pytest.raises(quiverdb.TransactionClosedError):
        tx.add_node(["A"])


def test_exception_rolls_back(db):
    with pytest.raises(RuntimeError):
        with db.write() as tx:
            tx.add_node(["A"])
            raise RuntimeError("boom")
    assert count(db) == 0
    tx = db.write()
    tx.add_node(["A"])
    tx.rollback()
    tx.rollback()
    assert count(db) == 0


def test_failed_statement_leaves_the_transaction_as_it_was(db):
    with db.write() as tx:
        tx.execute("CREATE (:A)")
        with pytest.raises(quiverdb.CypherError):
            tx.execute("CREATE (:A) WITH 1 AS x RETURN x / 0")
        assert count(tx) == 1
    assert count(db) == 1


def test_snapshot_sees_the_past(db):
    db.execute("CREATE (:A)")
    with db.read() as snap:
        db.execute("CREATE (:A)")
        assert count(snap) == 1
        assert count(db) == 2
    with pytest.raises(quiverdb.TransactionClosedError):
        snap.execute("RETURN 1")


def test_read_transaction_refuses_writes(db):
    with db.read() as snap:
        with pytest.raises(quiverdb.CypherError) as e:
            snap.execute("CREATE (:A)")
        assert e.value.code.startswith("Neo.ClientError")


def test_graph_calls_and_their_errors(db):
    with db.write() as tx:
        a = tx.add_node(["A"], {"k": 1})
        b = tx.add_node(["B"])
        tx.add_edge(a, b, "R")
        tx.set_node_property(a, "k", [1, 2])
        with pytest.raises(quiverdb.NotFoundError):
            tx.add_edge(a, 10_000, "R")
        with pytest.raises(LookupError):
            tx.set_node_property(10_000, "k", 1)
        with pytest.raises(quiverdb.ConstraintError, match="edge"):
            tx.delete_node(a)
        tx.delete_node(b, detach=True)
    with db.read() as snap:
        assert snap.node(a) == (["A"], {"k": [1, 2]})
        assert snap.node(b) is None


def test_threads_read_while_one_writes(db):
    db.execute("UNWIND range(1, 200) AS i CREATE (:A {i: i})")
    expected = db.execute("MATCH (a:A) RETURN sum(a.i) AS s, count(a) AS n").rows()
    errors = []
    stop = threading.Event()

    def reader():
        try:
            with db.read() as snap:
                for _ in range(50):
                    assert snap.execute("MATCH (a:A) RETURN sum(a.i) AS s, count(a) AS n").rows() == expected
        except BaseException as e:  # reported below
            errors.append(e)

    def writer():
        try:
            while not stop.is_set():
                with db.write() as tx:
                    tx.add_node(["B"])
        except BaseException as e:
            errors.append(e)

    w = threading.Thread(target=writer)
    w.start()
    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    stop.set()
    w.join()
    assert errors == []
    assert count(db, "B") > 0


def test_one_writer_at_a_time(db):
    order = []
    first = db.write()
    started = threading.Event()

    def second():
        started.set()
        with db.write() as tx:  # waits for the first, GIL released
            order.append("second")
            tx.add_node(["A"])

    t = threading.Thread(target=second)
    t.start()
    started.wait()
    order.append("first")
    first.add_node(["A"])
    first.commit()
    t.join(30)
    assert order == ["first", "second"]
    assert count(db) == 2


def test_bulk_nodes_and_edges(db):
    np = pytest.importorskip("numpy")
    with db.write() as tx:
        ids = tx.add_nodes(["P"], [{"i": i} for i in range(100)])
        assert ids.dtype == np.uint64 and len(ids) == 100
        edges = tx.add_edges(ids[:-1], ids[1:], "NEXT", [{"w": i} for i in range(99)])
        assert len(edges) == 99
        with pytest.raises(quiverdb.NotFoundError):
            tx.add_edges([ids[0], ids[1]], [ids[2], 10**9], "NEXT")
        with pytest.raises(quiverdb.InvalidInputError):
            tx.add_edges([ids[0]], [ids[1], ids[2]], "NEXT")
        with pytest.raises(quiverdb.InvalidInputError):
            tx.add_edges([ids[0]], [ids[1]], "NEXT", [{}, {}])
    assert db.execute("MATCH ()-[r:NEXT]->() RETURN count(r), sum(r.w)").rows() == [(99, 4851)]
    p = db.shortest_path(int(ids[0]), int(ids[-1]))
    assert len(p["edges"]) == 99
