//! Statistics kept by every commit, in the same batch as the data they
//! count (the `stats` column family): nodes per label, relationships per
//! type and per (source label, type, target label), and distinct values
//! per indexed or unique (label, key). A snapshot reads the counts of its
//! own commit; the cost model and `EXPLAIN` read them instead of
//! sampling.
//!
//! A write transaction gathers [`Deltas`]; its commit adds them to the
//! stored counts (`GraphTxn::finish`); a bulk load, which writes files
//! instead, gathers a [`Tally`] of what it loads and adds it the same
//! way. When the marker is absent — a directory from before format 8, or
//! an import undone at open — [`recount`] counts everything again from
//! the data, written with the marker in one batch. `quiver check`
//! recounts and compares.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use super::dict::{Kind, Names};
use super::keys;
use super::read::Reader;
use super::records::{NodeRecord, Schema};
use crate::error::{Error, Result};
use crate::storage::keys::{read_u32, read_u64};
use crate::storage::schema::STATS_COMPLETE;
use crate::storage::{Cf, Changes, KvRead};

/// The label of a node without labels, in pattern counts.
pub const NO_LABEL: u32 = u32::MAX;

/// The marker key: present (with the statistics' version) once the
/// counts are complete.
const MARKER: &[u8] = STATS_COMPLETE;
const VERSION: u64 = 1;

const LABEL: u8 = b'L';
const TYPE: u8 = b'T';
const PATTERN: u8 = b'P';
const DISTINCT: u8 = b'D';

fn key(tag: u8, ids: &[u32]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + 4 * ids.len());
    k.push(tag);
    for id in ids {
        k.extend_from_slice(&id.to_be_bytes());
    }
    k
}

/// The labels a node counts under in pattern counts: its own, or
/// [`NO_LABEL`].
pub fn pattern_labels(rec: &NodeRecord) -> &[u32] {
    if rec.labels.is_empty() {
        &[NO_LABEL]
    } else {
        &rec.labels
    }
}

/// A write transaction's changes to the counts, applied at commit.
#[derive(Clone, Debug, Default)]
pub struct Deltas(BTreeMap<Vec<u8>, i64>);

impl Deltas {
    fn add(&mut self, key: Vec<u8>, by: i64) {
        let slot = self.0.entry(key).or_default();
        *slot += by;
    }

    /// Nodes with `label`.
    pub fn label(&mut self, label: u32, by: i64) {
        self.add(key(LABEL, &[label]), by);
    }

    /// A relationship of `edge_type` from a node with labels `from` to one
    /// with labels `to` (each as [`pattern_labels`] gives them).
    pub fn edge(&mut self, from: &[u32], edge_type: u32, to: &[u32], by: i64) {
        self.add(key(TYPE, &[edge_type]), by);
        self.pattern(from, edge_type, to, by);
    }

    /// Patterns only (a node's labels changed under its relationships).
    pub fn pattern(&mut self, from: &[u32], edge_type: u32, to: &[u32], by: i64) {
        for &s in from {
            for &d in to {
                self.add(key(PATTERN, &[s, edge_type, d]), by);
            }
        }
    }

    /// Distinct values of `(label, key)`.
    pub fn distinct(&mut self, label: u32, prop: u32, by: i64) {
        self.add(key(DISTINCT, &[label, prop]), by);
    }

    /// Adds the deltas to the counts stored in `base` (the committed
    /// state: the writer is the only one changing it), into `changes`.
    pub fn apply(&self, base: &dyn KvRead, changes: &mut Changes) -> Result<()> {
        for (k, &by) in self.0.iter().filter(|(_, by)| **by != 0) {
            let now = match base.get(Cf::Stats, k)? {
                Some(v) => read_u64(&v, 0)?,
                None => 0,
            };
            let next = now.checked_add_signed(by).ok_or_else(|| {
                Error::corruption(format!(
                    "statistics: count {now} of key {k:?} would move by {by}"
                ))
            })?;
            if next == 0 {
                changes.delete(Cf::Stats, k.clone());
            } else {
                changes.put(Cf::Stats, k.clone(), next.to_be_bytes());
            }
        }
        Ok(())
    }
}

/// Counts gathered by a bulk load, which writes its files without the
/// write path: nodes by their label sets, relationships by the sets of
/// their ends (few distinct sets, so one map entry per kind of edge), and
/// distinct values; added to a transaction's [`Deltas`] at its commit.
#[derive(Debug, Default)]
pub struct Tally {
    sets: Sets,
    labels: HashMap<u32, u64>,
    edges: HashMap<(u32, u32, u32), u64>,
    distinct: HashMap<(u32, u32), u64>,
}

