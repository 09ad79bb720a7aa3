//! Knowledge-graph writes as Neo4j integration code sends them:
//! neo4j-graphrag's `Neo4jWriter` statement templates (its index set-up,
//! nodes upserted with
//! `CALL (n, row) { }` and `apoc.create.addLabels`, relationships merged
//! with `apoc.merge.relationship`, embeddings set with
//! `db.create.set*VectorProperty`, the clean-up `CALL { } IN TRANSACTIONS
//! ... ON ERROR CONTINUE`), replayed with realistic parameters and checked
//! through the Rust API against what the templates are documented to do.
//! Also `apoc.merge.node`, `apoc.create.setLabels` and the batch semantics
//! of `IN TRANSACTIONS`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::{map, params};
use std::collections::BTreeMap;

use quiverdb::query::{CypherValue as V, ErrorKind, Params, QueryResult};
use quiverdb::{Database, Direction, GraphRead, Value};

fn list(items: &[V]) -> V {
    V::List(items.to_vec())
}

fn s(x: &str) -> V {
    V::from(x)
}

fn rows(r: &QueryResult) -> Vec<Vec<V>> {
    r.rows().to_vec()
}

/// `upsert_node_query(support_variable_scope_clause=True,
/// support_dynamic_labels=False)`, as neo4j-graphrag builds it.
const UPSERT_NODES: &str = "UNWIND $rows AS row \
    CREATE (n:__KGBuilder__ {__tmp_internal_id: row.id}) \
    SET n += row.properties \
    WITH n, row CALL apoc.create.addLabels(n, row.labels) YIELD node WITH node as n, row \
    WITH n, row \
    CALL (n,row) {  \
    WITH n, row WHERE row.embedding_properties IS NOT NULL \
    UNWIND keys(row.embedding_properties) as emb \
    CALL db.create.setNodeVectorProperty(n, emb, row.embedding_properties[emb]) \
    RETURN count(*) as nbEmb \
    } \
    RETURN elementId(n) as element_id";

/// The same with `support_dynamic_labels=True` (Neo4j 5.24 on).
const UPSERT_NODES_DYNAMIC: &str = "UNWIND $rows AS row \
    CREATE (n:__KGBuilder__ {__tmp_internal_id: row.id}) \
    SET n += row.properties \
    SET n:$(row.labels) \
    WITH n, row \
    CALL (n,row) {  \
    WITH n, row WHERE row.embedding_properties IS NOT NULL \
    UNWIND keys(row.embedding_properties) as emb \
    CALL db.create.setNodeVectorProperty(n, emb, row.embedding_properties[emb]) \
    RETURN count(*) as nbEmb \
    } \
    RETURN elementId(n) as element_id";

/// `upsert_relationship_query(support_variable_scope_clause=True)`.
const UPSERT_RELATIONSHIPS: &str = "UNWIND $rows as row \
    MATCH (start:__KGBuilder__ {__tmp_internal_id: row.start_node_id}), \
          (end:__KGBuilder__ {__tmp_internal_id: row.end_node_id}) \
    WITH start, end, row \
    CALL apoc.merge.relationship(start, row.type, {}, row.properties, end, row.properties) YIELD rel  \
    WITH rel, row \
    CALL (rel,row) {  \
    WITH rel, row WHERE row.embedding_properties IS NOT NULL \
    UNWIND keys(row.embedding_properties) as emb \
    CALL db.create.setRelationshipVectorProperty(rel, emb, row.embedding_properties[emb]) \
    } \
    RETURN elementId(rel)";

/// `db_cleaning_query(support_variable_scope_clause=True, batch_size=2)`.
const CLEAN: &str = "MATCH (n:__KGBuilder__) \
    WHERE n.__tmp_internal_id IS NOT NULL \
    CALL (n) {     SET n.__tmp_internal_id = NULL } \
    IN TRANSACTIONS OF 2 ROWS ON ERROR CONTINUE";

