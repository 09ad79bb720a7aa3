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

use super::{Key, RowError, runs};
use crate::error::{Error, Result};
use crate::graph::dict::Kind;
use crate::graph::entries::{NodeEntry, node_entries};
use crate::graph::keys;
use crate::graph::records::{EdgeRecord, NodeRecord, Schema};
use crate::graph::state::{Counters, write_reader};
use crate::graph::stats::Tally;
use crate::storage::keys::{read_u32, read_u64};
use crate::storage::{Cf, KvRead, SstWriter, codec, files};
use crate::txn::{IdAt, LoadedAdjacency, STAGING_DIR, Undo, WriteTxn};
use crate::{Database, GraphInfo, GraphRead, NodeId, Props, Value};

/// Edges per chunk handed to the adjacency worker (few in the crate's
/// tests, so that their imports merge several runs).
const CHUNK: usize = if cfg!(test) { 1 << 10 } else { 1 << 20 };

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
                    Error::storage_msg("the adjacency writer stopped unexpectedly")
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
                        .or_else(|| Some(Error::storage_msg("the adjacency writer panicked")));
                }
            }
        }
        first_error.map_or(Ok(files), Err)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = self.join_workers();
        let _ = files::remove_dir_all(&self.dir);
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
    /// Whether the database held no node and no edge before: then the
    /// load's `out` entries are the whole graph's adjacency, handed to the
    /// projection cache after the commit.
    empty_before: bool,
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
    schema: Schema,
    /// The id counters: the loader hands out ids itself, and the graph's
    /// part of the transaction gets them back at the commit.
    counters: Counters,
    /// What this load says about the graph as a whole (over what the
    /// database recorded before), if anything.
    info: Option<GraphInfo>,
    /// What the database recorded before this load.
    recorded: GraphInfo,
    /// Nodes created from node rows, in row order (for vectors bound by order).
    pub(crate) created: Vec<NodeId>,
    type_ids: FxHashMap<String, u32>,
    weight_key: Option<u32>,
    /// The statistics of what this load adds (its files are not written
    /// through the write path, which counts them otherwise).
    tally: Tally,
    /// The label set (in `tally`) of each new node, by id from the first.
    new_sets: Vec<u32>,
    /// The one label set of every new node so far, while they share one
    /// (an edge then needs no read of `new_sets`, which it would read at
    /// random).
    one_set: Option<u32>,
    /// The label sets of nodes that existed before, as edges reach them.
    old_sets: FxHashMap<u64, u32>,
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
        w.put(&e.edge.to_be_bytes(), &chunk.records[start..end])?;
        start = end;
    }
    w.finish()
}

