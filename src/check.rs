//! The consistency check: every invariant of `docs/FORMAT.md`, verified on
//! one snapshot.
//!
//! The graph is checked in two passes. The fast pass reads every column
//! family once, in key order: it derives from the node and edge records the
//! label, unique-key, index and adjacency entries they imply, and compares
//! them with the stored ones as order-independent fingerprints (entry count
//! and a wrapping sum of 64-bit `SipHash` digests of key and value), with
//! node existence from a bitmap — O(V + E) sequential reads and V bits of
//! memory. Only if a fingerprint differs does the detailed pass run: one
//! point read per cross-reference, which names each bad entry.

use std::collections::BTreeSet;

use crate::db::Database;
use crate::error::Result;
use crate::graph::dict::Kind;
use crate::graph::read::{Reader, decode_edge, decode_node, read_counter};
use crate::graph::records::{EdgeRecord, NodeRecord};
use crate::storage::schema::meta;
use crate::storage::{Cf, keys};
use crate::vector::record::{CollectionRecord, decode_point, point_key};
use crate::{EdgeId, NodeId};

/// What [`Database::check`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Nodes checked.
    pub nodes: u64,
    /// Edges checked.
    pub edges: u64,
    /// Vector points checked.
    pub points: u64,
    /// Every inconsistency found (empty when the database is consistent);
    /// at most [`MAX_PROBLEMS`] are listed.
    pub problems: Vec<String>,
}

/// The most problems a report lists.
pub const MAX_PROBLEMS: usize = 1_000;

impl CheckReport {
    /// Whether no inconsistency was found.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// One line: what was checked and the verdict, e.g. "12 nodes, 30
    /// edges, 5 vector points: consistent".
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{} nodes, {} edges, {} vector points: {}",
            self.nodes,
            self.edges,
            self.points,
            if self.is_ok() {
                "consistent"
            } else {
                "INCONSISTENT"
            }
        )
    }

    fn problem(&mut self, what: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(what);
        }
    }
}

impl Database {
    /// Verifies the stored data against every invariant of the on-disk
    /// format on one consistent snapshot: edges ↔ both adjacency entries
    /// (with their numeric properties) ↔ existing endpoints; labels, unique
    /// keys and indexes ↔ nodes and schema; counters ↔ contents;
    /// dictionary ids; vector keys ↔ points ↔ collection counts; node-bound
    /// points ↔ live nodes; in-memory vector indexes ↔ stored counts.
    ///
    /// Storage errors are returned as errors; inconsistencies are listed in
    /// the report. Reads everything once: O(V + E + points).
    pub fn check(&self) -> Result<CheckReport> {
        let snapshot = self.store().snapshot();
        let mut report = CheckReport::default();
        self.reader_with(&snapshot, |r| {
            check_graph(r, &mut report)?;
            check_vectors(self, r, &mut report)
        })?;
        Ok(report)
    }
}

/// An order-independent digest of a set of entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Print {
    count: u64,
    sum: u64,
}

impl Print {
    fn add(&mut self, key: &[u8], value: &[u8]) {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        key.hash(&mut h);
        value.hash(&mut h);
        self.count += 1;
        self.sum = self.sum.wrapping_add(h.finish());
    }
}

fn stored_print(r: &Reader<'_>, cf: Cf) -> Result<Print> {
    let mut p = Print::default();
    r.kv.scan_bulk(cf, &[], None, &mut |k, v| {
        p.add(k, v);
        Ok(true)
    })?;
    Ok(p)
}

/// The problems of node `id`'s own record: its id against the counter,
/// and its dictionary ids (both passes).
fn node_problems(
    r: &Reader<'_>,
    id: NodeId,
    rec: &NodeRecord,
    next_node: u64,
    problems: &mut Vec<String>,
) {
    if id.0 >= next_node {
        problems.push(format!("node {id} is not below next_node {next_node}"));
    }
    for &l in &rec.labels {
        if r.names.name(Kind::Label, l).is_err() {
            problems.push(format!("node {id}: unknown label id {l}"));
        }
    }
    for (k, _) in &rec.props {
        if r.names.name(Kind::PropKey, *k).is_err() {
            problems.push(format!("node {id}: unknown property key id {k}"));
        }
    }
}

