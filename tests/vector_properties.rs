//! Vectors as properties: a vector index over a label's (or a
//! relationship type's) property is a collection the graph feeds, kept
//! current by ordinary writes in the same commit, and reached with
//! Neo4j's statements as `LangChain`'s `Neo4jVector` and neo4j-graphrag's
//! retrievers send them (`CREATE VECTOR INDEX $name …`, `SHOW INDEXES
//! YIELD … WHERE …`, `db.create.setNodeVectorProperty`,
//! `db.index.vector.queryNodes` / `queryRelationships`). Expected hits and
//! scores are computed here from the vectors written, not by the engine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::{floats as vector, params};

use quiverdb::query::{CypherValue as V, ErrorKind, Params};
use quiverdb::vector::{CollectionConfig, Metric, Search, VectorSource};
use quiverdb::{Database, Error, GraphRead, NodeId, Value, props};

fn stored(v: &[f64]) -> Value {
    Value::List(v.iter().map(|x| Value::Float(*x)).collect())
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn int(v: &V) -> i64 {
    match v {
        V::Int(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn float(v: &V) -> f64 {
    match v {
        V::Float(f) => *f,
        other => panic!("not a float: {other:?}"),
    }
}

fn text(v: &V) -> String {
    match v {
        V::String(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

/// The chunks `Neo4jVector.add_embeddings` writes: id, text, embedding.
const CHUNKS: [(&str, &str, [f64; 4]); 5] = [
    ("a", "rust borrow checker", [1.0, 0.0, 0.0, 0.0]),
    ("b", "rust traits", [0.9, 0.1, 0.0, 0.0]),
    ("c", "python asyncio", [0.0, 1.0, 0.0, 0.0]),
    ("d", "graph databases", [0.0, 0.0, 1.0, 0.2]),
    ("e", "vector search", [0.0, 0.1, 0.2, 1.0]),
];

fn chunk_rows() -> V {
    V::List(
        CHUNKS
            .iter()
            .map(|(id, text, emb)| {
                V::Map(
                    [
                        ("id".to_owned(), V::from(*id)),
                        ("text".to_owned(), V::from(*text)),
                        ("embedding".to_owned(), vector(emb)),
                        (
                            "metadata".to_owned(),
                            V::Map([("source".to_owned(), V::from("test"))].into()),
                        ),
                    ]
                    .into(),
                )
            })
            .collect(),
    )
}

/// neo4j-graphrag's `create_vector_index` statement, as sent.
const CREATE_INDEX: &str = "CREATE VECTOR INDEX $name IF NOT EXISTS FOR (n:Chunk) ON n.embedding OPTIONS { indexConfig: { `vector.dimensions`: toInteger($dimensions), `vector.similarity_function`: $similarity_fn } }";

/// `LangChain`'s import statement (Neo4j 5.23 and later).
const IMPORT: &str = "UNWIND $data AS row CALL (row) { MERGE (c:`Chunk` {id: row.id}) WITH c, row CALL db.create.setNodeVectorProperty(c, 'embedding', row.embedding) SET c.`text` = row.text SET c += row.metadata } IN TRANSACTIONS OF 1000 ROWS ";

/// neo4j-graphrag's `NODE_VECTOR_INDEX_QUERY` with `LangChain`'s default
/// retrieval.
const SEARCH: &str = "CALL db.index.vector.queryNodes($vector_index_name, $top_k * $effective_search_ratio, $query_vector) YIELD node, score WITH node, score LIMIT $top_k RETURN node.`text` AS text, score, node {.*, `text`: Null, `embedding`: Null} AS metadata";

fn search_params(query: &[f64], k: i64) -> Params {
    params(&[
        ("vector_index_name", V::from("chunks")),
        ("top_k", V::Int(k)),
        ("effective_search_ratio", V::Int(1)),
        ("query_vector", vector(query)),
    ])
}

fn create_params() -> Params {
    params(&[
        ("name", V::from("chunks")),
        ("dimensions", V::Int(4)),
        ("similarity_fn", V::from("cosine")),
    ])
}

#[test]
fn a_vector_store_runs_as_langchain_and_neo4j_graphrag_send_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    db.execute(CREATE_INDEX, &create_params()).unwrap();
    // Again: IF NOT EXISTS makes it a no-op.
    db.execute(CREATE_INDEX, &create_params()).unwrap();

    // LangChain's retrieve_vector_index_info.
    let info = db
        .execute(
            "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, options WHERE type = 'VECTOR' AND (name = $index_name OR (labelsOrTypes[0] = $label_or_type AND properties[0] = $embedding_property)) RETURN name, type, entityType, labelsOrTypes, properties, options",
            &params(&[
                ("index_name", V::from("chunks")),
                ("label_or_type", V::from("Chunk")),
                ("embedding_property", V::from("embedding")),
            ]),
        )
        .unwrap();
    assert_eq!(info.rows().len(), 1, "{:?}", info.rows());
    let row = &info.rows()[0];
    assert_eq!(text(&row[0]), "chunks");
    assert_eq!(text(&row[1]), "VECTOR");
    assert_eq!(text(&row[2]), "NODE");
    assert_eq!(row[3], V::List(vec![V::from("Chunk")]));
    assert_eq!(row[4], V::List(vec![V::from("embedding")]));
    let V::Map(options) = &row[5] else {
        panic!("options: {:?}", row[5])
    };
    let V::Map(config) = &options["indexConfig"] else {
        panic!("indexConfig: {options:?}")
    };
    assert_eq!(config["vector.dimensions"], V::Int(4));
    assert_eq!(text(&config["vector.similarity_function"]), "COSINE");

    // neo4j-graphrag's retriever reads the same through SHOW VECTOR INDEXES.
    let fetched = db
        .execute(
            "SHOW VECTOR INDEXES YIELD name, labelsOrTypes, properties, options WHERE name = $index_name RETURN labelsOrTypes as labels, properties, options.indexConfig.`vector.dimensions` as dimensions, options.indexConfig.`vector.filterable_properties` as filterable_properties",
            &params(&[("index_name", V::from("chunks"))]),
        )
        .unwrap();
    assert_eq!(
        fetched.rows(),
        [vec![
            V::List(vec![V::from("Chunk")]),
            V::List(vec![V::from("embedding")]),
            V::Int(4),
            V::Null
        ]]
    );

    let written = db
        .execute(IMPORT, &params(&[("data", chunk_rows())]))
        .unwrap();
    assert!(written.rows().is_empty());

    // Search: the nearest chunks by cosine, each score (1 + cos) / 2.
    let query = [0.8, 0.3, 0.1, 0.0];
    let mut expected: Vec<(String, f64)> = CHUNKS
        .iter()
        .map(|(_, t, e)| ((*t).to_owned(), f64::midpoint(1.0, cosine(&query, e))))
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    let found = db.execute(SEARCH, &search_params(&query, 3)).unwrap();
    assert_eq!(found.rows().len(), 3);
    for (row, (want_text, want_score)) in found.rows().iter().zip(&expected) {
        assert_eq!(&text(&row[0]), want_text);
        assert!(
            (float(&row[1]) - want_score).abs() < 1e-5,
            "{row:?} vs {want_score}"
        );
        let V::Map(metadata) = &row[2] else {
            panic!("{row:?}")
        };
        assert_eq!(metadata.get("source"), Some(&V::from("test")));
        assert_eq!(metadata.get("embedding"), Some(&V::Null));
    }

    // An ordinary SET moves a chunk: "python asyncio" becomes the nearest.
    db.execute(
        "MATCH (c:Chunk {id: 'c'}) SET c.embedding = $v",
        &params(&[("v", vector(&[0.8, 0.3, 0.1, 0.0]))]),
    )
    .unwrap();
    let found = db.execute(SEARCH, &search_params(&query, 1)).unwrap();
    assert_eq!(text(&found.rows()[0][0]), "python asyncio");
    assert!((float(&found.rows()[0][1]) - 1.0).abs() < 1e-6);

    // Removing the property, the label, or the node takes the point out.
    db.execute(
        "MATCH (c:Chunk {id: 'c'}) REMOVE c.embedding",
        &Params::new(),
    )
    .unwrap();
    db.execute("MATCH (c:Chunk {id: 'a'}) REMOVE c:Chunk", &Params::new())
        .unwrap();
    db.execute("MATCH (c:Chunk {id: 'b'}) DETACH DELETE c", &Params::new())
        .unwrap();
    let found = db.execute(SEARCH, &search_params(&query, 5)).unwrap();
    let mut texts: Vec<String> = found.rows().iter().map(|r| text(&r[0])).collect();
    texts.sort();
    assert_eq!(texts, ["graph databases", "vector search"]);

    // The index survives a reopen, points and all.
    drop(db);
    let db = Database::open(dir.path().join("db")).unwrap();
    let found = db.execute(SEARCH, &search_params(&query, 5)).unwrap();
    assert_eq!(found.rows().len(), 2);
    db.execute("DROP INDEX chunks", &Params::new()).unwrap();
    let gone = db.execute("SHOW VECTOR INDEXES", &Params::new()).unwrap();
    assert!(gone.rows().is_empty());
    assert!(db.execute(SEARCH, &search_params(&query, 1)).is_err());
}

#[test]
fn a_bad_vector_fails_the_write_that_makes_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    db.execute(CREATE_INDEX, &create_params()).unwrap();
    db.execute(
        "CREATE (:Chunk {id: 'x', embedding: [1.0, 2.0, 3.0, 4.0]})",
        &Params::new(),
    )
    .unwrap();
    for (statement, says) in [
        (
            "MATCH (c:Chunk) SET c.embedding = [1.0, 2.0]",
            "list of 4 numbers, not of 2",
        ),
        ("MATCH (c:Chunk) SET c.embedding = 'text'", "not string"),
        (
            "MATCH (c:Chunk) SET c.embedding = [1.0, 'a', 2.0, 3.0]",
            "holds a string",
        ),
        (
            "CREATE (:Chunk {embedding: [1, 2, 3]})",
            "list of 4 numbers",
        ),
        (
            "MATCH (c:Chunk) CALL db.create.setNodeVectorProperty(c, 'embedding', [1.0, 2.0, 3.0])",
            "list of 4 numbers",
        ),
        // A node gaining the label brings its property under the index.
        (
            "CREATE (n:Other {embedding: [1.0]}) SET n:Chunk",
            "list of 4 numbers",
        ),
    ] {
        let err = db.execute(statement, &Params::new()).unwrap_err();
        assert!(
            err.to_string().contains(says) && err.to_string().contains("chunks"),
            "{statement}: {err}"
        );
    }
    // Nothing of the failed statements stayed: the one good point.
    let r = db.begin_read().unwrap();
    let hits = r
        .collection("chunks")
        .unwrap()
        .search(&[1.0, 2.0, 3.0, 4.0], &Search::k(5))
        .unwrap();
    assert_eq!(hits.hits.len(), 1);
    assert_eq!(
        db.execute("MATCH (c:Chunk) RETURN count(*)", &Params::new())
            .unwrap()
            .rows()[0][0],
        V::Int(1)
    );
    // Options are checked: no dimension, an unknown similarity or key.
    for (options, says) in [
        ("{indexConfig: {}}", "vector.dimensions"),
        (
            "{indexConfig: {`vector.dimensions`: 4, `vector.similarity_function`: 'manhattan'}}",
            "cosine' or 'euclidean",
        ),
        (
            "{indexConfig: {`vector.dimensions`: 4, `vector.size`: 4}}",
            "no setting vector.size",
        ),
        (
            "{indexConfig: {`vector.dimensions`: 0}}",
            "vector.dimensions is an integer",
        ),
    ] {
        let err = db
            .execute(
                &format!("CREATE VECTOR INDEX other FOR (n:Doc) ON n.v OPTIONS {options}"),
                &Params::new(),
            )
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ArgumentError, "{err}");
        assert!(err.to_string().contains(says), "{options}: {err}");
    }
    // Without IF NOT EXISTS, a second index on the same property is refused.
    let err = db
        .execute(
            "CREATE VECTOR INDEX twin FOR (n:Chunk) ON (n.embedding) OPTIONS {indexConfig: {`vector.dimensions`: 4}}",
            &Params::new(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("equivalent"), "{err}");
}

#[test]
fn relationship_vector_indexes_are_fed_and_searched() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    // Relationships written before the index are indexed by its creation.
    db.execute(
        "CREATE (a:E {n: 1})-[:SIMILAR {embedding: [1.0, 0.0]}]->(b:E {n: 2}), (b)-[:SIMILAR {embedding: [0.0, 1.0]}]->(a), (a)-[:OTHER {embedding: [1.0, 0.0]}]->(b)",
        &Params::new(),
    )
    .unwrap();
    db.execute(
        "CREATE VECTOR INDEX rels IF NOT EXISTS FOR ()-[r:SIMILAR]-() ON (r.embedding) OPTIONS {indexConfig: {`vector.dimensions`: 2, `vector.similarity_function`: 'euclidean'}}",
        &Params::new(),
    )
    .unwrap();
    // neo4j-graphrag's REL_VECTOR_INDEX_QUERY.
    let q = "CALL db.index.vector.queryRelationships($vector_index_name, $top_k * $effective_search_ratio, $query_vector) YIELD relationship, score WITH relationship, score LIMIT $top_k RETURN startNode(relationship).n AS from, type(relationship) AS type, score";
    let p = params(&[
        ("vector_index_name", V::from("rels")),
        ("top_k", V::Int(5)),
        ("effective_search_ratio", V::Int(2)),
        ("query_vector", vector(&[0.9, 0.1])),
    ]);
    let rows = db.execute(q, &p).unwrap();
    // Euclidean: 1 / (1 + d²); d² = 0.02 and 1.62.
    assert_eq!(
        rows.rows().len(),
        2,
        "the OTHER relationship is not indexed"
    );
    assert_eq!(int(&rows.rows()[0][0]), 1);
    assert_eq!(text(&rows.rows()[0][1]), "SIMILAR");
    assert!((float(&rows.rows()[0][2]) - 1.0 / 1.02).abs() < 1e-5);
    assert!((float(&rows.rows()[1][2]) - 1.0 / 2.62).abs() < 1e-5);

    // neo4j-graphrag's upsert of relationship embeddings, then a delete.
    db.execute(
        "MATCH ()-[r:SIMILAR]->(:E {n: 1}) CALL db.create.setRelationshipVectorProperty(r, $embedding_property, $vector) RETURN r",
        &params(&[
            ("embedding_property", V::from("embedding")),
            ("vector", vector(&[0.9, 0.1])),
        ]),
    )
    .unwrap();
    let rows = db.execute(q, &p).unwrap();
    assert_eq!(int(&rows.rows()[0][0]), 2);
    assert!((float(&rows.rows()[0][2]) - 1.0).abs() < 1e-6);
    db.execute("MATCH ()-[r:SIMILAR]->(:E {n: 1}) DELETE r", &Params::new())
        .unwrap();
    let rows = db.execute(q, &p).unwrap();
    assert_eq!(rows.rows().len(), 1);
    assert_eq!(int(&rows.rows()[0][0]), 1);

    // Each procedure answers for its own kind of index only.
    let err = db
        .execute(
            "CALL db.index.vector.queryNodes('rels', 1, [1.0, 0.0])",
            &Params::new(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("queryRelationships"), "{err}");
    // An index that does not exist is the caller's mistake, not the
    // database's.
    for q in [
        "CALL db.index.vector.queryNodes('missing', 1, [1.0, 0.0])",
        "CALL db.index.vector.queryRelationships('missing', 1, [1.0, 0.0])",
    ] {
        let err = db.execute(q, &Params::new()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::ProcedureError, "{q}: {err}");
        assert!(err.to_string().contains("missing"), "{err}");
    }
    let shown = db
        .execute(
            "SHOW INDEXES YIELD name, entityType, labelsOrTypes WHERE name = 'rels'",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        shown.rows(),
        [vec![
            V::from("rels"),
            V::from("RELATIONSHIP"),
            V::List(vec![V::from("SIMILAR")])
        ]]
    );
}

#[test]
fn the_rust_api_keeps_a_fed_collection_in_step_with_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let mut w = db.begin_write().unwrap();
    let a = w
        .add_node(&["Doc"], props! {"v" => stored(&[1.0, 0.0])})
        .unwrap();
    let b = w
        .add_node(&["Doc"], props! {"v" => stored(&[0.0, 1.0])})
        .unwrap();
    // No label: not indexed.
    w.add_node(&[], props! {"v" => stored(&[1.0, 0.0])})
        .unwrap();
    w.commit().unwrap();

    let mut w = db.begin_write().unwrap();
    let config =
        CollectionConfig::new(2, Metric::L2).fed_by(VectorSource::node_property("Doc", "v"));
    assert!(config.bound_to_nodes);
    w.create_collection("docs", config).unwrap();
    // The write transaction searches its own filled collection.
    let hits = w
        .collection("docs")
        .unwrap()
        .search(&[1.0, 0.0], &Search::k(5))
        .unwrap();
    assert_eq!(
        hits.hits.iter().map(|h| NodeId(h.key)).collect::<Vec<_>>(),
        [a, b]
    );
    // Points are the graph's to write.
    assert!(matches!(
        w.upsert_vector("docs", a.0, &[0.5, 0.5], props! {}),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        w.delete_vector("docs", a.0),
        Err(Error::InvalidArgument(_))
    ));
    w.commit().unwrap();

    // A reader opened before a write keeps its snapshot.
    let before = db.begin_read().unwrap();
    let mut w = db.begin_write().unwrap();
    w.set_node_property(b, "v", stored(&[1.0, 0.1])).unwrap();
    let c = w.add_node(&["Doc"], props! {}).unwrap();
    w.set_node_properties([(c, "v", Some(stored(&[0.9, 0.0])))])
        .unwrap();
    w.commit().unwrap();
    let old = before
        .collection("docs")
        .unwrap()
        .search(&[1.0, 0.0], &Search::k(5))
        .unwrap();
    assert_eq!(old.hits.len(), 2);
    assert_eq!(old.hits[1].key, b.0);
    assert!((old.hits[1].score - 2f32.sqrt()).abs() < 1e-5);
    let now = db
        .begin_read()
        .unwrap()
        .collection("docs")
        .unwrap()
        .search(&[1.0, 0.0], &Search::k(5))
        .unwrap();
    assert_eq!(
        now.hits.iter().map(|h| h.key).collect::<Vec<_>>(),
        [a.0, b.0, c.0]
    );
    // A bad value in bulk writes is refused whole.
    let mut w = db.begin_write().unwrap();
    let err = w
        .set_node_properties([
            (a, "v", Some(stored(&[0.0, 0.0]))),
            (b, "v", Some(Value::from("no"))),
        ])
        .unwrap_err();
    assert!(err.to_string().contains("docs"), "{err}");
    // One refused write leaves the transaction as it was: the graph keeps
    // the old vector, and what commits checks out.
    let err = w.set_node_property(a, "v", Value::from("no")).unwrap_err();
    assert!(err.to_string().contains("docs"), "{err}");
    let err = w
        .add_edge(a, b, "T", props! {})
        .and_then(|_| w.add_node(&["Doc"], props! {"v" => stored(&[f64::NAN, 1.0])}))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert_eq!(
        w.node(a).unwrap().unwrap().props.get("v"),
        Some(&stored(&[1.0, 0.0]))
    );
    w.commit().unwrap();
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let mut w = db.begin_write().unwrap();
    // A second collection on the same property is refused.
    assert!(
        w.create_collection(
            "again",
            CollectionConfig::new(2, Metric::L2).fed_by(VectorSource::node_property("Doc", "v"))
        )
        .is_err()
    );
}

#[test]
fn the_older_procedure_and_await_indexes_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    db.execute(
        "CREATE (:Page {title: 'x', e: [0.0, 1.0, 0.0]}), (:Page {title: 'y', e: [1.0, 0.0, 0.0]})",
        &Params::new(),
    )
    .unwrap();
    db.execute(
        "CALL db.index.vector.createNodeIndex('pages', 'Page', 'e', 3, 'cosine')",
        &Params::new(),
    )
    .unwrap();
    db.execute("CALL db.awaitIndexes(300)", &Params::new())
        .unwrap();
    let rows = db
        .execute(
            "CALL db.index.vector.queryNodes('pages', 1, [0.9, 0.1, 0.0]) YIELD node RETURN node.title",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(rows.rows(), [vec![V::from("y")]]);
    let statement = db
        .execute(
            "SHOW INDEXES YIELD name, createStatement WHERE name = 'pages' RETURN createStatement",
            &Params::new(),
        )
        .unwrap();
    let created = text(&statement.rows()[0][0]);
    assert!(
        created.starts_with("CREATE VECTOR INDEX `pages` FOR (n:`Page`) ON (n.`e`)"),
        "{created}"
    );
}

#[test]
fn the_check_verifies_a_fed_index_and_the_bulk_importer_refuses_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    db.execute(CREATE_INDEX, &create_params()).unwrap();
    db.execute(IMPORT, &params(&[("data", chunk_rows())]))
        .unwrap();
    db.execute(
        "MATCH (c:Chunk {id: 'a'}) SET c.embedding = [0.5, 0.5, 0.5, 0.5]",
        &Params::new(),
    )
    .unwrap();
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.points, 5);
    let err = quiverdb::import::Importer::new(&db, quiverdb::import::ImportOptions::default())
        .err()
        .expect("the importer would bypass the index");
    assert!(err.to_string().contains("DROP INDEX"), "{err}");
    // Dropped, the importer runs.
    db.execute("DROP INDEX $name", &params(&[("name", V::from("chunks"))]))
        .unwrap();
    assert!(
        quiverdb::import::Importer::new(&db, quiverdb::import::ImportOptions::default()).is_ok()
    );
}