/// Writes the `cf` (`out` or `in`) entries of one chunk of edges as a
/// sorted run (`runs::put` per entry): the runs of all chunks are merged
/// into one file per column family at the end (`runs::merge_all`), which
/// goes into the bottom level without a compaction. (Ingested as one
/// overlapping file per chunk, they used to leave the column families a
/// compaction of every entry to do, which ran in the background of every
/// later process — a second core busy for seconds, scans merging ten
/// files — and was cut short by each close.)
fn write_adjacency(dir: &Path, chunk: &Chunk, cf: Cf) -> Result<Option<PathBuf>> {
    if cf == Cf::Edges {
        return write_records(dir, chunk);
    }
    let edges = sorted(chunk, cf);
    let name = if cf == Cf::Out { "out" } else { "in" };
    let path = dir.join(format!("{name}-{:05}.{}", chunk.seq, runs::EXTENSION));
    let mut value = Vec::new();
    files::create_file(&path, |out| {
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
            runs::put(out, &key, &value)?;
        }
        Ok(())
    })?;
    Ok(Some(path))
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
        // The loader writes storage around the write path: a collection
        // fed by a graph property would miss what it loads.
        let watchers = &db.links().watchers;
        if crate::txn::watched(watchers, &txn, false, None)
            || crate::txn::watched(watchers, &txn, true, None)
        {
            return Err(Error::invalid(
                "this database has vector or full-text indexes fed by graph properties, which a bulk import would leave behind: drop them (DROP INDEX), import, then create them again (creation fills them), or load through write transactions",
            ));
        }
        // Nor are its records checked against existence constraints.
        if let Some(c) = crate::GraphRead::existence_constraints(&txn)?.first() {
            return Err(Error::invalid(format!(
                "this database has existence constraints ({} on {}({}) among them), which a bulk import does not check: drop them (DROP CONSTRAINT), import, then create them again (creation checks the data), or load through write transactions",
                c.name, c.owner, c.key
            )));
        }
        txn.create_unique_key(key_label, key_prop)?;
        let key_label_id = txn.intern(Kind::Label, key_label)?;
        let key_prop_id = txn.intern(Kind::PropKey, key_prop)?;
        let check_existing =
            has_prefix(db, Cf::Unique, &keys::label_key(key_label_id, key_prop_id))?;
        let empty_before = !has_prefix(db, Cf::Nodes, &[])? && !has_prefix(db, Cf::Edges, &[])?;
        let staging = db.path().join(STAGING_DIR);
        files::remove_dir_all(&staging)?;
        files::create_dir_all(&staging)?;
        let (c, schema) = txn.graph_part(|_, g| Ok((g.counters, g.schema.clone())))?;
        let recorded = txn.graph_info()?;
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
            empty_before,
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
            counters: c,
            info: None,
            recorded,
            created: Vec::new(),
            type_ids: FxHashMap::default(),
            weight_key: None,
            tally: Tally::default(),
            new_sets: Vec::new(),
            one_set: None,
            old_sets: FxHashMap::default(),
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
        let id = NodeId(read_u64(&v, 0)?);
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
    ) -> Result<std::result::Result<NodeId, RowError>> {
        if self.lookup(key)?.is_some() {
            return Ok(Err(RowError::new(format!(
                "a node with key {key} exists already"
            ))));
        }
        let mut label_ids = vec![self.key_label];
        for l in labels {
            match self.txn.intern(Kind::Label, l) {
                Ok(id) => label_ids.push(id),
                Err(e) => return Ok(Err(e.into())),
            }
        }
        label_ids.sort_unstable();
        label_ids.dedup();
        let mut props = if props.is_empty() {
            Vec::with_capacity(1)
        } else {
            match self.txn.props(props) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e.into())),
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
        let id = NodeId(self.counters.next_node);
        // Other unique keys (the key label's own are in the key maps):
        // refuse a value taken in the database or earlier in this load
        // before writing anything.
        let key_pair = (self.key_label, self.key_prop);
        let mut mine = Vec::new();
        for entry in node_entries(&self.schema, &rec) {
            let NodeEntry::Unique { label, key, value } = entry else {
                continue;
            };
            if (label, key) == key_pair {
                continue;
            }
            let at = entry.key(id);
            let existing = if let Some(e) = self.other_existing.get(&(label, key)) {
                *e
            } else {
                let e = has_prefix(self.db, Cf::Unique, &keys::label_key(label, key))?;
                self.other_existing.insert((label, key), e);
                e
            };
            if self.other_unique.contains(&at)
                || mine.contains(&at)
                || (existing && self.db.store().get(Cf::Unique, &at)?.is_some())
            {
                return Ok(Err(RowError::new(format!(
                    "unique key value {value} is taken already"
                ))));
            }
            mine.push(at);
        }
        for at in &mine {
            self.unique.push((at.clone(), id));
            self.tally.distinct(read_u32(at, 0)?, read_u32(at, 4)?, 1);
        }
        // The import's own key: every new node holds a value no other has.
        self.tally.distinct(self.key_label, self.key_prop, 1);
        self.other_unique.extend(mine);
        for entry in node_entries(&self.schema, &rec) {
            match entry {
                NodeEntry::Label(l) => {
                    self.labels.push(keys::label(l, id));
                    self.label_ids.insert(l);
                }
                NodeEntry::Index { .. } => self.index.push(entry.key(id)),
                NodeEntry::Unique { .. } => {}
            }
        }
        self.put_node(id, &rec)?;
        self.remember(key, id);
        Ok(Ok(id))
    }

    fn put_node(&mut self, id: NodeId, rec: &NodeRecord) -> Result<()> {
        debug_assert_eq!(id.0, self.first.0 + self.node_ends.len() as u64);
        let set = self.tally.node(&rec.labels);
        if self.new_sets.is_empty() {
            self.one_set = Some(set);
        } else if self.one_set != Some(set) {
            self.one_set = None;
        }
        self.new_sets.push(set);
        codec::encode_append(rec, &mut self.node_records)?;
        self.node_ends.push(self.node_records.len());
        self.counters.next_node += 1;
        self.counters.node_count += 1;
        Ok(())
    }

    /// The node for `key`, created with only the key label when missing
    /// and `create` is set.
    pub(crate) fn resolve(
        &mut self,
        key: &Key,
        create: bool,
    ) -> Result<std::result::Result<NodeId, RowError>> {
        if let Some(id) = self.lookup(key)? {
            return Ok(Ok(id));
        }
        if !create {
            return Ok(Err(RowError::new(format!("no node has key {key}"))));
        }
        self.add_node(key, &[], Props::new())
    }

    /// The id of edge type `name`.
    pub(crate) fn edge_type(&mut self, name: &str) -> std::result::Result<u32, RowError> {
        if let Some(id) = self.type_ids.get(name) {
            return Ok(*id);
        }
        let id = self.txn.intern(Kind::EdgeType, name)?;
        self.type_ids.insert(name.to_owned(), id);
        Ok(id)
    }

    /// Adds an edge between existing (or created) nodes.
    pub(crate) fn add_edge(
        &mut self,
        src: NodeId,
        dst: NodeId,
        edge_type: u32,
        weight: Option<f64>,
        props: Props,
    ) -> Result<std::result::Result<(), RowError>> {
        let mut props = if props.is_empty() {
            Vec::new()
        } else {
            match self.txn.props(props) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e.into())),
            }
        };
        if let Some(w) = weight {
            if w.is_nan() {
                return Ok(Err(RowError::new("the weight is NaN")));
            }
            let k = if let Some(k) = self.weight_key {
                k
            } else {
                let k = self.txn.intern(Kind::PropKey, "weight")?;
                self.weight_key = Some(k);
                k
            };
            match props.binary_search_by_key(&k, |(p, _)| *p) {
                Ok(i) => props[i].1 = Value::Float(w),
                Err(i) => props.insert(i, (k, Value::Float(w))),
            }
        }
        let (from, to) = (self.label_set(src)?, self.label_set(dst)?);
        self.tally.edge(from, edge_type, to);
        let edge = self.counters.next_edge;
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
        self.counters.next_edge += 1;
        self.counters.edge_count += 1;
        if self.chunk.len() >= CHUNK {
            self.send_chunk()?;
        }
        Ok(Ok(()))
    }

    /// Adds to the tally the values this load's index entries (sorted by
    /// now) bring to each indexed pair that is not also unique (its unique
    /// entries count it): every distinct value for a pair the database had
    /// no entry of, else each value it had none of.
    fn count_index_values(&mut self) -> Result<()> {
        let mut had: FxHashMap<(u32, u32), bool> = FxHashMap::default();
        let mut new: FxHashMap<(u32, u32), u64> = FxHashMap::default();
        let mut last: Option<&[u8]> = None;
        for k in &self.index {
            let value = &k[..k.len().saturating_sub(8)];
            if last == Some(value) {
                continue;
            }
            last = Some(value);
            let pair = (read_u32(k, 0)?, read_u32(k, 4)?);
            if self.schema.unique.contains(&pair) {
                continue;
            }
            let pair_had = if let Some(&h) = had.get(&pair) {
                h
            } else {
                let h = has_prefix(self.db, Cf::Index, &k[..8])?;
                had.insert(pair, h);
                h
            };
            if !pair_had || !has_prefix(self.db, Cf::Index, value)? {
                *new.entry(pair).or_default() += 1;
            }
        }
        for ((l, k), n) in new {
            self.tally.distinct(l, k, n);
        }
        Ok(())
    }

    /// The number (in `tally`) of node `id`'s label set: a new node's from
    /// this load, an older one's read once from the database.
    fn label_set(&mut self, id: NodeId) -> Result<u32> {
        if let Some(i) = id.0.checked_sub(self.first.0)
            && let Ok(i) = usize::try_from(i)
            && i < self.new_sets.len()
        {
            return Ok(self.one_set.unwrap_or(self.new_sets[i]));
        }
        if let Some(&set) = self.old_sets.get(&id.0) {
            return Ok(set);
        }
        let labels = write_reader(&self.txn).require_node(id)?.labels;
        let set = self.tally.set(&labels);
        self.old_sets.insert(id.0, set);
        Ok(set)
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
                    w.put(&(first_node + i as u64).to_be_bytes(), &records[start..end])?;
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
                    w.put(k, &node.0.to_be_bytes())?;
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
                    crate::storage::keys::push_value(&mut key, &v);
                    w.put(&key, &node.to_be_bytes())?;
                }
                for (k, node) in others {
                    w.put(k, &node.0.to_be_bytes())?;
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
                    .unwrap_or_else(|_| Err(Error::storage_msg("a file writer panicked")))
            };
            vec![join(nodes), join(labels), join(unique), index]
        });
        let mut files = Vec::new();
        for f in node_side {
            files.extend(f?);
        }
        let c = self.counters;
        let gather = self
            .empty_before
            .then(|| usize::try_from(c.next_node - self.first.0).ok())
            .flatten()
            .map(|nodes| runs::Gather::new(self.first.0, nodes));
        let (merged, gathered) = runs::merge_all(&dir, self.files.join_workers()?, gather)?;
        files.extend(merged);

        let loaded = Loaded {
            nodes: c.next_node - self.first.0,
            edges: c.next_edge - self.first.1,
        };
        let nodes = (self.first.0, c.next_node);
        let edges = (self.first.1, c.next_edge);
        // What to remove if the process dies before the commit: every
        // entry this load could have written, by the ids it allocated.
        let id = |v: u64| v.to_be_bytes();
        let mut undo = vec![
            Undo::range(Cf::Nodes, id(nodes.0), id(nodes.1)),
            Undo::range(Cf::Edges, id(edges.0), id(edges.1)),
        ];
        // Adjacency entries: their nodes may be older, so select by edge.
        for cf in [Cf::Out, Cf::In] {
            undo.push(Undo::select(
                cf,
                [],
                IdAt::Key(keys::ADJ_EDGE_AT as u32),
                edges,
            ));
        }
        let mut labels: Vec<u32> = self.label_ids.iter().copied().collect();
        labels.sort_unstable();
        for l in labels {
            let at = |n: u64| keys::label(l, NodeId(n));
            undo.push(Undo::range(Cf::Labels, at(nodes.0), at(nodes.1)));
        }
        for &(l, k) in &self.schema.unique {
            undo.push(Undo::select(
                Cf::Unique,
                keys::label_key(l, k),
                IdAt::Value(0),
                nodes,
            ));
        }
        for &(l, k) in &self.schema.indexed {
            undo.push(Undo::select(
                Cf::Index,
                keys::label_key(l, k),
                IdAt::KeyEnd,
                nodes,
            ));
        }
        if self.weight_key.is_some() {
            // Edges got the `weight` property: the graph is weighted by it.
            self.record(|info| {
                info.weight.get_or_insert_with(|| "weight".to_owned());
            });
        }
        self.count_index_values()?;
        let mut txn = self.txn;
        let tally = &self.tally;
        txn.graph_part(|_, g| {
            g.counters = c;
            tally.add_to(&mut g.stats);
            Ok(())
        })?;
        if let Some(info) = &self.info {
            txn.set_graph_info(info)?;
        }
        let undirected = self.info.as_ref().unwrap_or(&self.recorded).undirected;
        let result = txn.commit_ingest(&files, undo);
        drop(self.files);
        let sequence = result?;
        if let Some((offsets, targets)) = gathered {
            let db = self.db;
            (db.links().adjacency_loaded)(
                db,
                LoadedAdjacency {
                    sequence,
                    first_id: self.first.0,
                    offsets,
                    targets,
                    undirected,
                },
            );
        }
        Ok(loaded)
    }

    /// Changes what is recorded about the graph as a whole (starting from
    /// what the database holds), with the commit.
    pub(crate) fn record(&mut self, change: impl FnOnce(&mut GraphInfo)) {
        let info = self.info.get_or_insert_with(|| self.recorded.clone());
        change(info);
    }
}

/// Whether column family `cf` has any key starting with `prefix`.
fn has_prefix(db: &Database, cf: Cf, prefix: &[u8]) -> Result<bool> {
    db.store().any(cf, prefix)
}
