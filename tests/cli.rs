//! The `quiver` binary, run for real: vectors imported from an `.fvecs`
//! file and measured with `search --queries --gt --json`; bad input gives a
//! non-zero exit and a message, never a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    clippy::float_cmp,
    clippy::too_many_lines,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

mod common;

fn quiver(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quiver"))
        .args(args)
        .output()
        .unwrap()
}

fn write_vecs(path: &Path, rows: &[Vec<f32>]) {
    let mut out = Vec::new();
    for r in rows {
        out.extend_from_slice(&(r.len() as i32).to_le_bytes());
        for x in r {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    std::fs::write(path, out).unwrap();
}

fn write_ivecs(path: &Path, rows: &[Vec<i32>]) {
    let mut out = Vec::new();
    for r in rows {
        out.extend_from_slice(&(r.len() as i32).to_le_bytes());
        for x in r {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn import_then_measure_search_against_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 7u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let base: Vec<Vec<f32>> = (0..3_000)
        .map(|_| (0..16).map(|_| next()).collect())
        .collect();
    let queries: Vec<Vec<f32>> = (0..50).map(|_| (0..16).map(|_| next()).collect()).collect();
    // Exact ground truth by L2, computed here, with its distances.
    let mut gt_scores: Vec<Vec<f32>> = Vec::new();
    let gt: Vec<Vec<i32>> = queries
        .iter()
        .map(|q| {
            let mut d: Vec<(f32, i32)> = base
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    (
                        q.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum(),
                        i as i32,
                    )
                })
                .collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0));
            gt_scores.push(d[..10].iter().map(|p| p.0.sqrt()).collect());
            d[..10].iter().map(|p| p.1).collect()
        })
        .collect();
    let base_file = dir.path().join("b.fvecs");
    let scores_file = dir.path().join("gt.fvecs");
    write_vecs(&scores_file, &gt_scores);
    let query_file = dir.path().join("q.fvecs");
    let gt_file = dir.path().join("gt.ivecs");
    write_vecs(&base_file, &base);
    write_vecs(&query_file, &queries);
    write_ivecs(&gt_file, &gt);
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();

    let out = quiver(&[
        "import",
        db,
        "--vectors",
        base_file.to_str().unwrap(),
        "--collection",
        "v",
        "--metric",
        "l2",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["vectors"], 3000, "{report}");
    assert_eq!(report["rejected"], 0, "{report}");

    let out = quiver(&[
        "search",
        db,
        "--collection",
        "v",
        "--queries",
        query_file.to_str().unwrap(),
        "--gt",
        gt_file.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["recall", "k", "ef", "qps", "p50_ms", "p99_ms"] {
        assert!(report.get(key).is_some(), "{key} missing from {report}");
    }
    assert!(report["recall"].as_f64().unwrap() >= 0.95, "{report}");
    assert_eq!(report["k"], 10);

    // A ground truth short of rows or ids, or k 0 (whose tie-aware recall
    // would read the k-1-th score), is an error, not a panic.
    let short: Vec<Vec<i32>> = gt.iter().map(|g| g[..3].to_vec()).collect();
    let short_file = dir.path().join("short.ivecs");
    write_ivecs(&short_file, &short);
    let few_file = dir.path().join("few.ivecs");
    write_ivecs(&few_file, &gt[..10]);
    for (file, k, says) in [
        (&short_file, "10", "the shortest of 3 ids"),
        (&few_file, "10", "has 10 rows"),
        (&gt_file, "0", "k of at least 1"),
    ] {
        let out = quiver(&[
            "search",
            db,
            "--collection",
            "v",
            "--queries",
            query_file.to_str().unwrap(),
            "--gt",
            file.to_str().unwrap(),
            "--gt-scores",
            scores_file.to_str().unwrap(),
            "--k",
            k,
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && !err.contains("panicked"), "{err}");
        assert!(err.contains(says), "{err}");
    }

    // One query, as JSON: the nearest base vector of query 0 comes first.
    let v: Vec<String> = queries[0].iter().map(f32::to_string).collect();
    let out = quiver(&[
        "search",
        db,
        "--collection",
        "v",
        "--vector",
        &v.join(","),
        "--k",
        "1",
        "--json",
    ]);
    let one: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(one["hits"][0]["key"], gt[0][0]);

    // The same vectors in a collection whose walk reads int8 codes: the
    // same recall, exact scores (the tie-aware recall compares them with
    // the true distances), on one thread and on two.
    // Imports the vectors as collection `name` with `quantization`;
    // `quiver stats` must report it.
    let import_quantized = |name: &str, quantization: &str| {
        ok(&[
            "import",
            db,
            "--vectors",
            base_file.to_str().unwrap(),
            "--collection",
            name,
            "--metric",
            "l2",
            "--quantization",
            quantization,
        ]);
        let listing = json(&["stats", db, "--json"]);
        let info = listing["collections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap();
        assert_eq!(info["quantization"], quantization, "{listing}");
    };
    import_quantized("q8", "int8");
    for threads in ["1", "2"] {
        let report = json(&[
            "search",
            db,
            "--collection",
            "q8",
            "--queries",
            query_file.to_str().unwrap(),
            "--gt",
            gt_file.to_str().unwrap(),
            "--gt-scores",
            scores_file.to_str().unwrap(),
            "--threads",
            threads,
            "--repeat",
            "2",
            "--json",
        ]);
        assert!(report["recall"].as_f64().unwrap() >= 0.95, "{report}");
        let tie = report["tie_recall"].as_f64().unwrap();
        assert!(tie >= report["recall"].as_f64().unwrap(), "{report}");
        assert_eq!(report["repeat"], 2);
    }
    // One-bit codes, with the ef chosen for a recall target.
    import_quantized("q1", "binary");
    let report = json(&[
        "search",
        db,
        "--collection",
        "q1",
        "--queries",
        query_file.to_str().unwrap(),
        "--gt",
        gt_file.to_str().unwrap(),
        "--gt-scores",
        scores_file.to_str().unwrap(),
        "--recall",
        "0.95",
        "--json",
    ]);
    assert!(report["tie_recall"].as_f64().unwrap() >= 0.9, "{report}");
    let bad = quiver(&[
        "import",
        db,
        "--vectors",
        base_file.to_str().unwrap(),
        "--collection",
        "other",
        "--quantization",
        "int4",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown quantization"));
}

#[test]
fn bad_input_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let bad = dir.path().join("bad.fvecs");
    std::fs::write(&bad, [3, 0, 0, 0, 1, 2]).unwrap(); // truncated
    for args in [
        vec![
            "import",
            db,
            "--vectors",
            bad.to_str().unwrap(),
            "--collection",
            "v",
        ],
        vec![
            "import",
            db,
            "--vectors",
            "/nonexistent.fvecs",
            "--collection",
            "v",
        ],
        vec![
            "search",
            dir.path().join("missing").to_str().unwrap(),
            "--collection",
            "v",
            "--vector",
            "1,2",
        ],
        vec!["search", db, "--collection", "v", "--vector", "1,x"],
    ] {
        let out = quiver(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.contains("Error") || err.contains("error"),
            "{args:?}: {err}"
        );
    }
}

fn ok(args: &[&str]) -> String {
    let out = quiver(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(args)).unwrap()
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn demo_runs_the_tour_on_the_bundled_data() {
    // Without a model folder, the search by a sentence is one line saying
    // how to get one.
    let run = Command::new(env!("CARGO_BIN_EXE_quiver"))
        .arg("demo")
        .env_remove("QUIVER_MODEL")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out = String::from_utf8_lossy(&run.stdout);
    for step in ["imported 2500 packages", "fetch-minilm.sh", "consistent"] {
        assert!(out.contains(step), "{step:?} missing from:\n{out}");
    }
    // Every step is numbered once, in order.
    let numbers: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once(". ").map(|(n, _)| n))
        .filter(|n| n.parse::<u32>().is_ok())
        .collect();
    assert_eq!(numbers, ["1", "2", "3", "4", "5", "6", "7"], "{out}");
    // The Cypher step answers as the API did: the hybrid statement finds
    // what step 3 found.
    let cypher = out.split("6. Cypher:").nth(1).unwrap_or_default();
    assert!(cypher.contains("libc6"), "{out}");
    assert!(cypher.contains("libcurl3-gnutls   | 0.713"), "{out}");
    assert!(
        out.contains("libcurl"),
        "curl's neighbours should be libcurl:\n{out}"
    );
}

#[test]
fn the_bundled_slice_through_every_query_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let naming = ["--label", "Package", "--key", "name"];
    let mut args = vec!["import", db];
    args.extend(naming);
    let (nodes, edges, vecs) = (
        data("packages.csv"),
        data("dependencies.csv"),
        data("descriptions.fvecs"),
    );
    args.extend([
        "--nodes",
        &nodes,
        "--edges",
        &edges,
        "--vectors",
        &vecs,
        "--collection",
        "d",
        "--by-order",
        "--json",
    ]);
    let report = json(&args);
    assert_eq!(report["nodes"], 2500, "{report}");
    assert_eq!(report["edges"], 11358, "{report}");
    assert_eq!(report["vectors"], 2500, "{report}");
    assert!(report["bottleneck"].is_string(), "{report}");

    let check = json(&["check", db, "--json"]);
    assert_eq!(check["ok"], true, "{check}");

    let stats = json(&["stats", db, "--json"]);
    assert_eq!(stats["nodes"], 2500);
    let types = stats["edge_types"].as_array().unwrap();
    let depends = types.iter().find(|t| t["type"] == "DEPENDS").unwrap();
    assert!(depends["edges"].as_u64().unwrap() > 5000, "{stats}");
    // The statistics split them by the labels of their ends: every node
    // of the slice is a :Package.
    let patterns = stats["patterns"].as_array().unwrap();
    let between = patterns
        .iter()
        .find(|p| p["from"] == "Package" && p["type"] == "DEPENDS" && p["to"] == "Package")
        .unwrap();
    assert_eq!(between["edges"], depends["edges"], "{stats}");
    assert_eq!(stats["collections"][0]["points"], 2500);

    // One pair, then a pairs file with an unreachable pair.
    let mut p = vec!["path", db, "git", "libssl3", "--json"];
    p.extend(naming);
    let one = json(&p);
    let first = &one["pairs"][0];
    assert_eq!(first["hops"], 3, "{one}");
    assert_eq!(first["path"][0], "git");
    assert_eq!(first["path"][3], "libssl3");
    assert!(one["median_us"].as_f64().unwrap() > 0.0);
    let pairs = dir.path().join("pairs.txt");
    std::fs::write(&pairs, "git libssl3\ngit tzdata\n").unwrap();
    let mut p = vec![
        "path",
        db,
        "--pairs",
        pairs.to_str().unwrap(),
        "--weight",
        "weight",
        "--json",
    ];
    p.extend(naming);
    let many = json(&p);
    assert_eq!(many["pairs"].as_array().unwrap().len(), 2);
    assert!(many["pairs"][1]["path"].is_null(), "{many}");
    assert!(many["pairs"][1]["hops"].is_null(), "{many}");

    // Components, with per-node output.
    let out_file = dir.path().join("wcc.txt");
    let mut c = vec![
        "components",
        db,
        "--json",
        "--output",
        out_file.to_str().unwrap(),
    ];
    c.extend(naming);
    let wcc = json(&c);
    let sizes: Vec<u64> = wcc["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert_eq!(wcc["largest"].as_u64().unwrap(), sizes[0]);
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{wcc}");
    let lines = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(lines.lines().count(), 2500);
    let labels: std::collections::BTreeSet<&str> = lines
        .lines()
        .map(|l| l.split_once(' ').unwrap().1)
        .collect();
    assert_eq!(labels.len() as u64, wcc["count"].as_u64().unwrap());
    let scc = json(&["components", db, "--strong", "--json"]);
    assert!(scc["count"].as_u64().unwrap() > wcc["count"].as_u64().unwrap());

    // Export around a node.
    let mut e = vec![
        "export", db, "--around", "curl", "--hops", "1", "--format", "graphml",
    ];
    e.extend(naming);
    let xml = ok(&e);
    assert!(xml.contains("<graphml") && xml.contains(">curl<") && xml.contains("DEPENDS"));
    let mut e = vec!["export", db, "--around", "curl", "--hops", "1"];
    e.extend(naming);
    assert!(ok(&e).starts_with("digraph"));

    // Search by the vector of a package.
    let search = json(&[
        "search",
        db,
        "--collection",
        "d",
        "--queries",
        &vecs,
        "--k",
        "1",
        "--json",
    ]);
    assert!(search["qps"].as_f64().unwrap() > 0.0, "{search}");

    // Cypher: JSON and CSV, parameters, a placed syntax error.
    let q = json(&[
        "query",
        db,
        "MATCH (p:Package {name: $name})-[:DEPENDS]->(d) RETURN d.name AS dep ORDER BY dep LIMIT 2",
        "--param",
        "name='curl'",
        "--json",
    ]);
    assert_eq!(q["columns"], serde_json::json!(["dep"]), "{q}");
    assert_eq!(q["rows"].as_array().unwrap().len(), 2, "{q}");
    assert!(q["elapsed_ms"].as_f64().unwrap() >= 0.0, "{q}");
    let csv = ok(&[
        "query",
        db,
        "MATCH (p:Package {name: 'curl'}) RETURN p.name AS name, labels(p) AS labels",
        "--csv",
    ]);
    assert_eq!(csv, "name,labels\ncurl,['Package']\n");
    let bad = quiver(&["query", db, "MATCH (n RETURN n"]);
    assert!(!bad.status.success());
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(
        message.contains("SyntaxError") && message.contains("line 1"),
        "{message}"
    );
}

#[test]
fn graphalytics_graphs_through_import_and_algo_match_the_references() {
    let dir = tempfile::tempdir().unwrap();
    let root = common::graphalytics::data_dir();
    let mut graphs: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("example-") || n.starts_with("test-"))
        .collect();
    graphs.sort();
    let mut checked = 0;
    for name in &graphs {
        let props = root.join(name).join(format!("{name}.properties"));
        let props = props.to_str().unwrap();
        let db = dir.path().join(name);
        let db = db.to_str().unwrap();
        ok(&["import", db, "--graphalytics", props]);
        for (algo, file, rule) in [
            ("bfs", "BFS", "exact"),
            ("cdlp", "CDLP", "exact"),
            ("wcc", "WCC", "equivalence"),
            ("sssp", "SSSP", "epsilon"),
            ("pr", "PR", "epsilon"),
            ("lcc", "LCC", "epsilon"),
        ] {
            let reference = root.join(name).join(format!("{name}-{file}"));
            if !reference.exists() {
                continue;
            }
            let expected = common::graphalytics::read_output(&reference);
            // With the .properties file, and without it: the import
            // recorded the direction and the weights, so only the
            // algorithm's own parameters are given again.
            let param = |key: &str| {
                let text = std::fs::read_to_string(props).unwrap();
                let key = format!("graph.{name}.{algo}.{key}");
                text.lines()
                    .filter_map(|l| l.split_once('='))
                    .find(|(k, _)| k.trim() == key)
                    .map(|(_, v)| v.trim().to_owned())
            };
            let mut flags: Vec<String> = Vec::new();
            for (flag, key) in [
                ("--source", "source-vertex"),
                ("--iterations", "num-iterations"),
                ("--iterations", "max-iterations"),
                ("--damping", "damping-factor"),
            ] {
                if let Some(v) = param(key) {
                    flags.extend([flag.to_owned(), v]);
                }
            }
            for with_properties in [true, false] {
                let out = dir
                    .path()
                    .join(format!("{name}-{file}-{with_properties}.out"));
                let mut args = vec![
                    "algo".to_owned(),
                    db.to_owned(),
                    algo.to_owned(),
                    "--output".to_owned(),
                    out.to_str().unwrap().to_owned(),
                ];
                if with_properties {
                    args.extend(["--graphalytics".to_owned(), props.to_owned()]);
                } else {
                    args.extend(flags.iter().cloned());
                }
                ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
                let actual = common::graphalytics::read_output(&out);
                let bad = match rule {
                    "exact" => common::graphalytics::rules::exact(&expected, &actual),
                    "equivalence" => common::graphalytics::rules::equivalence(&expected, &actual),
                    _ => common::graphalytics::rules::epsilon(&expected, &actual),
                };
                assert!(
                    bad.is_empty(),
                    "{name} {algo} (properties given: {with_properties}): {bad:?}"
                );
            }
            checked += 1;
        }
        assert!(json(&["check", db, "--json"])["ok"] == true);
    }
    // Every reference output of the 14 graphs (as tests/graphalytics.rs).
    assert_eq!(checked, 24, "reference outputs checked");
}

#[test]
fn import_refuses_bad_files_and_leaves_the_database_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let good = dir.path().join("g.txt");
    std::fs::write(&good, "1 2\n").unwrap();
    ok(&["import", db, "--edges", good.to_str().unwrap()]);
    let bad = dir.path().join("b.txt");
    std::fs::write(&bad, "3 4\n5\n").unwrap();
    let out = quiver(&["import", db, "--edges", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("b.txt, line 2"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let stats = json(&["stats", db, "--json"]);
    assert_eq!(
        (stats["nodes"].as_u64(), stats["edges"].as_u64()),
        (Some(2), Some(1))
    );
    let skip = json(&[
        "import",
        db,
        "--edges",
        bad.to_str().unwrap(),
        "--skip-bad",
        "--json",
    ]);
    assert_eq!(skip["rejected"], 1, "{skip}");
    assert_eq!(skip["rejects"][0]["line"], 2, "{skip}");
    let unknown = dir.path().join("x.unknown");
    std::fs::write(&unknown, "1 2\n").unwrap();
    let out = quiver(&["import", db, "--edges", unknown.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format"));
    assert!(
        !quiver(&["check", dir.path().join("none").to_str().unwrap()])
            .status
            .success()
    );
}

/// A damaged block in one of RocksDB's sorted files: the consistency check
/// fails with a typed corruption naming the file, and `quiver check` says
/// so and exits non-zero — no panic, no silent success.
#[test]
fn a_damaged_storage_block_is_a_corruption_naming_the_file() {
    use quiverdb::{Database, Error, props};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let db = Database::open(&path).unwrap();
    let mut rng = common::Rng(7);
    let mut w = db.begin_write().unwrap();
    for i in 0..20_000i64 {
        let text: String = (0..40)
            .map(|_| char::from(b'a' + (rng.next() % 26) as u8))
            .collect();
        w.add_node(&["N"], props! {"i" => i, "text" => text})
            .unwrap();
    }
    w.commit().unwrap();
    db.close().unwrap();
    // The largest sorted file holds the node records; damage its middle.
    let (sst, len) = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sst"))
        .map(|p| {
            let len = std::fs::metadata(&p).unwrap().len();
            (p, len)
        })
        .max_by_key(|(_, len)| *len)
        .unwrap();
    assert!(len > 100_000, "{len}");
    let mut bytes = std::fs::read(&sst).unwrap();
    let at = bytes.len() / 3;
    for b in &mut bytes[at..at + 64] {
        *b ^= 0xff;
    }
    std::fs::write(&sst, bytes).unwrap();
    let name = sst.file_name().unwrap().to_string_lossy().into_owned();

    let err = match Database::open(&path) {
        Err(e) => e,
        Ok(db) => db.check().expect_err("the check read the damaged block"),
    };
    assert!(matches!(err, Error::Corruption { .. }), "{err:?}");
    assert!(err.to_string().contains(&name), "{err}");

    let out = quiver(&["check", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("corruption") && stderr.contains(&name),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn query_creates_a_database_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.qdb");
    let path = db.to_str().unwrap();
    // A path that holds no database is an error, and stays empty.
    let out = quiver(&["query", path, "CREATE (:T {x: 1})"]);
    assert!(!out.status.success());
    assert!(!db.exists(), "nothing was made at {path}");
    let out = quiver(&[
        "query",
        path,
        "--create",
        "CREATE INDEX t_x FOR (n:T) ON (n.x)",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = quiver(&["query", path, "CREATE (:T {x: 1})"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = quiver(&["query", path, "--json", "SHOW INDEXES"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("t_x"), "{stdout}");
}

#[test]
fn the_shell_runs_statements_ended_by_semicolons_and_commands() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_quiver"))
        .args([
            "shell",
            db.to_str().unwrap(),
            "--create",
            "--history",
            "none",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = "CREATE (:Package {name: 'curl'})-[:DEPENDS]->(:Package {name: 'lib;c6'});\n\
                 MATCH (p:Package)\n  RETURN p.name AS name\n  ORDER BY name;\n\
                 :schema\n\
                 :param who=curl\n\
                 MATCH ({name: $who})-->(d) RETURN d.name AS dep;\n\
                 RETURN 1/0;\n\
                 :timeout 0.05\n\
                 UNWIND range(1, 5000) AS a UNWIND range(1, 5000) AS b WITH a WHERE a = b RETURN count(*);\n\
                 :nope\n\
                 RETURN 'still here' AS s;\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // The multi-line statement's table, aligned, in order.
    assert!(stdout.contains("name\n------\ncurl\nlib;c6\n"), "{stdout}");
    assert!(stdout.contains("labels: Package"), "{stdout}");
    assert!(stdout.contains("relationship types: DEPENDS"), "{stdout}");
    assert!(stdout.contains("dep\n------\nlib;c6\n"), "{stdout}");
    assert!(stdout.contains("still here"), "{stdout}");
    assert!(stderr.contains("2 rows in "), "{stderr}");
    assert!(stderr.contains("ArithmeticError"), "{stderr}");
    assert!(stderr.contains("Timeout (TimeLimitExceeded)"), "{stderr}");
    assert!(stderr.contains("unknown command :nope"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn algo_kcore_and_personalised_pagerank() {
    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("g.txt");
    // A triangle 1-2-3 with a tail 3-4.
    std::fs::write(&edges, "1 2\n2 3\n3 1\n3 4\n").unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let out = quiver(&["import", db, "--edges", edges.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = |args: &[&str]| -> Vec<(String, String)> {
        let out = quiver(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: Vec<(String, String)> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (k, v) = l.split_once(' ').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect();
        v.sort();
        v
    };
    let core = lines(&["algo", db, "kcore"]);
    let want: Vec<(String, String)> = [("1", "2"), ("2", "2"), ("3", "2"), ("4", "1")]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(core, want);
    let ppr = lines(&["algo", db, "ppr", "--seeds", "4"]);
    let rank: Vec<f64> = ppr.iter().map(|(_, v)| v.parse().unwrap()).collect();
    assert!((rank.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    // Node 4 is a sink: its walks restart at itself, so it ranks first.
    assert!(rank[3] > 0.9 && rank[..3].iter().all(|&r| r == 0.0));
    let out = quiver(&["algo", db, "ppr"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--source"));
}

#[test]
fn algo_leiden_louvain_and_written_communities() {
    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("g.txt");
    // Two 4-cliques, 1-4 and 5-8, joined by 4-5.
    let mut text = String::new();
    for base in [1, 5] {
        for a in base..base + 4 {
            for b in a + 1..base + 4 {
                writeln!(text, "{a} {b}").unwrap();
            }
        }
    }
    text += "4 5\n";
    std::fs::write(&edges, text).unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let out = quiver(&["import", db, "--edges", edges.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for algorithm in ["leiden", "louvain"] {
        let out = quiver(&["algo", db, algorithm, "--seed", "3"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let of: std::collections::HashMap<&str, &str> =
            stdout.lines().map(|l| l.split_once(' ').unwrap()).collect();
        assert_eq!(of.len(), 8, "{stdout}");
        assert!(["2", "3", "4"].iter().all(|k| of[k] == of["1"]), "{stdout}");
        assert!(["6", "7", "8"].iter().all(|k| of[k] == of["5"]), "{stdout}");
        assert_ne!(of["1"], of["5"], "{stdout}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("2 communities, quality 0.4"), "{stderr}");
    }
    let out = quiver(&[
        "algo",
        db,
        "leiden",
        "--levels",
        "--json",
        "--write-property",
        "community",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["communities"], 2, "{summary}");
    // Modularity of the two cliques: 2 · (12 / 26 − (13 / 26)²).
    let q = summary["quality"].as_f64().unwrap();
    assert!((q - 2.0 * (12.0 / 26.0 - 0.25)).abs() < 1e-12, "{summary}");
    let levels = summary["level_communities"].as_array().unwrap();
    assert_eq!(levels.last().unwrap(), 2, "{summary}");
    // The levels were written as a list, finest first; Cypher groups by
    // the last.
    let out = quiver(&[
        "query",
        db,
        "MATCH (n) RETURN n.community[-1] AS c, count(*) AS k ORDER BY c",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("[0,4]") && stdout.contains("[1,4]"),
        "{stdout}"
    );
    // kcore written too: a number property per node.
    let out = quiver(&["algo", db, "kcore", "--write-property", "core"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = quiver(&[
        "query",
        db,
        "MATCH (n) WHERE n.core = 3 RETURN count(*) AS k",
        "--json",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("[8]"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for bad in [
        vec!["algo", db, "leiden", "--objective", "surprise"],
        vec!["algo", db, "leiden", "--resolution=-2"],
    ] {
        let out = quiver(&bad);
        assert!(!out.status.success(), "{bad:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("objective") || stderr.contains("resolution"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn import_declares_a_full_text_index_that_search_and_hybrid_search_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let (nodes, vecs) = (data("packages.csv"), data("descriptions.fvecs"));
    let report = json(&[
        "import",
        db,
        "--label",
        "Package",
        "--key",
        "name",
        "--nodes",
        &nodes,
        "--vectors",
        &vecs,
        "--collection",
        "d",
        "--by-order",
        "--fulltext",
        "desc:Package:description,section:english",
        "--json",
    ]);
    assert!(
        report["stages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["stage"] == "fulltext:index"),
        "{report}"
    );
    let stats = json(&["stats", db, "--json"]);
    assert_eq!(stats["fulltext"][0]["name"], "desc", "{stats}");
    assert_eq!(stats["fulltext"][0]["documents"], 2500, "{stats}");
    assert_eq!(stats["fulltext"][0]["analyzer"], "english", "{stats}");
    // One query: the package whose summary says so comes first.
    let found = json(&[
        "search",
        db,
        "--fulltext",
        "desc",
        "manipulate user account",
        "--k",
        "3",
        "--json",
    ]);
    let hits = found["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3, "{found}");
    let first = hits[0]["id"].as_u64().unwrap().to_string();
    let name = json(&[
        "query",
        db,
        &format!("MATCH (p) WHERE id(p) = {first} RETURN p.name AS name"),
        "--json",
    ]);
    assert!(name.to_string().contains("accountsservice"), "{name}");
    // A query file, timed; and the same texts fused with vectors.
    let queries = dir.path().join("q.txt");
    std::fs::write(
        &queries,
        "user account\n\"remove users\"\nsection:admin AND group*\n",
    )
    .unwrap();
    let queries = queries.to_str().unwrap();
    let timed = json(&[
        "search",
        db,
        "--fulltext",
        "desc",
        "--query-file",
        queries,
        "--json",
    ]);
    assert_eq!(timed["queries"], 3, "{timed}");
    assert!(timed["p50_us"].as_f64().unwrap() > 0.0);
    let vectors = dir.path().join("q.fvecs");
    let first_rows: Vec<Vec<f32>> =
        quiverdb::import::read_fvecs(Path::new(&vecs)).unwrap()[..3].to_vec();
    write_vecs(&vectors, &first_rows);
    let fused = json(&[
        "search",
        db,
        "--fulltext",
        "desc",
        "--collection",
        "d",
        "--query-file",
        queries,
        "--queries",
        vectors.to_str().unwrap(),
        "--k",
        "5",
        "--json",
    ]);
    assert_eq!(fused["hits"].as_array().unwrap().len(), 3, "{fused}");
    assert_eq!(fused["hits"][0].as_array().unwrap().len(), 5, "{fused}");
    // A bad query is an error naming the position, not a crash.
    let out = quiver(&["search", db, "--fulltext", "desc", "user AND (account"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("character 9"));
    let out = quiver(&["import", db, "--fulltext", "broken", "--nodes", &nodes]);
    assert!(!out.status.success());
}
