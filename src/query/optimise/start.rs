//! The start of a chain: which of its node patterns a match begins at
//! when none is bound, chosen by cost from the snapshot's statistics
//! (nodes per label and distinct values per indexed key, kept by every
//! commit; label sizes counted up to a cap from the label index when a
//! directory has none). Called when a plan runs and by `EXPLAIN`, so both
//! show the same start.

use rustc_hash::FxHashMap;

use crate::graph::NodeIds;
use crate::graph::dict::Kind;
use crate::graph::read::Reader;
use crate::graph::stats::Kept;
use crate::query::error::QResult;
use crate::query::plan::pattern::{Chain, NodePat, Pattern, Seek};

/// Label index entries read at most per label to compare label sizes.
pub(crate) const COUNT_CAP: usize = 4096;

/// The choices made from the statistics, once per matcher: the start of
/// each chain and the order of each pattern's chains (by address).
#[derive(Default)]
pub(crate) struct Starts {
    chains: FxHashMap<usize, usize>,
    orders: FxHashMap<usize, Vec<usize>>,
}

/// The nodes a scan starting at labelled pattern `n` is estimated to
/// read, by the statistics: its smallest label's size, divided for each
/// inline property (and the property its `WHERE` seeks, `NodePat::seek`)
/// by that key's distinct values under the label when an index or unique
/// key counts them (a unique key's value is one node); a property no
/// index counts is not estimated. One node when its `WHERE` names its
/// id. `None` without labels.
pub(crate) fn start_estimate(r: Reader<'_>, kept: Kept<'_>, n: &NodePat) -> QResult<Option<f64>> {
    if n.seek == Some(Seek::Id) {
        return Ok(Some(1.0));
    }
    let schema = r.schema()?;
    let mut best: Option<f64> = None;
    for label in &n.labels {
        let Some(l) = r.names.id(Kind::Label, label) else {
            // No node has it: nothing to read.
            return Ok(Some(0.0));
        };
        let mut rows = kept.label(l)? as f64;
        let sought = match &n.seek {
            Some(Seek::Key(key)) => Some(key),
            _ => None,
        };
        for key in n.props.iter().map(|(key, _)| key).chain(sought) {
            let Some(k) = r.names.id(Kind::PropKey, key) else {
                rows = 0.0;
                continue;
            };
            if schema.unique.contains(&(l, k)) {
                rows = rows.min(1.0);
            } else {
                let distinct = kept.distinct(l, k)?;
                if distinct > 0 {
                    rows /= distinct as f64;
                }
            }
        }
        best = Some(best.map_or(rows, |b| b.min(rows)));
    }
    Ok(best)
}

/// The node pattern to start chain `c` at when none is bound: the first
/// its `WHERE` names by id, if any. With the
/// statistics: the labelled pattern with the fewest estimated start
/// nodes ([`start_estimate`], which weighs a property the `WHERE` seeks
/// as an inline one; ties go to the compiler's rank — labelled with
/// properties, then labelled — then to the planned start). Without
/// them: of the patterns the compiler ranks first, the one with the
/// smallest label, compared by reading their label index entries side by
/// side, one entry of each in turn, until one label ends (about the
/// smaller size times the number of labels, never a whole large label;
/// after [`COUNT_CAP`] entries each, the planned pattern is kept).
pub(crate) fn start_of(r: Reader<'_>, c: &Chain, chosen: &mut Starts) -> QResult<usize> {
    // A node its WHERE names by id reads a node or a few: nothing less.
    if let Some(s) = c.nodes.iter().position(|n| n.seek == Some(Seek::Id)) {
        return Ok(s);
    }
    let planned = rank(&c.nodes[c.start]);
    let labelled = c.nodes.iter().filter(|n| rank(n) < 2).count();
    if planned == 2 || labelled < 2 {
        return Ok(c.start);
    }
    let address = std::ptr::from_ref(c) as usize;
    if let Some(&s) = chosen.chains.get(&address) {
        return Ok(s);
    }
    if let Some(kept) = Kept::of(r.kv)? {
        let mut best: Option<(f64, u8, bool, usize)> = None;
        for (i, n) in c.nodes.iter().enumerate() {
            let Some(rows) = start_estimate(r, kept, n)? else {
                continue;
            };
            // Fewest rows, then rank, then the planned start.
            let candidate = (rows, rank(n), i != c.start, i);
            if best.is_none_or(|b| (candidate.0, candidate.1, candidate.2) < (b.0, b.1, b.2)) {
                best = Some(candidate);
            }
        }
        let s = best.map_or(c.start, |b| b.3);
        chosen.chains.insert(address, s);
        return Ok(s);
    }
    if c.nodes.iter().filter(|n| rank(n) == planned).count() < 2 {
        return Ok(c.start);
    }
    let mut labels: Vec<&String> = c
        .nodes
        .iter()
        .filter(|n| rank(n) == planned)
        .flat_map(|n| &n.labels)
        .collect();
    labels.sort();
    labels.dedup();
    let mut smallest = None;
    let mut scans: Vec<NodeIds<'_>> = labels.iter().map(|l| NodeIds::with_label(r, l)).collect();
    'count: for _ in 0..=COUNT_CAP {
        for (label, scan) in labels.iter().zip(&mut scans) {
            let Some(id) = scan.next() else {
                smallest = Some(*label);
                break 'count;
            };
            id?;
        }
    }
    let s = smallest
        .and_then(|l| {
            let holds = |i: &usize| rank(&c.nodes[*i]) == planned && c.nodes[*i].labels.contains(l);
            std::iter::once(c.start).chain(0..c.nodes.len()).find(holds)
        })
        .unwrap_or(c.start);
    chosen.chains.insert(address, s);
    Ok(s)
}

