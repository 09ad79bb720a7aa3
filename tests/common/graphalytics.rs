//! The LDBC Graphalytics output format and its comparison rules (exact
//! for BFS and CDLP, equivalence for WCC, relative epsilon 1e-4 against
//! the reference for SSSP, PR and LCC).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

/// The validation graphs copied into the repository.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graphalytics")
}

/// `vertex value` lines, values kept as text.
pub fn read_output(path: &Path) -> BTreeMap<u64, String> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (v, x) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("bad line {line:?}"));
        let prev = out.insert(v.parse().unwrap(), x.trim().to_owned());
        assert!(
            prev.is_none(),
            "vertex {v} appears twice in {}",
            path.display()
        );
    }
    out
}

pub fn parse_double(s: &str) -> f64 {
    match s.trim_start_matches('+').to_ascii_lowercase().as_str() {
        "infinity" | "inf" => f64::INFINITY,
        other => other
            .parse()
            .unwrap_or_else(|_| panic!("not a double: {s:?}")),
    }
}

/// The vertex-set rule, then the per-algorithm rule. Returns the
/// violations (empty = pass).
pub mod rules {
    use super::*;

    fn same_vertices(
        expected: &BTreeMap<u64, String>,
        actual: &BTreeMap<u64, String>,
    ) -> Vec<String> {
        if expected.keys().eq(actual.keys()) {
            Vec::new()
        } else {
            vec![format!(
                "vertex sets differ: expected {} vertices, got {}",
                expected.len(),
                actual.len()
            )]
        }
    }

    pub fn exact(expected: &BTreeMap<u64, String>, actual: &BTreeMap<u64, String>) -> Vec<String> {
        let mut bad = same_vertices(expected, actual);
        for (v, e) in expected {
            let (ev, av): (i64, Option<i64>) = (
                e.parse().unwrap(),
                actual.get(v).map(|a| a.parse().unwrap()),
            );
            if Some(ev) != av {
                bad.push(format!("vertex {v}: expected {ev}, got {av:?}"));
            }
        }
        bad
    }

    #[allow(
        clippy::float_cmp,
        reason = "infinities are compared exactly, as the rule says"
    )]
    pub fn epsilon(
        expected: &BTreeMap<u64, String>,
        actual: &BTreeMap<u64, String>,
    ) -> Vec<String> {
        let mut bad = same_vertices(expected, actual);
        for (v, e) in expected {
            let r = parse_double(e);
            let Some(s) = actual.get(v).map(|a| parse_double(a)) else {
                continue;
            };
            let ok = if r.is_infinite() || s.is_infinite() {
                r == s
            } else {
                (r - s).abs() <= 0.0001 * r
            };
            if !ok {
                bad.push(format!("vertex {v}: expected {r}, got {s}"));
            }
        }
        bad
    }

    pub fn equivalence(
        expected: &BTreeMap<u64, String>,
        actual: &BTreeMap<u64, String>,
    ) -> Vec<String> {
        let mut bad = same_vertices(expected, actual);
        let mut fwd: HashMap<&str, &str> = HashMap::new();
        let mut back: HashMap<&str, &str> = HashMap::new();
        for (v, e) in expected {
            let Some(a) = actual.get(v) else { continue };
            if *fwd.entry(e).or_insert(a) != a.as_str() || *back.entry(a).or_insert(e) != e.as_str()
            {
                bad.push(format!(
                    "vertex {v}: label {a} does not match the partition of {e}"
                ));
            }
        }
        bad
    }
}
