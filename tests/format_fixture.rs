//! Format fixtures: a small database written by each format version is
//! checked in under `tests/fixtures/format-v<N>/`; every build must open a
//! copy of each (upgrading older ones in place) and read back exactly what
//! was written. A change to a key or value layout that forgets to bump the
//! format version fails here.
//!
//! Write the current version's fixture (only when the format version
//! changes, in a new folder):
//! `QUIVER_WRITE_FIXTURE=1 cargo test --release --test format_fixture`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quiverdb::algo::PathQuery;
use quiverdb::fulltext::FulltextConfig;
use quiverdb::temporal::Temporal;
use quiverdb::vector::{CollectionConfig, IndexEngine, Metric, Quantization, Search, VectorSource};
use quiverdb::{Database, Direction, Error, GraphInfo, GraphRead, NodeId, Value, props};

fn fixture(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/format-v{version}"))
}

/// The version today's build writes (its fixture is the one regenerated).
const CURRENT: u32 = 13;

/// The content of the fixture.
fn write(path: &Path) {
    let db = Database::open(path).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_unique_key("Package", "name").unwrap();
    w.create_index("Package", "section").unwrap();
    let libc = w
        .add_node(
            &["Package"],
            props! {"name" => "libc6", "section" => "libs", "size" => 12_345, "essential" => true},
        )
        .unwrap();
    // Since format 9: temporal values, one of them indexed.
    w.create_index("Package", "released").unwrap();
    for (key, value) in temporal_props() {
        w.set_node_property(libc, &key, value).unwrap();
    }
    let zlib = w
        .add_node(
            &["Package", "Library"],
            props! {"name" => "zlib1g", "section" => "libs", "ratio" => 0.5},
        )
        .unwrap();
    let curl = w
        .add_node(&["Package"], props! {"name" => "curl", "section" => "web", "tags" => vec![Value::from("net"), Value::Null], "blob" => vec![0u8, 255]})
        .unwrap();
    w.add_edge(zlib, libc, "DEPENDS", props! {"weight" => 1.0})
        .unwrap();
    w.add_edge(curl, zlib, "DEPENDS", props! {"weight" => 1.0})
        .unwrap();
    w.add_edge(
        curl,
        libc,
        "RECOMMENDS",
        props! {"weight" => 2.0, "note" => "x"},
    )
    .unwrap();
    w.create_collection(
        "desc",
        CollectionConfig::new(3, Metric::Cosine)
            .bound_to_nodes()
            .engine(IndexEngine::HnswRs),
    )
    .unwrap();
    w.upsert_vector("desc", libc.0, &[1.0, 0.0, 0.0], props! {"lang" => "en"})
        .unwrap();
    w.upsert_vector("desc", zlib.0, &[0.0, 1.0, 0.0], props! {})
        .unwrap();
    w.upsert_vector("desc", curl.0, &[0.0, 0.6, 0.8], props! {})
        .unwrap();
    // Since format 3: a collection in the native engine.
    w.create_collection(
        "native",
        CollectionConfig::new(2, Metric::L2).engine(IndexEngine::Native),
    )
    .unwrap();
    w.upsert_vector("native", 7, &[1.0, 1.0], props! {})
        .unwrap();
    w.upsert_vector("native", 8, &[5.0, 5.0], props! {})
        .unwrap();
    // Since format 4: what is recorded about the graph as a whole.
    w.set_graph_info(
        &GraphInfo::new()
            .undirected(true)
            .weight(Some("weight".into())),
    )
    .unwrap();
    // Since format 5: a collection that knows its text.
    let words = Arc::new(common::WordHash::new(8));
    w.create_text_collection("notes", CollectionConfig::new(8, Metric::Cosine), words)
        .unwrap();
    w.upsert_text("notes", 1, "fast HTTP client", props! {"lang" => "en"})
        .unwrap();
    w.upsert_text("notes", 2, "a relational database server", props! {})
        .unwrap();
    // Since format 6: a collection whose walk reads int8 codes (enough
    // points that it does).
    w.create_collection(
        "quant",
        CollectionConfig::new(2, Metric::L2).quantization(Quantization::Int8),
    )
    .unwrap();
    for (key, v) in grid() {
        w.upsert_vector("quant", key, &v, props! {}).unwrap();
    }
    // Since format 7: one-bit codes, and a payload index.
    w.create_collection(
        "signs",
        CollectionConfig::new(2, Metric::L2).quantization(Quantization::Binary),
    )
    .unwrap();
    w.create_payload_index("signs", "row").unwrap();
    for (key, v) in grid() {
        w.upsert_vector("signs", key, &v, props! {"row" => (key / 40).cast_signed()})
            .unwrap();
    }
    write_fed(&mut w, zlib);
    write_required(&mut w);
    write_fulltext(&mut w);
    w.commit().unwrap();
    db.compact().unwrap();
    db.close().unwrap();
    // Only the files a database needs; logs and the lock are recreated.
    for entry in fs::read_dir(path).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("LOG") || name == "quiver.lock" || name == "LOCK" {
            fs::remove_file(entry.path()).unwrap();
        }
    }
}

