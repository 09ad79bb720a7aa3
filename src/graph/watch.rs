//! What the graph shows its siblings of its writes (the vector model's
//! property-fed collections, the full-text indexes): each changed node or relationship by names,
//! and the values of a property over a label or type.

use parking_lot::RwLock;

use super::dict::{Dictionary, Kind};
use super::read::Reader;
use super::records::{EdgeRecord, NodeRecord, decode_edge};
use super::state::GraphModel;
use crate::error::Result;
use crate::storage::{Cf, KvRead};
use crate::txn::{Database, EntityView, WriteTxn, Written, watched};
use crate::{NodeId, Value};

/// A stored node seen by names through the dictionary.
struct NodeView<'a> {
    record: &'a NodeRecord,
    dict: &'a RwLock<Dictionary>,
}

impl EntityView for NodeView<'_> {
    fn has_label(&self, label: &str) -> bool {
        self.dict
            .read()
            .id(Kind::Label, label)
            .is_some_and(|l| self.record.has_label(l))
    }

    fn property(&self, key: &str) -> Option<&Value> {
        let k = self.dict.read().id(Kind::PropKey, key)?;
        self.record.prop(k)
    }
}

/// A relationship seen by names: its one type.
struct EdgeView<'a> {
    record: &'a EdgeRecord,
    dict: &'a RwLock<Dictionary>,
}

impl EntityView for EdgeView<'_> {
    fn has_label(&self, edge_type: &str) -> bool {
        self.dict.read().id(Kind::EdgeType, edge_type) == Some(self.record.edge_type)
    }

    fn property(&self, key: &str) -> Option<&Value> {
        let k = self.dict.read().id(Kind::PropKey, key)?;
        self.record.prop(k)
    }
}

impl WriteTxn<'_> {
    /// Shows the watching sibling a node this transaction changes: to
    /// check (`applied` false, before anything is buffered), then to
    /// follow.
    pub(super) fn node_written(
        &mut self,
        id: NodeId,
        old: Option<&NodeRecord>,
        new: Option<&NodeRecord>,
        applied: bool,
    ) -> Result<()> {
        if !watched(&self.db().links().watchers, self, false, None) {
            return Ok(());
        }
        let dict = &self.db().extension::<GraphModel>().dict;
        let view = |record| NodeView { record, dict };
        let (before, after) = (old.map(view), new.map(view));
        self.show(id.0, false, before.as_ref(), after.as_ref(), applied)
    }

    /// Shows the watching sibling a relationship this transaction changes,
    /// as [`node_written`](Self::node_written) does a node.
    pub(super) fn edge_written(
        &mut self,
        id: u64,
        old: Option<&EdgeRecord>,
        new: Option<&EdgeRecord>,
        applied: bool,
    ) -> Result<()> {
        if !watched(&self.db().links().watchers, self, true, None) {
            return Ok(());
        }
        let dict = &self.db().extension::<GraphModel>().dict;
        let view = |record| EdgeView { record, dict };
        let (before, after) = (old.map(view), new.map(view));
        self.show(id, true, before.as_ref(), after.as_ref(), applied)
    }

    /// Calls the links' `entity_written` with one change.
    fn show<V: EntityView>(
        &mut self,
        id: u64,
        edge: bool,
        before: Option<&V>,
        after: Option<&V>,
        applied: bool,
    ) -> Result<()> {
        let written = Written {
            id,
            edge,
            before: before.map(|v| v as &dyn EntityView),
            after: after.map(|v| v as &dyn EntityView),
        };
        let db = self.db();
        for w in &db.links().watchers {
            if (w.watches)(self, edge, None) {
                (w.entity_written)(self, &written, applied)?;
            }
        }
        Ok(())
    }
}

/// [`Links::property_values`](crate::txn::Links): `(id, value)` of
/// property `key` for every node labelled `label` (every relationship of
/// type `label` when `edges`) in `kv` that has it, in id order.
pub(crate) fn property_values(
    db: &Database,
    kv: &dyn KvRead,
    edges: bool,
    label: &str,
    key: &str,
    visit: &mut dyn FnMut(u64, &Value) -> Result<()>,
) -> Result<()> {
    let dict = &db.extension::<GraphModel>().dict;
    let (Some(k), found) = ({
        let d = dict.read();
        let kind = if edges { Kind::EdgeType } else { Kind::Label };
        (d.id(Kind::PropKey, key), d.id(kind, label))
    }) else {
        return Ok(());
    };
    let Some(l) = found else {
        return Ok(());
    };
    if edges {
        return kv.scan(Cf::Edges, &[], &mut |id, bytes| {
            let record = decode_edge(bytes)?;
            if record.edge_type == l
                && let Some(value) = record.prop(k)
            {
                visit(crate::storage::keys::read_u64(id, 0)?, value)?;
            }
            Ok(true)
        });
    }
    let reader = Reader { kv, names: dict };
    let ids = reader.nodes_with_label(label)?;
    reader.each_node(&ids, &mut |id, record| match record.prop(k) {
        Some(value) => visit(id.0, value),
        None => Ok(()),
    })
}