fn node_rows() -> V {
    list(&[
        map(&[
            ("id", s("0")),
            ("labels", list(&[s("Person"), s("__Entity__")])),
            (
                "properties",
                map(&[("name", s("Ann")), ("born", V::Int(1980))]),
            ),
            (
                "embedding_properties",
                map(&[(
                    "embedding",
                    list(&[V::Float(0.25), V::Int(1), V::Float(-0.5)]),
                )]),
            ),
        ]),
        map(&[
            ("id", s("1")),
            ("labels", list(&[s("Organization"), s("__Entity__")])),
            ("properties", map(&[("name", s("Acme"))])),
            ("embedding_properties", V::Null),
        ]),
        map(&[
            ("id", s("2")),
            ("labels", list(&[s("Chunk")])),
            ("properties", map(&[("text", s("Ann works at Acme."))])),
            ("embedding_properties", V::Null),
        ]),
    ])
}

#[test]
fn neo4j_graphrag_writer_templates_build_the_graph() {
    writer_templates(UPSERT_NODES);
}

#[test]
fn neo4j_graphrag_writer_templates_with_dynamic_labels() {
    writer_templates(UPSERT_NODES_DYNAMIC);
}

fn writer_templates(upsert_nodes: &str) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    // The writer's set-up (`_db_setup`).
    db.execute(
        "CREATE INDEX __entity__tmp_internal_id IF NOT EXISTS FOR (n:__KGBuilder__) ON (n.__tmp_internal_id)",
        &Params::new(),
    )
    .unwrap();

    let r = db
        .execute(upsert_nodes, &params(&[("rows", node_rows())]))
        .unwrap();
    assert_eq!(r.columns(), ["element_id"]);
    let ids: Vec<String> = r
        .rows()
        .iter()
        .map(|row| match &row[0] {
            V::String(id) => id.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids.len(), 3, "one row per node, embedding or not");

    let read = db.begin_read().unwrap();
    let by_tmp_id = |id: &str| {
        read.nodes_with_label("__KGBuilder__")
            .unwrap()
            .into_iter()
            .map(|n| read.node(n).unwrap().unwrap())
            .find(|n| n.props.get("__tmp_internal_id") == Some(&Value::String(id.to_owned())))
            .unwrap()
    };
    let ann = by_tmp_id("0");
    assert_eq!(ann.labels, ["Person", "__Entity__", "__KGBuilder__"]);
    assert_eq!(ann.props["name"], Value::String("Ann".to_owned()));
    assert_eq!(
        ann.props["embedding"],
        Value::List(vec![
            Value::Float(0.25),
            Value::Float(1.0),
            Value::Float(-0.5)
        ])
    );
    let acme = by_tmp_id("1");
    assert_eq!(acme.labels, ["Organization", "__Entity__", "__KGBuilder__"]);
    assert!(!acme.props.contains_key("embedding"));
    // The returned element ids find the nodes again.
    let found = db
        .execute(
            "MATCH (n) WHERE elementId(n) = $id RETURN n.name AS name",
            &params(&[("id", s(&ids[0]))]),
        )
        .unwrap();
    assert_eq!(rows(&found), vec![vec![s("Ann")]]);
    drop(read);

    // Relationships, written twice: merged, not duplicated; the second
    // write's properties win (they are both the create and match maps).
    let rel_rows = |since: i64| {
        list(&[map(&[
            ("start_node_id", s("0")),
            ("end_node_id", s("1")),
            ("type", s("WORKS_AT")),
            ("properties", map(&[("since", V::Int(since))])),
            (
                "embedding_properties",
                map(&[("embedding", list(&[V::Float(1.0), V::Float(0.0)]))]),
            ),
        ])])
    };
    for since in [2019, 2021] {
        let r = db
            .execute(UPSERT_RELATIONSHIPS, &params(&[("rows", rel_rows(since))]))
            .unwrap();
        assert_eq!(r.rows().len(), 1);
    }
    let read = db.begin_read().unwrap();
    let ann = by_tmp_id_in(&read, "0");
    let edges = read.edges(ann, Direction::Out, None).unwrap();
    assert_eq!(edges.len(), 1, "{edges:?}");
    let edge = read.edge(edges[0].id).unwrap().unwrap();
    assert_eq!(edge.edge_type, "WORKS_AT");
    assert_eq!(edge.props["since"], Value::Int(2021));
    assert_eq!(
        edge.props["embedding"],
        Value::List(vec![Value::Float(1.0), Value::Float(0.0)])
    );
    drop(read);

    // The clean-up removes the temporary ids, batch by batch.
    db.execute(CLEAN, &Params::new()).unwrap();
    let r = db
        .execute(
            "MATCH (n:__KGBuilder__) WHERE n.__tmp_internal_id IS NOT NULL RETURN count(n) AS n",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(0)]]);
}

