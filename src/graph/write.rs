//! Write transactions.

use std::collections::BTreeSet;

use parking_lot::MutexGuard;

use super::dict::{Kind, entry_key};
use super::read::{Reader, read_counter};
use super::records::{EdgeRecord, NodeRecord, Schema};
use crate::db::{Counters, Database, Durability};
use crate::error::{Error, Result};
use crate::storage::schema::meta;
use crate::storage::{Cf, Changes, Overlay, codec, keys};
use crate::{EdgeId, NodeId, Props, Value};

/// A write transaction: changes are buffered, visible to this transaction's
/// own reads (through [`GraphRead`](crate::GraphRead)), and written
/// atomically by [`commit`](WriteTxn::commit). Dropping the transaction, or
/// [`abort`](WriteTxn::abort), discards them.
///
/// Only one write transaction exists at a time per database; `begin_write`
/// waits for the current one to finish. Read transactions are never
/// blocked. Every operation is all-or-nothing within the transaction: when
/// one returns an error, the transaction is as it was before the call and
/// may still be committed.
pub struct WriteTxn<'db> {
    pub(crate) db: &'db Database,
    committed: MutexGuard<'db, Counters>,
    counters: Counters,
    schema: Schema,
    pub(crate) changes: Changes,
    /// Index changes to apply once the commit is durable.
    pub(crate) vector_ops: Vec<crate::vector::VectorOp>,
    /// The id counters as stored on disk at begin.
    persisted_next: (u64, u64),
    /// Dictionary sizes at begin: names interned past these belong to this
    /// transaction and are removed again if it does not commit.
    dict_marks: [usize; 3],
    durability: Durability,
    finished: bool,
}

/// Index entries derived from one node record.
#[derive(Default)]
struct Entries {
    labels: BTreeSet<[u8; 12]>,
    unique: Vec<(Vec<u8>, (u32, u32), Value)>,
    index: BTreeSet<Vec<u8>>,
}

fn entries(schema: &Schema, id: NodeId, rec: &NodeRecord) -> Entries {
    let mut e = Entries::default();
    for &l in &rec.labels {
        e.labels.insert(keys::label(l, id));
    }
    for &(l, k) in &schema.unique {
        if let (true, Some(v)) = (rec.has_label(l), rec.prop(k)) {
            e.unique
                .push((keys::label_key_value(l, k, v), (l, k), v.clone()));
        }
    }
    for &(l, k) in &schema.indexed {
        if let (true, Some(v)) = (rec.has_label(l), rec.prop(k)) {
            e.index.insert(keys::index_entry(l, k, v, id));
        }
    }
    e
}

const KINDS: [Kind; 3] = [Kind::Label, Kind::EdgeType, Kind::PropKey];

impl<'db> WriteTxn<'db> {
    pub(crate) fn begin(db: &'db Database, committed: MutexGuard<'db, Counters>) -> Result<Self> {
        let (schema, persisted_next) = db.reader_with(db.store(), |r| {
            Ok((
                r.schema()?,
                (
                    read_counter(r.kv, meta::NEXT_NODE)?,
                    read_counter(r.kv, meta::NEXT_EDGE)?,
                ),
            ))
        })?;
        let dict = db.dict().read();
        let dict_marks = KINDS.map(|k| dict.len(k));
        drop(dict);
        Ok(WriteTxn {
            db,
            counters: *committed,
            committed,
            schema,
            persisted_next,
            changes: Changes::default(),
            vector_ops: Vec::new(),
            dict_marks,
            durability: db.durability(),
            finished: false,
        })
    }

