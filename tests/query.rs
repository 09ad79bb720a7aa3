//! Cypher statements on a database: read and write transactions,
//! `Database::execute`, graph values in results, rollback of a failed
//! statement, index lookups that agree with scans.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::time::Duration;

use quiverdb::query::{CypherValue as V, ErrorKind, Params, Phase, QueryOptions, QueryResult};
use quiverdb::{Database, GraphRead};

fn params(pairs: &[(&str, V)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn column(r: &QueryResult, i: usize) -> Vec<V> {
    r.rows().iter().map(|row| row[i].clone()).collect()
}

/// curl -> libssl3, libz; libssl3 -> libc6; libz -> libc6; wget -> libssl3.
fn packages(db: &Database) {
    db.execute(
        "CREATE (curl:Package {name: 'curl', size: 500}),
                (wget:Package {name: 'wget', size: 900}),
                (ssl:Package:Library {name: 'libssl3', size: 3000}),
                (z:Package:Library {name: 'libz', size: 100}),
                (c:Package:Library {name: 'libc6', size: 12000}),
                (curl)-[:DEPENDS {optional: false}]->(ssl),
                (curl)-[:DEPENDS]->(z),
                (wget)-[:DEPENDS]->(ssl),
                (ssl)-[:DEPENDS]->(c),
                (z)-[:DEPENDS]->(c),
                (wget)-[:RECOMMENDS]->(curl)",
        &Params::new(),
    )
    .unwrap();
}

#[test]
fn statements_read_the_graph_and_return_graph_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    packages(&db);
    let r = db.begin_read().unwrap();

    // Two hops with a filter and an aggregation.
    let res = r
        .query(
            "MATCH (p:Package {name: $name})-[:DEPENDS]->()-[:DEPENDS]->(d)
             WHERE d.size > 1000
             RETURN d.name AS dep, count(*) AS paths",
            &params(&[("name", "curl".into())]),
        )
        .unwrap();
    assert_eq!(res.columns(), ["dep", "paths"]);
    assert_eq!(res.rows(), [vec![V::from("libc6"), V::Int(2)]]);

    // Variable length, distinct ends.
    let res = r
        .query(
            "MATCH (:Package {name: 'wget'})-[:DEPENDS|RECOMMENDS*1..3]->(d)
             RETURN count(DISTINCT d) AS n",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(res.rows(), [vec![V::Int(4)]]);

    // Nodes come back with their labels and properties.
    let res = r
        .query("MATCH (n:Library {name: 'libz'}) RETURN n", &Params::new())
        .unwrap();
    let V::Node(n) = &res.rows()[0][0] else {
        panic!("not a node: {:?}", res.rows()[0][0]);
    };
    assert_eq!(n.labels, ["Library", "Package"]);
    assert_eq!(n.properties["size"], V::Int(100));

    // A shortest path, as a path value.
    let res = r
        .query(
            "MATCH (a:Package {name: 'wget'}), (b:Package {name: 'libc6'})
             MATCH p = shortestPath((a)-[:DEPENDS*]->(b))
             RETURN length(p) AS hops, [x IN nodes(p) | x.name] AS names, p",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(res.rows()[0][0], V::Int(2));
    assert_eq!(
        res.rows()[0][1],
        V::List(vec!["wget".into(), "libssl3".into(), "libc6".into()])
    );
    let V::Path(p) = &res.rows()[0][2] else {
        panic!("not a path");
    };
    assert_eq!(p.relationships.len(), 2);
    assert!(p.relationships.iter().all(|r| r.rel_type == "DEPENDS"));

    // OPTIONAL MATCH keeps rows without a match; pattern predicates.
    let res = r
        .query(
            "MATCH (p:Package) WHERE NOT (p)<-[:DEPENDS]-()
             OPTIONAL MATCH (p)-[:RECOMMENDS]->(q)
             RETURN p.name AS name, q.name AS recommends ORDER BY name",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(column(&res, 0), [V::from("curl"), V::from("wget")]);
    assert_eq!(column(&res, 1), [V::Null, V::from("curl")]);
}

#[test]
fn a_read_transaction_refuses_writes_and_execute_commits_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    packages(&db);
    let r = db.begin_read().unwrap();
    let e = r
        .query("MATCH (n:Package) SET n.seen = true", &Params::new())
        .unwrap_err();
    assert_eq!(
        (e.kind, e.phase, e.detail),
        (
            ErrorKind::SemanticError,
            Phase::Compile,
            "ReadOnlyTransaction"
        )
    );
    drop(r);
    let res = db
        .execute(
            "MATCH (n:Library) SET n.seen = true RETURN count(n) AS n",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(res.rows(), [vec![V::Int(3)]]);
    let res = db
        .execute(
            "MATCH (n:Package) WHERE n.seen RETURN n.name AS name ORDER BY name",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        column(&res, 0),
        [V::from("libc6"), V::from("libssl3"), V::from("libz")]
    );
    // DELETE without DETACH refuses a node that still has relationships.
    let e = db
        .execute("MATCH (n:Package {name: 'libc6'}) DELETE n", &Params::new())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ConstraintVerificationFailed);
    db.execute(
        "MATCH (n:Package {name: 'libc6'}) DETACH DELETE n",
        &Params::new(),
    )
    .unwrap();
    let r = db.begin_read().unwrap();
    assert_eq!(r.nodes_with_label("Library").unwrap().len(), 2);
}

#[test]
fn a_failed_statement_leaves_its_transaction_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let mut w = db.begin_write().unwrap();
        w.query("CREATE (:Kept {v: 1})", &Params::new()).unwrap();
        // The first row creates a node with a new label and a new
        // property key, the second divides by zero: nothing of it stays.
        let e = w
            .query(
                "UNWIND [1, 0] AS x CREATE (:Fresh {only_here: 1 / x})",
                &Params::new(),
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ArithmeticError);
        assert!(w.nodes_with_label("Fresh").unwrap().is_empty());
        // Names interned after the rollback get ids of their own.
        w.query("CREATE (:Other {v: 2})", &Params::new()).unwrap();
        w.commit().unwrap();
        db.close().unwrap();
    }
    let db = Database::open(dir.path()).unwrap();
    let res = db
        .execute(
            "MATCH (n) RETURN labels(n) AS labels, keys(n) AS keys, n.v AS v ORDER BY v",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        res.rows(),
        [
            vec![
                V::List(vec!["Kept".into()]),
                V::List(vec!["v".into()]),
                V::Int(1)
            ],
            vec![
                V::List(vec!["Other".into()]),
                V::List(vec!["v".into()]),
                V::Int(2)
            ],
        ]
    );
}

#[test]
fn index_lookups_find_what_scans_find() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute(
        "UNWIND range(1, 50) AS i CREATE (:Item {v: i % 5, f: toFloat(i % 5), name: 'n' + toString(i)})",
        &Params::new(),
    )
    .unwrap();
    let queries = [
        "MATCH (n:Item {v: 3}) RETURN count(n) AS c",
        "MATCH (n:Item {v: 3.0}) RETURN count(n) AS c",
        "MATCH (n:Item {f: 3}) RETURN count(n) AS c",
        "MATCH (n:Item {name: 'n7'}) RETURN count(n) AS c",
        "MATCH (n:Item {v: null}) RETURN count(n) AS c",
    ];
    let scanned: Vec<QueryResult> = queries
        .iter()
        .map(|q| db.execute(q, &Params::new()).unwrap())
        .collect();
    assert_eq!(scanned[0].rows(), [vec![V::Int(10)]]);
    assert_eq!(scanned[1].rows(), [vec![V::Int(10)]]);
    assert_eq!(scanned[2].rows(), [vec![V::Int(10)]]);
    assert_eq!(scanned[3].rows(), [vec![V::Int(1)]]);
    assert_eq!(scanned[4].rows(), [vec![V::Int(0)]]);
    let mut w = db.begin_write().unwrap();
    w.create_index("Item", "v").unwrap();
    w.create_index("Item", "f").unwrap();
    w.create_unique_key("Item", "name").unwrap();
    w.commit().unwrap();
    for (q, before) in queries.iter().zip(&scanned) {
        assert_eq!(&db.execute(q, &Params::new()).unwrap(), before, "{q}");
    }
    let e = db
        .execute("CREATE (:Item {name: 'n7'})", &Params::new())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ConstraintVerificationFailed);
    // EXPLAIN's row estimate: a unique key's value is one node, an
    // indexed value the label's 50 nodes over the key's 5 distinct values.
    for (q, rows) in [
        (
            "EXPLAIN MATCH (n:Item {name: 'n7'}) RETURN n",
            "about 1 per input row",
        ),
        (
            "EXPLAIN MATCH (n:Item {v: 3}) RETURN n",
            "about 10 per input row",
        ),
    ] {
        let plan = db.execute(q, &Params::new()).unwrap();
        let details = &plan.plan().unwrap()[0].details;
        assert!(
            details.contains(&format!("estimated rows: {rows}")),
            "{details}"
        );
    }
}

