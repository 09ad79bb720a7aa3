//! Hostile input files, imported the way a user imports: dimensions of
//! 2^31, a row count of 2^62, a 10 GiB line (in a sparse file), JSON
//! nested 100,000 deep, a CSV header of a million columns. Each must fail
//! the import with `Error::BadInput` naming the file and the place, leave
//! the database as it was, and stay within bounded memory: every case runs
//! in a child process (this test binary again) that reports its peak
//! resident set (`VmHWM`), and the parent requires it below
//! [`RSS_LIMIT_MIB`].
//!
//! `cargo test --release --test hostile -- --nocapture` prints each case's
//! error and peak RSS.

#![allow(
    clippy::unwrap_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use quiverdb::import::{Format, ImportOptions, Importer, VectorKeys};
use quiverdb::vector::{CollectionConfig, Metric};
use quiverdb::{Database, Error, GraphRead};

/// Peak resident memory a case may reach, test harness and database
/// included.
const RSS_LIMIT_MIB: u64 = 256;

/// 10 GiB.
const HUGE: u64 = 10 << 30;

/// A hostile file: its name, how to write it, how to import it, and what
/// the error must say (`at`, and a piece of the reason).
struct Case {
    name: &'static str,
    file: &'static str,
    write: fn(&Path),
    import: fn(&mut Importer<'_>, &Path) -> quiverdb::Result<()>,
    at: &'static str,
    reason: &'static str,
}

fn fvecs_header(dim: u32) -> impl Fn(&Path) {
    move |path| {
        let mut bytes = dim.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0; 64]);
        std::fs::write(path, bytes).unwrap();
    }
}

fn npy(shape: &'static str) -> impl Fn(&Path) {
    move |path| {
        let header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
        let padded = format!("{header:<117}\n");
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&u16::try_from(padded.len()).unwrap().to_le_bytes());
        bytes.extend_from_slice(padded.as_bytes());
        bytes.extend_from_slice(&[0; 64]);
        std::fs::write(path, bytes).unwrap();
    }
}

/// `head`, then a line of `HUGE` zero bytes (a hole: no disk is used),
/// then `tail`.
fn huge_line(path: &Path, head: &[u8], tail: &[u8]) {
    let mut f = File::create(path).unwrap();
    f.write_all(head).unwrap();
    f.seek(SeekFrom::Current(i64::try_from(HUGE).unwrap()))
        .unwrap();
    f.write_all(tail).unwrap();
}

fn vectors(import: &mut Importer<'_>, path: &Path, format: Format) -> quiverdb::Result<()> {
    import.vectors(
        path,
        format,
        "v",
        CollectionConfig::new(4, Metric::L2),
        VectorKeys::Row,
    )
}

