//! How data models plug into the transaction core without the core
//! knowing them, and how sibling models cooperate without knowing each
//! other.
//!
//! * An [`Extension`] is state kept in memory for the life of a database:
//!   a data model's (the graph's dictionary and id counters, the vector
//!   indexes) or a cache's (projections, columns, plans). The assembly
//!   (`open.rs`) registers each when the database opens; code finds its
//!   own with [`Database::extension`]. (A text-embedding model is another
//!   thing: `embed`, and `Error::Model`.)
//! * A [`TxnPart`] is a model's state inside one write transaction. Each
//!   model may add one at `begin_write`; the core calls it at every step
//!   of the commit (or at the abort), in registration order.
//! * [`Links`] are the few facts one model needs from another: the vector
//!   model asks the graph whether a node exists and which nodes carry a
//!   label, is told when a node is deleted, and — for collections fed by a
//!   graph property — is shown every node and relationship a write
//!   changes and asked which property keys it watches. The assembly fills them
//!   in, so neither model names the other.

use std::any::Any;

use super::{Database, WriteTxn};
use crate::error::Result;
use crate::storage::{Changes, KvRead};
use crate::{NodeId, Value};

/// State kept in memory for the life of a database (a data model's or a
/// cache's).
pub(crate) trait Extension: Any + Send + Sync {
    /// The model's part of a new write transaction, if it keeps one.
    fn begin_write(&self, txn: &WriteTxn<'_>) -> Result<Option<Box<dyn TxnPart>>> {
        let _ = txn;
        Ok(None)
    }

    /// Makes derived state durable (vector checkpoints). Called by
    /// `Database::checkpoint`, `close` and drop.
    fn flush(&self, db: &Database) -> Result<()> {
        let _ = db;
        Ok(())
    }

    /// For finding a model by its type.
    fn as_any(&self) -> &dyn Any;
}

/// A model's state inside one write transaction.
pub(crate) trait TxnPart: Any + Send + Sync {
    /// Adds the model's last changes before the batch is written (the
    /// graph's id counters and statistics). `changes` holds every model's
    /// changes so far; `base` is the committed state under them (the
    /// writer is the only one changing it).
    fn finish(&mut self, base: &dyn KvRead, changes: &mut Changes) -> Result<()> {
        let _ = (base, changes);
        Ok(())
    }

    /// The commit of generation `generation` is durable and published:
    /// bring the in-memory state up to it. `generation` is `None` when the
    /// transaction wrote nothing. Must not fail: the data is committed.
    fn committed(self: Box<Self>, db: &Database, generation: Option<u64>) {
        let _ = (db, generation);
    }

    /// The transaction ended without committing, or its write failed.
    fn aborted(self: Box<Self>, db: &Database) {
        let _ = db;
    }

    /// The part's state now, for [`restore`](Self::restore) (a statement
    /// that fails is rolled back to it).
    fn save(&self, db: &Database) -> Box<dyn Any + Send + Sync>;

    /// Back to a state [`save`](Self::save) returned, the transaction's
    /// changes being put back to that moment too.
    fn restore(&mut self, saved: Box<dyn Any + Send + Sync>, db: &Database);

    /// For finding a part by its type.
    fn as_any_mut(&mut self) -> &mut dyn Any;

    /// For finding a part by its type.
    fn as_any(&self) -> &dyn Any;
}

/// Whether node `id` exists in a view.
pub(crate) type NodeExists = fn(&Database, &dyn KvRead, NodeId) -> Result<bool>;
/// The nodes carrying a label in a view, sorted.
pub(crate) type NodesWithLabel = fn(&Database, &dyn KvRead, &str) -> Result<Vec<NodeId>>;
/// Reacts, inside a write transaction, to the deletion of a node.
pub(crate) type NodeDeleted = fn(&mut WriteTxn<'_>, NodeId) -> Result<()>;

/// A node or relationship as a graph write leaves it (or found it), seen
/// by names: labels (a relationship's one type) and properties.
pub(crate) trait EntityView {
    /// Whether the node carries `label` (the relationship has type
    /// `label`).
    fn has_label(&self, label: &str) -> bool;
    /// The value of property `key`, if set.
    fn property(&self, key: &str) -> Option<&Value>;
}

/// One node or relationship a graph write changed: its id (a `NodeId`'s or
/// an `EdgeId`'s), and its state before and after (`None`: absent).
pub(crate) struct Written<'a> {
    pub id: u64,
    pub edge: bool,
    pub before: Option<&'a dyn EntityView>,
    pub after: Option<&'a dyn EntityView>,
}

