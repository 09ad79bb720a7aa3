//! The built-in sentence embedder against reference vectors no one here
//! made: 300 texts of the Debian dataset with the all-MiniLM-L6-v2
//! embeddings its makers computed (int8 ONNX on onnxruntime; see
//! `tests/data/embed/README.md`). Every text must reach cosine >= 0.999.
//!
//! The model folder comes from `QUIVER_MODEL`, else the cache that
//! `data/models/fetch-minilm.sh` fills. Without one these tests say so
//! and pass, unless `QUIVER_REQUIRE_MODEL=1` (set by `.ci/run`, which
//! fetches the model first). `QUIVER_EMBED_ALL=1` also embeds all 1,000
//! query texts of `../shared/datasets/debian` and prints min / mean.

#![cfg(feature = "embed")]
#![allow(
    clippy::unwrap_used,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use quiverdb::Error;
use quiverdb::embed::{Embedder, SentenceBert};

/// The model folder, or `None` (after saying why) when there is none and
/// none is required.
fn model_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("QUIVER_MODEL")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("QUIVER_MODEL_CACHE")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("XDG_CACHE_HOME")
                        .map(|c| Path::new(&c).join("quiverdb/models"))
                })
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/quiverdb/models"))
                })?;
            Some(cache.join("all-MiniLM-L6-v2"))
        });
    match dir {
        Some(d) if d.join("model.safetensors").exists() => Some(d),
        _ if std::env::var("QUIVER_REQUIRE_MODEL").is_ok_and(|v| v == "1") => {
            panic!("QUIVER_REQUIRE_MODEL=1 but no model folder: run data/models/fetch-minilm.sh")
        }
        _ => {
            eprintln!(
                "no model folder (run data/models/fetch-minilm.sh or set QUIVER_MODEL): skipped"
            );
            None
        }
    }
}

/// Runs the `quiver` binary with `args`.
fn quiver(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quiver"))
        .args(args)
        .output()
        .unwrap()
}

fn read_fvecs(path: &Path) -> Vec<Vec<f32>> {
    quiverdb::import::read_fvecs(path).unwrap()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// Embeds `texts` and compares with `reference`: (min, mean) cosine, and
/// the texts below `floor`.
fn compare(
    model: &SentenceBert,
    texts: &[String],
    reference: &[Vec<f32>],
    floor: f32,
) -> (f32, f32, Vec<usize>) {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = model.embed(&refs).unwrap();
    assert_eq!(vectors.len(), texts.len());
    let mut min = f32::MAX;
    let mut sum = 0.0;
    let mut low = Vec::new();
    for (i, (v, r)) in vectors.iter().zip(reference).enumerate() {
        assert_eq!(v.len(), 384);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "text {i}: norm {norm}");
        let c = cosine(v, r);
        min = min.min(c);
        sum += c;
        if c < floor {
            low.push(i);
        }
    }
    (min, sum / texts.len() as f32, low)
}

