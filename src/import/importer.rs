//! [`Importer`]: drives parsers into the bulk loader, with progress, a
//! report, and all-or-nothing commit.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bulk::Bulk;
use super::csv::{CsvEdges, CsvNodes, CsvReader};
use super::embedding::TextJob;
use super::jsonl::{JsonlEdges, JsonlNodes, JsonlReader};
use super::text::{EdgeListReader, Line, Lines, VertexReader};
use super::vecs::{VecsFormat, VectorFile};
use super::{EdgeRow, GraphalyticsProperties, Key, NodeRow, Parsed, RowError, RowReader};
use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::fulltext::FulltextConfig;
use crate::vector::CollectionConfig;
use crate::{Database, NodeId, Props};

/// An input file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CSV with a header row (see [`csv`](super::csv)).
    Csv,
    /// JSON Lines (see [`jsonl`](super::jsonl)).
    Jsonl,
    /// `src dst [weight]` lines (see [`text`](super::text)).
    EdgeList,
    /// A Graphalytics `.v` file.
    GraphalyticsVertices,
    /// A Graphalytics `.e` file.
    GraphalyticsEdges,
    /// `.fvecs` vectors.
    Fvecs,
    /// `.bvecs` vectors.
    Bvecs,
    /// `.ivecs` vectors (integers, read as floats).
    Ivecs,
    /// `.npy` float32 vectors.
    Npy,
}

impl Format {
    /// The format a file's extension names: `.csv`, `.jsonl`/`.ndjson`,
    /// `.txt`/`.el`/`.edges`/`.tsv` (edge lists), `.v`, `.e`, `.fvecs`,
    /// `.bvecs`, `.ivecs`, `.npy`.
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Format> {
        Format::from_name(path.extension()?.to_str()?)
    }

    /// The format called `name` (an extension or `edgelist`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name.to_ascii_lowercase().as_str() {
            "csv" => Format::Csv,
            "jsonl" | "ndjson" | "json" => Format::Jsonl,
            "txt" | "el" | "edges" | "tsv" | "edgelist" | "snap" => Format::EdgeList,
            "v" => Format::GraphalyticsVertices,
            "e" => Format::GraphalyticsEdges,
            "fvecs" => Format::Fvecs,
            "bvecs" => Format::Bvecs,
            "ivecs" => Format::Ivecs,
            "npy" => Format::Npy,
            _ => return None,
        })
    }

    fn vecs(self) -> Option<VecsFormat> {
        match self {
            Format::Fvecs => Some(VecsFormat::Fvecs),
            Format::Bvecs => Some(VecsFormat::Bvecs),
            Format::Ivecs => Some(VecsFormat::Ivecs),
            Format::Npy => Some(VecsFormat::Npy),
            _ => None,
        }
    }
}

/// How an import names and treats its nodes. Start from
/// [`ImportOptions::default`] and the setters.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ImportOptions {
    /// The label every imported node carries; its external key is unique
    /// under it. Default `Node`.
    pub key_label: String,
    /// The property holding a node's external key. Default `id`.
    pub key_property: String,
    /// The type of edges whose row names none. Default `EDGE`.
    pub edge_type: String,
    /// Skip and count bad rows instead of failing. Default `false`.
    pub skip_bad: bool,
    /// Create nodes for unknown keys in CSV / JSON Lines edge files (edge
    /// lists always do). Default `false`: an unknown key is a bad row.
    pub create_missing_nodes: bool,
    /// How many rejected rows the report keeps (all are counted). Default 100.
    pub kept_rejects: usize,
    /// Record the graph as undirected ([`GraphInfo`](crate::GraphInfo)): its edges are meant
    /// in both directions, and graph algorithms then follow them so by
    /// default. A Graphalytics import takes this from its `.properties`.
    /// Default `false`.
    pub undirected: bool,
}

impl ImportOptions {
    /// The label every imported node carries.
    #[must_use]
    pub fn key_label(mut self, label: impl Into<String>) -> Self {
        self.key_label = label.into();
        self
    }

    /// The property holding a node's external key.
    #[must_use]
    pub fn key_property(mut self, key: impl Into<String>) -> Self {
        self.key_property = key.into();
        self
    }

