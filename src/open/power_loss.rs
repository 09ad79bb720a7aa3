//! Power cuts at every step of the files QuiverDB writes itself: a vector
//! checkpoint (both engines), the first open of a new directory and the
//! upgrade of an older format. Each test runs the operation once per step
//! number k with the file layer's simulator armed to crash at step k
//! (`storage::files::power`), cuts the power — everything not durable is
//! thrown away — reopens without the simulator and checks that nothing is
//! misread: the database passes its check and holds exactly what was
//! committed, and an index is loaded only from a whole checkpoint. The
//! last k lets the operation finish and cuts the power after it returned:
//! what it reported done must survive.
//!
//! RocksDB's own files are not simulated (its C API has no fault-injection
//! file system); they are written and synced by RocksDB, so a cut here
//! leaves them as they are.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::rng::Rng;
use crate::storage::files::power;
use crate::vector::{CollectionConfig, IndexEngine, Metric, Search};
use crate::{Database, GraphRead, props};

const DIM: usize = 8;

fn vector(seed: u64) -> Vec<f32> {
    let mut rng = Rng::spread(seed);
    (0..DIM).map(|_| rng.f32() - 0.5).collect()
}

fn l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

struct Scratch {
    _tmp: tempfile::TempDir,
    db: PathBuf,
    trash: PathBuf,
}

fn scratch() -> Scratch {
    let tmp = tempfile::tempdir().unwrap();
    let trash = tmp.path().join("trash");
    std::fs::create_dir(&trash).unwrap();
    Scratch {
        db: tmp.path().join("db"),
        trash,
        _tmp: tmp,
    }
}

/// Runs `op` with the crash at step `k`; cuts the power after it (and
/// after the handle it used is gone). Returns whether the crash happened.
fn cut_at<T>(k: u64, trash: &Path, op: impl FnOnce() -> T) -> bool {
    power::arm(k, trash);
    drop(op());
    let (_, crashed) = power::steps();
    power::cut();
    crashed
}

/// A collection of 400 points, checkpointed, then 150 more writes
/// (upserts, replacements, deletes) not yet checkpointed.
fn vectors_setup(path: &Path, engine: IndexEngine) -> (Database, BTreeMap<u64, Vec<f32>>) {
    let db = Database::open(path).unwrap();
    let mut model = BTreeMap::new();
    let mut w = db.begin_write().unwrap();
    w.create_collection("v", CollectionConfig::new(DIM, Metric::L2).engine(engine))
        .unwrap();
    for key in 0..400u64 {
        let v = vector(key);
        w.upsert_vector("v", key, &v, props! {}).unwrap();
        model.insert(key, v);
    }
    w.commit().unwrap();
    db.checkpoint().unwrap();
    let mut w = db.begin_write().unwrap();
    for i in 0..150u64 {
        let key = (i * 7) % 500;
        if i % 5 == 0 {
            if model.remove(&key).is_some() {
                assert!(w.delete_vector("v", key).unwrap());
            }
        } else {
            let v = vector(1_000 + i);
            w.upsert_vector("v", key, &v, props! {}).unwrap();
            model.insert(key, v);
        }
    }
    w.commit().unwrap();
    (db, model)
}

