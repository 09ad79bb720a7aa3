//! neo4j-graphrag's statements, replayed as the library builds them
//! (graphrag 1.18, the Neo4j 5.23+ forms it sends to a server reporting
//! 5.26): the index helpers (`create_vector_index` failing if it exists,
//! `create_fulltext_index`, `upsert_vectors` on nodes and relationships,
//! `retrieve_fulltext_index_info`, `drop_index_if_exists`), the
//! retrievers (`VectorRetriever` with `return_properties` and with every
//! filter operator of `filters.py`, `VectorCypherRetriever`,
//! `HybridRetriever` with the naive and the linear ranker,
//! `HybridCypherRetriever`) and the entity resolvers that
//! `SimpleKGPipeline` runs after its writer (`apoc.refactor.mergeNodes`).
//! Expected scores are worked out here from the vectors (Neo4j's cosine
//! score is `(1 + cos) / 2`), expected rows from the data by hand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::collections::BTreeMap;

use common::{floats, map, params, strings};
use quiverdb::Database;
use quiverdb::query::{CypherValue as V, Params};

fn s(x: &str) -> V {
    V::from(x)
}

fn run(db: &Database, text: &str, p: &Params) -> Vec<Vec<V>> {
    db.execute(text, p)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .into_rows()
}

/// The chunks: title, text, year, genre, embedding.
const CHUNKS: [(&str, &str, i64, &str, [f64; 3]); 4] = [
    (
        "Graphs",
        "graph databases store nodes and relationships",
        2019,
        "Drama",
        [1.0, 0.0, 0.0],
    ),
    (
        "Vectors",
        "vector search finds nearest neighbours",
        2021,
        "Drama",
        [0.6, 0.8, 0.0],
    ),
    (
        "Soup",
        "soup recipes with rice",
        2023,
        "Crime",
        [0.0, 0.0, 1.0],
    ),
    (
        "Knowledge",
        "knowledge graphs for retrieval",
        2015,
        "Crime",
        [0.8, 0.0, 0.6],
    ),
];

/// Neo4j's cosine score of two vectors: `(1 + cos) / 2`.
fn cosine_score(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    f64::midpoint(1.0, dot / (norm(a) * norm(b)))
}

fn chunk(title: &str) -> &'static (&'static str, &'static str, i64, &'static str, [f64; 3]) {
    CHUNKS.iter().find(|c| c.0 == title).unwrap()
}

/// A database with the chunks (embeddings set through `upsert_vectors`,
/// as graphrag's pipelines do after writing the lexical graph), two
/// actors per the first chunk, and the library's two indexes.
fn chunks() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    for (title, text, year, genre, _) in CHUNKS {
        run(
            &db,
            "CREATE (:Chunk {title: $title, text: $text, year: $year, genre: $genre})",
            &params(&[
                ("title", s(title)),
                ("text", s(text)),
                ("year", V::Int(year)),
                ("genre", s(genre)),
            ]),
        );
    }
    run(
        &db,
        "MATCH (c:Chunk {title: 'Graphs'}) CREATE (:Actor {name: 'Ann'})-[:ACTED_IN]->(c), \
         (:Actor {name: 'Bob'})-[:ACTED_IN]->(c), (:Author {name: 'Cy'})<-[:AUTHORED_BY]-(c)",
        &Params::new(),
    );
    // create_vector_index(fail_if_exists=True): no IF NOT EXISTS, and the
    // double space the f-string leaves.
    let create = "CREATE VECTOR INDEX $name  FOR (n:Chunk) ON n.embedding OPTIONS { indexConfig: { \
                  `vector.dimensions`: toInteger($dimensions), `vector.similarity_function`: $similarity_fn } }";
    let index = params(&[
        ("name", s("chunk_vector")),
        ("dimensions", V::Int(3)),
        ("similarity_fn", s("cosine")),
    ]);
    run(&db, create, &index);
    assert!(
        db.execute(create, &index).is_err(),
        "a second create_vector_index(fail_if_exists=True) fails"
    );
    // create_fulltext_index.
    run(
        &db,
        "CREATE FULLTEXT INDEX $name IF NOT EXISTS FOR (n:`Chunk`) ON EACH [n.`text`]",
        &params(&[("name", s("chunk_fulltext"))]),
    );
    // upsert_vectors(entity_type='NODE'), by element ids.
    let ids = run(
        &db,
        "MATCH (c:Chunk) RETURN c.title, elementId(c)",
        &Params::new(),
    );
    let rows: Vec<V> = ids
        .iter()
        .map(|r| {
            let V::String(title) = &r[0] else { panic!() };
            map(&[("id", r[1].clone()), ("embedding", floats(&chunk(title).4))])
        })
        .collect();
    run(
        &db,
        "UNWIND $rows AS row MATCH (n) WHERE elementId(n) = row.id WITH n, row \
         CALL db.create.setNodeVectorProperty(n, $embedding_property, row.embedding) RETURN n",
        &params(&[
            ("rows", V::List(rows)),
            ("embedding_property", s("embedding")),
        ]),
    );
    (dir, db)
}