fn by_tmp_id_in(read: &quiverdb::ReadTxn<'_>, id: &str) -> quiverdb::NodeId {
    read.nodes_with_label("__KGBuilder__")
        .unwrap()
        .into_iter()
        .find(|&n| {
            read.node(n)
                .unwrap()
                .unwrap()
                .props
                .get("__tmp_internal_id")
                == Some(&Value::String(id.to_owned()))
        })
        .unwrap()
}

#[test]
fn apoc_merge_node_and_set_labels() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let merge = "UNWIND $rows AS row \
        CALL apoc.merge.node([row.label], {id: row.id}, {created: true}, {matched: true}) \
        YIELD node RETURN id(node) AS node";
    let batch = list(&[
        map(&[("label", s("Person")), ("id", V::Int(1))]),
        map(&[("label", s("Person")), ("id", V::Int(1))]),
        map(&[("label", s("Company")), ("id", V::Int(1))]),
    ]);
    let r = db.execute(merge, &params(&[("rows", batch)])).unwrap();
    // The second row finds the node the first made; another label is
    // another node.
    let got = rows(&r);
    assert_eq!(got[0], got[1]);
    assert_ne!(got[0], got[2]);
    let r = db
        .execute(
            "MATCH (n) RETURN labels(n) AS l, n.id AS id, n.created AS c, n.matched AS m \
             ORDER BY l",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![
            vec![list(&[s("Company")]), V::Int(1), V::Bool(true), V::Null],
            vec![
                list(&[s("Person")]),
                V::Int(1),
                V::Bool(true),
                V::Bool(true)
            ],
        ]
    );
    let r = db
        .execute(
            "MATCH (n:Person) CALL apoc.create.setLabels(n, ['Human', 'Known']) YIELD node \
             RETURN labels(node) AS labels",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(rows(&r), vec![vec![list(&[s("Human"), s("Known")])]]);

    // Bad arguments are typed errors and write nothing.
    let cases: [(&str, ErrorKind); 4] = [
        (
            "CALL apoc.merge.node('Person', 5) YIELD node RETURN node",
            ErrorKind::TypeError,
        ),
        (
            "CALL apoc.merge.node([''], {id: 1}) YIELD node RETURN node",
            ErrorKind::ArgumentError,
        ),
        (
            "MATCH (n:Human) CALL db.create.setNodeVectorProperty(n, 'v', [1, 'x']) RETURN n",
            ErrorKind::TypeError,
        ),
        (
            "MATCH (n:Human) CALL db.create.setNodeVectorProperty(n, 'v', 3) RETURN n",
            ErrorKind::TypeError,
        ),
    ];
    for (text, kind) in cases {
        let e = db.execute(text, &Params::new()).unwrap_err();
        assert_eq!(e.kind, kind, "{text}: {e}");
    }
    let r = db
        .execute("MATCH (n) RETURN count(n) AS n", &Params::new())
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(2)]]);
}

