//! `CALL { ... }` subqueries as Neo4j runs them: correlated through a
//! scope (`CALL (a, b) { }`, `CALL (*) { }`) or an importing `WITH`,
//! returning or unit (run for their writes), `OPTIONAL CALL`, `UNION`
//! inside (the shape of neo4j-graphrag's hybrid retrievers), aggregation
//! per outer row, and the errors of a wrong import or a clashing column.
//! Every expected answer is worked out by hand from the small graph.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::params;
use quiverdb::Database;
use quiverdb::query::{CypherValue as V, ErrorKind, Params, QueryResult};

/// Ann (41) knows Bob and Cid; Bob (25) knows Cid; Cid (33) knows nobody;
/// Dee (52) knows nobody and nobody knows her.
fn people(db: &Database) {
    db.execute(
        "CREATE (a:Person {name: 'Ann', age: 41}), (b:Person {name: 'Bob', age: 25}),
                (c:Person {name: 'Cid', age: 33}), (:Person {name: 'Dee', age: 52}),
                (a)-[:KNOWS]->(b), (a)-[:KNOWS]->(c), (b)-[:KNOWS]->(c)",
        &Params::new(),
    )
    .unwrap();
}

fn rows(r: &QueryResult) -> Vec<Vec<V>> {
    r.rows().to_vec()
}

fn s(x: &str) -> V {
    V::from(x)
}

fn db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    people(&db);
    (dir, db)
}

#[test]
fn a_scoped_subquery_runs_once_per_row_and_aggregates_per_row() {
    let (_dir, db) = db();
    let text = "MATCH (p:Person) CALL (p) { MATCH (p)-[:KNOWS]->(f) RETURN count(f) AS friends } \
                RETURN p.name AS name, friends ORDER BY name";
    let want = vec![
        vec![s("Ann"), V::Int(2)],
        vec![s("Bob"), V::Int(1)],
        vec![s("Cid"), V::Int(0)],
        vec![s("Dee"), V::Int(0)],
    ];
    // The same on a snapshot (streamed) and through Database::execute.
    let r = db.begin_read().unwrap();
    assert_eq!(rows(&r.query(text, &Params::new()).unwrap()), want);
    assert_eq!(rows(&db.execute(text, &Params::new()).unwrap()), want);

    let r = db
        .execute(
            "UNWIND [1, 2, 3] AS x CALL (x) { UNWIND range(1, x) AS y RETURN sum(y) AS s } \
             RETURN x, s",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![
            vec![V::Int(1), V::Int(1)],
            vec![V::Int(2), V::Int(3)],
            vec![V::Int(3), V::Int(6)]
        ]
    );
}

#[test]
fn an_importing_with_correlates_and_rows_without_results_drop_unless_optional() {
    let (_dir, db) = db();
    let r = db
        .execute(
            "MATCH (p:Person) CALL { WITH p MATCH (p)-[:KNOWS]->(f) RETURN f.name AS friend } \
             RETURN p.name AS name, friend ORDER BY name, friend",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![
            vec![s("Ann"), s("Bob")],
            vec![s("Ann"), s("Cid")],
            vec![s("Bob"), s("Cid")]
        ]
    );
    let r = db
        .execute(
            "MATCH (p:Person) OPTIONAL CALL (p) { MATCH (p)-[:KNOWS]->(f) RETURN f.name AS friend } \
             RETURN p.name AS name, friend ORDER BY name, friend",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![
            vec![s("Ann"), s("Bob")],
            vec![s("Ann"), s("Cid")],
            vec![s("Bob"), s("Cid")],
            vec![s("Cid"), V::Null],
            vec![s("Dee"), V::Null]
        ]
    );
}

#[test]
fn an_uncorrelated_subquery_binds_its_own_variables() {
    let (_dir, db) = db();
    // The inner n is not the outer n: it counts every node, once per outer row.
    let r = db
        .execute(
            "MATCH (n:Person) WHERE n.age > 40 CALL { MATCH (n) RETURN count(n) AS total } \
             RETURN n.name AS name, total ORDER BY name",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![vec![s("Ann"), V::Int(4)], vec![s("Dee"), V::Int(4)]]
    );
    // `CALL () { }` imports nothing either.
    let r = db
        .execute(
            "CALL () { MATCH (p:Person) RETURN max(p.age) AS oldest } RETURN oldest",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(52)]]);
}