/// The compiler's rank of a start: named by id in the `WHERE`, or
/// labelled with inline properties or a property the `WHERE` seeks, then
/// labelled, then the rest.
fn rank(n: &NodePat) -> u8 {
    match (n.labels.is_empty(), n.props.is_empty() && n.seek.is_none()) {
        _ if n.seek == Some(Seek::Id) => 0,
        (false, false) => 0,
        (false, true) => 1,
        _ => 2,
    }
}

/// The order the chains of pattern `p` run in (rule `ChainOrder`): a
/// chain that shares a node with one placed before it (or starts at a
/// node bound earlier) goes next, in the statement's order, as it only
/// expands from what is bound; when none does, the chain whose start
/// reads the fewest nodes by the statistics ([`start_estimate`] of its
/// [`start_of`]; an unlabelled start reads every node), ties to the start
/// the compiler ranks first (inline properties count where no index
/// estimates them), then to the statement's order; `shortestPath` chains last, once their ends are
/// bound. Without statistics, and for one chain, the statement's order.
/// A relationship is used once in a match whatever the order, so the
/// rows are the same.
pub(crate) fn chain_order<'s>(
    r: Reader<'_>,
    p: &Pattern,
    chosen: &'s mut Starts,
) -> QResult<&'s [usize]> {
    let address = std::ptr::from_ref(p) as usize;
    if !chosen.orders.contains_key(&address) {
        let order = match Kept::of(r.kv)? {
            Some(kept) if p.chains.len() > 1 => by_cost(r, kept, p, chosen)?,
            _ => (0..p.chains.len()).collect(),
        };
        chosen.orders.insert(address, order);
    }
    Ok(chosen.orders.get(&address).map_or(&[], Vec::as_slice))
}

/// [`chain_order`] with the statistics.
fn by_cost(r: Reader<'_>, kept: Kept<'_>, p: &Pattern, chosen: &mut Starts) -> QResult<Vec<usize>> {
    let mut bound: Vec<usize> = p
        .chains
        .iter()
        .flat_map(|c| &c.nodes)
        .filter(|n| n.earlier)
        .map(|n| n.slot)
        .collect();
    let mut left: Vec<usize> = (0..p.chains.len()).collect();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let plain = |i: &usize| p.chains[*i].shortest.is_none();
        let connected = left
            .iter()
            .position(|i| plain(i) && p.chains[*i].nodes.iter().any(|n| bound.contains(&n.slot)));
        let at = match connected {
            Some(at) => at,
            None => cheapest(r, kept, p, &left, chosen)?,
        };
        let i = left.remove(at);
        bound.extend(p.chains[i].nodes.iter().map(|n| n.slot));
        order.push(i);
    }
    Ok(order)
}

/// The position in `left` of the chain (not a shortest path) whose start
/// reads the fewest nodes, ties to the compiler's rank, then to the first.
fn cheapest(
    r: Reader<'_>,
    kept: Kept<'_>,
    p: &Pattern,
    left: &[usize],
    chosen: &mut Starts,
) -> QResult<usize> {
    let mut best: Option<(f64, u8, usize)> = None;
    for (at, &i) in left.iter().enumerate() {
        let c = &p.chains[i];
        if c.shortest.is_some() {
            continue;
        }
        let np = &c.nodes[start_of(r, c, chosen)?];
        let rows = start_estimate(r, kept, np)?.unwrap_or(f64::INFINITY);
        if best.is_none_or(|(b, k, _)| (rows, rank(np)) < (b, k)) {
            best = Some((rows, rank(np), at));
        }
    }
    Ok(best.map_or(0, |(.., at)| at))
}

/// How many nodes carry `label`: from the statistics, else counted up to
/// `cap` (`cap + 1`: more).
pub(crate) fn label_size(r: Reader<'_>, label: &str, cap: usize) -> QResult<usize> {
    if let Some(kept) = Kept::of(r.kv)? {
        let n = kept.label_named(r.names, label)?;
        return Ok(usize::try_from(n).unwrap_or(usize::MAX));
    }
    let mut k = 0;
    for id in NodeIds::with_label(r, label).take(cap + 1) {
        id?;
        k += 1;
    }
    Ok(k)
}
