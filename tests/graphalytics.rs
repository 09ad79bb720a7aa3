//! LDBC Graphalytics validation: every graph in `tests/data/graphalytics`
//! is loaded through the public API and each of its reference outputs is
//! checked under the Graphalytics comparison rules (exact for BFS and CDLP,
//! equivalence for WCC, relative epsilon 1e-4 against the reference for
//! SSSP, PR and LCC). The rules themselves are checked on upstream's
//! matching examples.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names,
    clippy::cast_possible_wrap,
    clippy::float_cmp,
    clippy::items_after_statements,
    clippy::too_many_lines,
    missing_docs,
    reason = "test and bench code: a panic is the failure report, exact floats are intended"
)]

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use quiverdb::algo::{self, Projection, ProjectionSpec};
use quiverdb::{Database, Direction, NodeId, props};

mod common;

use common::graphalytics::{read_output, rules};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graphalytics")
}

#[test]
fn comparison_rules_behave_as_upstream_matching_examples() {
    let dir = data_dir().join("matching-examples");
    type Rule = fn(&BTreeMap<u64, String>, &BTreeMap<u64, String>) -> Vec<String>;
    let cases: [(&str, Rule); 3] = [
        ("exact", rules::exact),
        ("epsilon", rules::epsilon),
        ("equivalence", rules::equivalence),
    ];
    for (name, rule) in cases {
        let expected = read_output(&dir.join(format!("{name}_expected.csv")));
        let pass = read_output(&dir.join(format!("{name}_actual1.csv")));
        let fail = read_output(&dir.join(format!("{name}_actual2.csv")));
        assert!(
            rule(&expected, &pass).is_empty(),
            "{name}: actual1 must pass: {:?}",
            rule(&expected, &pass)
        );
        assert!(
            !rule(&expected, &fail).is_empty(),
            "{name}: actual2 must fail"
        );
    }
}

/// A Graphalytics graph loaded into a fresh database.
struct Loaded {
    _dir: tempfile::TempDir,
    db: Database,
    props: HashMap<String, String>,
    directed: bool,
    weighted: bool,
    ext_of: HashMap<NodeId, u64>,
    node_of: HashMap<u64, NodeId>,
}

fn load(name: &str) -> Loaded {
    let base = data_dir().join(name);
    let text = fs::read_to_string(base.join(format!("{name}.properties"))).unwrap();
    let prefix = format!("graph.{name}.");
    let props: HashMap<String, String> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .filter_map(|(k, v)| {
            Some((
                k.trim().strip_prefix(&prefix)?.to_owned(),
                v.trim().to_owned(),
            ))
        })
        .collect();
    let directed = props["directed"] == "true";
    let weighted = props.contains_key("edge-properties.names");

    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("db")).unwrap();
    let mut w = db.begin_write().unwrap();
    w.create_unique_key("V", "id").unwrap();
    let mut node_of = HashMap::new();
    let mut ext_of = HashMap::new();
    let vertices = fs::read_to_string(base.join(&props["vertex-file"])).unwrap();
    for v in vertices.lines().filter(|l| !l.is_empty()) {
        let ext: u64 = v.trim().parse().unwrap();
        let id = w.add_node(&["V"], props! {"id" => ext as i64}).unwrap();
        node_of.insert(ext, id);
        ext_of.insert(id, ext);
    }
    let edges = fs::read_to_string(base.join(&props["edge-file"])).unwrap();
    for line in edges.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(' ').collect();
        let (s, d) = (
            node_of[&f[0].parse::<u64>().unwrap()],
            node_of[&f[1].parse::<u64>().unwrap()],
        );
        let p = match f.get(2) {
            Some(wt) => props! {"weight" => wt.parse::<f64>().unwrap()},
            None => props! {},
        };
        w.add_edge(s, d, "E", p).unwrap();
    }
    w.commit().unwrap();
    Loaded {
        _dir: dir,
        db,
        props,
        directed,
        weighted,
        ext_of,
        node_of,
    }
}

impl Loaded {
    fn dir(&self) -> Direction {
        if self.directed {
            Direction::Out
        } else {
            Direction::Both
        }
    }

    fn output<T>(
        &self,
        p: &Projection,
        values: &[T],
        fmt: impl Fn(&T) -> String,
    ) -> BTreeMap<u64, String> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (self.ext_of[&p.node_id(i as u32)], fmt(v)))
            .collect()
    }

    fn source(&self, algo: &str) -> NodeId {
        let ext: u64 = self.props[&format!("{algo}.source-vertex")]
            .parse()
            .unwrap();
        self.node_of[&ext]
    }

    fn run(&self, algo: &str) -> BTreeMap<u64, String> {
        let spec = if self.weighted && algo == "SSSP" {
            ProjectionSpec::new().weight("weight")
        } else {
            ProjectionSpec::new()
        };
        let p = self.db.projection(&spec).unwrap();
        match algo {
            "BFS" => {
                let d = algo::bfs_depths(&p, self.source("bfs"), self.dir()).unwrap();
                self.output(&p, &d, |x| x.map_or(i64::MAX, i64::from).to_string())
            }
            "SSSP" => {
                let d = algo::sssp_distances(&p, self.source("sssp"), self.dir()).unwrap();
                self.output(&p, &d, |x| {
                    if x.is_infinite() {
                        "infinity".into()
                    } else {
                        format!("{x:e}")
                    }
                })
            }
            "WCC" => {
                let c = algo::weakly_connected_components(&p);
                self.output(&p, c.labels(), u32::to_string)
            }
            "PR" => {
                let d: f64 = self.props["pr.damping-factor"].parse().unwrap();
                let it: u32 = self.props["pr.num-iterations"].parse().unwrap();
                let r = algo::pagerank(&p, d, it, self.dir());
                self.output(&p, &r, |x| format!("{x:e}"))
            }
            "CDLP" => {
                let it: u32 = self.props["cdlp.max-iterations"].parse().unwrap();
                let l = algo::cdlp(&p, it);
                self.output(&p, &l, |n| self.ext_of[n].to_string())
            }
            "LCC" => {
                let l = algo::lcc(&p, self.directed);
                self.output(&p, &l, |x| format!("{x:e}"))
            }
            other => panic!("unknown algorithm {other}"),
        }
    }
}

#[test]
fn every_reference_output_passes_its_rule() {
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut graphs: Vec<String> = fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("example-") || n.starts_with("test-"))
        .collect();
    graphs.sort();
    assert_eq!(graphs.len(), 14, "expected the 14 validation graphs");
    for name in &graphs {
        let g = load(name);
        for algo in ["BFS", "SSSP", "WCC", "PR", "CDLP", "LCC"] {
            let reference = data_dir().join(name).join(format!("{name}-{algo}"));
            if !reference.exists() {
                continue;
            }
            let expected = read_output(&reference);
            let actual = g.run(algo);
            let bad = match algo {
                "BFS" | "CDLP" => rules::exact(&expected, &actual),
                "WCC" => rules::equivalence(&expected, &actual),
                _ => rules::epsilon(&expected, &actual),
            };
            checked += 1;
            if !bad.is_empty() {
                failures.push(format!("{name} {algo}: {bad:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 4 graphs per algorithm, 6 algorithms.
    assert_eq!(checked, 24);
}
