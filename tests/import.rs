//! The bulk importer through the library: every format loads what it
//! says, bad input is refused with the file and line (or skipped and
//! counted with `skip_bad`), and a failed import leaves the database as it
//! was.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::format_collect,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::path::{Path, PathBuf};

use quiverdb::algo::PathQuery;
use quiverdb::import::{Format, ImportOptions, Importer, VectorKeys};
use quiverdb::vector::{CollectionConfig, Metric};
use quiverdb::{Database, Direction, Error, GraphRead, Value};

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn fvecs(rows: &[Vec<f32>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in rows {
        out.extend_from_slice(&(r.len() as i32).to_le_bytes());
        for x in r {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    out
}

/// Everything a user can observe of a database's graph, to compare
/// before and after a failed import.
fn snapshot(db: &Database) -> (u64, u64, Vec<String>) {
    let r = db.begin_read().unwrap();
    let mut keys: Vec<String> = r
        .property_values("id")
        .unwrap()
        .into_iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    keys.sort();
    (r.node_count().unwrap(), r.edge_count().unwrap(), keys)
}

fn node(db: &Database, key: i64) -> Option<quiverdb::NodeId> {
    db.begin_read()
        .unwrap()
        .node_by_key("Node", "id", &Value::Int(key))
        .unwrap()
}

#[test]
fn edge_list_creates_nodes_and_weighted_edges_and_reuses_keys_later() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let el = write(
        dir.path(),
        "g.txt",
        "# SNAP comment\n% another\n1 2 1.5\n2\t3\t2.5\n\n1,3,10\n",
    );
    let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
    import.edges(&el, Format::EdgeList).unwrap();
    let report = import.finish().unwrap();
    assert_eq!(
        (report.nodes, report.edges, report.rejected_total),
        (3, 3, 0)
    );
    assert_eq!(report.sources[0].read, 3);

    let (a, c) = (node(&db, 1).unwrap(), node(&db, 3).unwrap());
    let r = db.begin_read().unwrap();
    let p = r
        .shortest_path(a, c, &PathQuery::new().weight("weight"))
        .unwrap()
        .unwrap();
    assert_eq!((p.hops(), p.cost), (2, 4.0));
    assert_eq!(
        r.neighbors(a, Direction::Out, Some("EDGE")).unwrap().len(),
        2
    );
    drop(r);

    // A second import names the same keys: it reuses the nodes.
    let more = write(dir.path(), "more.el", "3 4\n4 1\n");
    let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
    import.edges(&more, Format::EdgeList).unwrap();
    let report = import.finish().unwrap();
    assert_eq!((report.nodes, report.edges), (1, 2));
    let r = db.begin_read().unwrap();
    assert_eq!((r.node_count().unwrap(), r.edge_count().unwrap()), (4, 5));
    assert!(r.shortest_path(c, a, &PathQuery::new()).unwrap().is_some());
    drop(r);
    assert!(db.check().unwrap().is_ok());

    // And it is all durable.
    db.close().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    assert_eq!(snapshot(&db).0, 4);
    assert!(db.check().unwrap().is_ok());
}

#[test]
fn csv_temporal_columns_load_as_temporal_values() {
    use quiverdb::query::Params;
    use quiverdb::temporal::Temporal;
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let nodes = write(
        dir.path(),
        "events.csv",
        "id:int,on:date,at:datetime,took:duration,opens:localtime\n\
         1,2024-02-29,2024-03-31T02:30[Europe/Berlin],PT1H30M,09:00\n\
         2,2024-W01-1,2024-01-01T00:00Z,P1D,\n",
    );
    let edges = write(
        dir.path(),
        "follows.csv",
        "src,dst,since:localdatetime\n1,2,2023-12-31T23:59:59.5\n",
    );
    let mut import = Importer::new(&db, ImportOptions::default().key_label("Event")).unwrap();
    import.nodes(&nodes, Format::Csv).unwrap();
    import.edges(&edges, Format::Csv).unwrap();
    import.finish().unwrap();
    let t = |kind: &str, text: &str| Value::Temporal(Temporal::parse(kind, text).unwrap());
    let r = db.begin_read().unwrap();
    let first = r.node(node_with_key(&db, 1)).unwrap().unwrap();
    assert_eq!(first.props["on"], t("date", "2024-02-29"));
    assert_eq!(
        first.props["at"].to_string(),
        "2024-03-31T03:30+02:00[Europe/Berlin]",
        "a time in the spring gap moves on by the gap"
    );
    assert_eq!(first.props["took"], t("duration", "PT90M"));
    assert_eq!(first.props["opens"], t("localtime", "09:00"));
    let second = r.node(node_with_key(&db, 2)).unwrap().unwrap();
    assert_eq!(second.props["on"], t("date", "2024-01-01"));
    assert!(
        !second.props.contains_key("opens"),
        "an empty cell sets nothing"
    );
    drop(r);
    // Cypher reads them as temporal values.
    let rows = db
        .execute(
            "MATCH (a:Event)-[f]->(b:Event) RETURN b.on - duration('P1D') AS before, f.since.year AS y",
            &Params::new(),
        )
        .unwrap();
    assert_eq!(
        rows.rows()
            .iter()
            .map(|row| row.iter().map(ToString::to_string).collect::<Vec<_>>())
            .collect::<Vec<_>>(),
        [["2023-12-31", "2023"]]
    );
    // A bad cell names its column and value; a temporal key is refused.
    let bad = write(dir.path(), "bad.csv", "id:int,on:date\n3,2024-02-30\n");
    let mut import = Importer::new(&db, ImportOptions::default().key_label("Event")).unwrap();
    let e = import.nodes(&bad, Format::Csv).unwrap_err().to_string();
    assert!(e.contains("\"on\"") && e.contains("2024-02-30"), "{e}");
    // (An importer holds the writer until it is dropped.)
    drop(import);
    let bad_key = write(dir.path(), "bad_key.csv", "id:date\n2024-01-01\n");
    let mut import = Importer::new(&db, ImportOptions::default().key_label("Event")).unwrap();
    assert!(import.nodes(&bad_key, Format::Csv).is_err());
}

fn node_with_key(db: &Database, key: i64) -> quiverdb::NodeId {
    db.begin_read()
        .unwrap()
        .node_by_key("Event", "id", &Value::Int(key))
        .unwrap()
        .unwrap()
}

#[test]
fn csv_and_jsonl_nodes_and_edges_with_typed_and_inferred_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let nodes = write(
        dir.path(),
        "people.csv",
        "name:string,labels,age:int,score,note\n\
         ada,Person;Mathematician,36,1.5,\"first, \"\"programmer\"\"\"\n\
         bob,Person,,7,\n",
    );
    let more = write(
        dir.path(),
        "more.jsonl",
        "{\"name\": \"cy\", \"labels\": [\"Person\"], \"tags\": [\"x\", 2], \"ok\": true}\n\n",
    );
    let edges = write(
        dir.path(),
        "knows.csv",
        "src,dst,type,since:int\nada,bob,KNOWS,1843\nbob,cy,,\n",
    );
    let edges2 = write(
        dir.path(),
        "e.jsonl",
        "{\"from\": \"cy\", \"to\": \"ada\", \"type\": \"LIKES\", \"w\": 0.5}\n",
    );
    let opts = ImportOptions::default()
        .key_label("Entity")
        .key_property("name")
        .edge_type("LINK");
    let mut import = Importer::new(&db, opts).unwrap();
    import.nodes(&nodes, Format::Csv).unwrap();
    import.nodes(&more, Format::Jsonl).unwrap();
    import.edges(&edges, Format::Csv).unwrap();
    import.edges(&edges2, Format::Jsonl).unwrap();
    let report = import.finish().unwrap();
    assert_eq!((report.nodes, report.edges), (3, 3));

    let r = db.begin_read().unwrap();
    let ada = r
        .node_by_key("Entity", "name", &Value::from("ada"))
        .unwrap()
        .unwrap();
    let n = r.node(ada).unwrap().unwrap();
    let mut labels = n.labels.clone();
    labels.sort();
    assert_eq!(labels, vec!["Entity", "Mathematician", "Person"]);
    assert_eq!(n.props["age"], Value::Int(36));
    assert_eq!(n.props["score"], Value::Float(1.5));
    assert_eq!(n.props["note"], Value::from("first, \"programmer\""));
    let bob = r
        .node_by_key("Entity", "name", &Value::from("bob"))
        .unwrap()
        .unwrap();
    let b = r.node(bob).unwrap().unwrap();
    assert!(!b.props.contains_key("age"), "an empty cell sets nothing");
    assert_eq!(b.props["score"], Value::Int(7), "inferred per cell");
    let cy = r
        .node_by_key("Entity", "name", &Value::from("cy"))
        .unwrap()
        .unwrap();
    let c = r.node(cy).unwrap().unwrap();
    assert_eq!(
        c.props["tags"],
        Value::List(vec![Value::from("x"), Value::Int(2)])
    );
    assert_eq!(c.props["ok"], Value::Bool(true));
    let types: Vec<String> = r
        .edges(bob, Direction::Both, None)
        .unwrap()
        .into_iter()
        .map(|e| e.edge_type)
        .collect();
    assert_eq!(types.len(), 2);
    assert!(types.contains(&"KNOWS".to_owned()) && types.contains(&"LINK".to_owned()));
    let likes = r.edges(cy, Direction::Out, Some("LIKES")).unwrap();
    assert_eq!(likes[0].target, ada);
    let e = r.edge(likes[0].id).unwrap().unwrap();
    assert_eq!(e.props["w"], Value::Float(0.5));
    drop(r);
    assert!(db.check().unwrap().is_ok());
}

#[test]
fn graphalytics_files_and_vectors_bound_by_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/graphalytics/example-directed/example-directed.properties");
    let props = quiverdb::import::GraphalyticsProperties::read(&base).unwrap();
    assert!(props.directed && props.weighted);
    assert_eq!(props.param("bfs.source-vertex"), Some("1"));
    let vecs = write(
        dir.path(),
        "v.fvecs",
        fvecs(&[vec![1.0, 0.0], vec![0.0, 1.0]]),
    );
    let keys = write(dir.path(), "keys.txt", "1\n2\n");
    let db = Database::open(dir.path().join("db")).unwrap();
    let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
    import.graphalytics(&props).unwrap();
    import
        .vectors(
            &vecs,
            Format::Fvecs,
            "v",
            CollectionConfig::new(2, Metric::Cosine),
            VectorKeys::File(keys),
        )
        .unwrap();
    let report = import.finish().unwrap();
    assert_eq!((report.nodes, report.edges, report.vectors), (10, 17, 2));
    let r = db.begin_read().unwrap();
    let one = node(&db, 1).unwrap();
    let point = r.collection("v").unwrap().get(one.0).unwrap().unwrap();
    assert_eq!(point.vector, vec![1.0, 0.0]);
    assert!(r.collections().unwrap()[0].config.bound_to_nodes);
}

