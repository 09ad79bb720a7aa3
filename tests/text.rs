//! Collections that know their text, with a small deterministic embedder
//! (tests/common's `WordHash`) so they run without a model folder;
//! tests/embed.rs runs the same API on all-MiniLM-L6-v2.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::WordHash;
use quiverdb::vector::{CollectionConfig, Metric, Search};
use quiverdb::{Database, Error, NodeId, props};

const PACKAGES: [(u64, &str); 5] = [
    (10, "command line HTTP client for downloading files"),
    (11, "relational database server"),
    (12, "HTTP server for static files"),
    (13, "compression library"),
    (14, "database client library"),
];

fn keys(found: &quiverdb::vector::SearchResult) -> Vec<u64> {
    found.hits.iter().map(|h| h.key).collect()
}

/// A database with collection `docs` (64-d word hashes) holding PACKAGES.
fn docs() -> (tempfile::TempDir, Database, Arc<WordHash>) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let words = Arc::new(WordHash::new(64));
    let mut w = db.begin_write().unwrap();
    w.create_text_collection(
        "docs",
        CollectionConfig::new(64, Metric::Cosine),
        words.clone(),
    )
    .unwrap();
    for (key, text) in PACKAGES {
        w.upsert_text("docs", key, text, props! {"n" => key.cast_signed()})
            .unwrap();
    }
    w.commit().unwrap();
    (dir, db, words)
}

#[test]
fn a_text_is_stored_with_its_point_and_found_by_text() {
    let (_dir, db, words) = docs();
    let query = "HTTP client";
    let found = db
        .search_text("docs", query, &Search::k(2).with_payload())
        .unwrap();
    // The same ranking as searching the embedder's own vector.
    let by_vector = db
        .search("docs", &words.vector(query), &Search::k(2))
        .unwrap();
    assert_eq!(keys(&found), keys(&by_vector));
    assert_eq!(found.hits[0].key, 10);
    assert_eq!(found.hits[0].text.as_deref(), Some(PACKAGES[0].1));
    assert_eq!(found.hits[0].payload, Some(props! {"n" => 10}));
    for hit in &found.hits {
        let stored = PACKAGES.iter().find(|p| p.0 == hit.key).unwrap().1;
        assert_eq!(hit.text.as_deref(), Some(stored));
    }
    // Without with_payload, hits are keys and scores only.
    let bare = db.search_text("docs", query, &Search::k(2)).unwrap();
    assert_eq!(keys(&bare), keys(&found));
    assert!(
        bare.hits
            .iter()
            .all(|h| h.text.is_none() && h.payload.is_none())
    );
    // The point holds the text and the embedder's vector.
    let r = db.begin_read().unwrap();
    let point = r.collection("docs").unwrap().get(13).unwrap().unwrap();
    assert_eq!(point.text.as_deref(), Some("compression library"));
    let expected = words.vector("compression library");
    assert!(
        point
            .vector
            .iter()
            .zip(&expected)
            .all(|(a, b)| (a - b).abs() < 1e-6)
    );
    assert!(db.check().unwrap().is_ok());
}

#[test]
fn the_model_is_recorded_and_checked_at_reopen() {
    let (dir, db, _) = docs();
    db.close().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let info = &db.begin_read().unwrap().collections().unwrap()[0];
    assert_eq!(info.text_model.as_deref(), Some("word-hash 64-d"));
    // Nothing attached yet: text work says which model to attach.
    let err = db.search_text("docs", "HTTP", &Search::k(1)).unwrap_err();
    assert!(
        matches!(&err, Error::EmbedderMissing { collection, model } if collection == "docs" && model == "word-hash 64-d"),
        "{err}"
    );
    let mut w = db.begin_write().unwrap();
    assert!(matches!(
        w.upsert_text("docs", 1, "x", props! {}),
        Err(Error::EmbedderMissing { .. })
    ));
    drop(w);
    // Another model (another name, or another dimension) is refused.
    let mut renamed = WordHash::new(64);
    renamed.name = "word-hash 64-d v2".into();
    let err = db.attach_embedder("docs", Arc::new(renamed)).unwrap_err();
    assert!(
        matches!(&err, Error::EmbedderMismatch { recorded, given, .. } if recorded == "word-hash 64-d" && given == "word-hash 64-d v2"),
        "{err}"
    );
    let mut wider = WordHash::new(128);
    wider.name = "word-hash 64-d".into();
    assert!(matches!(
        db.attach_embedder("docs", Arc::new(wider)),
        Err(Error::EmbedderMismatch { .. })
    ));
    // The stored texts survived; the right model searches them.
    db.attach_embedder("docs", Arc::new(WordHash::new(64)))
        .unwrap();
    let found = db
        .search_text("docs", "relational database", &Search::k(1).with_payload())
        .unwrap();
    assert_eq!(found.hits[0].key, 11);
    assert_eq!(
        found.hits[0].text.as_deref(),
        Some("relational database server")
    );
}

