//! The schema-introspection calls that Neo4j integration code makes,
//! replayed as that code sends them: neo4j-graphrag's
//! `get_structured_schema` (also what `LangChain`'s `Neo4jGraph` shows an
//! LLM) reads `apoc.meta.data` three ways, version checks read
//! `dbms.components()`, and schema tools read
//! `db.schema.nodeTypeProperties()` / `relTypeProperties()`. The graph is
//! written through the Rust API and the expected answers are written out
//! by hand from it, so nothing here checks the engine against itself.
//! Also: `CREATE (n $props)` and the APOC functions such code calls.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::{by_column, map, params, strings as list};
use std::collections::BTreeMap;

use quiverdb::query::{CypherValue as V, ErrorKind, Params, QueryResult};
use quiverdb::{Database, GraphRead, Props, Value, props};

/// Two people who acted in a movie, one who directed it, a `KNOWS`
/// between the actors with a `since` on it, and a `Document` node the
/// KG builder's label marks (excluded by the queries below).
fn movies(db: &Database) {
    let mut w = db.begin_write().unwrap();
    w.create_unique_key("Person", "name").unwrap();
    w.create_index("Movie", "released").unwrap();
    let keanu = w
        .add_node(&["Person"], props! {"name" => "Keanu", "born" => 1964i64})
        .unwrap();
    let carrie = w
        .add_node(
            &["Person", "Actor"],
            props! {"name" => "Carrie", "born" => 1967i64, "nick" => "C"},
        )
        .unwrap();
    let lana = w.add_node(&["Person"], props! {"name" => "Lana"}).unwrap();
    let matrix = w
        .add_node(
            &["Movie"],
            props! {"title" => "The Matrix", "released" => 1999i64, "rating" => 8.7},
        )
        .unwrap();
    w.add_node(&["__Entity__"], props! {"id" => "e1"}).unwrap();
    let mut roles = Props::new();
    roles.insert(
        "roles".to_owned(),
        Value::List(vec![Value::String("Neo".to_owned())]),
    );
    w.add_edge(keanu, matrix, "ACTED_IN", roles).unwrap();
    w.add_edge(carrie, matrix, "ACTED_IN", Props::new())
        .unwrap();
    w.add_edge(lana, matrix, "DIRECTED", Props::new()).unwrap();
    w.add_edge(keanu, carrie, "KNOWS", props! {"since" => 1999i64})
        .unwrap();
    w.commit().unwrap();
}

/// neo4j-graphrag's three `apoc.meta.data` queries, with its parameters.
const NODE_PROPERTIES_QUERY: &str = "CALL apoc.meta.data({sample: $SAMPLE}) \
    YIELD label, other, elementType, type, property \
    WHERE NOT type = 'RELATIONSHIP' AND elementType = 'node' \
    AND NOT label IN $EXCLUDED_LABELS \
    WITH label AS nodeLabel, collect({property:property, type:type}) AS properties \
    RETURN {label: nodeLabel, properties: properties} AS output";
const REL_PROPERTIES_QUERY: &str = "CALL apoc.meta.data({sample: $SAMPLE}) \
    YIELD label, other, elementType, type, property \
    WHERE NOT type = 'RELATIONSHIP' AND elementType = 'relationship' \
    AND NOT label in $EXCLUDED_LABELS \
    WITH label AS relType, collect({property:property, type:type}) AS properties \
    RETURN {type: relType, properties: properties} AS output";
const REL_QUERY: &str = "CALL apoc.meta.data({sample: $SAMPLE}) \
    YIELD label, other, elementType, type, property \
    WHERE type = 'RELATIONSHIP' AND elementType = 'node' \
    UNWIND other AS other_node \
    WITH * WHERE NOT label IN $EXCLUDED_LABELS \
    AND NOT other_node IN $EXCLUDED_LABELS \
    RETURN {start: label, type: property, end: toString(other_node)} AS output";

fn graphrag_params() -> Params {
    params(&[
        (
            "EXCLUDED_LABELS",
            list(&[
                "_Bloom_Perspective_",
                "_Bloom_Scene_",
                "__Entity__",
                "__KGBuilder__",
            ]),
        ),
        ("SAMPLE", V::Int(1000)),
    ])
}

/// The `output` column's maps, keyed by `key`, with `properties` turned
/// into a `property -> type` map (the order `collect()` sees is not part
/// of the contract).
fn by_key(r: &QueryResult, key: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = |v: &V| match v {
        V::String(s) => s.clone(),
        other => panic!("expected a string, got {other:?}"),
    };
    r.rows()
        .iter()
        .map(|row| {
            let V::Map(m) = &row[0] else {
                panic!("expected a map, got {:?}", row[0])
            };
            let V::List(props) = &m["properties"] else {
                panic!("expected a list of properties, got {:?}", m["properties"])
            };
            let props = props
                .iter()
                .map(|p| {
                    let V::Map(p) = p else { panic!("{p:?}") };
                    (text(&p["property"]), text(&p["type"]))
                })
                .collect();
            (text(&m[key]), props)
        })
        .collect()
}

