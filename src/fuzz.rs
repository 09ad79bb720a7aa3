//! Entry points for fuzzing every parser of input files and every decoder
//! of stored bytes (built with the `fuzzing` feature; the fuzz targets in
//! `tests/fuzz/` call them, and this module's tests run each one over its
//! seeds, its regression inputs and a few thousand mutations).
//!
//! Each target takes arbitrary bytes and must return — an error is the
//! right answer to most inputs — without a panic, an abort, a hang or an
//! allocation out of proportion to its input. Where a decode succeeds the
//! target also checks what users rely on: that encoding the result and
//! decoding it again gives the same thing, and that a loaded graph
//! searches within its rows. Parsers read their input from a scratch file
//! (they are file readers), in a per-process folder of the temporary
//! directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::graph::dict::Dictionary;
use crate::graph::keys;
use crate::graph::records::{self, EdgeRecord, GraphInfoRecord, NodeRecord, Schema};
use crate::import::csv::{CsvEdges, CsvNodes, CsvReader};
use crate::import::jsonl::{JsonlEdges, JsonlNodes, JsonlReader};
use crate::import::text::{EdgeListReader, VertexReader};
use crate::import::{GraphalyticsProperties, RowReader, VecsFormat, VectorFile};
use crate::storage::{MemKv, codec};
use crate::{EdgeId, NodeId, Result, Value};

/// A fuzz target: its name (the file `tests/fuzz/fuzz_targets/<name>.rs`)
/// and its entry point.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, parsers first.
pub const TARGETS: &[Target] = &[
    ("csv_nodes", csv_nodes),
    ("csv_edges", csv_edges),
    ("jsonl_nodes", jsonl_nodes),
    ("jsonl_edges", jsonl_edges),
    ("edge_list", edge_list),
    ("graphalytics_vertices", graphalytics_vertices),
    ("graphalytics_properties", graphalytics_properties),
    ("fvecs", fvecs),
    ("bvecs", bvecs),
    ("ivecs", ivecs),
    ("npy", npy),
    ("node_record", node_record),
    ("edge_record", edge_record),
    ("meta_records", meta_records),
    ("dictionary", dictionary),
    ("keys", keys),
    ("collection_record", crate::vector::fuzz::collection_record),
    ("point_record", crate::vector::fuzz::point_record),
    ("checkpoint_envelope", crate::vector::fuzz::envelope),
    ("native_dump", crate::vector::fuzz::native_dump),
    ("checkpoint", crate::vector::fuzz::checkpoint),
    ("cypher", cypher),
    ("cypher_graph", cypher_graph),
    ("fulltext_records", crate::fulltext::fuzz::records),
    ("fulltext_query", fulltext_query),
    #[cfg(feature = "server")]
    ("bolt", bolt),
];

/// Bolt's framing, `PackStream` decoder and request reader over a byte
/// stream as a client would send it: every whole message decodes or is
/// an error, and a decoded value encodes to bytes that decode to the same
/// value (compared by encoding it again, as NaN is not equal to itself).
#[cfg(feature = "server")]
fn bolt(data: &[u8]) {
    use crate::server::{chunk, message::Request, packstream};
    let mut input = data;
    let mut buf = Vec::new();
    while let Ok(true) = chunk::read_message(&mut input, &mut buf, 1 << 20) {
        let Ok(value) = packstream::decode(&buf) else {
            continue;
        };
        let once = bolt_bytes(&value);
        let again = packstream::decode(&once);
        assert!(again.is_ok(), "an encoded value does not decode: {again:?}");
        if let Ok(again) = again {
            assert_eq!(once, bolt_bytes(&again), "encoding is not stable");
        }
        let _ = Request::from_pack(value);
    }
}

#[cfg(feature = "server")]
fn bolt_bytes(v: &crate::server::packstream::Pack) -> Vec<u8> {
    let mut out = Vec::new();
    crate::server::packstream::Encoder::new(&mut out).pack(v);
    out
}