#[test]
fn texts_and_vectors_do_not_mix() {
    let (_dir, db, _) = docs();
    let mut w = db.begin_write().unwrap();
    // A text collection takes texts, not vectors made elsewhere.
    assert!(matches!(
        w.upsert_vector("docs", 99, &[1.0; 64], props! {}),
        Err(Error::InvalidArgument(_))
    ));
    w.create_collection("plain", CollectionConfig::new(64, Metric::Cosine))
        .unwrap();
    assert!(matches!(
        w.upsert_text("plain", 1, "text", props! {}),
        Err(Error::InvalidArgument(_))
    ));
    w.commit().unwrap();
    assert!(matches!(
        db.attach_embedder("plain", Arc::new(WordHash::new(64))),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        db.search_text("plain", "text", &Search::k(1)),
        Err(Error::InvalidArgument(_))
    ));
    // The embedder's dimension must be the collection's.
    let mut w = db.begin_write().unwrap();
    assert!(matches!(
        w.create_text_collection(
            "wrong",
            CollectionConfig::new(8, Metric::Cosine),
            Arc::new(WordHash::new(64))
        ),
        Err(Error::DimensionMismatch {
            expected: 8,
            found: 64
        })
    ));
    assert!(matches!(
        w.collection("wrong"),
        Err(Error::CollectionNotFound(_))
    ));
}

#[test]
fn bad_texts_are_refused_and_nothing_of_them_is_written() {
    let (_dir, db, _) = docs();
    let mut w = db.begin_write().unwrap();
    for empty in ["", "   \n\t"] {
        let err = w.upsert_text("docs", 20, empty, props! {}).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains("empty")),
            "{err}"
        );
        let err = db.search_text("docs", empty, &Search::k(1)).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m.contains("empty")),
            "{err}"
        );
    }
    // A NaN payload is refused before anything is written.
    let err = w
        .upsert_text("docs", 21, "fine text", props! {"x" => f64::NAN})
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    let docs = w.collection("docs").unwrap();
    assert_eq!(docs.count(), 5);
    assert!(!docs.contains(20).unwrap() && !docs.contains(21).unwrap());
}

#[test]
fn a_batch_reports_inserted_updated_and_rejected_and_embeds_in_batches() {
    let (_dir, db, words) = docs();
    let before = words.calls.load(Ordering::Relaxed);
    let mut w = db.begin_write().unwrap();
    let many: Vec<(u64, String)> = (100..700)
        .map(|k| (k, format!("package number {k}")))
        .collect();
    let points = [
        (10, "an HTTP client, updated", props! {}),
        (30, "", props! {}),
        (31, "new tool", props! {"x" => f64::NAN}),
        (32, "?!", props! {}), // no words: a zero vector under cosine
    ]
    .into_iter()
    .chain(many.iter().map(|(k, t)| (*k, t.as_str(), props! {})));
    let report = w.upsert_texts("docs", points).unwrap();
    assert_eq!((report.inserted, report.updated), (600, 1));
    let rejected: Vec<(usize, u64)> = report.rejected.iter().map(|r| (r.index, r.key)).collect();
    assert_eq!(rejected, [(1, 30), (2, 31), (3, 32)]);
    assert!(report.rejected[0].reason.contains("empty"));
    // Empty texts never reach the model; the rest went in batches.
    assert_eq!(words.calls.load(Ordering::Relaxed) - before, 603);
    let docs = w.collection("docs").unwrap();
    assert_eq!(docs.count(), 605);
    assert_eq!(
        docs.get(10).unwrap().unwrap().text.as_deref(),
        Some("an HTTP client, updated")
    );
    assert!(!docs.contains(30).unwrap() && !docs.contains(31).unwrap());
    drop(docs);
    w.commit().unwrap();
    assert!(db.check().unwrap().is_ok());
}