#[test]
fn union_inside_a_subquery_as_hybrid_retrievers_write_it() {
    let (_dir, db) = db();
    // Two "retrievers" with their own scores, fused by max per node.
    let r = db
        .execute(
            "CALL { \
               MATCH (p:Person) WHERE p.age > 40 RETURN p AS node, 1.0 AS score \
               UNION \
               MATCH (p:Person) WHERE p.name STARTS WITH $prefix RETURN p AS node, 0.5 AS score \
             } \
             WITH node, max(score) AS score \
             RETURN node.name AS name, score ORDER BY score DESC, name",
            &params(&[("prefix", s("B"))]),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![
            vec![s("Ann"), V::Float(1.0)],
            vec![s("Dee"), V::Float(1.0)],
            vec![s("Bob"), V::Float(0.5)]
        ]
    );
    // UNION (not ALL) removes duplicates per outer row.
    let r = db
        .execute(
            "UNWIND [1, 2] AS x CALL (x) { RETURN x AS y UNION RETURN x AS y UNION RETURN 0 AS y } \
             RETURN x, y ORDER BY x, y",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![
            vec![V::Int(1), V::Int(0)],
            vec![V::Int(1), V::Int(1)],
            vec![V::Int(2), V::Int(0)],
            vec![V::Int(2), V::Int(2)]
        ]
    );
}

#[test]
fn a_unit_subquery_writes_and_keeps_each_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let data = V::List(vec![
        V::Map(
            [
                ("name".to_owned(), s("Ann")),
                ("age".to_owned(), V::Int(41)),
            ]
            .into(),
        ),
        V::Map(
            [
                ("name".to_owned(), s("Bob")),
                ("age".to_owned(), V::Int(25)),
            ]
            .into(),
        ),
        V::Map(
            [
                ("name".to_owned(), s("Ann")),
                ("age".to_owned(), V::Int(42)),
            ]
            .into(),
        ),
    ]);
    // A statement may end with a unit subquery.
    let r = db
        .execute(
            "UNWIND $rows AS row CALL (row) { MERGE (p:Person {name: row.name}) SET p.age = row.age }",
            &params(&[("rows", data.clone())]),
        )
        .unwrap();
    assert!(r.columns().is_empty());
    // The old form, followed by more clauses: every row passes once.
    let r = db
        .execute(
            "UNWIND $rows AS row CALL { WITH row CREATE (:Seen {name: row.name}) } \
             RETURN count(*) AS n",
            &params(&[("rows", data)]),
        )
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(3)]]);
    let r = db
        .execute(
            "MATCH (p:Person) RETURN p.name AS name, p.age AS age ORDER BY name",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![vec![s("Ann"), V::Int(42)], vec![s("Bob"), V::Int(25)]]
    );
    let r = db
        .execute("MATCH (n:Seen) RETURN count(n) AS n", &Params::new())
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(3)]]);

    // A writing subquery on a read transaction is refused, nothing written.
    let read = db.begin_read().unwrap();
    let e = read
        .query("CALL { CREATE (:X) }", &Params::new())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::SemanticError, "{e}");
}

#[test]
fn a_returning_subquery_that_writes_sees_its_own_writes() {
    let (_dir, db) = db();
    let r = db
        .execute(
            "MATCH (p:Person) WHERE p.age < 30 \
             CALL (p) { CREATE (p)-[:OWNS]->(c:Car {of: p.name}) RETURN c.of AS owner } \
             MATCH (p)-[:OWNS]->(car) RETURN owner, car.of AS of",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(rows(&r), vec![vec![s("Bob"), s("Bob")]]);
}

#[test]
fn call_star_imports_every_variable() {
    let (_dir, db) = db();
    let r = db
        .execute(
            "MATCH (a:Person {name: 'Ann'}) WITH a, 10 AS bonus \
             CALL (*) { RETURN a.age + bonus AS later } RETURN later",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(51)]]);
}

#[test]
fn wrong_imports_and_clashing_columns_are_errors() {
    let (_dir, db) = db();
    let cases: [(&str, ErrorKind); 5] = [
        // A returned column already bound outside.
        (
            "MATCH (p:Person) CALL (p) { RETURN 1 AS p } RETURN p",
            ErrorKind::SyntaxError,
        ),
        // An import that is not bound.
        (
            "MATCH (p:Person) CALL (q) { RETURN 1 AS one } RETURN one",
            ErrorKind::SyntaxError,
        ),
        // An outer variable not imported is not visible inside.
        (
            "MATCH (p:Person) CALL () { RETURN p.name AS name } RETURN name",
            ErrorKind::SyntaxError,
        ),
        // Not a variable list.
        (
            "MATCH (p:Person) CALL (p.name) { RETURN 1 AS one } RETURN one",
            ErrorKind::SyntaxError,
        ),
        // An empty subquery.
        (
            "MATCH (p:Person) CALL (p) { } RETURN p",
            ErrorKind::SyntaxError,
        ),
    ];
    for (text, kind) in cases {
        let e = db.execute(text, &Params::new()).unwrap_err();
        assert_eq!(e.kind, kind, "{text}: {e}");
    }
    // A failed statement writes nothing.
    let e = db
        .execute(
            "UNWIND [1, 0] AS x CALL (x) { CREATE (:T {v: 1 / x}) }",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ArithmeticError, "{e}");
    let r = db
        .execute("MATCH (t:T) RETURN count(t) AS n", &Params::new())
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(0)]]);
}