/// The problems of edge `id`'s own record: its id against the counter, its
/// type, and its endpoints (`exists` says whether a node does; both
/// passes).
fn edge_problems(
    r: &Reader<'_>,
    id: EdgeId,
    rec: &EdgeRecord,
    next_edge: u64,
    problems: &mut Vec<String>,
    mut exists: impl FnMut(NodeId) -> Result<bool>,
) -> Result<()> {
    if id.0 >= next_edge {
        problems.push(format!("edge {id} is not below next_edge {next_edge}"));
    }
    if r.names.name(Kind::EdgeType, rec.edge_type).is_err() {
        problems.push(format!("edge {id}: unknown edge type id {}", rec.edge_type));
    }
    for end in [rec.src, rec.dst] {
        if !exists(end)? {
            problems.push(format!("edge {id}: endpoint {end} does not exist"));
        }
    }
    Ok(())
}

/// The fast pass. Returns `false` when a fingerprint differs (the detailed
/// pass must then name the problems); problems it can name itself are
/// added to `rep`.
#[allow(
    clippy::too_many_lines,
    reason = "one pass over nodes then edges; splitting it scatters the fingerprints"
)]
fn check_graph_fast(r: &Reader<'_>, rep: &mut CheckReport) -> Result<bool> {
    let kv = r.kv;
    let schema = r.schema()?;
    let next_node = read_counter(kv, meta::NEXT_NODE)?;
    let next_edge = read_counter(kv, meta::NEXT_EDGE)?;
    let mut exists = fixedbitset::FixedBitSet::with_capacity(next_node as usize);
    let (mut labels, mut unique, mut index) =
        (Print::default(), Print::default(), Print::default());
    let mut problems = Vec::new();
    let mut nodes = 0;
    kv.scan_bulk(Cf::Nodes, &[], None, &mut |k, v| {
        let id = NodeId(keys::read_u64(k, 0)?);
        nodes += 1;
        let rec = match decode_node(v) {
            Ok(rec) => rec,
            Err(e) => {
                problems.push(format!("node {id}: {e}"));
                return Ok(true);
            }
        };
        node_problems(r, id, &rec, next_node, &mut problems);
        if id.0 < next_node {
            exists.insert(id.0 as usize);
        }
        for &l in &rec.labels {
            labels.add(&keys::label(l, id), &[]);
        }
        for &(l, key) in &schema.unique {
            if let (true, Some(value)) = (rec.has_label(l), rec.prop(key)) {
                unique.add(&keys::label_key_value(l, key, value), &id.0.to_be_bytes());
            }
        }
        for &(l, key) in &schema.indexed {
            if let (true, Some(value)) = (rec.has_label(l), rec.prop(key)) {
                index.add(&keys::index_entry(l, key, value, id), &[]);
            }
        }
        Ok(true)
    })?;
    let (mut out, mut inc) = (Print::default(), Print::default());
    let mut edges = 0;
    kv.scan_bulk(Cf::Edges, &[], None, &mut |k, v| {
        let id = EdgeId(keys::read_u64(k, 0)?);
        edges += 1;
        let rec = match decode_edge(v) {
            Ok(rec) => rec,
            Err(e) => {
                problems.push(format!("edge {id}: {e}"));
                return Ok(true);
            }
        };
        edge_problems(r, id, &rec, next_edge, &mut problems, |end| {
            Ok(exists.contains(end.0 as usize))
        })?;
        let numeric = keys::numeric_props(&rec.numeric_props());
        out.add(&keys::adj(rec.src, rec.edge_type, rec.dst, id), &numeric);
        inc.add(&keys::adj(rec.dst, rec.edge_type, rec.src, id), &numeric);
        Ok(true)
    })?;
    rep.nodes = nodes;
    rep.edges = edges;
    for (key, counted) in [(meta::NODE_COUNT, nodes), (meta::EDGE_COUNT, edges)] {
        let stored = read_counter(kv, key)?;
        if stored != counted {
            problems.push(format!(
                "{} is {stored}, but {counted} are stored",
                String::from_utf8_lossy(key)
            ));
        }
    }
    let mut same = true;
    for (cf, expected) in [
        (Cf::Labels, labels),
        (Cf::Unique, unique),
        (Cf::Index, index),
        (Cf::Out, out),
        (Cf::In, inc),
    ] {
        same &= stored_print(r, cf)? == expected;
    }
    if same {
        for p in problems {
            rep.problem(p);
        }
    }
    Ok(same)
}