/// A client's opening messages, framed: HELLO, LOGON, RUN with
/// parameters of every kind, PULL, BEGIN, COMMIT, GOODBYE.
#[cfg(feature = "server")]
fn bolt_seeds() -> Vec<Vec<u8>> {
    use crate::server::chunk::frame;
    use crate::server::packstream::Pack;
    let messages = [
        Pack::Struct(0x01, vec![Pack::map([("user_agent", Pack::str("fuzz/1"))])]),
        Pack::Struct(
            0x6A,
            vec![Pack::map([
                ("scheme", Pack::str("basic")),
                ("principal", Pack::str("u")),
                ("credentials", Pack::str("p")),
            ])],
        ),
        Pack::Struct(
            0x10,
            vec![
                Pack::str("RETURN $a, $b"),
                Pack::map([
                    (
                        "a",
                        Pack::List(vec![
                            Pack::Int(-17),
                            Pack::Int(40_000),
                            Pack::Float(1.5),
                            Pack::Null,
                        ]),
                    ),
                    ("b", Pack::Struct(0x44, vec![Pack::Int(19_000)])),
                    ("c", Pack::Bytes(vec![0, 255])),
                    ("d", Pack::map([("k", Pack::Bool(true))])),
                ]),
                Pack::map([("mode", Pack::str("r")), ("db", Pack::str("neo4j"))]),
            ],
        ),
        Pack::Struct(0x3F, vec![Pack::map([("n", Pack::Int(1000))])]),
        Pack::Struct(0x11, vec![Pack::map([("tx_timeout", Pack::Int(5000))])]),
        Pack::Struct(0x12, vec![]),
        Pack::Struct(0x02, vec![]),
    ];
    let mut stream = Vec::new();
    for m in &messages {
        frame(&bolt_bytes(m), &mut stream);
    }
    vec![stream]
}

/// Runs the target `name` on `data`; `false` if there is no such target.
pub fn run(name: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|(n, _)| *n == name) {
        Some((_, target)) => {
            target(data);
            true
        }
        None => false,
    }
}

