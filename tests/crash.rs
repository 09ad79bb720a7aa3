//! Crash safety: a writer process is killed (SIGKILL) in the middle of a
//! stream of synced commits; the database must reopen, pass the consistency
//! check, and hold every transaction the writer saw committed — each one
//! whole.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap,
    missing_docs,
    reason = "test code: a panic is the failure report"
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use quiverdb::vector::{CollectionConfig, Metric};
use quiverdb::{Database, Direction, GraphRead, NodeId, props};

/// The writer: transaction i adds node i (property i), an edge from node
/// i-1, and node i's vector; it prints i once `commit` has returned.
fn writer(path: &str) {
    let db = Database::open(path).unwrap();
    let mut w = db.begin_write().unwrap();
    if w.collections().unwrap().is_empty() {
        w.create_collection(
            "v",
            CollectionConfig::new(4, Metric::Cosine).bound_to_nodes(),
        )
        .unwrap();
    }
    // Resume after the previous writer's last committed transaction.
    let existing = w.nodes_with_label("N").unwrap();
    w.commit().unwrap();
    let mut prev: Option<NodeId> = existing.last().copied();
    for i in existing.len() as i64..100_000 {
        let mut w = db.begin_write().unwrap();
        let n = w.add_node(&["N"], props! {"i" => i}).unwrap();
        if let Some(p) = prev {
            w.add_edge(p, n, "NEXT", props! {"w" => 1.0}).unwrap();
        }
        w.upsert_vector("v", n.0, &[1.0, i as f32, 0.5, 0.25], props! {})
            .unwrap();
        w.commit().unwrap();
        println!("{i}");
        prev = Some(n);
    }
}

#[test]
fn a_killed_writer_loses_nothing_it_committed() {
    if let Ok(path) = std::env::var("QUIVER_CRASH_WRITER") {
        writer(&path);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_killed_writer_loses_nothing_it_committed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("QUIVER_CRASH_WRITER", &path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Let it commit a varying number of transactions, then kill it
        // without warning, wherever it is.
        let mut last = None;
        let stop_after = 40 + 37 * round;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while let Some(Ok(line)) = lines.next() {
            if let Ok(i) = line.trim().parse::<i64>() {
                last = Some(i);
                if i >= stop_after {
                    break;
                }
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let last = last.expect("the writer committed nothing");

        let db = Database::open(&path).unwrap();
        let report = db.check().unwrap();
        assert!(report.is_ok(), "round {round}: {:?}", report.problems);
        let r = db.begin_read().unwrap();
        let nodes = r.nodes_with_label("N").unwrap();
        // Every acknowledged commit is there (a later one may be too), and
        // every transaction present is whole: node, edge and vector.
        let seen: Vec<i64> = nodes
            .iter()
            .map(|n| r.node(*n).unwrap().unwrap().props["i"].as_i64().unwrap())
            .collect();
        assert!(
            seen.iter().filter(|&&i| i == last).count() >= 1,
            "round {round}: commit {last} lost"
        );
        for (k, n) in nodes.iter().enumerate() {
            assert!(
                r.collection("v").unwrap().get(n.0).unwrap().is_some(),
                "round {round}: node {n} without its vector"
            );
            if k > 0 && seen[k] != 0 {
                assert_eq!(
                    r.neighbors(*n, Direction::In, Some("NEXT")).unwrap().len(),
                    1,
                    "round {round}: node {n}"
                );
            }
        }
        assert_eq!(r.collection("v").unwrap().count(), nodes.len() as u64);
        // The transactions form one unbroken sequence 0..=max.
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert!(
            sorted.iter().enumerate().all(|(k, &i)| k as i64 == i),
            "round {round}: gaps in {sorted:?}"
        );
        drop(r);
        drop(db);
    }
}