fn check_graph(r: &Reader<'_>, rep: &mut CheckReport) -> Result<()> {
    if check_graph_fast(r, rep)? {
        return Ok(());
    }
    let before = rep.problems.len();
    *rep = CheckReport {
        problems: std::mem::take(&mut rep.problems),
        ..CheckReport::default()
    };
    check_graph_detailed(r, rep)?;
    if rep.problems.len() == before {
        rep.problem(
            "derived entries (labels, unique keys, indexes or adjacency) differ from what the \
             records imply, but no single entry could be named"
                .into(),
        );
    }
    Ok(())
}

fn check_graph_detailed(r: &Reader<'_>, rep: &mut CheckReport) -> Result<()> {
    let kv = r.kv;
    let schema = r.schema()?;
    let next_node = read_counter(kv, meta::NEXT_NODE)?;

    // Nodes: ids, dictionary, derived label / unique / index entries.
    let mut problems = Vec::new();
    kv.scan(Cf::Nodes, &[], &mut |k, v| {
        let id = NodeId(keys::read_u64(k, 0)?);
        rep.nodes += 1;
        let rec = match decode_node(v) {
            Ok(rec) => rec,
            Err(e) => {
                problems.push(format!("node {id}: {e}"));
                return Ok(true);
            }
        };
        node_problems(r, id, &rec, next_node, &mut problems);
        for &l in &rec.labels {
            if kv.get(Cf::Labels, &keys::label(l, id))?.is_none() {
                problems.push(format!("node {id}: label entry {l} missing"));
            }
        }
        for &(l, key) in &schema.unique {
            if let (true, Some(value)) = (rec.has_label(l), rec.prop(key)) {
                let holder = kv.get(Cf::Unique, &keys::label_key_value(l, key, value))?;
                if holder.as_deref() != Some(&id.0.to_be_bytes()[..]) {
                    problems.push(format!(
                        "node {id}: unique entry ({l}, {key}) missing or held by another node"
                    ));
                }
            }
        }
        for &(l, key) in &schema.indexed {
            if let (true, Some(value)) = (rec.has_label(l), rec.prop(key))
                && kv
                    .get(Cf::Index, &keys::index_entry(l, key, value, id))?
                    .is_none()
            {
                problems.push(format!("node {id}: index entry ({l}, {key}) missing"));
            }
        }
        Ok(true)
    })?;
    // Label, unique and index entries must point at nodes that carry them.
    kv.scan(Cf::Labels, &[], &mut |k, _| {
        let (l, id) = (keys::read_u32(k, 0)?, NodeId(keys::read_u64(k, 4)?));
        match r.node_record(id)? {
            Some(rec) if rec.has_label(l) => {}
            _ => problems.push(format!("label entry {l} for node {id}, which lacks it")),
        }
        Ok(true)
    })?;
    kv.scan(Cf::Unique, &[], &mut |k, v| {
        let (l, key) = (keys::read_u32(k, 0)?, keys::read_u32(k, 4)?);
        let id = NodeId(keys::read_u64(v, 0)?);
        let ok = schema.unique.contains(&(l, key))
            && r.node_record(id)?.is_some_and(|rec| {
                rec.has_label(l)
                    && rec
                        .prop(key)
                        .is_some_and(|val| keys::label_key_value(l, key, val) == k)
            });
        if !ok {
            problems.push(format!("stale unique entry ({l}, {key}) -> node {id}"));
        }
        Ok(true)
    })?;
    kv.scan(Cf::Index, &[], &mut |k, _| {
        let (l, key) = (keys::read_u32(k, 0)?, keys::read_u32(k, 4)?);
        let id = NodeId(keys::read_u64(k, k.len() - 8)?);
        let ok = schema.indexed.contains(&(l, key))
            && r.node_record(id)?.is_some_and(|rec| {
                rec.has_label(l)
                    && rec
                        .prop(key)
                        .is_some_and(|val| keys::index_entry(l, key, val, id) == k)
            });
        if !ok {
            problems.push(format!("stale index entry ({l}, {key}) -> node {id}"));
        }
        Ok(true)
    })?;

    check_edges(r, rep, &mut problems)?;
    for p in problems {
        rep.problem(p);
    }
    Ok(())
}

