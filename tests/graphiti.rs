//! Graphiti's agent memory, as its Neo4j driver speaks to a database:
//! every statement template of `graphiti_core` (index set-up, saves of
//! nodes and edges with embeddings, full-text, cosine and breadth-first
//! searches, getters, maintenance reads, deletes), recorded with its
//! parameters in `tests/data/graphiti/statements.json` (see the README
//! there), replayed in order on one database. Every one must run, except
//! the two that Neo4j refuses as well; the answers checked are written out
//! from the recorded parameters, not read back from this engine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Recorded, by_column, recorded};
use quiverdb::Database;
use quiverdb::query::{CypherValue as V, ErrorKind, Params};

const ALICE: &str = "b3c9e1a0-7f4d-4e2b-8c1a-2d3e4f5a6b01";
const BOB: &str = "b3c9e1a0-7f4d-4e2b-8c1a-2d3e4f5a6b02";
const MET_AT: &str = "e7d8c9b0-1a2b-4c3d-9e8f-7a6b5c4d3e01";
const EPISODE: &str = "6a1f0c52-3b7e-4d0a-9a51-0b8f6a2d1c01";

/// The statements Neo4j 5 refuses too (a bug in the library, and a
/// Neo4j 4 procedure).
fn refused_by_neo4j(r: &Recorded) -> bool {
    r.statement.contains("$group_idsAND") || r.statement.contains("CALL db.indexes()")
}

fn column(rows: &[BTreeMap<String, V>], key: &str) -> Vec<V> {
    rows.iter().map(|r| r[key].clone()).collect()
}

fn s(x: &str) -> V {
    V::from(x)
}

