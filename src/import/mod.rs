//! The bulk importer: files in, a committed graph (and vectors) out.
//!
//! A pipeline of three parts that know little of each other:
//!
//! * **Parsers** ([`text`], [`csv`], [`jsonl`], [`vecs`]) turn a
//!   file into rows ([`NodeRow`], [`EdgeRow`], vectors). They know nothing
//!   of the database. A row that cannot be read comes back as a reason
//!   with its line number; only I/O failures stop a parser.
//! * **The loader** (`bulk`) validates each row against the database
//!   (external keys, names, values), gives it ids, and writes it into
//!   sorted files of the storage engine (SST files, in a staging folder in
//!   the database directory), in bounded chunks: memory grows with the
//!   number of distinct node keys, not with the number of edges.
//! * **[`Importer`]** drives both, reports progress to a callback, collects
//!   the [`Report`], and at [`Importer::finish`] moves all the files into
//!   the database in one step and commits — or, on any error, leaves the
//!   database exactly as it was.
//!
//! All-or-nothing: until `finish` commits, nothing of the import is
//! visible. If the process dies while the files are being moved in, the
//! next open removes what had arrived (see `docs/FORMAT.md`,
//! `import_pending`). With [`ImportOptions::skip_bad`], bad rows are
//! skipped and counted instead of failing the import.
//!
//! ```
//! # use quiverdb::{Database, GraphRead, Value};
//! # use quiverdb::import::{Importer, ImportOptions, Format};
//! # let dir = tempfile::tempdir().unwrap();
//! # let file = dir.path().join("g.txt");
//! # std::fs::write(&file, "# a SNAP-style edge list\n1 2\n2 3 0.5\n").unwrap();
//! let db = Database::open(dir.path().join("db"))?;
//! let mut import = Importer::new(&db, ImportOptions::default())?;
//! import.edges(&file, Format::EdgeList)?;
//! let report = import.finish()?;
//! assert_eq!((report.nodes, report.edges), (3, 2));
//! let r = db.begin_read()?;
//! assert!(r.node_by_key("Node", "id", &Value::Int(3))?.is_some());
//! # Ok::<(), quiverdb::Error>(())
//! ```

mod bulk;
pub mod csv;
mod embedding;
mod importer;
pub mod jsonl;
mod properties;
mod runs;
pub mod text;
pub mod vecs;

use crate::Props;

pub use importer::{
    Format, ImportOptions, Importer, Progress, RejectedRow, Report, SourceReport, VectorKeys,
};
pub use properties::GraphalyticsProperties;
pub use vecs::{VecsFormat, VectorFile, read_fvecs, read_ivecs, write_fvecs};

/// A node's external key: the id it has in the input files. Stored as the
/// node's key property (unique per key label), so later imports and
/// queries find the node by it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// An integer key (edge lists, Graphalytics files).
    Int(i64),
    /// A text key (CSV, JSON Lines).
    Str(String),
}

impl Key {
    /// Reads a key from text: an integer when the text is one, else text.
    #[must_use]
    pub fn parse(s: &str) -> Key {
        s.parse().map_or_else(|_| Key::Str(s.to_owned()), Key::Int)
    }

    /// The key as a property value.
    #[must_use]
    pub fn to_value(&self) -> crate::Value {
        match self {
            Key::Int(i) => crate::Value::Int(*i),
            Key::Str(s) => crate::Value::String(s.clone()),
        }
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Int(i) => write!(f, "{i}"),
            Key::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// A node read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRow {
    /// Its external key.
    pub key: Key,
    /// Labels besides the import's key label.
    pub labels: Vec<String>,
    /// Properties (the key is added as the key property).
    pub props: Props,
}

/// An edge read from a file. Its endpoints are external keys.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeRow {
    /// The source node's key.
    pub src: Key,
    /// The destination node's key.
    pub dst: Key,
    /// Its type; `None` takes [`ImportOptions::edge_type`].
    pub edge_type: Option<String>,
    /// The numeric `weight` property, kept apart from `props` so that
    /// plain weighted edge lists cost no allocation per row.
    pub weight: Option<f64>,
    /// Other properties.
    pub props: Props,
}

/// What a column of a table of nodes or edges holds: the rules of CSV
/// headers, shared by every importer of tables (the CSV reader, and data
/// frames handed over by a binding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnRole {
    /// A node's external key: the column named like the key property.
    Key,
    /// A node's extra labels (`label` or `labels`).
    Labels,
    /// An edge's source key (`src`, `source` or `from`).
    Src,
    /// An edge's destination key (`dst`, `target` or `to`).
    Dst,
    /// An edge's type (`type`).
    Type,
    /// Any other column: a property.
    Property,
}