impl Tally {
    /// The number of the label set `labels` (sorted).
    pub fn set(&mut self, labels: &[u32]) -> u32 {
        self.sets.number(labels)
    }

    /// A new node with `labels` (sorted); returns its set's number.
    pub fn node(&mut self, labels: &[u32]) -> u32 {
        for &l in labels {
            *self.labels.entry(l).or_default() += 1;
        }
        self.set(labels)
    }

    /// A new relationship of `edge_type` between nodes of sets `from` and
    /// `to`.
    pub fn edge(&mut self, from: u32, edge_type: u32, to: u32) {
        *self.edges.entry((from, edge_type, to)).or_default() += 1;
    }

    /// `n` values new to `(label, key)`.
    pub fn distinct(&mut self, label: u32, key: u32, n: u64) {
        *self.distinct.entry((label, key)).or_default() += n;
    }

    /// Adds the counts to `deltas`.
    pub fn add_to(&self, deltas: &mut Deltas) {
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        for (&l, &n) in &self.labels {
            deltas.label(l, signed(n));
        }
        for (&(f, t, d), &n) in &self.edges {
            deltas.edge(self.sets.labels(f), t, self.sets.labels(d), signed(n));
        }
        for (&(l, k), &n) in &self.distinct {
            deltas.distinct(l, k, signed(n));
        }
    }
}

/// Label sets by number, each in pattern form ([`pattern_labels`]: the
/// empty set is [`NO_LABEL`]); number 0 is the empty set.
#[derive(Debug)]
struct Sets {
    sets: Vec<Vec<u32>>,
    numbers: HashMap<Vec<u32>, u32>,
}

impl Default for Sets {
    fn default() -> Self {
        Sets {
            sets: vec![vec![NO_LABEL]],
            numbers: HashMap::from_iter([(vec![NO_LABEL], 0)]),
        }
    }
}

impl Sets {
    /// The number of the set `labels` (sorted).
    fn number(&mut self, labels: &[u32]) -> u32 {
        let labels = if labels.is_empty() {
            &[NO_LABEL][..]
        } else {
            labels
        };
        if let Some(&n) = self.numbers.get(labels) {
            return n;
        }
        let n = u32::try_from(self.sets.len()).unwrap_or(u32::MAX);
        self.sets.push(labels.to_vec());
        self.numbers.insert(labels.to_vec(), n);
        n
    }

    /// The labels of set `n`, in pattern form.
    fn labels(&self, n: u32) -> &[u32] {
        &self.sets[n as usize]
    }
}

/// The stored statistics of one snapshot, by interned id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub labels: BTreeMap<u32, u64>,
    pub types: BTreeMap<u32, u64>,
    /// `(source label, type, target label)`, [`NO_LABEL`] for a node
    /// without labels.
    pub patterns: BTreeMap<(u32, u32, u32), u64>,
    /// `(label, key)` of an index or unique key.
    pub distinct: BTreeMap<(u32, u32), u64>,
}

/// Point reads of the counts in one view, once they are known complete.
#[derive(Clone, Copy)]
pub struct Kept<'a> {
    kv: &'a dyn KvRead,
}