#[test]
fn procedures_search_vectors_and_run_kernels_inside_statements() {
    use quiverdb::props;
    use quiverdb::vector::{CollectionConfig, Metric};
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    packages(&db);
    let mut w = db.begin_write().unwrap();
    w.create_collection(
        "descriptions",
        CollectionConfig::new(2, Metric::Cosine).bound_to_nodes(),
    )
    .unwrap();
    // Each package's vector points at an angle of its own.
    for (i, name) in ["curl", "wget", "libssl3", "libz", "libc6"]
        .iter()
        .enumerate()
    {
        let found = w
            .query(
                "MATCH (p:Package {name: $n}) RETURN id(p) AS id",
                &params(&[("n", (*name).into())]),
            )
            .unwrap();
        let V::Int(id) = found.rows()[0][0] else {
            panic!("no id");
        };
        let a = i as f32 * 0.3;
        w.upsert_vector("descriptions", id as u64, &[a.cos(), a.sin()], props! {})
            .unwrap();
    }
    w.commit().unwrap();
    let curl = params(&[("q", V::List(vec![V::Float(1.0), V::Float(0.0)]))]);
    // kNN, then expand.
    let res = db
        .execute(
            "CALL db.index.vector.queryNodes('descriptions', 2, $q) YIELD node, score
             MATCH (node)-[:DEPENDS]->(d)
             RETURN node.name AS name, count(d) AS deps ORDER BY name",
            &curl,
        )
        .unwrap();
    assert_eq!(
        res.rows(),
        [
            vec![V::from("curl"), V::Int(2)],
            vec![V::from("wget"), V::Int(1)]
        ]
    );
    // Expand, then kNN among the matched nodes only.
    let res = db
        .execute(
            "MATCH (:Package {name: 'curl'})-[:DEPENDS*1..2]->(d)
             WITH collect(DISTINCT d) AS near
             CALL db.index.vector.queryNodes('descriptions', 1, $q, near) YIELD node
             RETURN node.name AS name",
            &curl,
        )
        .unwrap();
    assert_eq!(res.rows(), [vec![V::from("libssl3")]]);
    // The kernels as procedures.
    let res = db
        .execute(
            "CALL algo.wcc() YIELD node, component RETURN count(DISTINCT component) AS n",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(res.rows(), [vec![V::Int(1)]]);
    let res = db
        .execute(
            "MATCH (s:Package {name: 'wget'}) CALL algo.bfs(s) YIELD node, depth
             RETURN node.name AS name, depth ORDER BY depth, name",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(res.rows().len(), 5);
    assert_eq!(res.rows()[3], vec![V::from("libc6"), V::Int(2)]);
    assert_eq!(res.rows()[4], vec![V::from("libz"), V::Int(2)]);
    let e = db.execute("CALL db.nothing()", &Params::new()).unwrap_err();
    assert_eq!(e.detail, "ProcedureNotFound");
}

#[test]
fn counted_aggregations_agree_with_enumerated_ones_across_commits() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    packages(&db);
    // The first counts the anonymous hop (projection and columns on a
    // snapshot); the second names the relationship, so enumerates it.
    let counted = "MATCH (p:Package)<-[:DEPENDS]-() RETURN p.name AS name, count(*) AS n ORDER BY n DESC, name";
    let listed = "MATCH (p:Package)<-[r:DEPENDS]-() RETURN p.name AS name, count(r) AS n ORDER BY n DESC, name";
    // Whole-label reads on a snapshot use the label's cached members and
    // property columns; inside a write transaction they read records.
    let whole = [
        "MATCH (p:Package) RETURN count(*) AS n, max(p.name) AS last, sum(p.size) AS size",
        "MATCH (p:Package) WHERE p.size > 200 RETURN p.name AS name ORDER BY name",
        "MATCH (p:Package)-[:DEPENDS]->(d) RETURN d.name AS name, collect(p.name) AS users ORDER BY name",
        "MATCH (p:Package) RETURN p.size IS NULL AS unsized, count(*) AS n ORDER BY unsized",
    ];
    for round in 0..3 {
        let a = db.execute(counted, &Params::new()).unwrap();
        let b = db.execute(listed, &Params::new()).unwrap();
        assert_eq!(a, b, "round {round}");
        let on_snapshot: Vec<_> = whole
            .iter()
            .map(|q| db.execute(q, &Params::new()).unwrap())
            .collect();
        // Inside a write transaction (no projection, its own view).
        let mut w = db.begin_write().unwrap();
        for (q, expected) in whole.iter().zip(&on_snapshot) {
            assert_eq!(&w.query(q, &Params::new()).unwrap(), expected, "{q}");
        }
        let i = params(&[("i", V::Int(round))]);
        w.query(
            "MATCH (p:Package {name: 'libc6'}) CREATE (:Package {name: 'x' + toString($i)})-[:DEPENDS]->(p)",
            &i,
        )
        .unwrap();
        // A new package with a dependent (a new member of the label with
        // a count), nodes without the property between (ids of the name
        // column spread apart), a package deleted and one unlabelled.
        w.query(
            "UNWIND range(1, 20) AS k CREATE (:Filler {k: k})
             WITH count(*) AS made
             CREATE (:Package {name: 'y' + toString($i)})<-[:DEPENDS]-(:Package {name: 'z' + toString($i)})",
            &i,
        )
        .unwrap();
        match round {
            1 => w.query(
                "MATCH (n:Package {name: 'libssl3'}) DETACH DELETE n",
                &Params::new(),
            ),
            2 => w.query(
                "MATCH (n:Package {name: 'y0'}) REMOVE n:Package",
                &Params::new(),
            ),
            _ => w.query("RETURN 1", &Params::new()),
        }
        .unwrap();
        let a = w.query(counted, &Params::new()).unwrap();
        let b = w.query(listed, &Params::new()).unwrap();
        assert_eq!(a, b, "round {round}, in the transaction");
        w.commit().unwrap();
    }
    let top = db.execute(counted, &Params::new()).unwrap();
    assert_eq!(top.rows()[0], vec![V::from("libc6"), V::Int(4)]);
    let names: Vec<V> = column(&top, 0);
    assert!(names.contains(&V::from("y2")) && names.contains(&V::from("y1")));
    assert!(!names.contains(&V::from("y0")) && !names.contains(&V::from("libssl3")));
}

#[test]
fn subquery_expressions_read_from_the_current_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    packages(&db);
    let res = db
        .execute(
            "MATCH (p:Package)
             WHERE EXISTS { MATCH (p)-[:DEPENDS]->(d) WHERE d.size > 5000 }
             RETURN p.name AS name,
                    COUNT { (p)-[:DEPENDS]->() } AS deps,
                    COLLECT { MATCH (p)-[:DEPENDS]->(d) RETURN d.name ORDER BY d.name } AS names
             ORDER BY name",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        res.rows(),
        [
            vec![
                V::from("libssl3"),
                V::Int(1),
                V::List(vec![V::from("libc6")])
            ],
            vec![V::from("libz"), V::Int(1), V::List(vec![V::from("libc6")])],
        ]
    );
    let e = db
        .execute(
            "MATCH (p) WHERE EXISTS { MATCH (p)-->(q) SET q.x = 1 } RETURN p",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(
        (e.kind, e.detail),
        (ErrorKind::SyntaxError, "InvalidClauseComposition")
    );
}

#[test]
fn explain_describes_and_profile_measures_each_step() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    packages(&db);
    let text =
        "MATCH (p:Package {name: 'curl'})-[:DEPENDS]->(d) RETURN d.name AS name ORDER BY name";
    let explained = db
        .execute(&format!("EXPLAIN {text}"), &Params::new())
        .unwrap();
    assert!(explained.rows().is_empty());
    let plan = explained.plan().unwrap();
    assert_eq!(
        plan.iter().map(|s| s.operator.as_str()).collect::<Vec<_>>(),
        ["Match", "Project"]
    );
    assert!(plan[0].details.contains("lookup on :Package"), "{plan:?}");
    assert!(plan.iter().all(|s| s.rows.is_none()));
    // EXPLAIN of a write runs nothing, even on a snapshot.
    let r = db.begin_read().unwrap();
    r.query("EXPLAIN MATCH (n) DETACH DELETE n", &Params::new())
        .unwrap();
    drop(r);
    assert_eq!(
        db.execute("MATCH (n) RETURN count(n) AS n", &Params::new())
            .unwrap()
            .rows(),
        [vec![V::Int(5)]]
    );
    let profiled = db
        .execute(&format!("profile\n{text}"), &Params::new())
        .unwrap();
    assert_eq!(profiled.rows().len(), 2);
    let steps = profiled.plan().unwrap();
    assert_eq!(steps[0].rows, Some(2));
    assert_eq!(steps[1].rows, Some(2));
    assert!(
        steps
            .iter()
            .all(|s| s.elapsed_ms.is_some_and(|ms| ms >= 0.0))
    );
    // A LIMIT on a plain projection stops the match early: the match
    // finds only the rows the projection returns.
    db.execute(
        "UNWIND range(1, 3000) AS i CREATE (:Item {i: i})",
        &Params::new(),
    )
    .unwrap();
    for text in [
        "PROFILE MATCH (n) RETURN n LIMIT 3",
        "PROFILE MATCH (n:Item) RETURN n.i AS i SKIP 2 LIMIT 1",
    ] {
        let profiled = db.execute(text, &Params::new()).unwrap();
        let steps = profiled.plan().unwrap();
        assert_eq!(steps[0].rows, Some(3), "{text}: {steps:?}");
        assert!(profiled.rows().len() <= 3);
    }
    // Without a LIMIT every match is found.
    let all = db
        .execute(
            "PROFILE MATCH (n:Item) RETURN count(*) AS n",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(all.plan().unwrap()[0].rows, Some(3000));
    // Storage reads per step: a label scan passes each member's entry; a
    // step that only folds rows reads nothing; a stopped match reads a
    // few entries, not the label.
    let scan = db
        .execute(
            "PROFILE MATCH (n:Item) WHERE n.i > 2990 RETURN n.i AS i",
            &Params::new(),
        )
        .unwrap();
    let steps = scan.plan().unwrap();
    let reads = steps[0].reads.unwrap();
    assert!(reads.seeks >= 1 && reads.entries >= 3000, "{steps:?}");
    assert_eq!(steps[1].reads.map(|r| r.entries), Some(0), "{steps:?}");
    let stopped = db
        .execute("PROFILE MATCH (n:Item) RETURN n LIMIT 3", &Params::new())
        .unwrap();
    let reads = stopped.plan().unwrap()[0].reads.unwrap();
    assert!(reads.entries < 100, "{reads:?}");
    assert!(
        db.execute("EXPLAIN MATCH (n) RETURN n", &Params::new())
            .unwrap()
            .plan()
            .unwrap()
            .iter()
            .all(|s| s.reads.is_none())
    );
    // A syntax error after PROFILE is placed in the text as given.
    let e = db
        .execute("PROFILE RETURN 1 +", &Params::new())
        .unwrap_err();
    assert_eq!(e.position.map(|(line, _)| line), Some(1));
}

/// `n` nodes `(:Item {i})`, `i` from 0, created in one statement.
fn items(db: &Database, n: i64) {
    db.execute(
        "UNWIND range(0, $n - 1) AS i CREATE (:Item {i: i})",
        &params(&[("n", V::Int(n))]),
    )
    .unwrap();
}

#[test]
fn rows_stream_as_they_are_pulled() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    items(&db, 5000);
    let r = db.begin_read().unwrap();
    let none = Params::new();
    let options = QueryOptions::default();
    // Row 4000 divides by zero: the rows before it are produced first,
    // and a consumer that stops early never reaches it.
    let text = "MATCH (n:Item) RETURN 10 / (n.i - 4000) AS q";
    let mut rows = r.stream(text, &none, &options).unwrap();
    assert_eq!(rows.columns(), ["q"]);
    let first: Vec<V> = rows
        .by_ref()
        .take(10)
        .map(|row| row.unwrap()[0].clone())
        .collect();
    assert_eq!(first[0], V::Int(0));
    assert_eq!(first.len(), 10);
    drop(rows);
    let all = r.stream(text, &none, &options).unwrap();
    let results: Vec<_> = all.collect();
    // The error ends the rows; rows of its batch before it may be lost.
    let ok = results.iter().filter(|x| x.is_ok()).count();
    assert!((10..=4000).contains(&ok), "{ok} rows before the error");
    assert_eq!(results.len(), ok + 1);
    let failed = results.last().unwrap().as_ref().unwrap_err();
    assert_eq!(failed.kind, ErrorKind::ArithmeticError);
    assert_eq!(failed.phase, Phase::Runtime);
    assert_eq!(
        r.query(text, &none).unwrap_err().kind,
        ErrorKind::ArithmeticError
    );

    // A LIMIT stops the match: the failing row is never read.
    let limited = r
        .query(
            "MATCH (n:Item) WITH n LIMIT 100 RETURN 10 / (n.i - 4000) AS q",
            &none,
        )
        .unwrap();
    assert_eq!(limited.rows().len(), 100);

    // Aggregations fold batch after batch; min / max fold their values.
    let folded = r
        .query(
            "MATCH (n:Item) WHERE n.i % 2 = 0 RETURN count(*) AS c, min(n.i) AS lo, max(n.i) AS hi, sum(n.i) AS s, count(DISTINCT n.i % 7) AS d",
            &none,
        )
        .unwrap();
    assert_eq!(
        folded.rows(),
        [vec![
            V::Int(2500),
            V::Int(0),
            V::Int(4998),
            V::Int(6_247_500),
            V::Int(7)
        ]]
    );
    // ORDER BY with SKIP and LIMIT over many batches keeps only the rows
    // that can still be returned, and returns the same rows.
    let top = r
        .query(
            "MATCH (n:Item) RETURN n.i % 2500 AS k, n.i AS i ORDER BY k DESC, i SKIP 1 LIMIT 3",
            &none,
        )
        .unwrap();
    assert_eq!(
        top.rows(),
        [
            vec![V::Int(2499), V::Int(4999)],
            vec![V::Int(2498), V::Int(2498)],
            vec![V::Int(2498), V::Int(4998)]
        ]
    );
    // OPTIONAL MATCH, DISTINCT, SKIP and UNION across batches.
    let paged = r
        .query(
            "MATCH (n:Item) OPTIONAL MATCH (n)-[:NEXT]->(m) RETURN DISTINCT n.i % 1500 AS k, m SKIP 1490 LIMIT 20",
            &none,
        )
        .unwrap();
    assert_eq!(
        column(&paged, 0),
        (1490..1500).map(V::Int).collect::<Vec<_>>()
    );
    assert!(column(&paged, 1).iter().all(V::is_null));
    let union = r
        .query(
            "MATCH (n:Item) RETURN n.i % 3 AS k UNION MATCH (n:Item) RETURN n.i % 5 AS k",
            &none,
        )
        .unwrap();
    let mut keys = column(&union, 0);
    keys.sort_by(V::order);
    assert_eq!(keys, (0..5).map(V::Int).collect::<Vec<_>>());
}

