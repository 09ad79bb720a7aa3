//! Projections: a snapshot of the graph (or of a label / edge-type filtered
//! part of it) in compressed sparse row form, for whole-graph algorithms.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::graph::dict::Kind;
use crate::graph::keys;
use crate::graph::read::Reader;
use crate::graph::stats;
use crate::parallel;
use crate::storage::{Cf, KvRead};
use crate::{Direction, EdgeId, NodeId};

/// Which part of the graph to project, and which edge property (if any)
/// becomes the edge weight.
///
/// The default projects every node and every edge, unweighted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProjectionSpec {
    pub(crate) labels: Vec<String>,
    pub(crate) edge_types: Vec<String>,
    pub(crate) weight: Option<String>,
    pub(crate) default_weight: Option<f64>,
    pub(crate) undirected: Option<bool>,
}

impl ProjectionSpec {
    /// Every node and edge, unweighted.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Keep only nodes with at least one of `labels` (and the edges between
    /// them). Empty (the default) keeps every node.
    #[must_use]
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Keep only edges of these types. Empty (the default) keeps every edge.
    #[must_use]
    pub fn edge_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.edge_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Weight each edge by its numeric property `key`. An edge without it
    /// is an error unless [`default_weight`](Self::default_weight) is set; a
    /// negative weight is always an error.
    #[must_use]
    pub fn weight(mut self, key: impl Into<String>) -> Self {
        self.weight = Some(key.into());
        self
    }

    /// The weight of edges that lack the weight property.
    #[must_use]
    pub fn default_weight(mut self, weight: f64) -> Self {
        self.default_weight = Some(weight);
        self
    }

    /// Whether the projection's edges are meant in both directions
    /// ([`Projection::direction`]), overriding what the graph records
    /// ([`GraphInfo`](crate::GraphInfo), set by the importer).
    #[must_use]
    pub fn undirected(mut self, yes: bool) -> Self {
        self.undirected = Some(yes);
        self
    }
}

/// Dense index ↔ `NodeId`.
#[derive(Debug)]
enum IdIndex {
    /// The ids are exactly `first..first + len`: the dense index is
    /// `id - first`, no lookup (the usual case: no label filter, no deleted
    /// nodes). A table lookup per edge costs a cache miss on a large graph.
    Identity {
        first: u64,
        len: u64,
    },
    /// `map[id - first]` is the dense index, or `u32::MAX`.
    Dense {
        first: u64,
        map: Vec<u32>,
    },
    Sparse(HashMap<NodeId, u32>),
}

impl IdIndex {
    fn new(ids: &[NodeId]) -> IdIndex {
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            return IdIndex::Sparse(HashMap::new());
        };
        let span = last.0 - first.0 + 1;
        if span == ids.len() as u64 {
            IdIndex::Identity {
                first: first.0,
                len: span,
            }
        } else if span <= 4 * ids.len() as u64 + 1024 {
            let mut map = vec![u32::MAX; span as usize];
            for (i, id) in ids.iter().enumerate() {
                map[(id.0 - first.0) as usize] = i as u32;
            }
            IdIndex::Dense {
                first: first.0,
                map,
            }
        } else {
            IdIndex::Sparse(
                ids.iter()
                    .enumerate()
                    .map(|(i, id)| (*id, i as u32))
                    .collect(),
            )
        }
    }

    #[inline]
    fn get(&self, id: NodeId) -> Option<u32> {
        match self {
            IdIndex::Identity { first, len } => {
                let i = id.0.wrapping_sub(*first);
                (i < *len).then_some(i as u32)
            }
            IdIndex::Dense { first, map } => {
                id.0.checked_sub(*first)
                    .and_then(|i| map.get(usize::try_from(i).ok()?))
                    .copied()
                    .filter(|&i| i != u32::MAX)
            }
            IdIndex::Sparse(m) => m.get(&id).copied(),
        }
    }
}