/// graphrag's default return tail of a node search.
const TAIL: &str = "RETURN node { .*, `embedding`: null } AS node, labels(node) AS nodeLabels, \
                    elementId(node) AS elementId, elementId(node) AS id, score";

fn search_params(vector: &[f64], top_k: i64) -> Params {
    params(&[
        ("vector_index_name", s("chunk_vector")),
        ("fulltext_index_name", s("chunk_fulltext")),
        ("query_vector", floats(vector)),
        ("top_k", V::Int(top_k)),
        ("effective_search_ratio", V::Int(1)),
    ])
}

fn title(node: &V) -> String {
    match node {
        V::Map(m) => match m.get("title") {
            Some(V::String(t)) => t.clone(),
            other => panic!("no title: {other:?}"),
        },
        other => panic!("not a map: {other:?}"),
    }
}

fn float(v: &V) -> f64 {
    match v {
        V::Float(f) => *f,
        other => panic!("not a float: {other:?}"),
    }
}

/// `(title, score)` of each row, the node in column 0 and the score in
/// column `score`.
fn ranked(rows: &[Vec<V>], score: usize) -> Vec<(String, f64)> {
    rows.iter()
        .map(|r| (title(&r[0]), float(&r[score])))
        .collect()
}

fn assert_ranked(got: &[(String, f64)], want: &[(&str, f64)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?}");
    for ((t, g), (wt, w)) in got.iter().zip(want) {
        assert_eq!(t, wt, "{what}: {got:?}");
        assert!((g - w).abs() < 1e-5, "{what}: {t} scored {g}, not {w}");
    }
}

#[test]
fn index_helpers_create_fill_inspect_and_drop() {
    let (_dir, db) = chunks();
    // The embeddings landed (a vector index over the property searches).
    let r = run(
        &db,
        "MATCH (c:Chunk {title: 'Vectors'}) RETURN c.embedding",
        &Params::new(),
    );
    assert_eq!(r, vec![vec![floats(&[0.6, 0.8, 0.0])]]);

    // upsert_vectors(entity_type='RELATIONSHIP').
    let rels = run(
        &db,
        "MATCH (:Actor)-[r:ACTED_IN]->() RETURN elementId(r) ORDER BY elementId(r)",
        &Params::new(),
    );
    let rows: Vec<V> = rels
        .iter()
        .enumerate()
        .map(|(i, r)| {
            map(&[
                ("id", r[0].clone()),
                ("embedding", floats(&[i as f64, 1.0])),
            ])
        })
        .collect();
    let r = run(
        &db,
        "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.id WITH r, row \
         CALL db.create.setRelationshipVectorProperty(r, $embedding_property, row.embedding) RETURN r",
        &params(&[
            ("rows", V::List(rows)),
            ("embedding_property", s("embedding")),
        ]),
    );
    assert_eq!(r.len(), 2);
    let r = run(
        &db,
        "MATCH ()-[r:ACTED_IN]->() RETURN r.embedding ORDER BY elementId(r)",
        &Params::new(),
    );
    assert_eq!(
        r,
        vec![vec![floats(&[0.0, 1.0])], vec![floats(&[1.0, 1.0])]]
    );

    // retrieve_fulltext_index_info, by name and by label + properties.
    let info = "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, options \
                WHERE type = 'FULLTEXT' AND (name = $index_name OR (labelsOrTypes = [$label_or_type] \
                AND properties = $text_properties)) RETURN name, type, entityType, labelsOrTypes, properties, options";
    for (name, label) in [("chunk_fulltext", "None"), ("other", "Chunk")] {
        let r = run(
            &db,
            info,
            &params(&[
                ("index_name", s(name)),
                ("label_or_type", s(label)),
                ("text_properties", strings(&["text"])),
            ]),
        );
        assert_eq!(r.len(), 1, "{name}: {r:?}");
        assert_eq!(
            r[0][..5],
            [
                s("chunk_fulltext"),
                s("FULLTEXT"),
                s("NODE"),
                strings(&["Chunk"]),
                strings(&["text"])
            ]
        );
    }

    // drop_index_if_exists, twice.
    for _ in 0..2 {
        run(
            &db,
            "DROP INDEX $name IF EXISTS",
            &params(&[("name", s("chunk_fulltext"))]),
        );
    }
    let r = run(
        &db,
        info,
        &params(&[
            ("index_name", s("chunk_fulltext")),
            ("label_or_type", s("Chunk")),
            ("text_properties", strings(&["text"])),
        ]),
    );
    assert!(r.is_empty(), "{r:?}");
}

