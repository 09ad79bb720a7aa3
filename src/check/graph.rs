//! The graph part of the check, in two passes. The fast pass reads every
//! column family once, in key order: it derives from the node and edge
//! records the label, unique-key, index and adjacency entries they imply
//! (the graph's own `entries.rs`) and compares them with the stored ones
//! as order-independent fingerprints (entry count and a wrapping sum of
//! 64-bit `SipHash` digests of key and value), with node existence from a
//! bitmap — O(V + E) sequential reads and V bits of memory. Only if a
//! fingerprint differs does the detailed pass run: one point read per
//! cross-reference, which names each bad entry.

use super::CheckReport;
use crate::error::Result;
use crate::graph::dict::Kind;
use crate::graph::entries::{NodeEntry, edge_entries, node_entries};
use crate::graph::keys;
use crate::graph::read::{Reader, read_counter};
use crate::graph::records::{EdgeRecord, NodeRecord, decode_edge, decode_node};
use crate::graph::stats;
use crate::storage::keys::{read_u32, read_u64};
use crate::storage::schema::meta;
use crate::storage::{Cf, KvRead};
use crate::{EdgeId, NodeId};

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

/// Calls `f(id, record, problems)` for every record of `cf` (`nodes` or
/// `edges`) in key order — read ahead, without filling the cache, when
/// `bulk` — and returns how many there are. A record that does not decode
/// is a problem, named with `what`, and skipped.
fn records<T>(
    kv: &dyn KvRead,
    cf: Cf,
    bulk: bool,
    (what, decode): RecordKind<T>,
    problems: &mut Vec<String>,
    mut f: impl FnMut(u64, T, &mut Vec<String>) -> Result<()>,
) -> Result<u64> {
    let mut n = 0;
    let mut visit = |k: &[u8], v: &[u8]| {
        let id = read_u64(k, 0)?;
        n += 1;
        match decode(v) {
            Ok(rec) => f(id, rec, problems)?,
            Err(e) => problems.push(format!("{what} {id}: {e}")),
        }
        Ok(true)
    };
    if bulk {
        kv.scan_bulk(cf, &[], None, &mut visit)?;
    } else {
        kv.scan(cf, &[], &mut visit)?;
    }
    Ok(n)
}