/// One direction of adjacency in CSR form: the neighbours of dense node `i`
/// are `targets[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Default)]
pub(crate) struct Csr {
    pub offsets: Vec<usize>,
    pub targets: Vec<u32>,
    /// Empty when the projection is unweighted.
    pub weights: Vec<f64>,
}

impl Csr {
    #[inline]
    pub fn range(&self, i: u32) -> std::ops::Range<usize> {
        self.offsets[i as usize]..self.offsets[i as usize + 1]
    }

    /// The transpose, by counting sort: O(V + E).
    fn transpose(&self, n: usize) -> Csr {
        let mut offsets = vec![0usize; n + 1];
        for &t in &self.targets {
            offsets[t as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let e = self.targets.len();
        let mut targets = vec![0u32; e];
        let mut weights = vec![0.0; if self.weights.is_empty() { 0 } else { e }];
        for s in 0..n {
            for k in self.range(s as u32) {
                let t = self.targets[k] as usize;
                let at = fill[t];
                fill[t] += 1;
                targets[at] = s as u32;
                if !weights.is_empty() {
                    weights[at] = self.weights[k];
                }
            }
        }
        Csr {
            offsets,
            targets,
            weights,
        }
    }
}

/// A read-only, in-memory snapshot of (part of) the graph: nodes renumbered
/// densely `0..n` in `NodeId` order, out- and in-adjacency in CSR form, and
/// optional edge weights.
///
/// Built in O(V + E) from one ordered scan of the `out` column family (the
/// keys arrive sorted by source, so no per-edge insertion or sort is
/// needed). The algorithms in [`crate::algo`] run on it; it also implements
/// petgraph's visit traits (`&Projection`), so petgraph's algorithms run on
/// it directly.
#[derive(Debug)]
pub struct Projection {
    ids: Vec<NodeId>,
    index: IdIndex,
    pub(crate) out: Csr,
    /// The transpose of `out`, built on first use (WCC and SCC never need it).
    inc: OnceLock<Csr>,
    /// Each node's in-degree, counted on first use when the transpose is
    /// not built (4 bytes a node where the transpose takes 8 per node and
    /// 4 per edge).
    in_degrees: OnceLock<Vec<u32>>,
    weighted: bool,
    undirected: bool,
    /// Read from a file a previous process wrote (`stored.rs`), not built.
    from_file: bool,
    /// Reusable search state for point queries served by this projection.
    scratch: parking_lot::Mutex<Vec<Scratch>>,
}

/// Dense, epoch-stamped search state: `seen[side][v] == epoch` marks `v`
/// as reached from that side, so nothing is cleared between searches.
pub(crate) struct Scratch {
    pub epoch: u32,
    pub seen: [Vec<u32>; 2],
    pub parent: [Vec<u32>; 2],
    pub depth: [Vec<u32>; 2],
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            epoch: 0,
            seen: [vec![0; n], vec![0; n]],
            parent: [vec![0; n], vec![0; n]],
            depth: [vec![0; n], vec![0; n]],
        }
    }

    /// Starts a new search: a fresh epoch (arrays reset on wrap-around).
    pub fn begin(&mut self) -> u32 {
        if self.epoch == u32::MAX {
            for side in 0..2 {
                self.seen[side].fill(0);
            }
            self.epoch = 0;
        }
        self.epoch += 1;
        self.epoch
    }
}