#[test]
fn vector_retrievers_return_what_the_library_reads() {
    let (_dir, db) = chunks();
    let query = [1.0, 0.0, 0.0];
    let want = |titles: &[&'static str]| -> Vec<(&'static str, f64)> {
        titles
            .iter()
            .map(|t| (*t, cosine_score(&chunk(t).4, &query)))
            .collect()
    };
    let head = "CALL db.index.vector.queryNodes($vector_index_name, $top_k * $effective_search_ratio, $query_vector) \
                YIELD node, score WITH node, score LIMIT $top_k ";

    // VectorRetriever, default tail: the node's properties without the
    // embedding, its labels, element id twice, the score.
    let rows = run(&db, &format!("{head}{TAIL}"), &search_params(&query, 2));
    assert_ranked(&ranked(&rows, 4), &want(&["Graphs", "Knowledge"]), "R1");
    let V::Map(node) = &rows[0][0] else { panic!() };
    assert_eq!(node.get("embedding"), Some(&V::Null));
    assert_eq!(node.get("year"), Some(&V::Int(2019)));
    assert_eq!(rows[0][1], strings(&["Chunk"]));
    assert_eq!(rows[0][2], rows[0][3]);
    assert!(matches!(&rows[0][2], V::String(id) if !id.is_empty()));

    // return_properties=['text', 'title'].
    let rows = run(
        &db,
        &format!(
            "{head}RETURN node {{.text, .title}} AS node, labels(node) AS nodeLabels, \
             elementId(node) AS elementId, elementId(node) AS id, score"
        ),
        &search_params(&query, 1),
    );
    let V::Map(node) = &rows[0][0] else { panic!() };
    assert_eq!(node.keys().collect::<Vec<_>>(), ["text", "title"]);
    assert_eq!(node["text"], s(CHUNKS[0].1));

    // VectorCypherRetriever: the user's retrieval query after the search,
    // with a COLLECT subquery as upstream's example has it, and one
    // without a space before its RETURN.
    let rows = run(
        &db,
        &format!(
            "{head}\nRETURN  node.title as movieTitle,\n        node.plot as moviePlot,\n        \
             collect {{ MATCH (actor:Actor)-[:ACTED_IN]->(node) RETURN actor.name }} AS actors,\n        \
             score as similarityScore\n"
        ),
        &search_params(&query, 2),
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], s("Graphs"));
    assert_eq!(rows[0][1], V::Null);
    let V::List(mut actors) = rows[0][2].clone() else {
        panic!()
    };
    actors.sort_by_key(|a| format!("{a:?}"));
    assert_eq!(actors, vec![s("Ann"), s("Bob")]);
    assert_eq!(rows[1][2], V::List(Vec::new()));
    assert!((float(&rows[0][3]) - 1.0).abs() < 1e-5);
    let rows = run(
        &db,
        &format!("{head}MATCH (node)-[:AUTHORED_BY]->(author:Author)RETURN author.name"),
        &search_params(&query, 2),
    );
    assert_eq!(rows, vec![vec![s("Cy")]]);
}