/// A kind of record: its name in problems, and its decoder.
type RecordKind<T> = (&'static str, fn(&[u8]) -> Result<T>);

const NODES: RecordKind<NodeRecord> = ("node", decode_node);
const EDGES: RecordKind<EdgeRecord> = ("edge", decode_edge);

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
    let nodes = records(
        kv,
        Cf::Nodes,
        true,
        NODES,
        &mut problems,
        |id, rec, problems| {
            let id = NodeId(id);
            node_problems(r, id, &rec, next_node, problems);
            if id.0 < next_node {
                exists.insert(id.0 as usize);
            }
            for entry in node_entries(&schema, &rec) {
                let print = match entry {
                    NodeEntry::Label(_) => &mut labels,
                    NodeEntry::Unique { .. } => &mut unique,
                    NodeEntry::Index { .. } => &mut index,
                };
                print.add(&entry.key(id), &entry.value(id));
            }
            Ok(())
        },
    )?;
    let (mut out, mut inc) = (Print::default(), Print::default());
    let edges = records(
        kv,
        Cf::Edges,
        true,
        EDGES,
        &mut problems,
        |id, rec, problems| {
            let id = EdgeId(id);
            edge_problems(r, id, &rec, next_edge, problems, |end| {
                Ok(exists.contains(end.0 as usize))
            })?;
            let (out_key, in_key, numeric) = edge_entries(id, &rec);
            out.add(&out_key, &numeric);
            inc.add(&in_key, &numeric);
            Ok(())
        },
    )?;
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

pub(super) fn check(r: &Reader<'_>, rep: &mut CheckReport) -> Result<()> {
    check_statistics(r, rep)?;
    check_required(r, rep)?;
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

/// Every node with a label (relationship of a type) that an existence
/// constraint covers has the property it requires.
fn check_required(r: &Reader<'_>, rep: &mut CheckReport) -> Result<()> {
    let rules = r.required()?.rules;
    if rules.is_empty() {
        return Ok(());
    }
    for rule in &rules {
        r.lacking(rule, &mut |entity| {
            rep.problem(rule.violated(entity).to_string());
            true
        })?;
    }
    Ok(())
}

/// The statistics kept by commits against a recount of the data (from the
/// derived entries, which the passes below check against the records).
fn check_statistics(r: &Reader<'_>, rep: &mut CheckReport) -> Result<()> {
    let Some(kept) = stats::read(r.kv)? else {
        rep.problem(
            "the statistics are incomplete (they are counted again at the next open)".into(),
        );
        return Ok(());
    };
    let counted = stats::recount(r, &r.schema()?)?;
    let mut differ = |what: &str, kept: String, counted: String| {
        rep.problem(format!("statistics: {what} kept {kept}, counted {counted}"));
    };
    for (what, a, b) in [
        ("nodes per label", &kept.labels, &counted.labels),
        ("relationships per type", &kept.types, &counted.types),
    ] {
        if a != b {
            differ(what, format!("{a:?}"), format!("{b:?}"));
        }
    }
    if kept.patterns != counted.patterns {
        differ(
            "relationships per (source label, type, target label)",
            format!("{} keys", kept.patterns.len()),
            format!("{} keys", counted.patterns.len()),
        );
    }
    if kept.distinct != counted.distinct {
        differ(
            "distinct values per index",
            format!("{:?}", kept.distinct),
            format!("{:?}", counted.distinct),
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
    rep.nodes = records(
        kv,
        Cf::Nodes,
        false,
        NODES,
        &mut problems,
        |id, rec, problems| {
            let id = NodeId(id);
            node_problems(r, id, &rec, next_node, problems);
            for entry in node_entries(&schema, &rec) {
                let stored = kv.get(entry.cf(), &entry.key(id))?;
                if stored.as_deref() == Some(&entry.value(id)[..]) {
                    continue;
                }
                problems.push(match entry {
                    NodeEntry::Label(l) => format!("node {id}: label entry {l} missing"),
                    NodeEntry::Unique { label, key, .. } => format!(
                        "node {id}: unique entry ({label}, {key}) missing or held by another node"
                    ),
                    NodeEntry::Index { label, key, .. } => {
                        format!("node {id}: index entry ({label}, {key}) missing")
                    }
                });
            }
            Ok(())
        },
    )?;
    // Label, unique and index entries must point at nodes that carry them.
    // Every stored entry must be one its node implies.
    let implied = |cf: Cf, id: NodeId, key: &[u8]| -> Result<bool> {
        Ok(r.node_record(id)?.is_some_and(|rec| {
            node_entries(&schema, &rec).any(|e| e.cf() == cf && e.key(id) == key)
        }))
    };
    kv.scan(Cf::Labels, &[], &mut |k, _| {
        let (l, id) = (read_u32(k, 0)?, keys::label_node(k)?);
        if !implied(Cf::Labels, id, k)? {
            problems.push(format!("label entry {l} for node {id}, which lacks it"));
        }
        Ok(true)
    })?;
    kv.scan(Cf::Unique, &[], &mut |k, v| {
        let (l, key) = (read_u32(k, 0)?, read_u32(k, 4)?);
        let id = NodeId(read_u64(v, 0)?);
        if !implied(Cf::Unique, id, k)? {
            problems.push(format!("stale unique entry ({l}, {key}) -> node {id}"));
        }
        Ok(true)
    })?;
    kv.scan(Cf::Index, &[], &mut |k, _| {
        let (l, key) = (read_u32(k, 0)?, read_u32(k, 4)?);
        let id = NodeId(read_u64(k, k.len() - 8)?);
        if !implied(Cf::Index, id, k)? {
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
    rep.edges = records(
        kv,
        Cf::Edges,
        false,
        EDGES,
        problems,
        |id, rec, problems| {
            let id = EdgeId(id);
            edge_problems(r, id, &rec, next_edge, problems, |end| r.contains_node(end))?;
            let (out_key, in_key, numeric) = edge_entries(id, &rec);
            for (cf, key) in [(Cf::Out, out_key), (Cf::In, in_key)] {
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
            Ok(())
        },
    )?;
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