    /// Runs `f` on this transaction's view: the database plus its changes.
    pub(crate) fn with_view<T>(&self, f: impl FnOnce(&Reader<'_>) -> Result<T>) -> Result<T> {
        let view = Overlay {
            base: self.db.store(),
            changes: &self.changes,
        };
        self.db.reader_with(&view, f)
    }

    /// Sets how this transaction's commit is made durable (the database's
    /// default otherwise).
    pub fn set_durability(&mut self, durability: Durability) {
        self.durability = durability;
    }

    /// Writes every change atomically. After an error nothing was written.
    /// A transaction that changed nothing writes nothing (unless ids were
    /// handed out by aborted transactions since the last commit: the id
    /// counters are then persisted, so those ids are never reused).
    pub fn commit(mut self) -> Result<()> {
        let next = (self.counters.next_node, self.counters.next_edge);
        if !self.changes.is_empty() || next != self.persisted_next {
            self.save_counters();
            let sync = self.durability == Durability::Immediate;
            self.db
                .write_commit(|| self.db.store().write(&self.changes, sync))?;
            *self.committed = self.counters;
            self.db
                .apply_vector_ops(std::mem::take(&mut self.vector_ops));
        }
        self.finished = true;
        Ok(())
    }

    /// Discards every change (the same as dropping the transaction).
    pub fn abort(self) {}

    // ----- hooks for the bulk importer -----------------------------------

    /// The id counters, which the bulk loader advances as it hands out ids.
    pub(crate) fn counters_mut(&mut self) -> &mut Counters {
        &mut self.counters
    }

    /// The declared unique keys and indexes, as of this transaction.
    pub(crate) fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Interns a name (a pending dictionary entry until commit).
    pub(crate) fn name_id(&mut self, kind: Kind, name: &str) -> Result<u32> {
        self.intern(kind, name)
    }

    /// Interns and validates properties, sorted by key id.
    pub(crate) fn prop_ids(&mut self, props: Props) -> Result<Vec<(u32, Value)>> {
        self.props(props)
    }

    /// Commits like [`commit`](Self::commit), with `ingest` (which moves
    /// the bulk loader's files in) run first inside the same commit
    /// generation, and the `import_pending` marker removed by the commit
    /// batch. The batch is always synced.
    pub(crate) fn commit_bulk(mut self, ingest: impl FnOnce() -> Result<()>) -> Result<()> {
        self.save_counters();
        self.changes.delete(Cf::Meta, meta::IMPORT_PENDING);
        self.db.write_commit(|| {
            ingest()?;
            self.db.store().write(&self.changes, true)
        })?;
        *self.committed = self.counters;
        self.finished = true;
        Ok(())
    }

    // ----- nodes -------------------------------------------------------

    /// Creates a node with `labels` and `props`; returns its id.
    ///
    /// Fails with [`Error::UniqueViolation`] when a declared unique key of
    /// one of its labels is already taken.
    pub fn add_node(&mut self, labels: &[&str], props: Props) -> Result<NodeId> {
        let rec = self.node_record(labels, props)?;
        let id = NodeId(self.counters.next_node);
        self.write_node(id, None, Some(&rec))?;
        self.counters.next_node += 1;
        self.counters.node_count += 1;
        self.save_counters();
        Ok(id)
    }

    /// Replaces the labels and properties of node `id`.
    pub fn replace_node(&mut self, id: NodeId, labels: &[&str], props: Props) -> Result<()> {
        let old = self.require_node(id)?;
        let new = self.node_record(labels, props)?;
        self.write_node(id, Some(&old), Some(&new))
    }

    /// Sets one property of node `id`; returns the value it replaced.
    pub fn set_node_property(
        &mut self,
        id: NodeId,
        key: &str,
        value: impl Into<Value>,
    ) -> Result<Option<Value>> {
        let value = value.into();
        value.validate(key)?;
        let old = self.require_node(id)?;
        let k = self.intern(Kind::PropKey, key)?;
        let mut new = old.clone();
        let previous = set_prop(&mut new.props, k, value);
        self.write_node(id, Some(&old), Some(&new))?;
        Ok(previous)
    }

    /// Removes one property of node `id`; returns its value, if it had one.
    pub fn remove_node_property(&mut self, id: NodeId, key: &str) -> Result<Option<Value>> {
        let old = self.require_node(id)?;
        let Some(k) = self.db.dict().read().id(Kind::PropKey, key) else {
            return Ok(None);
        };
        let mut new = old.clone();
        let previous = remove_prop(&mut new.props, k);
        if previous.is_some() {
            self.write_node(id, Some(&old), Some(&new))?;
        }
        Ok(previous)
    }

    /// Adds a label to node `id`; returns whether it was new.
    pub fn add_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        let old = self.require_node(id)?;
        let l = self.intern(Kind::Label, label)?;
        let mut new = old.clone();
        let Err(at) = new.labels.binary_search(&l) else {
            return Ok(false);
        };
        new.labels.insert(at, l);
        self.write_node(id, Some(&old), Some(&new))?;
        Ok(true)
    }