/// Reacts, inside a write transaction, to a changed node or relationship:
/// checks the change (`false`: before the graph buffers anything), then
/// follows it (`true`: after).
pub(crate) type EntityWritten = fn(&mut WriteTxn<'_>, &Written<'_>, bool) -> Result<()>;
/// Whether a sibling watches writes to nodes (`edges` false) or
/// relationships, and — `key` given — to that property key.
pub(crate) type Watches = fn(&WriteTxn<'_>, bool, Option<&str>) -> bool;
/// Offers `(id, value)` for every node with `label` (every relationship of
/// type `label` when `edges`) that has property `key`, in a view.
pub(crate) type PropertyValues = fn(
    &Database,
    &dyn KvRead,
    bool,
    &str,
    &str,
    &mut dyn FnMut(u64, &Value) -> Result<()>,
) -> Result<()>;

/// The whole graph's out-adjacency as a bulk load wrote it into an empty
/// database: nodes `first_id..first_id + nodes` (dense index = id −
/// `first_id`), `targets[offsets[i]..offsets[i + 1]]` the dense targets of
/// node `i` in storage order, as of the snapshot with storage sequence
/// number `sequence`.
pub(crate) struct LoadedAdjacency {
    pub sequence: u64,
    pub first_id: u64,
    pub offsets: Vec<usize>,
    pub targets: Vec<u32>,
    /// The graph is recorded as undirected.
    pub undirected: bool,
}

/// Offered what a bulk load knows of the whole graph (the projection
/// cache keeps it as the default projection of that state).
pub(crate) type AdjacencyLoaded = fn(&Database, LoadedAdjacency);

/// A model that follows graph writes.
#[derive(Clone, Copy)]
pub(crate) struct Watcher {
    /// Does it watch these writes?
    pub watches: Watches,
    /// Called, when `watches` says so, twice for every node or
    /// relationship a graph write changes — to check, before the write is
    /// buffered, then to follow it.
    pub entity_written: EntityWritten,
}

/// Whether any of `watchers` watches writes to nodes (`edges` false) or
/// relationships, and — `key` given — to that property key.
pub(crate) fn watched(
    watchers: &[Watcher],
    txn: &WriteTxn<'_>,
    edges: bool,
    key: Option<&str>,
) -> bool {
    watchers.iter().any(|w| (w.watches)(txn, edges, key))
}

/// One point of a collection that knows its text, written or removed:
/// its collection, key, and text before and after (`None`: absent).
pub(crate) struct TextWritten<'a> {
    pub collection: &'a str,
    pub key: u64,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// Offers `(key, text)` for every point of text collection `collection`
/// in a view; a missing collection, or one without texts, is an error.
pub(crate) type CollectionTexts =
    fn(&Database, &dyn KvRead, &str, &mut dyn FnMut(u64, &str) -> Result<()>) -> Result<()>;

/// A model that follows the texts of collections.
#[derive(Clone, Copy)]
pub(crate) struct TextWatcher {
    /// Does it follow collection `collection`'s texts?
    pub watches: fn(&WriteTxn<'_>, &str) -> bool,
    /// Called, when `watches` says so, for every point whose text a
    /// write changes, after the point is buffered.
    pub text_written: fn(&mut WriteTxn<'_>, &TextWritten<'_>) -> Result<()>,
    /// Called, when `watches` says so, when the collection is dropped:
    /// every text it held goes at once.
    pub collection_dropped: fn(&mut WriteTxn<'_>, &str) -> Result<()>,
}

/// What sibling models ask of each other, wired by the assembly.
#[derive(Clone)]
pub(crate) struct Links {
    /// The graph: does a node exist?
    pub node_exists: NodeExists,
    /// The graph: which nodes carry a label?
    pub nodes_with_label: NodesWithLabel,
    /// Called, in order, when the graph deletes a node (the vector model
    /// drops the node's points in node-bound collections).
    pub node_deleted: Vec<NodeDeleted>,
    /// Called after a bulk load into an empty graph commits, with the
    /// adjacency it wrote.
    pub adjacency_loaded: AdjacencyLoaded,
    /// The models that follow graph writes (the vector model's
    /// property-fed collections, the full-text indexes), in order.
    pub watchers: Vec<Watcher>,
    /// The graph: the values of a property over a label or type.
    pub property_values: PropertyValues,
    /// The models that follow collections' texts (full-text indexes over
    /// a text collection).
    pub text_watchers: Vec<TextWatcher>,
    /// The vector model: the texts of a collection.
    pub collection_texts: CollectionTexts,
}
