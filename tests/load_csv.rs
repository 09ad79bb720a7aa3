//! `LOAD CSV`: rows of files in the import directory the application
//! names (`Builder::import_dir`), every other path or URL refused, in the
//! shapes migration scripts send (`MERGE` per row, `CALL { } IN
//! TRANSACTIONS`, the URL from a parameter).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::{map, params, strings};
use quiverdb::Database;
use quiverdb::query::{CypherValue as V, Params, status};

/// A database whose import directory holds `files` (name, text).
fn with_files(files: &[(&str, &str)]) -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let import = dir.path().join("import");
    std::fs::create_dir_all(import.join("sub")).unwrap();
    for (name, text) in files {
        std::fs::write(import.join(name), text).unwrap();
    }
    let db = Database::builder()
        .import_dir(Some(import))
        .open(dir.path().join("db"))
        .unwrap();
    (dir, db)
}

fn rows(db: &Database, statement: &str, p: &Params) -> Vec<Vec<V>> {
    db.execute(statement, p)
        .unwrap_or_else(|e| panic!("{statement}: {e}"))
        .into_rows()
}

const PEOPLE: &str = "\u{feff}name,age,city\nAnn,31,Oslo\nBob,,Rome\n\"Cy, Jr\",40\n";

#[test]
fn rows_are_lists_or_maps_by_the_header() {
    let (_dir, db) = with_files(&[("people.csv", PEOPLE), ("sub/t.tsv", "a\tb\n1\t\n")]);
    let lists = rows(
        &db,
        "LOAD CSV FROM 'file:///people.csv' AS r RETURN r",
        &Params::new(),
    );
    assert_eq!(
        lists,
        vec![
            vec![strings(&["name", "age", "city"])],
            vec![strings(&["Ann", "31", "Oslo"])],
            vec![V::List(vec!["Bob".into(), V::Null, "Rome".into()])],
            vec![strings(&["Cy, Jr", "40"])],
        ]
    );
    let maps = rows(
        &db,
        "LOAD CSV WITH HEADERS FROM 'file:///people.csv' AS r RETURN r ORDER BY r.name",
        &Params::new(),
    );
    assert_eq!(
        maps,
        vec![
            vec![map(&[
                ("name", "Ann".into()),
                ("age", "31".into()),
                ("city", "Oslo".into())
            ])],
            vec![map(&[
                ("name", "Bob".into()),
                ("age", V::Null),
                ("city", "Rome".into())
            ])],
            vec![map(&[
                ("name", "Cy, Jr".into()),
                ("age", "40".into()),
                ("city", V::Null)
            ])],
        ]
    );
    let tabs = rows(
        &db,
        "LOAD CSV WITH HEADERS FROM 'file:///sub/t.tsv' AS r FIELDTERMINATOR '\\t' RETURN r.a AS a, r.b AS b",
        &Params::new(),
    );
    assert_eq!(tabs, vec![vec![V::from("1"), V::Null]]);
}

#[test]
fn a_migration_script_loads_nodes_and_relationships() {
    let (_dir, db) = with_files(&[
        ("people.csv", PEOPLE),
        (
            "knows.csv",
            "from;to;since\nAnn;Bob;2019\nBob;Cy, Jr;2021\nAnn;Cy, Jr;\n",
        ),
    ]);
    db.execute(
        "CREATE CONSTRAINT person_name IF NOT EXISTS FOR (p:Person) REQUIRE p.name IS UNIQUE",
        &Params::new(),
    )
    .unwrap();
    let url = params(&[("url", "file:///people.csv".into())]);
    let loaded = rows(
        &db,
        "LOAD CSV WITH HEADERS FROM $url AS row \
         MERGE (p:Person {name: row.name}) \
         SET p.age = toInteger(row.age), p.city = coalesce(row.city, 'unknown') \
         RETURN count(*) AS n",
        &url,
    );
    assert_eq!(loaded, vec![vec![V::Int(3)]]);
    // Relationships in batches of two rows, each committed.
    db.execute(
        "LOAD CSV WITH HEADERS FROM 'file:///knows.csv' AS row FIELDTERMINATOR ';' \
         CALL (row) { \
           MATCH (a:Person {name: row.from}), (b:Person {name: row.to}) \
           CREATE (a)-[:KNOWS {since: toInteger(row.since)}]->(b) \
         } IN TRANSACTIONS OF 2 ROWS",
        &Params::new(),
    )
    .unwrap();
    let graph = rows(
        &db,
        "MATCH (a:Person)-[k:KNOWS]->(b:Person) \
         RETURN a.name AS a, b.name AS b, k.since AS since, b.city AS city ORDER BY a, b",
        &Params::new(),
    );
    assert_eq!(
        graph,
        vec![
            vec!["Ann".into(), "Bob".into(), V::Int(2019), "Rome".into()],
            vec!["Ann".into(), "Cy, Jr".into(), V::Null, "unknown".into()],
            vec![
                "Bob".into(),
                "Cy, Jr".into(),
                V::Int(2021),
                "unknown".into()
            ],
        ]
    );
    // Loading again merges onto the same nodes.
    rows(
        &db,
        "LOAD CSV WITH HEADERS FROM $url AS row MERGE (p:Person {name: row.name}) RETURN count(*) AS n",
        &url,
    );
    assert_eq!(
        rows(&db, "MATCH (p:Person) RETURN count(*) AS n", &Params::new()),
        vec![vec![V::Int(3)]]
    );
}

