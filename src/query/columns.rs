//! Property columns: every node's value of one property key, read from a
//! snapshot in one sequential scan and kept, like the algorithms'
//! projections, for the snapshots of the same commit generation.
//!
//! A statement on a read snapshot that aggregates over a whole-label
//! scan (see `exec::counted_match`) reads the properties it groups and
//! projects from columns instead of one record lookup per node: the
//! first such statement after a commit builds them (one pass over the
//! node records), the next ones find them.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;
use rustc_hash::FxHashMap;

use super::error::QResult;
use super::graph::{db_error, from_stored};
use super::value::CypherValue;
use crate::NodeId;
use crate::graph::dict::Kind;
use crate::graph::records::decode_node;
use crate::graph::sealed::Sealed;
use crate::storage::Cf;
use crate::storage::keys::read_u64;
use crate::txn::{Model, ReadTxn};

/// One property of every node that has it.
pub(crate) type Column = FxHashMap<NodeId, CypherValue>;

/// How many columns stay cached at once.
const MAX_CACHED: usize = 8;

/// The column cache: a model with no stored data, registered by the
/// assembly.
#[derive(Default)]
pub(crate) struct ColumnCache {
    /// `(generation, property key, column)`, oldest first.
    entries: Mutex<Vec<(u64, String, Arc<Column>)>>,
}

impl Model for ColumnCache {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The column of `key` for `r`'s snapshot: cached, or built now (one
/// scan of the node records) and cached.
pub(crate) fn column(r: &ReadTxn<'_>, key: &str) -> QResult<Arc<Column>> {
    let cache = r.db().model::<ColumnCache>();
    let generation = r.generation();
    if let Some((_, _, c)) = cache
        .entries
        .lock()
        .iter()
        .find(|(g, k, _)| *g == generation && k == key)
    {
        return Ok(Arc::clone(c));
    }
    let reader = r.reader();
    let mut column = Column::default();
    if let Some(k) = reader.names.id(Kind::PropKey, key) {
        reader
            .kv
            .scan(Cf::Nodes, &[], &mut |id, bytes| {
                let rec = decode_node(bytes)?;
                if let Some(v) = rec.prop(k) {
                    column.insert(NodeId(read_u64(id, 0)?), from_stored(v));
                }
                Ok(true)
            })
            .map_err(db_error)?;
    }
    let column = Arc::new(column);
    let mut entries = cache.entries.lock();
    entries.retain(|(g, _, _)| *g == generation);
    if entries.len() >= MAX_CACHED {
        entries.remove(0);
    }
    entries.push((generation, key.to_owned(), Arc::clone(&column)));
    Ok(column)
}
