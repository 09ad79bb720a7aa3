//! Reading the graph: one implementation, used by read transactions (on a
//! snapshot) and write transactions (on their uncommitted view) alike.

use std::collections::{BTreeMap, BTreeSet};

use parking_lot::RwLock;

use super::dict::{Dictionary, Kind, Names};
use super::keys;
use super::records::{
    DeclaredIndexes, EdgeRecord, GraphInfoRecord, NodeRecord, Required, RequiredRule, Schema,
    SchemaNames, decode_edge, decode_node, default_index_name,
};
use super::stats;
use super::{Census, Edge, EdgeRef, GraphInfo, Node, PropertyIndex};
use crate::error::{Error, Result};
use crate::storage::keys::{
    KeyNumber, NUMBER_TAGS, compare_key_numbers, key_number, loose_key, order_prefix, prefix_end,
    read_u32, read_u64, value_key,
};
use crate::storage::schema::meta;
use crate::storage::{Cf, Cursor, KvRead, Pages, codec};
use crate::{Direction, EdgeId, NodeId, Props, Value};

/// Nodes in a label from which [`Reader::nodes_with_label`] reads it by a
/// whole-range scan.
const BULK_LABEL: usize = 1 << 14;

impl Names for RwLock<Dictionary> {
    fn id(&self, kind: Kind, name: &str) -> Option<u32> {
        self.read().id(kind, name)
    }

    fn name(&self, kind: Kind, id: u32) -> Result<String> {
        Names::name(&*self.read(), kind, id)
    }

    fn count(&self, kind: Kind) -> usize {
        self.read().len(kind)
    }
}

/// [`Reader::each_node`] scans a range when it wants at least one
/// node in this many ids.
pub const SCAN_SPREAD: u64 = 8;

/// The read operations over any key-value view.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    pub kv: &'a dyn KvRead,
    pub names: &'a dyn Names,
}

/// One adjacency entry as seen from the node it was scanned from.
#[derive(Clone, Copy, Debug)]
pub struct AdjEntry {
    pub edge: EdgeId,
    pub source: NodeId,
    pub target: NodeId,
    pub edge_type: u32,
}

impl AdjEntry {
    /// Decodes an entry scanned from `out` (`outgoing`) or `in`.
    pub fn decode(key: &[u8], outgoing: bool) -> Result<AdjEntry> {
        let k = keys::decode_adj(key)?;
        let (source, target) = if outgoing {
            (k.node, k.other)
        } else {
            (k.other, k.node)
        };
        Ok(AdjEntry {
            edge: k.edge,
            source,
            target,
            edge_type: k.edge_type,
        })
    }
}

/// The column families a direction reads, with whether each holds
/// outgoing entries.
pub fn adjacency_families(dir: Direction) -> &'static [(Cf, bool)] {
    match dir {
        Direction::Out => &[(Cf::Out, true)],
        Direction::In => &[(Cf::In, false)],
        Direction::Both => &[(Cf::Out, true), (Cf::In, false)],
    }
}

/// Cursors on `out` and `in`, for traversals that scan many adjacency
/// lists: each scan is a seek on an open iterator.
pub struct AdjCursors<'a> {
    out: Box<dyn Cursor + 'a>,
    inc: Box<dyn Cursor + 'a>,
}

impl<'a> AdjCursors<'a> {
    pub fn new(kv: &'a dyn KvRead) -> Result<Self> {
        Ok(AdjCursors {
            out: kv.cursor(Cf::Out)?,
            inc: kv.cursor(Cf::In)?,
        })
    }