#[test]
fn graphiti_runs_every_statement_and_finds_what_it_saved() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let statements = recorded(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graphiti/statements.json"),
        true,
    );
    assert_eq!(statements.len(), 167);
    let mut answers: Vec<(String, Vec<BTreeMap<String, V>>)> = Vec::new();
    for (i, r) in statements.iter().enumerate() {
        let result = db.execute(&r.statement, &r.params);
        if refused_by_neo4j(r) {
            let e = result.expect_err(&r.name);
            assert_eq!(e.kind, ErrorKind::SyntaxError, "{i} {}: {e}", r.name);
            continue;
        }
        let result = result.unwrap_or_else(|e| panic!("{i} {}: {e}", r.name));
        answers.push((r.name.clone(), by_column(&result)));
        if r.name.starts_with("EpisodicEdge.save") {
            // The episode now mentions Alice, as on Neo4j.
            let mentioned = db
                .execute(
                    "MATCH (:Episodic {uuid: $e})-[:MENTIONS]->(n:Entity) RETURN n.uuid",
                    &common::params(&[("e", s(EPISODE))]),
                )
                .unwrap();
            assert_eq!(mentioned.rows(), [vec![s(ALICE)]]);
        }
    }
    // The first answer of the statement called `name` (a prefix of the
    // recorded name, which says where in the library it comes from).
    let answer = |name: &str| -> &Vec<BTreeMap<String, V>> {
        &answers
            .iter()
            .find(|(n, _)| n.starts_with(name))
            .unwrap_or_else(|| panic!("no statement {name}"))
            .1
    };

    // Index set-up: 27 range indexes (14 on relationships) and 4
    // full-text ones, all listed. (The replay ends by dropping them, so
    // they are counted again below on a database of their own.)
    // Searches: Alice by name and by her embedding (Bob's points the
    // other way: his cosine score is below the 0.6 Graphiti asks for).
    let nodes = answer("node_fulltext_search (");
    assert_eq!(column(nodes, "uuid"), [s(ALICE)]);
    assert_eq!(column(nodes, "name"), [s("Alice")]);
    let similar = answer("node_similarity_search (");
    assert_eq!(column(similar, "uuid"), [s(ALICE)]);
    // The edge by its fact, by embedding and by a breadth-first walk
    // from Alice; Bob through the walk.
    for name in [
        "edge_fulltext_search (",
        "edge_similarity_search (",
        "edge_bfs_search (",
        "EntityEdge.get_between_nodes",
    ] {
        let edges = answer(name);
        assert_eq!(column(edges, "uuid"), [s(MET_AT)], "{name}");
        assert_eq!(
            column(edges, "fact"),
            [s("Alice met Bob at the conference.")],
            "{name}"
        );
        assert_eq!(column(edges, "source_node_uuid"), [s(ALICE)], "{name}");
        assert_eq!(column(edges, "target_node_uuid"), [s(BOB)], "{name}");
        assert_eq!(column(edges, "episodes"), [V::List(vec![s(EPISODE)])]);
    }
    assert_eq!(column(answer("node_bfs_search ("), "uuid"), [s(BOB)]);
    // The episode by its content, and as the latest before the reference
    // time; its datetimes come back as the zoned DATETIME values saved
    // (written as Neo4j writes them, without zero seconds).
    let episodes = answer("episode_fulltext_search (");
    assert_eq!(column(episodes, "uuid"), [s(EPISODE)]);
    let latest = answer("retrieve_episodes (");
    assert_eq!(column(latest, "uuid"), [s(EPISODE)]);
    assert_eq!(
        latest[0]["valid_at"].to_string(),
        "2025-01-15T10:30Z",
        "{:?}",
        latest[0]["valid_at"]
    );
    assert!(matches!(latest[0]["created_at"], V::Temporal(_)));
    // Bob is one hop from Alice; both are mentioned by the episode.
    assert_eq!(
        answer("node_distance_reranker"),
        &vec![BTreeMap::from([
            ("score".to_owned(), V::Int(1)),
            ("uuid".to_owned(), s(BOB))
        ])]
    );
    // Getters return what the saves wrote, the embedding set through
    // db.create.setNodeVectorProperty as a list of floats.
    let alice = answer("EntityNode.get_by_uuid ");
    assert_eq!(
        column(alice, "summary"),
        [s("Alice is a software engineer.")]
    );
    let embedding = answer("EntityNode.load_name_embedding");
    assert_eq!(
        column(embedding, "name_embedding"),
        [V::List(
            [0.12, -0.34, 0.56, 0.78]
                .iter()
                .map(|x| V::Float(*x))
                .collect()
        )]
    );
    // The replay ends with clear_data, which leaves nothing.
    let left = db
        .execute("MATCH (n) RETURN count(n)", &Params::new())
        .unwrap();
    assert_eq!(left.rows(), [vec![V::Int(0)]]);
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

/// `build_indices_and_constraints` on its own: every index listed, as
/// Graphiti's set-up leaves them.
#[test]
fn graphiti_index_setup_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let statements = recorded(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graphiti/statements.json"),
        true,
    );
    let setup: Vec<&Recorded> = statements
        .iter()
        .filter(|r| r.statement.trim_start().starts_with("CREATE"))
        .collect();
    assert_eq!(setup.len(), 31);
    // Twice, as every start of an application runs it.
    for r in setup.iter().chain(setup.iter()) {
        db.execute(&r.statement, &r.params)
            .unwrap_or_else(|e| panic!("{}: {e}", r.name));
    }
    let shown = by_column(
        &db.execute("SHOW INDEXES YIELD name, type, entityType", &Params::new())
            .unwrap(),
    );
    let count = |kind: &str, entity: &str| {
        shown
            .iter()
            .filter(|r| r["type"] == s(kind) && r["entityType"] == s(entity))
            .count()
    };
    assert_eq!(count("RANGE", "NODE"), 13);
    assert_eq!(count("RANGE", "RELATIONSHIP"), 14);
    assert_eq!(count("FULLTEXT", "NODE"), 3);
    assert_eq!(count("FULLTEXT", "RELATIONSHIP"), 1);
    assert_eq!(shown.len(), 31);
}
