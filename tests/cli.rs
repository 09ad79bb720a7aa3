//! The `quiver` binary, run for real: vectors imported from an `.fvecs`
//! file and measured with `search --queries --gt --json`; bad input gives a
//! non-zero exit and a message, never a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::path::Path;
use std::process::{Command, Output};

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
    // Exact ground truth by L2, computed here.
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
            d[..10].iter().map(|p| p.1).collect()
        })
        .collect();
    let base_file = dir.path().join("b.fvecs");
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
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3000 vectors loaded, 0 rejected"));

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