    /// See [`Reader::scan_adjacency`].
    pub fn scan(
        &mut self,
        node: NodeId,
        dir: Direction,
        edge_type: Option<u32>,
        visit: &mut dyn FnMut(AdjEntry, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        self.scan_prefix(&keys::adj_prefix(node, edge_type), dir, visit)
    }

    /// The edges of one type between `node` and `other` (in `dir` from
    /// `node`): one seek, whatever the degree of `node`.
    pub fn scan_between(
        &mut self,
        node: NodeId,
        dir: Direction,
        edge_type: u32,
        other: NodeId,
        visit: &mut dyn FnMut(AdjEntry, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let mut prefix = keys::adj_prefix(node, Some(edge_type));
        prefix.extend_from_slice(&other.0.to_be_bytes());
        self.scan_prefix(&prefix, dir, visit)
    }

    fn scan_prefix(
        &mut self,
        prefix: &[u8],
        dir: Direction,
        visit: &mut dyn FnMut(AdjEntry, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        let mut go_on = true;
        for &(cf, outgoing) in adjacency_families(dir) {
            if !go_on {
                break;
            }
            let cursor = if outgoing {
                &mut self.out
            } else {
                &mut self.inc
            };
            debug_assert_eq!(cf == Cf::Out, outgoing);
            cursor.scan(prefix, &mut |key, value| {
                go_on = visit(AdjEntry::decode(key, outgoing)?, value)?;
                Ok(go_on)
            })?;
        }
        Ok(())
    }
}

pub fn read_counter(kv: &dyn KvRead, key: &[u8]) -> Result<u64> {
    match kv.get(Cf::Meta, key)? {
        Some(v) => read_u64(&v, 0),
        None => Err(Error::corruption(format!(
            "meta key {} is missing",
            String::from_utf8_lossy(key)
        ))),
    }
}

impl<'a> Reader<'a> {
    pub fn node_record(&self, id: NodeId) -> Result<Option<NodeRecord>> {
        self.kv
            .get(Cf::Nodes, &id.0.to_be_bytes())?
            .map(|b| decode_node(&b))
            .transpose()
    }

    pub fn edge_record(&self, id: EdgeId) -> Result<Option<EdgeRecord>> {
        self.kv
            .get(Cf::Edges, &id.0.to_be_bytes())?
            .map(|b| decode_edge(&b))
            .transpose()
    }

    pub fn require_node(&self, id: NodeId) -> Result<NodeRecord> {
        self.node_record(id)?.ok_or(Error::NodeNotFound(id))
    }

    pub fn require_edge(&self, id: EdgeId) -> Result<EdgeRecord> {
        self.edge_record(id)?.ok_or(Error::EdgeNotFound(id))
    }

    /// Calls `visit` with the record of each of `ids` (sorted and
    /// distinct), in that order; fails with [`Error::NodeNotFound`] on the
    /// first that is not a node. Ids dense in the id space (at least one
    /// in [`SCAN_SPREAD`]) are read with one range scan, which costs a
    /// fraction of a lookup per record passed; sparse ones with one lookup
    /// each.
    pub fn each_node(
        &self,
        ids: &[NodeId],
        visit: &mut dyn FnMut(NodeId, NodeRecord) -> Result<()>,
    ) -> Result<()> {
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            return Ok(());
        };
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let span = last.0 - first.0 + 1;
        if span / SCAN_SPREAD > ids.len() as u64 {
            return ids
                .iter()
                .try_for_each(|&id| visit(id, self.require_node(id)?));
        }
        let mut wanted = ids.iter().copied().peekable();
        let end = last.0.checked_add(1).map(u64::to_be_bytes);
        // Many records read once: leave the block cache to point reads.
        let read = if ids.len() >= BULK_LABEL {
            KvRead::scan_bulk
        } else {
            KvRead::scan_range
        };
        read(
            self.kv,
            Cf::Nodes,
            &first.0.to_be_bytes(),
            end.as_ref().map(<[u8; 8]>::as_slice),
            &mut |key, value| {
                let id = read_u64(key, 0)?;
                match wanted.peek() {
                    Some(w) if w.0 < id => return Err(Error::NodeNotFound(*w)),
                    Some(w) if w.0 == id => {
                        visit(*w, decode_node(value)?)?;
                        wanted.next();
                    }
                    _ => {}
                }
                Ok(wanted.peek().is_some())
            },
        )?;
        match wanted.next() {
            Some(missing) => Err(Error::NodeNotFound(missing)),
            None => Ok(()),
        }
    }

    pub fn contains_node(&self, id: NodeId) -> Result<bool> {
        Ok(self.kv.get(Cf::Nodes, &id.0.to_be_bytes())?.is_some())
    }

    pub fn props(&self, props: &[(u32, Value)]) -> Result<Props> {
        props
            .iter()
            .map(|(k, v)| Ok((self.names.name(Kind::PropKey, *k)?, v.clone())))
            .collect()
    }

    pub fn node(&self, id: NodeId) -> Result<Option<Node>> {
        let Some(rec) = self.node_record(id)? else {
            return Ok(None);
        };
        let mut labels = rec
            .labels
            .iter()
            .map(|l| self.names.name(Kind::Label, *l))
            .collect::<Result<Vec<_>>>()?;
        labels.sort_unstable();
        Ok(Some(Node {
            id,
            labels,
            props: self.props(&rec.props)?,
        }))
    }

    pub fn edge(&self, id: EdgeId) -> Result<Option<Edge>> {
        let Some(rec) = self.edge_record(id)? else {
            return Ok(None);
        };
        Ok(Some(Edge {
            id,
            source: rec.src,
            target: rec.dst,
            edge_type: self.names.name(Kind::EdgeType, rec.edge_type)?,
            props: self.props(&rec.props)?,
        }))
    }

    /// Visits the adjacency entries of `node` in `dir`, optionally of one
    /// edge type, with the stored numeric properties of each edge.
    pub fn scan_adjacency(
        &self,
        node: NodeId,
        dir: Direction,
        edge_type: Option<u32>,
        visit: &mut dyn FnMut(AdjEntry, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        AdjCursors::new(self.kv)?.scan(node, dir, edge_type, visit)
    }

    /// Resolves an optional edge-type name to a scan filter; `Err(())`
    /// means a type that does not exist, which matches no edge.
    pub fn type_filter(&self, edge_type: Option<&str>) -> Result<Option<u32>, ()> {
        match edge_type {
            None => Ok(None),
            Some(name) => self.names.id(Kind::EdgeType, name).map(Some).ok_or(()),
        }
    }

    /// The public form of an adjacency entry.
    pub fn edge_ref(&self, e: AdjEntry) -> Result<EdgeRef> {
        Ok(EdgeRef {
            id: e.edge,
            source: e.source,
            target: e.target,
            edge_type: self.names.name(Kind::EdgeType, e.edge_type)?,
        })
    }

    pub fn edges(
        &self,
        node: NodeId,
        dir: Direction,
        edge_type: Option<&str>,
    ) -> Result<Vec<EdgeRef>> {
        if !self.contains_node(node)? {
            return Err(Error::NodeNotFound(node));
        }
        let Ok(filter) = self.type_filter(edge_type) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        self.scan_adjacency(node, dir, filter, &mut |e, _| {
            out.push(self.edge_ref(e)?);
            Ok(true)
        })?;
        Ok(out)
    }

    pub fn neighbors(
        &self,
        node: NodeId,
        dir: Direction,
        edge_type: Option<&str>,
    ) -> Result<Vec<NodeId>> {
        if !self.contains_node(node)? {
            return Err(Error::NodeNotFound(node));
        }
        let Ok(filter) = self.type_filter(edge_type) else {
            return Ok(Vec::new());
        };
        let mut out = BTreeSet::new();
        self.scan_adjacency(node, dir, filter, &mut |e, _| {
            out.insert(if e.source == node { e.target } else { e.source });
            Ok(true)
        })?;
        Ok(out.into_iter().collect())
    }

    /// The distinct edges incident to `node` (a self-loop once).
    pub fn incident_edges(&self, node: NodeId) -> Result<BTreeSet<EdgeId>> {
        let mut out = BTreeSet::new();
        self.scan_adjacency(node, Direction::Both, None, &mut |e, _| {
            out.insert(e.edge);
            Ok(true)
        })?;
        Ok(out)
    }

    /// The `labels` prefix of `label`'s nodes, or `None` for a label that
    /// does not exist (no node carries it).
    pub fn label_prefix(&self, label: &str) -> Option<[u8; 4]> {
        self.names.id(Kind::Label, label).map(u32::to_be_bytes)
    }

    /// `label`'s nodes, ascending. Sized by the statistics; a large label
    /// is read by a whole-range scan that leaves the block cache to point
    /// reads (the list is then the only memory it takes).
    pub fn nodes_with_label(&self, label: &str) -> Result<Vec<NodeId>> {
        let Some(prefix) = self.label_prefix(label) else {
            return Ok(Vec::new());
        };
        let expected = match stats::Kept::of(self.kv)? {
            Some(kept) => usize::try_from(kept.label_named(self.names, label)?).unwrap_or(0),
            None => 0,
        };
        let mut out = Vec::with_capacity(expected);
        let mut visit = |key: &[u8], _: &[u8]| {
            out.push(keys::label_node(key)?);
            Ok(true)
        };
        if expected >= BULK_LABEL {
            let end = crate::storage::keys::prefix_end(&prefix);
            self.kv
                .scan_bulk(Cf::Labels, &prefix, end.as_deref(), &mut visit)?;
        } else {
            self.kv.scan(Cf::Labels, &prefix, &mut visit)?;
        }
        Ok(out)
    }

    /// Every key of `cf`, by a whole-range scan (the records it passes
    /// over stay out of the block cache).
    fn ids(&self, cf: Cf) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        self.kv.scan_bulk(cf, &[], None, &mut |key, _| {
            out.push(read_u64(key, 0)?);
            Ok(true)
        })?;
        Ok(out)
    }

    pub fn node_ids(&self) -> Result<Vec<NodeId>> {
        Ok(self.ids(Cf::Nodes)?.into_iter().map(NodeId).collect())
    }

    pub fn edge_ids(&self) -> Result<Vec<EdgeId>> {
        Ok(self.ids(Cf::Edges)?.into_iter().map(EdgeId).collect())
    }

    /// Nodes per label and edges per type, by name: scans of the `labels`
    /// and `out` column families, O(V + E).
    /// The counts kept by commits (see `stats.rs`); a scan of the label
    /// index and the adjacency (labels and types only) while they are
    /// being counted again after a bulk import.
    pub fn census(&self) -> Result<Census> {
        let Some(counts) = stats::read(self.kv)? else {
            return self.census_by_scan();
        };
        let label = |l: u32| stats::label_name(self, l);
        let name = |kind: Kind, id: u32| self.names.name(kind, id);
        Ok(Census {
            labels: counts
                .labels
                .iter()
                .map(|(&l, &n)| Ok((label(l)?, n)))
                .collect::<Result<_>>()?,
            edge_types: counts
                .types
                .iter()
                .map(|(&t, &n)| Ok((name(Kind::EdgeType, t)?, n)))
                .collect::<Result<_>>()?,
            patterns: counts
                .patterns
                .iter()
                .map(|(&(s, t, d), &n)| Ok((label(s)?, name(Kind::EdgeType, t)?, label(d)?, n)))
                .collect::<Result<_>>()?,
            distinct: counts
                .distinct
                .iter()
                .map(|(&(l, k), &n)| Ok((label(l)?, name(Kind::PropKey, k)?, n)))
                .collect::<Result<_>>()?,
        })
    }

    fn census_by_scan(&self) -> Result<Census> {
        let mut labels: BTreeMap<u32, u64> = BTreeMap::new();
        self.kv.scan_bulk(Cf::Labels, &[], None, &mut |k, _| {
            *labels.entry(read_u32(k, 0)?).or_default() += 1;
            Ok(true)
        })?;
        let mut types: BTreeMap<u32, u64> = BTreeMap::new();
        self.kv.scan_bulk(Cf::Out, &[], None, &mut |k, _| {
            *types.entry(keys::decode_adj(k)?.edge_type).or_default() += 1;
            Ok(true)
        })?;
        let named = |kind: Kind, m: BTreeMap<u32, u64>| {
            m.into_iter()
                .map(|(id, n)| Ok((self.names.name(kind, id)?, n)))
                .collect::<Result<Vec<_>>>()
        };
        Ok(Census {
            labels: named(Kind::Label, labels)?,
            edge_types: named(Kind::EdgeType, types)?,
            patterns: Vec::new(),
            distinct: Vec::new(),
        })
    }

    pub fn schema(&self) -> Result<Schema> {
        match self.kv.get(Cf::Meta, meta::SCHEMA)? {
            Some(b) => codec::decode(&b, "schema"),
            None => Ok(Schema::default()),
        }
    }

    pub fn graph_info(&self) -> Result<GraphInfo> {
        let Some(bytes) = self.kv.get(Cf::Meta, meta::GRAPH)? else {
            return Ok(GraphInfo::default());
        };
        let rec: GraphInfoRecord = codec::decode(&bytes, "graph record")?;
        if rec.version != 1 {
            return Err(Error::corruption(format!(
                "the graph record has version {}, this build knows 1",
                rec.version
            )));
        }
        Ok(GraphInfo {
            undirected: rec.undirected,
            weight: rec.weight,
        })
    }

    pub fn schema_names(&self) -> Result<SchemaNames> {
        match self.kv.get(Cf::Meta, meta::SCHEMA_NAMES)? {
            Some(b) => codec::decode(&b, "schema names"),
            None => Ok(SchemaNames::default()),
        }
    }

    /// Calls `visit` with each node (`node 12`) or relationship that
    /// `rule` covers and that lacks its property, until it returns
    /// `false`.
    pub fn lacking(
        &self,
        rule: &RequiredRule,
        visit: &mut dyn FnMut(String) -> bool,
    ) -> Result<()> {
        if rule.relationship {
            for id in self.edge_ids()? {
                let edge = self.require_edge(id)?;
                if edge.edge_type == rule.owner
                    && rule.missing(&edge.props)
                    && !visit(format!("relationship {}", id.0))
                {
                    return Ok(());
                }
            }
        } else {
            for id in self.nodes_with_label(&rule.owner_name)? {
                if rule.missing(&self.require_node(id)?.props) && !visit(format!("node {}", id.0)) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The existence constraints (none when the record is absent).
    pub fn required(&self) -> Result<Required> {
        match self.kv.get(Cf::Meta, meta::REQUIRED)? {
            Some(b) => codec::decode(&b, "existence constraints"),
            None => Ok(Required::default()),
        }
    }

    /// The range indexes declared but not materialised (see
    /// [`DeclaredIndexes`]).
    pub fn declared_indexes(&self) -> Result<DeclaredIndexes> {
        match self.kv.get(Cf::Meta, meta::DECLARED_INDEXES)? {
            Some(b) => codec::decode(&b, "declared indexes"),
            None => Ok(DeclaredIndexes::default()),
        }
    }

    pub fn indexes(&self) -> Result<Vec<PropertyIndex>> {
        let schema = self.schema()?;
        let given = self.schema_names()?;
        let info = |&(label, key): &(u32, u32), unique| -> Result<PropertyIndex> {
            let (label_name, key_name) = (
                self.names.name(Kind::Label, label)?,
                self.names.name(Kind::PropKey, key)?,
            );
            let name = given
                .names
                .iter()
                .find(|(l, k, _)| (*l, *k) == (label, key))
                .map_or_else(
                    || default_index_name(&label_name, &key_name, unique),
                    |(_, _, n)| n.clone(),
                );
            Ok(PropertyIndex {
                label: label_name,
                key: key_name,
                unique,
                name,
            })
        };
        let unique = schema.unique.iter().map(|p| info(p, true));
        let plain = schema.indexed.iter().map(|p| info(p, false));
        unique.chain(plain).collect()
    }

    /// `(label id, key id, unique?)` of a declared index, or `NotIndexed`.
    fn declared(&self, label: &str, key: &str) -> Result<(u32, u32, bool)> {
        let not_indexed = || Error::NotIndexed {
            label: label.to_owned(),
            key: key.to_owned(),
        };
        let (Some(l), Some(k)) = (
            self.names.id(Kind::Label, label),
            self.names.id(Kind::PropKey, key),
        ) else {
            return Err(not_indexed());
        };
        let schema = self.schema()?;
        if schema.unique.contains(&(l, k)) {
            Ok((l, k, true))
        } else if schema.indexed.contains(&(l, k)) {
            Ok((l, k, false))
        } else {
            Err(not_indexed())
        }
    }

    fn unique_lookup(&self, label: u32, key: u32, value: &Value) -> Result<Option<NodeId>> {
        self.kv
            .get(Cf::Unique, &keys::label_key_value(label, key, value))?
            .map(|b| read_u64(&b, 0).map(NodeId))
            .transpose()
    }

    pub fn node_by_key(&self, label: &str, key: &str, value: &Value) -> Result<Option<NodeId>> {
        value.validate(key)?;
        match self.declared(label, key)? {
            (l, k, true) => self.unique_lookup(l, k, value),
            _ => Err(Error::NotIndexed {
                label: label.to_owned(),
                key: key.to_owned(),
            }),
        }
    }

    /// The nodes with `label` whose `key` lies within the bounds (each a
    /// value and whether it is included) by Cypher's comparison, read
    /// lazily from the index or unique key on `(label, key)` in the
    /// order of its entries (by value). `None` when none covers the pair,
    /// when no bound is given, or when the bounds are not of one type with
    /// an order here (integers and floats count as one: numbers are
    /// compared exactly across them).
    pub fn nodes_in_range(
        &self,
        label: &str,
        key: &str,
        lower: Option<(&Value, bool)>,
        upper: Option<(&Value, bool)>,
    ) -> Result<Option<RangeNodes<'a>>> {
        let (l, k, unique) = match self.declared(label, key) {
            Ok(found) => found,
            Err(Error::NotIndexed { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let given: Vec<&Value> = [lower, upper].iter().flatten().map(|(v, _)| *v).collect();
        if given.is_empty() {
            return Ok(None);
        }
        let base = keys::label_key(l, k);
        let cf = if unique { Cf::Unique } else { Cf::Index };
        let with = |tail: &[u8]| [base.as_slice(), tail].concat();
        let after = |key: Vec<u8>| prefix_end(&key);
        let mut ranges = Vec::new();
        let numbers = given.iter().all(|v| is_number(v));
        if numbers {
            // Each number type's keys in a range that holds every match;
            // each entry is then checked exactly.
            for tag in NUMBER_TAGS {
                let from =
                    lower.map_or_else(|| with(&[tag]), |(v, _)| with(&loose_key(v, tag, false)));
                let to = match upper {
                    Some((v, _)) => after(with(&loose_key(v, tag, true))),
                    None => after(with(&[tag])),
                };
                ranges.push(Pages::range(self.kv, cf, &from, to.as_deref()));
            }
        } else {
            let Some(prefixes) = given
                .iter()
                .map(|v| order_prefix(v))
                .collect::<Option<Vec<_>>>()
            else {
                return Ok(None);
            };
            let tag = prefixes[0][0];
            if prefixes.iter().any(|p| p[0] != tag) {
                return Ok(None);
            }
            // The order prefix of a bound orders against every key of its
            // type as the values compare: the range is exact.
            let from = match lower {
                Some((v, included)) => {
                    let p = with(&order_prefix(v).unwrap_or_default());
                    if included { Some(p) } else { after(p) }
                }
                None => Some(with(&[tag])),
            };
            let to = match upper {
                Some((v, included)) => {
                    let p = with(&order_prefix(v).unwrap_or_default());
                    if included { after(p) } else { Some(p) }
                }
                None => after(with(&[tag])),
            };
            if let Some(from) = from
                && to.as_ref().is_none_or(|to| from < *to)
            {
                ranges.push(Pages::range(self.kv, cf, &from, to.as_deref()));
            }
        }
        // A number bound as the entries' numbers read back.
        let bound = |b: Option<(&Value, bool)>| {
            b.and_then(|(v, included)| Some((key_number(&value_key(v))?, included)))
        };
        Ok(Some(RangeNodes {
            ranges,
            unique,
            skip: base.len(),
            check: numbers.then(|| (bound(lower), bound(upper))),
        }))
    }

    pub fn nodes_by_property(&self, label: &str, key: &str, value: &Value) -> Result<Vec<NodeId>> {
        value.validate(key)?;
        let (l, k, unique) = self.declared(label, key)?;
        if unique {
            return Ok(self.unique_lookup(l, k, value)?.into_iter().collect());
        }
        let prefix = keys::label_key_value(l, k, value);
        let mut out = Vec::new();
        self.kv.scan(Cf::Index, &prefix, &mut |key, _| {
            out.push(NodeId(read_u64(key, prefix.len())?));
            Ok(true)
        })?;
        Ok(out)
    }
}

/// Whether `v` is a number a range compares (not NaN).
fn is_number(v: &Value) -> bool {
    match v {
        Value::Int(_) => true,
        Value::Float(f) => !f.is_nan(),
        _ => false,
    }
}

/// Whether number `n` lies within the bounds (each a number and whether
/// it is included); a NaN lies within none.
fn number_within(
    n: KeyNumber,
    lower: Option<(KeyNumber, bool)>,
    upper: Option<(KeyNumber, bool)>,
) -> bool {
    use std::cmp::Ordering::{Greater, Less};
    if matches!(n, KeyNumber::Float(f) if f.is_nan()) {
        return false;
    }
    let low = lower.is_none_or(|(b, inc)| {
        let o = compare_key_numbers(n, b);
        o == Greater || (inc && o.is_eq())
    });
    let high = upper.is_none_or(|(b, inc)| {
        let o = compare_key_numbers(n, b);
        o == Less || (inc && o.is_eq())
    });
    low && high
}

/// The nodes of an index range ([`Reader::nodes_in_range`]), read a page
/// at a time, so a match stopped early reads few entries.
pub struct RangeNodes<'a> {
    ranges: Vec<Pages<'a>>,
    unique: bool,
    /// The bytes of `label · key` before each entry's value-key.
    skip: usize,
    /// For numbers: the bounds each entry is checked against.
    #[allow(clippy::type_complexity, reason = "two optional bounds")]
    check: Option<(Option<(KeyNumber, bool)>, Option<(KeyNumber, bool)>)>,
}

impl Iterator for RangeNodes<'_> {
    type Item = Result<NodeId>;

    fn next(&mut self) -> Option<Result<NodeId>> {
        loop {
            let pages = self.ranges.first_mut()?;
            let Some(entry) = pages.next_entry() else {
                self.ranges.remove(0);
                continue;
            };
            let (key, value) = match entry {
                Ok(kv) => kv,
                Err(e) => return Some(Err(e)),
            };
            if let Some((lower, upper)) = &self.check {
                let keep = key
                    .get(self.skip..)
                    .and_then(key_number)
                    .is_some_and(|n| number_within(n, *lower, *upper));
                if !keep {
                    continue;
                }
            }
            return Some(if self.unique {
                read_u64(value, 0).map(NodeId)
            } else {
                read_u64(key, key.len().saturating_sub(8)).map(NodeId)
            });
        }
    }
}
