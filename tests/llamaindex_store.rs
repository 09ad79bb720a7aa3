//! `LlamaIndex`'s `Neo4jPropertyGraphStore` (llama-index-graph-stores-neo4j),
//! replayed as it sends its statements: `refresh_schema` (apoc.meta.data
//! three ways, `SHOW CONSTRAINTS`, `apoc.schema.nodes`,
//! `apoc.meta.graphSample` with `apoc.any.property`, the enhanced-schema
//! statement), `upsert_nodes` (chunks and entities, with
//! `db.create.setNodeVectorProperty`, `apoc.create.addLabels` and a `CALL
//! { WITH … }` subquery), `upsert_relations` (`apoc.merge.relationship`
//! between label-less `MERGE`s), `get`, `get_triplets` (a `CALL { … UNION
//! ALL … }`), `get_rel_map`, `vector_query` and `delete`. Expected rows
//! are written out by hand from the data.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::BTreeMap;

use common::{floats, map, params, strings};
use quiverdb::Database;
use quiverdb::query::{CypherValue as V, Params};

const NODE_PROPERTIES: &str = r#"
CALL apoc.meta.data()
YIELD label, other, elementType, type, property
WHERE NOT type = "RELATIONSHIP" AND elementType = "node"
  AND NOT label IN $EXCLUDED_LABELS
WITH label AS nodeLabels, collect({property:property, type:type}) AS properties
RETURN {labels: nodeLabels, properties: properties} AS output
"#;

const REL_PROPERTIES: &str = r#"
CALL apoc.meta.data()
YIELD label, other, elementType, type, property
WHERE NOT type = "RELATIONSHIP" AND elementType = "relationship"
      AND NOT label in $EXCLUDED_LABELS
WITH label AS nodeLabels, collect({property:property, type:type}) AS properties
RETURN {type: nodeLabels, properties: properties} AS output
"#;

const RELS: &str = r#"
CALL apoc.meta.data()
YIELD label, other, elementType, type, property
WHERE type = "RELATIONSHIP" AND elementType = "node"
UNWIND other AS other_node
WITH * WHERE NOT label IN $EXCLUDED_LABELS
    AND NOT other_node IN $EXCLUDED_LABELS
RETURN {start: label, type: property, end: toString(other_node)} AS output
"#;

const UPSERT_CHUNKS: &str = "
                UNWIND $data AS row
                MERGE (c:Chunk {id: row.id})
                SET c.text = row.text
                WITH c, row
                SET c += row.properties
                WITH c, row.embedding AS embedding
                WHERE embedding IS NOT NULL
                CALL db.create.setNodeVectorProperty(c, 'embedding', embedding)
                RETURN count(*)
                ";

const UPSERT_ENTITIES: &str = "
                UNWIND $data AS row
                MERGE (e:`__Entity__` {id: row.id})
                SET e += apoc.map.clean(row.properties, [], [])
                SET e.name = row.name
                WITH e, row
                CALL apoc.create.addLabels(e, [row.label])
                YIELD node
                WITH e, row
                CALL {
                    WITH e, row
                    WITH e, row
                    WHERE row.embedding IS NOT NULL
                    CALL db.create.setNodeVectorProperty(e, 'embedding', row.embedding)
                    RETURN count(*) AS count
                }
                WITH e, row WHERE row.properties.triplet_source_id IS NOT NULL
                MERGE (c:Chunk {id: row.properties.triplet_source_id})
                MERGE (e)<-[:MENTIONS]-(c)
                ";

const UPSERT_RELATIONS: &str = "
            UNWIND $data AS row
            MERGE (source {id: row.source_id})
            MERGE (target {id: row.target_id})
            WITH source, target, row
            CALL apoc.merge.relationship(source, row.label, {}, row.properties, target) YIELD rel
            RETURN count(*)
            ";

const GET: &str = "MATCH (e) WHERE e.id in $ids
        WITH e
        RETURN e.id AS name,
               [l in labels(e) WHERE l <> '__Entity__' | l][0] AS type,
               e{.* , embedding: Null, id: Null} AS properties
        ";