impl Projection {
    pub(crate) fn build(r: &Reader<'_>, spec: &ProjectionSpec) -> Result<Projection> {
        let ids = if spec.labels.is_empty() {
            r.node_ids()?
        } else {
            let mut ids = Vec::new();
            for label in &spec.labels {
                ids.extend(r.nodes_with_label(label)?);
            }
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let index = IdIndex::new(&ids);
        let filter = EdgeFilter {
            types: (!spec.edge_types.is_empty()).then(|| {
                spec.edge_types
                    .iter()
                    .filter_map(|t| r.names.id(Kind::EdgeType, t))
                    .collect()
            }),
            weighting: match &spec.weight {
                None => Weighting::Unweighted,
                Some(w) => Weighting::By(r.names.id(Kind::PropKey, w)),
            },
            spec,
        };
        // The `out` keys are ordered by source, and dense indices follow
        // NodeId order, so each thread scans one contiguous range of sources
        // and the parts concatenate into the CSR.
        let n = ids.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(n / 4096 + 1);
        let bounds: Vec<usize> = (0..=threads).map(|t| t * n / threads).collect();
        // Sized by the relationships the statistics count (every one of
        // the types, for a projection of every node): one list holds them
        // all, each thread writing into its share of it (by its share of
        // the sources; what does not fit goes aside), and the shares are
        // then moved together in place — the lists are never held twice.
        let expected = match stats::Kept::of(r.kv)? {
            Some(kept) => {
                usize::try_from(kept.relationships(None, filter.types.as_deref(), None)?)
                    .unwrap_or(0)
            }
            None => 0,
        };
        let weighted = matches!(filter.weighting, Weighting::By(_));
        let starts: Vec<usize> = bounds
            .iter()
            .map(|&b| (expected as u128 * b as u128 / n.max(1) as u128) as usize)
            .collect();
        let mut out = Csr {
            offsets: vec![0usize; n + 1],
            targets: vec![0u32; expected],
            weights: vec![0f64; if weighted { expected } else { 0 }],
        };
        let mut jobs = Vec::with_capacity(threads);
        {
            let (mut offsets, mut targets) = (&mut out.offsets[1..], out.targets.as_mut_slice());
            let mut weights = out.weights.as_mut_slice();
            for t in 0..threads {
                let (o, rest) = offsets.split_at_mut(bounds[t + 1] - bounds[t]);
                let room = starts[t + 1] - starts[t];
                let (tg, rest_t) = targets.split_at_mut(room);
                let (w, rest_w) = weights.split_at_mut(if weighted { room } else { 0 });
                (offsets, targets, weights) = (rest, rest_t, rest_w);
                jobs.push((t, o, tg, w));
            }
        }
        let parts = parallel::each(jobs, |(t, ends, targets, weights)| {
            scan_part(
                r.kv,
                &index,
                &filter,
                &ids,
                (bounds[t], bounds[t + 1]),
                ends,
                targets,
                weights,
            )
        });
        let parts = parts.into_iter().collect::<Result<Vec<Part>>>()?;
        join_parts(&mut out, &parts, &starts, &bounds, weighted);
        let undirected = match spec.undirected {
            Some(yes) => yes,
            None => r.graph_info()?.undirected,
        };
        Ok(Projection::with_index(
            ids,
            index,
            out,
            spec.weight.is_some(),
            undirected,
            false,
        ))
    }

    /// A projection of parts read back from a file (`stored.rs` checked
    /// them) or handed over by a bulk load: ids ascending, offsets and
    /// targets in range.
    pub(crate) fn from_parts(
        ids: Vec<NodeId>,
        out: Csr,
        weighted: bool,
        undirected: bool,
        from_file: bool,
    ) -> Self {
        let index = IdIndex::new(&ids);
        Projection::with_index(ids, index, out, weighted, undirected, from_file)
    }

    fn with_index(
        ids: Vec<NodeId>,
        index: IdIndex,
        out: Csr,
        weighted: bool,
        undirected: bool,
        from_file: bool,
    ) -> Self {
        Projection {
            ids,
            index,
            out,
            inc: OnceLock::new(),
            in_degrees: OnceLock::new(),
            weighted,
            undirected,
            from_file,
            scratch: parking_lot::Mutex::new(Vec::new()),
        }
    }

    /// `Some(first)` when the node ids are exactly `first..first + n`.
    pub(crate) fn first_id(&self) -> Option<u64> {
        match self.index {
            IdIndex::Identity { first, .. } => Some(first),
            _ => None,
        }
    }

    /// Whether this projection was read from the file a previous process
    /// stored at its checkpoint or close (nothing committed since), rather
    /// than built from the graph. See [`Database::projection_cached`](crate::Database::projection_cached).
    #[must_use]
    pub fn from_file(&self) -> bool {
        self.from_file
    }

    pub(crate) fn inc(&self) -> &Csr {
        self.inc.get_or_init(|| self.out.transpose(self.ids.len()))
    }

    /// How many relationships leave (`out`) or enter dense node `i`, with
    /// multiplicity; an in-degree is read from the transpose when it is
    /// built, else from a count of every node's in-degree (no transpose is
    /// built for it).
    pub(crate) fn degree(&self, i: u32, out: bool) -> usize {
        if out {
            return self.out.range(i).len();
        }
        if let Some(inc) = self.inc.get() {
            return inc.range(i).len();
        }
        self.in_degrees.get_or_init(|| {
            let mut counts = vec![0u32; self.ids.len()];
            for &t in &self.out.targets {
                counts[t as usize] += 1;
            }
            counts
        })[i as usize] as usize
    }

    /// Runs `f` with a search scratch from the pool (created on first use,
    /// returned afterwards), so concurrent searches each get their own.
    pub(crate) fn with_scratch<T>(&self, f: impl FnOnce(&mut Scratch) -> T) -> T {
        let mut scratch = self
            .scratch
            .lock()
            .pop()
            .unwrap_or_else(|| Scratch::new(self.ids.len()));
        let out = f(&mut scratch);
        self.scratch.lock().push(scratch);
        out
    }

    /// The number of nodes.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// The number of edges.
    #[must_use]
    pub fn edge_count(&self) -> usize {
        self.out.targets.len()
    }

    /// Whether edges carry weights.
    #[must_use]
    pub fn is_weighted(&self) -> bool {
        self.weighted
    }

    /// Whether the edges are meant in both directions: as the graph
    /// records it ([`GraphInfo`](crate::GraphInfo)), unless the spec said
    /// otherwise.
    #[must_use]
    pub fn is_undirected(&self) -> bool {
        self.undirected
    }

    /// The direction to run kernels in by default: [`Direction::Both`] for
    /// an undirected graph, [`Direction::Out`] otherwise.
    #[must_use]
    pub fn direction(&self) -> Direction {
        if self.undirected {
            Direction::Both
        } else {
            Direction::Out
        }
    }

    /// The `NodeId` of dense index `i`.
    ///
    /// # Panics
    ///
    /// If `i >= node_count()`, like a slice index (the same holds for the
    /// other accessors taking a dense index).
    #[must_use]
    pub fn node_id(&self, i: u32) -> NodeId {
        self.ids[i as usize]
    }

    /// Every `NodeId`, by dense index (ascending).
    #[must_use]
    pub fn node_ids(&self) -> &[NodeId] {
        &self.ids
    }

    /// The dense index of `id`, or `None` if the projection does not hold it.
    #[must_use]
    pub fn index_of(&self, id: NodeId) -> Option<u32> {
        self.index.get(id)
    }

    /// The dense index of `id`, or [`Error::NodeNotFound`].
    pub fn require(&self, id: NodeId) -> Result<u32> {
        self.index_of(id).ok_or(Error::NodeNotFound(id))
    }

    /// Out-neighbours of dense node `i` (with multiplicity for parallel
    /// edges).
    #[must_use]
    pub fn out_neighbors(&self, i: u32) -> &[u32] {
        &self.out.targets[self.out.range(i)]
    }

    /// In-neighbours of dense node `i`.
    #[must_use]
    pub fn in_neighbors(&self, i: u32) -> &[u32] {
        let inc = self.inc();
        &inc.targets[inc.range(i)]
    }

    /// Approximate heap bytes held.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let csr = |c: &Csr| c.offsets.len() * 8 + c.targets.len() * 4 + c.weights.len() * 8;
        self.ids.len() * 8
            + csr(&self.out)
            + self.inc.get().map_or(0, csr)
            + self.in_degrees.get().map_or(0, |d| d.len() * 4)
            + match &self.index {
                IdIndex::Identity { .. } => 0,
                IdIndex::Dense { map, .. } => map.len() * 4,
                IdIndex::Sparse(m) => m.len() * 16,
            }
    }
}

