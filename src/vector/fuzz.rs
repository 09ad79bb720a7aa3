//! Fuzz entry points over the vector model's stored bytes: collection and
//! point records, checkpoint envelopes, the native engine's dump files,
//! and whole checkpoints of both engines. Each takes arbitrary bytes and
//! must return (an error is fine) without a panic, an abort or an
//! unbounded allocation; where a decode succeeds, encoding the result and
//! decoding it again must give the same thing. Driven by `crate::fuzz`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::checkpoint::{self, Envelope};
use super::engine;
use super::record::{self, CollectionRecord, ConfigRecord};
use super::{CollectionConfig, IndexEngine, Metric};
use crate::storage::codec;

/// A collection record: decodes (the current or format 2's layout, with
/// its configuration validated); a decoded one re-encodes to itself.
pub(crate) fn collection_record(data: &[u8]) {
    let Ok(rec) = CollectionRecord::decode(data) else {
        return;
    };
    assert!(rec.config().validate().is_ok());
    let bytes = codec::encode(&rec);
    assert!(bytes.is_ok(), "a decoded collection record must encode");
    let again = bytes.map(|b| CollectionRecord::decode(&b).ok());
    assert_eq!(again.ok().flatten(), Some(rec));
}

/// A `vectors` value: the first byte picks the dimension (0..=15), the
/// rest is the value. A decoded point re-encodes to bytes that decode to
/// the same encoding.
pub(crate) fn point_record(data: &[u8]) {
    let Some((&dim, bytes)) = data.split_first() else {
        return;
    };
    let Ok(point) = record::decode_point(bytes, usize::from(dim & 15)) else {
        return;
    };
    let payload: Vec<_> = point.payload.into_iter().collect();
    let once = record::encode_point(point.key, &point.vector, &payload, point.text.as_deref());
    let Ok(once) = once else {
        panic!("a decoded point must encode");
    };
    let again = record::decode_point(&once, point.vector.len()).and_then(|p| {
        let payload: Vec<_> = p.payload.into_iter().collect();
        record::encode_point(p.key, &p.vector, &payload, p.text.as_deref())
    });
    assert_eq!(again.ok().as_ref(), Some(&once));
}

/// A checkpoint envelope (current or version-1 layout).
pub(crate) fn envelope(data: &[u8]) {
    let Ok(env) = checkpoint::decode_envelope(data) else {
        return;
    };
    let again = codec::encode(&env).map(|b| checkpoint::decode_envelope(&b).ok());
    assert_eq!(again.ok().flatten(), Some(env));
}

/// The configuration of the template checkpoints.
fn template_config(engine: IndexEngine) -> CollectionConfig {
    CollectionConfig::new(4, Metric::L2)
        .hnsw(4, 16)
        .engine(engine)
}

/// A small graph of `engine`, as a fuzzer's starting point.
fn template_graph(engine: IndexEngine) -> Box<dyn engine::Engine> {
    let config = template_config(engine);
    let vectors: Vec<[f32; 4]> = (0..40u16)
        .map(|i| {
            let x = f32::from(i);
            [x.sin(), x.cos(), (x * 0.37).sin(), (x * 1.3).cos()]
        })
        .collect();
    let points: Vec<(u64, &[f32])> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u64 * 3, v.as_slice()))
        .collect();
    let mut graph = engine::create(&config, points.len());
    graph.insert(&points);
    graph
}

/// The folder of this process's fuzzing scratch files, in the temporary
/// directory and named by the process id; each thread writes only below
/// its own sub-folder.
fn scratch_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| std::env::temp_dir().join(format!("quiver-fuzz-{}", std::process::id())))
}

/// This thread's scratch folder `name` (not created).
pub(crate) fn scratch_path(name: &str) -> PathBuf {
    scratch_root()
        .join(format!("{:?}", std::thread::current().id()).replace(['(', ')'], ""))
        .join(name)
}

/// This thread's scratch folder `name`, created empty.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    let dir = scratch_path(name);
    let _ = std::fs::remove_dir_all(&dir);
    let made = std::fs::create_dir_all(&dir);
    assert!(
        made.is_ok(),
        "cannot create the scratch folder {}",
        dir.display()
    );
    dir
}

/// Removes the scratch folders of this process.
pub(crate) fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch_root());
}