/// Writes a `:Kept` node, then runs an endless statement that would
/// write `:Lost` ones with `options`; returns its error.
fn kept_then_lost(
    w: &mut quiverdb::WriteTxn<'_>,
    options: &QueryOptions,
) -> quiverdb::query::QueryError {
    w.query("CREATE (:Kept)", &Params::new()).unwrap();
    w.query_with(
        "MATCH (a:Item), (b:Item), (c:Item) CREATE (:Lost)",
        &Params::new(),
        options,
    )
    .unwrap_err()
}

/// How many `:Kept` and `:Lost` nodes the database holds.
fn kept_and_lost(db: &Database) -> (i64, i64) {
    let r = db
        .execute(
            "OPTIONAL MATCH (k:Kept) WITH count(k) AS kept OPTIONAL MATCH (l:Lost) RETURN kept, count(l) AS lost",
            &Params::new(),
        )
        .unwrap();
    match r.rows() {
        [row] => match (&row[0], &row[1]) {
            (V::Int(kept), V::Int(lost)) => (*kept, *lost),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_statement_counts_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let none = Params::new();
    let counts = |r: &QueryResult| {
        r.updates()
            .named()
            .into_iter()
            .map(|(k, n)| format!("{k}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let made = db
        .execute(
            "CREATE (a:A:B {x: 1, y: 2})-[:R {w: 1}]->(b:C) RETURN a",
            &none,
        )
        .unwrap();
    assert_eq!(
        counts(&made),
        "nodes-created=2 relationships-created=1 properties-set=3 labels-added=3"
    );
    let mut w = db.begin_write().unwrap();
    let set = w
        .query("MATCH (a:A) SET a.x = 5, a:D REMOVE a:B, a.y", &none)
        .unwrap();
    assert_eq!(
        counts(&set),
        "properties-set=2 labels-added=1 labels-removed=1"
    );
    // A failed statement counts nothing and leaves the transaction's
    // counts as they were.
    let before = w.updates();
    w.query("MATCH (a:A) SET a.x = 1 / 0", &none).unwrap_err();
    assert_eq!(w.updates(), before);
    let gone = w.query("MATCH (a:A) DETACH DELETE a", &none).unwrap();
    assert_eq!(counts(&gone), "nodes-deleted=1 relationships-deleted=1");
    assert_eq!(w.updates().nodes_deleted, 1);
    w.commit().unwrap();
    let schema = db
        .execute("CREATE INDEX c_name FOR (c:C) ON (c.name)", &none)
        .unwrap();
    assert_eq!(counts(&schema), "indexes-added=1");
    let unique = db
        .execute(
            "CREATE CONSTRAINT c_key FOR (c:C) REQUIRE c.key IS UNIQUE",
            &none,
        )
        .unwrap();
    assert_eq!(counts(&unique), "constraints-added=1");
    let read = db.execute("MATCH (c:C) RETURN count(c)", &none).unwrap();
    assert!(read.updates().is_empty());
    // Many nodes set at once are counted per node and property.
    db.execute("UNWIND range(1, 10) AS i CREATE (:Many {i: i})", &none)
        .unwrap();
    let bulk = db
        .execute("MATCH (m:Many) SET m.done = true, m.k = 1", &none)
        .unwrap();
    assert_eq!(bulk.updates().properties_set, 20);
}

#[test]
fn an_interrupted_statement_stops_and_leaves_no_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    items(&db, 3000);
    let none = Params::new();
    let stop = quiverdb::query::Interrupt::new();
    let options = QueryOptions::default().with_interrupt(stop.clone());
    // 2.7e10 combinations: it does not finish by itself.
    let endless = "MATCH (a:Item), (b:Item), (c:Item) RETURN count(*) AS n";
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            stop.interrupt();
        });
        let e = db.execute_with(endless, &none, &options).unwrap_err();
        assert_eq!((e.kind, e.phase), (ErrorKind::Interrupted, Phase::Runtime));
        assert_eq!(e.status(), "Neo.ClientError.Transaction.Terminated");
    });
    // Triggered, it stops the next statement at once; cleared, it lets
    // statements run again.
    let mut w = db.begin_write().unwrap();
    let e = kept_then_lost(&mut w, &options);
    assert_eq!(e.kind, ErrorKind::Interrupted);
    stop.clear();
    w.query_with("CREATE (:Kept)", &none, &options).unwrap();
    w.commit().unwrap();
    assert_eq!(kept_and_lost(&db), (2, 0));
}