    /// Removes a label from node `id`; returns whether it had it.
    pub fn remove_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        let old = self.require_node(id)?;
        let Some(l) = self.db.dict().read().id(Kind::Label, label) else {
            return Ok(false);
        };
        let mut new = old.clone();
        let Ok(at) = new.labels.binary_search(&l) else {
            return Ok(false);
        };
        new.labels.remove(at);
        self.write_node(id, Some(&old), Some(&new))?;
        Ok(true)
    }

    /// Deletes node `id`, which must have no edges
    /// ([`Error::NodeHasEdges`] otherwise; see
    /// [`detach_delete_node`](Self::detach_delete_node)).
    pub fn delete_node(&mut self, id: NodeId) -> Result<()> {
        let old = self.require_node(id)?;
        let edges = self.with_view(|r| r.incident_edges(id))?.len();
        if edges > 0 {
            return Err(Error::NodeHasEdges { node: id, edges });
        }
        self.delete_node_points(id)?;
        self.write_node(id, Some(&old), None)?;
        self.counters.node_count -= 1;
        self.save_counters();
        Ok(())
    }

    /// Deletes node `id` and every edge incident to it; returns how many
    /// edges were deleted.
    pub fn detach_delete_node(&mut self, id: NodeId) -> Result<usize> {
        let old = self.require_node(id)?;
        let edges = self.with_view(|r| r.incident_edges(id))?;
        for &e in &edges {
            self.delete_edge(e)?;
        }
        self.delete_node_points(id)?;
        self.write_node(id, Some(&old), None)?;
        self.counters.node_count -= 1;
        self.save_counters();
        Ok(edges.len())
    }

    // ----- edges -------------------------------------------------------

    /// Creates an edge of type `edge_type` from `source` to `target`; both
    /// nodes must exist. Parallel edges and self-loops are allowed.
    pub fn add_edge(
        &mut self,
        source: NodeId,
        target: NodeId,
        edge_type: &str,
        props: Props,
    ) -> Result<EdgeId> {
        for node in [source, target] {
            if !self.with_view(|r| r.contains_node(node))? {
                return Err(Error::NodeNotFound(node));
            }
        }
        let props = self.props(props)?;
        let rec = EdgeRecord {
            src: source,
            dst: target,
            edge_type: self.intern(Kind::EdgeType, edge_type)?,
            props,
        };
        let id = EdgeId(self.counters.next_edge);
        self.write_edge(id, None, Some(&rec))?;
        self.counters.next_edge += 1;
        self.counters.edge_count += 1;
        self.save_counters();
        Ok(id)
    }

    /// Sets one property of edge `id`; returns the value it replaced.
    pub fn set_edge_property(
        &mut self,
        id: EdgeId,
        key: &str,
        value: impl Into<Value>,
    ) -> Result<Option<Value>> {
        let value = value.into();
        value.validate(key)?;
        let old = self.with_view(|r| r.require_edge(id))?;
        let k = self.intern(Kind::PropKey, key)?;
        let mut new = old.clone();
        let previous = set_prop(&mut new.props, k, value);
        self.write_edge(id, Some(&old), Some(&new))?;
        Ok(previous)
    }

    /// Removes one property of edge `id`; returns its value, if it had one.
    pub fn remove_edge_property(&mut self, id: EdgeId, key: &str) -> Result<Option<Value>> {
        let old = self.with_view(|r| r.require_edge(id))?;
        let Some(k) = self.db.dict().read().id(Kind::PropKey, key) else {
            return Ok(None);
        };
        let mut new = old.clone();
        let previous = remove_prop(&mut new.props, k);
        if previous.is_some() {
            self.write_edge(id, Some(&old), Some(&new))?;
        }
        Ok(previous)
    }

    /// Deletes edge `id`.
    pub fn delete_edge(&mut self, id: EdgeId) -> Result<()> {
        let old = self.with_view(|r| r.require_edge(id))?;
        self.write_edge(id, Some(&old), None)?;
        self.counters.edge_count -= 1;
        self.save_counters();
        Ok(())
    }

    // ----- schema ------------------------------------------------------

    /// Declares `(label, key)` a unique key: no two nodes with `label` may
    /// hold the same value of `key` (nodes without the property are not
    /// constrained). Existing nodes are indexed now; fails with
    /// [`Error::UniqueViolation`] if two of them already share a value.
    /// Enables [`GraphRead::node_by_key`](crate::GraphRead::node_by_key).
    pub fn create_unique_key(&mut self, label: &str, key: &str) -> Result<()> {
        let pair = (
            self.intern(Kind::Label, label)?,
            self.intern(Kind::PropKey, key)?,
        );
        if self.schema.unique.contains(&pair) {
            return Ok(());
        }
        let mut schema = self.schema.clone();
        schema.indexed.retain(|p| *p != pair);
        schema.unique.push(pair);
        self.rebuild_entries(pair, schema)
    }

    /// Declares an equality index on `(label, key)`, indexing existing
    /// nodes now. Enables
    /// [`GraphRead::nodes_by_property`](crate::GraphRead::nodes_by_property).
    /// A unique key already serves as an index; declaring both is a no-op.
    pub fn create_index(&mut self, label: &str, key: &str) -> Result<()> {
        let pair = (
            self.intern(Kind::Label, label)?,
            self.intern(Kind::PropKey, key)?,
        );
        if self.schema.unique.contains(&pair) || self.schema.indexed.contains(&pair) {
            return Ok(());
        }
        let mut schema = self.schema.clone();
        schema.indexed.push(pair);
        self.rebuild_entries(pair, schema)
    }

    /// Drops the unique key or index on `(label, key)`; returns whether
    /// there was one.
    pub fn drop_index(&mut self, label: &str, key: &str) -> Result<bool> {
        let dict = self.db.dict().read();
        let (Some(l), Some(k)) = (dict.id(Kind::Label, label), dict.id(Kind::PropKey, key)) else {
            return Ok(false);
        };
        drop(dict);
        let mut schema = self.schema.clone();
        let before = schema.unique.len() + schema.indexed.len();
        schema.unique.retain(|p| *p != (l, k));
        schema.indexed.retain(|p| *p != (l, k));
        if schema.unique.len() + schema.indexed.len() == before {
            return Ok(false);
        }
        self.rebuild_entries((l, k), schema)?;
        Ok(true)
    }

    // ----- internals ---------------------------------------------------

    /// Switches to `schema`, rewriting the unique/index entries of `pair`
    /// for every node carrying its label. All-or-nothing: on a uniqueness
    /// conflict nothing changes.
    fn rebuild_entries(&mut self, pair: (u32, u32), schema: Schema) -> Result<()> {
        let (l, k) = pair;
        let prefix = keys::label_key(l, k);
        let (stale, nodes) = self.with_view(|r| {
            let mut stale = Vec::new();
            for cf in [Cf::Unique, Cf::Index] {
                r.kv.scan(cf, &prefix, &mut |key, _| {
                    stale.push((cf, key.to_vec()));
                    Ok(true)
                })?;
            }
            let mut nodes = Vec::new();
            r.kv.scan(Cf::Labels, &l.to_be_bytes(), &mut |key, _| {
                let id = NodeId(keys::read_u64(key, 4)?);
                nodes.push((id, r.require_node(id)?));
                Ok(true)
            })?;
            Ok((stale, nodes))
        })?;
        let mut fresh = Changes::default();
        let mut taken = std::collections::HashMap::new();
        for (id, rec) in &nodes {
            let Some(v) = rec.prop(k) else { continue };
            if schema.unique.contains(&pair) {
                let key = keys::label_key_value(l, k, v);
                if let Some(&existing) = taken.get(&key) {
                    return Err(self.violation(pair, v, existing));
                }
                taken.insert(key.clone(), *id);
                fresh.put(Cf::Unique, key, keys::id(id.0));
            } else if schema.indexed.contains(&pair) {
                fresh.put(Cf::Index, keys::index_entry(l, k, v, *id), []);
            }
        }
        for (cf, key) in stale {
            self.changes.delete(cf, key);
        }
        for (cf, key, value) in fresh.iter() {
            self.changes.put(cf, key, value.unwrap_or_default());
        }
        self.schema = schema;
        let encoded = codec::encode(&self.schema)?;
        self.changes.put(Cf::Meta, meta::SCHEMA, encoded);
        Ok(())
    }

    fn violation(&self, (l, k): (u32, u32), value: &Value, existing: NodeId) -> Error {
        let dict = self.db.dict().read();
        Error::UniqueViolation {
            label: dict.name(Kind::Label, l).unwrap_or("?").to_owned(),
            key: dict.name(Kind::PropKey, k).unwrap_or("?").to_owned(),
            value: value.to_string(),
            existing,
        }
    }

    pub(crate) fn require_node(&self, id: NodeId) -> Result<NodeRecord> {
        self.with_view(|r| r.require_node(id))
    }

    fn intern(&mut self, kind: Kind, name: &str) -> Result<u32> {
        if name.is_empty() {
            return Err(Error::invalid(match kind {
                Kind::Label => "a label must not be empty",
                Kind::EdgeType => "an edge type must not be empty",
                Kind::PropKey => "a property key must not be empty",
            }));
        }
        if let Some(id) = self.db.dict().read().id(kind, name) {
            return Ok(id);
        }
        let id = self.db.dict().write().insert(kind, name.to_owned());
        self.changes
            .put(Cf::Dict, entry_key(kind, name), id.to_be_bytes());
        Ok(id)
    }

    fn props(&mut self, props: Props) -> Result<Vec<(u32, Value)>> {
        for (k, v) in &props {
            v.validate(k)?;
        }
        let mut out = props
            .into_iter()
            .map(|(k, v)| Ok((self.intern(Kind::PropKey, &k)?, v)))
            .collect::<Result<Vec<_>>>()?;
        out.sort_unstable_by_key(|(k, _)| *k);
        Ok(out)
    }

    fn node_record(&mut self, labels: &[&str], props: Props) -> Result<NodeRecord> {
        let props = self.props(props)?;
        let mut labels = labels
            .iter()
            .map(|l| self.intern(Kind::Label, l))
            .collect::<Result<Vec<_>>>()?;
        labels.sort_unstable();
        labels.dedup();
        Ok(NodeRecord { labels, props })
    }

    /// Replaces the stored state of node `id` (`None` = absent) and its
    /// label, unique-key and index entries. Checks uniqueness before
    /// changing anything.
    fn write_node(
        &mut self,
        id: NodeId,
        old: Option<&NodeRecord>,
        new: Option<&NodeRecord>,
    ) -> Result<()> {
        let old_e = old
            .map(|r| entries(&self.schema, id, r))
            .unwrap_or_default();
        let new_e = new
            .map(|r| entries(&self.schema, id, r))
            .unwrap_or_default();
        let old_unique: BTreeSet<&[u8]> = old_e.unique.iter().map(|u| u.0.as_slice()).collect();
        for (key, pair, value) in &new_e.unique {
            if old_unique.contains(key.as_slice()) {
                continue;
            }
            let holder = self.with_view(|r| r.kv.get(Cf::Unique, key))?;
            if let Some(holder) = holder {
                let existing = NodeId(keys::read_u64(&holder, 0)?);
                if existing != id {
                    return Err(self.violation(*pair, value, existing));
                }
            }
        }
        let encoded = new.map(codec::encode).transpose()?;

        for key in old_e.labels.difference(&new_e.labels) {
            self.changes.delete(Cf::Labels, *key);
        }
        for key in new_e.labels.difference(&old_e.labels) {
            self.changes.put(Cf::Labels, *key, []);
        }
        let new_unique: BTreeSet<&[u8]> = new_e.unique.iter().map(|u| u.0.as_slice()).collect();
        for key in old_unique.difference(&new_unique) {
            self.changes.delete(Cf::Unique, *key);
        }
        for key in new_unique.difference(&old_unique) {
            self.changes.put(Cf::Unique, *key, keys::id(id.0));
        }
        for key in old_e.index.difference(&new_e.index) {
            self.changes.delete(Cf::Index, key.clone());
        }
        for key in new_e.index.difference(&old_e.index) {
            self.changes.put(Cf::Index, key.clone(), []);
        }
        match encoded {
            Some(bytes) => self.changes.put(Cf::Nodes, keys::id(id.0), bytes),
            None => self.changes.delete(Cf::Nodes, keys::id(id.0)),
        }
        Ok(())
    }

    /// Replaces the stored state of edge `id` and its two adjacency entries.
    fn write_edge(
        &mut self,
        id: EdgeId,
        old: Option<&EdgeRecord>,
        new: Option<&EdgeRecord>,
    ) -> Result<()> {
        let encoded = new
            .map(|r| Ok::<_, Error>((codec::encode(r)?, keys::numeric_props(&r.numeric_props()))))
            .transpose()?;
        if let Some(o) = old {
            self.changes
                .delete(Cf::Out, keys::adj(o.src, o.edge_type, o.dst, id));
            self.changes
                .delete(Cf::In, keys::adj(o.dst, o.edge_type, o.src, id));
        }
        match (new, encoded) {
            (Some(n), Some((record, numeric))) => {
                self.changes.put(
                    Cf::Out,
                    keys::adj(n.src, n.edge_type, n.dst, id),
                    numeric.clone(),
                );
                self.changes
                    .put(Cf::In, keys::adj(n.dst, n.edge_type, n.src, id), numeric);
                self.changes.put(Cf::Edges, keys::id(id.0), record);
            }
            _ => self.changes.delete(Cf::Edges, keys::id(id.0)),
        }
        Ok(())
    }

    fn save_counters(&mut self) {
        let c = self.counters;
        for (key, v) in [
            (meta::NEXT_NODE, c.next_node),
            (meta::NEXT_EDGE, c.next_edge),
            (meta::NODE_COUNT, c.node_count),
            (meta::EDGE_COUNT, c.edge_count),
        ] {
            self.changes.put(Cf::Meta, key, v.to_be_bytes());
        }
    }
}

impl Drop for WriteTxn<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // Ids handed out by this transaction stay used: an application
            // may still hold one, and must never see it name another node.
            // (They reach the disk with the next commit's counters.)
            self.committed.next_node = self.counters.next_node;
            self.committed.next_edge = self.counters.next_edge;
            let mut dict = self.db.dict().write();
            for (kind, len) in KINDS.iter().zip(self.dict_marks) {
                dict.truncate(*kind, len);
            }
        }
    }
}

fn set_prop(props: &mut Vec<(u32, Value)>, key: u32, value: Value) -> Option<Value> {
    match props.binary_search_by_key(&key, |(k, _)| *k) {
        Ok(i) => Some(std::mem::replace(&mut props[i].1, value)),
        Err(i) => {
            props.insert(i, (key, value));
            None
        }
    }
}

fn remove_prop(props: &mut Vec<(u32, Value)>, key: u32) -> Option<Value> {
    props
        .binary_search_by_key(&key, |(k, _)| *k)
        .ok()
        .map(|i| props.remove(i).1)
}