impl<'a> Kept<'a> {
    /// The counts of `kv`, or `None` while they are incomplete.
    pub fn of(kv: &'a dyn KvRead) -> Result<Option<Kept<'a>>> {
        Ok(present(kv)?.then_some(Kept { kv }))
    }

    fn get(&self, key: &[u8]) -> Result<u64> {
        match self.kv.get(Cf::Stats, key)? {
            Some(v) => read_u64(&v, 0),
            None => Ok(0),
        }
    }

    /// Nodes with `label`.
    pub fn label(&self, label: u32) -> Result<u64> {
        self.get(&key(LABEL, &[label]))
    }

    /// Nodes with the label called `label` (0 for a name no node has).
    pub fn label_named(&self, names: &dyn Names, label: &str) -> Result<u64> {
        match names.id(Kind::Label, label) {
            Some(id) => self.label(id),
            None => Ok(0),
        }
    }

    /// Distinct values of `key` among nodes with `label`, for an indexed
    /// or unique `(label, key)`; 0 for another pair (none are counted).
    pub fn distinct(&self, label: u32, key: u32) -> Result<u64> {
        self.get(&self::key(DISTINCT, &[label, key]))
    }

    /// Relationships of `edge_type`.
    pub fn edge_type(&self, edge_type: u32) -> Result<u64> {
        self.get(&key(TYPE, &[edge_type]))
    }

    /// Relationships from a node with label `from` to one with label `to`
    /// (`None`: any node) of one of `types` (`None`: any type). Exact with
    /// both labels given, or neither (then from the type counts); with one
    /// end open, a node of that end with several labels counts once per
    /// label.
    pub fn relationships(
        &self,
        from: Option<u32>,
        types: Option<&[u32]>,
        to: Option<u32>,
    ) -> Result<u64> {
        if from.is_none() && to.is_none() {
            let mut n = 0;
            match types {
                Some(types) => {
                    for &t in types {
                        n += self.edge_type(t)?;
                    }
                }
                None => self.kv.scan(Cf::Stats, &[TYPE], &mut |_, v| {
                    n += read_u64(v, 0)?;
                    Ok(true)
                })?,
            }
            return Ok(n);
        }
        let prefix = match from {
            Some(s) => key(PATTERN, &[s]),
            None => vec![PATTERN],
        };
        let mut n = 0;
        self.kv.scan(Cf::Stats, &prefix, &mut |k, v| {
            let (t, d) = (read_u32(k, 5)?, read_u32(k, 9)?);
            if types.is_none_or(|ts| ts.contains(&t)) && to.is_none_or(|l| l == d) {
                n += read_u64(v, 0)?;
            }
            Ok(true)
        })?;
        Ok(n)
    }
}

/// Whether `kv` holds complete statistics.
pub fn present(kv: &dyn KvRead) -> Result<bool> {
    Ok(kv.get(Cf::Stats, MARKER)?.is_some())
}

/// The statistics stored in `kv`, or `None` when they are not complete
/// (see [`recount`]).
pub fn read(kv: &dyn KvRead) -> Result<Option<Counts>> {
    if !present(kv)? {
        return Ok(None);
    }
    let mut c = Counts::default();
    kv.scan(Cf::Stats, &[], &mut |k, v| {
        if k == MARKER {
            return Ok(true);
        }
        let n = read_u64(v, 0)?;
        let id = |i: usize| read_u32(k, 1 + 4 * i);
        match (k.first(), k.len()) {
            (Some(&LABEL), 5) => {
                c.labels.insert(id(0)?, n);
            }
            (Some(&TYPE), 5) => {
                c.types.insert(id(0)?, n);
            }
            (Some(&PATTERN), 13) => {
                c.patterns.insert((id(0)?, id(1)?, id(2)?), n);
            }
            (Some(&DISTINCT), 9) => {
                c.distinct.insert((id(0)?, id(1)?), n);
            }
            _ => {
                return Err(Error::corruption(format!("statistics: unknown key {k:?}")));
            }
        }
        Ok(true)
    })?;
    Ok(Some(c))
}

/// Counts everything in `r`'s data: one pass over the label entries, the
/// `out` adjacency and the index entries of each declared pair.
pub fn recount(r: &Reader<'_>, schema: &Schema) -> Result<Counts> {
    let mut c = Counts::default();
    // Each node's set of labels, as a small number: graphs have few
    // distinct sets, so an edge is counted once per (set, type, set) and
    // the label products are taken at the end.
    let mut sets = LabelSets::default();
    r.kv.scan_bulk(Cf::Labels, &[], None, &mut |k, _| {
        let label = read_u32(k, 0)?;
        *c.labels.entry(label).or_default() += 1;
        sets.add(keys::label_node(k)?.0, label);
        Ok(true)
    })?;
    let mut by_sets: HashMap<(u32, u32, u32), u64> = HashMap::default();
    r.kv.scan_bulk(Cf::Out, &[], None, &mut |k, _| {
        let adj = keys::decode_adj(k)?;
        let key = (sets.of(adj.node.0), adj.edge_type, sets.of(adj.other.0));
        *by_sets.entry(key).or_default() += 1;
        Ok(true)
    })?;
    for ((s, t, d), n) in by_sets {
        *c.types.entry(t).or_default() += n;
        for &from in sets.labels(s) {
            for &to in sets.labels(d) {
                *c.patterns.entry((from, t, to)).or_default() += n;
            }
        }
    }
    for &(l, k) in &schema.unique {
        let mut n = 0;
        r.kv.scan(Cf::Unique, &keys::label_key(l, k), &mut |_, _| {
            n += 1;
            Ok(true)
        })?;
        if n > 0 {
            c.distinct.insert((l, k), n);
        }
    }
    for &(l, k) in &schema.indexed {
        let mut n = 0;
        let mut last: Vec<u8> = Vec::new();
        r.kv.scan(Cf::Index, &keys::label_key(l, k), &mut |key, _| {
            let value = &key[..key.len().saturating_sub(8)];
            if n == 0 || value != last.as_slice() {
                n += 1;
                last.clear();
                last.extend_from_slice(value);
            }
            Ok(true)
        })?;
        if n > 0 {
            // A pair both unique and indexed counts its values once.
            c.distinct.entry((l, k)).or_insert(n);
        }
    }
    Ok(c)
}

/// Nodes' label sets during a recount: each distinct set gets a number
/// (0: no labels), each node the number of its set — in a vector by id
/// while ids stay dense, else in a map.
#[derive(Default)]
struct LabelSets {
    sets: Sets,
    /// `(set, label)` → the set with the label added.
    grown: HashMap<(u32, u32), u32>,
    dense: Vec<u32>,
    sparse: HashMap<u64, u32>,
}

/// Ids up to this many past the dense vector's end grow it; farther ones
/// go to the map.
const DENSE_SLACK: u64 = 1 << 20;

impl LabelSets {
    fn of(&self, node: u64) -> u32 {
        // A node put in the map stays there (the vector may grow past it
        // later).
        if let Some(&set) = self.sparse.get(&node) {
            return set;
        }
        usize::try_from(node)
            .ok()
            .and_then(|i| self.dense.get(i).copied())
            .unwrap_or(0)
    }