#[test]
fn a_statement_past_its_time_limit_stops_and_leaves_no_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    items(&db, 3000);
    let none = Params::new();
    let limit = QueryOptions::timeout(Duration::from_millis(100));
    // 2.7e10 combinations: it cannot finish in the limit.
    let endless = "MATCH (a:Item), (b:Item), (c:Item) RETURN count(*) AS n";
    let e = db.execute_with(endless, &none, &limit).unwrap_err();
    assert_eq!((e.kind, e.phase), (ErrorKind::Timeout, Phase::Runtime));
    assert!(e.message.contains("100 ms"), "{e}");
    let r = db.begin_read().unwrap();
    let e = r.query_with(endless, &none, &limit).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);

    let mut w = db.begin_write().unwrap();
    let e = kept_then_lost(&mut w, &limit);
    assert_eq!(e.kind, ErrorKind::Timeout);
    w.commit().unwrap();
    assert_eq!(kept_and_lost(&db), (1, 0));
    // Without a limit a short statement runs as before.
    let fine = db
        .execute_with("MATCH (n:Item) RETURN count(*) AS n", &none, &limit)
        .unwrap();
    assert_eq!(fine.rows(), [vec![V::Int(3000)]]);
}

#[test]
fn a_statement_run_again_reuses_its_plan() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    packages(&db);
    let text = "MATCH (p:Package {name: $name}) RETURN p.size AS size";
    let before = db.plan_cache_hits();
    let size = |name: &str| {
        db.execute(text, &params(&[("name", V::String(name.into()))]))
            .unwrap()
            .rows()[0][0]
            .clone()
    };
    assert_eq!(size("curl"), V::Int(500));
    assert_eq!(db.plan_cache_hits(), before);
    assert_eq!(size("wget"), V::Int(900));
    assert_eq!(db.plan_cache_hits(), before + 1);
    // Reads after a commit see the commit through the cached plan.
    db.execute("MATCH (p {name: 'wget'}) SET p.size = 901", &Params::new())
        .unwrap();
    assert_eq!(size("wget"), V::Int(901));
    // Other parameter names are another plan: a missing one still fails.
    let e = db.execute(text, &Params::new()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ParameterMissing);
    let r = db.begin_read().unwrap();
    let again = r.query(text, &params(&[("name", V::String("libz".into()))]));
    assert_eq!(again.unwrap().rows()[0][0], V::Int(100));
    assert_eq!(db.plan_cache_hits(), before + 3);
    // A statement longer than the cache keeps runs, each time compiled.
    let long = format!(
        "RETURN '{}' AS padding",
        "x".repeat(quiverdb::query::PLAN_CACHE_MAX_TEXT)
    );
    for _ in 0..2 {
        let r = db.execute(&long, &Params::new()).unwrap();
        assert_eq!(r.rows().len(), 1);
    }
    assert_eq!(db.plan_cache_hits(), before + 3);
}