/// Edges ↔ adjacency entries ↔ endpoints, and the counters.
fn check_edges(r: &Reader<'_>, rep: &mut CheckReport, problems: &mut Vec<String>) -> Result<()> {
    let kv = r.kv;
    let next_edge = read_counter(kv, meta::NEXT_EDGE)?;
    kv.scan(Cf::Edges, &[], &mut |k, v| {
        let id = EdgeId(keys::read_u64(k, 0)?);
        rep.edges += 1;
        let rec = match decode_edge(v) {
            Ok(rec) => rec,
            Err(e) => {
                problems.push(format!("edge {id}: {e}"));
                return Ok(true);
            }
        };
        edge_problems(r, id, &rec, next_edge, problems, |end| r.contains_node(end))?;
        let numeric = keys::numeric_props(&rec.numeric_props());
        for (cf, key) in [
            (Cf::Out, keys::adj(rec.src, rec.edge_type, rec.dst, id)),
            (Cf::In, keys::adj(rec.dst, rec.edge_type, rec.src, id)),
        ] {
            match kv.get(cf, &key)? {
                Some(value) if value == numeric => {}
                Some(_) => problems.push(format!(
                    "edge {id}: stale properties in its {} entry",
                    cf.spec().name
                )),
                None => problems.push(format!(
                    "edge {id}: its {} entry is missing",
                    cf.spec().name
                )),
            }
        }
        Ok(true)
    })?;
    for (cf, outgoing) in [(Cf::Out, true), (Cf::In, false)] {
        kv.scan(cf, &[], &mut |k, _| {
            let a = keys::decode_adj(k)?;
            let (src, dst) = if outgoing {
                (a.node, a.other)
            } else {
                (a.other, a.node)
            };
            match r.edge_record(a.edge)? {
                Some(e) if e.src == src && e.dst == dst && e.edge_type == a.edge_type => {}
                _ => problems.push(format!(
                    "{} entry of edge {} does not match an edge",
                    cf.spec().name,
                    a.edge
                )),
            }
            Ok(true)
        })?;
    }
    for (key, counted) in [(meta::NODE_COUNT, rep.nodes), (meta::EDGE_COUNT, rep.edges)] {
        let stored = read_counter(kv, key)?;
        if stored != counted {
            problems.push(format!(
                "{} is {stored}, but {counted} are stored",
                String::from_utf8_lossy(key)
            ));
        }
    }
    Ok(())
}

