//! What several subcommands share: opening a database, naming nodes by
//! their external keys, and writing results.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use quiverdb::import::Key;
use quiverdb::{Database, Direction, GraphRead, NodeId, Value};

/// How nodes are named on the command line: by their key property under
/// a label (the importer's `--label` / `--key`).
#[derive(clap::Args, Clone)]
pub struct Naming {
    /// The label whose unique key names nodes.
    #[arg(long, default_value = "Node")]
    pub label: String,
    /// The key property.
    #[arg(long, default_value = "id")]
    pub key: String,
}

impl Naming {
    /// The node whose key is `text` (an integer when it reads as one).
    pub fn node(&self, r: &impl GraphRead, text: &str) -> Result<NodeId> {
        let value = Key::parse(text).to_value();
        r.node_by_key(&self.label, &self.key, &value)
            .with_context(|| format!("looking up {}.{} = {text}", self.label, self.key))?
            .with_context(|| format!("no node has {}.{} = {text}", self.label, self.key))
    }

    /// Every node's key, as text.
    pub fn all_keys(&self, r: &impl GraphRead) -> Result<HashMap<NodeId, Value>> {
        Ok(r.property_values(&self.key)?.into_iter().collect())
    }

    /// One node's key as text (its id when it has none).
    pub fn key_of(&self, r: &impl GraphRead, id: NodeId) -> Result<String> {
        let node = r.node(id)?.with_context(|| format!("node {id} vanished"))?;
        Ok(node
            .props
            .get(&self.key)
            .map_or_else(|| format!("#{}", id.0), show))
    }
}

/// A key value as plain text (strings unquoted).
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The order of keys for "smallest key" representatives: integers by
/// value, then text.
pub fn key_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Int(_), _) => std::cmp::Ordering::Less,
        (_, Value::Int(_)) => std::cmp::Ordering::Greater,
        _ => show(a).cmp(&show(b)),
    }
}

/// Opens an existing database.
pub fn open(path: &Path) -> Result<Database> {
    Database::builder()
        .create_if_missing(false)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// Opens a database for Cypher statements: created when `create` asks
/// (else it must exist), with `LOAD CSV` reading from `import_dir`.
pub fn open_for_queries(path: &Path, create: bool, import_dir: Option<&Path>) -> Result<Database> {
    if let Some(dir) = import_dir
        && !dir.is_dir()
    {
        bail!("--import-dir {}: not a directory", dir.display());
    }
    Database::builder()
        .create_if_missing(create)
        .import_dir(import_dir.map(Path::to_path_buf))
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// This process's resident memory, where the system tells (Linux).
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `out`, `in` or `both`.
pub fn direction(name: &str) -> Result<Direction> {
    Ok(match name {
        "out" => Direction::Out,
        "in" => Direction::In,
        "both" => Direction::Both,
        other => bail!("unknown direction {other:?}: use out, in or both"),
    })
}

/// Writes `lines` to stdout (buffered); a reader that closes the pipe
/// early (`| head`) ends the output quietly.
pub fn print_lines(lines: impl Iterator<Item = String>) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = lines
        .into_iter()
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes `lines` to `path` (buffered).
pub fn write_lines(path: &Path, lines: impl Iterator<Item = String>) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// A property value as JSON (bytes as an array of numbers, temporal
/// values as ISO 8601 strings).
pub fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::String(s) => s.as_str().into(),
        Value::Bytes(b) => b.as_slice().into(),
        Value::List(l) => l.iter().map(json_value).collect(),
        // ISO 8601, as Cypher's toString() writes it.
        Value::Temporal(t) => t.to_string().into(),
    }
}

/// Properties as a JSON object.
pub fn json_props(p: &quiverdb::Props) -> serde_json::Value {
    p.iter().map(|(k, v)| (k.clone(), json_value(v))).collect()
}
