//! Hybrid retrieval as users rely on it: a full-text index over a text
//! collection's texts kept by the collection's writes (snapshots, own
//! writes, reopen, drop, `quiver check`), hybrid search of a text
//! collection, filters applied inside both lists so a filtered top-k is
//! full, and fusion of ranked lists inside a Cypher statement.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::sync::Arc;

use common::WordHash;
use quiverdb::fulltext::FulltextConfig;
use quiverdb::hybrid::{Fusion, HybridSearch};
use quiverdb::query::{CypherValue as V, Params};
use quiverdb::vector::{CollectionConfig, Metric, Search};
use quiverdb::{Database, Error, props};

fn open(path: &std::path::Path) -> Database {
    let db = Database::open(path).unwrap();
    if db.begin_read().unwrap().collection("docs").is_ok() {
        db.attach_embedder("docs", Arc::new(WordHash::new(16)))
            .unwrap();
    }
    db
}

/// Text collection `docs` (16-d word hashes) and `docs_text` over its
/// texts.
fn indexed_collection(w: &mut quiverdb::WriteTxn<'_>) {
    w.create_text_collection(
        "docs",
        CollectionConfig::new(16, Metric::Cosine),
        Arc::new(WordHash::new(16)),
    )
    .unwrap();
    w.create_fulltext_index("docs_text", FulltextConfig::collection("docs"))
        .unwrap();
}

fn keys(db: &Database, query: &str) -> Vec<u64> {
    let r = db.begin_read().unwrap();
    let hits = r.fulltext("docs_text").unwrap().search(query, 100).unwrap();
    let mut keys: Vec<u64> = hits.into_iter().map(|h| h.id).collect();
    keys.sort_unstable();
    keys
}

#[test]
fn a_full_text_index_follows_its_collection_texts_through_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let db = open(&path);
    let mut w = db.begin_write().unwrap();
    w.create_text_collection(
        "docs",
        CollectionConfig::new(16, Metric::Cosine),
        Arc::new(WordHash::new(16)),
    )
    .unwrap();
    w.upsert_text("docs", 10, "rust graph database", props! {})
        .unwrap();
    w.upsert_text("docs", 11, "soup and bread", props! {})
        .unwrap();
    // Created over existing points, it builds from them.
    assert_eq!(
        w.create_fulltext_index("docs_text", FulltextConfig::collection("docs"))
            .unwrap(),
        2
    );
    // Later writes in the same transaction are followed.
    w.upsert_text("docs", 12, "a graph of soup recipes", props! {})
        .unwrap();
    assert_eq!(
        w.fulltext("docs_text")
            .unwrap()
            .search("graph", 10)
            .unwrap()
            .len(),
        2
    );
    w.commit().unwrap();
    assert_eq!(keys(&db, "graph"), [10, 12]);
    assert_eq!(keys(&db, "soup"), [11, 12]);

    // A held snapshot keeps its answers; a write transaction sees its own.
    let held = db.begin_read().unwrap();
    let mut w = db.begin_write().unwrap();
    w.upsert_text("docs", 12, "bread recipes", props! {})
        .unwrap();
    w.delete_vector("docs", 10).unwrap();
    let own: Vec<u64> = w
        .fulltext("docs_text")
        .unwrap()
        .search("graph OR bread", 10)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(own.len(), 2);
    assert!(own.contains(&11) && own.contains(&12), "{own:?}");
    w.commit().unwrap();
    let old = held
        .fulltext("docs_text")
        .unwrap()
        .search("graph", 10)
        .unwrap();
    assert_eq!(old.len(), 2);
    drop(held);
    assert!(keys(&db, "graph").is_empty());
    assert_eq!(keys(&db, "bread"), [11, 12]);

    // An aborted write leaves nothing.
    let mut w = db.begin_write().unwrap();
    w.upsert_text("docs", 13, "graph again", props! {}).unwrap();
    drop(w);
    assert!(keys(&db, "graph").is_empty());
    assert!(db.check().unwrap().is_ok());

    // Reopened, it still follows the collection.
    drop(db);
    let db = open(&path);
    let mut w = db.begin_write().unwrap();
    w.upsert_texts(
        "docs",
        [(14, "graph engines", props! {}), (15, "rice", props! {})],
    )
    .unwrap();
    w.commit().unwrap();
    assert_eq!(keys(&db, "graph OR rice"), [14, 15]);
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let info = &db.begin_read().unwrap().fulltext_indexes().unwrap()[0];
    assert_eq!(info.config.collection.as_deref(), Some("docs"));
    assert_eq!(info.documents, 4);

    // Dropping the collection empties the index, which stays defined.
    let mut w = db.begin_write().unwrap();
    w.drop_collection("docs").unwrap();
    w.commit().unwrap();
    assert!(keys(&db, "bread OR graph OR rice").is_empty());
    assert_eq!(
        db.begin_read().unwrap().fulltext_indexes().unwrap()[0].documents,
        0
    );
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn an_index_over_a_collection_is_refused_for_vectors_or_a_missing_collection() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("db"));
    let mut w = db.begin_write().unwrap();
    let missing = w
        .create_fulltext_index("t", FulltextConfig::collection("nope"))
        .unwrap_err();
    assert!(matches!(missing, Error::CollectionNotFound(_)), "{missing}");
    w.create_collection("plain", CollectionConfig::new(2, Metric::L2))
        .unwrap();
    let plain = w
        .create_fulltext_index("t", FulltextConfig::collection("plain"))
        .unwrap_err();
    assert!(plain.to_string().contains("without an embedder"), "{plain}");
    let mut both = FulltextConfig::collection("plain");
    both.labels = vec!["Doc".into()];
    assert!(matches!(
        w.create_fulltext_index("t", both),
        Err(Error::InvalidArgument(_))
    ));
    // Cypher lists it but does not query the graph with it.
    indexed_collection(&mut w);
    w.commit().unwrap();
    let rows = db
        .execute(
            "SHOW FULLTEXT INDEXES YIELD name, entityType, labelsOrTypes",
            &Params::new(),
        )
        .unwrap()
        .into_rows();
    assert_eq!(
        rows,
        [[
            V::String("docs_text".into()),
            V::String("COLLECTION".into()),
            common::strings(&["docs"])
        ]]
    );
    let e = db
        .execute(
            "CALL db.index.fulltext.queryNodes('docs_text', 'x') YIELD node RETURN node",
            &Params::new(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("collection"), "{e}");
}

