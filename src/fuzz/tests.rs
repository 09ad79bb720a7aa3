//! The fuzz targets' smoke run, through the plain test harness: every
//! target over its seeds, its regression inputs
//! (`tests/fuzz/regressions/<target>/`) and a few hundred deterministic
//! mutations of each seed. With `QUIVER_FUZZ_CORPUS=DIR` it also writes
//! the seeds as a starting corpus (`DIR/<target>/seed-<n>`), which
//! `tests/fuzz/run.sh` does before fuzzing.

use std::collections::BTreeSet;
use std::path::Path;

use super::{TARGETS, run, seeds};
use crate::rng::Rng;

/// Mutations per seed.
const MUTATIONS: usize = 300;

/// Values that break parsers of lengths and counts.
const INTERESTING: &[&[u8]] = &[
    &[0xff, 0xff, 0xff, 0xff],
    &[0x00, 0x00, 0x00, 0x80],
    &[0xff, 0xff, 0xff, 0x7f],
    &[0xfc, 0xff, 0xff, 0xff, 0xff],
    &[0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    b"\"",
    b"\n",
    b"\r\n",
    b",",
    b"{",
    b"[[[[[[[[",
    b"NaN",
    b"-0",
    b"9223372036854775808",
    b"1e999",
    b"(4611686018427387904, 2147483648)",
];

/// A number in `0..n`.
fn below(rng: &mut Rng, n: usize) -> usize {
    rng.below(n as u64) as usize
}

fn mutate(rng: &mut Rng, seed: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=below(rng, 4) {
        let at = below(rng, out.len() + 1);
        match below(rng, 7) {
            0 if !out.is_empty() => {
                let i = below(rng, out.len());
                out[i] ^= 1 << below(rng, 8);
            }
            1 if !out.is_empty() => {
                let i = below(rng, out.len());
                out[i] = rng.next_u64() as u8;
            }
            2 => out.truncate(at),
            3 => {
                let end = (at + below(rng, 16)).min(out.len());
                out.drain(at..end);
            }
            4 => {
                let piece = INTERESTING[below(rng, INTERESTING.len())];
                out.splice(at..(at + piece.len()).min(out.len()), piece.iter().copied());
            }
            5 => {
                let piece = INTERESTING[below(rng, INTERESTING.len())];
                out.splice(at..at, piece.iter().copied());
            }
            _ => {
                let other = &others[below(rng, others.len())];
                let from = below(rng, other.len() + 1);
                let len = below(rng, other.len() - from + 1);
                out.splice(at..at, other[from..from + len].iter().copied());
            }
        }
    }
    out
}

/// The regression inputs of `target`: inputs that once failed.
fn regressions(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/regressions")
        .join(target);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    out.sort();
    out
}

#[test]
fn every_target_survives_its_seeds_regressions_and_mutations() {
    let corpus = std::env::var_os("QUIVER_FUZZ_CORPUS");
    for &(name, _) in TARGETS {
        let seeds = seeds(name);
        assert!(!seeds.is_empty(), "{name} has no seeds");
        if let Some(root) = &corpus {
            let dir = Path::new(root).join(name);
            std::fs::create_dir_all(&dir).unwrap();
            for (i, seed) in seeds.iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i}")), seed).unwrap();
            }
        }
        for input in seeds.iter().chain(&regressions(name)) {
            assert!(run(name, input));
        }
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
        for seed in &seeds {
            for _ in 0..MUTATIONS {
                let input = mutate(&mut rng, seed, &seeds);
                run(name, &input);
            }
        }
    }
    super::remove_scratch();
}

/// The fuzz crate has one target file per entry of [`TARGETS`], and no
/// other.
#[test]
fn every_target_has_a_fuzz_target_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/fuzz_targets");
    let files: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.trim_end_matches(".rs").to_owned()
        })
        .collect();
    let names: BTreeSet<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(files, names);
    for name in &names {
        let text = std::fs::read_to_string(dir.join(format!("{name}.rs"))).unwrap();
        assert!(
            text.contains(&format!("run(\"{name}\"")),
            "{name}.rs runs another target"
        );
    }
    assert!(!run("no_such_target", b""));
}

/// A collection record whose configuration no `create_collection` accepts
/// (here M = 300 for the `hnsw_rs` engine, which would end the process)
/// is corruption, refused before an engine is built from it.
#[test]
fn a_collection_record_with_an_impossible_configuration_is_corruption() {
    let seed = &seeds("collection_record")[2];
    // The third seed is `hnsw_rs`, M 16: the record's bytes hold M as the
    // varint 16 right after the dimension (2) and the metric (2).
    let mut bad = seed.clone();
    let at = bad.windows(3).position(|w| w == [2, 2, 16]).unwrap() + 2;
    bad.splice(at..=at, [0xfb, 0x2c, 0x01]); // 300
    let err = crate::vector::record::CollectionRecord::decode(&bad).unwrap_err();
    assert!(matches!(err, crate::Error::Corruption { .. }), "{err}");
    assert!(err.to_string().contains("M = 300"), "{err}");
    assert!(crate::vector::record::CollectionRecord::decode(seed).is_ok());
}

#[test]
fn the_graph_target_runs_on_its_database_and_leaves_it_unchanged() {
    let count = |db: &crate::Database| {
        db.execute(
            "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r",
            &crate::query::Params::new(),
        )
        .map(crate::query::QueryResult::into_rows)
    };
    let before = super::GRAPH.with(|db| count(db.as_ref().expect("the target's database opens")));
    let before = before.expect("the target's graph reads");
    assert_eq!(before, [vec![6.into(), 8.into()]]);
    assert!(run(
        "cypher_graph",
        b"MATCH (n) DETACH DELETE n RETURN count(*)"
    ));
    assert!(run("cypher_graph", b"CREATE (:X)-[:Y]->(:Z)"));
    let after = super::GRAPH.with(|db| count(db.as_ref().expect("still open")));
    assert_eq!(after.expect("the graph reads"), before);
}
