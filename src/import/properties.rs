//! LDBC Graphalytics `.properties` files: which `.v`/`.e` files hold the
//! graph, whether it is directed and weighted, and each algorithm's
//! parameters.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The largest properties file read (they hold a few dozen lines).
const MAX_PROPERTIES: u64 = 1 << 20;

/// A parsed Graphalytics `<graph>.properties` file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GraphalyticsProperties {
    /// The graph's name (the `graph.<name>.` prefix).
    pub name: String,
    /// The vertex file, resolved against the properties file's folder.
    pub vertex_file: PathBuf,
    /// The edge file, resolved likewise.
    pub edge_file: PathBuf,
    /// Whether edges are directed.
    pub directed: bool,
    /// Whether the edge file has a weight column.
    pub weighted: bool,
    /// Every `graph.<name>.*` entry, by the part after the prefix (for
    /// example `bfs.source-vertex`).
    pub entries: HashMap<String, String>,
}

impl GraphalyticsProperties {
    /// Reads `path`.
    pub fn read(path: &Path) -> Result<GraphalyticsProperties> {
        let bad = |at: String, reason: String| Error::BadInput {
            path: path.to_owned(),
            at,
            reason,
        };
        let mut text = String::new();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        file.take(MAX_PROPERTIES + 1)
            .read_to_string(&mut text)
            .map_err(|e| Error::io(path, e))?;
        if text.len() as u64 > MAX_PROPERTIES {
            return Err(bad(
                "the whole file".into(),
                format!(
                    "longer than {} KiB: not a Graphalytics properties file",
                    MAX_PROPERTIES >> 10
                ),
            ));
        }
        let mut all = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| bad(format!("line {}", i + 1), "expected `key = value`".into()))?;
            all.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let name = all
            .iter()
            .find_map(|(k, _)| {
                k.strip_prefix("graph.")?
                    .strip_suffix(".vertex-file")
                    .map(str::to_owned)
            })
            .ok_or_else(|| {
                bad(
                    "graph.<name>.vertex-file".into(),
                    "no vertex file is named".into(),
                )
            })?;
        let prefix = format!("graph.{name}.");
        let entries: HashMap<String, String> = all
            .into_iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_owned(), v)))
            .collect();
        let get = |k: &str| {
            entries
                .get(k)
                .ok_or_else(|| bad(format!("{prefix}{k}"), "the entry is missing".into()))
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let directed = match get("directed")?.as_str() {
            "true" => true,
            "false" => false,
            other => {
                return Err(bad(
                    format!("{prefix}directed"),
                    format!("expected true or false, found {other:?}"),
                ));
            }
        };
        Ok(GraphalyticsProperties {
            vertex_file: dir.join(get("vertex-file")?),
            edge_file: dir.join(get("edge-file")?),
            directed,
            weighted: entries
                .get("edge-properties.names")
                .is_some_and(|n| n.split(',').any(|n| n.trim() == "weight")),
            name,
            entries,
        })
    }

    /// An algorithm parameter, e.g. `param("bfs.source-vertex")`.
    #[must_use]
    pub fn param(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }
}