/// The files of a template dump of the native engine, in checkpoint
/// order, with the bytes of each (made once per process).
fn template_dump() -> &'static [(String, Vec<u8>)] {
    static DUMP: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    let engine = IndexEngine::Native;
    DUMP.get_or_init(|| {
        let dir = scratch_dir(&format!("template-{}", engine.name()));
        let graph = template_graph(engine);
        assert!(graph.dump(&dir).is_ok(), "the template graph must dump");
        let files = engine::files(engine)
            .iter()
            .map(|name| {
                let bytes = std::fs::read(dir.join(name)).unwrap_or_default();
                ((*name).to_owned(), bytes)
            })
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        files
    })
}

/// Uses a loaded graph as a search would, checking what the engine
/// contract promises: rows in range, distances ordered.
fn exercise(graph: &mut dyn engine::Engine) {
    let n = graph.len();
    for row in 0..n as u32 {
        assert_eq!(graph.vector(row).len(), 4);
        let _ = graph.label(row);
    }
    let query = if n > 0 {
        graph.vector(0).to_vec()
    } else {
        vec![0.5; 4]
    };
    let hits = graph.search(&query, 5, 16, None);
    assert!(hits.len() <= 5.min(n));
    assert!(hits.iter().all(|&(row, _)| (row as usize) < n));
    assert!(hits.windows(2).all(|w| w[0].1.total_cmp(&w[1].1).is_le()));
    if n > 1 {
        graph.delete(0);
        // As the index does: deleted rows are filtered out by the caller.
        let live = |row: u32| row != 0;
        let hits = graph.search(&query, 5, 16, Some(&live));
        assert!(hits.iter().all(|&(row, _)| row != 0 && (row as usize) < n));
        // A compaction drops row 0 and renumbers the rest in order.
        if let Some(kept) = graph.compact() {
            assert_eq!(kept, (1..n as u32).collect::<Vec<_>>());
            assert_eq!(graph.len(), n - 1);
            let hits = graph.search(&query, 5, 16, None);
            assert!(hits.iter().all(|&(row, _)| (row as usize) < n - 1));
        }
    }
}

/// The native engine's dump files, read without their checksums: the
/// first byte picks the file (0..=3) the rest replaces; the other files
/// are a valid template's. A graph that loads is searched, has a row
/// deleted and repaired, and is searched again.
pub(crate) fn native_dump(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let template = template_dump();
    let pick = usize::from(pick) % template.len();
    let dir = scratch_dir("native-dump");
    for (i, (name, original)) in template.iter().enumerate() {
        let written = std::fs::write(dir.join(name), if i == pick { bytes } else { original });
        assert!(written.is_ok(), "cannot write {name}");
    }
    if let Ok(mut graph) = engine::load(&template_config(IndexEngine::Native), &dir) {
        exercise(graph.as_mut());
    }
}

/// The files of a template checkpoint of `engine` (each dump file, then
/// the envelope) with their bytes, written once per process through the
/// checkpoint writer.
fn template_checkpoint(engine: IndexEngine) -> &'static [(String, Vec<u8>)] {
    static NATIVE: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    static HNSW_RS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    let cell = match engine {
        IndexEngine::Native => &NATIVE,
        IndexEngine::HnswRs => &HNSW_RS,
    };
    cell.get_or_init(|| {
        let db = scratch_dir(&format!("template-checkpoint-{}", engine.name()));
        let record = ConfigRecord::from(&template_config(engine));
        let graph = template_graph(engine);
        let written = checkpoint::write(&db, CHECKPOINTED, &record, graph.as_ref(), 120, &[]);
        assert!(written.is_ok(), "the template checkpoint must be written");
        let folder = db
            .join(checkpoint::FOLDER)
            .join(format!("c{CHECKPOINTED}-0"));
        let files = engine::files(engine)
            .iter()
            .copied()
            .chain([checkpoint::ENVELOPE])
            .map(|name| {
                let bytes = std::fs::read(folder.join(name)).unwrap_or_default();
                (name.to_owned(), bytes)
            })
            .collect();
        let _ = std::fs::remove_dir_all(&db);
        files
    })
}

/// The collection id of the template checkpoints.
const CHECKPOINTED: u32 = 7;

