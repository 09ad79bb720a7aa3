//! EXPLAIN snapshots: the plan of each statement of a fixed set on a
//! fixed small graph, as text, against `tests/snapshots/explain.txt`. A
//! change to a rule or to how plans are described shows as a diff there;
//! `QUIVER_BLESS=1 cargo test --release --test explain_plans` writes the
//! new text after it was reviewed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::fmt::Write as _;
use std::path::Path;

use quiverdb::Database;
use quiverdb::query::Params;

const STATEMENTS: &[&str] = &[
    // Whole-graph aggregations (the rule ColumnarAggregate).
    "MATCH (p:Person) RETURN p.city AS c, count(*) AS n ORDER BY n DESC, c LIMIT 10",
    "MATCH (p:Person) RETURN p.age / 10 AS band, count(*) AS n ORDER BY band",
    "MATCH (p:Person)<-[:KNOWS]-(:Person) RETURN p.id AS id, count(*) AS n ORDER BY n DESC, id LIMIT 10",
    "MATCH (a:Person)-[:KNOWS]->(b:Person) WHERE a.age < 25 AND a.city = b.city RETURN count(*)",
    "MATCH (a:Person)-[:KNOWS]->(b:Person)-[:KNOWS]->(a) RETURN count(*)",
    "MATCH (p:Person) WHERE p.age >= 30 AND p.age < 40 AND p.city = 'Oslo' RETURN count(p)",
    "MATCH (a:Person)-[:KNOWS]->(b:Person)-[:KNOWS]->(c:Person) RETURN count(*)",
    "MATCH (p:Person) WHERE NOT (p)-[:KNOWS]->(:Person) RETURN count(*)",
    "MATCH (a:Person)-[:KNOWS]->(b) RETURN count(DISTINCT b)",
    "MATCH (:Person)-[k:KNOWS]->(:Person) RETURN k.since AS y, count(*) AS n ORDER BY y",
    // Top rows by property (the rule ColumnarTopK).
    "MATCH (p:Person) WHERE p.age > 21 RETURN p.id AS id ORDER BY p.age DESC, id LIMIT 2",
    // Shapes the rules leave to the row-at-a-time path.
    "MATCH (p:Person {id: 1})-[:KNOWS]->(f) RETURN f.id ORDER BY f.id",
    "MATCH (p:Person {id: 1})-[:KNOWS*1..2]->(f) RETURN f.city AS c, count(DISTINCT f) AS n",
    "MATCH p = shortestPath((a:Person {id: 1})-[:KNOWS*]->(b:Person {id: 4})) RETURN length(p)",
    "MATCH (p:Person) SET p.flag = true",
    // Start choices made at run time from WHERE: an index range, the
    // columns of a large label.
    "MATCH (p:Person) WHERE p.age > 21 AND p.age <= 40 RETURN p.id AS id",
    "MATCH (p:Person) WHERE p.city = 'Oslo' AND 30 > p.id RETURN p.id AS id",
    // Chains run from what reads least (the rule ChainOrder), distinct
    // ends found once (the rule PruningVarExpand).
    "MATCH (a:Person)-[:KNOWS]->(b), (b)-[:KNOWS]->(c:Person {id: 4}) RETURN a.id, b.id",
    "MATCH (s:Person) MATCH (s)-[*]-(c) WITH s, collect(DISTINCT c) AS component RETURN s.id, size(component)",
    // A subquery's steps, one deeper, after its own (each branch of it).
    "MATCH (p:Person) CALL (p) { MATCH (p)-[:KNOWS]->(f) RETURN count(f) AS n UNION MATCH (p)<-[:LIKES]-(f) RETURN count(f) AS n } RETURN p.id, n",
];

fn graph(db: &Database) {
    db.execute(
        "CREATE (a:Person {id: 1, age: 20, city: 'Oslo'}),
                (b:Person {id: 2, age: 34, city: 'Oslo'}),
                (c:Person {id: 3, age: 51, city: 'Lima'}),
                (d:Person {id: 4, age: 22, city: 'Lima'}),
                (a)-[:KNOWS {since: 2001}]->(b), (b)-[:KNOWS {since: 2010}]->(a),
                (b)-[:KNOWS {since: 2010}]->(c), (c)-[:KNOWS {since: 2019}]->(d),
                (a)-[:KNOWS {since: 2019}]->(d), (d)-[:LIKES]->(a)",
        &Params::new(),
    )
    .unwrap();
    db.execute("CREATE INDEX FOR (p:Person) ON (p.age)", &Params::new())
        .unwrap();
}

fn plans(db: &Database) -> String {
    let mut out = String::new();
    for statement in STATEMENTS {
        let result = db
            .execute(&format!("EXPLAIN {statement}"), &Params::new())
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
        writeln!(out, "{statement}").unwrap();
        for step in result.plan().unwrap() {
            let indent = "  ".repeat(step.depth);
            writeln!(
                out,
                "  {indent}{} (branch {}): {}",
                step.operator, step.branch, step.details
            )
            .unwrap();
        }
        out.push('\n');
    }
    out
}

#[test]
fn explain_shows_the_plans_of_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    graph(&db);
    let got = plans(&db);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/explain.txt");
    if std::env::var_os("QUIVER_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (QUIVER_BLESS=1 writes it)", path.display()));
    if got != want {
        let diff: Vec<String> = want
            .lines()
            .zip(got.lines())
            .filter(|(w, g)| w != g)
            .map(|(w, g)| format!("- {w}\n+ {g}"))
            .collect();
        panic!(
            "EXPLAIN changed ({} lines differ, {} vs {} lines); review, then bless with QUIVER_BLESS=1:\n{}",
            diff.len(),
            want.lines().count(),
            got.lines().count(),
            diff.join("\n")
        );
    }
}

/// `PROFILE` of a statement with a `CALL` subquery measures the
/// statement's own steps — the subquery's time and rows are its
/// `CallSubquery` step's — and lists the subquery's steps, unmeasured,
/// one deeper after it.
#[test]
fn profile_measures_the_statements_own_steps() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    graph(&db);
    let result = db
        .execute(
            "PROFILE MATCH (p:Person) CALL (p) { MATCH (p)-[:KNOWS]->(f) RETURN count(f) AS n } RETURN p.id AS id, n ORDER BY id",
            &Params::new(),
        )
        .unwrap();
    let plan = result.plan().unwrap();
    let shape: Vec<(usize, &str, bool)> = plan
        .iter()
        .map(|s| (s.depth, s.operator.as_str(), s.rows.is_some()))
        .collect();
    assert_eq!(
        shape,
        [
            (0, "Match", true),
            (0, "CallSubquery", true),
            (1, "Match", false),
            (1, "Aggregate", false),
            (0, "Project", true),
        ]
    );
    assert_eq!(plan[1].rows, Some(4));
    assert_eq!(result.rows().len(), 4);
}
