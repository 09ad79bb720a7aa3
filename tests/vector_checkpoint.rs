//! HNSW checkpoints, for both engines: a reopen loads the dumped graph
//! (identical answers), replays the points written after the checkpoint
//! from storage and drops the ones deleted since, and rebuilds — never
//! fails — when the checkpoint is damaged or missing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::items_after_statements,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::Rng;
use quiverdb::vector::{CollectionConfig, Hit, IndexEngine, Metric, Search};
use quiverdb::{Database, props};

const N: usize = 4_000;
const DIM: usize = 24;
const ENGINES: [IndexEngine; 2] = [IndexEngine::HnswRs, IndexEngine::Native];

/// The files of each engine's dump (their names are part of the format).
fn dump_files(engine: IndexEngine) -> &'static [&'static str] {
    if engine == IndexEngine::Native {
        &[
            "native.nodes",
            "native.vectors",
            "native.links0",
            "native.upper",
        ]
    } else {
        &["graph.hnsw.graph", "graph.hnsw.data"]
    }
}

fn data() -> Vec<Vec<f32>> {
    let mut rng = Rng(0x00c0_ffee);
    (0..N + 50).map(|_| rng.vector(DIM)).collect()
}

fn fill(db: &Database, engine: IndexEngine, points: &[Vec<f32>], from: u64) {
    let mut w = db.begin_write().unwrap();
    if w.collections().unwrap().is_empty() {
        let config = CollectionConfig::new(DIM, Metric::Cosine).engine(engine);
        w.create_collection("v", config).unwrap();
    }
    for (i, v) in points.iter().enumerate() {
        w.upsert_vector("v", from + i as u64, v, props! {}).unwrap();
    }
    w.commit().unwrap();
}

fn answers(db: &Database, queries: &[Vec<f32>]) -> Vec<Vec<Hit>> {
    queries
        .iter()
        .map(|q| {
            let r = db.search("v", q, &Search::k(10)).unwrap();
            assert!(!r.exact);
            r.hits
        })
        .collect()
}

#[test]
fn a_checkpointed_reopen_loads_the_graph_and_answers_identically() {
    for engine in ENGINES {
        reopen_answers_identically(engine);
    }
}

fn reopen_answers_identically(engine: IndexEngine) {
    let dir = tempfile::tempdir().unwrap();
    let data = data();
    let db = Database::open(dir.path()).unwrap();
    fill(&db, engine, &data[..N], 0);
    let info = db.vector_index_info("v").unwrap();
    assert!(!info.from_checkpoint && info.dirty);
    // The checkpoint also calibrates the default ef, which the reopened
    // index keeps: the answers are those of the same graph at the same ef.
    db.checkpoint().unwrap();
    let before = answers(&db, &data[N..]);
    db.close().unwrap();

    let db = Database::open(dir.path()).unwrap();
    let info = db.vector_index_info("v").unwrap();
    assert!(info.from_checkpoint, "{engine:?}: {info:?}");
    assert_eq!(
        (info.points, info.graph_points, info.replayed, info.dirty),
        (N, N, 0, false),
        "{engine:?}"
    );
    assert_eq!(answers(&db, &data[N..]), before, "{engine:?}");
    if engine == IndexEngine::Native {
        // The reloaded vectors stay in the checkpoint file, mapped.
        assert_eq!(info.mapped_bytes, (N * DIM * 4) as u64);
        // An f32 walk reads the vectors themselves, beside the links.
        let walk = info.walk_bytes.unwrap();
        assert!(walk > info.mapped_bytes, "{info:?}");
        assert!(walk < info.memory_bytes.unwrap() + info.mapped_bytes);
    } else {
        assert_eq!(info.walk_bytes, None);
    }
    // Nothing changed: closing again writes no new checkpoint.
    let stamp = fs::read_dir(dir.path().join("vector-index"))
        .unwrap()
        .count();
    db.close().unwrap();
    assert_eq!(
        fs::read_dir(dir.path().join("vector-index"))
            .unwrap()
            .count(),
        stamp
    );
}

/// The writer process for the replay test: checkpoints, then writes more
/// and deletes some checkpointed points, and is killed before it can
/// checkpoint again.
fn writer(path: &Path, engine: IndexEngine) {
    let data = data();
    let db = Database::open(path).unwrap();
    fill(&db, engine, &data[..N / 2], 0);
    db.checkpoint().unwrap();
    fill(&db, engine, &data[N / 2..N], (N / 2) as u64);
    let mut w = db.begin_write().unwrap();
    for k in 0..100 {
        w.delete_vector("v", k).unwrap();
    }
    w.commit().unwrap();
    println!("ready");
    std::thread::sleep(std::time::Duration::from_secs(60));
}