/// `VectorRetriever` with filters: graphrag's exact search statement
/// with each fragment `filters.py` generates, against the chunks that
/// pass the filter here, by score.
#[test]
fn filtered_vector_retriever_applies_every_filter_operator() {
    let (_dir, db) = chunks();
    let query = [0.8, 0.6, 0.0];
    for (fragment, extra, pass) in filter_cases() {
        let text = format!(
            "MATCH (node:`Chunk`) WHERE node.`embedding` IS NOT NULL AND size(node.`embedding`) = \
             toInteger($embedding_dimension) AND ({fragment}) WITH node, \
             vector.similarity.cosine(node.`embedding`, $query_vector) AS score \
             ORDER BY score DESC, elementId(node) LIMIT $top_k {TAIL}"
        );
        let mut p = search_params(&query, 3);
        p.insert("embedding_dimension".into(), V::Int(3));
        for (k, v) in extra {
            p.insert(k.into(), v);
        }
        let mut want: Vec<(&str, f64)> = CHUNKS
            .iter()
            .filter(|c| pass(c))
            .map(|c| (c.0, cosine_score(&c.4, &query)))
            .collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1));
        want.truncate(3);
        let rows = run(&db, &text, &p);
        assert_ranked(&ranked(&rows, 4), &want, fragment);
    }
}

/// Whether a chunk passes a filter.
type Pass = fn(&(&str, &str, i64, &str, [f64; 3])) -> bool;

/// A filter fragment as `filters.py` writes it, its parameters, and
/// which chunks pass it.
type FilterCase = (&'static str, Vec<(&'static str, V)>, Pass);

/// The fragments of `filtered_vector_retriever_applies_every_filter_operator`.
fn filter_cases() -> Vec<FilterCase> {
    vec![
        (
            "(node.year >= $param_0) AND (node.genre = $param_1)",
            vec![("param_0", V::Int(2020)), ("param_1", s("Drama"))],
            |c| c.2 >= 2020 && c.3 == "Drama",
        ),
        (
            "node.year = $param_0",
            vec![("param_0", V::Int(2019))],
            |c| c.2 == 2019,
        ),
        (
            "node.year <> $param_0",
            vec![("param_0", V::Int(2019))],
            |c| c.2 != 2019,
        ),
        (
            "node.year < $param_0",
            vec![("param_0", V::Int(2021))],
            |c| c.2 < 2021,
        ),
        (
            "node.year <= $param_0",
            vec![("param_0", V::Int(2021))],
            |c| c.2 <= 2021,
        ),
        (
            "node.year > $param_0",
            vec![("param_0", V::Int(2019))],
            |c| c.2 > 2019,
        ),
        (
            "$param_0 <= node.year <= $param_1",
            vec![("param_0", V::Int(2015)), ("param_1", V::Int(2020))],
            |c| (2015..=2020).contains(&c.2),
        ),
        (
            "node.genre IN $param_0",
            vec![("param_0", strings(&["Crime", "Horror"]))],
            |c| c.3 == "Crime",
        ),
        (
            "NOT node.genre IN $param_0",
            vec![("param_0", strings(&["Crime"]))],
            |c| c.3 != "Crime",
        ),
        (
            "node.title CONTAINS $param_0",
            vec![("param_0", s("ect"))],
            |c| c.0.contains("ect"),
        ),
        (
            "toLower(node.title) CONTAINS $param_0",
            vec![("param_0", s("soup"))],
            |c| c.0 == "Soup",
        ),
        (
            "(node.year < $param_0) OR (node.year > $param_1)",
            vec![("param_0", V::Int(2016)), ("param_1", V::Int(2022))],
            |c| c.2 < 2016 || c.2 > 2022,
        ),
        (
            "((node.genre = $param_0) AND (node.year IN $param_1)) OR (toLower(node.`title`) CONTAINS $param_2)",
            vec![
                ("param_0", s("Drama")),
                ("param_1", V::List(vec![V::Int(2019), V::Int(2030)])),
                ("param_2", s("know")),
            ],
            |c| (c.3 == "Drama" && c.2 == 2019) || c.0 == "Knowledge",
        ),
        (
            "node.`odd``name` = $param_0",
            vec![("param_0", V::Int(1))],
            |_| false,
        ),
    ]
}

