//! The bulk loader: gives rows ids and writes them as sorted files (SSTs)
//! that are moved into the column families at commit.
//!
//! Why files and not write batches: a batch goes through the WAL and the
//! memtable and is sorted again by every flush and compaction; a sorted
//! file is written once and linked into the tree (measured in
//! `docs/BENCHMARKS.md`, "Import").
//!
//! Memory: the map from external key to node id (one entry per distinct
//! node), the label / unique / index entries of the new nodes (sorted at
//! the end), and at most two chunks of [`CHUNK`] edges — one being filled
//! while a worker thread sorts the other into its `out` and `in` files.
//! Node and edge records stream straight into their files, since ids are
//! handed out in increasing order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use rustc_hash::FxHashMap;

use super::Key;
use super::recover::{Intent, STAGING_DIR};
use crate::error::{Error, Result};
use crate::graph::WriteTxn;
use crate::graph::dict::Kind;
use crate::graph::records::{EdgeRecord, NodeRecord};
use crate::storage::{Cf, KvRead, SstWriter, codec, keys};
use crate::{Database, NodeId, Props, Value};

/// Edges per chunk handed to the adjacency worker.
const CHUNK: usize = 1 << 20;

/// An edge waiting for its adjacency entries.
#[derive(Clone, Copy)]
struct Staged {
    src: u64,
    dst: u64,
    edge: u64,
    edge_type: u32,
    /// Its first numeric property (`u32::MAX` key: none), inline because
    /// the sorted pass would read a side array at random; the others in
    /// `numeric[num..num + num_len]`.
    first_num: (u32, f64),
    num: u32,
    num_len: u32,
}

struct Chunk {
    edges: Vec<Staged>,
    numeric: Vec<(u32, f64)>,
    /// The encoded edge records, `records[ends[i - 1]..ends[i]]`, of edges
    /// `edges[0].edge ..` in order.
    records: Vec<u8>,
    ends: Vec<usize>,
    seq: usize,
}

type Worker = (SyncSender<Arc<Chunk>>, JoinHandle<Result<Vec<PathBuf>>>);

/// Counts of what a finished load wrote.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Loaded {
    pub nodes: u64,
    pub edges: u64,
}

/// The staging folder and the writers filling it; dropping it (an
/// unfinished load) stops the worker and removes the files.
struct Files {
    dir: PathBuf,
    /// The `edges`, `out` and `in` writers.
    workers: Vec<(Cf, Worker)>,
}

impl Files {
    /// Hands a chunk to both adjacency writers.
    fn send(&mut self, chunk: Chunk) -> Result<()> {
        let chunk = Arc::new(chunk);
        for (_, (tx, _)) in &self.workers {
            if tx.send(Arc::clone(&chunk)).is_err() {
                // A writer stopped: its result says why.
                return Err(self.join_workers().err().unwrap_or_else(|| {
                    Error::Storage("the adjacency writer stopped unexpectedly".into())
                }));
            }
        }
        Ok(())
    }

    fn join_workers(&mut self) -> Result<Vec<(Cf, PathBuf)>> {
        let mut files = Vec::new();
        let mut first_error = None;
        for (cf, (tx, handle)) in self.workers.drain(..) {
            drop(tx);
            match handle.join() {
                Ok(Ok(paths)) => files.extend(paths.into_iter().map(|p| (cf, p))),
                Ok(Err(e)) => first_error = first_error.or(Some(e)),
                Err(_) => {
                    first_error = first_error
                        .or_else(|| Some(Error::Storage("the adjacency writer panicked".into())));
                }
            }
        }
        first_error.map_or(Ok(files), Err)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = self.join_workers();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) struct Bulk<'db> {
    db: &'db Database,
    txn: WriteTxn<'db>,
    files: Files,
    key_label: u32,
    key_prop: u32,
    /// Whether the database already holds nodes under the key label's
    /// unique key (if not, unseen keys need no lookup).
    check_existing: bool,
    ints: FxHashMap<i64, NodeId>,
    /// Integer keys `0..dense.len()` of nodes created by this load:
    /// `node id - first node + 1`, 0 when absent. Edge lists usually
    /// number nodes densely from 0; one array read beats a hash probe.
    dense: Vec<u32>,
    strs: FxHashMap<String, NodeId>,
    /// Values of other unique keys given to new nodes, to refuse duplicates.
    other_unique: HashSet<Vec<u8>>,
    /// Per other unique `(label, key)`: whether the database has entries.
    other_existing: FxHashMap<(u32, u32), bool>,
    /// Encoded records of the new nodes, in id order (written at the end,
    /// in parallel with the other node-side files).
    node_records: Vec<u8>,
    node_ends: Vec<usize>,
    labels: Vec<[u8; 12]>,
    label_ids: HashSet<u32>,
    /// Entries of other unique keys than the import's key (those come
    /// from the key maps at the end).
    unique: Vec<(Vec<u8>, NodeId)>,
    index: Vec<Vec<u8>>,
    chunk: Vec<Staged>,
    numeric: Vec<(u32, f64)>,
    records: Vec<u8>,
    ends: Vec<usize>,
    seq: usize,
    first: (u64, u64),
    /// The declared unique keys and indexes (fixed for the load).
    schema: crate::graph::records::Schema,
    /// Nodes created from node rows, in row order (for vectors bound by order).
    pub(crate) created: Vec<NodeId>,
    type_ids: FxHashMap<String, u32>,
    weight_key: Option<u32>,
}