    /// The type of edges whose row names none.
    #[must_use]
    pub fn edge_type(mut self, edge_type: impl Into<String>) -> Self {
        self.edge_type = edge_type.into();
        self
    }

    /// Skip and count bad rows instead of failing.
    #[must_use]
    pub fn skip_bad(mut self, yes: bool) -> Self {
        self.skip_bad = yes;
        self
    }

    /// Create nodes for unknown keys in CSV / JSON Lines edge files.
    #[must_use]
    pub fn create_missing_nodes(mut self, yes: bool) -> Self {
        self.create_missing_nodes = yes;
        self
    }

    /// How many rejected rows the report keeps.
    #[must_use]
    pub fn kept_rejects(mut self, n: usize) -> Self {
        self.kept_rejects = n;
        self
    }

    /// Record the graph as undirected.
    #[must_use]
    pub fn undirected(mut self, yes: bool) -> Self {
        self.undirected = yes;
        self
    }
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            key_label: "Node".into(),
            key_property: "id".into(),
            edge_type: "EDGE".into(),
            skip_bad: false,
            create_missing_nodes: false,
            kept_rejects: 100,
            undirected: false,
        }
    }
}

/// Which point key each row of a vector file gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VectorKeys {
    /// Row `i` gets key `i` (so ann-benchmarks ground truth indexes them);
    /// the collection is not bound to nodes.
    Row,
    /// Row `i` belongs to the `i`-th node created from node rows in this
    /// import; the collection is bound to nodes.
    NodeOrder,
    /// Row `i` belongs to the node whose external key is on line `i + 1`
    /// of this file; the collection is bound to nodes.
    File(PathBuf),
}

/// Where an import is, for a progress display.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// The file being read (or indexed), or the name given to rows.
    pub file: &'a Path,
    /// `reading`, `validating`, `embedding`, `committing` or `indexing`.
    pub stage: &'static str,
    /// Work done so far: bytes of the file (rows, for rows handed over),
    /// texts, or vectors.
    pub done: u64,
    /// Work in all (0 when unknown).
    pub total: u64,
    /// Rows read so far.
    pub rows: u64,
}

/// A row that was not loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedRow {
    /// Its file.
    pub path: PathBuf,
    /// Its line (text files), its row counted from 1 (rows handed over
    /// by [`Importer::node_rows`] / [`Importer::edge_rows`]), or its row
    /// counted from 0 (vectors).
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// What one input file gave.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SourceReport {
    /// The file.
    pub path: PathBuf,
    /// `nodes`, `edges` or `vectors`.
    pub kind: &'static str,
    /// Rows read.
    pub read: u64,
    /// Rows loaded.
    pub loaded: u64,
    /// Rows rejected (skipped).
    pub rejected: u64,
    /// Time spent reading and staging it.
    pub elapsed: Duration,
}

/// The result of an import.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Report {
    /// Per input file.
    pub sources: Vec<SourceReport>,
    /// Nodes created (from node rows and from edge endpoints).
    pub nodes: u64,
    /// Edges created.
    pub edges: u64,
    /// Vectors inserted.
    pub vectors: u64,
    /// Texts embedded and stored ([`Importer::embed_column`]).
    pub texts: u64,
    /// The first rejected rows (up to [`ImportOptions::kept_rejects`]).
    pub rejected: Vec<RejectedRow>,
    /// All rejected rows.
    pub rejected_total: u64,
    /// Wall time per stage: `read+stage` (parse, validate, write sorted
    /// files), `embed` (embed the texts of an embedded column), `commit`
    /// (move the files in, sync), `vectors:validate`, `vectors:index`
    /// (insert into the HNSW index, checkpoint), `texts:index` (store the
    /// embedded texts, index them).
    pub stages: Vec<(&'static str, Duration)>,
    /// Wall time of the whole import.
    pub elapsed: Duration,
}

impl Report {
    /// The stage that took longest.
    #[must_use]
    pub fn bottleneck(&self) -> Option<&'static str> {
        self.stages.iter().max_by_key(|(_, d)| *d).map(|(s, _)| *s)
    }
}

struct VectorJob {
    file: VectorFile,
    collection: String,
    config: CollectionConfig,
    keys: VectorKeys,
    /// Rows that passed validation, with their point keys.
    accepted: Vec<(usize, u64)>,
}