/// 40 documents: the 30 best keyword and vector matches of "graph" are
/// in English, the 10 German ones rank last both ways.
fn filtered_corpus(db: &Database) {
    let mut w = db.begin_write().unwrap();
    indexed_collection(&mut w);
    for i in 0..30u64 {
        w.upsert_text("docs", i, "graph graph graph", props! {"lang" => "en"})
            .unwrap();
    }
    for i in 30..40u64 {
        let text = format!("graph {}", "wort ".repeat(usize::try_from(i).unwrap() - 25));
        w.upsert_text("docs", i, &text, props! {"lang" => "de"})
            .unwrap();
    }
    w.commit().unwrap();
}

#[test]
fn a_filtered_hybrid_search_of_a_text_collection_returns_k_that_pass() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("db"));
    // The two words embed apart (a hash collision would make them one).
    let words = WordHash::new(16);
    assert_ne!(words.vector("graph"), words.vector("wort"));
    filtered_corpus(&db);
    for fusion in [
        Fusion::ReciprocalRank { k: 60.0 },
        Fusion::Weighted {
            text: 0.5,
            vector: 0.5,
        },
    ] {
        // Lists 10 deep: unfiltered, no German document would be in them.
        let german = HybridSearch::new(5)
            .candidates(10)
            .fusion(fusion)
            .vector_search(Search::k(0).payload_eq("lang", "de").exact());
        let hits = db.hybrid_search_text("docs", "graph", &german).unwrap();
        assert_eq!(hits.len(), 5, "{fusion:?}");
        assert!(hits.iter().all(|h| (30..40).contains(&h.id)), "{hits:?}");
        assert!(
            hits.iter()
                .all(|h| h.text_rank.is_some() && h.vector_rank.is_some())
        );
        let all = HybridSearch::new(5).candidates(10).fusion(fusion);
        let hits = db.hybrid_search_text("docs", "graph", &all).unwrap();
        assert!(hits.iter().all(|h| h.id < 30), "{hits:?}");
    }
    // A key set filters the same way; the write transaction sees its own.
    let mut w = db.begin_write().unwrap();
    w.upsert_text("docs", 40, "graph", props! {"lang" => "fr"})
        .unwrap();
    let only = HybridSearch::new(3).vector_search(Search::k(0).keys([7, 40]));
    let hits = w.hybrid_search_text("docs", "graph", &only).unwrap();
    let mut ids: Vec<u64> = hits.iter().map(|h| h.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [7, 40]);
    drop(w);
    // A collection without a full-text index says what to do.
    let mut w = db.begin_write().unwrap();
    w.drop_fulltext_index("docs_text").unwrap();
    let e = w
        .hybrid_search_text("docs", "graph", &HybridSearch::new(3))
        .unwrap_err();
    assert!(e.to_string().contains("FulltextConfig::collection"), "{e}");
}