/// The reopened collection answers as `model` does.
fn assert_vectors(db: &Database, model: &BTreeMap<u64, Vec<f32>>, ctx: &str) {
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{ctx}: {:?}", report.problems);
    let r = db.begin_read().unwrap();
    let c = r.collection("v").unwrap();
    assert_eq!(c.count(), model.len() as u64, "{ctx}");
    let (mut found, mut wanted) = (0, 0);
    for q in 0..20 {
        let q = vector(50_000 + q);
        let mut truth: Vec<(f32, u64)> = model.iter().map(|(k, v)| (l2(&q, v), *k)).collect();
        truth.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        truth.truncate(10);
        let exact = c.search_exact(&q, &Search::k(10)).unwrap();
        for (hit, (d, _)) in exact.hits.iter().zip(&truth) {
            assert!((hit.score - d).abs() < 1e-4, "{ctx}: exact search");
        }
        for hit in &c.search(&q, &Search::k(10)).unwrap().hits {
            let v = model
                .get(&hit.key)
                .unwrap_or_else(|| panic!("{ctx}: hit {} is not a point", hit.key));
            assert!((hit.score - l2(&q, v)).abs() < 1e-4, "{ctx}: stale vector");
            found += usize::from(truth.iter().any(|t| t.1 == hit.key));
        }
        wanted += truth.len();
    }
    let recall = found as f64 / wanted as f64;
    assert!(recall >= 0.95, "{ctx}: recall@10 {recall}");
}

#[test]
fn a_power_cut_at_any_step_of_a_checkpoint_loses_and_misreads_nothing() {
    for engine in [IndexEngine::Native, IndexEngine::HnswRs] {
        let mut steps = 0;
        for k in 1.. {
            let s = scratch();
            let (db, model) = vectors_setup(&s.db, engine);
            let mut done = false;
            let crashed = cut_at(k, &s.trash, || {
                done = db.checkpoint().is_ok();
                db
            });
            let ctx = format!("{engine:?}, power cut at step {k}");
            // A crash fails the checkpoint unless it only hit the removal
            // of the old one, which is garbage by then.
            assert!(done || crashed, "{ctx}");
            let db = Database::open(&s.db).unwrap();
            let info = db.vector_index_info("v").unwrap();
            if done {
                // Reported done: the new checkpoint must be the one loaded.
                assert!(info.from_checkpoint, "{ctx}: {info:?}");
                assert_eq!(info.replayed, 0, "{ctx}: {info:?}");
            } else {
                // The old checkpoint (and a replay) or the new one, whole:
                // a torn one would not load, and nothing here tears the
                // old one.
                assert!(info.from_checkpoint, "{ctx}: {info:?}");
            }
            assert_vectors(&db, &model, &ctx);
            if !crashed {
                break;
            }
            steps = k;
        }
        assert!(steps >= 10, "{engine:?}: only {steps} steps");
    }
}

#[test]
fn a_power_cut_at_any_step_of_creation_leaves_a_directory_that_opens() {
    for k in 1.. {
        let s = scratch();
        let mut committed = false;
        let crashed = cut_at(k, &s.trash, || {
            let db = Database::open(&s.db);
            if let Ok(db) = &db {
                let mut w = db.begin_write().unwrap();
                w.add_node(&["N"], props! {}).unwrap();
                committed = w.commit().is_ok();
            }
            db
        });
        let ctx = format!("power cut at step {k}");
        assert_eq!(committed, !crashed, "{ctx}");
        // Whatever the cut left, the next open creates or opens it, with
        // the commit if it was acknowledged.
        let db = Database::open(&s.db).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert!(db.check().unwrap().is_ok(), "{ctx}");
        let nodes = db.begin_read().unwrap().node_count().unwrap();
        assert_eq!(nodes, u64::from(committed), "{ctx}");
        let mut w = db.begin_write().unwrap();
        w.add_node(&["N"], props! {}).unwrap();
        w.commit().unwrap();
        drop(db);
        let db = Database::open(&s.db).unwrap();
        let after = db.begin_read().unwrap().node_count().unwrap();
        assert_eq!(after, nodes + 1, "{ctx}");
        if !crashed {
            assert!(k > 4, "creation took only {} file steps", k - 1);
            break;
        }
    }
}