type ProgressFn<'a> = Box<dyn FnMut(&Progress<'_>) + 'a>;

/// A bulk import into one database: add files, then [`finish`](Self::finish).
///
/// Nothing is visible in the database before `finish` commits; dropping
/// the importer (or any error) leaves the database as it was. Node files
/// should come before the edge files that refer to their keys.
pub struct Importer<'db> {
    db: &'db Database,
    bulk: Bulk<'db>,
    opts: ImportOptions,
    progress: Option<ProgressFn<'db>>,
    report: Report,
    vectors: Vec<VectorJob>,
    texts: Option<TextJob>,
    fulltext: Vec<(String, FulltextConfig)>,
    started: Instant,
    staged: Duration,
    failed: bool,
}

const PROGRESS_EVERY: u64 = 1 << 16;

impl<'db> Importer<'db> {
    /// Starts an import. It holds the database's write transaction until
    /// it finishes or is dropped.
    pub fn new(db: &'db Database, opts: ImportOptions) -> Result<Importer<'db>> {
        let mut bulk = Bulk::new(db, &opts.key_label, &opts.key_property)?;
        if opts.undirected {
            bulk.record(|info| info.undirected = true);
        }
        Ok(Importer {
            db,
            bulk,
            opts,
            progress: None,
            report: Report::default(),
            vectors: Vec::new(),
            texts: None,
            fulltext: Vec::new(),
            started: Instant::now(),
            staged: Duration::ZERO,
            failed: false,
        })
    }

    /// Calls `f` as the import advances (every 65,536 rows and at each
    /// stage change).
    pub fn on_progress(&mut self, f: impl FnMut(&Progress<'_>) + 'db) {
        self.progress = Some(Box::new(f));
    }

    fn tell(&mut self, file: &Path, stage: &'static str, done: u64, total: u64, rows: u64) {
        tell(&mut self.progress, file, stage, done, total, rows);
    }

    fn guard(&self) -> Result<()> {
        if self.failed {
            return Err(Error::invalid(
                "an earlier file of this import failed; start a new import",
            ));
        }
        Ok(())
    }

    /// A bad row: skipped and counted, or the end of the import.
    fn reject(
        &mut self,
        path: &Path,
        line: u64,
        at: String,
        reason: &RowError,
        source: &mut SourceReport,
    ) -> Result<()> {
        if !self.opts.skip_bad {
            self.failed = true;
            return Err(Error::BadInput {
                path: path.to_owned(),
                at,
                reason: reason.to_string(),
            });
        }
        source.rejected += 1;
        self.report.rejected_total += 1;
        if self.report.rejected.len() < self.opts.kept_rejects {
            self.report.rejected.push(RejectedRow {
                path: path.to_owned(),
                line,
                reason: reason.to_string(),
            });
        }
        Ok(())
    }

    fn run<R: RowReader>(
        &mut self,
        path: &Path,
        kind: &'static str,
        mut reader: R,
        mut load: impl FnMut(&mut Bulk<'db>, R::Row) -> Result<Parsed<()>>,
    ) -> Result<()> {
        let t = Instant::now();
        let total = reader.total(path);
        let mut source = SourceReport {
            path: path.to_owned(),
            kind,
            read: 0,
            loaded: 0,
            rejected: 0,
            elapsed: Duration::ZERO,
        };
        self.tell(path, "reading", 0, total, 0);
        let result = (|| {
            while let Some((line, row)) = reader.next_row()? {
                source.read += 1;
                let outcome = match row {
                    Ok(row) => load(&mut self.bulk, row)?,
                    Err(reason) => Err(reason),
                };
                match outcome {
                    Ok(()) => source.loaded += 1,
                    Err(reason) => {
                        let at = format!("{} {line}", reader.unit());
                        self.reject(path, line, at, &reason, &mut source)?;
                    }
                }
                if source.read.is_multiple_of(PROGRESS_EVERY) {
                    let done = reader.bytes_read();
                    self.tell(path, "reading", done, total, source.read);
                }
            }
            Ok(())
        })();
        if result.is_err() {
            self.failed = true;
        }
        result?;
        self.tell(path, "reading", total, total, source.read);
        source.elapsed = t.elapsed();
        self.staged += source.elapsed;
        self.report.sources.push(source);
        Ok(())
    }

    /// Loads nodes from `path` (CSV, JSON Lines or a Graphalytics `.v`).
    pub fn nodes(&mut self, path: &Path, format: Format) -> Result<()> {
        self.guard()?;
        let key = self.opts.key_property.clone();
        match format {
            Format::Csv => {
                let r = self.opened(CsvReader::open(path, true, &key))?;
                self.load_nodes(path, CsvNodes(r))
            }
            Format::Jsonl => {
                let r = self.opened(JsonlReader::open(path, &key))?;
                self.load_nodes(path, JsonlNodes(r))
            }
            Format::GraphalyticsVertices => {
                let r = self.opened(VertexReader::open(path))?;
                self.load_nodes(path, r)
            }
            other => Err(Error::invalid(format!(
                "{}: {other:?} files do not hold nodes",
                path.display()
            ))),
        }
    }

    /// Loads nodes that the application hands over as rows (a data frame,
    /// a stream of records) instead of a file: the same as a file's rows,
    /// `source` naming them in progress, the report and errors (a bad row
    /// is `row N` of it, counted from 1). An `Err` row is a bad row.
    pub fn node_rows(
        &mut self,
        source: &str,
        rows: impl IntoIterator<Item = Parsed<NodeRow>>,
    ) -> Result<()> {
        self.guard()?;
        self.load_nodes(Path::new(source), GivenRows::new(rows))
    }

    fn load_nodes<R: RowReader<Row = NodeRow>>(&mut self, path: &Path, reader: R) -> Result<()> {
        let mut texts = self.texts.take();
        let load = |b: &mut Bulk<'db>, row: NodeRow| -> Result<Parsed<()>> {
            let text = match texts.as_ref().map(|j| j.text_of(&row.props)) {
                Some(Err(e)) => return Ok(Err(e)),
                Some(Ok(text)) => text,
                None => None,
            };
            Ok(b.add_node(&row.key, &row.labels, row.props)?.map(|id| {
                b.created.push(id);
                if let (Some(job), Some(text)) = (texts.as_mut(), text) {
                    job.rows.push((id, text));
                }
            }))
        };
        let result = self.run(path, "nodes", reader, load);
        self.texts = texts;
        result
    }

    /// Embeds column `column` of the node rows read from now on with
    /// `embedder`, into the node-bound collection `collection` that knows
    /// its text (created with `config`, whose dimension becomes the
    /// embedder's; an existing one must have been created with the same
    /// model). A row whose column is missing, null or blank gets no point;
    /// a value that is not a string, or not UTF-8, is a bad row. The texts
    /// are embedded in [`finish`](Self::finish) before anything is
    /// committed, so a failing model leaves the database as it was; the
    /// report counts them ([`Report::texts`]) and times the `embed` stage.
    pub fn embed_column(
        &mut self,
        column: &str,
        collection: &str,
        config: CollectionConfig,
        embedder: Arc<dyn Embedder>,
    ) -> Result<()> {
        self.guard()?;
        if self.texts.is_some() {
            return Err(Error::invalid("an import embeds one column"));
        }
        if self.report.sources.iter().any(|s| s.kind == "nodes") {
            return Err(Error::invalid(
                "embed_column must come before the node files whose column it embeds",
            ));
        }
        let job = TextJob {
            column: column.to_owned(),
            collection: collection.to_owned(),
            config: config.dim(embedder.dim()).bound_to_nodes(),
            embedder,
            rows: Vec::new(),
            vectors: Vec::new(),
        };
        job.config.validate()?;
        job.check_collection(self.db)?;
        self.texts = Some(job);
        Ok(())
    }

    /// Loads edges from `path` (CSV, JSON Lines, an edge list or a
    /// Graphalytics `.e`). `weighted` applies to edge lists: `Some(true)`
    /// requires a weight column, `Some(false)` refuses one, `None` allows.
    pub fn edges_with(
        &mut self,
        path: &Path,
        format: Format,
        weighted: Option<bool>,
    ) -> Result<()> {
        self.guard()?;
        let create = self.opts.create_missing_nodes;
        match format {
            Format::Csv => {
                let r = CsvEdges(self.opened(CsvReader::open(path, false, ""))?);
                self.load_edges(path, r, create)
            }
            Format::Jsonl => {
                let r = JsonlEdges(self.opened(JsonlReader::open(path, ""))?);
                self.load_edges(path, r, create)
            }
            Format::EdgeList | Format::GraphalyticsEdges => {
                let r = self.opened(EdgeListReader::open(path, weighted))?;
                self.load_edges(path, r, true)
            }
            other => Err(Error::invalid(format!(
                "{}: {other:?} files do not hold edges",
                path.display()
            ))),
        }
    }

    /// Loads edges that the application hands over as rows, as
    /// [`node_rows`](Self::node_rows) does nodes. An endpoint key that no
    /// node has is a bad row, unless
    /// [`ImportOptions::create_missing_nodes`].
    pub fn edge_rows(
        &mut self,
        source: &str,
        rows: impl IntoIterator<Item = Parsed<EdgeRow>>,
    ) -> Result<()> {
        self.guard()?;
        let create = self.opts.create_missing_nodes;
        self.load_edges(Path::new(source), GivenRows::new(rows), create)
    }

    fn load_edges<R: RowReader<Row = EdgeRow>>(
        &mut self,
        path: &Path,
        reader: R,
        create: bool,
    ) -> Result<()> {
        let default_type = self.opts.edge_type.clone();
        let load = move |b: &mut Bulk<'db>, row: EdgeRow| -> Result<Parsed<()>> {
            let src = match b.resolve(&row.src, create)? {
                Ok(id) => id,
                Err(e) => return Ok(Err(e)),
            };
            let dst = match b.resolve(&row.dst, create)? {
                Ok(id) => id,
                Err(e) => return Ok(Err(e)),
            };
            let ty = match b.edge_type(row.edge_type.as_deref().unwrap_or(&default_type)) {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            };
            b.add_edge(src, dst, ty, row.weight, row.props)
        };
        self.run(path, "edges", reader, load)
    }

    /// [`edges_with`](Self::edges_with) with an optional weight column.
    pub fn edges(&mut self, path: &Path, format: Format) -> Result<()> {
        self.edges_with(path, format, None)
    }

    /// Loads a Graphalytics graph: its `.v` file, then its `.e` file (with
    /// a weight column exactly when the properties say it is weighted).
    /// Whether it is directed is recorded with the graph ([`GraphInfo`](crate::GraphInfo)),
    /// so algorithms read it the way the properties say by default.
    pub fn graphalytics(&mut self, props: &GraphalyticsProperties) -> Result<()> {
        let undirected = !props.directed;
        self.bulk.record(|info| info.undirected = undirected);
        self.nodes(&props.vertex_file, Format::GraphalyticsVertices)?;
        self.edges_with(
            &props.edge_file,
            Format::GraphalyticsEdges,
            Some(props.weighted),
        )
    }

    fn opened<T>(&mut self, r: Result<T>) -> Result<T> {
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    /// Queues the vectors of `path` for collection `collection` (created
    /// with `config` if missing; an existing one must have the same
    /// dimension). The file is checked now; its rows are validated in
    /// [`finish`](Self::finish) before anything is committed, and inserted
    /// after the graph commits.
    pub fn vectors(
        &mut self,
        path: &Path,
        format: Format,
        collection: &str,
        config: CollectionConfig,
        keys: VectorKeys,
    ) -> Result<()> {
        self.guard()?;
        let vf = format.vecs().ok_or_else(|| {
            Error::invalid(format!(
                "{}: {format:?} files do not hold vectors",
                path.display()
            ))
        })?;
        let file = self.opened(VectorFile::open(path, vf))?;
        let mut config = config;
        config.dim = file.dim();
        if keys != VectorKeys::Row {
            config = config.bound_to_nodes();
        }
        self.vectors.push(VectorJob {
            file,
            collection: collection.to_owned(),
            config,
            keys,
            accepted: Vec::new(),
        });
        Ok(())
    }

    fn read_key_file(path: &Path) -> Result<Vec<(u64, Parsed<Key>)>> {
        let mut lines = Lines::open(path)?;
        let mut keys = Vec::new();
        while let Some(line) = lines.next_line()? {
            match line {
                Line::TooLong(n) => keys.push((n, Err(RowError::new("the line is too long")))),
                Line::Text(n, text) => keys.push((
                    n,
                    std::str::from_utf8(text)
                        .map_err(|_| RowError::new("the line is not valid UTF-8"))
                        .and_then(|s| {
                            let s = s.trim();
                            if s.is_empty() {
                                Err(RowError::new("the line is empty"))
                            } else {
                                Ok(Key::parse(s))
                            }
                        }),
                )),
            }
        }
        Ok(keys)
    }

    /// Checks every vector row and resolves its point key, before the
    /// commit, so a bad vector fails the import while nothing is written.
    #[allow(
        clippy::too_many_lines,
        reason = "per job: the collection, the keys, then each row; one sequence"
    )]
    fn validate_vectors(&mut self) -> Result<()> {
        let mut jobs = std::mem::take(&mut self.vectors);
        let result = (|| {
            for job in &mut jobs {
                let path = job.file.path().to_owned();
                let rows = job.file.len();
                if let Some(existing) = self
                    .db
                    .begin_read()?
                    .collections()?
                    .into_iter()
                    .find(|c| c.name == job.collection)
                {
                    if existing.config.dim != job.config.dim {
                        return Err(Error::DimensionMismatch {
                            expected: existing.config.dim,
                            found: job.config.dim,
                        });
                    }
                    if existing.config.bound_to_nodes != job.config.bound_to_nodes {
                        return Err(Error::invalid(format!(
                            "collection {:?} exists and is {}bound to nodes",
                            job.collection,
                            if existing.config.bound_to_nodes {
                                ""
                            } else {
                                "not "
                            }
                        )));
                    }
                }
                let keys: Vec<Parsed<u64>> = match &job.keys {
                    VectorKeys::Row => (0..rows as u64).map(Ok).collect(),
                    VectorKeys::NodeOrder => {
                        if self.bulk.created.len() != rows {
                            return Err(Error::BadInput {
                                path: path.clone(),
                                at: "header".into(),
                                reason: format!(
                                    "{rows} vectors cannot be bound by order to the {} nodes read from node files",
                                    self.bulk.created.len()
                                ),
                            });
                        }
                        self.bulk.created.iter().map(|n| Ok(n.0)).collect()
                    }
                    VectorKeys::File(kf) => {
                        let lines = Self::read_key_file(kf)?;
                        if lines.len() != rows {
                            return Err(Error::BadInput {
                                path: kf.clone(),
                                at: format!("line {}", lines.len()),
                                reason: format!(
                                    "{} keys for {rows} vectors in {}",
                                    lines.len(),
                                    path.display()
                                ),
                            });
                        }
                        let mut out = Vec::with_capacity(rows);
                        for (_, k) in lines {
                            out.push(match k {
                                Ok(k) => {
                                    self.bulk.lookup(&k)?.map(|n| n.0).ok_or_else(|| {
                                        RowError::new(format!("no node has key {k}"))
                                    })
                                }
                                Err(e) => Err(e),
                            });
                        }
                        out
                    }
                };
                let mut row = Vec::new();
                let mut source = SourceReport {
                    path: path.clone(),
                    kind: "vectors",
                    read: 0,
                    loaded: 0,
                    rejected: 0,
                    elapsed: Duration::ZERO,
                };
                for (i, key) in keys.into_iter().enumerate() {
                    job.file.row_into(i, &mut row)?;
                    source.read += 1;
                    let checked = key.and_then(|k| {
                        job.config
                            .metric
                            .prepare(job.config.dim, &row)
                            .map(|_| k)
                            .map_err(RowError::from)
                    });
                    match checked {
                        Ok(k) => job.accepted.push((i, k)),
                        Err(reason) => {
                            if !self.opts.skip_bad {
                                return Err(Error::BadInput {
                                    path: path.clone(),
                                    at: format!("row {i}"),
                                    reason: reason.to_string(),
                                });
                            }
                            self.reject(&path, i as u64, format!("row {i}"), &reason, &mut source)?;
                        }
                    }
                    if (i as u64).is_multiple_of(PROGRESS_EVERY) {
                        self.tell(&path, "validating", i as u64, rows as u64, i as u64);
                    }
                }
                source.loaded = job.accepted.len() as u64;
                self.report.sources.push(source);
            }
            Ok(())
        })();
        self.vectors = jobs;
        result
    }

