//! Disk full: each write path — commits, vector checkpoints, bulk imports,
//! storage compaction — runs on a small `tmpfs` until the file system is
//! full. Every failure must be a typed error (never a panic), the database
//! must reopen once space is freed with every acknowledged commit, and
//! writing must then continue.
//!
//! Mounting needs root (this machine and CI run as root); where `mount` is
//! refused the tests say so on stderr and pass without running.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::cast_possible_truncation,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::Command;

use quiverdb::import::{Format, ImportOptions, Importer};
use quiverdb::vector::{CollectionConfig, IndexEngine, Metric};
use quiverdb::{Database, Error, GraphRead, Value, props};

/// A `tmpfs` of `mb` MiB, unmounted on drop.
struct Tmpfs {
    _parent: tempfile::TempDir,
    mount: PathBuf,
}

impl Tmpfs {
    fn new(mb: u64) -> Option<Tmpfs> {
        let parent = tempfile::tempdir().unwrap();
        let mount = parent.path().join("fs");
        std::fs::create_dir(&mount).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(&mount)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs {
                _parent: parent,
                mount,
            }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs here ({}); the disk-full tests need root",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount ({e}); the disk-full tests need root");
                None
            }
        }
    }

    fn db(&self) -> PathBuf {
        self.mount.join("db")
    }

    /// Fills the file system with a ballast file, leaving about `leave`
    /// bytes free.
    fn squeeze(&self, leave: u64) {
        let path = self.mount.join("ballast");
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        let block = vec![0x5au8; 1 << 16];
        while f.write_all(&block).is_ok() {}
        let _ = f.flush();
        let len = std::fs::metadata(&path).unwrap().len();
        f.set_len(len.saturating_sub(leave)).unwrap();
    }

    /// Frees the ballast.
    fn free(&self) {
        let _ = std::fs::remove_file(self.mount.join("ballast"));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

/// Runs `op`, which must not panic; returns its result.
fn no_panic<T>(what: &str, op: impl FnOnce() -> quiverdb::Result<T>) -> quiverdb::Result<T> {
    catch_unwind(AssertUnwindSafe(op)).unwrap_or_else(|_| panic!("{what} panicked on a full disk"))
}

/// The error a full disk must give: typed, saying so, naming a path.
fn assert_disk_full(what: &str, e: &Error) {
    assert!(
        matches!(e, Error::DiskFull { .. }),
        "{what}: expected DiskFull, got {e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("full"), "{what}: {msg}");
}

/// `bytes` characters that do not compress.
fn pad(seed: i64, bytes: usize) -> String {
    let mut x = (seed as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..bytes)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

/// A commit of one node with a payload of `bytes` and its vector.
fn commit(db: &Database, i: i64, bytes: usize) -> quiverdb::Result<()> {
    let mut w = db.begin_write()?;
    let n = w.add_node(&["Row"], props! {"i" => i, "pad" => pad(i, bytes)})?;
    let v: Vec<f32> = (0..32).map(|d| ((i * 31 + d) % 97) as f32 + 1.0).collect();
    w.upsert_vector("v", n.0, &v, props! {})?;
    w.commit()
}

fn setup(db: &Database) {
    setup_with(db, IndexEngine::Native);
}

fn setup_with(db: &Database, engine: IndexEngine) {
    let mut w = db.begin_write().unwrap();
    let config = CollectionConfig::new(32, Metric::L2)
        .bound_to_nodes()
        .engine(engine);
    w.create_collection("v", config).unwrap();
    w.commit().unwrap();
}

/// Every acknowledged row is there, whole; returns how many rows there are.
fn assert_rows(db: &Database, acked: i64, ctx: &str) -> i64 {
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{ctx}: {:?}", report.problems);
    let r = db.begin_read().unwrap();
    let rows = r.nodes_with_label("Row").unwrap();
    let mut seen: Vec<i64> = rows
        .iter()
        .map(|&n| r.node(n).unwrap().unwrap().props["i"].as_i64().unwrap())
        .collect();
    seen.sort_unstable();
    assert!(
        seen.len() as i64 >= acked,
        "{ctx}: {} rows, {acked} acknowledged",
        seen.len()
    );
    assert!(
        seen.iter().copied().eq(0..seen.len() as i64),
        "{ctx}: rows missing in between"
    );
    assert_eq!(
        r.collection("v").unwrap().count(),
        seen.len() as u64,
        "{ctx}"
    );
    seen.len() as i64
}

/// After the failure: drop, free, reopen, verify, write on.
fn recover(fs: &Tmpfs, db: Database, acked: i64, ctx: &str) {
    no_panic("dropping the database", || {
        drop(db);
        Ok(())
    })
    .unwrap();
    fs.free();
    let db = Database::open(fs.db()).unwrap_or_else(|e| panic!("{ctx}: reopen: {e}"));
    let rows = assert_rows(&db, acked, ctx);
    for i in rows..rows + 20 {
        commit(&db, i, 1_000).unwrap();
    }
    db.checkpoint().unwrap();
    assert_rows(&db, rows + 20, ctx);
}

#[test]
fn commits_until_the_disk_is_full() {
    let Some(fs) = Tmpfs::new(48) else { return };
    let db = Database::open(fs.db()).unwrap();
    setup(&db);
    // Ballast to free afterwards: the commits fill the last 12 MiB.
    fs.squeeze(12 << 20);
    let mut acked = 0;
    let err = loop {
        match no_panic("a commit", || commit(&db, acked, 16_000)) {
            Ok(()) => acked += 1,
            Err(e) => break e,
        }
        assert!(acked < 100_000, "the disk never filled");
    };
    assert_disk_full("a commit", &err);
    // Further writes fail cleanly too, and reads still work.
    let again = no_panic("a second commit", || commit(&db, acked, 10));
    if let Err(e) = &again {
        assert_disk_full("a second commit", e);
    } else {
        acked += 1;
    }
    assert!(db.begin_read().unwrap().node_count().unwrap() >= acked as u64);
    recover(&fs, db, acked, "commits");
}

#[test]
fn a_checkpoint_on_a_full_disk() {
    for engine in [IndexEngine::Native, IndexEngine::HnswRs] {
        let Some(fs) = Tmpfs::new(48) else { return };
        let db = Database::open(fs.db()).unwrap();
        setup_with(&db, engine);
        for i in 0..3_000 {
            commit(&db, i, 10).unwrap();
        }
        fs.squeeze(4 << 10);
        let err = no_panic("a checkpoint", || db.checkpoint()).expect_err("the checkpoint fit");
        assert_disk_full(&format!("a checkpoint ({engine:?})"), &err);
        recover(&fs, db, 3_000, "checkpoint");
    }
}

#[test]
fn an_import_on_a_full_disk() {
    let Some(fs) = Tmpfs::new(48) else { return };
    let outside = tempfile::tempdir().unwrap();
    let edges = outside.path().join("edges.txt");
    let text: Vec<String> = (0..200_000)
        .map(|i| format!("{} {}", i % 50_000, (i * 7 + 1) % 50_000))
        .collect();
    std::fs::write(&edges, text.join("\n")).unwrap();
    let db = Database::open(fs.db()).unwrap();
    setup(&db);
    for i in 0..100 {
        commit(&db, i, 10).unwrap();
    }
    let before = db.begin_read().unwrap().edge_count().unwrap();
    fs.squeeze(256 << 10);
    let err = no_panic("an import", || {
        let mut import = Importer::new(&db, ImportOptions::default())?;
        import.edges(&edges, Format::EdgeList)?;
        import.finish()
    })
    .expect_err("the import fit");
    assert_disk_full("an import", &err);
    // Wholly out.
    assert_eq!(db.begin_read().unwrap().edge_count().unwrap(), before);
    recover(&fs, db, 100, "import");
    let db = Database::open(fs.db()).unwrap();
    let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
    import.edges(&edges, Format::EdgeList).unwrap();
    assert_eq!(import.finish().unwrap().edges, 200_000);
    let r = db.begin_read().unwrap();
    assert_eq!(r.edge_count().unwrap(), before + 200_000);
    assert!(
        r.node_by_key("Node", "id", &Value::Int(49_999))
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_compaction_on_a_full_disk() {
    let Some(fs) = Tmpfs::new(48) else { return };
    let db = Database::open(fs.db()).unwrap();
    setup(&db);
    for i in 0..400 {
        commit(&db, i, 20_000).unwrap();
    }
    // Two overlapping sorted runs, so that compaction must merge them
    // (a single one would only be moved).
    db.sync().unwrap();
    // Rewrite every row, so that compaction has work to do.
    let r = db.begin_read().unwrap();
    let rows = r.nodes_with_label("Row").unwrap();
    drop(r);
    let mut w = db.begin_write().unwrap();
    for n in rows {
        w.set_node_property(n, "pad", pad(-(n.0 as i64), 20_000))
            .unwrap();
    }
    w.commit().unwrap();
    db.sync().unwrap();
    fs.squeeze(64 << 10);
    let err = no_panic("a compaction", || db.compact()).expect_err("the compaction fit");
    assert_disk_full("a compaction", &err);
    recover(&fs, db, 400, "compaction");
}