/// Statements over the language that runs, and two it refuses.
fn cypher_seeds() -> Vec<Vec<u8>> {
    [
        "RETURN 1 + 2 * 3 AS x, 'a' + 1, [1, 2][-1], {a: 1}.a",
        "UNWIND $xs AS x WITH x WHERE x % 2 = 1 RETURN x, count(*) ORDER BY x DESC SKIP 1 LIMIT 2",
        "RETURN [x IN range(1, 10) WHERE x > 3 | x ^ 2], reduce(s = 0, x IN [1, 2] | s + x)",
        "RETURN CASE WHEN $n IS NULL THEN 'none' ELSE toString($n) END, any(x IN [1, null] WHERE x = 1)",
        "UNWIND [1, 1.0, null, 'a', [1], {b: 2}] AS v RETURN DISTINCT v ORDER BY v",
        "RETURN 1 AS a UNION ALL RETURN 2 AS a",
        "MATCH (n:Package {name: $name})-[:DEPENDS*1..3]->(m) RETURN m.name LIMIT 10",
        "WITH 1 AS a\nRETURN b",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Statements over the small graph of `cypher_graph`: reads, writes,
/// procedures, paths.
fn graph_seeds() -> Vec<Vec<u8>> {
    [
        "MATCH (p:Package {name: $name})-[:DEPENDS*1..3]->(d) RETURN d.name, count(*) ORDER BY d.name",
        "MATCH (a:Library)<-[r:DEPENDS]-(b) WHERE r.optional IS NULL RETURN a, r, b LIMIT 3",
        "MATCH p = shortestPath((a {name: 'wget'})-[*]-(b {name: 'libc6'})) RETURN p, length(p)",
        "MATCH (n) OPTIONAL MATCH (n)-[:SUGGESTS]->(m) RETURN n.name, m.name SKIP 1",
        "MATCH (p:Package) WHERE p.size > $n SET p.size = p.size + 1 RETURN p.size",
        "MERGE (x:Package {name: 'new'}) ON CREATE SET x.size = 1 RETURN x",
        "MATCH (n:Library) DETACH DELETE n RETURN count(*)",
        "CALL algo.pagerank() YIELD node, score RETURN node.name, score ORDER BY score DESC",
        "UNWIND $xs AS x MATCH (p:Package {size: x * 100}) RETURN p.name",
        "MATCH (a)-->(b) WITH a, collect(b.name) AS deps WHERE size(deps) > 1 RETURN a.name, deps",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// A Cypher statement (with parameters `xs` and `n` given): parsing,
/// checking and running it returns rows or an error.
fn cypher(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::query::run(text, &cypher_params());
}

thread_local! {
    /// The database `fulltext_query` searches: one per thread.
    static TEXTS: Option<crate::Database> = text_database();
}

/// Four documents with two fields under an English full-text index.
fn text_database() -> Option<crate::Database> {
    use crate::fulltext::{Analyzer, FulltextConfig};
    let dir = crate::vector::fuzz::scratch_dir("fulltext");
    let db = crate::Database::open(&dir).ok()?;
    let mut w = db.begin_write().ok()?;
    for (title, body) in [
        (
            "Graph databases in Rust",
            "an embedded engine for graphs, vectors and text",
        ),
        ("Fast graph search", "HNSW walks; BM25 over postings"),
        ("Soup", "Recipes: fried rice, rice pudding"),
        ("Tést ünïcode 中文", "the the the a of"),
    ] {
        w.add_node(&["Doc"], crate::props! {"title" => title, "body" => body})
            .ok()?;
    }
    let config = FulltextConfig::nodes(&["Doc"], &["title", "body"]).analyzer(Analyzer::English);
    w.create_fulltext_index("docs", config).ok()?;
    w.commit().ok()?;
    Some(db)
}

/// A full-text query: parsed, then (when valid) run for the top 5 and a
/// page of everything; each returns hits or an error.
fn fulltext_query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if crate::fulltext::query::parse(text).is_err() {
        return;
    }
    TEXTS.with(|db| {
        let Some(db) = db else {
            return;
        };
        let Ok(r) = db.begin_read() else {
            return;
        };
        if let Ok(index) = r.fulltext("docs") {
            if let Ok(hits) = index.search(text, 5) {
                assert!(hits.len() <= 5);
                assert!(hits.windows(2).all(|h| h[0].score >= h[1].score));
            }
            let _ = index.search_page(text, 1, usize::MAX);
        }
    });
}

/// The parameters the Cypher targets give: `xs` (a list) and `n`.
fn cypher_params() -> crate::query::Params {
    let mut params = crate::query::Params::new();
    params.insert(
        "xs".to_owned(),
        crate::query::CypherValue::List((0..5).map(crate::query::CypherValue::Int).collect()),
    );
    params.insert("n".to_owned(), crate::query::CypherValue::Int(7));
    params
}

thread_local! {
    /// The database `cypher_graph` runs statements on: one per thread,
    /// never changed (every write transaction is dropped uncommitted).
    static GRAPH: Option<crate::Database> = graph_database();
}

/// Six packages with names (a unique key), sizes (an index), a section,
/// dependencies with and without properties, and a cycle.
fn graph_database() -> Option<crate::Database> {
    let dir = crate::vector::fuzz::scratch_dir("cypher-graph");
    let db = crate::Database::open(&dir).ok()?;
    let mut w = db.begin_write().ok()?;
    w.create_unique_key("Package", "name").ok()?;
    w.create_index("Package", "size").ok()?;
    w.query(
        "CREATE (curl:Package {name: 'curl', size: 500, section: 'web'}),
                (wget:Package {name: 'wget', size: 900, section: 'web'}),
                (ssl:Package:Library {name: 'libssl3', size: 3000}),
                (z:Package:Library {name: 'libz', size: 100, tags: ['a', 'b']}),
                (c:Package:Library {name: 'libc6', size: 12000}),
                (o:Other {name: 'other', size: 1.5}),
                (curl)-[:DEPENDS {optional: false}]->(ssl), (curl)-[:DEPENDS]->(z),
                (wget)-[:DEPENDS]->(ssl), (ssl)-[:DEPENDS]->(c), (z)-[:DEPENDS]->(c),
                (c)-[:SUGGESTS {w: 2}]->(curl), (wget)-[:RECOMMENDS]->(curl), (o)-[:SELF]->(o)",
        &crate::query::Params::new(),
    )
    .ok()?;
    w.commit().ok()?;
    Some(db)
}

/// A Cypher statement on a small graph (see `graph_database`), with the
/// parameters of `cypher` and `name`: run in a write transaction that is
/// then dropped, and streamed on a snapshot (up to 10,000 rows), each
/// with a time limit of 200 ms.
fn cypher_graph(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut params = cypher_params();
    params.insert("name".to_owned(), crate::query::CypherValue::from("curl"));
    let options = crate::query::QueryOptions::timeout(std::time::Duration::from_millis(200));
    GRAPH.with(|db| {
        let Some(db) = db else {
            return;
        };
        if let Ok(mut w) = db.begin_write() {
            let _ = w.query_with(text, &params, &options);
        }
        if let Ok(r) = db.begin_read()
            && let Ok(rows) = r.stream(text, &params, &options)
        {
            for row in rows.take(10_000) {
                if row.is_err() {
                    break;
                }
            }
        }
    });
}

/// Removes this process's scratch files (the fuzz targets leave them for
/// the next run to overwrite).
pub fn remove_scratch() {
    crate::vector::fuzz::remove_scratch();
}

/// Writes `data` to this thread's scratch file `name`.
fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    let path = crate::vector::fuzz::scratch_path("file").join(name);
    if std::fs::write(&path, data).is_err() {
        crate::vector::fuzz::scratch_dir("file");
        assert!(
            std::fs::write(&path, data).is_ok(),
            "cannot write {}",
            path.display()
        );
    }
    path
}

/// Reads every row of `reader` (an I/O or whole-file error ends it).
fn drain<R: RowReader>(reader: Result<R>) {
    let Ok(mut reader) = reader else {
        return;
    };
    let mut last = 0;
    while let Ok(Some((line, _row))) = reader.next_row() {
        assert!(
            line >= last,
            "line numbers go backwards: {line} after {last}"
        );
        last = line;
    }
}

fn csv_nodes(data: &[u8]) {
    let path = scratch_file("nodes.csv", data);
    drain(CsvReader::open(&path, true, "id").map(CsvNodes));
}

fn csv_edges(data: &[u8]) {
    let path = scratch_file("edges.csv", data);
    drain(CsvReader::open(&path, false, "id").map(CsvEdges));
}

fn jsonl_nodes(data: &[u8]) {
    let path = scratch_file("nodes.jsonl", data);
    drain(JsonlReader::open(&path, "id").map(JsonlNodes));
}

fn jsonl_edges(data: &[u8]) {
    let path = scratch_file("edges.jsonl", data);
    drain(JsonlReader::open(&path, "id").map(JsonlEdges));
}

/// An edge list or Graphalytics `.e` file; the last byte picks whether
/// the weight column is required, refused or optional.
fn edge_list(data: &[u8]) {
    let weighted = match data.last().map(|b| b % 3) {
        Some(0) => Some(true),
        Some(1) => Some(false),
        _ => None,
    };
    let path = scratch_file("graph.e", data);
    drain(EdgeListReader::open(&path, weighted));
}

fn graphalytics_vertices(data: &[u8]) {
    let path = scratch_file("graph.v", data);
    drain(VertexReader::open(&path));
}

fn graphalytics_properties(data: &[u8]) {
    let path = scratch_file("graph.properties", data);
    if let Ok(props) = GraphalyticsProperties::read(&path) {
        assert!(props.entries.contains_key("directed"));
        let _ = props.param("bfs.source-vertex");
    }
}

/// Opens a vector file and reads every row (within its stated size);
/// returns the scratch file's path.
fn vectors(data: &[u8], format: VecsFormat, name: &str) -> PathBuf {
    let path = scratch_file(name, data);
    let Ok(file) = VectorFile::open(&path, format) else {
        return path;
    };
    assert!(file.dim() >= 1 && !file.is_empty());
    assert!(file.len().saturating_mul(file.dim()) <= data.len());
    let mut row = Vec::new();
    for i in 0..file.len() {
        if file.row_into(i, &mut row).is_ok() {
            assert_eq!(row.len(), file.dim());
        }
    }
    assert!(file.row_into(file.len(), &mut row).is_err());
    path
}

fn fvecs(data: &[u8]) {
    let _ = crate::import::read_fvecs(vectors(data, VecsFormat::Fvecs, "v.fvecs"));
}

fn bvecs(data: &[u8]) {
    let _ = vectors(data, VecsFormat::Bvecs, "v.bvecs");
}

fn ivecs(data: &[u8]) {
    let _ = crate::import::read_ivecs(vectors(data, VecsFormat::Ivecs, "v.ivecs"));
}

fn npy(data: &[u8]) {
    let _ = vectors(data, VecsFormat::Npy, "v.npy");
}

/// Decodes `bytes` as `T`; a decoded value encodes to bytes that decode
/// and encode to the same bytes again.
fn round_trip<T>(bytes: &[u8], what: &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let Ok(value) = codec::decode::<T>(bytes, what) else {
        return;
    };
    let Ok(once) = codec::encode(&value) else {
        panic!("a decoded {what} must encode");
    };
    let again = codec::decode::<T>(&once, what).and_then(|v| codec::encode(&v));
    assert_eq!(
        again.ok().as_ref(),
        Some(&once),
        "{what} changed in a round trip"
    );
}

fn node_record(data: &[u8]) {
    if let Ok(node) = records::decode_node(data) {
        let _ = node.prop(2);
        let _ = node.has_label(3);
    }
    round_trip::<NodeRecord>(data, "node record");
}

fn edge_record(data: &[u8]) {
    if let Ok(edge) = records::decode_edge(data) {
        let _ = keys::numeric_props(&edge.numeric_props());
    }
    round_trip::<EdgeRecord>(data, "edge record");
}

/// The first byte picks the record: the schema, the graph record, an
/// import marker (today's layout or format 3's), or the format marker
/// file.
fn meta_records(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    match pick % 5 {
        0 => round_trip::<Schema>(bytes, "schema"),
        1 => round_trip::<GraphInfoRecord>(bytes, "graph record"),
        2 => crate::txn::fuzz::import_marker(bytes, 4),
        3 => crate::txn::fuzz::import_marker(bytes, 3),
        _ => {
            let path = scratch_file("QUIVERDB", bytes);
            crate::txn::fuzz::format_marker(path.parent().unwrap_or(Path::new(".")));
        }
    }
}

/// Splits `data` into length-prefixed (one byte) pieces.
fn pieces(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let (&len, tail) = rest.split_first()?;
        let (piece, tail) = tail.split_at(usize::from(len).min(tail.len()));
        rest = tail;
        Some(piece)
    })
}