/// Since format 11: existence constraints, on nodes and relationships.
fn write_required(w: &mut quiverdb::WriteTxn<'_>) {
    w.create_existence_constraint("package_name", "Package", "name", false)
        .unwrap();
    w.create_existence_constraint("depends_weight", "DEPENDS", "weight", true)
        .unwrap();
}

/// Since format 10: a vector index fed by a node property, filled at its
/// creation and fed by a write after it.
fn write_fed(w: &mut quiverdb::WriteTxn<'_>, zlib: NodeId) {
    w.set_node_property(zlib, "emb", vec![0.0, 1.0]).unwrap();
    w.create_collection(
        "vectors",
        CollectionConfig::new(2, Metric::Cosine)
            .fed_by(VectorSource::node_property("Package", "emb")),
    )
    .unwrap();
    w.set_node_property(zlib, "emb", vec![0.6, 0.8]).unwrap();
}

/// The temporal properties of `libc6` (format 9 on).
fn temporal_props() -> quiverdb::Props {
    let t = |kind: &str, text: &str| Value::Temporal(Temporal::parse(kind, text).unwrap());
    props! {
        "released" => t("date", "2024-02-29"),
        "built" => t("datetime", "2024-03-31T02:30+02:00[Europe/Berlin]"),
        "window" => vec![t("localtime", "09:00"), t("time", "17:30:15.5-04:00")],
        "support" => t("duration", "P5Y6M-3DT1.000000001S"),
        "seen" => t("localdatetime", "-0044-03-15T12:00"),
    }
}

/// The points of the format-6 collection `quant`: a 40 x 25 grid.
fn grid() -> Vec<(u64, [f32; 2])> {
    (0..1_000u64)
        .map(|k| (k, [(k % 40) as f32, (k / 40) as f32]))
        .collect()
}

/// Copies a fixture, with its `vector-index/` checkpoints (format 3 on).
#[test]
fn the_checked_in_databases_read_back_exactly() {
    if std::env::var_os("QUIVER_WRITE_FIXTURE").is_some() {
        let _ = fs::remove_dir_all(fixture(CURRENT));
        write(&fixture(CURRENT));
    }
    for version in 2..=CURRENT {
        read_back(version);
    }
}

/// Statistics: kept since format 8, counted at the first open before (the
/// check compared them with a recount).
fn read_back_statistics(db: &Database) {
    let census = db.begin_read().unwrap().census().unwrap();
    assert!(
        census
            .distinct
            .contains(&("Package".to_owned(), "name".to_owned(), 3)),
        "{census:?}"
    );
    assert!(
        census
            .patterns
            .iter()
            .any(|(s, t, d, n)| (s.as_str(), t.as_str(), d.as_str(), *n)
                == ("Package", "DEPENDS", "Package", 2)),
        "{census:?}"
    );
}