    /// Embeds the texts of the embedded column (before anything commits).
    fn embed_texts(&mut self) -> Result<()> {
        let Some(job) = self.texts.as_mut() else {
            return Ok(());
        };
        let t = Instant::now();
        let file = self
            .report
            .sources
            .iter()
            .find(|s| s.kind == "nodes")
            .map(|s| s.path.clone())
            .unwrap_or_default();
        let progress = &mut self.progress;
        let total = job.rows.len() as u64;
        tell(progress, &file, "embedding", 0, total, 0);
        let embedded = job.embed(|done, total| {
            tell(progress, &file, "embedding", done, total, done);
        });
        if let Err(e) = embedded {
            self.failed = true;
            return Err(e);
        }
        self.report.stages.push(("embed", t.elapsed()));
        Ok(())
    }

    /// Validates queued vectors, commits the graph (moving the sorted files
    /// in, synced), then inserts the vectors. Returns the report.
    ///
    /// If the graph part fails, the database is as it was. Vectors are
    /// validated before that commit; if inserting them fails afterwards
    /// (a storage error), collections this import created are dropped
    /// again, and the error says the graph part was committed.
    pub fn finish(mut self) -> Result<Report> {
        self.guard()?;
        let t = Instant::now();
        self.validate_vectors()?;
        let validate = t.elapsed();
        self.report.stages.push(("read+stage", self.staged));
        if !self.vectors.is_empty() {
            self.report.stages.push(("vectors:validate", validate));
        }
        self.embed_texts()?;
        let t = Instant::now();
        let Importer {
            db,
            bulk,
            mut progress,
            mut report,
            vectors: jobs,
            texts,
            fulltext,
            started,
            ..
        } = self;
        let first = jobs
            .first()
            .map(|j| j.file.path().to_owned())
            .unwrap_or_default();
        tell(&mut progress, &first, "committing", 0, 0, 0);
        let loaded = bulk.finish()?;
        report.stages.push(("commit", t.elapsed()));
        report.nodes = loaded.nodes;
        report.edges = loaded.edges;
        let t = Instant::now();
        for job in &jobs {
            let what = format!("loading vectors from {}", job.file.path().display());
            after_commit(db, &job.collection, &what, |created| {
                insert_vectors(db, job, created, &mut report, &mut progress)
            })?;
        }
        if !jobs.is_empty() {
            db.checkpoint()?;
            report.stages.push(("vectors:index", t.elapsed()));
        }
        if let Some(job) = texts {
            store_texts(db, &job, &mut report, &mut progress)?;
        }
        if !fulltext.is_empty() {
            let t = Instant::now();
            for (name, config) in fulltext {
                let what = format!("creating full-text index {name}");
                let mut w = db.begin_write().map_err(|e| committed_before(&what, e))?;
                let file = PathBuf::from(&name);
                w.create_fulltext_index_with(&name, config, &mut |done, total| {
                    tell(&mut progress, &file, "fulltext", done, total, done);
                })
                .and_then(|_| w.commit())
                .map_err(|e| committed_before(&what, e))?;
            }
            report.stages.push(("fulltext:index", t.elapsed()));
        }
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Declares full-text index `name`, created over what the import
    /// loaded once the graph has committed (its progress is reported as
    /// stage `fulltext`, `done` of `total` documents analysed).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the import already declares an
    /// index of that name.
    pub fn fulltext_index(&mut self, name: &str, config: FulltextConfig) -> Result<()> {
        if self.fulltext.iter().any(|(n, _)| n == name) {
            return Err(Error::invalid(format!(
                "this import declares full-text index {name} twice"
            )));
        }
        self.fulltext.push((name.to_owned(), config));
        Ok(())
    }

    /// The node with external key `key` as of this import (created by it,
    /// or already in the database).
    pub fn node(&mut self, key: &Key) -> Result<Option<NodeId>> {
        self.bulk.lookup(key)
    }
}

fn tell(
    progress: &mut Option<ProgressFn<'_>>,
    file: &Path,
    stage: &'static str,
    done: u64,
    total: u64,
    rows: u64,
) {
    if let Some(f) = progress.as_mut() {
        f(&Progress {
            file,
            stage,
            done,
            total,
            rows,
        });
    }
}

/// Runs `load(created)` — vectors or texts into `collection`, after the
/// graph has committed — where `created` says the collection does not
/// exist yet. On failure, drops the collection again if it was created,
/// and says that the graph part was committed.
fn after_commit(
    db: &Database,
    collection: &str,
    what: &str,
    load: impl FnOnce(bool) -> Result<()>,
) -> Result<()> {
    let created = !db
        .begin_read()?
        .collections()?
        .iter()
        .any(|c| c.name == collection);
    load(created).or_else(|e| {
        if created {
            let mut w = db.begin_write()?;
            w.drop_collection(collection)?;
            w.commit()?;
        }
        Err(Error::Storage {
            message: format!("the graph was imported and committed, but {what} failed"),
            source: Some(Box::new(e)),
        })
    })
}

/// Stores the embedded texts of `job` once the graph has committed.
fn store_texts(
    db: &Database,
    job: &TextJob,
    report: &mut Report,
    progress: &mut Option<ProgressFn<'_>>,
) -> Result<()> {
    let t = Instant::now();
    let file = PathBuf::from(&job.column);
    let what = format!("storing the embedded texts of column {:?}", job.column);
    after_commit(db, &job.collection, &what, |created| {
        job.store(db, created, |done, total| {
            tell(progress, &file, "indexing", done, total, done);
        })?;
        db.checkpoint()
    })?;
    report.texts = job.rows.len() as u64;
    report.stages.push(("texts:index", t.elapsed()));
    Ok(())
}

fn insert_vectors(
    db: &Database,
    job: &VectorJob,
    create: bool,
    report: &mut Report,
    progress: &mut Option<ProgressFn<'_>>,
) -> Result<()> {
    const BATCH: usize = 20_000;
    if create {
        let mut w = db.begin_write()?;
        w.create_collection(&job.collection, job.config.clone())?;
        w.commit()?;
    }
    let total = job.accepted.len() as u64;
    let mut rows: Vec<Vec<f32>> = Vec::with_capacity(BATCH);
    for (b, batch) in job.accepted.chunks(BATCH).enumerate() {
        rows.clear();
        for &(i, _) in batch {
            let mut v = Vec::with_capacity(job.file.dim());
            job.file.row_into(i, &mut v)?;
            rows.push(v);
        }
        let mut w = db.begin_write()?;
        let r = w.upsert_vectors(
            &job.collection,
            batch
                .iter()
                .zip(&rows)
                .map(|(&(_, key), v)| (key, v.as_slice(), Props::new())),
        )?;
        if let Some(bad) = r.rejected.first() {
            return Err(Error::invalid(format!(
                "row {}: {}",
                batch[bad.index].0, bad.reason
            )));
        }
        w.commit()?;
        report.vectors += batch.len() as u64;
        let done = ((b + 1) * BATCH).min(job.accepted.len()) as u64;
        tell(progress, job.file.path(), "indexing", done, total, done);
    }
    Ok(())
}

/// Rows handed over by the application, read as a file's rows are.
struct GivenRows<I> {
    rows: I,
    read: u64,
    /// The rows in all, when the iterator knows.
    total: u64,
}

impl<I: Iterator> GivenRows<I> {
    fn new(rows: impl IntoIterator<IntoIter = I>) -> GivenRows<I> {
        let rows = rows.into_iter();
        let (low, high) = rows.size_hint();
        GivenRows {
            total: high.unwrap_or(low) as u64,
            rows,
            read: 0,
        }
    }
}

impl<T, I: Iterator<Item = Parsed<T>>> RowReader for GivenRows<I> {
    type Row = T;

    fn next_row(&mut self) -> Result<Option<(u64, Parsed<T>)>> {
        Ok(self.rows.next().map(|row| {
            self.read += 1;
            (self.read, row)
        }))
    }

    fn bytes_read(&self) -> u64 {
        self.read
    }

    fn unit(&self) -> &'static str {
        "row"
    }

    fn total(&self, _: &Path) -> u64 {
        self.total
    }
}

/// An error after the graph part committed, saying so (the error kept as
/// the source).
fn committed_before(what: &str, e: Error) -> Error {
    Error::Storage {
        message: format!("the graph was imported and committed, but {what} failed"),
        source: Some(Box::new(e)),
    }
}