/// The `dict` column family as alternating length-prefixed keys and
/// values. A dictionary that loads maps every id to a name and back.
fn dictionary(data: &[u8]) {
    let mut entries = BTreeMap::new();
    let mut it = pieces(data);
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        entries.insert(k.to_vec(), v.to_vec());
    }
    let Ok(dict) = Dictionary::load(&MemKv(entries)) else {
        return;
    };
    for kind in crate::graph::dict::Kind::ALL {
        for id in 0..dict.len(kind) as u32 {
            let name = dict.name(kind, id);
            assert!(name.is_some(), "id {id} has no name");
            assert_eq!(name.and_then(|n| dict.id(kind, n)), Some(id));
        }
    }
}

/// The fixed-layout keys and values: adjacency keys and values, label
/// keys, vector keys.
fn keys(data: &[u8]) {
    if let Ok(k) = keys::decode_adj(data) {
        assert_eq!(
            keys::adj(k.node, k.edge_type, k.other, k.edge).as_slice(),
            data
        );
    }
    if let Ok(Some(w)) = keys::find_numeric(data, 7) {
        let bits = w.to_bits().to_be_bytes();
        assert!(data.chunks_exact(12).any(|p| p[4..] == bits));
    }
    if let Ok(node) = keys::label_node(data) {
        let label = crate::storage::keys::read_u32(data, 0).unwrap_or(0);
        assert_eq!(&keys::label(label, node)[..], &data[..12]);
    }
    let _ = crate::vector::record::key_id(data);
}