/// `apoc.create.node` / `apoc.create.relationship`: CREATE with labels,
/// a type and properties given at run time, one per row.
#[test]
fn apoc_create_node_and_relationship() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let batch = list(&[
        map(&[
            ("labels", list(&[s("Person"), s("Author")])),
            ("name", s("Ann")),
        ]),
        map(&[("labels", s("Person")), ("name", s("Bob"))]),
    ]);
    let r = db
        .execute(
            "UNWIND $rows AS row CALL apoc.create.node(row.labels, {name: row.name, gone: null}) \
             YIELD node RETURN node.name AS name, labels(node) AS labels ORDER BY name",
            &params(&[("rows", batch)]),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![
            // In the order CREATE (n:Person:Author) lists them.
            vec![s("Ann"), list(&[s("Author"), s("Person")])],
            vec![s("Bob"), list(&[s("Person")])],
        ]
    );
    let r = db
        .execute(
            "MATCH (a {name: 'Ann'}), (b {name: 'Bob'}) \
             CALL apoc.create.relationship(a, $type, {since: 2020}, b) YIELD rel \
             RETURN type(rel) AS t, rel.since AS since, startNode(rel).name AS from, endNode(rel).name AS to",
            &params(&[("type", s("KNOWS"))]),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![vec![s("KNOWS"), V::Int(2020), s("Ann"), s("Bob")]]
    );
    // A second call makes a second relationship (CREATE, not MERGE).
    db.execute(
        "MATCH (a {name: 'Ann'}), (b {name: 'Bob'}) \
         CALL apoc.create.relationship(a, 'KNOWS', {}, b) YIELD rel RETURN rel",
        &Params::new(),
    )
    .unwrap();
    let r = db
        .execute(
            "MATCH (n) RETURN count(n) AS n, COUNT { ()-[:KNOWS]->() } AS k, \
             COUNT { (n WHERE n.gone IS NOT NULL) } AS gone",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(rows(&r)[0][..2], [V::Int(2), V::Int(2)]);
    for (text, kind) in [
        (
            "CALL apoc.create.node('Person', 5) YIELD node RETURN node",
            ErrorKind::TypeError,
        ),
        (
            "MATCH (a {name: 'Ann'}) CALL apoc.create.relationship(a, '', {}, a) YIELD rel RETURN rel",
            ErrorKind::ArgumentError,
        ),
        (
            "MATCH (a {name: 'Ann'}) CALL apoc.create.relationship(a, 'R', {}, 'Bob') YIELD rel RETURN rel",
            ErrorKind::TypeError,
        ),
    ] {
        let e = db.execute(text, &Params::new()).unwrap_err();
        assert_eq!(e.kind, kind, "{text}: {e}");
    }
    let r = db
        .execute("MATCH ()-[r]->() RETURN count(r)", &Params::new())
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(2)]]);
}

#[test]
fn in_transactions_commits_batch_by_batch_and_handles_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    // Rows 0..7 in batches of 3; the row with x = 4 fails (division by zero),
    // so the batch [3, 4, 5] is rolled back.
    let text = |on_error: &str| {
        format!(
            "UNWIND range(0, 7) AS x \
             CALL (x) {{ CREATE (:Item {{x: x, inverse: 1 / (x - 4)}}) }} \
             IN TRANSACTIONS OF 3 ROWS ON ERROR {on_error} REPORT STATUS AS s \
             RETURN x, s.committed AS committed, s.started AS started"
        )
    };
    let items = |db: &Database| -> Vec<i64> {
        let r = db
            .execute("MATCH (i:Item) RETURN i.x AS x ORDER BY x", &Params::new())
            .unwrap();
        r.rows()
            .iter()
            .map(|row| match row[0] {
                V::Int(x) => x,
                _ => panic!(),
            })
            .collect()
    };
    let r = db.execute(&text("CONTINUE"), &Params::new()).unwrap();
    let status: BTreeMap<i64, (V, V)> = r
        .rows()
        .iter()
        .map(|row| match &row[0] {
            V::Int(x) => (*x, (row[1].clone(), row[2].clone())),
            _ => panic!(),
        })
        .collect();
    assert_eq!(status[&0], (V::Bool(true), V::Bool(true)));
    assert_eq!(status[&4], (V::Bool(false), V::Bool(true)));
    assert_eq!(status[&7], (V::Bool(true), V::Bool(true)));
    assert_eq!(items(&db), vec![0, 1, 2, 6, 7]);

    db.execute("MATCH (i:Item) DELETE i", &Params::new())
        .unwrap();
    let r = db.execute(&text("BREAK"), &Params::new()).unwrap();
    assert_eq!(r.rows().len(), 8, "every row is kept");
    assert_eq!(items(&db), vec![0, 1, 2], "nothing after the failed batch");
    let last = r.rows().last().unwrap();
    assert_eq!((&last[1], &last[2]), (&V::Bool(false), &V::Bool(false)));

    // FAIL (the default): the statement fails; the batch before stays.
    db.execute("MATCH (i:Item) DELETE i", &Params::new())
        .unwrap();
    let e = db
        .execute(
            "UNWIND range(0, 7) AS x CALL (x) { CREATE (:Item {x: x, inverse: 1 / (x - 4)}) } \
             IN TRANSACTIONS OF 3 ROWS",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ArithmeticError, "{e}");
    assert_eq!(items(&db), vec![0, 1, 2]);

    // Not in an explicit transaction: it would commit the caller's work.
    let mut w = db.begin_write().unwrap();
    let e = w
        .query(
            "UNWIND [1] AS x CALL (x) { CREATE (:Item {x: x}) } IN TRANSACTIONS",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::SemanticError, "{e}");
    w.commit().unwrap();
    assert_eq!(items(&db), vec![0, 1, 2]);

    // A batch size that is not a positive integer.
    let e = db
        .execute(
            "UNWIND [1] AS x CALL (x) { CREATE (:Item {x: x}) } IN TRANSACTIONS OF 0 ROWS",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ArgumentError, "{e}");
    // REPORT STATUS needs ON ERROR CONTINUE or BREAK.
    let e = db
        .execute(
            "UNWIND [1] AS x CALL (x) { CREATE (:Item {x: x}) } IN TRANSACTIONS REPORT STATUS AS s RETURN s",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::SyntaxError, "{e}");
}