const TRIPLETS: &str = "MATCH (e:`__Entity__`) WHERE e.name in $entity_names 
        WITH e
        CALL {
            WITH e
            MATCH (e)-[r]->(t)
            RETURN e.name AS source_id, [l in labels(e) WHERE l <> '__Entity__' | l][0] AS source_type,
                   e{.* , embedding: Null, name: Null} AS source_properties,
                   type(r) AS type,
                   t.name AS target_id, [l in labels(t) WHERE l <> '__Entity__' | l][0] AS target_type,
                   t{.* , embedding: Null, name: Null} AS target_properties
            UNION ALL
            WITH e
            MATCH (e)<-[r]-(t)
            RETURN t.name AS source_id, [l in labels(t) WHERE l <> '__Entity__' | l][0] AS source_type,
                   e{.* , embedding: Null, name: Null} AS source_properties,
                   type(r) AS type,
                   e.name AS target_id, [l in labels(e) WHERE l <> '__Entity__' | l][0] AS target_type,
                   t{.* , embedding: Null, name: Null} AS target_properties
        }
        RETURN source_id, source_type, type, target_id, target_type, source_properties, target_properties";

const REL_MAP: &str = "
            MATCH (e:`__Entity__`)
            WHERE e.id in $ids
            MATCH p=(e)-[r*1..2]-(other)
            WHERE ALL(rel in relationships(p) WHERE type(rel) <> 'MENTIONS')
            UNWIND relationships(p) AS rel
            WITH distinct rel
            WITH startNode(rel) AS source,
                type(rel) AS type,
                endNode(rel) AS endNode
            RETURN source.id AS source_id, [l in labels(source) WHERE l <> '__Entity__' | l][0] AS source_type,
                    source{.* , embedding: Null, id: Null} AS source_properties,
                    type,
                    endNode.id AS target_id, [l in labels(endNode) WHERE l <> '__Entity__' | l][0] AS target_type,
                    endNode{.* , embedding: Null, id: Null} AS target_properties
            LIMIT toInteger($limit)
            ";

const VECTOR_QUERY: &str = "MATCH (e:`__Entity__`)
            WHERE e.embedding IS NOT NULL AND size(e.embedding) = $dimension
            WITH e, vector.similarity.cosine(e.embedding, $embedding) AS score
            ORDER BY score DESC LIMIT toInteger($limit)
            RETURN e.id AS name,
               [l in labels(e) WHERE l <> '__Entity__' | l][0] AS type,
               e{.* , embedding: Null, name: Null, id: Null} AS properties,
               score";

fn run(db: &Database, text: &str, p: &Params) -> Vec<Vec<V>> {
    db.execute(text, p)
        .unwrap_or_else(|e| panic!("{text}\n{e}"))
        .rows()
        .to_vec()
}

/// A chunk, two entities found in it, one relation.
fn load(db: &Database) {
    let chunks = V::List(vec![map(&[
        ("id", V::from("c1")),
        ("text", V::from("Alice works at Acme.")),
        ("properties", map(&[("source", V::from("doc1"))])),
        ("embedding", floats(&[1.0, 0.0, 0.0])),
    ])]);
    assert_eq!(
        run(db, UPSERT_CHUNKS, &params(&[("data", chunks)])),
        [vec![V::Int(1)]]
    );
    let entity = |name: &str, label: &str, emb: &[f64]| {
        map(&[
            ("id", V::from(name)),
            ("name", V::from(name)),
            ("label", V::from(label)),
            (
                "properties",
                map(&[("triplet_source_id", V::from("c1")), ("rank", V::Null)]),
            ),
            ("embedding", floats(emb)),
        ])
    };
    let entities = V::List(vec![
        entity("Alice", "PERSON", &[0.9, 0.1, 0.0]),
        entity("Acme", "ORGANIZATION", &[0.0, 1.0, 0.0]),
    ]);
    assert!(run(db, UPSERT_ENTITIES, &params(&[("data", entities)])).is_empty());
    let relations = V::List(vec![map(&[
        ("label", V::from("WORKS_AT")),
        ("source_id", V::from("Alice")),
        ("target_id", V::from("Acme")),
        ("properties", map(&[("since", V::Int(2020))])),
    ])]);
    assert_eq!(
        run(db, UPSERT_RELATIONS, &params(&[("data", relations)])),
        [vec![V::Int(1)]]
    );
}