fn read_back(version: u32) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    common::copy_dir(&fixture(version), &path);
    let db = Database::open(&path).unwrap();
    if version >= 3 {
        // The checked-in checkpoints (one per engine; from format 6 a
        // quantised collection's, of four files before its codes file
        // came, five since) are read, not rebuilt.
        let names: &[&str] = match version {
            3..=5 => &["desc", "native"],
            6 => &["desc", "native", "quant"],
            _ => &["desc", "native", "quant", "signs"],
        };
        for name in names {
            let info = db.vector_index_info(name).unwrap();
            assert!(info.from_checkpoint, "{name}: {info:?}");
        }
    }
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let points = match version {
        2 => 3,
        3 | 4 => 5,
        5 => 7,
        6 => 1_007,
        7..=9 => 2_007,
        _ => 2_008,
    };
    assert_eq!((report.nodes, report.edges, report.points), (3, 3, points));
    read_back_statistics(&db);

    let r = db.begin_read().unwrap();
    let info = r.graph_info().unwrap();
    if version >= 4 {
        assert_eq!(
            info,
            GraphInfo::new()
                .undirected(true)
                .weight(Some("weight".into()))
        );
    } else {
        // Older formats recorded nothing: directed, no weight property.
        assert_eq!(info, GraphInfo::default());
    }
    let by_name = |n: &str| {
        r.node_by_key("Package", "name", &Value::from(n))
            .unwrap()
            .unwrap()
    };
    let (libc, zlib, curl) = (by_name("libc6"), by_name("zlib1g"), by_name("curl"));
    assert_eq!((libc, zlib, curl), (NodeId(0), NodeId(1), NodeId(2)));
    read_back_libc(&r, libc, version);
    assert_eq!(
        r.node(zlib).unwrap().unwrap().labels,
        vec!["Library", "Package"]
    );
    assert_eq!(
        r.node(curl).unwrap().unwrap().props,
        props! {"name" => "curl", "section" => "web", "tags" => vec![Value::from("net"), Value::Null], "blob" => vec![0u8, 255]}
    );
    assert_eq!(
        r.nodes_by_property("Package", "section", &"libs".into())
            .unwrap(),
        vec![libc, zlib]
    );
    assert_eq!(r.nodes_with_label("Library").unwrap(), vec![zlib]);
    assert_eq!(
        r.neighbors(libc, Direction::In, None).unwrap(),
        vec![zlib, curl]
    );
    assert_eq!(
        r.neighbors(curl, Direction::Out, Some("DEPENDS")).unwrap(),
        vec![zlib]
    );
    let rec = r.edges(curl, Direction::Out, Some("RECOMMENDS")).unwrap();
    assert_eq!(
        r.edge(rec[0].id).unwrap().unwrap().props,
        props! {"weight" => 2.0, "note" => "x"}
    );
    let path_w = r
        .shortest_path(curl, libc, &PathQuery::new().weight("weight"))
        .unwrap()
        .unwrap();
    assert_eq!((path_w.hops(), path_w.cost), (1, 2.0));
    assert_eq!((r.node_count().unwrap(), r.edge_count().unwrap()), (3, 3));

    let desc = r.collection("desc").unwrap();
    let point = |key: NodeId| desc.get(key.0).unwrap().unwrap();
    assert_eq!(point(zlib).vector, vec![0.0, 1.0, 0.0]);
    assert_eq!(point(libc).payload, props! {"lang" => "en"});
    let hits = desc.search(&[0.0, 0.8, 0.6], &Search::k(2)).unwrap().hits;
    assert_eq!(
        hits.iter().map(|h| h.key).collect::<Vec<_>>(),
        vec![curl.0, zlib.0]
    );

    read_back_collections(&db, &r, version);
    read_back_fed(&db, version);

    // New writes continue the id sequences.
    drop(desc);
    drop(r);
    let mut w = db.begin_write().unwrap();
    assert_eq!(w.add_node(&[], props! {}).unwrap(), NodeId(3));
    w.commit().unwrap();
    read_back_required(&db, version);
    read_back_fulltext(&db, version);
}

/// Since format 12: a full-text index over two properties.
fn write_fulltext(w: &mut quiverdb::WriteTxn<'_>) {
    w.create_fulltext_index(
        "package_text",
        FulltextConfig::nodes(&["Package"], &["name", "section"]),
    )
    .unwrap();
    write_collection_fulltext(w);
}

/// Since format 13: a full-text index over the texts of `notes`.
fn write_collection_fulltext(w: &mut quiverdb::WriteTxn<'_>) {
    w.create_fulltext_index("notes_text", FulltextConfig::collection("notes"))
        .unwrap();
}