impl ColumnRole {
    /// The roles of a table's columns, by name (case-insensitive but for
    /// the key): for nodes the column named `key` and `label`/`labels`,
    /// for edges `src`/`source`/`from`, `dst`/`target`/`to` and `type`;
    /// every other column a property. Two columns in one role, a
    /// property named twice, or a missing key (or endpoint) column is an
    /// error saying which.
    pub fn of_columns(
        names: &[&str],
        nodes: bool,
        key: &str,
    ) -> std::result::Result<Vec<ColumnRole>, String> {
        let mut roles: Vec<ColumnRole> = Vec::with_capacity(names.len());
        let mut seen = std::collections::HashSet::with_capacity(names.len());
        for &name in names {
            let lower = name.to_ascii_lowercase();
            let role = match (nodes, lower.as_str()) {
                (true, _) if name == key => ColumnRole::Key,
                (true, "label" | "labels") => ColumnRole::Labels,
                (false, "src" | "source" | "from") => ColumnRole::Src,
                (false, "dst" | "target" | "to") => ColumnRole::Dst,
                (false, "type") => ColumnRole::Type,
                _ => ColumnRole::Property,
            };
            if role != ColumnRole::Property && roles.contains(&role) {
                return Err(format!("two columns play the role of {name:?}"));
            }
            if !seen.insert(name) && role == ColumnRole::Property {
                return Err(format!("column {name:?} appears twice"));
            }
            roles.push(role);
        }
        let need: &[(ColumnRole, &str)] = if nodes {
            &[(ColumnRole::Key, key)]
        } else {
            &[(ColumnRole::Src, "src"), (ColumnRole::Dst, "dst")]
        };
        for (role, name) in need {
            if !roles.contains(role) {
                return Err(format!("no {name:?} column"));
            }
        }
        Ok(roles)
    }
}

/// Why one input row was not loaded: it is skipped and counted (with
/// [`ImportOptions::skip_bad`]) or it fails the import, with its file and
/// line, as [`Error::BadInput`](crate::Error::BadInput).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    reason: String,
}

impl RowError {
    /// A bad row, and why.
    pub fn new(reason: impl Into<String>) -> RowError {
        RowError {
            reason: reason.into(),
        }
    }

    /// Why the row is bad.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for RowError {}

/// A value the database refused for a row (a bad name, a NaN) makes the row
/// bad: its message is the reason.
impl From<crate::Error> for RowError {
    fn from(e: crate::Error) -> Self {
        RowError::new(e.to_string())
    }
}

/// One row of a file, or why it could not be read.
pub type Parsed<T> = std::result::Result<T, RowError>;

/// A parser: yields `(line, row)` pairs until the end of its file.
/// `Err` is an I/O failure (the import stops); a bad row is `Ok((line,
/// Err(reason)))`.
pub trait RowReader {
    /// The row type.
    type Row;

    /// The next row, `None` at the end.
    fn next_row(&mut self) -> crate::Result<Option<(u64, Parsed<Self::Row>)>>;

    /// Bytes consumed so far (for progress).
    fn bytes_read(&self) -> u64;

    /// What a position in the source counts: `line` for files.
    fn unit(&self) -> &'static str {
        "line"
    }