fn check_vectors(db: &Database, r: &Reader<'_>, rep: &mut CheckReport) -> Result<()> {
    let kv = r.kv;
    let mut collections = Vec::new();
    kv.scan(Cf::Collections, &[], &mut |k, v| {
        collections.push((
            String::from_utf8_lossy(k).into_owned(),
            CollectionRecord::decode(v)?,
        ));
        Ok(true)
    })?;
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for (name, rec) in &collections {
        ids.insert(rec.id);
        let prefix = rec.id.to_be_bytes();
        let mut live = 0u64;
        kv.scan(Cf::Vectors, &prefix, &mut |k, v| {
            let slot = keys::read_u64(k, 4)?;
            live += 1;
            let point = match decode_point(v, rec.config.dim) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(format!("{name}: slot {slot}: {e}"));
                    return Ok(true);
                }
            };
            if slot >= rec.next_slot {
                problems.push(format!(
                    "{name}: slot {slot} is not below next_slot {}",
                    rec.next_slot
                ));
            }
            let mapped = kv.get(Cf::VectorKeys, &point_key(rec.id, point.key))?;
            if mapped.as_deref() != Some(&slot.to_be_bytes()[..]) {
                problems.push(format!(
                    "{name}: point {} in slot {slot} is not what its key maps to",
                    point.key
                ));
            }
            if rec.config.bound_to_nodes && !r.contains_node(NodeId(point.key))? {
                problems.push(format!(
                    "{name}: point {} is bound to a missing node",
                    point.key
                ));
            }
            Ok(true)
        })?;
        kv.scan(Cf::VectorKeys, &prefix, &mut |k, v| {
            let (key, slot) = (keys::read_u64(k, 4)?, keys::read_u64(v, 0)?);
            if kv.get(Cf::Vectors, &point_key(rec.id, slot))?.is_none() {
                problems.push(format!("{name}: key {key} maps to empty slot {slot}"));
            }
            Ok(true)
        })?;
        rep.points += live;
        if live != rec.count {
            problems.push(format!(
                "{name}: count is {}, but {live} points are stored",
                rec.count
            ));
        }
        if let Some(indexed) = db.indexed_points(rec.id)
            && indexed as u64 != live
        {
            problems.push(format!(
                "{name}: the index holds {indexed} live points, storage {live}"
            ));
        }
    }
    // No point may belong to a collection that does not exist.
    for cf in [Cf::Vectors, Cf::VectorKeys] {
        kv.scan(cf, &[], &mut |k, _| {
            let id = keys::read_u32(k, 0)?;
            if !ids.contains(&id) {
                problems.push(format!(
                    "{} entry of unknown collection {id}",
                    cf.spec().name
                ));
                return Ok(false);
            }
            Ok(true)
        })?;
    }
    for p in problems {
        rep.problem(p);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::props;
    use crate::storage::Changes;
    use crate::vector::{CollectionConfig, Metric};

    #[test]
    fn the_check_finds_damage_that_the_api_cannot_make() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let mut w = db.begin_write().unwrap();
        w.create_unique_key("P", "name").unwrap();
        let a = w.add_node(&["P"], props! {"name" => "a"}).unwrap();
        let b = w.add_node(&["P"], props! {"name" => "b"}).unwrap();
        let edge = w.add_edge(a, b, "T", props! {"w" => 2.0}).unwrap();
        w.create_collection("v", CollectionConfig::new(2, Metric::L2).bound_to_nodes())
            .unwrap();
        w.upsert_vector("v", a.0, &[1.0, 2.0], props! {}).unwrap();
        w.commit().unwrap();
        let report = db.check().unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
        assert_eq!((report.nodes, report.edges, report.points), (2, 1, 1));

        // Drop an adjacency entry, a label entry and a vector key; make the
        // node counter wrong.
        let ty = db.dict().read().id(Kind::EdgeType, "T").unwrap();
        let label = db.dict().read().id(Kind::Label, "P").unwrap();
        let mut damage = Changes::default();
        damage.delete(Cf::In, keys::adj(b, ty, a, edge));
        damage.delete(Cf::Labels, keys::label(label, b));
        damage.delete(Cf::VectorKeys, point_key(0, a.0));
        damage.put(Cf::Meta, meta::NODE_COUNT, 5u64.to_be_bytes());
        db.store().write(&damage, true).unwrap();
        let all = db.check().unwrap().problems.join("\n");
        for expected in [
            "its in entry is missing",
            "label entry",
            "is not what its key maps to",
            "node_count is 5",
        ] {
            assert!(
                all.contains(expected),
                "{expected:?} not reported in:\n{all}"
            );
        }
    }
}