#[test]
fn dynamic_labels_are_set_and_removed_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute(
        "UNWIND [['A', 'B'], ['C']] AS ls CREATE (n:Item {ls: ls}) SET n:$(ls), n.seen = true",
        &Params::new(),
    )
    .unwrap();
    let r = db
        .execute(
            "MATCH (n:Item) RETURN labels(n) AS labels, n.seen AS seen ORDER BY size(labels) DESC",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![
            vec![list(&[s("A"), s("B"), s("Item")]), V::Bool(true)],
            vec![list(&[s("C"), s("Item")]), V::Bool(true)],
        ]
    );
    db.execute(
        "MATCH (n:Item) REMOVE n:$(n.ls[0]):Item SET n:`Done`:$('Z')",
        &Params::new(),
    )
    .unwrap();
    let r = db
        .execute(
            "MATCH (n:Done) RETURN labels(n) AS labels ORDER BY size(labels) DESC",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows(&r),
        vec![
            vec![list(&[s("B"), s("Done"), s("Z")])],
            vec![list(&[s("Done"), s("Z")])],
        ]
    );
    // A label that is not a non-empty string: a typed error, nothing written.
    for bad in ["5", "''", "['A', null]"] {
        let e = db
            .execute(&format!("MATCH (n:Done) SET n:$({bad})"), &Params::new())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::TypeError, "{bad}: {e}");
    }
    // Not a label expression: a syntax error at the spot.
    let e = db
        .execute("MATCH (n) SET n:$()", &Params::new())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::SyntaxError, "{e}");
    let r = db
        .execute("MATCH (n:A) RETURN count(n) AS n", &Params::new())
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(0)]]);
}