    /// The work in all, in [`bytes_read`](Self::bytes_read)'s unit, for
    /// progress (0 when unknown): the size of the file at `path`.
    fn total(&self, path: &std::path::Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::{Format, ImportOptions, Importer};
    use crate::storage::schema::meta;
    use crate::storage::{Cf, Changes, KvRead, codec};
    use crate::{Database, GraphRead, NodeId, Value};

    /// What a user sees of a database's graph, to compare before and
    /// after an import that did not commit.
    type Seen = (Vec<NodeId>, Vec<crate::EdgeId>, crate::Census, u64, u64);

    fn observe(db: &Database) -> Seen {
        let r = db.begin_read().unwrap();
        (
            r.node_ids().unwrap(),
            r.edge_ids().unwrap(),
            r.census().unwrap(),
            r.node_count().unwrap(),
            r.edge_count().unwrap(),
        )
    }

    fn node(db: &Database, key: i64) -> Option<NodeId> {
        db.begin_read()
            .unwrap()
            .node_by_key("Node", "id", &Value::Int(key))
            .unwrap()
    }

    fn import(db: &Database, file: &Path) -> u64 {
        let mut import = Importer::new(db, ImportOptions::default()).unwrap();
        import.edges(file, Format::EdgeList).unwrap();
        import.finish().unwrap().edges
    }

    /// Edges of many chunks (1,024 edges each in tests): both adjacency
    /// column families hold exactly the file's edges, in key order, each
    /// with its weight in the value, and each arrives as one sorted file
    /// below level 0 — nothing left for a compaction to merge.
    #[test]
    fn edges_of_many_chunks_merge_into_one_file_per_direction() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("edges.txt");
        let mut rng = crate::rng::Rng::new(0x0c4a_11e5);
        let nodes = 300u64;
        let edges: Vec<(u64, u64, u64)> = (0..5_000)
            .map(|_| (rng.below(nodes), rng.below(nodes), rng.below(20)))
            .collect();
        let text: Vec<String> = edges
            .iter()
            .map(|(a, b, w)| format!("{a} {b} {w}"))
            .collect();
        std::fs::write(&file, text.join("\n")).unwrap();
        let db = Database::open(dir.path().join("db")).unwrap();
        assert_eq!(import(&db, &file), 5_000);
        for cf in [Cf::Out, Cf::In] {
            assert_eq!(db.store().files_at_level0(cf).unwrap(), 0, "{cf:?}");
        }
        let key_of: std::collections::HashMap<NodeId, u64> = (0..nodes)
            .filter_map(|k| Some((node(&db, i64::try_from(k).unwrap())?, k)))
            .collect();
        let first_edge = db.begin_read().unwrap().edge_ids().unwrap()[0].0;
        let snapshot = db.begin_read().unwrap();
        for cf in [Cf::Out, Cf::In] {
            let mut seen = vec![false; edges.len()];
            let mut last: Option<Vec<u8>> = None;
            snapshot
                .kv()
                .scan_bulk(cf, &[], None, &mut |key, value| {
                    assert!(
                        last.as_deref().is_none_or(|l| l < key),
                        "{cf:?} out of order"
                    );
                    last = Some(key.to_vec());
                    let adj = crate::graph::keys::decode_adj(key).unwrap();
                    let i = usize::try_from(adj.edge.0 - first_edge).unwrap();
                    let (a, b, w) = edges[i];
                    let (this, other) = if cf == Cf::Out { (a, b) } else { (b, a) };
                    assert_eq!((key_of[&adj.node], key_of[&adj.other]), (this, other));
                    assert_eq!(value.len(), 12, "one numeric property: the weight");
                    let weight = u64::from_be_bytes(value[4..].try_into().unwrap());
                    assert_eq!(weight, (w as f64).to_bits());
                    assert!(!std::mem::replace(&mut seen[i], true));
                    Ok(true)
                })
                .unwrap();
            assert!(seen.iter().all(|s| *s), "{cf:?} lost edges");
        }
    }

