//! Graph writes: methods of [`WriteTxn`], with index maintenance.

use std::collections::{BTreeSet, HashMap};

use super::dict::{Kind, entry_key};
use super::entries::{NodeEntry, edge_entries, node_entries};
use super::patch;
use super::records::{
    DeclaredIndex, EdgeRecord, GraphInfoRecord, NodeRecord, RequiredRule, Schema, decode_node,
};
use super::state::{GraphModel, GraphTxn, write_reader};
use super::stats::pattern_labels;
use super::{GraphInfo, keys};
use crate::error::{Error, Result};
use crate::storage::schema::meta;
use crate::storage::{Cf, RunBuilder, codec};
use crate::txn::WriteTxn;
use crate::{Direction, EdgeId, NodeId, Props, Value};

/// The graph's part of the transaction, with the transaction.
type Part = GraphTxn;

/// Nodes whose records `set_node_properties` holds decoded at once on its
/// per-node path.
const RECORD_CHUNK: usize = 1024;

impl WriteTxn<'_> {
    // ----- nodes -------------------------------------------------------

    /// Creates a node with `labels` and `props`; returns its id.
    ///
    /// Fails with [`Error::UniqueViolation`] when a declared unique key of
    /// one of its labels is already taken.
    pub fn add_node(&mut self, labels: &[&str], props: Props) -> Result<NodeId> {
        self.with_part(|txn, g: &mut Part| {
            let rec = txn.node_record(labels, props)?;
            let id = NodeId(g.counters.next_node);
            txn.write_node(&mut *g, id, None, Some(&rec))?;
            g.counters.next_node += 1;
            g.counters.node_count += 1;
            let count = txn.count();
            count.nodes_created += 1;
            count.labels_added += rec.labels.len() as u64;
            count.properties_set += rec.props.len() as u64;
            Ok(id)
        })
    }

    /// Replaces the labels and properties of node `id`.
    pub fn replace_node(&mut self, id: NodeId, labels: &[&str], props: Props) -> Result<()> {
        self.with_part(|txn, g: &mut Part| {
            let old = txn.require_node(id)?;
            let new = txn.node_record(labels, props)?;
            txn.write_node(&mut *g, id, Some(&old), Some(&new))?;
            let count = txn.count();
            let gone = |of: &[(u32, Value)], from: &[(u32, Value)]| {
                of.iter()
                    .filter(|(k, _)| !from.iter().any(|(j, _)| j == k))
                    .count() as u64
            };
            count.properties_set += new.props.len() as u64 + gone(&old.props, &new.props);
            let missing = |of: &[u32], from: &[u32]| {
                of.iter().filter(|l| from.binary_search(l).is_err()).count() as u64
            };
            count.labels_added += missing(&new.labels, &old.labels);
            count.labels_removed += missing(&old.labels, &new.labels);
            Ok(())
        })
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
        self.with_part(|txn, g: &mut Part| {
            let old = txn.require_node(id)?;
            let k = txn.intern(Kind::PropKey, key)?;
            let mut new = old.clone();
            let previous = set_prop(&mut new.props, k, value);
            txn.write_node(&mut *g, id, Some(&old), Some(&new))?;
            txn.count().properties_set += 1;
            Ok(previous)
        })
    }

    /// Removes one property of node `id`; returns its value, if it had one.
    pub fn remove_node_property(&mut self, id: NodeId, key: &str) -> Result<Option<Value>> {
        self.with_part(|txn, g: &mut Part| {
            let old = txn.require_node(id)?;
            let Some(k) = txn.name(Kind::PropKey, key) else {
                return Ok(None);
            };
            let mut new = old.clone();
            let previous = remove_prop(&mut new.props, k);
            if previous.is_some() {
                txn.write_node(&mut *g, id, Some(&old), Some(&new))?;
                txn.count().properties_set += 1;
            }
            Ok(previous)
        })
    }

    /// Sets node properties in bulk: each `(node, key, value)` in order,
    /// as [`set_node_property`](Self::set_node_property) would (or, for a
    /// `None` value, [`remove_node_property`](Self::remove_node_property)),
    /// but each node is read and written once, the reads go in id order
    /// (one range scan where the nodes are dense), and index entries are
    /// only recomputed when a written key is indexed or unique. Returns
    /// how many nodes changed.
    ///
    /// All-or-nothing: on an error (an unknown node, a NaN, a unique key
    /// already taken) the transaction is as it was before the call.
    pub fn set_node_properties<'k>(
        &mut self,
        writes: impl IntoIterator<Item = (NodeId, &'k str, Option<Value>)>,
    ) -> Result<usize> {
        // Validate and intern first: nothing below fails on a value, and
        // the names are pending entries before any savepoint is taken.
        let writes = writes.into_iter();
        let mut keyed: Vec<(NodeId, u32, Option<Value>)> = Vec::with_capacity(writes.size_hint().0);
        let mut written = Written::default();
        for (id, key, value) in writes {
            let k = written.key(self, key, value.as_ref())?;
            keyed.push((id, k, value));
        }
        keyed.sort_by_key(|(id, ..)| *id); // stable: each node's writes stay in order
        let mut ids: Vec<NodeId> = keyed.iter().map(|(id, ..)| *id).collect();
        ids.dedup();
        let assignments = keyed.len() as u64;
        let mut writes = keyed.into_iter().peekable();
        let changed = self.rewrite_nodes(&ids, &written, &mut |id, record| {
            let mut dirty = false;
            while let Some((_, k, value)) = writes.next_if(|(w, ..)| *w == id) {
                dirty |= change(record, k, value);
            }
            dirty
        })?;
        self.count().properties_set += assignments;
        Ok(changed)
    }

    /// Sets the same properties on every node of `ids`: each
    /// `(key, value)` of `props` in order, as
    /// [`set_node_properties`](Self::set_node_properties) would for every
    /// node (a `None` value removes the key), without a write per node and
    /// value. What a `SET` over a whole label runs. Returns how many nodes
    /// changed.
    ///
    /// All-or-nothing: on an error (an unknown node, a NaN, a unique key
    /// already taken) the transaction is as it was before the call.
    pub fn set_properties_of_nodes(
        &mut self,
        ids: &[NodeId],
        props: &[(&str, Option<Value>)],
    ) -> Result<usize> {
        let (written, keyed) = Written::props(self, props)?;
        let sorted;
        let ids = if ids.windows(2).all(|w| w[0] < w[1]) {
            ids
        } else {
            let mut copy = ids.to_vec();
            copy.sort_unstable();
            copy.dedup();
            sorted = copy;
            &sorted
        };
        let changed =
            self.rewrite_nodes(ids, &written, &mut |_, record| change_all(record, &keyed))?;
        self.count().properties_set += (ids.len() * keyed.len()) as u64;
        Ok(changed)
    }

    /// Sets the same properties on every node with `label`, as
    /// [`set_properties_of_nodes`](Self::set_properties_of_nodes) over the
    /// label's members would. A label held by a quarter of the nodes or
    /// more is found while the records are read (one pass over the node
    /// range, reading only the labels of the other nodes' records) rather
    /// than from its index. Returns how many nodes have the label.
    ///
    /// All-or-nothing: on an error (a NaN, a unique key already taken) the
    /// transaction is as it was before the call.
    pub fn set_properties_of_label(
        &mut self,
        label: &str,
        props: &[(&str, Option<Value>)],
    ) -> Result<usize> {
        let Some(l) = self.name(Kind::Label, label) else {
            return Ok(0);
        };
        let (written, keyed) = Written::props(self, props)?;
        let mut apply = |_: NodeId, record: &mut NodeRecord| change_all(record, &keyed);
        let members = match super::stats::Kept::of(self.kv())? {
            Some(kept) => kept.label(l)?,
            None => 0,
        };
        let nodes = self.part::<Part>().map_or(0, |g| g.counters.node_count);
        if members.saturating_mul(4) < nodes || self.entries_move(&written) {
            let ids = write_reader(self).nodes_with_label(label)?;
            self.rewrite_nodes(&ids, &written, &mut apply)?;
            self.count().properties_set += (ids.len() * keyed.len()) as u64;
            return Ok(ids.len());
        }
        // Each value encoded once, spliced into every member's record
        // (a record the splice declines is decoded and encoded).
        let encoded = keyed
            .iter()
            .map(|(k, v)| Ok((*k, v.as_ref().map(codec::encode).transpose()?)))
            .collect::<Result<Vec<_>>>()?;
        let raw: Vec<(u32, Option<&[u8]>)> =
            encoded.iter().map(|(k, v)| (*k, v.as_deref())).collect();
        let (mut run, mut scratch) = (
            RunBuilder::with_expected(usize::try_from(members).unwrap_or(0)),
            Vec::new(),
        );
        let mut found = 0;
        self.kv()
            .scan_bulk(Cf::Nodes, &[], None, &mut |key, value| {
                let props = match patch::labels(value, l) {
                    Some((_, false)) => return Ok(true),
                    Some((props, true)) => Some(props),
                    None => None,
                };
                let mut spliced = None;
                if let Some(props) = props {
                    run.push_with(key, |buf| {
                        spliced = patch::patch(value, props, &raw, &mut scratch, buf);
                        spliced == Some(true)
                    });
                }
                if spliced.is_none() {
                    let mut record = decode_node(value)?;
                    if record.labels.binary_search(&l).is_err() {
                        return Ok(true);
                    }
                    let id = NodeId(crate::storage::keys::read_u64(key, 0)?);
                    if apply(id, &mut record) {
                        push_record(&mut run, id, &record)?;
                    }
                }
                found += 1;
                Ok(true)
            })?;
        self.changes().put_run(Cf::Nodes, run);
        self.count().properties_set += (found * keyed.len()) as u64;
        Ok(found)
    }

    /// Whether writing the keys of `written` may move index entries or
    /// feed a sibling (a vector index): then each changed node goes
    /// through the full write path.
    fn entries_move(&mut self, written: &Written) -> bool {
        written.watched
            || self.part::<Part>().is_none_or(|g| {
                let s = &g.schema;
                s.unique
                    .iter()
                    .chain(&s.indexed)
                    .any(|(_, k)| written.keys.contains(k))
            })
    }

    /// Reads every node of `ids` (ascending, each once), lets `apply`
    /// change its record (returning whether it did) and writes the changed
    /// ones; `written`: the keys `apply` may change. Returns how many
    /// changed. On an error the transaction is as it was before.
    fn rewrite_nodes(
        &mut self,
        ids: &[NodeId],
        written: &Written,
        apply: &mut dyn FnMut(NodeId, &mut NodeRecord) -> bool,
    ) -> Result<usize> {
        // A written key that some label indexes or keeps unique may move
        // entries; otherwise only the records change.
        if !self.entries_move(written) {
            // Records stream through: each is read, changed and encoded
            // into one run of pending puts.
            let mut run = RunBuilder::with_expected(ids.len());
            let mut count = 0;
            write_reader(self).each_node(ids, &mut |id, mut record| {
                if apply(id, &mut record) {
                    push_record(&mut run, id, &record)?;
                    count += 1;
                }
                Ok(())
            })?;
            self.changes().put_run(Cf::Nodes, run);
            return Ok(count);
        }
        // A chunk of nodes at a time is read, changed and written, so
        // memory holds one chunk's decoded records, not every node's (a
        // record can be large: a vector property is hundreds of values).
        let savepoint = self.savepoint();
        let mut count = 0;
        for chunk in ids.chunks(RECORD_CHUNK) {
            let mut changed = Vec::new();
            let written = write_reader(self)
                .each_node(chunk, &mut |id, old| {
                    let mut new = old.clone();
                    if apply(id, &mut new) {
                        changed.push((id, old, new));
                    }
                    Ok(())
                })
                .and_then(|()| {
                    self.with_part(|txn, g: &mut Part| {
                        changed.iter().try_for_each(|(id, old, new)| {
                            txn.write_node(g, *id, Some(old), Some(new))
                        })
                    })
                });
            if let Err(e) = written {
                self.rollback_to(savepoint);
                return Err(e);
            }
            count += changed.len();
        }
        Ok(count)
    }

    /// Adds a label to node `id`; returns whether it was new.
    pub fn add_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        self.with_part(|txn, g: &mut Part| {
            let old = txn.require_node(id)?;
            let l = txn.intern(Kind::Label, label)?;
            let mut new = old.clone();
            let Err(at) = new.labels.binary_search(&l) else {
                return Ok(false);
            };
            new.labels.insert(at, l);
            txn.write_node(&mut *g, id, Some(&old), Some(&new))?;
            txn.count().labels_added += 1;
            Ok(true)
        })
    }

    /// Removes a label from node `id`; returns whether it had it.
    pub fn remove_label(&mut self, id: NodeId, label: &str) -> Result<bool> {
        self.with_part(|txn, g: &mut Part| {
            let old = txn.require_node(id)?;
            let Some(l) = txn.name(Kind::Label, label) else {
                return Ok(false);
            };
            let mut new = old.clone();
            let Ok(at) = new.labels.binary_search(&l) else {
                return Ok(false);
            };
            new.labels.remove(at);
            txn.write_node(&mut *g, id, Some(&old), Some(&new))?;
            txn.count().labels_removed += 1;
            Ok(true)
        })
    }

    /// Deletes node `id`, which must have no edges
    /// ([`Error::NodeHasEdges`] otherwise; see
    /// [`detach_delete_node`](Self::detach_delete_node)). Its points in
    /// node-bound vector collections are deleted with it.
    pub fn delete_node(&mut self, id: NodeId) -> Result<()> {
        let old = self.require_node(id)?;
        let edges = write_reader(self).incident_edges(id)?.len();
        if edges > 0 {
            return Err(Error::NodeHasEdges { node: id, edges });
        }
        self.remove_node(id, &old)
    }

    /// Deletes node `id` and every edge incident to it; returns how many
    /// edges were deleted. Its points in node-bound vector collections are
    /// deleted with it.
    pub fn detach_delete_node(&mut self, id: NodeId) -> Result<usize> {
        let old = self.require_node(id)?;
        let edges = write_reader(self).incident_edges(id)?;
        for &e in &edges {
            self.delete_edge(e)?;
        }
        self.remove_node(id, &old)?;
        Ok(edges.len())
    }

    fn remove_node(&mut self, id: NodeId, old: &NodeRecord) -> Result<()> {
        for react in self.db().links().node_deleted.clone() {
            react(self, id)?;
        }
        self.with_part(|txn, g: &mut Part| {
            txn.write_node(&mut *g, id, Some(old), None)?;
            g.counters.node_count -= 1;
            txn.count().nodes_deleted += 1;
            Ok(())
        })
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
        let reader = write_reader(self);
        let (from, to) = (reader.require_node(source)?, reader.require_node(target)?);
        self.with_part(|txn, g: &mut Part| {
            let props = txn.props(props)?;
            let rec = EdgeRecord {
                src: source,
                dst: target,
                edge_type: txn.intern(Kind::EdgeType, edge_type)?,
                props,
            };
            let id = EdgeId(g.counters.next_edge);
            txn.write_edge(id, None, Some(&rec))?;
            g.stats
                .edge(pattern_labels(&from), rec.edge_type, pattern_labels(&to), 1);
            g.counters.next_edge += 1;
            g.counters.edge_count += 1;
            let count = txn.count();
            count.relationships_created += 1;
            count.properties_set += rec.props.len() as u64;
            Ok(id)
        })
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
        let old = write_reader(self).require_edge(id)?;
        let k = self.intern(Kind::PropKey, key)?;
        let mut new = old.clone();
        let previous = set_prop(&mut new.props, k, value);
        self.write_edge(id, Some(&old), Some(&new))?;
        self.count().properties_set += 1;
        Ok(previous)
    }

    /// Removes one property of edge `id`; returns its value, if it had one.
    pub fn remove_edge_property(&mut self, id: EdgeId, key: &str) -> Result<Option<Value>> {
        let old = write_reader(self).require_edge(id)?;
        let Some(k) = self.name(Kind::PropKey, key) else {
            return Ok(None);
        };
        let mut new = old.clone();
        let previous = remove_prop(&mut new.props, k);
        if previous.is_some() {
            self.write_edge(id, Some(&old), Some(&new))?;
            self.count().properties_set += 1;
        }
        Ok(previous)
    }

    /// Deletes edge `id`.
    pub fn delete_edge(&mut self, id: EdgeId) -> Result<()> {
        let reader = write_reader(self);
        let old = reader.require_edge(id)?;
        let (from, to) = (reader.require_node(old.src)?, reader.require_node(old.dst)?);
        self.write_edge(id, Some(&old), None)?;
        self.count().relationships_deleted += 1;
        self.with_part(|_, g: &mut Part| {
            g.counters.edge_count -= 1;
            g.stats.edge(
                pattern_labels(&from),
                old.edge_type,
                pattern_labels(&to),
                -1,
            );
            Ok(())
        })
    }

    // ----- schema ------------------------------------------------------

    /// Declares an existence constraint named `name`: every node with
    /// label `owner` (with `relationship`, every relationship of type
    /// `owner`) must have property `key` (Cypher's `REQUIRE n.key IS NOT
    /// NULL`). Checked now over the existing ones — failing with
    /// [`Error::MissingRequiredProperty`] naming one that lacks it — and
    /// then by every commit, over the nodes and relationships it writes: a
    /// commit that would leave one without the property fails with that
    /// error and writes nothing. The same constraint again is a no-op;
    /// another one of the same name is [`Error::InvalidArgument`].
    pub fn create_existence_constraint(
        &mut self,
        name: &str,
        owner: &str,
        key: &str,
        relationship: bool,
    ) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid("a constraint's name cannot be empty"));
        }
        let mut required = write_reader(self).required()?;
        if let Some(same) = required.rules.iter().find(|r| r.name == name) {
            if (
                same.relationship,
                same.owner_name.as_str(),
                same.key_name.as_str(),
            ) == (relationship, owner, key)
            {
                return Ok(());
            }
            return Err(Error::invalid(format!(
                "the name {name} is taken by the existence constraint on {}({})",
                same.owner_name, same.key_name
            )));
        }
        let rule = self.with_part(|txn, _: &mut Part| {
            Ok(RequiredRule {
                relationship,
                owner: txn.intern(
                    if relationship {
                        Kind::EdgeType
                    } else {
                        Kind::Label
                    },
                    owner,
                )?,
                key: txn.intern(Kind::PropKey, key)?,
                name: name.to_owned(),
                owner_name: owner.to_owned(),
                key_name: key.to_owned(),
            })
        })?;
        let mut first = None;
        write_reader(self).lacking(&rule, &mut |entity| {
            first = Some(entity);
            false
        })?;
        if let Some(entity) = first {
            return Err(rule.violated(entity));
        }
        required.rules.push(rule);
        let bytes = codec::encode(&required)?;
        self.changes().put(Cf::Meta, meta::REQUIRED, bytes);
        self.count().constraints_added += 1;
        Ok(())
    }

    /// Records a range index that is not materialised (see
    /// `records::DeclaredIndexes`): Cypher's `CREATE INDEX name FOR
    /// ()-[r:T]-() ON (r.key)` or `FOR (n:L) ON (n.a, n.b)`. The caller
    /// checks the name is free.
    pub(crate) fn declare_index(&mut self, index: DeclaredIndex) -> Result<()> {
        let mut all = write_reader(self).declared_indexes()?;
        all.indexes.push(index);
        let bytes = codec::encode(&all)?;
        self.changes().put(Cf::Meta, meta::DECLARED_INDEXES, bytes);
        self.count().indexes_added += 1;
        Ok(())
    }

    /// Drops the declared index named `name`; returns whether there was
    /// one.
    pub(crate) fn drop_declared_index(&mut self, name: &str) -> Result<bool> {
        let mut all = write_reader(self).declared_indexes()?;
        let before = all.indexes.len();
        all.indexes.retain(|i| i.name != name);
        if all.indexes.len() == before {
            return Ok(false);
        }
        let bytes = codec::encode(&all)?;
        self.changes().put(Cf::Meta, meta::DECLARED_INDEXES, bytes);
        self.count().indexes_removed += 1;
        Ok(true)
    }

    /// Drops the existence constraint named `name`; returns whether there
    /// was one.
    pub fn drop_existence_constraint(&mut self, name: &str) -> Result<bool> {
        let mut required = write_reader(self).required()?;
        let before = required.rules.len();
        required.rules.retain(|r| r.name != name);
        if required.rules.len() == before {
            return Ok(false);
        }
        let bytes = codec::encode(&required)?;
        self.changes().put(Cf::Meta, meta::REQUIRED, bytes);
        self.count().constraints_removed += 1;
        Ok(true)
    }

    /// Declares `(label, key)` a unique key: no two nodes with `label` may
    /// hold the same value of `key` (nodes without the property are not
    /// constrained). Existing nodes are indexed now; fails with
    /// [`Error::UniqueViolation`] if two of them already share a value.
    /// Enables [`GraphRead::node_by_key`](crate::GraphRead::node_by_key).
    pub fn create_unique_key(&mut self, label: &str, key: &str) -> Result<()> {
        self.with_part(|txn, g: &mut Part| {
            let pair = (
                txn.intern(Kind::Label, label)?,
                txn.intern(Kind::PropKey, key)?,
            );
            if g.schema.unique.contains(&pair) {
                return Ok(());
            }
            let mut schema = g.schema.clone();
            schema.indexed.retain(|p| *p != pair);
            schema.unique.push(pair);
            txn.rebuild_entries(g, pair, schema)?;
            txn.count().constraints_added += 1;
            Ok(())
        })
    }

    /// Declares an equality index on `(label, key)`, indexing existing
    /// nodes now. Enables
    /// [`GraphRead::nodes_by_property`](crate::GraphRead::nodes_by_property).
    /// A unique key already serves as an index; declaring both is a no-op.
    pub fn create_index(&mut self, label: &str, key: &str) -> Result<()> {
        self.with_part(|txn, g: &mut Part| {
            let pair = (
                txn.intern(Kind::Label, label)?,
                txn.intern(Kind::PropKey, key)?,
            );
            if g.schema.unique.contains(&pair) || g.schema.indexed.contains(&pair) {
                return Ok(());
            }
            let mut schema = g.schema.clone();
            schema.indexed.push(pair);
            txn.rebuild_entries(g, pair, schema)?;
            txn.count().indexes_added += 1;
            Ok(())
        })
    }

    /// Names the unique key or index on `(label, key)` (Cypher's `CREATE
    /// INDEX name ...`), as [`PropertyIndex::name`](crate::PropertyIndex::name)
    /// then reports it. Fails with [`Error::InvalidArgument`] when none is
    /// declared on the pair or another already has the name.
    pub fn name_index(&mut self, label: &str, key: &str, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(Error::invalid("an index name cannot be empty"));
        }
        let declared = write_reader(self).indexes()?;
        if let Some(other) = declared
            .iter()
            .find(|i| i.name == name && (i.label != label || i.key != key))
        {
            return Err(Error::invalid(format!(
                "the name {name} is taken by the index on :{}({})",
                other.label, other.key
            )));
        }
        if !declared.iter().any(|i| i.label == label && i.key == key) {
            return Err(Error::invalid(format!(
                "no unique key or index is declared on :{label}({key})"
            )));
        }
        let (Some(l), Some(k)) = (self.name(Kind::Label, label), self.name(Kind::PropKey, key))
        else {
            return Err(Error::invalid(format!("no index on :{label}({key})")));
        };
        let mut names = write_reader(self).schema_names()?;
        names.names.retain(|(a, b, _)| (*a, *b) != (l, k));
        names.names.push((l, k, name.to_owned()));
        let bytes = codec::encode(&names)?;
        self.changes().put(Cf::Meta, meta::SCHEMA_NAMES, bytes);
        Ok(())
    }

    /// Drops the unique key or index named `name` (see
    /// [`PropertyIndex::name`](crate::PropertyIndex::name)); returns
    /// whether there was one.
    pub fn drop_index_named(&mut self, name: &str) -> Result<bool> {
        let found = write_reader(self)
            .indexes()?
            .into_iter()
            .find(|i| i.name == name);
        match found {
            Some(i) => self.drop_index(&i.label, &i.key),
            None => Ok(false),
        }
    }

    /// Drops the unique key or index on `(label, key)` (and its name);
    /// returns whether there was one.
    pub fn drop_index(&mut self, label: &str, key: &str) -> Result<bool> {
        let (Some(l), Some(k)) = (self.name(Kind::Label, label), self.name(Kind::PropKey, key))
        else {
            return Ok(false);
        };
        let mut names = write_reader(self).schema_names()?;
        if names.names.iter().any(|(a, b, _)| (*a, *b) == (l, k)) {
            names.names.retain(|(a, b, _)| (*a, *b) != (l, k));
            let bytes = codec::encode(&names)?;
            self.changes().put(Cf::Meta, meta::SCHEMA_NAMES, bytes);
        }
        self.with_part(|txn, g: &mut Part| {
            let mut schema = g.schema.clone();
            let unique = schema.unique.contains(&(l, k));
            let before = schema.unique.len() + schema.indexed.len();
            schema.unique.retain(|p| *p != (l, k));
            schema.indexed.retain(|p| *p != (l, k));
            if schema.unique.len() + schema.indexed.len() == before {
                return Ok(false);
            }
            txn.rebuild_entries(g, (l, k), schema)?;
            let count = txn.count();
            if unique {
                count.constraints_removed += 1;
            } else {
                count.indexes_removed += 1;
            }
            Ok(true)
        })
    }

    /// Records what is known about the graph as a whole (see
    /// [`GraphInfo`]); the importer does this for the graphs it loads.
    pub fn set_graph_info(&mut self, info: &GraphInfo) -> Result<()> {
        let record = GraphInfoRecord {
            version: 1,
            undirected: info.undirected,
            weight: info.weight.clone(),
        };
        let bytes = codec::encode(&record)?;
        self.changes().put(Cf::Meta, meta::GRAPH, bytes);
        Ok(())
    }

    // ----- for the bulk loader -----------------------------------------

    /// The graph's counters and schema in this transaction, for the bulk
    /// loader, which hands out ids itself.
    pub(crate) fn graph_part<T>(
        &mut self,
        f: impl FnOnce(&mut Self, &mut GraphTxn) -> Result<T>,
    ) -> Result<T> {
        self.with_part(f)
    }

    /// Interns a name (a pending dictionary entry until commit).
    pub(crate) fn intern(&mut self, kind: Kind, name: &str) -> Result<u32> {
        if name.is_empty() {
            return Err(Error::invalid(match kind {
                Kind::Label => "a label must not be empty",
                Kind::EdgeType => "an edge type must not be empty",
                Kind::PropKey => "a property key must not be empty",
            }));
        }
        let dict = &self.db().extension::<GraphModel>().dict;
        if let Some(id) = dict.read().id(kind, name) {
            return Ok(id);
        }
        let id = dict.write().insert(kind, name.to_owned());
        self.changes()
            .put(Cf::Dict, entry_key(kind, name), id.to_be_bytes());
        Ok(id)
    }

    /// The id of an interned name, if it exists.
    fn name(&self, kind: Kind, name: &str) -> Option<u32> {
        self.db()
            .extension::<GraphModel>()
            .dict
            .read()
            .id(kind, name)
    }

    /// Interns and validates properties, sorted by key id.
    pub(crate) fn props(&mut self, props: Props) -> Result<Vec<(u32, Value)>> {
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

    // ----- internals ---------------------------------------------------

    pub(crate) fn require_node(&self, id: NodeId) -> Result<NodeRecord> {
        write_reader(self).require_node(id)
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

    /// Switches to `schema`, rewriting the unique/index entries of `pair`
    /// for every node carrying its label. All-or-nothing: on a uniqueness
    /// conflict nothing changes.
    fn rebuild_entries(&mut self, g: &mut Part, pair: (u32, u32), schema: Schema) -> Result<()> {
        let (l, k) = pair;
        let prefix = keys::label_key(l, k);
        let mut stale = Vec::new();
        for cf in [Cf::Unique, Cf::Index] {
            self.kv().scan(cf, &prefix, &mut |key, _| {
                stale.push((cf, key.to_vec()));
                Ok(true)
            })?;
        }
        let reader = write_reader(self);
        let mut nodes = Vec::new();
        self.kv()
            .scan(Cf::Labels, &l.to_be_bytes(), &mut |key, _| {
                let id = keys::label_node(key)?;
                nodes.push((id, reader.require_node(id)?));
                Ok(true)
            })?;
        let mut fresh = Vec::new();
        let mut taken = HashMap::new();
        for (id, rec) in &nodes {
            for entry in node_entries(&schema, rec) {
                match entry {
                    NodeEntry::Unique { label, key, value } if (label, key) == pair => {
                        let at = entry.key(*id);
                        if let Some(&existing) = taken.get(&at) {
                            return Err(self.violation(pair, value, existing));
                        }
                        taken.insert(at.clone(), *id);
                        fresh.push((Cf::Unique, at, entry.value(*id)));
                    }
                    NodeEntry::Index { label, key, .. } if (label, key) == pair => {
                        fresh.push((Cf::Index, entry.key(*id), Vec::new()));
                    }
                    _ => {}
                }
            }
        }
        let was = distinct_values(
            &g.schema,
            pair,
            stale.iter().map(|(cf, k)| (*cf, k.as_slice())),
        );
        let is = distinct_values(
            &schema,
            pair,
            fresh.iter().map(|(cf, k, _)| (*cf, k.as_slice())),
        );
        g.stats.distinct(
            l,
            k,
            i64::try_from(is).unwrap_or(i64::MAX) - i64::try_from(was).unwrap_or(i64::MAX),
        );
        let changes = self.changes();
        for (cf, key) in stale {
            changes.delete(cf, key);
        }
        for (cf, key, value) in fresh {
            changes.put(cf, key, value);
        }
        let encoded = codec::encode(&schema)?;
        changes.put(Cf::Meta, meta::SCHEMA, encoded);
        g.schema = schema;
        Ok(())
    }

    fn violation(&self, (l, k): (u32, u32), value: &Value, existing: NodeId) -> Error {
        let dict = self.db().extension::<GraphModel>().dict.read();
        Error::UniqueViolation {
            label: dict.name(Kind::Label, l).unwrap_or("?").to_owned(),
            key: dict.name(Kind::PropKey, k).unwrap_or("?").to_owned(),
            value: value.to_string(),
            existing,
        }
    }

    /// Replaces the stored state of node `id` (`None` = absent) and the
    /// entries it implies. Checks uniqueness before changing anything.
    fn write_node(
        &mut self,
        g: &mut Part,
        id: NodeId,
        old: Option<&NodeRecord>,
        new: Option<&NodeRecord>,
    ) -> Result<()> {
        let entries = |rec: Option<&NodeRecord>| -> BTreeSet<(Cf, Vec<u8>, Vec<u8>)> {
            rec.into_iter()
                .flat_map(|r| node_entries(&g.schema, r))
                .map(|e| (e.cf(), e.key(id), e.value(id)))
                .collect()
        };
        let (before, after) = (entries(old), entries(new));
        self.node_written(id, old, new, false)?;
        for (cf, key, _) in after.difference(&before) {
            if *cf != Cf::Unique {
                continue;
            }
            if let Some(holder) = self.kv().get(Cf::Unique, key)? {
                let existing = NodeId(crate::storage::keys::read_u64(&holder, 0)?);
                if existing != id {
                    let entry = new
                        .into_iter()
                        .flat_map(|r| node_entries(&g.schema, r))
                        .find(|e| e.cf() == Cf::Unique && e.key(id) == *key);
                    if let Some(NodeEntry::Unique { label, key, value }) = entry {
                        return Err(self.violation((label, key), value, existing));
                    }
                }
            }
        }
        let encoded = new.map(codec::encode).transpose()?;
        // Statistics: a value new to an index before the write, a value
        // gone from it after.
        for (cf, key, _) in after.difference(&before) {
            if let Some(pair) = distinct_pair(&g.schema, *cf, key)?
                && (*cf == Cf::Unique || !self.index_holds(key)?)
            {
                g.stats.distinct(pair.0, pair.1, 1);
            }
        }
        let changes = self.changes();
        for (cf, key, _) in before.difference(&after) {
            changes.delete(*cf, key.clone());
        }
        for (cf, key, value) in after.difference(&before) {
            changes.put(*cf, key.clone(), value.clone());
        }
        match encoded {
            Some(bytes) => changes.put(Cf::Nodes, id.0.to_be_bytes(), bytes),
            None => changes.delete(Cf::Nodes, id.0.to_be_bytes()),
        }
        for (cf, key, _) in before.difference(&after) {
            if let Some(pair) = distinct_pair(&g.schema, *cf, key)?
                && (*cf == Cf::Unique || !self.index_holds(key)?)
            {
                g.stats.distinct(pair.0, pair.1, -1);
            }
        }
        self.count_labels(g, id, old, new)?;
        self.node_written(id, old, new, true)
    }

    /// Whether the index holds any entry with the value of index entry
    /// `key` (its node id left off).
    fn index_holds(&self, key: &[u8]) -> Result<bool> {
        self.kv()
            .any(Cf::Index, &key[..key.len().saturating_sub(8)])
    }

    /// The statistics' share of a node's write: its labels, and when they
    /// change under existing relationships, the (source label, type,
    /// target label) counts of each.
    fn count_labels(
        &self,
        g: &mut Part,
        id: NodeId,
        old: Option<&NodeRecord>,
        new: Option<&NodeRecord>,
    ) -> Result<()> {
        let labels = |r: Option<&NodeRecord>| r.map(|r| r.labels.clone()).unwrap_or_default();
        let (was, is) = (labels(old), labels(new));
        if was == is {
            return Ok(());
        }
        for &l in was.iter().filter(|l| !is.contains(l)) {
            g.stats.label(l, -1);
        }
        for &l in is.iter().filter(|l| !was.contains(l)) {
            g.stats.label(l, 1);
        }
        let (Some(old), Some(new)) = (old, new) else {
            // A new node has no relationships yet; a deleted one has none
            // left.
            return Ok(());
        };
        let (was, is) = (pattern_labels(old), pattern_labels(new));
        let reader = write_reader(self);
        let mut loops = BTreeSet::new();
        let mut ends = Vec::new();
        reader.scan_adjacency(id, Direction::Both, None, &mut |e, _| {
            ends.push(e);
            Ok(true)
        })?;
        for e in ends {
            if e.source == id && e.target == id {
                if loops.insert(e.edge) {
                    g.stats.pattern(was, e.edge_type, was, -1);
                    g.stats.pattern(is, e.edge_type, is, 1);
                }
            } else if e.source == id {
                let other = reader.require_node(e.target)?;
                g.stats
                    .pattern(was, e.edge_type, pattern_labels(&other), -1);
                g.stats.pattern(is, e.edge_type, pattern_labels(&other), 1);
            } else {
                let other = reader.require_node(e.source)?;
                g.stats
                    .pattern(pattern_labels(&other), e.edge_type, was, -1);
                g.stats.pattern(pattern_labels(&other), e.edge_type, is, 1);
            }
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
        self.edge_written(id.0, old, new, false)?;
        let encoded = new.map(codec::encode).transpose()?;
        let changes = self.changes();
        if let Some(o) = old {
            let (out, inc, _) = edge_entries(id, o);
            changes.delete(Cf::Out, out);
            changes.delete(Cf::In, inc);
        }
        match (new, encoded) {
            (Some(n), Some(record)) => {
                let (out, inc, value) = edge_entries(id, n);
                changes.put(Cf::Out, out, value.clone());
                changes.put(Cf::In, inc, value);
                changes.put(Cf::Edges, id.0.to_be_bytes(), record);
            }
            _ => changes.delete(Cf::Edges, id.0.to_be_bytes()),
        }
        self.edge_written(id.0, old, new, true)
    }
}

/// The `(label, key)` whose distinct values an entry counts toward: a
/// unique entry's, or an index entry's when the pair is not also
/// unique (then the unique entries count it).
fn distinct_pair(schema: &Schema, cf: Cf, key: &[u8]) -> Result<Option<(u32, u32)>> {
    if !matches!(cf, Cf::Unique | Cf::Index) {
        return Ok(None);
    }
    let pair = (
        crate::storage::keys::read_u32(key, 0)?,
        crate::storage::keys::read_u32(key, 4)?,
    );
    Ok((cf == Cf::Unique || !schema.unique.contains(&pair)).then_some(pair))
}

/// The distinct values of `pair` among its entries `entries` (all in key
/// order), as the statistics count them under `schema`: its unique
/// entries when it is a unique key, else its index entries' values.
fn distinct_values<'a>(
    schema: &Schema,
    pair: (u32, u32),
    entries: impl Iterator<Item = (Cf, &'a [u8])>,
) -> u64 {
    let unique = schema.unique.contains(&pair);
    if !unique && !schema.indexed.contains(&pair) {
        return 0;
    }
    let mut values: Vec<&[u8]> = entries
        .filter_map(|(cf, key)| match (cf, unique) {
            (Cf::Unique, true) => Some(key),
            (Cf::Index, false) => Some(&key[..key.len().saturating_sub(8)]),
            _ => None,
        })
        .collect();
    values.sort_unstable();
    values.dedup();
    values.len() as u64
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

/// Property writes by interned key, in order (`None`: a removal).
type Keyed<'p> = Vec<(u32, &'p Option<Value>)>;

/// The property keys a bulk write changes, interned as they are met.
#[derive(Default)]
struct Written {
    /// The distinct keys (a statement writes a few).
    keys: Vec<u32>,
    /// Whether one of them feeds a sibling (a vector index).
    watched: bool,
}

impl Written {
    /// The keys of `props` checked and interned, with their values.
    fn props<'p>(
        txn: &mut WriteTxn<'_>,
        props: &'p [(&str, Option<Value>)],
    ) -> Result<(Written, Keyed<'p>)> {
        let mut written = Written::default();
        let mut keyed = Vec::with_capacity(props.len());
        for (key, value) in props {
            keyed.push((written.key(txn, key, value.as_ref())?, value));
        }
        Ok((written, keyed))
    }

    /// `key`'s id for a write of `value` (`None`: a removal), checking
    /// the value first: nothing after this fails on a value.
    fn key(&mut self, txn: &mut WriteTxn<'_>, key: &str, value: Option<&Value>) -> Result<u32> {
        let k = match value {
            Some(v) => {
                v.validate(key)?;
                txn.intern(Kind::PropKey, key)?
            }
            // Removing a key no node has ever had changes nothing, but
            // the node must still exist.
            None => txn.name(Kind::PropKey, key).unwrap_or(u32::MAX),
        };
        if !self.keys.contains(&k) {
            self.keys.push(k);
            let db = txn.db();
            self.watched |= crate::txn::watched(&db.links().watchers, txn, false, Some(key));
        }
        Ok(k)
    }
}

/// Adds node `id`'s `record`, encoded, to `run`.
fn push_record(run: &mut RunBuilder, id: NodeId, record: &NodeRecord) -> Result<()> {
    let mut encoded = Ok(());
    run.push_with(&id.0.to_be_bytes(), |buf| {
        encoded = codec::encode_append(record, buf);
        encoded.is_ok()
    });
    encoded
}

/// Applies each `(key, value)` of `keyed` to `record` in order (see
/// [`change`]); returns whether the record changed.
fn change_all(record: &mut NodeRecord, keyed: &[(u32, &Option<Value>)]) -> bool {
    let mut dirty = false;
    for (k, value) in keyed {
        dirty |= change(record, *k, (*value).clone());
    }
    dirty
}

/// Sets (`Some`) or removes (`None`) property `k` of `record`; returns
/// whether the record changed.
fn change(record: &mut NodeRecord, k: u32, value: Option<Value>) -> bool {
    match value {
        Some(v) => {
            set_prop(&mut record.props, k, v);
            true
        }
        None => remove_prop(&mut record.props, k).is_some(),
    }
}