#[test]
fn explain_shows_the_subquery_step() {
    let (_dir, db) = db();
    let r = db
        .execute(
            "EXPLAIN MATCH (p:Person) CALL (p) { MATCH (p)-->(f) RETURN count(f) AS n } RETURN p, n",
            &Params::new(),
        )
        .unwrap();
    let plan = r.plan().unwrap();
    let step = plan
        .iter()
        .find(|s| s.operator == "CallSubquery")
        .unwrap_or_else(|| panic!("{plan:?}"));
    assert!(step.details.contains("1 imported"), "{}", step.details);
    assert!(step.details.contains("returns n"), "{}", step.details);
}

/// `EXISTS { }`, `COUNT { }` and `COLLECT { }` bodies may hold `CALL`
/// subqueries (scoped or importing), procedure calls and `UNION`s, on a
/// snapshot, inside a write transaction (seeing its own writes) and
/// nested in one another.
#[test]
fn subquery_expressions_hold_call_subqueries_procedures_and_unions() {
    let (_dir, db) = db();
    let cases: [(&str, Vec<Vec<V>>); 8] = [
        // Who knows somebody, through a scoped CALL inside EXISTS.
        (
            "MATCH (p:Person) WHERE EXISTS { CALL (p) { MATCH (p)-[:KNOWS]->(f) RETURN f } } \
             RETURN p.name AS name ORDER BY name",
            vec![vec![s("Ann")], vec![s("Bob")]],
        ),
        // The same through an importing WITH, negated.
        (
            "MATCH (p:Person) WHERE NOT EXISTS { CALL { WITH p MATCH (p)-[:KNOWS]->(f) RETURN f } } \
             RETURN p.name AS name ORDER BY name",
            vec![vec![s("Cid")], vec![s("Dee")]],
        ),
        // COUNT over a UNION inside a CALL: friends and those who know
        // them, without duplicates (Ann: Bob, Cid; Bob: Cid, Ann; Cid:
        // Ann, Bob; Dee: none).
        (
            "MATCH (p:Person) RETURN p.name AS name, \
             COUNT { CALL (p) { MATCH (p)-[:KNOWS]->(f) RETURN f UNION MATCH (p)<-[:KNOWS]-(f) RETURN f } } AS n \
             ORDER BY name",
            vec![
                vec![s("Ann"), V::Int(2)],
                vec![s("Bob"), V::Int(2)],
                vec![s("Cid"), V::Int(2)],
                vec![s("Dee"), V::Int(0)],
            ],
        ),
        // COLLECT after a CALL that aggregates per row.
        (
            "MATCH (p:Person {name: 'Ann'}) RETURN COLLECT { \
             MATCH (p)-[:KNOWS]->(f) CALL (f) { MATCH (f)-[:KNOWS]->(g) RETURN count(g) AS k } \
             RETURN f.name + ':' + toString(k) ORDER BY f.name } AS xs",
            vec![vec![V::List(vec![s("Bob:1"), s("Cid:0")])]],
        ),
        // A UNION straight inside the subquery expression; UNION drops
        // duplicates, UNION ALL keeps them.
        (
            "MATCH (p:Person {name: 'Bob'}) RETURN \
             COUNT { MATCH (p)-[:KNOWS]-(f) RETURN f.name AS x UNION MATCH (p)<-[:KNOWS]-(f) RETURN f.name AS x } AS u, \
             COUNT { MATCH (p)-[:KNOWS]-(f) RETURN f.name AS x UNION ALL MATCH (p)<-[:KNOWS]-(f) RETURN f.name AS x } AS a",
            vec![vec![V::Int(2), V::Int(3)]],
        ),
        // A procedure call inside EXISTS, reading the row's variables.
        (
            "MATCH (p:Person) WHERE EXISTS { CALL db.labels() YIELD label WHERE label = 'Person' AND p.age > 40 RETURN label } \
             RETURN p.name AS name ORDER BY name",
            vec![vec![s("Ann")], vec![s("Dee")]],
        ),
        // Nested: an EXISTS with a CALL inside a CALL inside an EXISTS.
        (
            "MATCH (p:Person) WHERE EXISTS { CALL (p) { MATCH (p)-[:KNOWS]->(f) \
             WHERE EXISTS { CALL (f) { MATCH (f)-[:KNOWS]->(g) RETURN g } } RETURN f } } \
             RETURN p.name AS name",
            vec![vec![s("Ann")]],
        ),
        // In a projection with aggregation around it.
        (
            "MATCH (p:Person) WITH p, COUNT { CALL (p) { MATCH (p)-[:KNOWS]->(f) RETURN f } } AS n \
             RETURN sum(n) AS total",
            vec![vec![V::Int(3)]],
        ),
    ];
    for (text, want) in &cases {
        let r = db.begin_read().unwrap();
        assert_eq!(
            &rows(&r.query(text, &Params::new()).unwrap()),
            want,
            "{text}"
        );
        assert_eq!(
            &rows(&db.execute(text, &Params::new()).unwrap()),
            want,
            "{text}"
        );
    }
}