fn staging_file(dir: &Path, name: &str, seq: usize) -> PathBuf {
    dir.join(format!("{name}-{seq:05}.sst"))
}

/// The chunk's edges in the key order of `cf`: by the first node (a
/// counting sort when the ids are dense enough), then by type, other
/// node and edge id.
fn sorted(chunk: &Chunk, cf: Cf) -> Vec<Staged> {
    let first = |e: &Staged| if cf == Cf::Out { e.src } else { e.dst };
    let rest = |e: &Staged| {
        if cf == Cf::Out {
            (e.edge_type, e.dst, e.edge)
        } else {
            (e.edge_type, e.src, e.edge)
        }
    };
    let edges = &chunk.edges;
    let (Some(lo), Some(hi)) = (edges.iter().map(first).min(), edges.iter().map(first).max())
    else {
        return Vec::new();
    };
    let span = hi - lo + 1;
    if span > 4 * edges.len() as u64 + (1 << 20) {
        let mut out = edges.clone();
        out.sort_unstable_by_key(|e| (first(e), rest(e)));
        return out;
    }
    // Counting sort on the first node, then each group by the rest.
    let mut starts = vec![0u32; span as usize + 1];
    for e in edges {
        starts[(first(e) - lo) as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let bounds = starts.clone();
    let mut out = vec![edges[0]; edges.len()];
    for e in edges {
        let slot = &mut starts[(first(e) - lo) as usize];
        out[*slot as usize] = *e;
        *slot += 1;
    }
    for w in bounds.windows(2) {
        let group = &mut out[w[0] as usize..w[1] as usize];
        if group.len() > 1 {
            group.sort_unstable_by_key(rest);
        }
    }
    out
}

/// Writes the `edges` file of one chunk: records in edge id order, so the
/// chunks' files do not overlap and go straight to the last level.
fn write_records(dir: &Path, chunk: &Chunk) -> Result<Option<PathBuf>> {
    let mut w = SstWriter::create(Cf::Edges, &staging_file(dir, "edges", chunk.seq), true)?;
    let mut start = 0;
    for (e, &end) in chunk.edges.iter().zip(&chunk.ends) {
        w.put(&keys::id(e.edge), &chunk.records[start..end])?;
        start = end;
    }
    w.finish()
}

/// Writes the `cf` (`out` or `in`) file of one chunk of edges.
/// Uncompressed: the chunks' files overlap, so compaction rewrites (and
/// compresses) them anyway.
fn write_adjacency(dir: &Path, chunk: &Chunk, cf: Cf) -> Result<Option<PathBuf>> {
    if cf == Cf::Edges {
        return write_records(dir, chunk);
    }
    let edges = sorted(chunk, cf);
    let name = if cf == Cf::Out { "out" } else { "in" };
    let mut w = SstWriter::create(cf, &staging_file(dir, name, chunk.seq), false)?;
    let mut value = Vec::new();
    for e in &edges {
        let (a, b) = if cf == Cf::Out {
            (e.src, e.dst)
        } else {
            (e.dst, e.src)
        };
        let key = keys::adj(NodeId(a), e.edge_type, NodeId(b), crate::EdgeId(e.edge));
        value.clear();
        let first = (e.first_num.0 != u32::MAX).then_some(&e.first_num);
        let rest = &chunk.numeric[e.num as usize..(e.num + e.num_len) as usize];
        for (k, f) in first.into_iter().chain(rest) {
            value.extend_from_slice(&k.to_be_bytes());
            value.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        w.put(&key, &value)?;
    }
    w.finish()
}

fn spawn_worker(dir: PathBuf, cf: Cf) -> Worker {
    let (tx, rx): (SyncSender<Arc<Chunk>>, Receiver<Arc<Chunk>>) = sync_channel(0);
    let handle = std::thread::spawn(move || {
        let mut files = Vec::new();
        for chunk in rx {
            files.extend(write_adjacency(&dir, &chunk, cf)?);
        }
        Ok(files)
    });
    (tx, handle)
}

impl<'db> Bulk<'db> {
    /// Starts a load in a write transaction: nodes get `key_label` and
    /// their external key as property `key_prop`, unique under that label.
    pub(crate) fn new(db: &'db Database, key_label: &str, key_prop: &str) -> Result<Bulk<'db>> {
        let mut txn = db.begin_write()?;
        txn.create_unique_key(key_label, key_prop)?;
        let key_label_id = txn.name_id(Kind::Label, key_label)?;
        let key_prop_id = txn.name_id(Kind::PropKey, key_prop)?;
        let check_existing =
            has_prefix(db, Cf::Unique, &keys::label_key(key_label_id, key_prop_id))?;
        let staging = db.path().join(STAGING_DIR);
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        let c = *txn.counters_mut();
        let schema = txn.schema().clone();
        let files = Files {
            workers: vec![
                (Cf::Edges, spawn_worker(staging.clone(), Cf::Edges)),
                (Cf::Out, spawn_worker(staging.clone(), Cf::Out)),
                (Cf::In, spawn_worker(staging.clone(), Cf::In)),
            ],
            dir: staging,
        };
        Ok(Bulk {
            db,
            txn,
            files,
            key_label: key_label_id,
            key_prop: key_prop_id,
            check_existing,
            ints: FxHashMap::default(),
            dense: Vec::new(),
            strs: FxHashMap::default(),
            other_unique: HashSet::new(),
            other_existing: FxHashMap::default(),
            node_records: Vec::new(),
            node_ends: Vec::new(),
            labels: Vec::new(),
            label_ids: HashSet::from([key_label_id]),
            unique: Vec::new(),
            index: Vec::new(),
            chunk: Vec::new(),
            numeric: Vec::new(),
            records: Vec::new(),
            ends: Vec::new(),
            seq: 0,
            first: (c.next_node, c.next_edge),
            schema,
            created: Vec::new(),
            type_ids: FxHashMap::default(),
            weight_key: None,
        })
    }

    /// The node with external key `key`, if it exists (in this load or in
    /// the database).
    pub(crate) fn lookup(&mut self, key: &Key) -> Result<Option<NodeId>> {
        let found = match key {
            Key::Int(i) => match usize::try_from(*i).ok().and_then(|i| self.dense.get(i)) {
                Some(&d) if d > 0 => Some(NodeId(self.first.0 + u64::from(d) - 1)),
                _ => self.ints.get(i).copied(),
            },
            Key::Str(s) => self.strs.get(s.as_str()).copied(),
        };
        if found.is_some() || !self.check_existing {
            return Ok(found);
        }
        let k = keys::label_key_value(self.key_label, self.key_prop, &key.to_value());
        let Some(v) = self.db.store().get(Cf::Unique, &k)? else {
            return Ok(None);
        };
        let id = NodeId(keys::read_u64(&v, 0)?);
        self.remember(key, id);
        Ok(Some(id))
    }

    fn remember(&mut self, key: &Key, id: NodeId) {
        match key {
            Key::Int(i) if *i >= 0 && id.0 >= self.first.0 => {
                let i = *i as usize;
                let created = (id.0 - self.first.0 + 1) as usize;
                // Grow the array while keys stay within a few times the
                // number of nodes seen (so sparse keys cannot blow it up).
                if i >= self.dense.len() && i < 4 * created + (1 << 20) {
                    self.dense.resize((i + 1).next_power_of_two(), 0);
                }
                if let (Some(slot), Ok(v)) = (self.dense.get_mut(i), u32::try_from(created)) {
                    *slot = v;
                } else {
                    self.ints.insert(i64::try_from(i).unwrap_or(i64::MAX), id);
                }
            }
            Key::Int(i) => {
                self.ints.insert(*i, id);
            }
            Key::Str(s) => {
                self.strs.insert(s.clone(), id);
            }
        }
    }

    /// Creates a node. A bad row (a key that exists, a bad property) is an
    /// `Err(reason)` in the outer `Ok`, and changes nothing.
    pub(crate) fn add_node(
        &mut self,
        key: &Key,
        labels: &[String],
        props: Props,
    ) -> Result<std::result::Result<NodeId, String>> {
        if self.lookup(key)?.is_some() {
            return Ok(Err(format!("a node with key {key} exists already")));
        }
        let mut label_ids = vec![self.key_label];
        for l in labels {
            match self.txn.name_id(Kind::Label, l) {
                Ok(id) => label_ids.push(id),
                Err(e) => return Ok(Err(e.to_string())),
            }
        }
        label_ids.sort_unstable();
        label_ids.dedup();
        let mut props = if props.is_empty() {
            Vec::with_capacity(1)
        } else {
            match self.txn.prop_ids(props) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e.to_string())),
            }
        };
        match props.binary_search_by_key(&self.key_prop, |(k, _)| *k) {
            Ok(i) => props[i].1 = key.to_value(),
            Err(i) => props.insert(i, (self.key_prop, key.to_value())),
        }
        let rec = NodeRecord {
            labels: label_ids,
            props,
        };
        let id = NodeId(self.txn.counters_mut().next_node);
        // Other unique keys: refuse a value taken in the database or earlier
        // in this load before writing anything.
        let mut mine = Vec::new();
        for &(l, k) in &self.schema.unique {
            if (l, k) == (self.key_label, self.key_prop) {
                continue;
            }
            if let (true, Some(v)) = (rec.has_label(l), rec.prop(k)) {
                let entry = keys::label_key_value(l, k, v);
                let existing = if let Some(e) = self.other_existing.get(&(l, k)) {
                    *e
                } else {
                    let e = has_prefix(self.db, Cf::Unique, &keys::label_key(l, k))?;
                    self.other_existing.insert((l, k), e);
                    e
                };
                if self.other_unique.contains(&entry)
                    || mine.contains(&entry)
                    || (existing && self.db.store().get(Cf::Unique, &entry)?.is_some())
                {
                    return Ok(Err(format!("unique key value {v} is taken already")));
                }
                mine.push(entry);
            }
        }
        for entry in &mine {
            self.unique.push((entry.clone(), id));
        }
        self.other_unique.extend(mine);
        for &(l, k) in &self.schema.indexed {
            if let (true, Some(v)) = (rec.has_label(l), rec.prop(k)) {
                self.index.push(keys::index_entry(l, k, v, id));
            }
        }
        for &l in &rec.labels {
            self.labels.push(keys::label(l, id));
            self.label_ids.insert(l);
        }
        self.put_node(id, &rec)?;
        self.remember(key, id);
        Ok(Ok(id))
    }

    fn put_node(&mut self, id: NodeId, rec: &NodeRecord) -> Result<()> {
        debug_assert_eq!(id.0, self.first.0 + self.node_ends.len() as u64);
        codec::encode_append(rec, &mut self.node_records)?;
        self.node_ends.push(self.node_records.len());
        let c = self.txn.counters_mut();
        c.next_node += 1;
        c.node_count += 1;
        Ok(())
    }

    /// The node for `key`, created with only the key label when missing
    /// and `create` is set.
    pub(crate) fn resolve(
        &mut self,
        key: &Key,
        create: bool,
    ) -> Result<std::result::Result<NodeId, String>> {
        if let Some(id) = self.lookup(key)? {
            return Ok(Ok(id));
        }
        if !create {
            return Ok(Err(format!("no node has key {key}")));
        }
        self.add_node(key, &[], Props::new())
    }

    /// The id of edge type `name`.
    pub(crate) fn edge_type(&mut self, name: &str) -> std::result::Result<u32, String> {
        if let Some(id) = self.type_ids.get(name) {
            return Ok(*id);
        }
        match self.txn.name_id(Kind::EdgeType, name) {
            Ok(id) => {
                self.type_ids.insert(name.to_owned(), id);
                Ok(id)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// Adds an edge between existing (or created) nodes.
    pub(crate) fn add_edge(
        &mut self,
        src: NodeId,
        dst: NodeId,
        edge_type: u32,
        weight: Option<f64>,
        props: Props,
    ) -> Result<std::result::Result<(), String>> {
        let mut props = if props.is_empty() {
            Vec::new()
        } else {
            match self.txn.prop_ids(props) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e.to_string())),
            }
        };
        if let Some(w) = weight {
            if w.is_nan() {
                return Ok(Err("the weight is NaN".into()));
            }
            let k = if let Some(k) = self.weight_key {
                k
            } else {
                let k = self.txn.name_id(Kind::PropKey, "weight")?;
                self.weight_key = Some(k);
                k
            };
            match props.binary_search_by_key(&k, |(p, _)| *p) {
                Ok(i) => props[i].1 = Value::Float(w),
                Err(i) => props.insert(i, (k, Value::Float(w))),
            }
        }
        let edge = self.txn.counters_mut().next_edge;
        let num = self.numeric.len() as u32;
        let mut first_num = (u32::MAX, 0.0);
        for (k, v) in &props {
            if let Some(f) = v.as_f64() {
                if first_num.0 == u32::MAX {
                    first_num = (*k, f);
                } else {
                    self.numeric.push((*k, f));
                }
            }
        }
        let num_len = self.numeric.len() as u32 - num;
        let rec = EdgeRecord {
            src,
            dst,
            edge_type,
            props,
        };
        codec::encode_append(&rec, &mut self.records)?;
        self.ends.push(self.records.len());
        self.chunk.push(Staged {
            src: src.0,
            dst: dst.0,
            edge,
            edge_type,
            first_num,
            num,
            num_len,
        });
        let c = self.txn.counters_mut();
        c.next_edge += 1;
        c.edge_count += 1;
        if self.chunk.len() >= CHUNK {
            self.send_chunk()?;
        }
        Ok(Ok(()))
    }

    fn send_chunk(&mut self) -> Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let records = self.records.len();
        let chunk = Chunk {
            edges: std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK)),
            numeric: std::mem::take(&mut self.numeric),
            records: std::mem::replace(&mut self.records, Vec::with_capacity(records)),
            ends: std::mem::replace(&mut self.ends, Vec::with_capacity(CHUNK)),
            seq: self.seq,
        };
        self.seq += 1;
        self.files.send(chunk)
    }

    /// Writes the remaining files, moves them all in and commits. On error
    /// the database is left as it was.
    #[allow(
        clippy::too_many_lines,
        reason = "the commit sequence reads best in one place: files, marker, ingest, commit"
    )]
    pub(crate) fn finish(mut self) -> Result<Loaded> {
        self.send_chunk()?;
        // The writers sort and write the last chunk meanwhile; the node-side
        // files are written in parallel with them.
        let dir = self.files.dir.clone();
        let (records, ends, first_node) = (&self.node_records, &self.node_ends, self.first.0);
        let (labels, unique, index) = (&mut self.labels, &mut self.unique, &mut self.index);
        let (dense, ints, strs) = (&self.dense, &self.ints, &self.strs);
        let key_prefix = keys::label_key(self.key_label, self.key_prop);
        let node_side: Vec<Result<Option<(Cf, PathBuf)>>> = std::thread::scope(|scope| {
            let nodes = scope.spawn(|| {
                let mut w = SstWriter::create(Cf::Nodes, &staging_file(&dir, "nodes", 0), true)?;
                let mut start = 0;
                for (i, &end) in ends.iter().enumerate() {
                    w.put(&keys::id(first_node + i as u64), &records[start..end])?;
                    start = end;
                }
                Ok(w.finish()?.map(|p| (Cf::Nodes, p)))
            });
            let labels = scope.spawn(|| {
                if !labels.is_sorted() {
                    labels.sort_unstable();
                }
                let mut w = SstWriter::create(Cf::Labels, &staging_file(&dir, "labels", 0), true)?;
                for k in labels.iter() {
                    w.put(k, &[])?;
                }
                Ok(w.finish()?.map(|p| (Cf::Labels, p)))
            });
            let unique = scope.spawn(|| {
                // The import's keys, from the maps: integers (sorted, most
                // of them already in order in `dense`), then strings — the
                // order of their value-keys.
                let mut by_int: Vec<(i64, u64)> = dense
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| **d > 0)
                    .map(|(k, d)| {
                        (
                            i64::try_from(k).unwrap_or(i64::MAX),
                            first_node + u64::from(*d) - 1,
                        )
                    })
                    .collect();
                by_int.extend(
                    ints.iter()
                        .filter(|(_, n)| n.0 >= first_node)
                        .map(|(k, n)| (*k, n.0)),
                );
                by_int.sort_unstable();
                let mut by_str: Vec<(&str, u64)> = strs
                    .iter()
                    .filter(|(_, n)| n.0 >= first_node)
                    .map(|(k, n)| (k.as_str(), n.0))
                    .collect();
                by_str.sort_unstable();
                unique.sort_unstable();
                let mut w = SstWriter::create(Cf::Unique, &staging_file(&dir, "unique", 0), true)?;
                let mut others = unique.iter().peekable();
                while let Some((k, node)) = others.next_if(|(k, _)| k[..8] < key_prefix[..]) {
                    w.put(k, &keys::id(node.0))?;
                }
                let mut key = Vec::new();
                let values = by_int.iter().map(|(i, n)| (Value::Int(*i), *n)).chain(
                    by_str
                        .iter()
                        .map(|(s, n)| (Value::String((*s).to_owned()), *n)),
                );
                for (v, node) in values {
                    key.clear();
                    key.extend_from_slice(&key_prefix);
                    keys::push_value(&mut key, &v);
                    w.put(&key, &keys::id(node))?;
                }
                for (k, node) in others {
                    w.put(k, &keys::id(node.0))?;
                }
                Ok(w.finish()?.map(|p| (Cf::Unique, p)))
            });
            index.sort_unstable();
            let index = (|| {
                let mut w = SstWriter::create(Cf::Index, &staging_file(&dir, "index", 0), true)?;
                for k in index.iter() {
                    w.put(k, &[])?;
                }
                Ok(w.finish()?.map(|p| (Cf::Index, p)))
            })();
            let join = |h: std::thread::ScopedJoinHandle<'_, Result<Option<(Cf, PathBuf)>>>| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Storage("a file writer panicked".into())))
            };
            vec![join(nodes), join(labels), join(unique), index]
        });
        let mut files = Vec::new();
        for f in node_side {
            files.extend(f?);
        }
        files.extend(self.files.join_workers()?);

        let c = *self.txn.counters_mut();
        let loaded = Loaded {
            nodes: c.next_node - self.first.0,
            edges: c.next_edge - self.first.1,
        };
        let schema = self.txn.schema().clone();
        let mut labels: Vec<u32> = self.label_ids.iter().copied().collect();
        labels.sort_unstable();
        let intent = Intent {
            nodes: (self.first.0, c.next_node),
            edges: (self.first.1, c.next_edge),
            labels,
            unique: schema.unique,
            indexed: schema.indexed,
        };
        let db = self.db;
        let txn = self.txn;
        let store = db.store();
        let result = {
            let _gate = db.ingest_gate().write();
            intent.record(store)?;
            let result = txn.commit_bulk(|| {
                for cf in [
                    Cf::Nodes,
                    Cf::Labels,
                    Cf::Unique,
                    Cf::Index,
                    Cf::Edges,
                    Cf::Out,
                    Cf::In,
                ] {
                    let paths: Vec<PathBuf> = files
                        .iter()
                        .filter(|(c, _)| *c == cf)
                        .map(|(_, p)| p.clone())
                        .collect();
                    store.ingest(cf, &paths)?;
                    if cf == Cf::Out {
                        fail_point("import-mid-ingest");
                    }
                }
                Ok(())
            });
            if result.is_err() {
                // Remove whatever arrived; if even that fails, the marker
                // stays and the next open finishes the job.
                let _ = super::recover::undo_pending(store);
            }
            result
        };
        drop(self.files);
        result.map(|()| loaded)
    }
}

/// Whether column family `cf` has any key starting with `prefix`.
fn has_prefix(db: &Database, cf: Cf, prefix: &[u8]) -> Result<bool> {
    let mut any = false;
    let end = keys::prefix_end(prefix);
    db.store()
        .scan_range(cf, prefix, end.as_deref(), &mut |_, _| {
            any = true;
            Ok(false)
        })?;
    Ok(any)
}

/// A test hook: when the environment variable `QUIVER_FAILPOINT` names
/// this point, the process aborts here, as if it had been killed (the
/// crash tests use it to stop an import between two column families).
fn fail_point(name: &str) {
    if std::env::var_os("QUIVER_FAILPOINT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}