fn run(db: &Database, statement: &str, params: &Params) -> Vec<Vec<V>> {
    db.execute(statement, params)
        .unwrap_or_else(|e| panic!("{statement}: {e}"))
        .into_rows()
}

/// 30 `:Doc` chunks about graphs rank above the 5 `:Note` ones both
/// ways; the hybrid procedure's label option still returns 5 notes.
#[test]
fn cypher_hybrid_filters_by_label_and_fuses_lists_with_functions() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir.path().join("db"));
    let none = Params::new();
    run(
        &db,
        "UNWIND range(0, 29) AS i CREATE (:Chunk:Doc {id: i, text: 'graph graph', emb: [1.0, 0.0]})",
        &none,
    );
    run(
        &db,
        "UNWIND range(30, 34) AS i CREATE (:Chunk:Note {id: i, text: 'graph ' + reduce(s = '', x IN range(0, i - 30) | s + 'word '), emb: [0.6, 0.8]})",
        &none,
    );
    run(
        &db,
        "CREATE VECTOR INDEX emb FOR (c:Chunk) ON (c.emb) OPTIONS {indexConfig: {`vector.dimensions`: 2, `vector.similarity_function`: 'cosine'}}",
        &none,
    );
    run(
        &db,
        "CREATE FULLTEXT INDEX text FOR (c:Chunk) ON EACH [c.text]",
        &none,
    );
    let params = common::params(&[("v", common::floats(&[1.0, 0.0]))]);
    let ids = |rows: &[Vec<V>]| -> Vec<i64> {
        rows.iter()
            .map(|r| match r[0] {
                V::Int(i) => i,
                ref other => panic!("{other:?}"),
            })
            .collect()
    };
    let rows = run(
        &db,
        "CALL db.index.hybrid.queryNodes('text', 'emb', 'graph', $v, {limit: 5, candidates: 10, label: 'Note'}) \
         YIELD node RETURN node.id",
        &params,
    );
    let mut notes = ids(&rows);
    notes.sort_unstable();
    assert_eq!(notes, [30, 31, 32, 33, 34]);

    // fusion.rrf over the lists two CALL branches collected.
    let statement = "CALL () { \
           CALL db.index.vector.queryNodes('emb', 3, $v) YIELD node, score \
           RETURN collect({node: node, score: score}) AS hits \
           UNION ALL \
           CALL db.index.fulltext.queryNodes('text', 'word', {limit: 3}) YIELD node, score \
           RETURN collect({node: node, score: score}) AS hits } \
         WITH collect(hits) AS lists \
         UNWIND fusion.rrf(lists) AS hit \
         RETURN hit.node.id AS id, hit.score AS score";
    let rows = run(&db, statement, &params);
    assert_eq!(rows.len(), 6, "{rows:?}");
    let scores: Vec<f64> = rows
        .iter()
        .map(|r| match r[1] {
            V::Float(s) => s,
            ref other => panic!("{other:?}"),
        })
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!((scores[0] - 1.0 / 61.0).abs() < 1e-6, "{scores:?}");
    // fusion.weighted: the full-text list only, weight 2: its best scores 2.
    let rows = run(
        &db,
        "CALL db.index.fulltext.queryNodes('text', 'word', {limit: 5}) YIELD node, score \
         WITH collect({node: node, score: score}) AS hits \
         UNWIND fusion.weighted([hits, []], [2.0, 1.0]) AS hit \
         RETURN hit.node.id AS id, hit.score AS score",
        &none,
    );
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0][1], V::Float(2.0));
    assert_eq!(rows[4][1], V::Float(0.0));
    let e = db
        .execute("RETURN fusion.weighted([[1, 2]])", &none)
        .unwrap_err();
    assert!(e.to_string().contains("score"), "{e}");
}
