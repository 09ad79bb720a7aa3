//! The graph's state beside the stored data: the dictionary and the id
//! counters for the life of a database ([`GraphModel`]), and a write
//! transaction's copies of them ([`GraphTxn`]).

use std::any::Any;

use parking_lot::{Mutex, RwLock};

use super::dict::{Dictionary, Kind};
use super::read::{Reader, read_counter};
use super::records::{Required, Schema, decode_edge, decode_node};
use super::stats::{self, Deltas};
use crate::error::Result;
use crate::storage::keys::read_u64;
use crate::storage::schema::meta;
use crate::storage::{Cf, Changes, KvRead, codec};
use crate::txn::{Database, Extension, TxnPart, WriteTxn};
use crate::{NodeId, ReadTxn};

/// Id allocation and counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub next_node: u64,
    pub next_edge: u64,
    pub node_count: u64,
    pub edge_count: u64,
}

const KINDS: [Kind; 3] = [Kind::Label, Kind::EdgeType, Kind::PropKey];

/// The graph's in-memory state for the life of a database.
pub(crate) struct GraphModel {
    /// Labels, edge types and property keys, interned.
    pub dict: RwLock<Dictionary>,
    /// The counters as of the last commit (used under the writer lock).
    committed: Mutex<Counters>,
}

impl GraphModel {
    /// The counters of a new database, added to its creation batch.
    pub fn init(changes: &mut Changes) {
        for key in [
            meta::NEXT_NODE,
            meta::NEXT_EDGE,
            meta::NODE_COUNT,
            meta::EDGE_COUNT,
        ] {
            changes.put(crate::storage::Cf::Meta, key, 0u64.to_be_bytes());
        }
    }

    /// Reads the dictionary and the counters; counts the statistics when
    /// they are not complete (see [`stats`]).
    pub fn load(db: &Database) -> Result<GraphModel> {
        let store = db.store();
        let dict = RwLock::new(Dictionary::load(store)?);
        if !stats::present(store)? {
            recount(store, &dict)?;
        }
        Ok(GraphModel {
            dict,
            committed: Mutex::new(Counters {
                next_node: read_counter(store, meta::NEXT_NODE)?,
                next_edge: read_counter(store, meta::NEXT_EDGE)?,
                node_count: read_counter(store, meta::NODE_COUNT)?,
                edge_count: read_counter(store, meta::EDGE_COUNT)?,
            }),
        })
    }
}

