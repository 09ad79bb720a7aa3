//! Label expressions beyond `:A:B` — `!`, `&`, `|` on nodes, `%`,
//! parentheses — in `MATCH`, `OPTIONAL MATCH`, pattern predicates and
//! `WHERE n:…`, and `WHERE` inside a node or relationship pattern, on a
//! graph small enough that every answer is written out by hand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use quiverdb::Database;
use quiverdb::query::{CypherValue as V, ErrorKind, Params};

/// (1:A)-[:X]->(2:B), (1)-[:Y]->(3:A:B), (2)-[:Z]->(4, no label).
fn graph() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    db.execute(
        "CREATE (a:A {n: 1}), (b:B {n: 2}), (ab:A:B {n: 3}), (x {n: 4}), (a)-[:X]->(b), (a)-[:Y]->(ab), (b)-[:Z]->(x)",
        &Params::new(),
    )
    .unwrap();
    (dir, db)
}

fn ints(db: &Database, text: &str) -> Vec<i64> {
    db.execute(text, &Params::new())
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .rows()
        .iter()
        .map(|r| match &r[0] {
            V::Int(n) => *n,
            V::Null => -1,
            other => panic!("{text}: {other:?}"),
        })
        .collect()
}

#[test]
fn node_label_expressions_match_what_they_say() {
    let (_dir, db) = graph();
    for (pattern, want) in [
        ("(n:!A)", vec![2, 4]),
        ("(n:A|B)", vec![1, 2, 3]),
        ("(n:A&B)", vec![3]),
        ("(n:A&!B)", vec![1]),
        ("(n:%)", vec![1, 2, 3]),
        ("(n:!%)", vec![4]),
        ("(n:(A|B)&!(A&B))", vec![1, 2]),
        ("(n:!(A|B))", vec![4]),
        ("(n WHERE n.n > 2)", vec![3, 4]),
        ("(n:A WHERE n.n < 3)", vec![1]),
    ] {
        let text = format!("MATCH {pattern} RETURN n.n ORDER BY n.n");
        assert_eq!(ints(&db, &text), want, "{text}");
    }
    // The same tests in WHERE, and with a WHERE of the clause beside them.
    assert_eq!(
        ints(&db, "MATCH (n) WHERE n:A|B RETURN n.n ORDER BY n.n"),
        [1, 2, 3]
    );
    assert_eq!(
        ints(&db, "MATCH (n) WHERE NOT n:!A RETURN n.n ORDER BY n.n"),
        [1, 3]
    );
    assert_eq!(ints(&db, "MATCH (n:!A) WHERE n.n > 2 RETURN n.n"), [4]);
    assert_eq!(
        ints(
            &db,
            "MATCH (n) WHERE n:% AND n.n > 1 RETURN n.n ORDER BY n.n"
        ),
        [2, 3]
    );
}

#[test]
fn relationship_label_expressions_and_element_predicates() {
    let (_dir, db) = graph();
    let types = |text: &str| -> Vec<String> {
        db.execute(text, &Params::new())
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .rows()
            .iter()
            .map(|r| match &r[0] {
                V::String(s) => s.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(
        types("MATCH ()-[r:!X]->() RETURN type(r) ORDER BY type(r)"),
        ["Y", "Z"]
    );
    assert_eq!(
        types("MATCH ()-[r:%]->() RETURN type(r) ORDER BY type(r)"),
        ["X", "Y", "Z"]
    );
    assert_eq!(types("MATCH ()-[r:!(X|Y)]->() RETURN type(r)"), ["Z"]);
    assert_eq!(
        ints(&db, "MATCH (a:A)-[r WHERE type(r) = 'Y']->(b) RETURN b.n"),
        [3]
    );
    assert_eq!(ints(&db, "MATCH (a {n: 1})-->(b:!A) RETURN b.n"), [2]);
    // OPTIONAL MATCH keeps the row with nulls when the test fails.
    assert_eq!(
        ints(
            &db,
            "MATCH (a {n: 2}) OPTIONAL MATCH (a)-->(b:A) RETURN b.n"
        ),
        [-1]
    );
    assert_eq!(
        ints(
            &db,
            "MATCH (a {n: 2}) OPTIONAL MATCH (a)-->(b:!A) RETURN b.n"
        ),
        [4]
    );
    // Pattern predicates and counts.
    assert_eq!(
        ints(&db, "MATCH (n) WHERE (n)-[:!X]->(:A|B) RETURN n.n"),
        [1]
    );
    assert_eq!(
        ints(
            &db,
            "MATCH (n) RETURN COUNT { MATCH (n)-->(:!%) } AS c ORDER BY c DESC LIMIT 1"
        ),
        [1]
    );
    assert_eq!(ints(&db, "MATCH (:!%) RETURN count(*)"), [1]);
    assert_eq!(ints(&db, "MATCH (n) WHERE (n)-->(:!%) RETURN n.n"), [2]);
}

/// The short forms `EXISTS { pattern }` and `COUNT { pattern }` take the
/// same label expressions as `MATCH`.
#[test]
fn subquery_expression_short_forms_take_label_expressions() {
    let (_dir, db) = graph();
    for (text, want) in [
        (
            "MATCH (m) WHERE EXISTS { (m)-->(:!A) } RETURN m.n ORDER BY m.n",
            vec![1, 2],
        ),
        (
            "MATCH (m) WHERE EXISTS { (m)-->(:!%) } RETURN m.n ORDER BY m.n",
            vec![2],
        ),
        (
            "MATCH (m) RETURN COUNT { (m)-->(:A|B) } AS c ORDER BY m.n",
            vec![2, 0, 0, 0],
        ),
        (
            "MATCH (m) RETURN COUNT { (m)-->(x:A&B) } AS c ORDER BY m.n",
            vec![1, 0, 0, 0],
        ),
        (
            "MATCH (m) RETURN COUNT { (m)-[:!X]->(x:%) } AS c ORDER BY m.n",
            vec![1, 0, 0, 0],
        ),
        (
            "MATCH (m:A) WHERE NOT EXISTS { (m)<--(:(A|B)&!(A&B)) } RETURN m.n",
            vec![1],
        ),
    ] {
        assert_eq!(ints(&db, text), want, "{text}");
    }
}

#[test]
fn writes_take_only_plain_labels() {
    let (_dir, db) = graph();
    for text in ["CREATE (n:!A)", "MERGE (n:A|B)", "CREATE (a)-[:!X]->(b)"] {
        let err = db.execute(text, &Params::new()).unwrap_err();
        assert!(
            matches!(
                err.kind,
                ErrorKind::SyntaxError | ErrorKind::Unsupported | ErrorKind::SemanticError
            ),
            "{text}: {err}"
        );
    }
    assert_eq!(ints(&db, "MATCH (n) RETURN count(n)"), [4]);
}