#[test]
fn a_chain_starts_at_its_smaller_label_with_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute(
        "UNWIND range(0, 4999) AS i CREATE (:Big {i: i})
         WITH count(*) AS made
         UNWIND range(0, 9) AS j
         MATCH (a:Big {i: j * 7})
         CREATE (a)-[:R]->(:Small {j: j})",
        &Params::new(),
    )
    .unwrap();
    let none = Params::new();
    // Both spellings of one pattern: the planner starts at :Small (10
    // nodes) in both, and both give the same rows as a filtered scan.
    let forward = db
        .execute(
            "MATCH (a:Big)-[:R]->(b:Small) RETURN a.i AS a, b.j AS b ORDER BY b",
            &none,
        )
        .unwrap();
    let backward = db
        .execute(
            "MATCH (b:Small)<-[:R]-(a:Big) RETURN a.i AS a, b.j AS b ORDER BY b",
            &none,
        )
        .unwrap();
    let scanned = db
        .execute(
            "MATCH (a)-[:R]->(b) WHERE a:Big AND b:Small RETURN a.i AS a, b.j AS b ORDER BY b",
            &none,
        )
        .unwrap();
    // EXPLAIN shows where the database's estimate starts the chain.
    let plan = db
        .execute("EXPLAIN MATCH (a:Big)-[:R]->(b:Small) RETURN a", &none)
        .unwrap();
    let details = &plan.plan().unwrap()[0].details;
    assert!(
        details.contains("estimated start: node 2 of the first chain, label :Small holds 10 nodes"),
        "{details}"
    );
    let plan = db.execute("EXPLAIN MATCH (a:Big) RETURN a", &none).unwrap();
    let details = &plan.plan().unwrap()[0].details;
    assert!(details.contains("label :Big holds 5000 nodes"), "{details}");
    let plan = db.execute("EXPLAIN MATCH (n) RETURN n", &none).unwrap();
    let details = &plan.plan().unwrap()[0].details;
    assert!(details.contains("every node (5010)"), "{details}");
    // Rows, from the statistics: the start's nodes times, per hop walked
    // from the start, its relationships between its ends' labels over the
    // near label's nodes (each :Small has one :Big neighbour), both
    // directions undirected, summed over the lengths of a variable-length
    // hop; a second chain sharing a node with the first starts there (its
    // `(b)` carries no label there: every node).
    for (q, rows) in [
        ("EXPLAIN MATCH (n) RETURN n", "about 5000 per input row"),
        (
            "EXPLAIN MATCH (a:Big)-[:R]->(b:Small) RETURN a",
            "about 10 per input row",
        ),
        (
            "EXPLAIN MATCH (b:Small)-[*1..2]-(c) RETURN b",
            "about 20 per input row",
        ),
        (
            "EXPLAIN MATCH (b:Small), (b)<--(a) RETURN b",
            "about 0.02 per input row",
        ),
        ("EXPLAIN MATCH (b:Small)-[*]->(c) RETURN b", "unbounded"),
    ] {
        let plan = db.execute(q, &none).unwrap();
        let details = &plan.plan().unwrap()[0].details;
        assert!(
            details.contains(&format!("estimated rows: {rows}")),
            "{q}: {details}"
        );
    }
    let expected: Vec<Vec<V>> = (0..10).map(|j| vec![V::Int(j * 7), V::Int(j)]).collect();
    assert_eq!(forward.rows(), expected);
    assert_eq!(backward.rows(), expected);
    assert_eq!(scanned.rows(), expected);
    // A second chain is planned the same way; one relationship is not
    // matched twice in one pattern.
    let two = db
        .execute(
            "MATCH (a:Big)-[:R]->(b:Small), (c:Small)<-[:R]-(d:Big) WHERE b = c RETURN count(*) AS n",
            &none,
        )
        .unwrap();
    assert_eq!(two.rows(), [vec![V::Int(0)]]);
    let two = db
        .execute(
            "MATCH (a:Big)-[:R]->(b:Small), (c:Big)-[:R]->(d:Small) WHERE b.j = d.j RETURN count(*) AS n",
            &none,
        )
        .unwrap();
    assert_eq!(two.rows(), [vec![V::Int(0)]]);
    let pairs = db
        .execute(
            "MATCH (a:Big)-[:R]->(b:Small) MATCH (c:Big)-[:R]->(d:Small) WHERE b.j = d.j RETURN count(*) AS n",
            &none,
        )
        .unwrap();
    assert_eq!(pairs.rows(), [vec![V::Int(10)]]);
}