#[test]
fn a_power_cut_at_any_step_of_an_upgrade_leaves_the_data_whole() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-v3");
    let copy = |to: &Path| power::copy_dir(&fixture, to);
    let reference = {
        let s = scratch();
        copy(&s.db);
        let db = Database::open(&s.db).unwrap();
        summary(&db)
    };
    for k in 1.. {
        let s = scratch();
        copy(&s.db);
        let crashed = cut_at(k, &s.trash, || Database::open(&s.db));
        let ctx = format!("power cut at step {k}");
        let db = Database::open(&s.db).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert!(db.check().unwrap().is_ok(), "{ctx}");
        assert_eq!(summary(&db), reference, "{ctx}");
        drop(db);
        assert_eq!(
            crate::txn::read_marker(&s.db).unwrap(),
            crate::storage::schema::FORMAT_VERSION,
            "{ctx}"
        );
        if !crashed {
            break;
        }
    }
}

/// What a database holds, in brief: counts, census and every collection's
/// points.
fn summary(db: &Database) -> String {
    let r = db.begin_read().unwrap();
    let mut out = format!(
        "{} nodes, {} edges, {:?}",
        r.node_count().unwrap(),
        r.edge_count().unwrap(),
        r.census().unwrap()
    );
    for info in r.collections().unwrap() {
        let c = r.collection(&info.name).unwrap();
        let keys: Vec<u64> = c.iter().map(|p| p.unwrap().key).collect();
        write!(out, "; {}: {keys:?}", info.name).unwrap();
    }
    out
}

/// RocksDB's own files are RocksDB's to sync; what QuiverDB controls is
/// that every commit asks for it. RocksDB's statistics count the syncs of
/// its write-ahead log: each commit path must add one under `Immediate`
/// durability, none under `Buffered` (until `Database::sync`).
#[test]
fn every_commit_path_syncs_the_write_ahead_log_under_immediate_durability() {
    use crate::Durability;
    use crate::import::{Format, ImportOptions, Importer};
    let s = scratch();
    let edges = s.trash.join("edges.txt");
    std::fs::write(&edges, "1 2\n2 3\n").unwrap();
    for durability in [Durability::Immediate, Durability::Buffered] {
        let _ = std::fs::remove_dir_all(&s.db);
        let db = Database::builder()
            .durability(durability)
            .open(&s.db)
            .unwrap();
        let synced = |what: &str, op: &dyn Fn()| {
            let before = db.store().wal_syncs();
            op();
            let syncs = db.store().wal_syncs() - before;
            match durability {
                Durability::Immediate => assert!(syncs >= 1, "{what}: no WAL sync"),
                Durability::Buffered => assert_eq!(syncs, 0, "{what}: synced when buffered"),
            }
        };
        synced("a graph commit", &|| {
            let mut w = db.begin_write().unwrap();
            w.add_node(&["N"], props! {"k" => 1}).unwrap();
            w.commit().unwrap();
        });
        synced("creating a collection", &|| {
            let mut w = db.begin_write().unwrap();
            w.create_collection("v", CollectionConfig::new(DIM, Metric::L2))
                .unwrap();
            w.commit().unwrap();
        });
        synced("a vector commit", &|| {
            let mut w = db.begin_write().unwrap();
            w.upsert_vector("v", 7, &vector(7), props! {}).unwrap();
            w.commit().unwrap();
        });
        synced("a delete", &|| {
            let mut w = db.begin_write().unwrap();
            assert!(w.delete_vector("v", 7).unwrap());
            let n = w.nodes_with_label("N").unwrap()[0];
            w.detach_delete_node(n).unwrap();
            w.commit().unwrap();
        });
        // A bulk import always syncs: its marker and its commit batch.
        let before = db.store().wal_syncs();
        let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
        import.edges(&edges, Format::EdgeList).unwrap();
        import.finish().unwrap();
        assert!(db.store().wal_syncs() - before >= 2, "an import commit");
        if durability == Durability::Buffered {
            let before = db.store().wal_syncs();
            let mut w = db.begin_write().unwrap();
            w.add_node(&["N"], props! {}).unwrap();
            w.commit().unwrap();
            db.sync().unwrap();
            assert!(db.store().wal_syncs() > before, "Database::sync");
        }
    }
}