/// Which edges a projection keeps, and how it weighs them.
struct EdgeFilter<'a> {
    /// `None` = every type.
    types: Option<Vec<u32>>,
    weighting: Weighting,
    spec: &'a ProjectionSpec,
}

/// How edges are weighed.
enum Weighting {
    Unweighted,
    /// By this property key id (`None`: the key names no property yet, so
    /// every edge lacks it).
    By(Option<u32>),
}

/// What one thread's scan of dense sources `lo..hi` left: how many
/// relationships fit its room, and those that did not.
struct Part {
    fitted: usize,
    targets: Vec<u32>,
    weights: Vec<f64>,
}

/// Scans the adjacency of dense sources `lo..hi`: each source's end
/// offset, counted from the part's first relationship, into `ends`; the
/// targets (and weights) into `targets` (and `weights`) while they have
/// room, the rest into the part's own lists.
#[allow(
    clippy::too_many_arguments,
    reason = "a thread's share: its sources and the three lists it fills"
)]
fn scan_part(
    kv: &dyn KvRead,
    index: &IdIndex,
    filter: &EdgeFilter<'_>,
    ids: &[NodeId],
    (lo, hi): (usize, usize),
    ends: &mut [usize],
    targets: &mut [u32],
    weights: &mut [f64],
) -> Result<Part> {
    let weighted = matches!(filter.weighting, Weighting::By(_));
    let mut part = Part {
        fitted: 0,
        targets: Vec::new(),
        weights: Vec::new(),
    };
    if lo == hi {
        return Ok(part);
    }
    let start = ids[lo].0.to_be_bytes();
    let end = ids.get(hi).map(|id| id.0.to_be_bytes());
    let mut count = 0;
    kv.scan_bulk(
        Cf::Out,
        &start,
        end.as_ref().map(<[u8; 8]>::as_slice),
        &mut |key, value| {
            let k = keys::decode_adj(key)?;
            if filter
                .types
                .as_ref()
                .is_some_and(|t| !t.contains(&k.edge_type))
            {
                return Ok(true);
            }
            let (Some(src), Some(dst)) = (index.get(k.node), index.get(k.other)) else {
                return Ok(true);
            };
            let weight = match filter.weighting {
                Weighting::By(wk) => edge_weight(value, wk, k.edge, filter.spec)?,
                Weighting::Unweighted => 0.0,
            };
            if count < targets.len() {
                targets[count] = dst;
                if weighted {
                    weights[count] = weight;
                }
                part.fitted += 1;
            } else {
                part.targets.push(dst);
                if weighted {
                    part.weights.push(weight);
                }
            }
            count += 1;
            ends[src as usize - lo] += 1;
            Ok(true)
        },
    )?;
    let mut total = 0;
    for e in ends.iter_mut() {
        total += *e;
        *e = total;
    }
    Ok(part)
}