/// Inside a write transaction a subquery expression with a `CALL` sees
/// the transaction's own writes; one that would write is refused.
#[test]
fn subquery_expressions_see_their_transaction_and_cannot_write() {
    let (_dir, db) = db();
    // Before and after a write clause of the same statement.
    let mut w = db.begin_write().unwrap();
    w.query(
        "MATCH (d:Person {name: 'Dee'}), (c:Person {name: 'Cid'}) CREATE (d)-[:KNOWS]->(c)",
        &Params::new(),
    )
    .unwrap();
    let r = w
        .query(
            "MATCH (p:Person) WHERE EXISTS { CALL (p) { MATCH (p)-[:KNOWS]->(f) RETURN f } } \
             SET p.knows = true RETURN p.name AS name ORDER BY name",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![vec![s("Ann")], vec![s("Bob")], vec![s("Dee")]]
    );
    let r = w
        .query(
            "MATCH (c:Person {name: 'Cid'}) \
             RETURN COUNT { CALL (c) { MATCH (c)<-[:KNOWS]-(x) WHERE x.knows RETURN x } } AS n",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(3)]]);
    drop(w);

    // A subquery expression cannot write, however deep the write is.
    for text in [
        "MATCH (p:Person) WHERE EXISTS { CALL (p) { CREATE (:T) RETURN 1 AS one } } RETURN p",
        "MATCH (p:Person) RETURN COUNT { CALL (p) { SET p.x = 1 } } AS n",
        "MATCH (p:Person) RETURN COUNT { MATCH (p)-->(f) RETURN f UNION CREATE (f:T) RETURN f } AS n",
    ] {
        let e = db.execute(text, &Params::new()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SyntaxError, "{text}: {e}");
    }
    // Branches of a UNION return the same columns.
    let e = db
        .execute(
            "MATCH (p:Person) RETURN COUNT { MATCH (p)-->(f) RETURN f UNION MATCH (p)<--(g) RETURN g } AS n",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::SyntaxError, "{e}");
    let r = db
        .execute("MATCH (t:T) RETURN count(t) AS n", &Params::new())
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(0)]]);
}

/// Every prefix and suffix of statements in the syntax the parser gained
/// (subqueries, `IN TRANSACTIONS`, `FOREACH`, dynamic labels, schema
/// commands) gives rows or a typed error — never a panic.
#[test]
fn cut_statements_of_the_new_syntax_fail_cleanly() {
    let (_dir, db) = db();
    let statements = [
        "MATCH (p:Person) OPTIONAL CALL (p) { MATCH (p)-[:KNOWS]->(f) RETURN f.name AS n UNION RETURN 'x' AS n } RETURN p, n",
        "UNWIND [1, 2] AS x CALL { WITH x CREATE (:T {x: x}) } IN TRANSACTIONS OF 1 ROWS ON ERROR CONTINUE REPORT STATUS AS s RETURN s",
        "MATCH (n) FOREACH (x IN [1, 2] | SET n:$(['A', 'B']), n.x = x FOREACH (y IN [x] | REMOVE n:`A`:$('B')))",
        "CREATE CONSTRAINT c1 IF NOT EXISTS FOR (n:Person) REQUIRE n.name IS NODE UNIQUE OPTIONS {indexConfig: {}}",
        "CREATE VECTOR INDEX v IF NOT EXISTS FOR ()-[r:KNOWS]-() ON r.e OPTIONS {indexConfig: {`vector.dimensions`: 3}}",
        "DROP CONSTRAINT c1 IF EXISTS",
        "SHOW RANGE INDEXES",
        "MATCH (p:Person) WHERE EXISTS { CALL (p) { MATCH (p)-->(f) RETURN f UNION MATCH (p)<--(f) RETURN f } } RETURN COUNT { CALL { RETURN 1 AS x } } AS n",
    ];
    for text in statements {
        let cuts = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .flat_map(|i| [&text[..i], &text[i..]]);
        for cut in cuts {
            // A panic inside fails the test; an error or rows are fine.
            let _ = db.execute(cut, &Params::new());
        }
    }
    // Still a working database.
    let r = db
        .execute("MATCH (p:Person) RETURN count(p) AS n", &Params::new())
        .unwrap();
    assert!(matches!(r.rows()[0][0], V::Int(n) if n >= 4));
}