#[test]
fn a_bad_row_fails_the_whole_import_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let good = write(dir.path(), "good.txt", "1 2\n2 3\n");
    let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
    import.edges(&good, Format::EdgeList).unwrap();
    import.finish().unwrap();
    let before = snapshot(&db);

    // Rows before the bad one were staged; none may reach the database.
    let bad = write(dir.path(), "bad.txt", "3 4\n5 6\n7 x\n8 9\n");
    let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
    let err = import.edges(&bad, Format::EdgeList).unwrap_err();
    match &err {
        Error::BadInput { path, at, reason } => {
            assert_eq!(path, &bad);
            assert_eq!(at, "line 3");
            assert!(reason.contains("\"x\" is not an integer"), "{reason}");
        }
        other => panic!("expected BadInput, got {other}"),
    }
    assert!(err.to_string().contains("bad.txt, line 3"), "{err}");
    // Further files and finish are refused: the import is spoiled.
    assert!(import.edges(&good, Format::EdgeList).is_err());
    assert!(import.finish().is_err());
    assert_eq!(snapshot(&db), before);
    assert!(node(&db, 4).is_none());
    assert!(!dir.path().join("db/import-staging").exists());
    assert!(db.check().unwrap().is_ok());

    // The same file with skip_bad: the bad row is counted, the rest loads.
    let opts = ImportOptions::default().skip_bad(true);
    let mut import = Importer::new(&db, opts).unwrap();
    import.edges(&bad, Format::EdgeList).unwrap();
    let report = import.finish().unwrap();
    assert_eq!((report.edges, report.rejected_total), (3, 1));
    assert_eq!(report.rejected[0].line, 3);
    assert!(node(&db, 9).is_some());
    assert!(db.check().unwrap().is_ok());
}