    fn labels(&self, set: u32) -> &[u32] {
        self.sets.labels(set)
    }

    fn add(&mut self, node: u64, label: u32) {
        let now = self.of(node);
        let next = if let Some(&n) = self.grown.get(&(now, label)) {
            n
        } else {
            let mut set: Vec<u32> = if now == 0 {
                Vec::new()
            } else {
                self.sets.labels(now).to_vec()
            };
            set.push(label);
            set.sort_unstable();
            let n = self.sets.number(&set);
            self.grown.insert((now, label), n);
            n
        };
        let len = self.dense.len() as u64;
        match usize::try_from(node) {
            _ if self.sparse.contains_key(&node) => {
                self.sparse.insert(node, next);
            }
            Ok(i) if node < len => self.dense[i] = next,
            Ok(i) if node < len + DENSE_SLACK => {
                self.dense.resize(i + 1, 0);
                self.dense[i] = next;
            }
            _ => {
                self.sparse.insert(node, next);
            }
        }
    }
}

/// The changes that replace whatever statistics `kv` holds with `counts`,
/// marker included.
pub fn replace(kv: &dyn KvRead, counts: &Counts, changes: &mut Changes) -> Result<()> {
    kv.scan(Cf::Stats, &[], &mut |k, _| {
        changes.delete(Cf::Stats, k.to_vec());
        Ok(true)
    })?;
    let put = |changes: &mut Changes, k: Vec<u8>, n: u64| {
        changes.put(Cf::Stats, k, n.to_be_bytes());
    };
    for (&l, &n) in &counts.labels {
        put(changes, key(LABEL, &[l]), n);
    }
    for (&t, &n) in &counts.types {
        put(changes, key(TYPE, &[t]), n);
    }
    for (&(s, t, d), &n) in &counts.patterns {
        put(changes, key(PATTERN, &[s, t, d]), n);
    }
    for (&(l, k), &n) in &counts.distinct {
        put(changes, key(DISTINCT, &[l, k]), n);
    }
    changes.put(Cf::Stats, MARKER, VERSION.to_be_bytes());
    Ok(())
}

/// Names for a count's ids, for messages and reports.
pub fn label_name(r: &Reader<'_>, label: u32) -> Result<String> {
    if label == NO_LABEL {
        return Ok(String::new());
    }
    r.names.name(Kind::Label, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_sets_keep_every_label_of_dense_and_far_nodes() {
        let mut sets = LabelSets::default();
        let far = 5 * DENSE_SLACK;
        // Label 1 reaches a far node first; label 2 then walks the ids up
        // past it (and through it) in steps the vector follows.
        for node in [0, 3, far] {
            sets.add(node, 1);
        }
        let mut node = 0;
        while node <= far + 10 {
            sets.add(node, 2);
            node += DENSE_SLACK / 2;
        }
        assert_eq!(sets.labels(sets.of(far)), [1, 2]);
        assert_eq!(sets.labels(sets.of(0)), [1, 2]);
        assert_eq!(sets.labels(sets.of(3)), [1]);
        assert_eq!(sets.labels(sets.of(DENSE_SLACK / 2)), [2]);
        assert_eq!(sets.labels(sets.of(7)), [NO_LABEL]);
    }
}