#[test]
fn the_property_graph_store_writes_and_reads_as_llamaindex_sends_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    load(&db);
    // Loading twice changes nothing: every write is a MERGE.
    load(&db);
    assert_eq!(
        run(&db, "MATCH (n) RETURN count(*)", &Params::new()),
        [vec![V::Int(3)]]
    );
    assert_eq!(
        run(
            &db,
            "MATCH ()-[r]->() RETURN type(r) AS t ORDER BY t",
            &Params::new()
        ),
        [
            vec![V::from("MENTIONS")],
            vec![V::from("MENTIONS")],
            vec![V::from("WORKS_AT")]
        ]
    );

    // get(ids=["Alice"]): the entity's own properties, embedding and id
    // projected away as nulls.
    let got = run(&db, GET, &params(&[("ids", strings(&["Alice"]))]));
    assert_eq!(
        got,
        [vec![
            V::from("Alice"),
            V::from("PERSON"),
            map(&[
                ("embedding", V::Null),
                ("id", V::Null),
                ("name", V::from("Alice")),
                ("triplet_source_id", V::from("c1")),
            ])
        ]]
    );

    // get_triplets(entity_names=["Alice"]): out WORKS_AT, in MENTIONS.
    let triplets = run(
        &db,
        TRIPLETS,
        &params(&[("entity_names", strings(&["Alice"]))]),
    );
    assert_eq!(triplets.len(), 2, "{triplets:?}");
    assert_eq!(
        triplets[0][..5],
        [
            V::from("Alice"),
            V::from("PERSON"),
            V::from("WORKS_AT"),
            V::from("Acme"),
            V::from("ORGANIZATION")
        ]
    );
    assert_eq!(
        triplets[1][..5],
        [
            V::Null,
            V::from("Chunk"),
            V::from("MENTIONS"),
            V::from("Alice"),
            V::from("PERSON")
        ]
    );
    assert_eq!(
        triplets[1][6],
        map(&[
            ("embedding", V::Null),
            ("id", V::from("c1")),
            ("name", V::Null),
            ("source", V::from("doc1")),
            ("text", V::from("Alice works at Acme.")),
        ])
    );

    // get_rel_map: MENTIONS excluded, the one relation found once.
    let rel_map = run(
        &db,
        REL_MAP,
        &params(&[("ids", strings(&["Alice"])), ("limit", V::Int(30))]),
    );
    assert_eq!(rel_map.len(), 1, "{rel_map:?}");
    assert_eq!(rel_map[0][0], V::from("Alice"));
    assert_eq!(rel_map[0][3], V::from("WORKS_AT"));
    assert_eq!(rel_map[0][4], V::from("Acme"));

    // vector_query: cosine against [1, 0, 0]: Alice 0.9/|(0.9, 0.1)|.
    let hits = run(
        &db,
        VECTOR_QUERY,
        &params(&[
            ("embedding", floats(&[1.0, 0.0, 0.0])),
            ("dimension", V::Int(3)),
            ("limit", V::Int(2)),
        ]),
    );
    assert_eq!(hits.len(), 2);
    assert_eq!(
        (&hits[0][0], &hits[1][0]),
        (&V::from("Alice"), &V::from("Acme"))
    );
    let V::Float(score) = hits[0][3] else {
        panic!("{hits:?}")
    };
    // Neo4j's vector.similarity.cosine: (1 + cos) / 2.
    let cos = 0.9 / (0.81f64 + 0.01).sqrt();
    assert!((score - f64::midpoint(1.0, cos)).abs() < 1e-6, "{score}");

    // delete(ids=["Acme"]): the node and its relationships.
    run(
        &db,
        "MATCH (n) WHERE n.id IN $ids DETACH DELETE n",
        &params(&[("ids", strings(&["Acme"]))]),
    );
    assert_eq!(
        run(&db, "MATCH ()-[r]->() RETURN count(r)", &Params::new()),
        [vec![V::Int(1)]]
    );
}

