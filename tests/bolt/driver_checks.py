"""Checks the official Neo4j Python driver against `quiver serve`.

Run by tests/bolt.rs: `python driver_checks.py URI USER PASSWORD`, against
a server over a database holding the graph tests/bolt.rs writes. Exits
non-zero with the failed check's message.
"""
import datetime
import logging
import sys
import threading

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ClientError

uri, user, password = sys.argv[1:4]


def check(ok, what):
    if not ok:
        raise AssertionError(what)


# Wrong credentials: an authentication error, not a hang or a crash.
try:
    with GraphDatabase.driver(uri, auth=(user, password + "x")) as bad:
        bad.verify_connectivity()
    raise AssertionError("a wrong password was let in")
except AuthError:
    pass

with GraphDatabase.driver(uri, auth=(user, password)) as driver:
    driver.verify_connectivity()
    # The script runs once per URI scheme on one database.
    driver.execute_query("MATCH (t:Temp) DELETE t")
    info = driver.get_server_info()
    check(info.agent.startswith("Neo4j/"), f"agent {info.agent}")

    # Auto-commit reads with parameters; nodes and relationships with
    # their element ids, which elementId() matches.
    with driver.session() as s:
        rows = list(s.run(
            "MATCH (a:Person {name: $name})-[k:KNOWS]->(b) "
            "RETURN a, k, b, elementId(a) AS eid ORDER BY b.name",
            name="ada"))
        check(len(rows) == 2, f"{len(rows)} rows")
        a, k, b = rows[0]["a"], rows[0]["k"], rows[0]["b"]
        check(set(a.labels) == {"Person"} and a["name"] == "ada", f"node {a}")
        check(a.element_id == rows[0]["eid"], f"element id {a.element_id} vs {rows[0]['eid']}")
        check(k.type == "KNOWS" and k["since"] == 2019, f"relationship {k}")
        check(k.start_node.element_id == a.element_id, "relationship start")
        check(k.end_node.element_id == b.element_id, "relationship end")
        check(b["name"] == "bob", f"first friend {b['name']}")

    # Every value type round-trips: sent as parameters, returned.
    values = {
        "null": None,
        "t": True,
        "i": -(2 ** 40),
        "f": 1.5,
        "s": "grüße ✓",
        "b": bytearray(b"\x00\xffbytes"),
        "l": [1, "two", [3.0]],
        "m": {"k": [1, 2], "n": {"x": None}},
        "d": neo4j.time.Date(2024, 2, 29),
        "lt": neo4j.time.Time(13, 45, 30, 123456789),
        "ldt": neo4j.time.DateTime(1969, 7, 20, 20, 17, 40),
        "dt": neo4j.time.DateTime(2024, 3, 31, 2, 30, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))),
        "dur": neo4j.time.Duration(months=14, days=3, seconds=7, nanoseconds=9),
    }
    with driver.session() as s:
        record = s.run("RETURN " + ", ".join(f"${k} AS {k}" for k in values), **values).single()
        for k, v in values.items():
            got = record[k]
            if k == "b":
                check(bytes(got) == bytes(v), f"{k}: {got!r}")
            else:
                check(got == v, f"{k}: sent {v!r}, got {got!r}")
        z = s.run("RETURN datetime({year: 2024, month: 6, day: 1, hour: 12, timezone: 'Europe/Stockholm'}) AS z").single()["z"]
        check(z.tzinfo is not None and z.utcoffset() == datetime.timedelta(hours=2), f"zoned {z!r}")
        p = s.run("MATCH p = (:Person {name: 'ada'})-[:KNOWS]->(:Person {name: 'bob'})<-[:KNOWS]-(c) RETURN p").single()["p"]
        check(len(p) == 2 and p.start_node["name"] == "ada" and p.end_node["name"] == "cy", f"path {p}")
        check([r.type for r in p.relationships] == ["KNOWS", "KNOWS"], "path relationships")

    # Explicit transactions: a rollback leaves nothing, a commit is seen.
    with driver.session() as s:
        tx = s.begin_transaction()
        tx.run("CREATE (:Temp {v: 1})").consume()
        check(tx.run("MATCH (t:Temp) RETURN count(t) AS n").single()["n"] == 1, "own write unseen")
        tx.rollback()
        check(s.run("MATCH (t:Temp) RETURN count(t) AS n").single()["n"] == 0, "rollback kept a write")
        with s.begin_transaction() as tx:
            tx.run("CREATE (:Temp {v: 2})")
            tx.commit()
        check(s.run("MATCH (t:Temp) RETURN t.v AS v").single()["v"] == 2, "commit lost")

    # Managed transactions, and execute_query.
    def add(tx, v):
        return tx.run("CREATE (t:Temp {v: $v}) RETURN t.v AS v", v=v).single()["v"]

    with driver.session() as s:
        check(s.execute_write(add, 3) == 3, "execute_write")
        n = s.execute_read(lambda tx: tx.run("MATCH (t:Temp) RETURN count(t) AS n").single()["n"])
        check(n == 2, f"execute_read saw {n}")
    records, summary, keys = driver.execute_query("MATCH (p:Person) RETURN p.name AS name ORDER BY name")
    check([r["name"] for r in records] == ["ada", "bob", "cy"] and keys == ["name"], "execute_query")
    check(not summary.counters.contains_updates, "a read counted updates")

    # The summary counts what a statement wrote.
    _, summary, _ = driver.execute_query(
        "CREATE (a:Temp:Counted {v: 4, w: 5})-[:TO {x: 1}]->(b:Temp {v: 6})")
    c = summary.counters
    check((c.nodes_created, c.relationships_created, c.properties_set, c.labels_added)
          == (2, 1, 4, 3) and c.contains_updates, f"counters {c}")
    _, summary, _ = driver.execute_query("MATCH (a:Counted) REMOVE a:Counted SET a.v = 7 DETACH DELETE a")
    c = summary.counters
    check((c.labels_removed, c.properties_set, c.nodes_deleted, c.relationships_deleted)
          == (1, 1, 1, 1), f"counters {c}")

    # A large result streams in batches (the driver pulls 1,000 at a time).
    with driver.session(fetch_size=1000) as s:
        total = sum(r["i"] for r in s.run("UNWIND range(1, 200000) AS i RETURN i"))
        check(total == 200000 * 200001 // 2, f"sum {total}")
        # Stopping early is fine, and the session goes on.
        result = s.run("UNWIND range(1, 5000000) AS i RETURN i")
        first = [r["i"] for _, r in zip(range(5), result)]
        check(first == [1, 2, 3, 4, 5], f"first rows {first}")
        result.consume()
        check(s.run("RETURN 1 AS one").single()["one"] == 1, "session after consume")

    # A managed transaction retries a transient error: another
    # transaction holds the writer past the server's wait (1 s in the
    # tests), then commits.
    # The driver says when it retries (the failure may come at BEGIN,
    # before the transaction function runs).
    retries = []

    class Retries(logging.Handler):
        def emit(self, record):
            if "will be retried" in record.getMessage():
                retries.append(record.getMessage())

    logging.getLogger("neo4j").addHandler(Retries())
    holder = driver.session()
    held = holder.begin_transaction()
    held.run("CREATE (:Temp {v: 8})").consume()
    release = threading.Timer(2.5, held.commit)
    release.start()
    with driver.session() as s:
        v = s.execute_write(
            lambda tx: tx.run("CREATE (t:Temp {v: 9}) RETURN t.v AS v").single()["v"])
    release.join()
    holder.close()
    check(v == 9 and retries and "LockAcquisitionTimeout" in retries[0], f"retries {retries}")
    n = driver.execute_query("MATCH (t:Temp) WHERE t.v IN [8, 9] RETURN count(t) AS n").records[0]["n"]
    check(n == 2, f"{n} of the retried and the held writes")

    # Errors are classified by their Neo4j codes.
    with driver.session() as s:
        try:
            s.run("RETURN 1 +").consume()
            raise AssertionError("a syntax error passed")
        except ClientError as e:
            check(e.code == "Neo.ClientError.Statement.SyntaxError", e.code)
        check(s.run("RETURN 2 AS two").single()["two"] == 2, "session after an error")
        try:
            s.execute_read(lambda tx: tx.run("CREATE (:Nope)").consume())
            raise AssertionError("a write ran in a read transaction")
        except ClientError as e:
            check(e.code == "Neo.ClientError.Statement.AccessMode", e.code)

print("ok", neo4j.__version__)