#[test]
fn a_write_transaction_searches_its_own_texts_and_an_abort_removes_them() {
    let (_dir, db, _) = docs();
    let mut w = db.begin_write().unwrap();
    w.upsert_text("docs", 50, "graph database engine", props! {})
        .unwrap();
    let mine = w
        .collection("docs")
        .unwrap()
        .search_text("graph engine", &Search::k(1).with_payload())
        .unwrap();
    assert_eq!(mine.hits[0].key, 50);
    assert_eq!(mine.hits[0].text.as_deref(), Some("graph database engine"));
    // A snapshot does not see it; an abort drops it.
    let outside = db
        .search_text("docs", "graph engine", &Search::k(1))
        .unwrap();
    assert_ne!(outside.hits[0].key, 50);
    w.abort();
    assert!(
        !db.begin_read()
            .unwrap()
            .collection("docs")
            .unwrap()
            .contains(50)
            .unwrap()
    );
}

#[test]
fn a_node_bound_text_collection_follows_its_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    let curl = w.add_node(&["Package"], props! {"name" => "curl"}).unwrap();
    w.create_text_collection(
        "desc",
        CollectionConfig::new(64, Metric::Cosine).bound_to_nodes(),
        Arc::new(WordHash::new(64)),
    )
    .unwrap();
    let report = w
        .upsert_texts(
            "desc",
            [
                (curl.0, "HTTP client", props! {}),
                (999, "no such node", props! {}),
            ],
        )
        .unwrap();
    assert_eq!(report.inserted, 1);
    assert_eq!(report.rejected[0].key, 999);
    assert!(report.rejected[0].reason.contains("does not exist"));
    w.commit().unwrap();
    let mut w = db.begin_write().unwrap();
    w.delete_node(NodeId(curl.0)).unwrap();
    w.commit().unwrap();
    assert_eq!(
        db.begin_read().unwrap().collection("desc").unwrap().count(),
        0
    );
}

mod import {
    use std::path::Path;
    use std::sync::Arc;

    use super::common::WordHash;
    use quiverdb::embed::Embedder;
    use quiverdb::import::{Format, ImportOptions, Importer};
    use quiverdb::vector::{CollectionConfig, Metric, Search};
    use quiverdb::{Database, Error, GraphRead, Value};

    const NODES: &[u8] = b"name,description\n\
        curl,command line HTTP client\n\
        postgresql,relational database server\n\
        blank,\n\
        nginx,HTTP server and reverse proxy\n";

    fn import(
        db: &Database,
        nodes: &Path,
        format: Format,
        skip_bad: bool,
        embedder: Arc<dyn Embedder>,
    ) -> quiverdb::Result<quiverdb::import::Report> {
        let mut import = Importer::new(
            db,
            ImportOptions::default()
                .key_label("Package")
                .key_property("name")
                .skip_bad(skip_bad),
        )?;
        import.embed_column(
            "description",
            "desc",
            CollectionConfig::new(1, Metric::Cosine),
            embedder,
        )?;
        import.nodes(nodes, format)?;
        import.finish()
    }

    fn file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Nothing of an import is in the database: no node, no collection.
    fn untouched(db: &Database) {
        let r = db.begin_read().unwrap();
        assert_eq!(r.node_count().unwrap(), 0);
        assert!(r.collections().unwrap().is_empty());
    }

    #[test]
    fn a_column_is_embedded_into_a_node_bound_collection_with_its_texts() {
        let dir = tempfile::tempdir().unwrap();
        let nodes = file(dir.path(), "nodes.csv", NODES);
        let db = Database::open(dir.path().join("db")).unwrap();
        let words = Arc::new(WordHash::new(64));
        let report = import(&db, &nodes, Format::Csv, false, words.clone()).unwrap();
        // The blank description gets no point; its node is imported.
        assert_eq!((report.nodes, report.texts), (4, 3));
        assert!(report.stages.iter().any(|(s, _)| *s == "embed"));
        let r = db.begin_read().unwrap();
        let desc = r.collection("desc").unwrap();
        assert!(desc.config().bound_to_nodes);
        assert_eq!(desc.count(), 3);
        let blank = r
            .node_by_key("Package", "name", &Value::from("blank"))
            .unwrap()
            .unwrap();
        assert!(!desc.contains(blank.0).unwrap());
        let found = desc
            .search_text("HTTP client", &Search::k(1).with_payload())
            .unwrap();
        let curl = r
            .node_by_key("Package", "name", &Value::from("curl"))
            .unwrap()
            .unwrap();
        assert_eq!(found.hits[0].key, curl.0);
        assert_eq!(
            found.hits[0].text.as_deref(),
            Some("command line HTTP client")
        );
        // The node keeps the column as a property too.
        assert_eq!(
            r.node(curl).unwrap().unwrap().props.get("description"),
            Some(&Value::from("command line HTTP client"))
        );
        drop(desc);
        drop(r);
        // A second import into the same collection, with the same model.
        let more = file(
            dir.path(),
            "more.csv",
            b"name,description\nzstd,fast compression tool\n",
        );
        let report = import(&db, &more, Format::Csv, false, words).unwrap();
        assert_eq!(report.texts, 1);
        assert_eq!(
            db.begin_read().unwrap().collection("desc").unwrap().count(),
            4
        );
        assert!(db.check().unwrap().is_ok());
    }