/// Moves the parts' relationships together in `out` (part `t`'s room
/// starts at `starts[t]`; its sources are `bounds[t]..bounds[t + 1]`) so
/// each follows the part before, adds each part's start to its offsets,
/// and cuts the lists (`weighted`: the weights too) to their length. In place: a part moving left is
/// moved before the parts after it, one moving right after them (no
/// move overwrites a part not yet moved), the overflows last.
fn join_parts(out: &mut Csr, parts: &[Part], starts: &[usize], bounds: &[usize], weighted: bool) {
    let mut at = Vec::with_capacity(parts.len());
    let mut total = 0;
    for p in parts {
        at.push(total);
        total += p.fitted + p.targets.len();
    }
    if total > out.targets.len() {
        out.targets.resize(total, 0);
        if weighted {
            out.weights.resize(total, 0.0);
        }
    }
    let mut shift = |t: usize| {
        let (from, to, len) = (starts[t], at[t], parts[t].fitted);
        out.targets.copy_within(from..from + len, to);
        if weighted {
            out.weights.copy_within(from..from + len, to);
        }
    };
    for t in (0..parts.len()).filter(|&t| at[t] < starts[t]) {
        shift(t);
    }
    for t in (0..parts.len()).rev().filter(|&t| at[t] > starts[t]) {
        shift(t);
    }
    for (t, p) in parts.iter().enumerate() {
        let from = at[t] + p.fitted;
        out.targets[from..from + p.targets.len()].copy_from_slice(&p.targets);
        if weighted {
            out.weights[from..from + p.weights.len()].copy_from_slice(&p.weights);
        }
        for e in &mut out.offsets[bounds[t] + 1..=bounds[t + 1]] {
            *e += at[t];
        }
    }
    out.targets.truncate(total);
    out.weights.truncate(if weighted { total } else { 0 });
}