/// Runs one import of `file` as `format`; returns its error.
fn import_error(db: &Database, file: &Path, format: Format, nodes: bool) -> Error {
    let mut import = Importer::new(db, ImportOptions::default()).unwrap();
    let r = if nodes {
        import.nodes(file, format)
    } else {
        import.edges(file, format)
    };
    match r {
        Err(e) => e,
        Ok(()) => import.finish().expect_err("the import should fail"),
    }
}

#[test]
fn every_parser_refuses_malformed_files_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let seed = write(dir.path(), "seed.csv", "id:int\n1\n2\n");
    let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
    import.nodes(&seed, Format::Csv).unwrap();
    import.finish().unwrap();
    let before = snapshot(&db);

    let non_utf8: &[u8] = b"id,name\n3,\xff\xfe\n";
    // (file name, contents, format, nodes?, expected text in the error)
    let cases: Vec<(&str, Vec<u8>, Format, bool, &str)> = vec![
        ("empty.csv", vec![], Format::Csv, true, "header"),
        (
            "columns.csv",
            b"id,name\n3,a,extra\n".to_vec(),
            Format::Csv,
            true,
            "line 2",
        ),
        (
            "utf8.csv",
            non_utf8.to_vec(),
            Format::Csv,
            true,
            "not valid UTF-8",
        ),
        (
            "type.csv",
            b"id,age:int\n3,old\n".to_vec(),
            Format::Csv,
            true,
            "not an integer",
        ),
        (
            "badtype.csv",
            b"id,age:uint\n3,1\n".to_vec(),
            Format::Csv,
            true,
            "unknown type",
        ),
        (
            "dup.csv",
            b"id\n1\n".to_vec(),
            Format::Csv,
            true,
            "exists already",
        ),
        (
            "nokey.csv",
            b"name\nx\n".to_vec(),
            Format::Csv,
            true,
            "no \"id\" column",
        ),
        (
            "unknown.csv",
            b"src,dst\n1,99\n".to_vec(),
            Format::Csv,
            false,
            "no node has key 99",
        ),
        (
            "trunc.txt",
            b"1 2\n2".to_vec(),
            Format::EdgeList,
            false,
            "fewer than 2 columns",
        ),
        (
            "wide.txt",
            b"1 2 3 4\n".to_vec(),
            Format::EdgeList,
            false,
            "more than 3 columns",
        ),
        (
            "nan.txt",
            b"1 2 NaN\n".to_vec(),
            Format::EdgeList,
            false,
            "not a finite number",
        ),
        (
            "utf8.txt",
            b"1 \xff\n".to_vec(),
            Format::EdgeList,
            false,
            "not valid UTF-8",
        ),
        (
            "json.jsonl",
            b"{\"id\": 5}\n{\"id\": \n".to_vec(),
            Format::Jsonl,
            true,
            "line 2",
        ),
        (
            "array.jsonl",
            b"[1, 2]\n".to_vec(),
            Format::Jsonl,
            true,
            "not a JSON object",
        ),
        (
            "nested.jsonl",
            b"{\"id\": 5, \"p\": {\"a\": 1}}\n".to_vec(),
            Format::Jsonl,
            true,
            "nested",
        ),
        (
            "nokey.jsonl",
            b"{\"name\": 5}\n".to_vec(),
            Format::Jsonl,
            true,
            "\"id\" field is missing",
        ),
        (
            "edge.jsonl",
            b"{\"src\": 1}\n".to_vec(),
            Format::Jsonl,
            false,
            "\"dst\"",
        ),
        (
            "v.v",
            b"1 2\n".to_vec(),
            Format::GraphalyticsVertices,
            true,
            "one vertex id",
        ),
    ];
    for (name, bytes, format, nodes, expect) in cases {
        let file = write(dir.path(), name, &bytes);
        let err = import_error(&db, &file, format, nodes);
        let text = err.to_string();
        assert!(text.contains(name), "{name}: {text}");
        assert!(
            text.contains(expect),
            "{name}: expected {expect:?} in {text}"
        );
        assert_eq!(snapshot(&db), before, "{name} changed the database");
    }
    // Empty text files are valid and load nothing.
    for (name, format) in [("e.txt", Format::EdgeList), ("e.jsonl", Format::Jsonl)] {
        let file = write(dir.path(), name, b"");
        let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
        import.edges(&file, format).unwrap();
        let report = import.finish().unwrap();
        assert_eq!((report.nodes, report.edges), (0, 0));
    }
    assert!(db.check().unwrap().is_ok());
}