/// The error `statement` raises on `db`.
fn refused(db: &Database, statement: &str, p: &Params) -> quiverdb::query::QueryError {
    match db.execute(statement, p) {
        Ok(r) => panic!("{statement} ran: {:?}", r.rows()),
        Err(e) => e,
    }
}

#[test]
fn paths_outside_the_import_directory_and_other_urls_are_refused() {
    let (dir, db) = with_files(&[("people.csv", PEOPLE)]);
    std::fs::write(dir.path().join("secret.csv"), "s\n").unwrap();
    for url in [
        "file:///../secret.csv",
        "file:///sub/../../secret.csv",
        "https://example.com/people.csv",
        "file://example.com/people.csv",
        "people.csv",
        "file:///missing.csv",
        "file:///sub",
    ] {
        let e = refused(
            &db,
            "LOAD CSV FROM $u AS r RETURN r",
            &params(&[("u", url.into())]),
        );
        assert_eq!(e.status(), status::EXTERNAL_RESOURCE_FAILED, "{url}: {e}");
        assert!(!e.message.contains("\"s\""), "{url}: {e}");
    }
    // A write statement that fails on a refused file writes nothing.
    let e = refused(
        &db,
        "CREATE (:Marker) WITH 1 AS one LOAD CSV FROM 'file:///../secret.csv' AS r CREATE (:Row) RETURN count(*) AS n",
        &Params::new(),
    );
    assert_eq!(e.status(), status::EXTERNAL_RESOURCE_FAILED);
    assert_eq!(
        rows(&db, "MATCH (n) RETURN count(n) AS n", &Params::new()),
        vec![vec![V::Int(0)]]
    );
    // Without an import directory, nothing is read.
    let plain = Database::open(dir.path().join("plain")).unwrap();
    let e = refused(
        &plain,
        "LOAD CSV FROM 'file:///people.csv' AS r RETURN r",
        &Params::new(),
    );
    assert!(e.message.contains("no import directory"), "{e}");
    // A URL that is not a string, a bad terminator.
    for (statement, detail) in [
        ("LOAD CSV FROM 42 AS r RETURN r", "ExternalResourceFailed"),
        (
            "LOAD CSV FROM 'file:///people.csv' AS r FIELDTERMINATOR ';;' RETURN r",
            "InvalidArgumentValue",
        ),
    ] {
        assert_eq!(
            refused(&db, statement, &Params::new()).detail,
            detail,
            "{statement}"
        );
    }
}

#[test]
fn the_clause_is_parsed_where_neo4j_allows_it_and_explained() {
    let (_dir, db) = with_files(&[("people.csv", PEOPLE)]);
    // After another clause, inside a subquery, with a WITH HEADERS that
    // is not a clause of its own.
    let n = rows(
        &db,
        "WITH 'file:///people.csv' AS u LOAD CSV WITH HEADERS FROM u AS r \
         WITH r WHERE r.age IS NOT NULL RETURN collect(r.name) AS names",
        &Params::new(),
    );
    assert_eq!(n, vec![vec![strings(&["Ann", "Cy, Jr"])]]);
    let sub = rows(
        &db,
        "UNWIND ['people.csv'] AS f CALL (f) { LOAD CSV FROM 'file:///' + f AS r RETURN count(r) AS c } RETURN c",
        &Params::new(),
    );
    assert_eq!(sub, vec![vec![V::Int(4)]]);
    let plan = db
        .execute(
            "EXPLAIN LOAD CSV FROM 'file:///people.csv' AS r RETURN r",
            &Params::new(),
        )
        .unwrap();
    let text = format!("{:?}", plan.plan());
    assert!(text.contains("LOAD CSV"), "{text}");
    for bad in [
        "LOAD CSV FROM 'file:///people.csv' RETURN 1",
        "LOAD CSV 'file:///people.csv' AS r RETURN r",
        "LOAD CSV WITH FROM 'file:///people.csv' AS r RETURN r",
        "LOAD CSV FROM 'file:///people.csv' AS r FIELDTERMINATOR RETURN r",
    ] {
        let e = refused(&db, bad, &Params::new());
        assert_eq!(e.status(), status::SYNTAX_ERROR, "{bad}: {e}");
    }
    let e = refused(
        &db,
        "WITH 1 AS r LOAD CSV FROM 'file:///people.csv' AS r RETURN r",
        &Params::new(),
    );
    assert_eq!(e.detail, "VariableAlreadyBound");
}