/// The two rankers of `HybridRetriever` (and `HybridCypherRetriever`,
/// the same body with the user's tail): each list max-normalised, then
/// the larger of a node's two scores (naive) or `alpha` × vector +
/// `(1 - alpha)` × full-text (linear).
#[test]
fn hybrid_retrievers_fuse_as_the_library_expects() {
    let (_dir, db) = chunks();
    let query = [0.8, 0.6, 0.0];
    let vector = |t: &str| cosine_score(&chunk(t).4, &query);
    // The vector list (top 3): Vectors, Graphs, Knowledge; its maximum
    // is Vectors'.
    let top = vector("Vectors");
    let naive_body = "CALL () { CALL db.index.vector.queryNodes($vector_index_name, $top_k * $effective_search_ratio, $query_vector) \
        YIELD node, score WITH node, score LIMIT $top_k WITH collect({node:node, score:score}) AS nodes, \
        max(score) AS vector_index_max_score UNWIND nodes AS n RETURN n.node AS node, (n.score / vector_index_max_score) AS score \
        UNION CALL db.index.fulltext.queryNodes($fulltext_index_name, $query_text, {limit: $top_k}) YIELD node, score \
        WITH collect({node:node, score:score}) AS nodes, max(score) AS ft_index_max_score UNWIND nodes AS n \
        RETURN n.node AS node, (n.score / ft_index_max_score) AS score } \
        WITH node, max(score) AS score ORDER BY score DESC, elementId(node) LIMIT $top_k ";
    let linear_body = "CALL () { CALL db.index.vector.queryNodes($vector_index_name, $top_k * $effective_search_ratio, $query_vector) \
        YIELD node, score WITH node, score LIMIT $top_k WITH collect({node: node, score: score}) AS nodes, \
        max(score) AS vector_index_max_score UNWIND nodes AS n WITH n.node AS node, (n.score / vector_index_max_score) AS rawScore \
        RETURN node, rawScore * $alpha AS score UNION CALL db.index.fulltext.queryNodes($fulltext_index_name, $query_text, {limit: $top_k}) \
        YIELD node, score WITH collect({node: node, score: score}) AS nodes, max(score) AS ft_index_max_score \
        UNWIND nodes AS n WITH n.node AS node, (n.score / ft_index_max_score) AS rawScore \
        RETURN node, rawScore * (1 - $alpha) AS score } \
        WITH node, sum(score) AS score ORDER BY score DESC, elementId(node) LIMIT $top_k ";

    // Naive, the text matching only "Vectors" (the vector list's top too).
    let mut p = search_params(&query, 3);
    p.insert("query_text".into(), s("vector search"));
    let rows = run(&db, &format!("{naive_body}{TAIL}"), &p);
    assert_ranked(
        &ranked(&rows, 4),
        &[
            ("Vectors", 1.0),
            ("Graphs", vector("Graphs") / top),
            ("Knowledge", vector("Knowledge") / top),
        ],
        "naive",
    );
    // return_properties=['text'].
    let rows = run(
        &db,
        &format!(
            "{naive_body}RETURN node {{.text}} AS node, labels(node) AS nodeLabels, \
             elementId(node) AS elementId, elementId(node) AS id, score"
        ),
        &p,
    );
    let V::Map(node) = &rows[0][0] else { panic!() };
    assert_eq!(node.keys().collect::<Vec<_>>(), ["text"]);

    // Linear, alpha 0.7, the text matching only "Graphs".
    let alpha = 0.7;
    p.insert("query_text".into(), s("graph databases"));
    p.insert("alpha".into(), V::Float(alpha));
    let rows = run(&db, &format!("{linear_body}{TAIL}"), &p);
    assert_ranked(
        &ranked(&rows, 4),
        &[
            ("Graphs", alpha * vector("Graphs") / top + (1.0 - alpha)),
            ("Vectors", alpha),
            ("Knowledge", alpha * vector("Knowledge") / top),
        ],
        "linear",
    );

    // HybridCypherRetriever: either body, then the user's retrieval query.
    let retrieval = "\nRETURN  node.title as movieTitle,\n        node.plot as moviePlot,\n        \
                     collect { MATCH (actor:Actor)-[:ACTED_IN]->(node) RETURN actor.name } AS actors,\n        \
                     score as similarityScore\n";
    for (body, first) in [(naive_body, "Graphs"), (linear_body, "Graphs")] {
        let rows = run(&db, &format!("{body}{retrieval}"), &p);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][0], s(first));
        let V::List(actors) = &rows[0][2] else {
            panic!()
        };
        assert_eq!(actors.len(), 2);
        assert!(float(&rows[0][3]) > float(&rows[1][3]) - 1e-12);
    }
}