const CASES: &[Case] = &[
    Case {
        name: "fvecs dimension 2^31",
        file: "dim.fvecs",
        write: |p| fvecs_header(1 << 31)(p),
        import: |i, p| vectors(i, p, Format::Fvecs),
        at: "row 0",
        reason: "dimension -2147483648 is out of range",
    },
    Case {
        name: "bvecs dimension 2^31 - 1",
        file: "dim.bvecs",
        write: |p| fvecs_header((1 << 31) - 1)(p),
        import: |i, p| vectors(i, p, Format::Bvecs),
        at: "row 0",
        reason: "dimension 2147483647 is out of range",
    },
    Case {
        name: "npy dimension 2^31",
        file: "dim.npy",
        write: |p| npy("(4, 2147483648)")(p),
        import: |i, p| vectors(i, p, Format::Npy),
        at: "header",
        reason: "dimension 2147483648 is out of range",
    },
    Case {
        name: "npy rows 2^62",
        file: "rows.npy",
        write: |p| npy("(4611686018427387904, 4)")(p),
        import: |i, p| vectors(i, p, Format::Npy),
        at: "header",
        reason: "declares 4611686018427387904 rows",
    },
    Case {
        name: "edge list, a 10 GiB line",
        file: "line.txt",
        write: |p| huge_line(p, b"1 2\n", b"\n3 4\n"),
        import: |i, p| i.edges(p, Format::EdgeList),
        at: "line 2",
        reason: "line longer than 1048576 bytes",
    },
    Case {
        name: "JSON Lines, a 10 GiB line",
        file: "line.jsonl",
        write: |p| huge_line(p, b"{\"id\": 1}\n", b"\n{\"id\": 2}\n"),
        import: |i, p| i.nodes(p, Format::Jsonl),
        at: "line 2",
        reason: "the line is too long",
    },
    Case {
        name: "CSV, a 10 GiB record",
        file: "line.csv",
        write: |p| huge_line(p, b"id,name\n1,a\n", b"\n2,b\n"),
        import: |i, p| i.nodes(p, Format::Csv),
        at: "line 3",
        reason: "a record longer than 16 MiB",
    },
    Case {
        name: "JSON nested 100,000 deep",
        file: "nested.jsonl",
        write: |p| {
            let depth = 100_000;
            let mut line = b"{\"id\": 1, \"x\": ".to_vec();
            line.extend(std::iter::repeat_n(b'[', depth));
            line.extend(std::iter::repeat_n(b']', depth));
            line.extend_from_slice(b"}\n");
            std::fs::write(p, line).unwrap();
        },
        import: |i, p| i.nodes(p, Format::Jsonl),
        at: "line 1",
        reason: "recursion limit exceeded",
    },
    Case {
        name: "CSV header of 1,000,000 columns",
        file: "wide.csv",
        write: |p| {
            let mut f = std::io::BufWriter::new(File::create(p).unwrap());
            f.write_all(b"id").unwrap();
            for c in 1..1_000_000 {
                write!(f, ",c{c}").unwrap();
            }
            f.write_all(b"\n1").unwrap();
            f.write_all(&b",x".repeat(999_999)).unwrap();
            f.write_all(b"\n").unwrap();
        },
        import: |i, p| i.nodes(p, Format::Csv),
        at: "header",
        reason: "the header has 1000000 columns; at most 65536",
    },
];

/// Peak resident set of this process, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// In the child: writes the case's file, imports it into a fresh
/// database, checks the error and that nothing was committed, and prints
/// `peak <KiB>` and the error.
fn child(case: &Case, dir: &Path) {
    let path: PathBuf = dir.join(case.file);
    (case.write)(&path);
    let db = Database::open(dir.join("db")).unwrap();
    let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
    let err = match (case.import)(&mut import, &path).and_then(|()| import.finish().map(drop)) {
        Ok(()) => panic!("{}: the import succeeded", case.name),
        Err(e) => e,
    };
    let Error::BadInput {
        path: named,
        at,
        reason,
    } = &err
    else {
        panic!("{}: not BadInput: {err:?}", case.name);
    };
    assert_eq!(named, &path, "{}: {err}", case.name);
    assert_eq!(at, case.at, "{}: {err}", case.name);
    assert!(reason.contains(case.reason), "{}: {err}", case.name);
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.node_count().unwrap(),
        0,
        "{}: rows were committed",
        case.name
    );
    assert!(r.collections().unwrap().is_empty(), "{}", case.name);
    drop(r);
    drop(db);
    let _ = std::fs::remove_file(&path);
    println!("\npeak:{}", peak_rss_kib());
    println!("error:{err}");
}

#[test]
fn hostile_files_fail_with_a_clear_error_in_bounded_memory() {
    if let Ok(name) = std::env::var("QUIVER_HOSTILE_CASE") {
        let case = CASES.iter().find(|c| c.name == name).unwrap();
        child(
            case,
            Path::new(&std::env::var("QUIVER_HOSTILE_DIR").unwrap()),
        );
        return;
    }
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "hostile_files_fail_with_a_clear_error_in_bounded_memory",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("QUIVER_HOSTILE_CASE", case.name)
            .env("QUIVER_HOSTILE_DIR", dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: the child failed:\n{stdout}\n{}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let value = |key: &str| {
            stdout
                .lines()
                // libtest may print "test … " on the same line first.
                .find_map(|l| l.find(key).map(|at| &l[at + key.len()..]))
                .unwrap()
                .trim()
                .to_owned()
        };
        let peak_kib: u64 = value("peak:").parse().unwrap();
        println!(
            "{:<34} peak RSS {:>4} MiB  {}",
            case.name,
            peak_kib >> 10,
            value("error:")
        );
        assert!(
            peak_kib >> 10 < RSS_LIMIT_MIB,
            "{}: peak RSS {} MiB",
            case.name,
            peak_kib >> 10
        );
    }
}