/// The full-text index (format 12 on; created on an upgraded older
/// directory): listed, searched, and kept by a write after the reopen.
fn read_back_fulltext(db: &Database, version: u32) {
    let listed: Vec<String> = db
        .begin_read()
        .unwrap()
        .fulltext_indexes()
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    match version {
        ..12 => {
            assert!(listed.is_empty(), "{listed:?}");
            let mut w = db.begin_write().unwrap();
            w.create_fulltext_index(
                "package_text",
                FulltextConfig::nodes(&["Package"], &["name", "section"]),
            )
            .unwrap();
            w.commit().unwrap();
        }
        12 => assert_eq!(listed, ["package_text"]),
        _ => assert_eq!(listed, ["notes_text", "package_text"]),
    }
    if version >= 5 {
        read_back_collection_fulltext(db, version);
    }
    let ids = |query: &str| {
        let r = db.begin_read().unwrap();
        let mut ids: Vec<u64> = r
            .fulltext("package_text")
            .unwrap()
            .search(query, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids("libs"), [0, 1]);
    assert_eq!(ids("section:web OR zlib1g"), [1, 2]);
    let mut w = db.begin_write().unwrap();
    w.set_node_property(NodeId(2), "section", "libs").unwrap();
    w.commit().unwrap();
    assert_eq!(ids("libs"), [0, 1, 2]);
    assert!(ids("web").is_empty());
}

/// The full-text index over `notes`' texts (format 13 on; created on an
/// upgraded directory that has the collection): searched, and kept by
/// text upserts and deletes after the reopen.
fn read_back_collection_fulltext(db: &Database, version: u32) {
    if version < 13 {
        let mut w = db.begin_write().unwrap();
        write_collection_fulltext(&mut w);
        w.commit().unwrap();
    }
    let keys = |query: &str| {
        let r = db.begin_read().unwrap();
        let hits = r.fulltext("notes_text").unwrap().search(query, 10).unwrap();
        hits.into_iter().map(|h| h.id).collect::<Vec<u64>>()
    };
    assert_eq!(keys("database"), [2]);
    assert_eq!(keys("\"http client\""), [1]);
    let mut w = db.begin_write().unwrap();
    w.upsert_text("notes", 3, "an embedded graph database", props! {})
        .unwrap();
    w.delete_vector("notes", 2).unwrap();
    w.commit().unwrap();
    assert_eq!(keys("database"), [3]);
    assert!(keys("relational").is_empty());
}

/// `libc6`'s properties, with temporal ones (format 9 on) found by index.
fn read_back_libc(r: &quiverdb::ReadTxn<'_>, libc: NodeId, version: u32) {
    let mut want =
        props! {"name" => "libc6", "section" => "libs", "size" => 12_345, "essential" => true};
    if version >= 9 {
        want.extend(temporal_props());
        assert_eq!(
            r.nodes_by_property("Package", "released", &temporal_props()["released"])
                .unwrap(),
            vec![libc]
        );
    }
    assert_eq!(r.node(libc).unwrap().unwrap().props, want);
}

/// The existence constraints (format 11 on): listed, and checked by a
/// commit after the reopen.
fn read_back_required(db: &Database, version: u32) {
    let declared: Vec<(String, String, String, bool)> = db
        .begin_read()
        .unwrap()
        .existence_constraints()
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.owner, c.key, c.relationship))
        .collect();
    if version < 11 {
        assert!(declared.is_empty(), "{declared:?}");
        return;
    }
    assert_eq!(
        declared,
        [
            (
                "package_name".into(),
                "Package".into(),
                "name".into(),
                false
            ),
            (
                "depends_weight".into(),
                "DEPENDS".into(),
                "weight".into(),
                true
            ),
        ]
    );
    let mut w = db.begin_write().unwrap();
    w.add_node(&["Package"], props! {"section" => "x"}).unwrap();
    let e = w.commit().unwrap_err();
    assert!(
        matches!(&e, Error::MissingRequiredProperty { name, .. } if name == "package_name"),
        "{e}"
    );
    let mut w = db.begin_write().unwrap();
    w.add_edge(NodeId(0), NodeId(1), "DEPENDS", props! {})
        .unwrap();
    let e = w.commit().unwrap_err();
    assert!(
        matches!(&e, Error::MissingRequiredProperty { name, .. } if name == "depends_weight"),
        "{e}"
    );
}