/// Refuses a commit that leaves a node or relationship it writes without
/// a property an existence constraint requires (the constraints as this
/// commit leaves them; a node or relationship it does not write was
/// checked when it was written, or when the constraint was made).
fn check_required(base: &dyn KvRead, changes: &Changes) -> Result<()> {
    let record = match changes.pending(Cf::Meta, meta::REQUIRED) {
        Some(Some(bytes)) => Some(bytes.to_vec()),
        Some(None) => None,
        None => base.get(Cf::Meta, meta::REQUIRED)?,
    };
    let Some(record) = record else {
        return Ok(());
    };
    let required: Required = codec::decode(&record, "existence constraints")?;
    if required.rules.is_empty() {
        return Ok(());
    }
    for (cf, key, value) in changes.iter() {
        let Some(value) = value else { continue };
        match cf {
            Cf::Nodes => {
                let node = decode_node(value)?;
                if let Some(rule) = required
                    .rules
                    .iter()
                    .find(|r| !r.relationship && node.has_label(r.owner) && r.missing(&node.props))
                {
                    return Err(rule.violated(format!("node {}", read_u64(key, 0)?)));
                }
            }
            Cf::Edges => {
                let edge = decode_edge(value)?;
                if let Some(rule) = required
                    .rules
                    .iter()
                    .find(|r| r.relationship && edge.edge_type == r.owner && r.missing(&edge.props))
                {
                    return Err(rule.violated(format!("relationship {}", read_u64(key, 0)?)));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Counts the statistics of the committed data again and writes them
/// (durably) in place of whatever is stored.
fn recount(store: &crate::storage::Store, dict: &RwLock<Dictionary>) -> Result<()> {
    let reader = Reader {
        kv: store,
        names: dict,
    };
    let counts = stats::recount(&reader, &reader.schema()?)?;
    let mut changes = Changes::default();
    stats::replace(store, &counts, &mut changes)?;
    store.write(&changes, true)
}

impl Extension for GraphModel {
    fn begin_write(&self, txn: &WriteTxn<'_>) -> Result<Option<Box<dyn TxnPart>>> {
        let reader = Reader {
            kv: txn.kv(),
            names: &self.dict,
        };
        let schema = reader.schema()?;
        let stats_kept = stats::present(txn.kv())?;
        let persisted_next = (
            read_counter(txn.kv(), meta::NEXT_NODE)?,
            read_counter(txn.kv(), meta::NEXT_EDGE)?,
        );
        let dict = self.dict.read();
        let dict_marks = KINDS.map(|k| dict.len(k));
        drop(dict);
        Ok(Some(Box::new(GraphTxn {
            counters: *self.committed.lock(),
            persisted_next,
            schema,
            dict_marks,
            stats: Deltas::default(),
            stats_kept,
        })))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The graph's state inside one write transaction.
pub(crate) struct GraphTxn {
    pub counters: Counters,
    /// The id counters as stored on disk at begin.
    persisted_next: (u64, u64),
    /// The declared unique keys and indexes, as of this transaction.
    pub schema: Schema,
    /// Dictionary sizes at begin: names interned past these belong to this
    /// transaction and are removed again if it does not commit.
    dict_marks: [usize; 3],
    /// The transaction's changes to the statistics.
    pub stats: Deltas,
    /// Whether the statistics were complete at begin (else the deltas are
    /// dropped: a recount follows).
    stats_kept: bool,
}

/// A graph part's state at a savepoint.
struct GraphSaved {
    node_count: u64,
    edge_count: u64,
    schema: Schema,
    dict_lens: [usize; 3],
    stats: Deltas,
}

impl TxnPart for GraphTxn {
    fn save(&self, db: &Database) -> Box<dyn Any + Send + Sync> {
        let dict = db.extension::<GraphModel>().dict.read();
        Box::new(GraphSaved {
            node_count: self.counters.node_count,
            edge_count: self.counters.edge_count,
            schema: self.schema.clone(),
            dict_lens: KINDS.map(|k| dict.len(k)),
            stats: self.stats.clone(),
        })
    }

    /// Back to the savepoint: counts, schema and the names interned since
    /// (their entries are gone with the changes). Ids handed out since
    /// stay used, as after an abort.
    fn restore(&mut self, saved: Box<dyn Any + Send + Sync>, db: &Database) {
        let Ok(saved) = saved.downcast::<GraphSaved>() else {
            return;
        };
        self.counters.node_count = saved.node_count;
        self.counters.edge_count = saved.edge_count;
        self.schema = saved.schema;
        self.stats = saved.stats;
        let mut dict = db.extension::<GraphModel>().dict.write();
        for (kind, len) in KINDS.iter().zip(saved.dict_lens) {
            dict.truncate(*kind, len);
        }
    }

    /// Writes the counters when anything changed, or when ids handed out
    /// by aborted transactions since the last commit must be persisted (so
    /// they are never reused).
    fn finish(&mut self, base: &dyn KvRead, changes: &mut Changes) -> Result<()> {
        check_required(base, changes)?;
        if self.stats_kept {
            self.stats.apply(base, changes)?;
        }
        let c = self.counters;
        if !changes.is_empty() || (c.next_node, c.next_edge) != self.persisted_next {
            for (key, v) in [
                (meta::NEXT_NODE, c.next_node),
                (meta::NEXT_EDGE, c.next_edge),
                (meta::NODE_COUNT, c.node_count),
                (meta::EDGE_COUNT, c.edge_count),
            ] {
                changes.put(crate::storage::Cf::Meta, key, v.to_be_bytes());
            }
        }
        Ok(())
    }

    fn committed(self: Box<Self>, db: &Database, _: Option<u64>) {
        *db.extension::<GraphModel>().committed.lock() = self.counters;
    }

    fn aborted(self: Box<Self>, db: &Database) {
        let model = db.extension::<GraphModel>();
        // Ids handed out by this transaction stay used: an application may
        // still hold one, and must never see it name another node. (They
        // reach the disk with the next commit's counters.)
        let mut committed = model.committed.lock();
        committed.next_node = self.counters.next_node;
        committed.next_edge = self.counters.next_edge;
        let mut dict = model.dict.write();
        for (kind, len) in KINDS.iter().zip(self.dict_marks) {
            dict.truncate(*kind, len);
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A reader over a read transaction's snapshot.
pub(crate) fn reader<'t>(txn: &'t ReadTxn<'_>) -> Reader<'t> {
    Reader {
        kv: txn.kv(),
        names: &txn.db().extension::<GraphModel>().dict,
    }
}

/// A reader over a write transaction's view (its changes over the store).
pub(crate) fn write_reader<'t>(txn: &'t WriteTxn<'_>) -> Reader<'t> {
    Reader {
        kv: txn.kv(),
        names: &txn.db().extension::<GraphModel>().dict,
    }
}

/// [`Links::node_exists`](crate::txn::Links): whether `id` is a node in `kv`.
pub(crate) fn node_exists(db: &Database, kv: &dyn KvRead, id: NodeId) -> Result<bool> {
    Reader {
        kv,
        names: &db.extension::<GraphModel>().dict,
    }
    .contains_node(id)
}

/// [`Links::nodes_with_label`](crate::txn::Links): the nodes with `label`
/// in `kv`, sorted.
pub(crate) fn nodes_with_label(db: &Database, kv: &dyn KvRead, label: &str) -> Result<Vec<NodeId>> {
    Reader {
        kv,
        names: &db.extension::<GraphModel>().dict,
    }
    .nodes_with_label(label)
}
