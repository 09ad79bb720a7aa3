//! Every directory `Database::open` must refuse, refuses with the right
//! typed error and leaves the directory as it found it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names,
    clippy::cast_possible_wrap,
    clippy::float_cmp,
    clippy::items_after_statements,
    clippy::too_many_lines,
    missing_docs,
    reason = "test and bench code: a panic is the failure report, exact floats are intended"
)]

use std::fs;
use std::path::Path;

use quiverdb::{Database, Error, FORMAT_VERSION, GraphRead, props};

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn creates_missing_and_empty_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("a/b/c");
    Database::open(&missing).unwrap().close().unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    Database::open(&empty).unwrap().close().unwrap();
    // Both reopen as databases.
    Database::open(&missing).unwrap();
    Database::open(&empty).unwrap();
}

#[test]
fn refuses_a_directory_that_is_not_a_database() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("notes.txt"), "my files").unwrap();
    let before = listing(tmp.path());
    let err = Database::open(tmp.path()).unwrap_err();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("not a QuiverDB database"), "{err}");
    assert_eq!(listing(tmp.path()), before, "a refused open must not write");
}

#[test]
fn refuses_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    let err = Database::open(&file).unwrap_err();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
}

#[test]
fn refuses_a_storage_directory_without_marker() {
    // A RocksDB directory of some other application: files, no marker.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("db");
    Database::open(&path).unwrap().close().unwrap();
    fs::remove_file(path.join("QUIVERDB")).unwrap();
    let err = Database::open(&path).unwrap_err();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
}

#[test]
fn refuses_a_newer_format_without_touching_it() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("db");
    let db = Database::open(&path).unwrap();
    let mut w = db.begin_write().unwrap();
    w.add_node(&["A"], props! {"x" => 1}).unwrap();
    w.commit().unwrap();
    db.close().unwrap();

    let newer = FORMAT_VERSION + 1;
    fs::write(
        path.join("QUIVERDB"),
        format!("QuiverDB database\nformat {newer}\n"),
    )
    .unwrap();
    let before: Vec<(String, Vec<u8>)> = listing(&path)
        .into_iter()
        .map(|n| {
            let bytes = fs::read(path.join(&n)).unwrap_or_default();
            (n, bytes)
        })
        .collect();
    let err = Database::open(&path).unwrap_err();
    match &err {
        Error::UnsupportedFormat {
            found, supported, ..
        } => {
            assert_eq!((*found, *supported), (newer, FORMAT_VERSION));
        }
        other => panic!("expected UnsupportedFormat, got {other}"),
    }
    assert!(err.to_string().contains("upgrade QuiverDB"), "{err}");
    let after: Vec<(String, Vec<u8>)> = listing(&path)
        .into_iter()
        .map(|n| {
            let bytes = fs::read(path.join(&n)).unwrap_or_default();
            (n, bytes)
        })
        .collect();
    assert_eq!(before, after, "a refused open must not change any file");

    // Put the marker back: the data is intact.
    fs::write(
        path.join("QUIVERDB"),
        format!("QuiverDB database\nformat {FORMAT_VERSION}\n"),
    )
    .unwrap();
    let db = Database::open(&path).unwrap();
    assert_eq!(db.begin_read().unwrap().node_count().unwrap(), 1);
}

#[test]
fn refuses_a_garbled_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("db");
    Database::open(&path).unwrap().close().unwrap();
    fs::write(path.join("QUIVERDB"), "hello").unwrap();
    let err = Database::open(&path).unwrap_err();
    assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
}

#[test]
fn refuses_a_second_open_while_one_is_open() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("db");
    let db = Database::open(&path).unwrap();
    let err = Database::open(&path).unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err}");
    assert!(
        err.to_string().contains("locked by another process"),
        "{err}"
    );
    // The first handle is unaffected, and the lock goes with it.
    let mut w = db.begin_write().unwrap();
    w.add_node(&[], props! {}).unwrap();
    w.commit().unwrap();
    drop(db);
    let db = Database::open(&path).unwrap();
    assert_eq!(db.begin_read().unwrap().node_count().unwrap(), 1);
}

#[test]
fn refuses_a_second_open_from_another_process() {
    // The lock is an OS file lock, so it holds across processes: a child
    // process (this test binary, re-run on one test) must be refused.
    if let Ok(path) = std::env::var("QUIVER_LOCK_PROBE") {
        let code = match Database::open(&path) {
            Err(Error::Locked { .. }) => 0,
            Err(e) => {
                eprintln!("unexpected error: {e}");
                2
            }
            Ok(_) => 1,
        };
        std::process::exit(code);
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("db");
    let _db = Database::open(&path).unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "refuses_a_second_open_from_another_process",
            "--nocapture",
        ])
        .env("QUIVER_LOCK_PROBE", &path)
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "the other process was not refused with Locked"
    );
}

#[test]
fn create_if_missing_false_refuses_to_create() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nope");
    let err = Database::builder()
        .create_if_missing(false)
        .open(&path)
        .unwrap_err();
    assert!(matches!(err, Error::DatabaseNotFound { .. }), "{err}");
    assert!(!path.exists());
}