fn expected(entries: &[(&str, &[(&str, &str)])]) -> BTreeMap<String, BTreeMap<String, String>> {
    entries
        .iter()
        .map(|(k, props)| {
            (
                (*k).to_owned(),
                props
                    .iter()
                    .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn neo4j_graphrag_schema_queries_describe_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    movies(&db);
    let r = db.begin_read().unwrap();
    let p = graphrag_params();

    let nodes = r.query(NODE_PROPERTIES_QUERY, &p).unwrap();
    assert_eq!(nodes.columns(), ["output"]);
    assert_eq!(
        by_key(&nodes, "label"),
        expected(&[
            (
                "Person",
                &[("name", "STRING"), ("born", "INTEGER"), ("nick", "STRING")]
            ),
            (
                "Actor",
                &[("name", "STRING"), ("born", "INTEGER"), ("nick", "STRING")]
            ),
            (
                "Movie",
                &[
                    ("title", "STRING"),
                    ("released", "INTEGER"),
                    ("rating", "FLOAT")
                ]
            ),
        ])
    );

    let rels = r.query(REL_PROPERTIES_QUERY, &p).unwrap();
    assert_eq!(
        by_key(&rels, "type"),
        expected(&[
            ("ACTED_IN", &[("roles", "LIST")]),
            ("KNOWS", &[("since", "INTEGER")])
        ])
    );

    let patterns = r.query(REL_QUERY, &p).unwrap();
    let mut got: Vec<(String, String, String)> = patterns
        .rows()
        .iter()
        .map(|row| {
            let V::Map(m) = &row[0] else { panic!() };
            let s = |k: &str| match &m[k] {
                V::String(s) => s.clone(),
                other => panic!("{other:?}"),
            };
            (s("start"), s("type"), s("end"))
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, String)> = [
        ("Actor", "ACTED_IN", "Movie"),
        ("Actor", "KNOWS", "Person"),
        ("Person", "ACTED_IN", "Movie"),
        ("Person", "DIRECTED", "Movie"),
        ("Person", "KNOWS", "Actor"),
        ("Person", "KNOWS", "Person"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    // Carrie is both Person and Actor: she shows under each label, and the
    // KNOWS into her names both of her labels at the far end. Keanu (a
    // Person only) is the only one with a KNOWS leaving him.
    let mut want = want;
    want.retain(|(s, t, _)| !(s == "Actor" && t == "KNOWS"));
    assert_eq!(got, want);
}

#[test]
fn apoc_meta_data_reports_schema_flags_counts_and_honours_its_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    movies(&db);
    let r = db.begin_read().unwrap();
    let rows = r
        .query(
            "CALL apoc.meta.data() YIELD label, property, count, unique, index, type, array, \
             left, right, other, otherLabels, elementType \
             RETURN label, property, count, unique, index, type, array, left, right, other, \
             otherLabels, elementType",
            &Params::new(),
        )
        .unwrap();
    let row = |label: &str, property: &str, element: &str| -> Vec<V> {
        rows.rows()
            .iter()
            .find(|r| {
                r[0] == V::from(label) && r[1] == V::from(property) && r[11] == V::from(element)
            })
            .unwrap_or_else(|| panic!("no row for {label}.{property} ({element})"))
            .clone()
    };
    // Person.name is a unique key: unique and indexed; Carrie's other label
    // is reported, as APOC does for unique properties.
    let name = row("Person", "name", "node");
    assert_eq!(name[2], V::Int(3), "three people sampled, all named");
    assert_eq!((&name[3], &name[4]), (&V::Bool(true), &V::Bool(true)));
    assert_eq!(name[10], list(&["Actor"]));
    // Movie.released is indexed, not unique; born is neither.
    let released = row("Movie", "released", "node");
    assert_eq!(
        (&released[3], &released[4]),
        (&V::Bool(false), &V::Bool(true))
    );
    let born = row("Person", "born", "node");
    assert_eq!(
        (&born[2], &born[3], &born[4]),
        (&V::Int(2), &V::Bool(false), &V::Bool(false))
    );
    // A list property is a LIST with array true.
    let roles = row("ACTED_IN", "roles", "relationship");
    assert_eq!((&roles[5], &roles[6]), (&V::from("LIST"), &V::Bool(true)));
    // The relationship rows: two ACTED_IN leave Person nodes, one each.
    let acted = row("Person", "ACTED_IN", "node");
    assert_eq!(acted[5], V::from("RELATIONSHIP"));
    assert_eq!(
        (&acted[2], &acted[7], &acted[8]),
        (&V::Int(2), &V::Int(1), &V::Int(2))
    );
    assert_eq!(acted[9], list(&["Movie"]));
    let typed = row("ACTED_IN", "Person", "relationship");
    assert_eq!(
        (&typed[5], &typed[9]),
        (&V::from("RELATIONSHIP"), &list(&["Movie"]))
    );

    // Configuration: excluded labels and relationship types are left out.
    let some = r
        .query(
            "CALL apoc.meta.data({excludeLabels: ['Actor', '__Entity__'], includeRels: ['KNOWS'], \
             sample: -1}) YIELD label, property RETURN DISTINCT label ORDER BY label",
            &Params::new(),
        )
        .unwrap();
    let labels: Vec<V> = some.rows().iter().map(|r| r[0].clone()).collect();
    assert_eq!(
        labels,
        vec![V::from("KNOWS"), V::from("Movie"), V::from("Person")]
    );

    // A configuration that is not a map is a typed error.
    let e = r
        .query(
            "CALL apoc.meta.data(5) YIELD label RETURN label",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TypeError, "{e}");
    let e = r
        .query(
            "CALL apoc.meta.data({sample: 'all'}) YIELD label RETURN label",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ArgumentError, "{e}");
}

#[test]
fn a_sample_reads_a_spread_of_each_labels_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let mut w = db.begin_write().unwrap();
    for i in 0..1_000i64 {
        // Only every tenth node has `rare`.
        let mut p = props! {"i" => i};
        if i % 10 == 0 {
            p.insert("rare".to_owned(), Value::Bool(true));
        }
        w.add_node(&["N"], p).unwrap();
    }
    w.commit().unwrap();
    let counts = |sample: i64| -> BTreeMap<String, i64> {
        db.begin_read()
            .unwrap()
            .query(
                "CALL apoc.meta.data({sample: $s}) YIELD property, count RETURN property, count",
                &params(&[("s", V::Int(sample))]),
            )
            .unwrap()
            .rows()
            .iter()
            .map(|r| match (&r[0], &r[1]) {
                (V::String(p), V::Int(c)) => (p.clone(), *c),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(
        counts(-1),
        BTreeMap::from([("i".to_owned(), 1000), ("rare".to_owned(), 100)])
    );
    // About 100 of 1,000 (every tenth): every tenth node is one with `rare`.
    assert_eq!(
        counts(100),
        BTreeMap::from([("i".to_owned(), 100), ("rare".to_owned(), 100)])
    );
    // A stride of 3 starts at the first node: 334 read, 34 of them rare.
    assert_eq!(counts(300)["i"], 334);
    assert_eq!(counts(300)["rare"], 34);
}

#[test]
fn dbms_components_reports_a_version_that_version_checks_parse() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    // As LangChain's Neo4jVector and neo4j-graphrag's get_version read it.
    let r = db
        .execute(
            "CALL dbms.components() YIELD name, versions, edition \
             UNWIND versions AS version RETURN name, version, edition",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(r.rows().len(), 1);
    let V::String(version) = &r.rows()[0][1] else {
        panic!("{:?}", r.rows())
    };
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(parts.len() == 3 && parts >= vec![5, 11, 0], "{version}");
    assert_eq!(r.rows()[0][0], V::from("QuiverDB"));
    assert_eq!(r.rows()[0][2], V::from("community"));
}

#[test]
fn schema_type_properties_list_every_property_with_its_types() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    movies(&db);
    let mut w = db.begin_write().unwrap();
    // A second Movie whose `released` is a string: two types, and
    // `rating` is no longer on every Movie.
    w.add_node(
        &["Movie"],
        props! {"title" => "Speed", "released" => "1994"},
    )
    .unwrap();
    w.add_node(&["Empty"], Props::new()).unwrap();
    w.commit().unwrap();
    let r = db.begin_read().unwrap();
    let nodes = r
        .query(
            "CALL db.schema.nodeTypeProperties() \
             YIELD nodeType, nodeLabels, propertyName, propertyTypes, mandatory \
             RETURN nodeType, nodeLabels, propertyName, propertyTypes, mandatory",
            &Params::new(),
        )
        .unwrap();
    let find = |node_type: &str, prop: V| -> Vec<V> {
        nodes
            .rows()
            .iter()
            .find(|r| r[0] == V::from(node_type) && r[2] == prop)
            .unwrap_or_else(|| panic!("no row {node_type} {prop:?}: {:?}", nodes.rows()))
            .clone()
    };
    let released = find(":`Movie`", V::from("released"));
    assert_eq!(released[3], list(&["Long", "String"]));
    assert_eq!(released[4], V::Bool(true));
    assert_eq!(find(":`Movie`", V::from("rating"))[4], V::Bool(false));
    // Carrie's combination is its own node type.
    let nick = find(":`Actor`:`Person`", V::from("nick"));
    assert_eq!(nick[1], list(&["Actor", "Person"]));
    assert_eq!(nick[4], V::Bool(true));
    // A combination without properties: one row of nulls.
    let empty = find(":`Empty`", V::Null);
    assert_eq!((&empty[3], &empty[4]), (&V::Null, &V::Bool(false)));

    let rels = r
        .query(
            "CALL db.schema.relTypeProperties() YIELD relType, propertyName, propertyTypes, \
             mandatory RETURN relType, propertyName, propertyTypes, mandatory",
            &Params::new(),
        )
        .unwrap();
    let mut got: Vec<Vec<V>> = rels.rows().to_vec();
    got.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let mut want = vec![
        vec![
            V::from(":`ACTED_IN`"),
            V::from("roles"),
            list(&["StringArray"]),
            V::Bool(false),
        ],
        vec![V::from(":`DIRECTED`"), V::Null, V::Null, V::Bool(false)],
        vec![
            V::from(":`KNOWS`"),
            V::from("since"),
            list(&["Long"]),
            V::Bool(true),
        ],
    ];
    want.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(got, want);
}

#[test]
fn create_takes_a_parameter_map_of_properties() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let p = params(&[
        (
            "props",
            map(&[
                ("name", V::from("git")),
                ("size", V::Int(3)),
                ("gone", V::Null),
            ]),
        ),
        ("rel", map(&[("weight", V::Float(0.5))])),
    ]);
    db.execute(
        "CREATE (a:Package $props)-[:DEPENDS $rel]->(b:Package {name: 'libc'})",
        &p,
    )
    .unwrap();
    let r = db.begin_read().unwrap();
    let git = r.node_by_key_scan("Package", "name", "git");
    assert_eq!(git.props.get("size"), Some(&Value::Int(3)));
    assert!(!git.props.contains_key("gone"), "a null entry sets nothing");
    let edges = r
        .edges(git.id, quiverdb::Direction::Out, Some("DEPENDS"))
        .unwrap();
    assert_eq!(edges.len(), 1);
    let edge = r.edge(edges[0].id).unwrap().unwrap();
    assert_eq!(edge.props.get("weight"), Some(&Value::Float(0.5)));

    // Not a map: a typed error, nothing written.
    let e = db
        .execute(
            "CREATE (n:Package $props)",
            &params(&[("props", V::Int(1))]),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TypeError, "{e}");
    // MATCH and MERGE refuse a parameter map, as Neo4j does.
    for text in ["MATCH (n $props) RETURN n", "MERGE (n:Package $props)"] {
        let e = db.execute(text, &p).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SyntaxError, "{text}: {e}");
    }
    let n = db
        .execute("MATCH (n) RETURN count(n) AS n", &Params::new())
        .unwrap();
    assert_eq!(n.rows()[0][0], V::Int(2));
}

/// `round(value, precision [, mode])` as Neo4j's documentation gives it
/// (Mem0 scores similarity with `round(2 * cos - 1, 4)`): Java's
/// rounding modes over the value's shortest decimal form, `HALF_UP` by
/// default, ties up at precision 0 without a mode.
#[test]
fn round_takes_a_precision_and_a_rounding_mode() {
    let one = |text: &str| -> V {
        let r = quiverdb::query::run(&format!("RETURN {text}"), &Params::new())
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        r.rows()[0][0].clone()
    };
    for (text, want) in [
        ("round(1.234567, 3)", V::Float(1.235)),
        ("round(-7.654321, 2)", V::Float(-7.65)),
        ("round(-1.55, 1)", V::Float(-1.6)),
        ("round(1.5, 0)", V::Float(2.0)),
        ("round(-1.5, 0)", V::Float(-1.0)),
        ("round(-1.5, 0, 'HALF_UP')", V::Float(-2.0)),
        ("round(1.783, 0, 'DOWN')", V::Float(1.0)),
        ("round(1.783, 0, 'HALF_UP')", V::Float(2.0)),
        ("round(2.5, 0, 'HALF_EVEN')", V::Float(2.0)),
        ("round(3.5, 0, 'half_even')", V::Float(4.0)),
        ("round(0.125, 2, 'HALF_DOWN')", V::Float(0.12)),
        ("round(0.1251, 2, 'HALF_DOWN')", V::Float(0.13)),
        ("round(-1.11, 1, 'CEILING')", V::Float(-1.1)),
        ("round(-1.11, 1, 'FLOOR')", V::Float(-1.2)),
        ("round(1.01, 1, 'UP')", V::Float(1.1)),
        ("round(9.99, 1)", V::Float(10.0)),
        ("round(5, 2)", V::Float(5.0)),
        ("round(1.0, 3, 'UNNECESSARY')", V::Float(1.0)),
        ("round(2 * 0.9 - 1, 4)", V::Float(0.8)),
        ("round(null, 2)", V::Null),
        ("round(1.5, null)", V::Null),
    ] {
        assert_eq!(one(text), want, "{text}");
    }
    for (text, kind) in [
        ("round(1.25, -1)", ErrorKind::ArgumentError),
        ("round(1.25, 1, 'SIDEWAYS')", ErrorKind::ArgumentError),
        ("round(1.25, 1, 'UNNECESSARY')", ErrorKind::ArithmeticError),
        ("round('x', 1)", ErrorKind::TypeError),
        ("round(1.25, 1.5)", ErrorKind::TypeError),
    ] {
        let e = quiverdb::query::run(&format!("RETURN {text}"), &Params::new()).unwrap_err();
        assert_eq!(e.kind, kind, "{text}: {e}");
    }
}

/// `apoc.path.subgraphNodes` / `subgraphAll`, as `LightRAG` asks for a
/// node's neighbourhood: breadth first, each node once, by level, type,
/// direction and label filters; the relationships among what was reached.
#[test]
fn apoc_path_subgraph_walks_breadth_first_with_filters() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let none = Params::new();
    db.execute(
        "CREATE (a:P {n: 'a'})-[:K]->(b:P {n: 'b'})-[:K]->(c:Q {n: 'c'})-[:K]->(d:P {n: 'd'}), \
         (a)<-[:W]-(e:P {n: 'e'}), (b)-[:K]->(b), (:P {n: 'x'})",
        &none,
    )
    .unwrap();
    let names = |config: &str| -> Vec<String> {
        let text = format!(
            "MATCH (a {{n: 'a'}}) CALL apoc.path.subgraphNodes(a, {config}) YIELD node RETURN node.n"
        );
        db.execute(&text, &none)
            .unwrap_or_else(|e| panic!("{config}: {e}"))
            .rows()
            .iter()
            .map(|r| match &r[0] {
                V::String(s) => s.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    // Breadth first: the start, then outgoing before incoming.
    assert_eq!(names("{maxLevel: 1}"), ["a", "b", "e"]);
    assert_eq!(names("{}"), ["a", "b", "e", "c", "d"]);
    assert_eq!(names("{relationshipFilter: 'K>'}"), ["a", "b", "c", "d"]);
    assert_eq!(names("{relationshipFilter: '<W'}"), ["a", "e"]);
    assert_eq!(names("{relationshipFilter: 'K<'}"), ["a"]);
    assert_eq!(names("{labelFilter: '-Q'}"), ["a", "b", "e"]);
    assert_eq!(names("{labelFilter: '+P'}"), ["a", "b", "e"]);
    assert_eq!(
        names("{labelFilter: 'Q', filterStartNode: true}"),
        Vec::<String>::new()
    );
    assert_eq!(names("{limit: 2}"), ["a", "b"]);
    assert_eq!(names("{minLevel: 1, maxLevel: 2}"), ["b", "e", "c"]);

    let r = db
        .execute(
            "MATCH (a {n: 'a'}) CALL apoc.path.subgraphAll(a, {relationshipFilter: 'K>', maxLevel: 2}) \
             YIELD nodes, relationships \
             RETURN [n IN nodes | n.n] AS nodes, \
                    [r IN relationships | startNode(r).n + '-' + type(r) + '->' + endNode(r).n] AS rels",
            &none,
        )
        .unwrap();
    // The self-loop on b is among the nodes reached; c-K->d is not (d is
    // three hops away).
    let row = &r.rows()[0];
    assert_eq!(row[0], list(&["a", "b", "c"]));
    let V::List(rels) = &row[1] else {
        panic!("{row:?}")
    };
    let mut rels: Vec<String> = rels
        .iter()
        .map(|r| match r {
            V::String(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    rels.sort();
    assert_eq!(rels, ["a-K->b", "b-K->b", "b-K->c"]);

    for text in [
        "MATCH (a {n: 'a'}) CALL apoc.path.subgraphNodes(a, {labelFilter: '>P'}) YIELD node RETURN node",
        "MATCH (a {n: 'a'}) CALL apoc.path.subgraphNodes(a, {sequence: 'P,K>,Q'}) YIELD node RETURN node",
        "CALL apoc.path.subgraphNodes('a', {}) YIELD node RETURN node",
    ] {
        let e = db.execute(text, &none).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::ArgumentError | ErrorKind::TypeError),
            "{text}: {e}"
        );
    }
}

#[test]
fn apoc_map_merge_and_coll_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let r = db
        .execute(
            "RETURN apoc.map.merge({a: 1, b: 2}, {b: 3, c: null}) AS m, \
             apoc.map.merge(null, {x: 1}) AS n, \
             apoc.coll.toSet([3, 1, 3, 'a', 1.0, 'a', null, 2]) AS s, \
             apoc.coll.toSet(null) AS e",
            &Params::new(),
        )
        .unwrap();
    let row = &r.rows()[0];
    assert_eq!(
        row[0],
        map(&[("a", V::Int(1)), ("b", V::Int(3)), ("c", V::Null)])
    );
    assert_eq!(row[1], map(&[("x", V::Int(1))]));
    // 1.0 equals 1 as DISTINCT compares them; the first occurrence stays.
    assert_eq!(
        row[2],
        V::List(vec![V::Int(3), V::Int(1), V::from("a"), V::Null, V::Int(2)])
    );
    assert_eq!(row[3], V::List(vec![]));
    // LlamaIndex's `SET e += apoc.map.clean(row.properties, [], [])`.
    let r = db
        .execute(
            "RETURN apoc.map.clean({a: 1, b: null, c: 'x', d: 2}, ['d'], ['x']) AS m, \
             apoc.map.clean({a: 1, b: null}, [], []) AS n",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(r.rows()[0][0], map(&[("a", V::Int(1))]));
    assert_eq!(r.rows()[0][1], map(&[("a", V::Int(1))]));
    let e = db
        .execute("RETURN apoc.coll.toSet(5) AS s", &Params::new())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TypeError, "{e}");
}

/// A small helper so the test reads as a user would look a node up.
trait ByName {
    fn node_by_key_scan(&self, label: &str, key: &str, value: &str) -> quiverdb::Node;
}

impl<T: GraphRead> ByName for T {
    fn node_by_key_scan(&self, label: &str, key: &str, value: &str) -> quiverdb::Node {
        let want = Value::String(value.to_owned());
        self.nodes_with_label(label)
            .unwrap()
            .into_iter()
            .map(|id| self.node(id).unwrap().unwrap())
            .find(|n| n.props.get(key) == Some(&want))
            .unwrap_or_else(|| panic!("no {label} with {key} = {value}"))
    }
}

#[test]
fn index_and_constraint_ddl_as_integration_code_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let none = Params::new();
    // neo4j-graphrag's writer set-up, LlamaIndex's and LangChain's
    // constraints, the 4.x form; IF NOT EXISTS makes a repeat a no-op.
    for text in [
        "CREATE INDEX __entity__tmp_internal_id IF NOT EXISTS FOR (n:__KGBuilder__) ON (n.__tmp_internal_id)",
        "CREATE INDEX __entity__tmp_internal_id IF NOT EXISTS FOR (n:__KGBuilder__) ON (n.__tmp_internal_id)",
        "CREATE CONSTRAINT IF NOT EXISTS FOR (n:Chunk) REQUIRE n.id IS UNIQUE",
        "CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS NODE UNIQUE",
        "CREATE CONSTRAINT ON (m:Movie) ASSERT m.title IS UNIQUE",
        "CREATE RANGE INDEX born FOR (p:Person) ON p.born;",
    ] {
        db.execute(text, &none)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    }
    // Without IF NOT EXISTS an equivalent or a name taken is an error.
    for text in [
        "CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE",
        "CREATE INDEX other FOR (p:Person) ON (p.name)",
        "CREATE INDEX born FOR (x:Other) ON (x.k)",
    ] {
        let e = db.execute(text, &none).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SemanticError, "{text}: {e}");
    }

    // The indexes are the graph's: listed by the Rust API with their names,
    // and used by lookups.
    let r = db.begin_read().unwrap();
    let indexes: BTreeMap<String, (String, String, bool)> = r
        .indexes()
        .unwrap()
        .into_iter()
        .map(|i| (i.name.clone(), (i.label, i.key, i.unique)))
        .collect();
    assert_eq!(indexes.len(), 5);
    assert_eq!(
        indexes["person_name"],
        ("Person".to_owned(), "name".to_owned(), true)
    );
    assert_eq!(
        indexes["__entity__tmp_internal_id"],
        (
            "__KGBuilder__".to_owned(),
            "__tmp_internal_id".to_owned(),
            false
        )
    );
    assert!(
        indexes.keys().any(|n| n.starts_with("constraint_")),
        "an unnamed constraint gets a generated name: {indexes:?}"
    );
    drop(r);
    db.execute("CREATE (:Person {name: 'Ann', born: 1980})", &none)
        .unwrap();
    let e = db
        .execute("CREATE (:Person {name: 'Ann'})", &none)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ConstraintVerificationFailed, "{e}");
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.nodes_by_property("Person", "born", &Value::Int(1980))
            .unwrap()
            .len(),
        1
    );
    drop(r);

    // SHOW, in Neo4j 5's columns (what neo4j-graphrag's schema reads).
    let shown = by_column(&db.execute("SHOW CONSTRAINTS", &none).unwrap());
    let person = shown
        .iter()
        .find(|c| c["name"] == V::from("person_name"))
        .unwrap();
    assert_eq!(person["type"], V::from("UNIQUENESS"));
    assert_eq!(person["entityType"], V::from("NODE"));
    assert_eq!(person["labelsOrTypes"], list(&["Person"]));
    assert_eq!(person["properties"], list(&["name"]));
    assert_eq!(person["ownedIndex"], V::from("person_name"));
    assert_eq!(shown.len(), 3);
    let indexes = by_column(&db.execute("SHOW INDEXES", &none).unwrap());
    assert_eq!(indexes.len(), 5);
    let born = indexes
        .iter()
        .find(|i| i["name"] == V::from("born"))
        .unwrap();
    assert_eq!(
        (&born["type"], &born["state"], &born["owningConstraint"]),
        (&V::from("RANGE"), &V::from("ONLINE"), &V::Null)
    );
    assert!(
        db.execute("SHOW VECTOR INDEXES", &none)
            .unwrap()
            .rows()
            .is_empty()
    );

    // Names and declarations survive a reopen; DROP by name.
    db.close().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let e = db.execute("DROP INDEX person_name", &none).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::SemanticError,
        "a constraint's index: {e}"
    );
    db.execute("DROP CONSTRAINT person_name", &none).unwrap();
    db.execute("DROP INDEX born", &none).unwrap();
    db.execute("DROP INDEX born IF EXISTS", &none).unwrap();
    let e = db.execute("DROP INDEX born", &none).unwrap_err();
    assert_eq!(e.kind, ErrorKind::SemanticError, "{e}");
    let names: Vec<String> = db
        .begin_read()
        .unwrap()
        .indexes()
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(!names.iter().any(|n| n == "born" || n == "person_name"));
    // The constraint is gone: a second Ann may be created now.
    db.execute("CREATE (:Person {name: 'Ann'})", &none).unwrap();

    // A unique key over data that already repeats a value is refused.
    let e = db
        .execute(
            "CREATE CONSTRAINT FOR (p:Person) REQUIRE p.name IS UNIQUE",
            &none,
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ConstraintVerificationFailed, "{e}");
}

/// Range indexes on relationship properties, as Graphiti's
/// `build_indices_and_constraints` creates them, and on several node
/// properties, as Mem0 does: recorded (not materialised: a lookup scans
/// the type's relationships or the label's nodes), listed, named in one
/// namespace with every other index, dropped, kept across a reopen, and
/// without effect on what a statement returns.
#[test]
fn declared_range_indexes_are_recorded_listed_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let none = Params::new();
    db.execute(
        "CREATE (a:Entity {uuid: 'a'})-[:RELATES_TO {uuid: 'e1', group_id: 'g'}]->(b:Entity {uuid: 'b'}), \
         (b)-[:RELATES_TO {uuid: 'e2', group_id: 'h'}]->(a), (a)-[:MENTIONS {uuid: 'm1'}]->(b)",
        &none,
    )
    .unwrap();
    let lookup = "MATCH (n:Entity)-[e:RELATES_TO {uuid: $uuid}]->(m:Entity) \
                  RETURN e.group_id AS g, n.uuid AS source, m.uuid AS target";
    let before = db
        .execute(lookup, &params(&[("uuid", V::from("e2"))]))
        .unwrap();
    for text in [
        "CREATE INDEX relation_uuid IF NOT EXISTS FOR ()-[e:RELATES_TO]-() ON (e.uuid)",
        "CREATE INDEX relation_uuid IF NOT EXISTS FOR ()-[e:RELATES_TO]-() ON (e.uuid)",
        "CREATE RANGE INDEX relation_group_id FOR ()-[e:RELATES_TO]-() ON (e.group_id)",
        "CREATE INDEX FOR ()-[e:MENTIONS]->() ON (e.uuid)",
        // Another kind of name clash, with IF NOT EXISTS: a no-op.
        "CREATE INDEX relation_uuid IF NOT EXISTS FOR (n:Entity) ON (n.uuid)",
    ] {
        db.execute(text, &none)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    }
    for text in [
        "CREATE INDEX relation_uuid FOR ()-[e:MENTIONS]-() ON (e.group_id)",
        "CREATE INDEX again FOR ()-[e:RELATES_TO]-() ON (e.uuid)",
        "CREATE INDEX relation_uuid FOR (n:Entity) ON (n.uuid)",
        "CREATE CONSTRAINT relation_group_id FOR (n:Entity) REQUIRE n.uuid IS UNIQUE",
        "CREATE FULLTEXT INDEX relation_uuid FOR (n:Entity) ON EACH [n.uuid]",
    ] {
        let e = db.execute(text, &none).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SemanticError, "{text}: {e}");
    }
    assert_eq!(
        db.execute(lookup, &params(&[("uuid", V::from("e2"))]))
            .unwrap()
            .rows(),
        before.rows()
    );
    assert_eq!(
        before.rows(),
        [vec![V::from("h"), V::from("b"), V::from("a")]]
    );
    let shown = |db: &Database| {
        let text = "SHOW RANGE INDEXES YIELD name, entityType, labelsOrTypes, properties, \
                    indexProvider, createStatement";
        let mut rows = by_column(&db.execute(text, &none).unwrap());
        rows.sort_by_key(|r| format!("{:?}", r["name"]));
        rows
    };
    let rows = shown(&db);
    assert_eq!(rows.len(), 3);
    let uuid = rows
        .iter()
        .find(|r| r["name"] == V::from("relation_uuid"))
        .unwrap();
    assert_eq!(uuid["entityType"], V::from("RELATIONSHIP"));
    assert_eq!(uuid["labelsOrTypes"], list(&["RELATES_TO"]));
    assert_eq!(uuid["properties"], list(&["uuid"]));
    assert_eq!(uuid["indexProvider"], V::from("relationship-scan"));
    assert_eq!(
        uuid["createStatement"],
        V::from("CREATE RANGE INDEX `relation_uuid` FOR ()-[r:`RELATES_TO`]-() ON (r.`uuid`)")
    );
    assert!(
        rows.iter()
            .any(|r| matches!(&r["name"], V::String(n) if n.starts_with("index_"))),
        "an unnamed index gets a generated name"
    );
    // No node index came of the clashing statements.
    assert!(db.begin_read().unwrap().indexes().unwrap().is_empty());

    db.close().unwrap();
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(shown(&db).len(), 3);
    db.execute("DROP INDEX relation_uuid", &none).unwrap();
    db.execute("DROP INDEX relation_uuid IF EXISTS", &none)
        .unwrap();
    let e = db.execute("DROP INDEX relation_uuid", &none).unwrap_err();
    assert_eq!(e.kind, ErrorKind::SemanticError, "{e}");
    assert_eq!(shown(&db).len(), 2);
    // The name is free again, for any kind.
    db.execute(
        "CREATE INDEX relation_uuid FOR (n:Entity) ON (n.uuid)",
        &none,
    )
    .unwrap();
    assert_eq!(db.begin_read().unwrap().indexes().unwrap().len(), 1);

    // An index over several properties (Mem0's `entity_composite`), of a
    // label or a type: recorded the same way.
    for text in [
        "CREATE INDEX entity_composite IF NOT EXISTS FOR (n :`__Entity__`) ON (n.name, n.user_id)",
        "CREATE INDEX entity_composite IF NOT EXISTS FOR (n :`__Entity__`) ON (n.name, n.user_id)",
        "CREATE INDEX FOR ()-[e:RELATES_TO]-() ON (e.group_id, e.uuid)",
    ] {
        db.execute(text, &none)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    }
    let e = db
        .execute(
            "CREATE INDEX again FOR (n:`__Entity__`) ON (n.name, n.user_id)",
            &none,
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::SemanticError, "{e}");
    let rows = shown(&db);
    let composite = rows
        .iter()
        .find(|r| r["name"] == V::from("entity_composite"))
        .unwrap();
    assert_eq!(composite["entityType"], V::from("NODE"));
    assert_eq!(composite["labelsOrTypes"], list(&["__Entity__"]));
    assert_eq!(composite["properties"], list(&["name", "user_id"]));
    assert_eq!(composite["indexProvider"], V::from("label-scan"));
    assert_eq!(
        composite["createStatement"],
        V::from(
            "CREATE RANGE INDEX `entity_composite` FOR (n:`__Entity__`) ON (n.`name`, n.`user_id`)"
        )
    );
    // Two relationship indexes, the node index and the two new ones.
    assert_eq!(rows.len(), 5);
    db.execute("DROP INDEX entity_composite", &none).unwrap();
    assert_eq!(shown(&db).len(), 4);
}

