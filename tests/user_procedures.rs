//! Procedures an application registers (`Database::register_procedure`):
//! called like the built-in ones, their signature checked, their failures
//! typed. (The TCK's `clauses/call` folder runs through the same
//! mechanism: tests/tck.rs.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::params;
use quiverdb::Database;
use quiverdb::query::{ArgType, CypherValue as V, ErrorKind, Params, UserProcedure, status};

fn open() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    (dir, db)
}

/// `demo.repeat(word, times)`: `times` rows of (`i`, `word`).
fn repeat() -> UserProcedure {
    UserProcedure::new(
        "demo.repeat",
        &[("word", ArgType::String), ("times", ArgType::Integer)],
        &["i", "word"],
        |args| match (&args[0], &args[1]) {
            (V::String(w), V::Int(n)) if *n >= 0 => Ok((0..*n)
                .map(|i| vec![V::Int(i), V::String(w.clone())])
                .collect()),
            (_, V::Int(n)) if *n < 0 => Err(format!("times is {n}, below zero")),
            _ => Ok(Vec::new()),
        },
    )
}

#[test]
fn a_registered_procedure_is_called_per_row_with_checked_arguments() {
    let (_dir, db) = open();
    db.register_procedure(repeat()).unwrap();
    db.execute("UNWIND [1, 2] AS n CREATE (:N {n: n})", &Params::new())
        .unwrap();
    let rows = db
        .execute(
            "MATCH (x:N) CALL demo.repeat('hi', x.n) YIELD i RETURN x.n AS n, i ORDER BY n, i",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows.rows(),
        [
            vec![V::Int(1), V::Int(0)],
            vec![V::Int(2), V::Int(0)],
            vec![V::Int(2), V::Int(1)]
        ]
    );
    // Standalone with implicit arguments: read from the parameters.
    let rows = db
        .execute(
            "CALL demo.repeat",
            &params(&[("word", V::from("yo")), ("times", V::Int(1))]),
        )
        .unwrap();
    assert_eq!(rows.columns(), ["i", "word"]);
    assert_eq!(rows.rows(), [vec![V::Int(0), V::from("yo")]]);

    // A literal of the wrong type is refused before anything runs; a
    // value of the wrong type met while running is a TypeError.
    let e = db
        .execute("CALL demo.repeat('a', 'b')", &Params::new())
        .unwrap_err();
    assert_eq!(
        (e.kind, e.detail),
        (ErrorKind::SyntaxError, "InvalidArgumentType")
    );
    let e = db
        .execute(
            "MATCH (x:N) CALL demo.repeat(x.n, 1) YIELD i RETURN i",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TypeError, "{e}");
    // The function's own failure.
    let e = db
        .execute("CALL demo.repeat('a', -1)", &Params::new())
        .unwrap_err();
    assert_eq!(
        (e.kind, e.detail),
        (ErrorKind::ProcedureError, "ProcedureCallFailed")
    );
    assert_eq!(e.status(), status::PROCEDURE_CALL_FAILED);
    assert!(e.to_string().contains("below zero"), "{e}");
}

#[test]
fn registration_is_checked_and_a_bad_row_is_an_error_not_a_panic() {
    let (_dir, db) = open();
    let none = |name: &str, inputs: &[(&str, ArgType)], outputs: &[&str]| {
        UserProcedure::new(name, inputs, outputs, |_| Ok(Vec::new()))
    };
    for p in [
        none("db.labels", &[], &["label"]),
        none("no spaces", &[], &[]),
        none("trailing.", &[], &[]),
        none("x.dup", &[], &["a", "a"]),
        none("x.dup", &[("a", ArgType::Any), ("a", ArgType::Any)], &[]),
    ] {
        let name = p.name().to_owned();
        let e = db.register_procedure(p).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SyntaxError, "{name}: {e}");
    }
    db.register_procedure(UserProcedure::new("x.short", &[], &["a", "b"], |_| {
        Ok(vec![vec![V::Int(1)]])
    }))
    .unwrap();
    let e = db.execute("CALL x.short()", &Params::new()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ProcedureError, "{e}");
    // Unknown procedures are ProcedureErrors too; registering one makes a
    // statement that failed before run.
    let e = db
        .execute("CALL x.later() YIELD v RETURN v", &Params::new())
        .unwrap_err();
    assert_eq!(
        (e.kind, e.detail),
        (ErrorKind::ProcedureError, "ProcedureNotFound")
    );
    db.register_procedure(UserProcedure::new("x.later", &[], &["v"], |_| {
        Ok(vec![vec![V::Int(7)]])
    }))
    .unwrap();
    let rows = db
        .execute("CALL x.later() YIELD v RETURN v", &Params::new())
        .unwrap();
    assert_eq!(rows.rows(), [vec![V::Int(7)]]);
}
