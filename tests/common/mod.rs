//! Helpers shared by the integration tests: a seeded generator, a folder
//! copy.

#![allow(dead_code, reason = "each test crate uses part of this module")]

pub mod graphalytics;

/// A xorshift64 generator: seeded, dependency-free, the same sequence on
/// every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `[0, 1)`, 24 bits.
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Roughly normal, by summing four uniforms.
    pub fn gauss(&mut self) -> f32 {
        (0..4).map(|_| self.unit()).sum::<f32>() - 2.0
    }

    /// A vector of `dim` components uniform in `[-0.5, 0.5)`.
    pub fn vector(&mut self, dim: usize) -> Vec<f32> {
        (0..dim).map(|_| self.unit() - 0.5).collect()
    }
}

/// The squared Euclidean distance of `a` and `b`.
pub fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// `QUIVER_TEST_SEED`, or `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var("QUIVER_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Runs a model test: `run` on `QUIVER_TEST_CASES` (default
/// `default_cases`) inputs drawn from `strategy` with the seed
/// `QUIVER_TEST_SEED` (default `default_seed`). A failure panics with the
/// seed and the shrunk input.
pub fn run_model<S: proptest::strategy::Strategy>(
    what: &str,
    strategy: &S,
    default_seed: u64,
    default_cases: u32,
    run: impl Fn(S::Value) -> Result<(), String>,
) {
    use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
    let seed = seed(default_seed);
    let cases = std::env::var("QUIVER_TEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    };
    let result =
        TestRunner::new(config).run(strategy, |input| run(input).map_err(TestCaseError::fail));
    if let Err(e) = result {
        panic!("{what} failed with QUIVER_TEST_SEED={seed}: {e}");
    }
}

/// Copies the folder `from` (recursively) to `to`.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// A small deterministic embedder for tests that need no model: each word
/// (lower-cased, split on non-alphanumerics) adds 1 to component
/// `fnv(word) % dim`; the sum is normalised. Texts sharing words are
/// near; `calls` counts the texts it embedded.
pub struct WordHash {
    pub dim: usize,
    pub name: String,
    pub calls: std::sync::atomic::AtomicUsize,
}

impl WordHash {
    pub fn new(dim: usize) -> WordHash {
        WordHash {
            dim,
            name: format!("word-hash {dim}-d"),
            calls: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub fn vector(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dim];
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in word.to_lowercase().bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            v[(h % self.dim as u64) as usize] += 1.0;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        v.iter().map(|x| x / norm).collect()
    }
}

impl quiverdb::embed::Embedder for WordHash {
    fn name(&self) -> &str {
        &self.name
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> quiverdb::Result<Vec<Vec<f32>>> {
        self.calls
            .fetch_add(texts.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(texts.iter().map(|t| self.vector(t)).collect())
    }
}

/// Cypher parameters from `(name, value)` pairs.
pub fn params(pairs: &[(&str, quiverdb::query::CypherValue)]) -> quiverdb::query::Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// A Cypher map from `(key, value)` pairs.
pub fn map(entries: &[(&str, quiverdb::query::CypherValue)]) -> quiverdb::query::CypherValue {
    quiverdb::query::CypherValue::Map(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// A Cypher list of strings.
pub fn strings(items: &[&str]) -> quiverdb::query::CypherValue {
    quiverdb::query::CypherValue::List(items.iter().map(|s| (*s).into()).collect())
}

/// A Cypher list of floats.
pub fn floats(items: &[f64]) -> quiverdb::query::CypherValue {
    quiverdb::query::CypherValue::List(
        items
            .iter()
            .map(|x| quiverdb::query::CypherValue::Float(*x))
            .collect(),
    )
}

/// One statement of a recorded integration library (`tests/data/*/
/// statements.json`): its name, text and parameters.
pub struct Recorded {
    pub name: String,
    pub statement: String,
    pub params: quiverdb::query::Params,
}

/// The statements recorded in `path` (a JSON list of `{name, statement,
/// params}`), parameters read as a driver sends them: integers, floats,
/// strings, lists and maps as themselves, and — with `datetimes` — an
/// ISO 8601 string with a zone offset (`2025-01-15T10:30:00+00:00`) as the
/// zoned `DATETIME` a driver sends for an aware datetime object.
pub fn recorded(path: &std::path::Path, datetimes: bool) -> Vec<Recorded> {
    let text = std::fs::read_to_string(path).unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    list.into_iter()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap().to_owned();
            let params = entry["params"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), json_value(v, datetimes)))
                .collect();
            Recorded {
                name: text("name"),
                statement: text("statement"),
                params,
            }
        })
        .collect()
}

fn json_value(v: &serde_json::Value, datetimes: bool) -> quiverdb::query::CypherValue {
    use quiverdb::query::CypherValue as V;
    match v {
        serde_json::Value::Null => V::Null,
        serde_json::Value::Bool(b) => V::Bool(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map_or_else(|| V::Float(n.as_f64().unwrap()), V::Int),
        serde_json::Value::String(s) => match zoned_datetime(s).filter(|_| datetimes) {
            Some(t) => V::from(t),
            None => V::String(s.clone()),
        },
        serde_json::Value::Array(items) => {
            V::List(items.iter().map(|x| json_value(x, datetimes)).collect())
        }
        serde_json::Value::Object(entries) => V::Map(
            entries
                .iter()
                .map(|(k, x)| (k.clone(), json_value(x, datetimes)))
                .collect(),
        ),
    }
}

/// `s` as a zoned datetime when it is one in ISO 8601 with a `T` and an
/// offset or `Z`.
fn zoned_datetime(s: &str) -> Option<quiverdb::temporal::Temporal> {
    let b = s.as_bytes();
    let zoned = s.ends_with('Z') || (b.len() > 6 && matches!(b[b.len() - 6], b'+' | b'-'));
    if b.len() < 20 || b[4] != b'-' || b[10] != b'T' || !zoned {
        return None;
    }
    quiverdb::temporal::Temporal::parse("datetime", s).ok()
}

/// A result's rows as maps from column name to value.
pub fn by_column(
    r: &quiverdb::query::QueryResult,
) -> Vec<std::collections::BTreeMap<String, quiverdb::query::CypherValue>> {
    r.rows()
        .iter()
        .map(|row| {
            r.columns()
                .iter()
                .cloned()
                .zip(row.iter().cloned())
                .collect()
        })
        .collect()
}