fn edge_weight(value: &[u8], key: Option<u32>, edge: EdgeId, spec: &ProjectionSpec) -> Result<f64> {
    let found = match key {
        Some(k) => keys::find_numeric(value, k)?,
        None => None,
    };
    check_weight(
        found,
        edge,
        spec.weight.as_deref().unwrap_or(""),
        spec.default_weight,
    )
}

/// Applies the weight rules: missing → default or error; negative → error.
pub(crate) fn check_weight(
    found: Option<f64>,
    edge: EdgeId,
    key: &str,
    default: Option<f64>,
) -> Result<f64> {
    match found.or(default) {
        None => Err(Error::invalid(format!(
            "edge {edge} has no numeric property {key:?} to use as a weight (set a default weight to allow this)"
        ))),
        Some(w) if w < 0.0 || w.is_nan() => Err(Error::invalid(format!(
            "edge {edge} has weight {w}; shortest paths need weights >= 0"
        ))),
        Some(w) => Ok(w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parts of a parallel scan, each filling its room in one list and
    /// putting the rest aside, join into the lists of the parts one
    /// after the other, whichever way each must move, weights with their
    /// targets, offsets shifted — also when the rooms were too small in
    /// all (statistics short of the truth) or larger than needed.
    #[test]
    fn parts_join_in_place_in_order() {
        let mut rng = crate::rng::Rng::new(11);
        for case in 0..500 {
            let k = 1 + rng.below(4) as usize;
            let counts: Vec<usize> = (0..k).map(|_| rng.below(40) as usize).collect();
            let sources: Vec<usize> = (0..k).map(|_| 1 + rng.below(5) as usize).collect();
            let total: usize = counts.iter().sum();
            let expected = match rng.below(3) {
                0 => total,
                1 => total / 2,
                _ => total + rng.below(30) as usize,
            };
            let mut bounds = vec![0];
            for s in &sources {
                bounds.push(bounds.last().unwrap() + s);
            }
            let n = *bounds.last().unwrap();
            let starts: Vec<usize> = bounds.iter().map(|&b| expected * b / n).collect();
            let mut out = Csr {
                offsets: vec![0; n + 1],
                targets: vec![0; expected],
                weights: vec![0.0; expected],
            };
            let (mut want_t, mut want_o) = (Vec::new(), vec![0usize]);
            let mut parts = Vec::new();
            for t in 0..k {
                let room = starts[t + 1] - starts[t];
                let mut part = Part {
                    fitted: 0,
                    targets: Vec::new(),
                    weights: Vec::new(),
                };
                for j in 0..counts[t] {
                    let v = (t * 1000 + j) as u32;
                    want_t.push(v);
                    if j < room {
                        out.targets[starts[t] + j] = v;
                        out.weights[starts[t] + j] = f64::from(v) / 2.0;
                        part.fitted += 1;
                    } else {
                        part.targets.push(v);
                        part.weights.push(f64::from(v) / 2.0);
                    }
                }
                // Every relationship of the part on its last source.
                for s in 0..sources[t] {
                    out.offsets[bounds[t] + 1 + s] =
                        if s + 1 == sources[t] { counts[t] } else { 0 };
                    want_o.push(
                        want_o.last().unwrap() + if s + 1 == sources[t] { counts[t] } else { 0 },
                    );
                }
                parts.push(part);
            }
            join_parts(&mut out, &parts, &starts, &bounds, true);
            assert_eq!(out.targets, want_t, "case {case}");
            let halves: Vec<f64> = want_t.iter().map(|&v| f64::from(v) / 2.0).collect();
            assert_eq!(out.weights, halves, "case {case}");
            assert_eq!(out.offsets, want_o, "case {case}");
        }
    }

    #[test]
    fn id_index_variants_agree() {
        let cases: [Vec<u64>; 3] = [
            (5..105).collect(),                        // contiguous: identity
            (0..300).filter(|i| i % 3 != 1).collect(), // holes: dense table
            vec![1, 1 << 20, 1 << 40, (1 << 40) + 1],  // far apart: hash map
        ];
        for ids in cases {
            let ids: Vec<NodeId> = ids.into_iter().map(NodeId).collect();
            let index = IdIndex::new(&ids);
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(index.get(*id), Some(i as u32), "{index:?}");
            }
            for absent in [0, 2, 4, 106, 299, 1 << 30, u64::MAX] {
                if !ids.contains(&NodeId(absent)) {
                    assert_eq!(index.get(NodeId(absent)), None, "{absent} in {index:?}");
                }
            }
        }
        assert!(matches!(
            IdIndex::new(&[NodeId(3), NodeId(4)]),
            IdIndex::Identity { .. }
        ));
        assert!(matches!(
            IdIndex::new(&[NodeId(3), NodeId(5)]),
            IdIndex::Dense { .. }
        ));
        assert!(matches!(
            IdIndex::new(&[NodeId(3), NodeId(1 << 40)]),
            IdIndex::Sparse(_)
        ));
    }

    #[test]
    fn degrees_agree_with_the_lists_with_or_without_the_transpose() {
        // 0→1, 0→2, 1→2, 2→2 (a self-loop), 3→0 twice (parallel).
        let out = Csr {
            offsets: vec![0, 2, 3, 4, 6],
            targets: vec![1, 2, 2, 2, 0, 0],
            weights: Vec::new(),
        };
        let ids: Vec<NodeId> = (10..14).map(NodeId).collect();
        let p = Projection {
            index: IdIndex::new(&ids),
            ids,
            out,
            inc: OnceLock::new(),
            in_degrees: OnceLock::new(),
            weighted: false,
            undirected: false,
            from_file: false,
            scratch: parking_lot::Mutex::new(Vec::new()),
        };
        let (ins, outs) = ([2, 1, 3, 0], [2, 1, 1, 2]);
        for i in 0..4u32 {
            assert_eq!(p.degree(i, false), ins[i as usize], "in-degree of {i}");
            assert_eq!(p.degree(i, true), outs[i as usize], "out-degree of {i}");
        }
        assert!(
            p.inc.get().is_none(),
            "in-degrees were counted, not transposed"
        );
        for i in 0..4u32 {
            assert_eq!(p.in_neighbors(i).len(), ins[i as usize]);
            assert_eq!(p.degree(i, false), ins[i as usize]);
        }
    }
}