#[test]
fn unsupported_schema_commands_say_so_and_bad_ones_are_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let none = Params::new();
    for text in [
        "CREATE POINT INDEX places IF NOT EXISTS FOR (m:Place) ON m.location",
        "CREATE CONSTRAINT rel FOR ()-[r:KNOWS]-() REQUIRE r.since IS UNIQUE",
        "CREATE CONSTRAINT pair FOR (n:A) REQUIRE (n.x, n.y) IS UNIQUE",
        "CREATE CONSTRAINT FOR (n:A) REQUIRE (n.x, n.y) IS NOT NULL",
        "CREATE CONSTRAINT FOR (n:A) REQUIRE (n.x, n.y) IS NODE KEY",
        "CREATE TEXT INDEX t FOR (n:A) ON (n.x)",
    ] {
        let e = db.execute(text, &none).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported, "{text}: {e}");
    }
    for text in [
        "CREATE INDEX FOR (n:A) ON",
        "CREATE INDEX FOR (n:A) ON (n.x) extra",
        "CREATE CONSTRAINT FOR (n:A) REQUIRE n.x IS SOMETHING",
        "DROP INDEX",
        "CREATE INDEX FOR n:A ON (n.x)",
    ] {
        let e = db.execute(text, &none).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SyntaxError, "{text}: {e}");
    }
    assert!(db.begin_read().unwrap().indexes().unwrap().is_empty());
}