fn npy(shape: &str, descr: &str, data: &[f32]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for x in data {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

#[test]
fn vector_files_load_or_fail_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let config = || CollectionConfig::new(2, Metric::L2);
    let load = |file: &Path, format: Format, name: &str| {
        let mut import = Importer::new(&db, ImportOptions::default())?;
        import.vectors(file, format, name, config(), VectorKeys::Row)?;
        import.finish()
    };

    // Good files in each format.
    let f = write(
        dir.path(),
        "a.fvecs",
        fvecs(&[vec![1.0, 2.0], vec![3.0, 4.0]]),
    );
    assert_eq!(load(&f, Format::Fvecs, "f").unwrap().vectors, 2);
    let mut b = Vec::new();
    for row in [[1u8, 2], [3, 4], [5, 6]] {
        b.extend_from_slice(&2i32.to_le_bytes());
        b.extend_from_slice(&row);
    }
    let bf = write(dir.path(), "a.bvecs", &b);
    assert_eq!(load(&bf, Format::Bvecs, "b").unwrap().vectors, 3);
    let mut iv = Vec::new();
    for row in [[7i32, -1], [0, 3]] {
        iv.extend_from_slice(&2i32.to_le_bytes());
        for x in row {
            iv.extend_from_slice(&x.to_le_bytes());
        }
    }
    let ivf = write(dir.path(), "a.ivecs", &iv);
    assert_eq!(load(&ivf, Format::Ivecs, "i").unwrap().vectors, 2);
    let n = write(
        dir.path(),
        "a.npy",
        npy("(2, 2)", "<f4", &[1.0, 0.0, 0.0, 1.0]),
    );
    assert_eq!(load(&n, Format::Npy, "n").unwrap().vectors, 2);
    let r = db.begin_read().unwrap();
    assert_eq!(
        r.collection("b").unwrap().get(2).unwrap().unwrap().vector,
        vec![5.0, 6.0]
    );
    assert_eq!(
        r.collection("n").unwrap().get(1).unwrap().unwrap().vector,
        vec![0.0, 1.0]
    );
    assert_eq!(
        r.collection("i").unwrap().get(0).unwrap().unwrap().vector,
        vec![7.0, -1.0]
    );
    drop(r);

    let good = fvecs(&[vec![1.0, 2.0]]);
    let cases: Vec<(&str, Vec<u8>, Format, &str)> = vec![
        ("empty.fvecs", vec![], Format::Fvecs, "empty"),
        (
            "trunc.fvecs",
            good[..good.len() - 2].to_vec(),
            Format::Fvecs,
            "truncated",
        ),
        (
            "mixed.fvecs",
            fvecs(&[vec![1.0, 2.0], vec![1.0, 2.0, 3.0]]),
            Format::Fvecs,
            "differs",
        ),
        (
            "huge.fvecs",
            (1i32 << 30).to_le_bytes().to_vec(),
            Format::Fvecs,
            "out of range",
        ),
        (
            "negative.fvecs",
            (-5i32).to_le_bytes().to_vec(),
            Format::Fvecs,
            "out of range",
        ),
        (
            "min.fvecs",
            i32::MIN.to_le_bytes().to_vec(),
            Format::Fvecs,
            "out of range",
        ),
        (
            "nan.fvecs",
            fvecs(&[vec![1.0, f32::NAN]]),
            Format::Fvecs,
            "row 0",
        ),
        (
            "dim.fvecs",
            fvecs(&[vec![1.0, 2.0, 3.0]]),
            Format::Fvecs,
            "dimension",
        ),
        ("magic.npy", b"NOTNUMPY".to_vec(), Format::Npy, "magic"),
        (
            "f8.npy",
            npy("(1, 2)", "<f8", &[1.0, 2.0, 3.0, 4.0]),
            Format::Npy,
            "float32",
        ),
        (
            "rows.npy",
            npy("(99999999999, 2)", "<f4", &[1.0, 2.0]),
            Format::Npy,
            "declares",
        ),
        (
            "neg.npy",
            npy("(-1, 2)", "<f4", &[1.0, 2.0]),
            Format::Npy,
            "not a count",
        ),
        (
            "dim.npy",
            npy("(1, 2147483648)", "<f4", &[1.0, 2.0]),
            Format::Npy,
            "out of range",
        ),
        (
            "3d.npy",
            npy("(1, 1, 2)", "<f4", &[1.0, 2.0]),
            Format::Npy,
            "2-d",
        ),
    ];
    // A collection of dimension 2 exists as "f": a file of dimension 3 into it is refused.
    for (name, bytes, format, expect) in cases {
        let file = write(dir.path(), name, &bytes);
        let err = load(&file, format, "f").unwrap_err().to_string();
        assert!(err.contains(expect), "{name}: expected {expect:?} in {err}");
        assert_eq!(
            db.begin_read().unwrap().collection("f").unwrap().count(),
            2,
            "{name} changed the collection"
        );
    }
}

/// What an import learns about the graph stays with it: a Graphalytics
/// graph's direction and weights, an edge list's weights, the
/// `undirected` option; projections then default to them.
#[test]
fn the_graph_direction_and_weight_are_recorded_with_the_data() {
    use quiverdb::algo::ProjectionSpec;
    use quiverdb::{Direction, GraphInfo};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graphalytics");
    let info = |db: &Database| db.begin_read().unwrap().graph_info().unwrap();
    for (name, undirected) in [("example-undirected", true), ("example-directed", false)] {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path().join("db")).unwrap();
        assert_eq!(info(&db), GraphInfo::default());
        let props = quiverdb::import::GraphalyticsProperties::read(
            &root.join(name).join(format!("{name}.properties")),
        )
        .unwrap();
        let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
        import.graphalytics(&props).unwrap();
        import.finish().unwrap();
        let recorded = info(&db);
        assert_eq!(recorded.undirected, undirected, "{name}");
        assert_eq!(
            recorded.weight.as_deref(),
            props.weighted.then_some("weight")
        );
        let p = db.projection(&ProjectionSpec::new()).unwrap();
        assert_eq!(p.is_undirected(), undirected);
        assert_eq!(
            p.direction(),
            if undirected {
                Direction::Both
            } else {
                Direction::Out
            }
        );
        // The spec can still say otherwise.
        let forced = db
            .projection(&ProjectionSpec::new().undirected(!undirected))
            .unwrap();
        assert_eq!(forced.is_undirected(), !undirected);
        // It survives a reopen, and a later import keeps it.
        drop((p, forced));
        db.close().unwrap();
        let db = Database::open(dir.path().join("db")).unwrap();
        assert_eq!(info(&db), recorded);
        let more = write(dir.path(), "more.txt", "900 901\n");
        let mut import = Importer::new(&db, ImportOptions::default()).unwrap();
        import.edges(&more, Format::EdgeList).unwrap();
        import.finish().unwrap();
        assert_eq!(info(&db), recorded);
    }
    // An edge list with a weight column, imported as undirected.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let el = write(dir.path(), "w.txt", "1 2 0.5\n2 3 1.5\n");
    let mut import = Importer::new(&db, ImportOptions::default().undirected(true)).unwrap();
    import.edges(&el, Format::EdgeList).unwrap();
    import.finish().unwrap();
    assert_eq!(
        info(&db),
        GraphInfo::new()
            .undirected(true)
            .weight(Some("weight".into()))
    );
}