fn entities() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    run(
        &db,
        "CREATE (a1:__Entity__:__KGBuilder__:Person {name: 'Alice', age: 30}),
                (a2:__Entity__:__KGBuilder__:Person {name: 'Alice', city: 'Paris', age: 31}),
                (b:__Entity__:__KGBuilder__:Person {name: 'Bob'}),
                (ac:__Entity__:__KGBuilder__:Company {name: 'Alice'}),
                (acme:__Entity__:__KGBuilder__:Company {name: 'Acme'}),
                (:__Entity__:Person {age: 3}),
                (a1)-[:WORKS_AT {since: 2020}]->(acme), (a2)-[:WORKS_AT {role: 'cto'}]->(acme),
                (a2)-[:KNOWS]->(b), (b)-[:KNOWS]->(a1), (a2)-[:SAME_AS]->(a1)",
        &Params::new(),
    );
    (dir, db)
}

/// `SinglePropertyExactMatchResolver`: count, then merge the entities of
/// one label with one name through `apoc.refactor.mergeNodes`.
#[test]
fn exact_match_resolver_merges_entities_of_one_label_and_name() {
    let (_dir, db) = entities();
    let r = run(
        &db,
        "MATCH (entity:__Entity__)  RETURN count(entity) as c",
        &Params::new(),
    );
    assert_eq!(r, vec![vec![V::Int(6)]]);
    let r = run(
        &db,
        "MATCH (entity:__Entity__)  WITH entity, entity.name as prop WITH entity, prop WHERE prop IS NOT NULL \
         UNWIND labels(entity) as lab  WITH lab, prop, entity WHERE NOT lab IN ['__Entity__', '__KGBuilder__'] \
         WITH prop, lab, collect(entity) AS entities CALL apoc.refactor.mergeNodes(entities,{  properties:'discard',  \
         mergeRels:true }) YIELD node RETURN count(node) as c ",
        &Params::new(),
    );
    // Groups: (Alice, Person), (Bob, Person), (Alice, Company), (Acme,
    // Company); the nameless entity is in none.
    assert_eq!(r, vec![vec![V::Int(4)]]);

    let r = run(
        &db,
        "MATCH (p:Person) RETURN p.name AS name, p.age AS age, p.city AS city, labels(p) AS labels \
         ORDER BY name",
        &Params::new(),
    );
    assert_eq!(
        r,
        vec![
            vec![
                s("Alice"),
                V::Int(30),
                s("Paris"),
                strings(&["Person", "__Entity__", "__KGBuilder__"])
            ],
            vec![
                s("Bob"),
                V::Null,
                V::Null,
                strings(&["Person", "__Entity__", "__KGBuilder__"])
            ],
            vec![
                V::Null,
                V::Int(3),
                V::Null,
                strings(&["Person", "__Entity__"])
            ],
        ]
    );
    // Relationships moved onto the kept Alice: the two WORKS_AT folded
    // into one (properties: the kept one's first), both KNOWS, and the
    // SAME_AS between the two Alices a self-relationship (checked
    // apart: how often an undirected pattern meets a loop is its own
    // question).
    let r = run(
        &db,
        "MATCH (a:Person {name: 'Alice'})-[r]-(x) WHERE type(r) <> 'SAME_AS' \
         RETURN type(r) AS t, startNode(r) = a AS out, x.name AS other, properties(r) AS props \
         ORDER BY t, out, other",
        &Params::new(),
    );
    let none = V::Map(BTreeMap::new());
    assert_eq!(
        r,
        vec![
            vec![s("KNOWS"), V::Bool(false), s("Bob"), none.clone()],
            vec![s("KNOWS"), V::Bool(true), s("Bob"), none.clone()],
            vec![
                s("WORKS_AT"),
                V::Bool(true),
                s("Acme"),
                map(&[("role", s("cto")), ("since", V::Int(2020))])
            ],
        ]
    );
    let r = run(
        &db,
        "MATCH (a:Person {name: 'Alice'})-[r:SAME_AS]->(a) RETURN count(r)",
        &Params::new(),
    );
    assert_eq!(r, vec![vec![V::Int(1)]]);
    let r = run(&db, "MATCH ()-[r]->() RETURN count(r)", &Params::new());
    assert_eq!(r, vec![vec![V::Int(4)]]);
    let report = db.check().unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

/// The similarity resolvers: the label clusters, then a merge by element
/// ids; and `apoc.refactor.mergeNodes`' other settings.
#[test]
fn similarity_resolvers_and_merge_settings() {
    let (_dir, db) = entities();
    let r = run(
        &db,
        "\n            MATCH (entity:__Entity__)\n            UNWIND labels(entity) AS lab\n            \
         WITH lab, entity\n            WHERE NOT lab IN ['__Entity__', '__KGBuilder__']\n            \
         WITH lab, collect({ id: elementId(entity), name: entity.name }) AS labelCluster\n            \
         RETURN lab, labelCluster\n        ",
        &Params::new(),
    );
    let mut clusters: BTreeMap<String, Vec<V>> = BTreeMap::new();
    for row in r {
        let (V::String(lab), V::List(cluster)) = (&row[0], &row[1]) else {
            panic!("{row:?}")
        };
        clusters.insert(lab.clone(), cluster.clone());
    }
    assert_eq!(clusters.keys().collect::<Vec<_>>(), ["Company", "Person"]);
    assert_eq!(clusters["Person"].len(), 4);
    assert_eq!(clusters["Company"].len(), 2);
    let ids: Vec<V> = clusters["Person"]
        .iter()
        .filter_map(|m| match m {
            V::Map(m) if m.get("name") == Some(&s("Alice")) => m.get("id").cloned(),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2);
    let r = run(
        &db,
        "MATCH (n) WHERE elementId(n) IN $ids WITH collect(n) AS nodes \
         CALL apoc.refactor.mergeNodes(nodes, {properties: 'discard', mergeRels: true}) YIELD node \
         RETURN elementId(node)",
        &params(&[("ids", V::List(ids.clone()))]),
    );
    assert_eq!(r.len(), 1);
    assert!(ids.contains(&r[0][0]));
    let r = run(
        &db,
        "MATCH (p:Person {name: 'Alice'}) RETURN count(p)",
        &Params::new(),
    );
    assert_eq!(r, vec![vec![V::Int(1)]]);

    // Overwrite (the default) and combine; no self-relationship.
    let (_dir, db) = entities();
    let merge = |config: &str| {
        run(
            &db,
            &format!(
                "MATCH (a:Person {{name: 'Alice'}}) WITH a ORDER BY a.age WITH collect(a) AS nodes \
                 CALL apoc.refactor.mergeNodes(nodes{config}) YIELD node \
                 RETURN node.age AS age, node.city AS city, COUNT {{ (node)-[:SAME_AS]-() }} AS loops"
            ),
            &Params::new(),
        )
    };
    assert_eq!(
        merge(", {produceSelfRel: false}"),
        vec![vec![V::Int(31), s("Paris"), V::Int(0)]]
    );
    let (_dir, db) = entities();
    let r = run(
        &db,
        "MATCH (a:Person {name: 'Alice'}) WITH a ORDER BY a.age WITH collect(a) AS nodes \
         CALL apoc.refactor.mergeNodes(nodes, {properties: 'combine'}) YIELD node \
         RETURN node.age AS age, COUNT { (node)-[:WORKS_AT]->() } AS jobs",
        &Params::new(),
    );
    assert_eq!(
        r,
        vec![vec![V::List(vec![V::Int(30), V::Int(31)]), V::Int(2)]]
    );
    // An empty list yields no row; bad arguments are typed errors.
    let r = run(
        &db,
        "CALL apoc.refactor.mergeNodes([]) YIELD node RETURN node",
        &Params::new(),
    );
    assert!(r.is_empty());
    for bad in [
        "CALL apoc.refactor.mergeNodes([1, 2]) YIELD node RETURN node",
        "MATCH (n) WITH collect(n) AS ns CALL apoc.refactor.mergeNodes(ns, {properties: 'keep'}) YIELD node RETURN node",
        "MATCH (n) WITH collect(n) AS ns CALL apoc.refactor.mergeNodes(ns, {mergeRels: 'yes'}) YIELD node RETURN node",
    ] {
        assert!(db.execute(bad, &Params::new()).is_err(), "{bad}");
    }
    let r = run(&db, "MATCH (n) RETURN count(n)", &Params::new());
    assert_eq!(r, vec![vec![V::Int(5)]]);
}