    #[test]
    fn non_utf8_and_non_text_values_are_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut bad = NODES.to_vec();
        bad.extend_from_slice(b"broken,caf\xe9 au lait\n");
        let nodes = file(dir.path(), "nodes.csv", &bad);
        let db = Database::open(dir.path().join("db")).unwrap();
        let err = import(&db, &nodes, Format::Csv, false, Arc::new(WordHash::new(64))).unwrap_err();
        assert!(
            matches!(&err, Error::BadInput { at, reason, .. } if at == "line 6" && reason.contains("description") && reason.contains("UTF-8")),
            "{err}"
        );
        untouched(&db);
        // Skipped and counted with skip_bad; the other rows go in.
        let report = import(&db, &nodes, Format::Csv, true, Arc::new(WordHash::new(64))).unwrap();
        assert_eq!(
            (report.nodes, report.texts, report.rejected_total),
            (4, 3, 1)
        );

        let dir = tempfile::tempdir().unwrap();
        let jsonl = file(
            dir.path(),
            "nodes.jsonl",
            b"{\"name\": \"a\", \"description\": \"fine text\"}\n{\"name\": \"b\", \"description\": 42}\n",
        );
        let db = Database::open(dir.path().join("db")).unwrap();
        let err = import(
            &db,
            &jsonl,
            Format::Jsonl,
            false,
            Arc::new(WordHash::new(64)),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::BadInput { at, reason, .. } if at == "line 2" && reason.contains("not a text")),
            "{err}"
        );
        untouched(&db);
    }

    /// An embedder that fails: the model broke while embedding.
    struct Broken;

    impl Embedder for Broken {
        fn name(&self) -> &'static str {
            "broken"
        }

        fn dim(&self) -> usize {
            4
        }

        fn embed(&self, _: &[&str]) -> quiverdb::Result<Vec<Vec<f32>>> {
            Err(Error::Model {
                path: "/models/broken".into(),
                reason: "out of memory".into(),
            })
        }
    }

    #[test]
    fn a_failing_model_or_a_mismatched_collection_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let nodes = file(dir.path(), "nodes.csv", NODES);
        let db = Database::open(dir.path().join("db")).unwrap();
        let err = import(&db, &nodes, Format::Csv, false, Arc::new(Broken)).unwrap_err();
        assert!(matches!(err, Error::Model { .. }), "{err}");
        untouched(&db);

        // An existing collection of plain vectors, or one made with
        // another model, is refused before anything is read.
        let mut w = db.begin_write().unwrap();
        w.create_collection("desc", CollectionConfig::new(64, Metric::Cosine))
            .unwrap();
        w.commit().unwrap();
        let err = import(&db, &nodes, Format::Csv, false, Arc::new(WordHash::new(64))).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        let mut w = db.begin_write().unwrap();
        w.drop_collection("desc").unwrap();
        w.create_text_collection(
            "desc",
            CollectionConfig::new(32, Metric::Cosine),
            Arc::new(WordHash::new(32)),
        )
        .unwrap();
        w.commit().unwrap();
        let err = import(&db, &nodes, Format::Csv, false, Arc::new(WordHash::new(64))).unwrap_err();
        assert!(matches!(err, Error::EmbedderMismatch { .. }), "{err}");
        let r = db.begin_read().unwrap();
        assert_eq!(r.node_count().unwrap(), 0);
        assert_eq!(r.collection("desc").unwrap().count(), 0);
        drop(r);

        // The column must be named before the node files it embeds.
        let opts = ImportOptions::default().key_property("name");
        let mut import = Importer::new(&db, opts).unwrap();
        import.nodes(&nodes, Format::Csv).unwrap();
        let err = import
            .embed_column(
                "description",
                "other",
                CollectionConfig::new(1, Metric::Cosine),
                Arc::new(WordHash::new(8)),
            )
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
}