/// A whole checkpoint folder as the index reads it at open: the first
/// byte picks the engine (bit 0) and the file (the rest: each dump file,
/// then the envelope), the other bytes replace that file; the rest are a
/// valid checkpoint's. What is read must be whole, or refused.
pub(crate) fn checkpoint(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let engine = if pick & 1 == 0 {
        IndexEngine::Native
    } else {
        IndexEngine::HnswRs
    };
    let template = template_checkpoint(engine);
    let which = usize::from(pick >> 1) % template.len();
    let db = scratch_dir(&format!("checkpoint-{}", engine.name()));
    let folder = db
        .join(checkpoint::FOLDER)
        .join(format!("c{CHECKPOINTED}-0"));
    assert!(std::fs::create_dir_all(&folder).is_ok());
    for (i, (name, original)) in template.iter().enumerate() {
        let written = std::fs::write(folder.join(name), if i == which { bytes } else { original });
        assert!(written.is_ok(), "cannot write {name}");
    }
    if let Ok((mut graph, envelope)) = checkpoint::read(&db, CHECKPOINTED, &template_config(engine))
    {
        assert_eq!(graph.len() as u64, envelope.graph_points);
        exercise(graph.as_mut());
    }
}

/// Seeds for the targets of this module: valid inputs of each.
/// A seed record's source: some nodes', some relationships', some none.
fn seed_source(i: usize) -> Option<crate::vector::record::SourceRecord> {
    (i % 3 == 2).then(|| crate::vector::record::SourceRecord {
        edges: i % 2 == 1,
        label: "Chunk".to_owned(),
        property: "embedding".to_owned(),
    })
}

pub(crate) fn seeds(target: &str) -> Vec<Vec<u8>> {
    let configs = [
        CollectionConfig::new(4, Metric::L2).hnsw(4, 16),
        CollectionConfig::new(384, Metric::Cosine),
        CollectionConfig::new(2, Metric::Dot)
            .engine(IndexEngine::HnswRs)
            .bound_to_nodes(),
        CollectionConfig::new(8, Metric::Cosine).quantization(crate::vector::Quantization::Int8),
        CollectionConfig::new(8, Metric::L2).quantization(crate::vector::Quantization::Binary),
    ];
    let encode = |v: Result<Vec<u8>, crate::Error>| v.unwrap_or_default();
    match target {
        "collection_record" => configs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                encode(codec::encode(&CollectionRecord {
                    id: i as u32,
                    config: ConfigRecord::from(c),
                    next_slot: 1000 * i as u64,
                    count: 10 * i as u64,
                    text_model: (i % 2 == 1).then(|| "sentence-bert 384-d".to_owned()),
                    quantization: c.quantization.into(),
                    payload_indexes: if i % 2 == 0 {
                        vec!["section".to_owned()]
                    } else {
                        Vec::new()
                    },
                    source: seed_source(i),
                }))
            })
            .collect(),
        "point_record" => {
            let payload = [
                ("name".to_owned(), crate::Value::String("curl".into())),
                ("size".to_owned(), crate::Value::Int(1234)),
                (
                    "tags".to_owned(),
                    crate::Value::List(vec![crate::Value::Bool(true)]),
                ),
            ];
            [
                (0u8, &[][..], &[][..], None),
                (3, &[1.0, -2.5, 3.25][..], &payload[..], None),
                (
                    2,
                    &[0.5, 0.5][..],
                    &payload[..1],
                    Some("HTTP client library"),
                ),
            ]
            .iter()
            .map(|(dim, v, p, text)| {
                let mut out = vec![*dim];
                out.extend(encode(record::encode_point(42, v, p, *text)));
                out
            })
            .collect()
        }
        "checkpoint_envelope" => configs
            .iter()
            .map(|c| {
                encode(codec::encode(&Envelope {
                    version: 3,
                    collection: 3,
                    config: ConfigRecord::from(c),
                    slot_end: 99,
                    graph_points: 40,
                    files: vec![(1024, 0xdead_beef), (8, 1)],
                    calibrations: vec![checkpoint::StoredCalibration {
                        k: 10,
                        live: 40,
                        curve: vec![(10, 0.9), (16, 0.97)],
                        errors: vec![0.02, 0.01],
                    }],
                }))
            })
            .collect(),
        "native_dump" => template_dump()
            .iter()
            .enumerate()
            .map(|(i, (_, bytes))| {
                let mut out = vec![i as u8];
                out.extend_from_slice(bytes);
                out
            })
            .collect(),
        "checkpoint" => {
            let mut out = Vec::new();
            for (bit, engine) in [(0u8, IndexEngine::Native), (1, IndexEngine::HnswRs)] {
                for (i, (_, bytes)) in template_checkpoint(engine).iter().enumerate() {
                    let mut seed = vec![bit | (i as u8) << 1];
                    seed.extend_from_slice(bytes);
                    out.push(seed);
                }
            }
            out
        }
        _ => Vec::new(),
    }
}