#[test]
fn writes_after_a_checkpoint_are_replayed_after_a_crash() {
    if let Ok(path) = std::env::var("QUIVER_CHECKPOINT_WRITER") {
        let engine = match std::env::var("QUIVER_CHECKPOINT_ENGINE").as_deref() {
            Ok("Native") => IndexEngine::Native,
            _ => IndexEngine::HnswRs,
        };
        writer(Path::new(&path), engine);
        return;
    }
    for engine in ENGINES {
        replayed_after_a_crash(engine);
    }
}

fn replayed_after_a_crash(engine: IndexEngine) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "writes_after_a_checkpoint_are_replayed_after_a_crash",
            "--nocapture",
        ])
        .env("QUIVER_CHECKPOINT_WRITER", dir.path())
        .env("QUIVER_CHECKPOINT_ENGINE", format!("{engine:?}"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .any(|l| l.is_ok_and(|l| l.trim() == "ready"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(ready, "the writer did not get ready");

    let db = Database::open(dir.path()).unwrap();
    let info = db.vector_index_info("v").unwrap();
    assert!(info.from_checkpoint, "{engine:?}: {info:?}");
    assert_eq!(info.replayed, N / 2, "{engine:?}");
    assert_eq!(info.points, N - 100, "{engine:?}");
    assert!(db.check().unwrap().is_ok());
    let data = data();
    for k in [0usize, 99, 100, N / 2 - 1, N / 2, N - 1] {
        let hit = db.search("v", &data[k], &Search::k(1)).unwrap().hits[0].clone();
        if k < 100 {
            assert_ne!(
                hit.key, k as u64,
                "{engine:?}: deleted point {k} resurfaced"
            );
        } else {
            assert_eq!(hit.key, k as u64, "{engine:?}: point {k} not found");
        }
    }
}

#[test]
fn a_damaged_or_missing_checkpoint_means_a_rebuild_not_an_error() {
    for engine in ENGINES {
        damaged_means_rebuilt(engine);
    }
}

fn damaged_means_rebuilt(engine: IndexEngine) {
    let data = data();
    let files = dump_files(engine);
    type Damage = fn(&Path, &[&str]);
    let damages: [(&str, Damage); 4] = [
        ("flipped byte", |d, files| {
            let f = d.join(files[0]);
            let mut b = fs::read(&f).unwrap();
            let mid = b.len() / 2;
            b[mid] ^= 0xff;
            fs::write(f, b).unwrap();
        }),
        ("truncated data", |d, files| {
            let f = d.join(files[1]);
            let b = fs::read(&f).unwrap();
            fs::write(f, &b[..b.len() / 3]).unwrap();
        }),
        ("garbled envelope", |d, _| {
            fs::write(d.join("ENVELOPE"), b"\xff\xff\xff").unwrap();
        }),
        ("missing file", |d, files| {
            fs::remove_file(d.join(files[files.len() - 1])).unwrap();
        }),
    ];
    for (what, damage) in damages {
        let what = format!("{engine:?}, {what}");
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        fill(&db, engine, &data[..N], 0);
        db.close().unwrap();
        let folder = fs::read_dir(dir.path().join("vector-index"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        damage(&folder, files);

        let db = Database::open(dir.path()).unwrap();
        let info = db.vector_index_info("v").unwrap();
        assert!(!info.from_checkpoint, "{what}: {info:?}");
        assert!(info.built_because.is_some(), "{what}");
        assert_eq!(info.points, N, "{what}");
        // hnsw_rs inserts on several threads, so a rebuilt graph differs
        // from run to run; a wide walk keeps a rare miss at the default ef
        // from failing a check that is about the rebuild.
        for k in [0usize, 1234, N - 1] {
            assert_eq!(
                db.search("v", &data[k], &Search::k(1).ef(128))
                    .unwrap()
                    .hits[0]
                    .key,
                k as u64,
                "{what}"
            );
        }
        // The rebuilt index is checkpointed afresh at close and loads next time.
        db.close().unwrap();
        let db = Database::open(dir.path()).unwrap();
        assert!(db.vector_index_info("v").unwrap().from_checkpoint, "{what}");
    }
}