#[test]
fn apoc_schema_nodes_answers_neo4j_graphrag_index_query() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let none = Params::new();
    db.execute(
        "CREATE (:Person {name: 'a', city: 'x'}), (:Person {name: 'b', city: 'x'}), \
         (:Person {name: 'c', city: 'y'}), (:Person {name: 'd'})",
        &none,
    )
    .unwrap();
    db.execute("CREATE INDEX city FOR (p:Person) ON (p.city)", &none)
        .unwrap();
    db.execute(
        "CREATE CONSTRAINT name FOR (p:Person) REQUIRE p.name IS UNIQUE",
        &none,
    )
    .unwrap();
    // neo4j-graphrag's INDEX_QUERY, as sent.
    let r = db
        .execute(
            "CALL apoc.schema.nodes() YIELD label, properties, type, size, valuesSelectivity \
             WHERE type = 'RANGE' RETURN *, size * valuesSelectivity as distinctValues",
            &none,
        )
        .unwrap();
    let rows = by_column(&r);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let city = &rows[0];
    assert_eq!(city["label"], V::from("Person"));
    assert_eq!(city["properties"], list(&["city"]));
    assert_eq!(city["size"], V::Int(3), "three of the four have a city");
    assert_eq!(city["distinctValues"], V::Float(2.0));
    let r = db
        .execute(
            "CALL apoc.schema.nodes() YIELD type, size, valuesSelectivity \
             WHERE type = 'UNIQUENESS' RETURN size, valuesSelectivity",
            &none,
        )
        .unwrap();
    assert_eq!(r.rows(), [vec![V::Int(4), V::Float(1.0)]]);
}

