//! Three more libraries' Neo4j statements, recorded with their parameters
//! by running each library's own code against a stub driver
//! (`tests/data/<library>/statements.json`, licenses beside them) and
//! replayed in order on one database: Mem0's graph memory, `LlamaIndex`'s
//! `Neo4jVectorStore` and neo4j-graphrag (index helpers, the knowledge-graph
//! pipeline's writer and resolvers, every retriever, schema reads, message
//! history). Every statement must run except those Neo4j 5.26 refuses as
//! well; the answers checked are worked out from the recorded parameters.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{Recorded, by_column, map, recorded};
use quiverdb::Database;
use quiverdb::query::{CypherValue as V, ErrorKind};

fn statements(library: &str) -> Vec<Recorded> {
    recorded(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(library)
            .join("statements.json"),
        true,
    )
}

/// A memory as `get_all` lists it: source, relationship, target.
type Triple = (String, String, String);

fn text(v: &V) -> String {
    match v {
        V::String(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

/// Mem0: adds (entity search by embedding, merges, relationship
/// soft-deletes), search, `get_all`, delete, `delete_all`, in its two
/// set-ups (a base label with its indexes, and plain labels with agent
/// and run filters). The element ids an add uses are those the search just
/// before it returned, as Mem0 passes them on.
#[test]
fn mem0_graph_memory_adds_searches_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut found: Vec<Vec<Triple>> = Vec::new();
    let (mut source, mut destination) = (None, None);
    for (i, mut r) in statements("mem0").into_iter().enumerate() {
        for (param, id) in [("source_id", &source), ("destination_id", &destination)] {
            if let (Some(slot), Some(id)) = (r.params.get_mut(param), id) {
                *slot = V::String(String::clone(id));
            }
        }
        let result = db
            .execute(&r.statement, &r.params)
            .unwrap_or_else(|e| panic!("{i} {}: {e}", r.name));
        let rows = by_column(&result);
        let first_id = |column: &str| rows.first().and_then(|row| row.get(column)).map(text);
        if r.name.starts_with("MemoryGraph._search_source_node") {
            source = first_id("elementId(source_candidate)");
        } else if r.name.starts_with("MemoryGraph._search_destination_node") {
            destination = first_id("elementId(destination_candidate)");
        } else if r.name.starts_with("MemoryGraph.get_all") {
            let triples = rows
                .iter()
                .map(|row| {
                    (
                        text(&row["source"]),
                        text(&row["relationship"]),
                        text(&row["target"]),
                    )
                })
                .collect();
            found.push(triples);
        }
    }
    let triples = |list: &[(&str, &str, &str)]| -> BTreeSet<Triple> {
        list.iter()
            .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
            .collect()
    };
    // Four adds: Alice knows Bob; works with Carol; no longer with Carol
    // but with Bob (the Carol relation soft-deleted, so not listed); Dave
    // is Bob's brother. Then "works with Bob" is deleted.
    let after_adds = triples(&[
        ("alice", "knows", "bob"),
        ("alice", "works_with", "bob"),
        ("dave", "brother_of", "bob"),
    ]);
    let after_delete = triples(&[("alice", "knows", "bob"), ("dave", "brother_of", "bob")]);
    let lists: Vec<BTreeSet<_>> = found.iter().map(|t| t.iter().cloned().collect()).collect();
    assert_eq!(
        lists,
        [
            after_adds.clone(),
            after_delete.clone(),
            after_adds,
            after_delete
        ]
    );
    let left = db
        .execute("MATCH (n) RETURN count(n)", &quiverdb::query::Params::new())
        .unwrap();
    assert_eq!(left.rows(), [vec![V::Int(0)]], "reset() leaves nothing");
}

/// `LlamaIndex`'s `Neo4jVectorStore`: version check, index set-up, an
/// import, vector, filtered and hybrid queries, a delete by document.
#[test]
fn llamaindex_vector_store_imports_queries_and_deletes() {
    // The store writes `x NOT IN $p` for its NIN filter: not Cypher, and
    // refused by Neo4j too.
    let (_dir, _db, answers) = replay("llamaindex", |r| {
        r.statement
            .contains("NOT IN $")
            .then_some(ErrorKind::SyntaxError)
    });
    let texts = |part: &str| -> Vec<String> {
        answers
            .iter()
            .find(|(n, _)| n.contains(part))
            .unwrap_or_else(|| panic!("no statement {part}"))
            .1
            .iter()
            .map(|row| text(&row["text"]))
            .collect()
    };
    // The query vector is nearest Alice's two chunks (doc-1); after doc-1
    // is deleted only the other document's chunk is left.
    assert_eq!(
        texts("query vector: "),
        [
            "Alice knows Bob from college.",
            "Alice works with Carol on graph databases."
        ]
    );
    assert_eq!(
        texts("query vector after del"),
        ["Dave is Bob's brother and studies machine learning."]
    );
}

/// neo4j-graphrag 1.22: index helpers, the `SimpleKGPipeline` writer
/// (`apoc.merge.relationship` batches), the entity resolvers
/// (`apoc.refactor.mergeNodes`), every retriever, schema reads and the
/// message history.
#[test]
fn neo4j_graphrag_pipeline_retrievers_and_history() {
    // Refused by Neo4j 5.26 too: a vector index with filterable properties
    // (`WITH [...]`, a 2026 form), and two deprecated helpers that send a
    // parameter the statement does not read.
    let (_dir, _db, answers) = replay("neo4j-graphrag", |r| {
        if r.statement.contains("ON n.embedding WITH [") {
            Some(ErrorKind::SyntaxError)
        } else if ["node_element_id", "rel_element_id"]
            .iter()
            .any(|p| r.statement.contains(&format!("${p}")) && !r.params.contains_key(*p))
        {
            Some(ErrorKind::ParameterMissing)
        } else {
            None
        }
    });
    let rows = |part: &str| {
        &answers
            .iter()
            .find(|(n, _)| n.contains(part))
            .unwrap_or_else(|| panic!("no statement {part}"))
            .1
    };
    // The history, oldest first, whole and by a window of two.
    let message = |role: &str, content: &str| {
        map(&[
            ("data", map(&[("content", V::from(content))])),
            ("role", V::from(role)),
        ])
    };
    let history =
        |part: &str| -> Vec<V> { rows(part).iter().map(|r| r["result"].clone()).collect() };
    assert_eq!(
        history("Neo4jMessageHistory('session-1').messages"),
        [
            message("user", "Where does Alice work?"),
            message("assistant", "Alice works for Acme Corp in Berlin."),
            message("user", "And Bob?"),
        ]
    );
    assert_eq!(
        history("Neo4jMessageHistory('session-2', window=2).messages"),
        [
            message("user", "Who knows Bob?"),
            message("assistant", "Alice knows Bob."),
        ]
    );
    // The vector retriever's k chunks, their embedding projected away.
    let found = rows(
        "VectorRetriever.get_search_results (retrievers/vector.py), neo4j-graphrag 1.22.0: VectorRetriever(chunk_embeddings, embedder).search(query_text, top_k=2)",
    );
    assert_eq!(found.len(), 2);
    for row in found {
        let V::Map(node) = &row["node"] else {
            panic!("{row:?}")
        };
        assert_eq!(node["embedding"], V::Null);
        assert!(text(&node["text"]).contains("Alice"), "{node:?}");
    }
}

/// A replayed library's database (with its directory) and every answer,
/// by the statement's name.
type Replayed = (
    tempfile::TempDir,
    Database,
    Vec<(String, Vec<BTreeMap<String, V>>)>,
);

/// Replays `library`'s statements on a new database: each must run, or
/// fail with the kind `refused` gives it (what Neo4j without the plugin
/// or edition it needs refuses too). Returns every answer by name, and
/// the database.
fn replay(library: &str, refused: impl Fn(&Recorded) -> Option<ErrorKind>) -> Replayed {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut answers = Vec::new();
    for (i, r) in statements(library).into_iter().enumerate() {
        let result = db.execute(&r.statement, &r.params);
        if let Some(kind) = refused(&r) {
            let e = result.expect_err(&r.name);
            assert_eq!(e.kind, kind, "{i} {}: {e}", r.name);
            continue;
        }
        let result = result.unwrap_or_else(|e| panic!("{i} {}: {e}", r.name));
        answers.push((r.name.clone(), by_column(&result)));
    }
    (dir, db, answers)
}

fn count_nodes(db: &Database) -> V {
    db.execute("MATCH (n) RETURN count(n)", &quiverdb::query::Params::new())
        .unwrap()
        .rows()[0][0]
        .clone()
}

/// `LightRAG`'s graph storage: entities and relations upserted (one
/// relation merged again the other way round: undirected, so still one),
/// degrees, edges, label search through the `cjk` full-text index,
/// knowledge-graph extraction through `apoc.path.subgraphAll` and its
/// breadth-first fallback, deletes and `drop`. `CREATE DATABASE` is
/// refused, as by Neo4j Community.
#[test]
fn lightrag_storage_upserts_reads_and_drops() {
    let (_dir, db, answers) = replay("lightrag", |r| {
        r.statement
            .contains("CREATE DATABASE")
            .then_some(ErrorKind::SyntaxError)
    });
    // The knowledge graph around Alan Turing through
    // apoc.path.subgraphAll: all five entities, the four relations.
    let around = answers
        .iter()
        .find(|(n, _)| n.contains("get_knowledge_graph('Alan Turing') APOC path"))
        .unwrap();
    assert_eq!(around.1[0]["total_nodes"], V::Int(5));
    let V::List(rels) = &around.1[0]["relationships"] else {
        panic!("{around:?}")
    };
    assert_eq!(rels.len(), 4);
    let degrees: BTreeSet<(String, i64)> = answers
        .iter()
        .find(|(n, _)| n.starts_with("Neo4JStorage.node_degrees_batch"))
        .unwrap()
        .1
        .iter()
        .map(|row| match &row["degree"] {
            V::Int(d) => (text(&row["entity_id"]), *d),
            other => panic!("{other:?}"),
        })
        .collect();
    // Relations: Turing–Enigma (twice, once each way), Turing–Bletchley
    // Park, Turing–图灵测试, Bombe–Enigma.
    let want: BTreeSet<(String, i64)> = [("Alan Turing", 3), ("Enigma", 2), ("Bletchley Park", 1)]
        .iter()
        .map(|(n, d)| ((*n).to_owned(), *d))
        .collect();
    assert_eq!(degrees, want);
    let labels = answers
        .iter()
        .find(|(n, _)| n.contains("search_labels (full-text index, CJK)"))
        .unwrap();
    assert!(
        labels
            .1
            .iter()
            .any(|row| row["label"] == V::from("图灵测试")),
        "{labels:?}"
    );
    assert_eq!(count_nodes(&db), V::Int(0), "drop leaves nothing");
}

/// Cognee's Neo4j adapter: data points and their edges written through
/// APOC (`addLabels`, `coll.toSet`, `merge.relationship`), read back, and
/// deleted; its graph metrics need the GDS plugin, refused as by Neo4j
/// without it.
#[test]
fn cognee_adapter_writes_reads_and_deletes() {
    let (_dir, db, answers) = replay("cognee", |r| {
        r.statement
            .contains("gds.")
            .then_some(ErrorKind::ProcedureError)
    });
    let node = &answers
        .iter()
        .find(|(n, _)| n.starts_with("get_node |"))
        .unwrap()
        .1;
    let V::Node(alice) = &node[0]["node"] else {
        panic!("{node:?}")
    };
    assert_eq!(alice.properties["name"], V::from("alice"));
    assert!(alice.labels.contains(&"Entity".to_owned()), "{alice:?}");
    assert_eq!(count_nodes(&db), V::Int(0), "delete_graph leaves nothing");
}