#[test]
fn order_by_with_limit_keeps_the_rows_a_full_sort_puts_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    // Many rows, many ties, the kept rows spread through the input; keys
    // that are projected items (compared in place) and keys that are not.
    for (order, skip_limit) in [
        ("k DESC, i", "LIMIT 7"),
        ("k, i DESC", "SKIP 3 LIMIT 10"),
        ("k DESC, i", "LIMIT 1"),
        ("i % 13, k DESC, i", "LIMIT 20"),
    ] {
        let all = format!(
            "UNWIND range(1, 3000) AS i WITH i, (i * 7919) % 101 AS k RETURN k, i ORDER BY {order}"
        );
        let full = db.execute(&all, &Params::new()).unwrap();
        let some = db
            .execute(&format!("{all} {skip_limit}"), &Params::new())
            .unwrap();
        let (skip, limit) = match skip_limit.split_whitespace().collect::<Vec<_>>()[..] {
            ["LIMIT", l] => (0, l.parse::<usize>().unwrap()),
            ["SKIP", s, "LIMIT", l] => (s.parse().unwrap(), l.parse().unwrap()),
            _ => unreachable!(),
        };
        assert_eq!(
            some.rows(),
            &full.rows()[skip..skip + limit],
            "{order} {skip_limit}"
        );
    }
    // The same after an aggregation: top groups by their count.
    let grouped =
        "UNWIND range(1, 3000) AS i RETURN i % 211 AS g, count(*) AS n ORDER BY n DESC, g";
    let full = db.execute(grouped, &Params::new()).unwrap();
    let top = db
        .execute(&format!("{grouped} LIMIT 4"), &Params::new())
        .unwrap();
    assert_eq!(top.rows(), &full.rows()[..4]);
}

#[test]
fn a_write_transaction_streams_its_own_view() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    items(&db, 3000);
    let none = Params::new();
    let options = QueryOptions::default();
    let mut w = db.begin_write().unwrap();
    w.query("UNWIND range(3000, 4999) AS i CREATE (:Item {i: i})", &none)
        .unwrap();
    // The transaction's own nodes are read; row 4000 (one of them)
    // divides by zero, and a consumer that takes 10 rows never reaches it.
    let text = "MATCH (n:Item) RETURN 10 / (n.i - 4000) AS q";
    let first: Vec<V> = w
        .stream(text, &none, &options)
        .unwrap()
        .take(10)
        .map(|row| row.unwrap()[0].clone())
        .collect();
    assert_eq!(first.len(), 10);
    assert_eq!(
        w.stream(text, &none, &options)
            .unwrap()
            .find_map(Result::err)
            .unwrap()
            .kind,
        ErrorKind::ArithmeticError
    );
    let count = |w: &quiverdb::WriteTxn<'_>| {
        w.stream(
            "MATCH (n:Item) RETURN count(*) AS c, max(n.i) AS m",
            &none,
            &options,
        )
        .unwrap()
        .collect_result()
        .unwrap()
    };
    assert_eq!(count(&w).rows(), [vec![V::Int(5000), V::Int(4999)]]);
    // A statement that writes is refused, and the transaction writes on
    // once the rows are dropped; a read-only query is the stream collected.
    let Err(refused) = w.stream("CREATE (:Item {i: -1})", &none, &options) else {
        panic!("a statement that writes was streamed");
    };
    assert_eq!(refused.detail, "ReadOnlyStream");
    w.query("MATCH (n:Item) WHERE n.i >= 4000 DETACH DELETE n", &none)
        .unwrap();
    assert_eq!(
        w.query("MATCH (n:Item) RETURN count(*) AS c, max(n.i) AS m", &none)
            .unwrap(),
        count(&w)
    );
    assert_eq!(count(&w).rows(), [vec![V::Int(4000), V::Int(3999)]]);
    drop(w);
    // Nothing was committed.
    assert_eq!(
        db.execute("MATCH (n:Item) RETURN count(*) AS c", &none)
            .unwrap()
            .rows(),
        [vec![V::Int(3000)]]
    );
}