#[test]
fn foreach_runs_its_updates_per_element_and_keeps_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let none = Params::new();
    db.execute(
        "CREATE (:Person {name: 'Ann'})-[:KNOWS]->(:Person {name: 'Bob'})-[:KNOWS]->(:Person {name: 'Cid'})",
        &none,
    )
    .unwrap();
    // Per element, with the row's variables in scope; rows pass unchanged.
    let r = db
        .execute(
            "MATCH (p:Person) FOREACH (x IN range(1, 2) | CREATE (p)-[:HAS]->(:Item {x: x, of: p.name})) \
             RETURN count(*) AS rows",
            &none,
        )
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(3)]]);
    let r = db
        .execute(
            "MATCH (p)-[:HAS]->(i:Item) RETURN p.name AS p, collect(i.x) AS xs ORDER BY p",
            &none,
        )
        .unwrap();
    let xs = list(&[V::Int(1), V::Int(2)]);
    assert_eq!(
        rows(&r),
        vec![
            vec![s("Ann"), xs.clone()],
            vec![s("Bob"), xs.clone()],
            vec![s("Cid"), xs]
        ]
    );
    // Over a path's nodes, nested, and over null (nothing to do).
    db.execute(
        "MATCH p = (:Person {name: 'Ann'})-[:KNOWS*]->(:Person {name: 'Cid'}) \
         FOREACH (n IN nodes(p) | SET n.on_path = true \
           FOREACH (k IN [n.name] | MERGE (:Seen {name: k}))) \
         FOREACH (z IN null | CREATE (:Never))",
        &none,
    )
    .unwrap();
    let r = db
        .execute(
            "MATCH (n:Person) WHERE n.on_path RETURN count(n) AS n",
            &none,
        )
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(3)]]);
    let r = db
        .execute("MATCH (n:Seen) RETURN count(n) AS n", &none)
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(3)]]);
    let r = db
        .execute("MATCH (n:Never) RETURN count(n) AS n", &none)
        .unwrap();
    assert_eq!(rows(&r), vec![vec![V::Int(0)]]);

    for text in [
        // Only updating clauses inside.
        "FOREACH (x IN [1] | MATCH (n) SET n.x = x)",
        // The variable is new.
        "MATCH (n) FOREACH (n IN [1] | CREATE (:T))",
        // The list and the bar.
        "FOREACH (x IN [1] CREATE (:T))",
        "FOREACH (x [1] | CREATE (:T))",
    ] {
        let e = db.execute(text, &none).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SyntaxError, "{text}: {e}");
    }
}

/// A pattern's property may hold an expression with variables of its own
/// (a list comprehension, `reduce`, a quantifier, a pattern), as writers
/// normalise lists in `CREATE (n {tags: [t IN $tags | toLower(t)]})`:
/// it sees the variables bound before the clause, and the clause's own
/// variables do not hide its.
#[test]
fn expressions_with_their_own_variables_work_inside_pattern_properties() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let p = params(&[("tags", list(&[s("Rust"), s("Graph")]))]);
    let run = |statement: &str| {
        rows(
            &db.execute(statement, &p)
                .unwrap_or_else(|e| panic!("{statement}: {e}")),
        )
    };
    assert_eq!(
        run("UNWIND [1, 2] AS i \
             CREATE (a:Doc {tags: [t IN $tags | toLower(t)], n: reduce(s = 0, x IN range(1, i) | s + x)})-[r:HAS {odd: [x IN range(1, 5) WHERE x % 2 = 1]}]->(b:Tag {all: all(t IN $tags WHERE size(t) > 3), i: i}) \
             RETURN a.tags, a.n, r.odd, b.all, b.i"),
        [
            vec![
                list(&[s("rust"), s("graph")]),
                V::Int(1),
                list(&[V::Int(1), V::Int(3), V::Int(5)]),
                V::Bool(true),
                V::Int(1)
            ],
            vec![
                list(&[s("rust"), s("graph")]),
                V::Int(3),
                list(&[V::Int(1), V::Int(3), V::Int(5)]),
                V::Bool(true),
                V::Int(2)
            ],
        ]
    );
    // MERGE and MATCH read the same properties.
    assert_eq!(
        run("MERGE (a:Doc {n: reduce(s = 0, x IN [1, 2] | s + x)}) RETURN count(a)"),
        [[V::Int(1)]]
    );
    assert_eq!(
        run(
            "MATCH (a:Doc {tags: [t IN $tags | toLower(t)]})-[:HAS]->(b:Tag) RETURN b.i ORDER BY b.i"
        ),
        [[V::Int(1)], [V::Int(2)]]
    );
    assert_eq!(
        run(
            "MATCH (b:Tag {i: 1}) CREATE (c:Copy {linked: exists((b)<--()), i: [x IN [b.i] | x + 10][0]}) RETURN c.linked, c.i"
        ),
        [[V::Bool(true), V::Int(11)]]
    );
}