/// Valid inputs of `target` to start from: generated records, and the
/// files of `tests/data` a parser reads.
#[must_use]
#[allow(clippy::too_many_lines, reason = "one arm per target")]
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let text = |s: &str| vec![s.as_bytes().to_vec()];
    let encoded = |v: Result<Vec<u8>>| v.unwrap_or_default();
    match target {
        #[cfg(feature = "server")]
        "bolt" => bolt_seeds(),
        "csv_nodes" => text(
            "id,name:string,size:int,score:float,ok:bool,labels\n\
             curl,\"cURL, the tool\",120,0.5,true,Package;Tool\n\
             libssl,\"multi\nline\",9,,false,\n\n\"q\"\"d\",x,1,1e3,TRUE,A\n",
        ),
        "csv_edges" => text(
            "src,dst,type,weight:float,note\n\
             curl,libssl,DEPENDS,1.5,\"a, b\"\nlibssl,libc,,,\n",
        ),
        "jsonl_nodes" => text(
            "{\"id\": \"curl\", \"labels\": [\"Package\"], \"size\": 120, \"tags\": [1, 2.5, null]}\n\
             {\"id\": 7, \"name\": \"x\", \"nested\": {\"a\": [true]}}\n\n",
        ),
        "jsonl_edges" => text(
            "{\"src\": \"curl\", \"dst\": \"libssl\", \"type\": \"DEPENDS\", \"weight\": 2}\n\
             {\"from\": 1, \"to\": 2}\n",
        ),
        "edge_list" => graphalytics_files("e"),
        "graphalytics_vertices" => graphalytics_files("v"),
        "graphalytics_properties" => graphalytics_files("properties"),
        "fvecs" => vec![vecs_rows(3, 4, |i| (i as f32 * 0.5).to_le_bytes().to_vec())],
        "ivecs" => vec![vecs_rows(3, 4, |i| {
            (i32::try_from(i).unwrap_or(0) - 5).to_le_bytes().to_vec()
        })],
        "bvecs" => vec![vecs_rows(3, 4, |i| vec![i as u8])],
        "npy" => {
            let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
            let mut out = b"\x93NUMPY\x01\x00".to_vec();
            let padded = format!("{header:<117}\n");
            out.extend_from_slice(&(padded.len() as u16).to_le_bytes());
            out.extend_from_slice(padded.as_bytes());
            for i in 0..12u8 {
                out.extend_from_slice(&f32::from(i).to_le_bytes());
            }
            vec![out]
        }
        "node_record" => vec![encoded(codec::encode(&NodeRecord {
            labels: vec![0, 3],
            props: vec![
                (0, Value::String("curl".into())),
                (2, Value::Int(-7)),
                (5, Value::Float(0.25)),
                (6, Value::List(vec![Value::Bool(true), Value::Null])),
            ],
        }))],
        "edge_record" => vec![encoded(codec::encode(&EdgeRecord {
            src: NodeId(1),
            dst: NodeId(u64::MAX - 1),
            edge_type: 2,
            props: vec![(1, Value::Float(2.5))],
        }))],
        "meta_records" => vec![
            [
                vec![0],
                encoded(codec::encode(&Schema {
                    unique: vec![(0, 1)],
                    indexed: vec![(2, 3)],
                })),
            ]
            .concat(),
            [
                vec![1],
                encoded(codec::encode(&GraphInfoRecord {
                    version: 1,
                    undirected: true,
                    weight: Some("weight".into()),
                })),
            ]
            .concat(),
            [vec![2], crate::txn::fuzz::marker_seed()].concat(),
            b"\x04QuiverDB database\nformat 5\n".to_vec(),
        ],
        "dictionary" => {
            let mut out = Vec::new();
            for (kind, name, id) in [
                (0u8, "Package", 0u32),
                (0, "Tool", 1),
                (1, "DEPENDS", 0),
                (2, "id", 0),
            ] {
                out.push(name.len() as u8 + 1);
                out.push(kind);
                out.extend_from_slice(name.as_bytes());
                out.push(4);
                out.extend_from_slice(&id.to_be_bytes());
            }
            vec![out]
        }
        "keys" => vec![
            keys::adj(NodeId(3), 1, NodeId(9), EdgeId(12)).to_vec(),
            keys::numeric_props(&[(1, 0.5), (7, -2.0)]),
            keys::label(4, NodeId(77)).to_vec(),
        ],
        "cypher" => cypher_seeds(),
        "cypher_graph" => graph_seeds(),
        "fulltext_records" => crate::fulltext::fuzz::seeds(),
        "fulltext_query" => fulltext_seeds(),
        other => crate::vector::fuzz::seeds(other),
    }
}

/// Queries over the language, and a malformed one.
fn fulltext_seeds() -> Vec<Vec<u8>> {
    [
        "graph AND (rust OR vector^2) -soup",
        "title:\"fast graph\"~2 body:engin*",
        "+rust? grph~1 \\+ *:* NOT te?t",
        "\"\" () [a TO b] a:b:c ~ ^",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// `rows` rows of `dim` components in the `.fvecs` family's layout.
fn vecs_rows(rows: usize, dim: usize, component: impl Fn(usize) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for r in 0..rows {
        out.extend_from_slice(&u32::try_from(dim).unwrap_or(0).to_le_bytes());
        for c in 0..dim {
            out.extend(component(r * dim + c));
        }
    }
    out
}

/// The Graphalytics test files of `tests/data` with extension `ext`.
fn graphalytics_files(ext: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graphalytics");
    let mut out = Vec::new();
    for graph in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(graph.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            if path.extension().is_some_and(|e| e == ext) {
                out.extend(std::fs::read(&path).ok());
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests;