#[test]
fn a_variable_length_pattern_follows_a_bound_list_of_relationships() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    packages(&db);
    let bound = "MATCH (:Package {name: 'curl'})-[r1:DEPENDS]->(:Package {name: 'libssl3'})-[r2:DEPENDS]->()
                 WITH [r1, r2] AS rs ";
    let run = |rest: &str| {
        db.execute(&format!("{bound}{rest}"), &Params::new())
            .unwrap()
            .rows()
            .to_vec()
    };
    assert_eq!(
        run("MATCH (a)-[rs*]->(b) RETURN a.name, b.name"),
        [vec![V::from("curl"), V::from("libc6")]]
    );
    // From a bound end, the same; another type, a range too short, or the
    // list taken against its direction match nothing.
    assert_eq!(
        run("MATCH (a {name: 'curl'})-[rs:DEPENDS*1..2]->(b) RETURN b.name"),
        [vec![V::from("libc6")]]
    );
    for rest in [
        "MATCH (a)-[rs:RECOMMENDS*]->(b) RETURN a",
        "MATCH (a)-[rs*..1]->(b) RETURN a",
        "MATCH (a)<-[rs*]-(b) RETURN a",
        "MATCH (a {name: 'wget'})-[rs*]->(b) RETURN a",
    ] {
        assert!(run(rest).is_empty(), "{rest}");
    }
}

#[test]
fn a_stream_of_rows_moves_to_another_thread() {
    // A binding that releases its interpreter's lock pulls rows on
    // whichever thread runs it.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute(
        "UNWIND range(1, 5000) AS i CREATE (:N {i: i})",
        &Params::new(),
    )
    .unwrap();
    let r = db.begin_read().unwrap();
    let mut rows = r
        .stream(
            "MATCH (n:N) RETURN n.i AS i",
            &Params::new(),
            &QueryOptions::default(),
        )
        .unwrap();
    let first = rows.next().unwrap().unwrap();
    let rest = std::thread::scope(|s| s.spawn(move || rows.count()).join().unwrap());
    assert_eq!(first.len(), 1);
    assert_eq!(rest, 4999);
}

#[test]
fn kcore_and_personalised_pagerank_procedures() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute(
        "CREATE (a:N {i: 1})-[:T]->(b:N {i: 2})-[:T]->(c:N {i: 3})-[:T]->(a), (c)-[:T]->(:N {i: 4})",
        &Params::new(),
    )
    .unwrap();
    let r = db
        .execute(
            "CALL algo.kcore() YIELD node, coreness RETURN node.i AS i, coreness ORDER BY i",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        r.rows(),
        [
            [V::Int(1), V::Int(2)],
            [V::Int(2), V::Int(2)],
            [V::Int(3), V::Int(2)],
            [V::Int(4), V::Int(1)]
        ]
    );
    let r = db
        .execute(
            "MATCH (s:N {i: 1}) CALL algo.pagerank.personalized([s], 0.85) YIELD node, score \
             RETURN node.i AS i, score ORDER BY score DESC",
            &Params::new(),
        )
        .unwrap();
    let total: f64 = r
        .rows()
        .iter()
        .map(|row| match row[1] {
            V::Float(f) => f,
            ref other => panic!("score {other:?}"),
        })
        .sum();
    assert!((total - 1.0).abs() < 1e-9);
    assert_eq!(r.rows().len(), 4);
    let e = db
        .execute(
            "CALL algo.pagerank.personalized([1]) YIELD node RETURN node",
            &Params::new(),
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TypeError, "{e}");
}

#[test]
fn leiden_and_louvain_procedures() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    // Two 4-cliques joined by one relationship, weights 1 except one.
    db.execute("UNWIND range(0, 7) AS i CREATE (:N {i: i})", &Params::new())
        .unwrap();
    db.execute(
        "UNWIND [[0,1],[0,2],[0,3],[1,2],[1,3],[2,3],[4,5],[4,6],[4,7],[5,6],[5,7],[6,7],[3,4]] AS e \
         MATCH (a:N {i: e[0]}), (b:N {i: e[1]}) CREATE (a)-[:T {w: 1.0}]->(b)",
        &Params::new(),
    )
    .unwrap();
    for proc in ["algo.leiden", "algo.louvain"] {
        let r = db
            .execute(
                &format!(
                    "CALL {proc}({{resolution: 1.0, seed: 7, weight: 'w'}}) YIELD node, community, level \
                     RETURN node.i AS i, community, level ORDER BY i"
                ),
                &Params::new(),
            )
            .unwrap();
        let rows = r.rows();
        assert_eq!(rows.len(), 8, "{proc}");
        let community: Vec<&V> = rows.iter().map(|row| &row[1]).collect();
        assert!(
            community[..4].iter().all(|c| *c == community[0]),
            "{proc}: {rows:?}"
        );
        assert!(
            community[4..].iter().all(|c| *c == community[4]),
            "{proc}: {rows:?}"
        );
        assert_ne!(community[0], community[4], "{proc}");
        // Every row is of the last level.
        assert!(rows.iter().all(|row| row[2] == rows[0][2]), "{proc}");
        // With every level: a row per node and level, the last level the
        // same as above, grouped by in Cypher.
        let all = db
            .execute(
                &format!(
                    "CALL {proc}({{seed: 7, levels: true}}) YIELD node, community, level \
                     RETURN level, count(DISTINCT community) AS communities, count(*) AS nodes ORDER BY level"
                ),
                &Params::new(),
            )
            .unwrap();
        let last = all.rows().last().unwrap();
        assert_eq!(
            (&last[0], &last[1], &last[2]),
            (&rows[0][2], &V::Int(2), &V::Int(8)),
            "{proc}"
        );
        assert!(all.rows().iter().all(|row| row[2] == V::Int(8)), "{proc}");
    }
    // Results written back with SET, then grouped.
    db.execute(
        "CALL algo.leiden() YIELD node, community SET node.community = community",
        &Params::new(),
    )
    .unwrap();
    let r = db
        .execute(
            "MATCH (n:N) RETURN n.community AS c, count(*) AS k ORDER BY c",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(r.rows(), [[V::Int(0), V::Int(4)], [V::Int(1), V::Int(4)]]);
    for (call, kind) in [
        (
            "CALL algo.leiden({resolution: -1}) YIELD node RETURN node",
            ErrorKind::ArgumentError,
        ),
        (
            "CALL algo.leiden({objective: 'surprise'}) YIELD node RETURN node",
            ErrorKind::ArgumentError,
        ),
        (
            "CALL algo.leiden({colour: 1}) YIELD node RETURN node",
            ErrorKind::ArgumentError,
        ),
        (
            "CALL algo.louvain(3) YIELD node RETURN node",
            ErrorKind::TypeError,
        ),
    ] {
        let e = db.execute(call, &Params::new()).unwrap_err();
        assert_eq!(e.kind, kind, "{call}: {e}");
    }
}

/// The rows of each step of a `PROFILE`d statement, in plan order.
fn profiled_rows(db: &Database, text: &str) -> (Vec<Vec<V>>, Vec<u64>) {
    let r = db
        .execute(&format!("PROFILE {text}"), &Params::new())
        .unwrap();
    let rows = r.plan().unwrap().iter().map(|s| s.rows.unwrap()).collect();
    (r.rows().to_vec(), rows)
}