#[test]
fn embeddings_match_the_reference_vectors() {
    let Some(dir) = model_dir() else { return };
    let model = SentenceBert::load(&dir).unwrap();
    assert_eq!(model.dim(), 384);
    assert_eq!(model.max_tokens(), 256);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/embed");
    let texts: Vec<String> = std::fs::read_to_string(data.join("texts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let reference = read_fvecs(&data.join("reference.fvecs"));
    assert_eq!(texts.len(), 300);
    let (min, mean, low) = compare(&model, &texts, &reference, 0.999);
    println!("300 reference texts: cosine min {min:.5}, mean {mean:.5}");
    assert!(
        low.is_empty(),
        "texts below cosine 0.999: {low:?} (min {min})"
    );
    // Batching must not change a text's vector: alone and in a batch.
    let alone = model.embed(&[texts[7].as_str()]).unwrap();
    let batched = model
        .embed(&[texts[7].as_str(), texts[250].as_str()])
        .unwrap();
    assert!(cosine(&alone[0], &batched[0]) > 0.99999);
}

#[test]
fn long_texts_are_truncated_and_said_to_be() {
    let Some(dir) = model_dir() else { return };
    let model = SentenceBert::load(&dir).unwrap();
    let long = "package ".repeat(600);
    assert!(model.count_tokens(&long).unwrap() > 256);
    let (vectors, truncated) = model.embed_reporting(&["short text", &long]).unwrap();
    assert_eq!(truncated, [1]);
    // Truncation keeps the first 254 word pieces: what follows is not read.
    let longer = format!("{long} and a different ending");
    let other = model.embed(&[&longer]).unwrap();
    assert!(cosine(&vectors[1], &other[0]) > 0.999_99);
}

#[test]
fn bad_texts_and_model_folders_are_typed_errors() {
    let Some(dir) = model_dir() else { return };
    let model = SentenceBert::load(&dir).unwrap();
    let err = model.embed(&["fine", "  "]).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert!(err.to_string().contains("text 1 is empty"), "{err}");

    // A copy of the folder, damaged one file at a time.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("model");
    common::copy_dir(&dir, &copy);
    let cases: [(&str, &[u8], &str); 5] = [
        ("config.json", b"{not json", "malformed"),
        ("tokenizer.json", b"[]", "cannot load"),
        (
            "model.safetensors",
            b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ",
            "does not fit",
        ),
        (
            "sentence_bert_config.json",
            b"{\"max_seq_length\": 1}",
            "leaves no room",
        ),
        (
            "1_Pooling/config.json",
            b"{\"pooling_mode_cls_token\": true}",
            "only mean pooling",
        ),
    ];
    for (file, bytes, says) in cases {
        let original = std::fs::read(copy.join(file)).unwrap();
        std::fs::write(copy.join(file), bytes).unwrap();
        let err = SentenceBert::load(&copy).err().unwrap();
        let Error::Model { path, reason } = &err else {
            panic!("{file}: not a model error: {err}");
        };
        assert_eq!(path, &copy.join(file), "{err}");
        assert!(reason.contains(says), "{file}: {err}");
        std::fs::write(copy.join(file), original).unwrap();
    }
    // Weights of another shape than config.json says.
    let config = std::fs::read_to_string(copy.join("config.json")).unwrap();
    std::fs::write(
        copy.join("config.json"),
        config.replace("\"intermediate_size\": 1536", "\"intermediate_size\": 1024"),
    )
    .unwrap();
    let err = SentenceBert::load(&copy).err().unwrap();
    assert!(
        matches!(&err, Error::Model { path, reason } if path == &copy.join("model.safetensors") && reason.contains("does not fit config.json") && reason.contains("[1024, 384]")),
        "{err}"
    );
    std::fs::write(copy.join("config.json"), config).unwrap();
    std::fs::remove_file(copy.join("tokenizer.json")).unwrap();
    let err = SentenceBert::load(&copy).err().unwrap();
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
    assert!(matches!(
        SentenceBert::load(tmp.path().join("none")),
        Err(Error::Model { .. })
    ));
}

/// Opt-in: all 1,000 query texts of the Debian dataset.
#[test]
fn all_queries_of_the_debian_dataset() {
    if std::env::var("QUIVER_EMBED_ALL").is_err() {
        return;
    }
    let Some(dir) = model_dir() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/debian");
    let model = SentenceBert::load(&dir).unwrap();
    let mut reader = csv::Reader::from_path(root.join("queries_source.csv")).unwrap();
    let texts: Vec<String> = reader.records().map(|r| r.unwrap()[3].to_owned()).collect();
    let reference = read_fvecs(&root.join("queries.fvecs"));
    let started = std::time::Instant::now();
    let (min, mean, low) = compare(&model, &texts, &reference, 0.999);
    println!(
        "{} queries: cosine min {min:.5}, mean {mean:.5}, {} below 0.999; {:.1} s",
        texts.len(),
        low.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(low.is_empty());
}

/// `quiver embed` writes what the library computes, one row a text, and
/// names a bad line of its input.
#[test]
fn the_cli_embeds_a_file_of_texts_into_fvecs() {
    let Some(dir) = model_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("texts.txt");
    std::fs::write(&input, "HTTP client library\nweb server\r\nimage editor\n").unwrap();
    let output = tmp.path().join("out.fvecs");
    let run = quiver(&[
        "embed".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--output".as_ref(),
        output.as_os_str(),
        "--model".as_ref(),
        dir.as_os_str(),
        "--json".as_ref(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["texts"], 3);
    let rows = read_fvecs(&output);
    let model = SentenceBert::load(&dir).unwrap();
    let expected = model
        .embed(&["HTTP client library", "web server", "image editor"])
        .unwrap();
    for (row, want) in rows.iter().zip(&expected) {
        assert!(cosine(row, want) > 0.999_99);
    }
    std::fs::write(&input, b"fine\n\xff\xfe\n").unwrap();
    let bad = tmp.path().join("bad.fvecs");
    let run = quiver(&[
        "embed".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--output".as_ref(),
        bad.as_os_str(),
        "--model".as_ref(),
        dir.as_os_str(),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("line 2: not valid UTF-8"));
    assert!(!tmp.path().join("bad.fvecs").exists());
}

/// A collection that knows its text, on the real model: texts in, the
/// right package out, across a reopen.
#[test]
fn a_text_collection_answers_a_sentence() {
    use quiverdb::vector::{CollectionConfig, Metric, Search};
    use quiverdb::{Database, props};
    use std::sync::Arc;

    let Some(dir) = model_dir() else { return };
    let model = Arc::new(SentenceBert::load(&dir).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let db = Database::open(tmp.path()).unwrap();
    let texts = [
        "command line tool for transferring data with URL syntax",
        "object-relational SQL database server",
        "GNU image manipulation program",
        "fast, scalable, distributed revision control system",
    ];
    let mut w = db.begin_write().unwrap();
    w.create_text_collection(
        "packages",
        CollectionConfig::new(384, Metric::Cosine),
        model.clone(),
    )
    .unwrap();
    let report = w
        .upsert_texts(
            "packages",
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| (i as u64, *t, props! {})),
        )
        .unwrap();
    assert_eq!(report.inserted, 4);
    w.commit().unwrap();
    db.close().unwrap();

    let db = Database::open(tmp.path()).unwrap();
    db.attach_embedder("packages", model).unwrap();
    for (query, want) in [
        ("download a file from a web address", 0),
        ("PostgreSQL", 1),
        ("photo editing", 2),
        ("version control like git", 3),
    ] {
        let found = db
            .search_text("packages", query, &Search::k(1).with_payload())
            .unwrap();
        assert_eq!(found.hits[0].key, want, "{query}");
        assert_eq!(found.hits[0].text.as_deref(), Some(texts[want as usize]));
    }
}

/// `quiver import --embed-column` then `quiver search --text`; a bad
/// model folder fails before the database is touched.
#[test]
fn the_cli_imports_an_embedded_column_and_searches_it_by_text() {
    let Some(dir) = model_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let nodes = tmp.path().join("packages.csv");
    std::fs::write(
        &nodes,
        "name,description\ncurl,command line tool for transferring data with URL syntax\n\
         gimp,GNU image manipulation program\nnone,\n",
    )
    .unwrap();
    let db = tmp.path().join("db");
    let import = |model: &Path| {
        quiver(&[
            "import".as_ref(),
            db.as_os_str(),
            "--nodes".as_ref(),
            nodes.as_os_str(),
            "--key".as_ref(),
            "name".as_ref(),
            "--embed-column".as_ref(),
            "description".as_ref(),
            "--collection".as_ref(),
            "desc".as_ref(),
            "--model".as_ref(),
            model.as_os_str(),
            "--json".as_ref(),
        ])
    };
    let bad = import(&tmp.path().join("no-model"));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a folder"));
    assert!(
        !db.exists(),
        "a bad model folder must not create the database"
    );

    let run = import(&dir);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(
        (report["nodes"].as_u64(), report["texts"].as_u64()),
        (Some(3), Some(2))
    );
    assert!(report["texts_per_second"].as_f64().unwrap() > 0.0);

    let run = quiver(&[
        "search".as_ref(),
        db.as_os_str(),
        "--collection".as_ref(),
        "desc".as_ref(),
        "--text".as_ref(),
        "photo editor".as_ref(),
        "--k".as_ref(),
        "1".as_ref(),
        "--model".as_ref(),
        dir.as_os_str(),
        "--json".as_ref(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(found["hits"][0]["text"], "GNU image manipulation program");
}

/// With a model, the demo's tour searches the bundled packages by a
/// sentence.
#[test]
fn the_demo_searches_by_a_sentence() {
    let Some(dir) = model_dir() else { return };
    let run = quiver(&["demo".as_ref(), "--model".as_ref(), dir.as_os_str()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out = String::from_utf8_lossy(&run.stdout);
    let step = out
        .split("\n2. ")
        .nth(1)
        .and_then(|s| s.split("\n3. ").next())
        .unwrap();
    assert!(
        step.starts_with("packages described like \"HTTP client library\""),
        "{out}"
    );
    // Its five hits are HTTP libraries of the slice.
    let hits: Vec<&str> = step
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(hits.len(), 5, "{out}");
    assert!(hits.iter().all(|l| l.contains("HTTP")), "{out}");
}
