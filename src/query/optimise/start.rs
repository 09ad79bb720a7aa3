//! The start of a chain: which of its node patterns a match begins at
//! when none is bound, chosen by cost from the snapshot's statistics
//! (nodes per label, kept by every commit; counted up to a cap from the
//! label index when a directory has none). Called when a plan runs and by
//! `EXPLAIN`, so both show the same start.

use rustc_hash::FxHashMap;

use crate::graph::NodeIds;
use crate::graph::read::Reader;
use crate::graph::stats::Kept;
use crate::query::error::QResult;
use crate::query::plan::pattern::{Chain, NodePat};

/// Label index entries read at most per label to compare label sizes.
pub(crate) const COUNT_CAP: usize = 4096;

/// The start chosen per chain (by address), once per matcher.
pub(crate) type Starts = FxHashMap<usize, usize>;

/// The node pattern to start chain `c` at when none is bound: of the
/// patterns the compiler ranks first (labelled with properties, else
/// labelled, else any), the one with the smallest label. Label sizes are
/// compared by reading their label index entries side by side, one
/// entry of each in turn, until one label ends: that costs about the
/// smaller size times the number of labels, never a whole large label
/// (after [`COUNT_CAP`] entries each, the planned pattern is kept).
pub(crate) fn start_of(r: Reader<'_>, c: &Chain, chosen: &mut Starts) -> QResult<usize> {
    let rank = |n: &NodePat| match (n.labels.is_empty(), n.props.is_empty()) {
        (false, false) => 0,
        (false, true) => 1,
        _ => 2,
    };
    let planned = rank(&c.nodes[c.start]);
    if planned == 2 || c.nodes.iter().filter(|n| rank(n) == planned).count() < 2 {
        return Ok(c.start);
    }
    let address = std::ptr::from_ref(c) as usize;
    if let Some(&s) = chosen.get(&address) {
        return Ok(s);
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
    if let Some(kept) = Kept::of(r.kv)? {
        // The statistics know every label's size.
        let mut best = None;
        for &label in &labels {
            let n = kept.label_named(r.names, label)?;
            if best.is_none_or(|(m, _)| n < m) {
                best = Some((n, label));
            }
        }
        smallest = best.map(|(_, l)| l);
    } else {
        let mut scans: Vec<NodeIds<'_>> =
            labels.iter().map(|l| NodeIds::with_label(r, l)).collect();
        'count: for _ in 0..=COUNT_CAP {
            for (label, scan) in labels.iter().zip(&mut scans) {
                let Some(id) = scan.next() else {
                    smallest = Some(*label);
                    break 'count;
                };
                id?;
            }
        }
    }
    let s = smallest
        .and_then(|l| {
            let holds = |i: &usize| rank(&c.nodes[*i]) == planned && c.nodes[*i].labels.contains(l);
            std::iter::once(c.start).chain(0..c.nodes.len()).find(holds)
        })
        .unwrap_or(c.start);
    chosen.insert(address, s);
    Ok(s)
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