/// The collections' engines (format 3 on) and the collection that knows
/// its text (format 5 on).
/// The vector index over `emb` (format 10 on): still fed after a reopen.
fn read_back_fed(db: &Database, version: u32) {
    let fed: Vec<_> = db
        .begin_read()
        .unwrap()
        .collections()
        .unwrap()
        .into_iter()
        .filter_map(|c| c.config.source.map(|s| (c.name, s)))
        .collect();
    if version < 10 {
        assert!(fed.is_empty(), "{fed:?}");
        return;
    }
    assert_eq!(
        fed,
        [(
            "vectors".to_owned(),
            VectorSource::node_property("Package", "emb")
        )]
    );
    let nearest = |db: &Database| {
        let r = db.begin_read().unwrap();
        let hits = r
            .collection("vectors")
            .unwrap()
            .search(&[1.0, 0.0], &Search::k(5))
            .unwrap()
            .hits;
        hits.iter().map(|h| (h.key, h.score)).collect::<Vec<_>>()
    };
    assert_eq!(nearest(db).len(), 1);
    assert_eq!(nearest(db)[0].0, 1);
    assert!((nearest(db)[0].1 - 0.6).abs() < 1e-6, "{:?}", nearest(db));
    let mut w = db.begin_write().unwrap();
    w.set_node_property(NodeId(2), "emb", vec![1.0, 0.0])
        .unwrap();
    w.commit().unwrap();
    assert_eq!(nearest(db)[0].0, 2);
    let mut w = db.begin_write().unwrap();
    w.remove_node_property(NodeId(2), "emb").unwrap();
    w.commit().unwrap();
}

fn read_back_collections(db: &Database, r: &quiverdb::ReadTxn<'_>, version: u32) {
    let engines: Vec<IndexEngine> = r
        .collections()
        .unwrap()
        .iter()
        .map(|c| c.config.engine)
        .collect();
    if version >= 3 {
        assert_eq!(engines[..2], [IndexEngine::HnswRs, IndexEngine::Native]);
        let hits = db.search("native", &[4.0, 4.0], &Search::k(1)).unwrap();
        assert_eq!(hits.hits[0].key, 8);
    } else {
        // Format 2 had one engine: its collections read as hnsw_rs.
        assert_eq!(engines, vec![IndexEngine::HnswRs]);
    }

    let models: Vec<Option<String>> = r
        .collections()
        .unwrap()
        .into_iter()
        .map(|c| c.text_model)
        .collect();
    if version >= 5 {
        assert_eq!(models[..3], [None, None, Some("word-hash 8-d".into())]);
        // The model is recorded: another one is refused, the same one
        // searches the stored texts.
        let mut other = common::WordHash::new(8);
        other.name = "word-hash v2".into();
        assert!(matches!(
            db.attach_embedder("notes", Arc::new(other)),
            Err(Error::EmbedderMismatch { .. })
        ));
        db.attach_embedder("notes", Arc::new(common::WordHash::new(8)))
            .unwrap();
        let found = db
            .search_text("notes", "an HTTP client", &Search::k(1).with_payload())
            .unwrap();
        assert_eq!(found.hits[0].key, 1);
        assert_eq!(found.hits[0].text.as_deref(), Some("fast HTTP client"));
        assert_eq!(found.hits[0].payload, Some(props! {"lang" => "en"}));
    } else {
        assert!(models.iter().all(Option::is_none));
    }

    let quantized: Vec<(String, Quantization)> = r
        .collections()
        .unwrap()
        .into_iter()
        .filter(|c| c.config.quantization != Quantization::None)
        .map(|c| (c.name, c.config.quantization))
        .collect();
    if version >= 7 {
        assert_eq!(
            quantized,
            [
                ("quant".to_owned(), Quantization::Int8),
                ("signs".to_owned(), Quantization::Binary)
            ]
        );
        // A walk on one-bit codes, re-ranked; a search through the
        // payload index.
        let bits = r.collection("signs").unwrap();
        for (key, v) in grid().into_iter().step_by(89) {
            let hits = bits.search(&v, &Search::k(1)).unwrap().hits;
            assert_eq!((hits[0].key, hits[0].score), (key, 0.0));
        }
        let row = Search::k(3).payload_eq("row", 7);
        let hits = bits.search(&[0.0, 0.0], &row).unwrap().hits;
        assert_eq!(
            hits.iter().map(|h| h.key).collect::<Vec<_>>(),
            [280, 281, 282]
        );
    } else {
        assert!(
            r.collections()
                .unwrap()
                .iter()
                .all(|c| c.payload_indexes.is_empty())
        );
    }
    if version >= 6 {
        assert_eq!(
            quantized.first(),
            Some(&("quant".to_owned(), Quantization::Int8))
        );
        // The walk on codes, re-ranked: exact neighbours of grid points.
        let quant = r.collection("quant").unwrap();
        for (key, v) in grid().into_iter().step_by(97) {
            let hits = quant.search(&v, &Search::k(1)).unwrap().hits;
            assert_eq!((hits[0].key, hits[0].score), (key, 0.0));
        }
    } else {
        // Collections of older formats walk on their f32 vectors.
        assert!(quantized.is_empty());
    }
}
