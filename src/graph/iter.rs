//! Streaming reads: iterators that read storage a page at a time
//! ([`Pages`]), so a caller that stops after ten rows reads about ten.
//! Each borrows its transaction and sees exactly its view.

use super::keys;
use super::read::{AdjEntry, Reader, adjacency_families};
use super::records::decode_node;
use crate::error::Result;
use crate::storage::keys::read_u64;
use crate::storage::{Cf, Pages};
use crate::{Direction, EdgeId, EdgeRef, NodeId, Value};

/// Node ids in ascending order: every node, or those carrying a label.
/// From [`GraphRead::iter_node_ids`](crate::GraphRead::iter_node_ids) and
/// [`GraphRead::iter_nodes_with_label`](crate::GraphRead::iter_nodes_with_label).
pub struct NodeIds<'t> {
    pages: Option<Pages<'t>>,
    /// Where the node id sits in each key.
    at: usize,
}

impl<'t> NodeIds<'t> {
    pub(crate) fn all(r: Reader<'t>) -> NodeIds<'t> {
        NodeIds {
            pages: Some(Pages::range(r.kv, Cf::Nodes, &[], None)),
            at: 0,
        }
    }

    pub(crate) fn with_label(r: Reader<'t>, label: &str) -> NodeIds<'t> {
        NodeIds {
            pages: r
                .label_prefix(label)
                .map(|prefix| Pages::prefix(r.kv, Cf::Labels, &prefix)),
            at: 4,
        }
    }
}

impl Iterator for NodeIds<'_> {
    type Item = Result<NodeId>;

    fn next(&mut self) -> Option<Result<NodeId>> {
        let at = self.at;
        let entry = self.pages.as_mut()?.next_entry()?;
        Some(entry.and_then(|(k, _)| read_u64(k, at).map(NodeId)))
    }
}

/// Edge ids in ascending order, from
/// [`GraphRead::iter_edge_ids`](crate::GraphRead::iter_edge_ids).
pub struct EdgeIds<'t> {
    pages: Pages<'t>,
}

impl<'t> EdgeIds<'t> {
    pub(crate) fn all(r: Reader<'t>) -> EdgeIds<'t> {
        EdgeIds {
            pages: Pages::range(r.kv, Cf::Edges, &[], None),
        }
    }
}

impl Iterator for EdgeIds<'_> {
    type Item = Result<EdgeId>;

    fn next(&mut self) -> Option<Result<EdgeId>> {
        let entry = self.pages.next_entry()?;
        Some(entry.and_then(|(k, _)| read_u64(k, 0).map(EdgeId)))
    }
}

/// The edges incident to one node, in the order of
/// [`GraphRead::edges`](crate::GraphRead::edges), from
/// [`GraphRead::iter_edges`](crate::GraphRead::iter_edges).
pub struct Edges<'t> {
    reader: Reader<'t>,
    /// The adjacency scans still to read (out before in), with whether
    /// each holds outgoing entries.
    scans: Vec<(Pages<'t>, bool)>,
}

impl<'t> Edges<'t> {
    /// `edge_type`: `None` = every type; `Err(())` = a type that does not
    /// exist (nothing matches).
    pub(crate) fn of(
        r: Reader<'t>,
        node: NodeId,
        dir: Direction,
        edge_type: Result<Option<u32>, ()>,
    ) -> Edges<'t> {
        let scans = match edge_type {
            Err(()) => Vec::new(),
            Ok(t) => {
                let prefix = keys::adj_prefix(node, t);
                adjacency_families(dir)
                    .iter()
                    .rev()
                    .map(|&(cf, outgoing)| (Pages::prefix(r.kv, cf, &prefix), outgoing))
                    .collect()
            }
        };
        Edges { reader: r, scans }
    }
}

impl Iterator for Edges<'_> {
    type Item = Result<EdgeRef>;

    fn next(&mut self) -> Option<Result<EdgeRef>> {
        loop {
            let (pages, outgoing) = self.scans.last_mut()?;
            let outgoing = *outgoing;
            match pages.next_entry() {
                None => {
                    self.scans.pop();
                }
                Some(entry) => {
                    let reader = self.reader;
                    return Some(
                        entry.and_then(|(k, _)| reader.edge_ref(AdjEntry::decode(k, outgoing)?)),
                    );
                }
            }
        }
    }
}

/// The nodes holding one property, with its value, by node id, from
/// [`GraphRead::iter_property_values`](crate::GraphRead::iter_property_values).
/// One sequential read of the node records.
pub struct PropertyValues<'t> {
    pages: Option<Pages<'t>>,
    key: u32,
}

impl<'t> PropertyValues<'t> {
    pub(crate) fn of(r: Reader<'t>, key: Option<u32>) -> PropertyValues<'t> {
        PropertyValues {
            pages: key.map(|_| Pages::range(r.kv, Cf::Nodes, &[], None)),
            key: key.unwrap_or(u32::MAX),
        }
    }
}

impl Iterator for PropertyValues<'_> {
    type Item = Result<(NodeId, Value)>;

    fn next(&mut self) -> Option<Result<(NodeId, Value)>> {
        let key = self.key;
        loop {
            let found = self.pages.as_mut()?.next_entry()?.and_then(|(k, v)| {
                let rec = decode_node(v)?;
                Ok(match rec.prop(key) {
                    Some(value) => Some((NodeId(read_u64(k, 0)?), value.clone())),
                    None => None,
                })
            });
            match found {
                Ok(None) => {}
                Ok(Some(item)) => return Some(Ok(item)),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