#[test]
fn profile_runs_the_pipeline_that_streams() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    items(&db, 3000);
    db.execute(
        "MATCH (a:Item) WHERE a.i < 10 MATCH (b:Item) WHERE b.i >= 2990 CREATE (a)-[:R]->(b)",
        &Params::new(),
    )
    .unwrap();
    // A write statement: the match before the write stops at the LIMIT
    // after it, the write sees every row of it, the projection after the
    // write reads what it wrote.
    let (rows, steps) = profiled_rows(
        &db,
        "MATCH (n:Item) WITH n LIMIT 5 SET n.x = n.i * 2 RETURN sum(n.x) AS s",
    );
    assert_eq!(steps, [5, 5, 5, 1]);
    assert_eq!(rows.len(), 1);
    let (rows, _) = profiled_rows(
        &db,
        "MATCH (n:Item) WHERE n.x IS NOT NULL RETURN count(*) AS c",
    );
    assert_eq!(rows, [vec![V::Int(5)]]);
    // Two writes and the reads between them, each step counted once.
    let (rows, steps) = profiled_rows(
        &db,
        "CREATE (t:Tmp {v: 1}) WITH t MATCH (u:Tmp) SET u.v = u.v + 1 RETURN u.v AS v",
    );
    assert_eq!((rows, steps), (vec![vec![V::Int(2)]], vec![1, 1, 1, 1, 1]));
    // A counted hop folded into its aggregation: the match's rows are the
    // relationships it counted, the aggregation's its groups.
    let (rows, steps) = profiled_rows(
        &db,
        "MATCH (p:Item)<-[:R]-() RETURN p.i AS i, count(*) AS n ORDER BY i LIMIT 3",
    );
    assert_eq!(steps, [100, 3], "{rows:?}");
    assert_eq!(rows[0], [V::Int(2990), V::Int(10)]);
    // Profiled and plain runs agree, and so do the rows of each step
    // with the rules off.
    for text in [
        "MATCH (a:Item)-[:R]->(b) WHERE a.i < 3 RETURN a.i AS i, count(b) AS n ORDER BY i",
        "MATCH (a:Item)-[:R]->(b) RETURN count(*) AS n",
        "UNWIND range(1, 4) AS k MATCH (n:Item {i: k}) RETURN n.i AS i ORDER BY i",
    ] {
        let plain = db.execute(text, &Params::new()).unwrap();
        let (rows, _) = profiled_rows(&db, text);
        assert_eq!(rows, plain.rows(), "{text}");
        let naive = db
            .execute_with(
                &format!("PROFILE {text}"),
                &Params::new(),
                &QueryOptions::default().without_rules(),
            )
            .unwrap();
        assert_eq!(naive.rows(), plain.rows(), "{text}");
        let last = |r: &QueryResult| r.plan().unwrap().last().unwrap().rows;
        assert_eq!(last(&naive), Some(plain.rows().len() as u64), "{text}");
    }
    // With no database, the same pipeline runs expressions.
    let r = quiverdb::query::run(
        "PROFILE UNWIND range(1, 3) AS x RETURN sum(x) AS s",
        &Params::new(),
    )
    .unwrap();
    assert_eq!(r.rows(), [vec![V::Int(6)]]);
    assert_eq!(
        r.plan().unwrap().iter().map(|s| s.rows).collect::<Vec<_>>(),
        [Some(3), Some(1)]
    );
}

#[test]
fn a_chain_starts_where_the_statistics_say_the_fewest_nodes_are() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute(
        "UNWIND range(0, 999) AS i CREATE (:Big {k: i, v: i % 2})",
        &Params::new(),
    )
    .unwrap();
    db.execute(
        "UNWIND range(0, 4) AS j CREATE (:Tiny {j: j})",
        &Params::new(),
    )
    .unwrap();
    db.execute(
        "MATCH (t:Tiny), (b:Big) WHERE b.k % 200 = t.j CREATE (t)-[:R]->(b)",
        &Params::new(),
    )
    .unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_index("Big", "k").unwrap();
    w.commit().unwrap();
    let start = |q: &str| {
        let plan = db.execute(&format!("EXPLAIN {q}"), &Params::new()).unwrap();
        let details = plan.plan().unwrap()[0].details.clone();
        let at = details.find("estimated start: node ").unwrap() + 22;
        (details[at..=at].to_owned(), details)
    };
    for (q, node, rows) in [
        // An unindexed property estimates nothing: the tiny label wins.
        (
            "MATCH (b:Big {v: 1})<-[:R]-(t:Tiny) RETURN count(*) AS c",
            "2",
            "label :Tiny holds 5 nodes",
        ),
        // An indexed key with 1,000 distinct values: about one node.
        (
            "MATCH (t:Tiny)-[:R]->(b:Big {k: 400}) RETURN count(*) AS c",
            "2",
            "about 1 through an index",
        ),
        (
            "MATCH (t:Tiny {j: 0})-[:R]->(b:Big) RETURN count(*) AS c",
            "1",
            "label :Tiny holds 5 nodes",
        ),
    ] {
        let (chosen, details) = start(q);
        assert_eq!(chosen, node, "{q}: {details}");
        assert!(details.contains(rows), "{q}: {details}");
    }
    // The same rows whatever the start.
    let count = |q: &str| column(&db.execute(q, &Params::new()).unwrap(), 0);
    assert_eq!(
        count("MATCH (b:Big {v: 1})<-[:R]-(t:Tiny) RETURN count(*) AS c"),
        [V::Int(10)]
    );
    assert_eq!(
        count("MATCH (t:Tiny)-[:R]->(b:Big {k: 400}) RETURN count(*) AS c"),
        [V::Int(1)]
    );
    assert_eq!(
        count("MATCH (t:Tiny {j: 0})-[:R]->(b:Big) RETURN count(*) AS c"),
        [V::Int(5)]
    );
}

#[test]
fn element_ids_name_nodes_and_relationships_as_strings() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    packages(&db);
    let r = db
        .execute(
            "MATCH (a:Package {name: 'curl'})-[d:DEPENDS]->(b) \
             RETURN elementId(a) = toString(id(a)) AS same, elementId(d) AS rel, elementId(b) AS node \
             ORDER BY node",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(column(&r, 0), [V::Bool(true), V::Bool(true)]);
    // An element id found again by its string.
    let V::String(id) = &column(&r, 2)[0] else {
        panic!("elementId gives a string")
    };
    let found = db
        .execute(
            "MATCH (n) WHERE elementId(n) = $id RETURN n.name AS name",
            &params(&[("id", V::from(id.as_str()))]),
        )
        .unwrap();
    assert_eq!(found.rows().len(), 1);
    assert_eq!(
        db.execute("RETURN elementId(null) AS x", &Params::new())
            .unwrap()
            .rows(),
        [vec![V::Null]]
    );
    let e = db
        .execute("RETURN elementId(1)", &Params::new())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TypeError);
}