#[test]
fn rows_handed_over_load_like_a_files_rows() {
    use quiverdb::import::{EdgeRow, Key, NodeRow, RowError};
    use quiverdb::props;

    let dir = tempfile::tempdir().unwrap();
    let csv_db = Database::open(dir.path().join("csv")).unwrap();
    let nodes = write(
        dir.path(),
        "n.csv",
        "id,labels,name,age\n1,Person,ann,31\n2,Person;Admin,bob,\nx3,,cid,7\n",
    );
    let edges = write(
        dir.path(),
        "e.csv",
        "src,dst,type,since\n1,2,KNOWS,2001\n2,x3,,2002\n",
    );
    let mut imp = Importer::new(&csv_db, ImportOptions::default().edge_type("LINK")).unwrap();
    imp.nodes(&nodes, Format::Csv).unwrap();
    imp.edges(&edges, Format::Csv).unwrap();
    imp.finish().unwrap();

    let rows_db = Database::open(dir.path().join("rows")).unwrap();
    let node_rows = vec![
        Ok(NodeRow {
            key: Key::Int(1),
            labels: vec!["Person".into()],
            props: props! {"name" => "ann", "age" => 31},
        }),
        Ok(NodeRow {
            key: Key::Int(2),
            labels: vec!["Person".into(), "Admin".into()],
            props: props! {"name" => "bob"},
        }),
        Ok(NodeRow {
            key: Key::Str("x3".into()),
            labels: vec![],
            props: props! {"name" => "cid", "age" => 7},
        }),
    ];
    let edge_rows = vec![
        Ok(EdgeRow {
            src: Key::Int(1),
            dst: Key::Int(2),
            edge_type: Some("KNOWS".into()),
            weight: None,
            props: props! {"since" => 2001},
        }),
        Ok(EdgeRow {
            src: Key::Int(2),
            dst: Key::Str("x3".into()),
            edge_type: None,
            weight: None,
            props: props! {"since" => 2002},
        }),
    ];
    let mut imp = Importer::new(&rows_db, ImportOptions::default().edge_type("LINK")).unwrap();
    imp.node_rows("people", node_rows).unwrap();
    imp.edge_rows("knows", edge_rows).unwrap();
    let report = imp.finish().unwrap();
    assert_eq!((report.nodes, report.edges), (3, 2));
    assert_eq!(report.sources[0].path, Path::new("people"));

    let all = "MATCH (a)-[r]->(b) RETURN a.id, labels(a), a.name, a.age, type(r), r.since, b.id ORDER BY r.since";
    let no = quiverdb::query::Params::new();
    assert_eq!(
        csv_db.execute(all, &no).unwrap().rows(),
        rows_db.execute(all, &no).unwrap().rows()
    );
    assert_eq!(snapshot(&csv_db), snapshot(&rows_db));

    // A bad row fails the import naming its row (from 1), or is skipped
    // and counted with skip_bad; an unknown endpoint is a bad row.
    let bad_db = Database::open(dir.path().join("bad")).unwrap();
    let rows = || {
        vec![
            Ok(NodeRow {
                key: Key::Int(1),
                labels: vec![],
                props: props! {},
            }),
            Err(RowError::new("age is not a number")),
        ]
    };
    let mut imp = Importer::new(&bad_db, ImportOptions::default()).unwrap();
    let err = imp.node_rows("frame", rows()).unwrap_err();
    assert!(
        matches!(&err, Error::BadInput { path, at, reason }
            if path == Path::new("frame") && at == "row 2" && reason.contains("age")),
        "{err}"
    );
    drop(imp);
    assert_eq!(snapshot(&bad_db).0, 0);
    let mut imp = Importer::new(&bad_db, ImportOptions::default().skip_bad(true)).unwrap();
    imp.node_rows("frame", rows()).unwrap();
    let missing = vec![Ok(EdgeRow {
        src: Key::Int(1),
        dst: Key::Int(99),
        edge_type: None,
        weight: None,
        props: props! {},
    })];
    imp.edge_rows("links", missing).unwrap();
    let report = imp.finish().unwrap();
    assert_eq!(
        (report.nodes, report.edges, report.rejected_total),
        (1, 0, 2)
    );
    assert_eq!(report.rejected[0].line, 2);
}