#[test]
fn apoc_meta_schema_folds_the_schema_into_one_map() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    movies(&db);
    let rows = db
        .execute(
            "CALL apoc.meta.schema() YIELD value RETURN value",
            &Params::new(),
        )
        .unwrap();
    let V::Map(value) = &rows.rows()[0][0] else {
        panic!("{:?}", rows.rows())
    };
    let entry = |name: &str| match &value[name] {
        V::Map(m) => m.clone(),
        other => panic!("{other:?}"),
    };
    let person = entry("Person");
    assert_eq!(person["type"], V::from("node"));
    assert_eq!(person["count"], V::Int(3));
    let V::Map(props) = &person["properties"] else {
        panic!("{person:?}")
    };
    assert_eq!(
        props["name"],
        map(&[
            ("type", V::from("STRING")),
            ("indexed", V::Bool(true)),
            ("unique", V::Bool(true)),
            ("existence", V::Bool(false)),
            ("array", V::Bool(false)),
        ])
    );
    assert_eq!(props.keys().collect::<Vec<_>>(), ["born", "name", "nick"]);
    let V::Map(rels) = &person["relationships"] else {
        panic!("{person:?}")
    };
    let V::Map(acted) = &rels["ACTED_IN"] else {
        panic!("{rels:?}")
    };
    assert_eq!(acted["direction"], V::from("out"));
    assert_eq!(acted["count"], V::Int(2));
    assert_eq!(acted["labels"], list(&["Movie"]));
    // KNOWS leaves a Person and enters one: listed once, as it leaves.
    let V::Map(knows) = &rels["KNOWS"] else {
        panic!("{rels:?}")
    };
    assert_eq!(knows["direction"], V::from("out"));
    // The movie is entered by both types.
    let V::Map(movie_rels) = &entry("Movie")["relationships"] else {
        panic!()
    };
    let mut entered: Vec<(&String, V)> = movie_rels
        .iter()
        .map(|(t, e)| match e {
            V::Map(e) => (t, e["direction"].clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    entered.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(
        entered,
        [
            (&"ACTED_IN".to_owned(), V::from("in")),
            (&"DIRECTED".to_owned(), V::from("in"))
        ]
    );
    let acted_type = entry("ACTED_IN");
    assert_eq!(acted_type["type"], V::from("relationship"));
    assert_eq!(acted_type["count"], V::Int(2));
    let V::Map(rel_props) = &acted_type["properties"] else {
        panic!()
    };
    let V::Map(roles) = &rel_props["roles"] else {
        panic!("{rel_props:?}")
    };
    assert_eq!(
        (&roles["type"], &roles["array"]),
        (&V::from("LIST"), &V::Bool(true))
    );
}