#[test]
fn refresh_schema_reads_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    load(&db);
    let excluded = strings(&["_Bloom_Perspective_", "_Bloom_Scene_", "__Entity__"]);

    // Node properties by label (order inside a label is apoc.meta.data's).
    let rows = run(
        &db,
        NODE_PROPERTIES,
        &params(&[("EXCLUDED_LABELS", excluded.clone())]),
    );
    let mut by_label: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for row in rows {
        let V::Map(output) = &row[0] else {
            panic!("{row:?}")
        };
        let V::String(label) = &output["labels"] else {
            panic!("{output:?}")
        };
        let V::List(props) = &output["properties"] else {
            panic!("{output:?}")
        };
        let mut pairs: Vec<(String, String)> = props
            .iter()
            .map(|p| {
                let V::Map(p) = p else { panic!("{p:?}") };
                match (&p["property"], &p["type"]) {
                    (V::String(k), V::String(t)) => (k.clone(), t.clone()),
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        pairs.sort();
        by_label.insert(label.clone(), pairs);
    }
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, t)| ((*k).to_owned(), (*t).to_owned()))
            .collect()
    };
    assert_eq!(
        by_label.get("Chunk"),
        Some(&pairs(&[
            ("embedding", "LIST"),
            ("id", "STRING"),
            ("source", "STRING"),
            ("text", "STRING")
        ]))
    );
    assert_eq!(
        by_label.get("PERSON"),
        Some(&pairs(&[
            ("embedding", "LIST"),
            ("id", "STRING"),
            ("name", "STRING"),
            ("triplet_source_id", "STRING")
        ]))
    );
    assert!(!by_label.contains_key("__Entity__"));

    let rows = run(
        &db,
        REL_PROPERTIES,
        &params(&[("EXCLUDED_LABELS", strings(&["_Bloom_HAS_SCENE_"]))]),
    );
    assert_eq!(
        rows,
        [vec![map(&[
            ("type", V::from("WORKS_AT")),
            (
                "properties",
                V::List(vec![map(&[
                    ("property", V::from("since")),
                    ("type", V::from("INTEGER"))
                ])])
            ),
        ])]]
    );

    let mut rels: Vec<String> = run(&db, RELS, &params(&[("EXCLUDED_LABELS", excluded)]))
        .into_iter()
        .map(|row| {
            let V::Map(m) = &row[0] else {
                panic!("{row:?}")
            };
            let text = |k: &str| match &m[k] {
                V::String(s) => s.clone(),
                other => panic!("{other:?}"),
            };
            format!("{}-{}->{}", text("start"), text("type"), text("end"))
        })
        .collect();
    rels.sort();
    assert_eq!(
        rels,
        [
            "Chunk-MENTIONS->ORGANIZATION",
            "Chunk-MENTIONS->PERSON",
            "PERSON-WORKS_AT->ORGANIZATION"
        ]
    );

    // Constraints and indexes (none here), then the counts.
    assert!(run(&db, "SHOW CONSTRAINTS", &Params::new()).is_empty());
    assert!(
        run(
            &db,
            "CALL apoc.schema.nodes() YIELD label, properties, type, size, valuesSelectivity WHERE type = 'RANGE' RETURN *, size * valuesSelectivity as distinctValues",
            &Params::new()
        )
        .is_empty()
    );
    let counts = run(
        &db,
        "CALL apoc.meta.graphSample() YIELD nodes, relationships RETURN nodes, [rel in relationships | {name:apoc.any.property(rel, 'type'), count: apoc.any.property(rel, 'count')}] AS relationships",
        &Params::new(),
    );
    let V::List(nodes) = &counts[0][0] else {
        panic!("{counts:?}")
    };
    let mut names: Vec<(String, i64)> = nodes
        .iter()
        .map(|n| {
            let V::Map(n) = n else { panic!("{n:?}") };
            match (&n["name"], &n["count"]) {
                (V::String(s), V::Int(c)) => (s.clone(), *c),
                other => panic!("{other:?}"),
            }
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("Chunk".to_owned(), 1),
            ("ORGANIZATION".to_owned(), 1),
            ("PERSON".to_owned(), 1),
            ("__Entity__".to_owned(), 2)
        ]
    );
    let V::List(rels) = &counts[0][1] else {
        panic!("{counts:?}")
    };
    assert!(rels.contains(&map(&[("name", V::from("WORKS_AT")), ("count", V::Int(1))])));

    // The enhanced schema statement for Chunk (fewer than 10,000 nodes:
    // exhaustive), as _enhanced_schema_cypher builds it.
    let enhanced = "MATCH (n:`Chunk`)
WITH collect(distinct substring(toString(n.`id`), 0, 50)) AS `id_values`,
     collect(distinct substring(toString(n.`text`), 0, 50)) AS `text_values`,
     min(size(n.`embedding`)) AS `embedding_size_min`, max(size(n.`embedding`)) AS `embedding_size_max`
RETURN {`id`: {values:`id_values`[..10], distinct_count: size(`id_values`)}, `text`: {values:`text_values`[..10], distinct_count: size(`text_values`)}, `embedding`: {min_size: `embedding_size_min`, max_size: `embedding_size_max`}} AS output";
    assert_eq!(
        run(&db, enhanced, &Params::new()),
        [vec![map(&[
            (
                "id",
                map(&[("values", strings(&["c1"])), ("distinct_count", V::Int(1))])
            ),
            (
                "text",
                map(&[
                    ("values", strings(&["Alice works at Acme."])),
                    ("distinct_count", V::Int(1))
                ])
            ),
            (
                "embedding",
                map(&[("min_size", V::Int(3)), ("max_size", V::Int(3))])
            ),
        ])]]
    );
    // apoc.schema.properties.distinct, which the sampled path calls.
    assert_eq!(
        run(
            &db,
            "CALL apoc.schema.properties.distinct('PERSON', 'name') YIELD value",
            &Params::new()
        ),
        [vec![strings(&["Alice"])]]
    );
}