    /// The import in a child process that dies (abort, like a kill) at
    /// each step of its commit in turn — after the marker, after each
    /// column family's files moved in, after the commit batch: the next
    /// open must leave the database exactly as before the import, or, once
    /// the commit batch is written, exactly as after it; and an import
    /// undone must then go through.
    #[test]
    fn an_import_killed_at_any_step_of_its_commit_is_wholly_in_or_out() {
        const CHILD: &str = "QUIVER_TEST_KILLED_IMPORT";
        const POINT: &str = "QUIVER_TEST_KILLED_AT";
        if let (Some(dir), Ok(point)) = (std::env::var_os(CHILD), std::env::var(POINT)) {
            let dir = Path::new(&dir);
            let db = Database::open(dir.join("db")).unwrap();
            crate::failpoint::arm(&point);
            import(&db, &dir.join("second.txt"));
            return; // the failpoint was not on this import's way
        }
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.txt");
        std::fs::write(&first, "1 2\n2 3\n").unwrap();
        let second: Vec<String> = (0..5_000)
            .map(|i| format!("{} {}", i % 700, (i * 7) % 900))
            .collect();
        std::fs::write(dir.path().join("second.txt"), second.join("\n")).unwrap();
        let pristine = dir.path().join("pristine");
        let db = Database::open(&pristine).unwrap();
        import(&db, &first);
        let before = observe(&db);
        db.close().unwrap();
        let after = {
            let copy = tempfile::tempdir().unwrap();
            crate::storage::files::power::copy_dir(&pristine, copy.path());
            let db = Database::open(copy.path()).unwrap();
            import(&db, &dir.path().join("second.txt"));
            observe(&db)
        };

        let mut points = vec!["import-marker-written".to_owned()];
        for spec in &crate::storage::schema::COLUMN_FAMILIES {
            points.push(format!("import-ingested:{}", spec.name));
        }
        points.push("import-committed".to_owned());
        let mut killed = 0;
        for point in &points {
            let path = dir.path().join("db");
            let _ = std::fs::remove_dir_all(&path);
            crate::storage::files::power::copy_dir(&pristine, &path);
            let out = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "import::tests::an_import_killed_at_any_step_of_its_commit_is_wholly_in_or_out",
                    "--nocapture",
                ])
                .env(CHILD, dir.path())
                .env(POINT, point)
                .output()
                .unwrap();
            // Aborted by the failpoint (a signal), or finished because the
            // import had no files for that column family.
            let died = out.status.code().is_none();
            assert!(
                died || out.status.success(),
                "{point}: the child failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            killed += usize::from(died);
            let db = Database::open(&path).unwrap();
            let report = db.check().unwrap();
            assert!(report.is_ok(), "{point}: {:?}", report.problems);
            assert!(!path.join(crate::txn::STAGING_DIR).exists(), "{point}");
            if died && point != "import-committed" {
                assert_eq!(observe(&db), before, "{point}: not wholly out");
                assert!(node(&db, 600).is_none());
                assert_eq!(import(&db, &dir.path().join("second.txt")), 5_000);
                assert!(db.check().unwrap().is_ok());
            }
            assert_eq!(observe(&db), after, "{point}: not wholly in");
        }
        // The marker, at least the three column families every edge import
        // writes (edges, out, in), and the commit.
        assert!(killed >= 5, "only {killed} failpoints fired");
    }

    /// A power cut at each step of the files an import writes itself (its
    /// staging folder): the import is wholly in or wholly out afterwards.
    #[test]
    fn a_power_cut_at_any_file_step_of_an_import_leaves_it_wholly_in_or_out() {
        use crate::storage::files::power;
        let dir = tempfile::tempdir().unwrap();
        let trash = dir.path().join("trash");
        std::fs::create_dir(&trash).unwrap();
        let edges = dir.path().join("edges.txt");
        std::fs::write(&edges, "1 2\n2 3\n3 1\n4 5\n").unwrap();
        let path = dir.path().join("db");
        let (before, after) = {
            let db = Database::open(&path).unwrap();
            let before = observe(&db);
            import(&db, &edges);
            (before, observe(&db))
        };
        for k in 1.. {
            std::fs::remove_dir_all(&path).unwrap();
            drop(Database::open(&path).unwrap());
            let db = Database::open(&path).unwrap();
            power::arm(k, &trash);
            let done = Importer::new(&db, ImportOptions::default())
                .and_then(|mut i| {
                    i.edges(&edges, Format::EdgeList)?;
                    i.finish()
                })
                .is_ok();
            drop(db);
            let (_, crashed) = power::steps();
            power::cut();
            let db = Database::open(&path).unwrap();
            assert!(db.check().unwrap().is_ok(), "step {k}");
            let seen = observe(&db);
            assert!(seen == before || seen == after, "step {k}: torn import");
            if done {
                assert_eq!(seen, after, "step {k}: an acknowledged import was lost");
            }
            if !crashed {
                assert!(k > 3, "only {} file steps", k - 1);
                break;
            }
        }
    }

    /// A format-3 database left with an import marker (the import's files
    /// moved in, its commit never made) opens under this build with the
    /// import removed: the marker is read in format 3's shape.
    #[test]
    fn a_format_3_import_marker_is_undone_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let file = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let (first, second) = (
            file("a.txt", "1 2\n2 3\n"),
            file("b.txt", "3 4 0.5\n9 1\n7 8\n"),
        );
        let db = Database::open(&path).unwrap();
        import(&db, &first);
        let before = observe(&db);
        let counters: Vec<(&[u8], Vec<u8>)> = [
            meta::NEXT_NODE,
            meta::NEXT_EDGE,
            meta::NODE_COUNT,
            meta::EDGE_COUNT,
        ]
        .into_iter()
        .map(|k| (k, db.store().get(Cf::Meta, k).unwrap().unwrap()))
        .collect();
        import(&db, &second);
        // What format 3 would have left: the entries of the second import,
        // its marker, the counters from before it, and version 3.
        let label = 0u32; // `Node`, the first label interned
        let key = 0u32; // `id`, the first property key
        let legacy = (
            (3u64, 7u64),
            (2u64, 5u64),
            vec![label],
            vec![(label, key)],
            Vec::<(u32, u32)>::new(),
        );
        let mut c = Changes::default();
        c.put(
            Cf::Meta,
            meta::IMPORT_PENDING,
            codec::encode(&legacy).unwrap(),
        );
        c.put(Cf::Meta, meta::FORMAT_VERSION, 3u32.to_be_bytes());
        for (k, v) in counters {
            c.put(Cf::Meta, k, v);
        }
        db.store().write(&c, true).unwrap();
        db.close().unwrap();
        std::fs::write(path.join("QUIVERDB"), "QuiverDB database\nformat 3\n").unwrap();

        let db = Database::open(&path).unwrap();
        assert_eq!(observe(&db), before);
        assert!(
            db.store()
                .get(Cf::Meta, meta::IMPORT_PENDING)
                .unwrap()
                .is_none()
        );
        let report = db.check().unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
    }
}
