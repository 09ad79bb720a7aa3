import multiprocessing
import os
import sys

import pytest

import quiverdb


def test_open_creates_and_reopens(tmp_path):
    path = tmp_path / "db"
    with quiverdb.Database(path) as db:
        assert not db.closed
        assert db.path == str(path)
        db.execute("CREATE (:Thing {n: 1})")
    assert db.closed
    with quiverdb.Database(str(path)) as db:
        assert db.execute("MATCH (t:Thing) RETURN t.n").scalar() == 1
        assert db.disk_usage() > 0


def test_every_call_after_close_raises(tmp_path):
    db = quiverdb.Database(tmp_path / "db")
    snap = db.read()
    tx = db.write()
    db.close()
    db.close()  # twice is fine
    for call in (
        lambda: db.execute("RETURN 1"),
        lambda: db.read(),
        lambda: db.write(),
        lambda: db.search("v", [1.0]),
        lambda: snap.execute("RETURN 1"),
        lambda: tx.add_node(["A"]),
        lambda: tx.commit(),
    ):
        with pytest.raises(quiverdb.DatabaseClosedError):
            call()
    tx.rollback()
    snap.close()
    # Once the transactions have ended the directory is free again.
    quiverdb.Database(tmp_path / "db").close()


def test_results_outlive_the_database(tmp_path):
    db = quiverdb.Database(tmp_path / "db")
    db.execute("CREATE (:A {x: 1})-[:R {w: 2}]->(:B)")
    result = db.execute("MATCH p = (a)-[r]->(b) RETURN a, r, b, p")
    db.close()
    a, r, b, p = result[0]
    assert a["x"] == 1 and r["w"] == 2 and b.labels == ["B"] and len(p) == 1
    assert result.to_pandas().shape == (1, 4)


def test_a_second_open_is_locked(db):
    with pytest.raises(quiverdb.LockedError, match="locked"):
        quiverdb.Database(db.path)


def test_not_a_database_and_missing(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("hello")
    with pytest.raises(quiverdb.NotADatabaseError):
        quiverdb.Database(tmp_path / "junk")
    with pytest.raises(quiverdb.NotADatabaseError):
        quiverdb.Database(tmp_path / "absent", create=False)


def test_newer_format_is_refused(tmp_path):
    path = tmp_path / "db"
    quiverdb.Database(path).close()
    (path / "QUIVERDB").write_text(f"QuiverDB database\nformat {quiverdb.FORMAT_VERSION + 1}\n")
    with pytest.raises(quiverdb.NewerFormatError, match="upgrade"):
        quiverdb.Database(path)


def test_bad_options(tmp_path):
    with pytest.raises(quiverdb.InvalidInputError, match="durability"):
        quiverdb.Database(tmp_path / "db", durability="sometimes")
    with pytest.raises(ValueError):
        quiverdb.Database(tmp_path / "db", durability="sometimes")


def test_buffered_durability_and_sync(tmp_path):
    with quiverdb.Database(tmp_path / "db", durability="buffered") as db:
        db.execute("CREATE (:A)")
        db.sync()
        db.checkpoint()
    with quiverdb.Database(tmp_path / "db") as db:
        assert db.execute("MATCH (a:A) RETURN count(a)").scalar() == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_use_after_fork_raises_in_the_child(db):
    db.execute("CREATE (:A)")
    snap = db.read()
    pid = os.fork()
    if pid == 0:  # the child: every call must raise ForkedProcessError
        code = 0
        for call in (lambda: db.execute("RETURN 1"), lambda: snap.execute("RETURN 1")):
            try:
                call()
                code = 1
            except quiverdb.ForkedProcessError:
                pass
            except BaseException:
                code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    # The parent's database is untouched.
    assert snap.execute("MATCH (a:A) RETURN count(a)").scalar() == 1
    assert db.execute("MATCH (a:A) RETURN count(a)").scalar() == 1


def _count_in_child(path, queue):
    with quiverdb.Database(path) as db:
        queue.put(db.execute("MATCH (a:A) RETURN count(a)").scalar())


def test_spawned_process_opens_it_itself(tmp_path):
    path = str(tmp_path / "db")
    with quiverdb.Database(path) as db:
        db.execute("UNWIND range(1, 3) AS i CREATE (:A)")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_count_in_child, args=(path, queue))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == 3


def test_version_and_format():
    assert isinstance(quiverdb.__version__, str)
    assert quiverdb.FORMAT_VERSION >= 8
    assert sys.modules["quiverdb"].NO_KEY == 2**64 - 1
