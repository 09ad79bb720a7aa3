//! Point-to-point shortest paths, read on a snapshot straight from the
//! adjacency column families: no projection, no whole-graph load.

use std::collections::BinaryHeap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::projection::{Projection, ProjectionSpec, Scratch, check_weight};
use super::traverse::Entry;
use crate::error::{Error, Result};
use crate::graph::dict::Kind;
use crate::graph::keys;
use crate::graph::read::{AdjCursors, AdjEntry, Reader};
use crate::{Direction, EdgeId, NodeId};

/// How to search for a shortest path. The default: follow out-edges of any
/// type, count hops (unweighted), no depth limit, search from both ends.
#[derive(Clone, Debug, PartialEq)]
pub struct PathQuery {
    direction: Direction,
    edge_types: Vec<String>,
    weight: Option<String>,
    default_weight: Option<f64>,
    max_depth: Option<u32>,
    bidirectional: bool,
}

impl Default for PathQuery {
    fn default() -> Self {
        PathQuery {
            direction: Direction::Out,
            edge_types: Vec::new(),
            weight: None,
            default_weight: None,
            max_depth: None,
            bidirectional: true,
        }
    }
}

impl PathQuery {
    /// Out-edges, any type, unweighted, unlimited, bidirectional.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Which edges to follow from each node (`Both` = undirected).
    #[must_use]
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Follow only edges of these types (empty = all).
    #[must_use]
    pub fn edge_types<S: Into<String>>(mut self, types: impl IntoIterator<Item = S>) -> Self {
        self.edge_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Minimise the sum of the numeric edge property `key` (Dijkstra)
    /// instead of the hop count. A negative weight, or a missing one
    /// without [`default_weight`](Self::default_weight), met during the
    /// search is an [`Error::InvalidArgument`].
    #[must_use]
    pub fn weight(mut self, key: impl Into<String>) -> Self {
        self.weight = Some(key.into());
        self
    }

    /// The weight of edges without the weight property.
    #[must_use]
    pub fn default_weight(mut self, weight: f64) -> Self {
        self.default_weight = Some(weight);
        self
    }

    /// Only paths of at most `hops` edges (unweighted searches only).
    #[must_use]
    pub fn max_depth(mut self, hops: u32) -> Self {
        self.max_depth = Some(hops);
        self
    }

    /// Whether a projection built from `spec` holds exactly the edges this
    /// query follows (and their weights, for a weighted query).
    pub(crate) fn served_by(&self, spec: &ProjectionSpec) -> bool {
        let same_types = {
            let mut a: Vec<&String> = self.edge_types.iter().collect();
            let mut b: Vec<&String> = spec.edge_types.iter().collect();
            a.sort();
            a.dedup();
            b.sort();
            b.dedup();
            a == b
        };
        spec.labels.is_empty()
            && same_types
            && (self.weight.is_none()
                || (spec.weight == self.weight && spec.default_weight == self.default_weight))
    }

    /// Search from both ends (the default, and much faster on large graphs)
    /// or from the source only. Both find a shortest path; they may pick
    /// different ones among equals.
    #[must_use]
    pub fn bidirectional(mut self, yes: bool) -> Self {
        self.bidirectional = yes;
        self
    }
}

/// A path: `nodes[0]` is the source, `nodes[i+1]` is reached from
/// `nodes[i]` through `edges[i]` (followed in the query's direction).
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The nodes, source first, target last.
    pub nodes: Vec<NodeId>,
    /// The edges between consecutive nodes.
    pub edges: Vec<EdgeId>,
    /// The hop count (unweighted) or the sum of the weights.
    pub cost: f64,
}

impl Path {
    /// The number of edges.
    #[must_use]
    pub fn hops(&self) -> usize {
        self.edges.len()
    }
}

fn reverse(dir: Direction) -> Direction {
    match dir {
        Direction::Out => Direction::In,
        Direction::In => Direction::Out,
        Direction::Both => Direction::Both,
    }
}

/// Resolved query (type ids, weight key) and the adjacency source: open
/// storage cursors, or a projection that serves the query.
struct Expander<'a> {
    cursors: AdjCursors<'a>,
    memory: Option<&'a Projection>,
    /// Adjacency entries read so far (the search's cost).
    scanned: u64,
    /// `None` = all types; `Some(empty)` = no type exists, nothing matches.
    types: Option<Vec<u32>>,
    weight: Option<(Option<u32>, &'a str, Option<f64>)>,
}

impl Expander<'_> {
    /// Calls `f(neighbour, edge, weight)` for each edge of `v` in `dir`.
    fn expand(
        &mut self,
        v: NodeId,
        dir: Direction,
        f: &mut dyn FnMut(NodeId, EdgeId, f64),
    ) -> Result<()> {
        if let Some(p) = self.memory {
            // Edge ids are not in the projection: the path's edges are
            // looked up in storage once the search is done.
            if let Some(i) = p.index_of(v) {
                let weighted = self.weight.is_some();
                super::for_each_arc(p, i, dir, |w, wt| {
                    self.scanned += 1;
                    f(p.node_id(w), UNRESOLVED, if weighted { wt } else { 1.0 });
                });
            }
            return Ok(());
        }
        let weight = self.weight;
        let scanned = &mut self.scanned;
        let mut visit = adjacency_visitor(v, weight, scanned, f);
        match &self.types {
            None => self.cursors.scan(v, dir, None, &mut visit),
            Some(types) => types
                .iter()
                .try_for_each(|t| self.cursors.scan(v, dir, Some(*t), &mut visit)),
        }
    }

    /// Calls `f(b, edge, weight)` for each edge of type `t` between `a` and
    /// `b` in `dir` (from storage).
    fn expand_between(
        &mut self,
        a: NodeId,
        dir: Direction,
        t: u32,
        b: NodeId,
        f: &mut dyn FnMut(NodeId, EdgeId, f64),
    ) -> Result<()> {
        let mut visit = adjacency_visitor(a, self.weight, &mut self.scanned, f);
        self.cursors.scan_between(a, dir, t, b, &mut visit)
    }
}

/// Adapts `f(neighbour, edge, weight)` to an adjacency-entry visitor for
/// node `v`, applying the weight rules.
fn adjacency_visitor<'f>(
    v: NodeId,
    weight: Option<(Option<u32>, &'f str, Option<f64>)>,
    scanned: &'f mut u64,
    f: &'f mut dyn FnMut(NodeId, EdgeId, f64),
) -> impl FnMut(AdjEntry, &[u8]) -> Result<bool> + 'f {
    move |e: AdjEntry, value: &[u8]| {
        *scanned += 1;
        let other = if e.source == v { e.target } else { e.source };
        let w = match weight {
            None => 1.0,
            Some((key, name, default)) => {
                let found = match key {
                    Some(k) => keys::find_numeric(value, k)?,
                    None => None,
                };
                check_weight(found, e.edge, name, default)?
            }
        };
        f(other, e.edge, w);
        Ok(true)
    }
}

/// The placeholder edge id of a search run on a projection.
const UNRESOLVED: EdgeId = EdgeId(u64::MAX);

/// One search side's tree: node → (parent, edge, distance).
type Tree = FxHashMap<NodeId, (NodeId, EdgeId, f64)>;

fn walk(tree: &Tree, mut at: NodeId, root: NodeId) -> (Vec<NodeId>, Vec<EdgeId>) {
    let (mut nodes, mut edges) = (vec![at], Vec::new());
    while at != root {
        let (p, e, _) = tree[&at];
        nodes.push(p);
        edges.push(e);
        at = p;
    }
    (nodes, edges)
}

/// Joins the forward tree (rooted at `from`) and the backward tree (rooted
/// at `to`) at `meet`.
fn join(fwd: &Tree, bwd: &Tree, from: NodeId, to: NodeId, meet: NodeId) -> Path {
    let (mut nodes, mut edges) = walk(fwd, meet, from);
    nodes.reverse();
    edges.reverse();
    let (bn, be) = walk(bwd, meet, to);
    nodes.extend_from_slice(&bn[1..]);
    edges.extend(be);
    let cost = fwd[&meet].2 + bwd[&meet].2;
    Path { nodes, edges, cost }
}

pub(crate) fn shortest_path(
    r: &Reader<'_>,
    from: NodeId,
    to: NodeId,
    q: &PathQuery,
    memory: Option<&Projection>,
) -> Result<Option<Path>> {
    for n in [from, to] {
        if !r.contains_node(n)? {
            return Err(Error::NodeNotFound(n));
        }
    }
    if q.weight.is_some() && q.max_depth.is_some() {
        return Err(Error::invalid(
            "max_depth applies to unweighted paths only; drop it or the weight",
        ));
    }
    let mut ex = Expander {
        cursors: AdjCursors::new(r.kv)?,
        memory,
        scanned: 0,
        types: (!q.edge_types.is_empty()).then(|| {
            q.edge_types
                .iter()
                .filter_map(|t| r.names.id(Kind::EdgeType, t))
                .collect()
        }),
        weight: q
            .weight
            .as_deref()
            .map(|w| (r.names.id(Kind::PropKey, w), w, q.default_weight)),
    };
    if from == to {
        return Ok(Some(Path {
            nodes: vec![from],
            edges: vec![],
            cost: 0.0,
        }));
    }
    let mut fwd = Tree::default();
    fwd.insert(from, (from, EdgeId(0), 0.0));
    let mut bwd = Tree::default();
    bwd.insert(to, (to, EdgeId(0), 0.0));
    if let (Some(p), None, true) = (memory, &q.weight, q.bidirectional) {
        // Unweighted on a projection: dense arrays instead of hash maps.
        let Some(nodes) = bfs_dense(p, q, from, to) else {
            return Ok(None);
        };
        let hops = nodes.len() - 1;
        let mut path = Path {
            nodes,
            edges: vec![UNRESOLVED; hops],
            cost: hops as f64,
        };
        ex.memory = None;
        let edge_types = r.names.count(Kind::EdgeType) as u32;
        resolve_edges(&mut ex, p, edge_types, q.direction, &mut path)?;
        return Ok(Some(path));
    }
    let meet = match (q.weight.is_some(), q.bidirectional) {
        (false, true) => bfs_bidirectional(&mut ex, q, &mut fwd, &mut bwd, from, to)?,
        (false, false) => bfs_one_way(&mut ex, q, &mut fwd, from, to)?,
        (true, true) => dijkstra_bidirectional(&mut ex, q.direction, &mut fwd, &mut bwd, from, to)?,
        (true, false) => dijkstra_one_way(&mut ex, q.direction, &mut fwd, from, to)?,
    };
    let Some(mut path) = meet.map(|m| join(&fwd, &bwd, from, to, m)) else {
        return Ok(None);
    };
    if let Some(p) = ex.memory.take() {
        let edge_types = r.names.count(Kind::EdgeType) as u32;
        resolve_edges(&mut ex, p, edge_types, q.direction, &mut path)?;
    }
    Ok(Some(path))
}

/// Fills in the edge ids of a path found on a projection: for each hop,
/// the lightest edge (any edge, unweighted) that the query follows from one
/// node to the next, read from storage. A low-degree node's adjacency is
/// scanned (one seek); for a hub, the `node·type·other` key prefix is
/// sought once per edge type instead, so a hop never reads a hub's whole
/// adjacency.
fn resolve_edges(
    ex: &mut Expander<'_>,
    p: &Projection,
    edge_types: u32,
    dir: Direction,
    path: &mut Path,
) -> Result<()> {
    const SCAN_BELOW: usize = 64;
    for i in 0..path.edges.len() {
        let (a, b) = (path.nodes[i], path.nodes[i + 1]);
        let mut best: Option<(f64, EdgeId)> = None;
        let mut keep = |w: NodeId, e: EdgeId, wt: f64| {
            if w == b && best.is_none_or(|(bw, _)| wt < bw) {
                best = Some((wt, e));
            }
        };
        let degree = p.index_of(a).map_or(0, |i| {
            let mut d = 0;
            super::for_each_arc(p, i, dir, |_, _| d += 1);
            d
        });
        if degree < SCAN_BELOW {
            ex.expand(a, dir, &mut keep)?;
        } else {
            let types: Vec<u32> = ex
                .types
                .clone()
                .unwrap_or_else(|| (0..edge_types).collect());
            for t in types {
                ex.expand_between(a, dir, t, b, &mut keep)?;
            }
        }
        path.edges[i] = best.map(|(_, e)| e).ok_or_else(|| {
            Error::corruption(format!("projection edge {a} -> {b} is not in storage"))
        })?;
    }
    Ok(())
}

/// What a level-synchronous bidirectional BFS needs from the graph it runs
/// on: side 0 searches from the source along the query's direction, side 1
/// from the target against it.
trait Levels {
    type Node: Copy;

    /// The estimated cost of expanding `front` from `side` (adjacency
    /// entries to read).
    fn cost(&self, side: usize, front: &[Self::Node]) -> f64;

    /// Expands `u` from `side`: marks every neighbour not yet seen from
    /// that side as seen at `depth` (with `u` as its parent) and appends it
    /// to `reached`.
    fn expand(
        &mut self,
        side: usize,
        u: Self::Node,
        depth: u32,
        reached: &mut Vec<Self::Node>,
    ) -> Result<()>;

    /// The depth at which `side` has seen `n`, if it has.
    fn depth(&self, side: usize, n: Self::Node) -> Option<u32>;
}

/// Bidirectional BFS from `from` to `to`, one whole level at a time from
/// the side whose next level should cost less: the first level that meets
/// the other side holds a shortest meeting point. Returns the meeting node
/// of a shortest path of at most `max_depth` hops.
fn meet<L: Levels>(
    g: &mut L,
    from: L::Node,
    to: L::Node,
    max_depth: Option<u32>,
) -> Result<Option<L::Node>> {
    let mut fronts = [vec![from], vec![to]];
    let mut depths = [0u32; 2];
    loop {
        if fronts[0].is_empty() || fronts[1].is_empty() {
            return Ok(None);
        }
        if max_depth.is_some_and(|m| depths[0] + depths[1] >= m) {
            return Ok(None);
        }
        let side = usize::from(g.cost(1, &fronts[1]) < g.cost(0, &fronts[0]));
        let other = 1 - side;
        depths[side] += 1;
        let d = depths[side];
        let mut next = Vec::new();
        let mut best: Option<(u32, L::Node)> = None;
        for &u in &fronts[side] {
            let before = next.len();
            g.expand(side, u, d, &mut next)?;
            for &w in &next[before..] {
                if let Some(od) = g.depth(other, w)
                    && best.is_none_or(|(b, _)| d + od < b)
                {
                    best = Some((d + od, w));
                }
            }
        }
        if let Some((total, m)) = best {
            return Ok(max_depth.is_none_or(|max| total <= max).then_some(m));
        }
        fronts[side] = next;
    }
}

/// [`Levels`] on a projection: dense, epoch-stamped arrays; the cost of a
/// level is its exact degree sum, from the CSR.
struct Dense<'a> {
    p: &'a Projection,
    s: &'a mut Scratch,
    epoch: u32,
    dirs: [Direction; 2],
}

impl Levels for Dense<'_> {
    type Node = u32;

    fn cost(&self, side: usize, front: &[u32]) -> f64 {
        let mut d = 0usize;
        for &v in front {
            super::for_each_arc(self.p, v, self.dirs[side], |_, _| d += 1);
        }
        d as f64
    }

    fn expand(&mut self, side: usize, u: u32, depth: u32, reached: &mut Vec<u32>) -> Result<()> {
        let (s, epoch) = (&mut *self.s, self.epoch);
        super::for_each_arc(self.p, u, self.dirs[side], |w, _| {
            let wi = w as usize;
            if s.seen[side][wi] != epoch {
                s.seen[side][wi] = epoch;
                s.parent[side][wi] = u;
                s.depth[side][wi] = depth;
                reached.push(w);
            }
        });
        Ok(())
    }

    fn depth(&self, side: usize, n: u32) -> Option<u32> {
        (self.s.seen[side][n as usize] == self.epoch).then(|| self.s.depth[side][n as usize])
    }
}

/// Unweighted bidirectional BFS on a projection; returns the node path.
fn bfs_dense(p: &Projection, q: &PathQuery, from: NodeId, to: NodeId) -> Option<Vec<NodeId>> {
    let (fi, ti) = (p.index_of(from)?, p.index_of(to)?);
    p.with_scratch(|s| {
        let epoch = s.begin();
        for (side, &v) in [fi, ti].iter().enumerate() {
            s.seen[side][v as usize] = epoch;
            s.depth[side][v as usize] = 0;
        }
        let mut g = Dense {
            p,
            s,
            epoch,
            dirs: [q.direction, reverse(q.direction)],
        };
        let meet = meet(&mut g, fi, ti, q.max_depth).ok()??;
        // Walk back to the source, then on to the target.
        let s = g.s;
        let mut nodes = vec![meet];
        let mut at = meet;
        while at != fi {
            at = s.parent[0][at as usize];
            nodes.push(at);
        }
        nodes.reverse();
        let mut at = meet;
        while at != ti {
            at = s.parent[1][at as usize];
            nodes.push(at);
        }
        Some(nodes.into_iter().map(|i| p.node_id(i)).collect())
    })
}

fn bfs_one_way(
    ex: &mut Expander<'_>,
    q: &PathQuery,
    fwd: &mut Tree,
    from: NodeId,
    to: NodeId,
) -> Result<Option<NodeId>> {
    let mut frontier = vec![from];
    let mut depth = 0u32;
    while !frontier.is_empty() && q.max_depth.is_none_or(|m| depth < m) {
        depth += 1;
        let mut next = Vec::new();
        for &u in &frontier {
            ex.expand(u, q.direction, &mut |w, e, _| {
                fwd.entry(w).or_insert_with(|| {
                    next.push(w);
                    (u, e, f64::from(depth))
                });
            })?;
            if fwd.contains_key(&to) {
                return Ok(Some(to));
            }
        }
        frontier = next;
    }
    Ok(None)
}

/// [`Levels`] on storage: the two search trees in hash maps; the cost of
/// a level is its frontier size times the side's average degree so far.
struct Stored<'a, 'e> {
    ex: &'a mut Expander<'e>,
    trees: [&'a mut Tree; 2],
    dirs: [Direction; 2],
    /// `(adjacency entries read, nodes expanded)` per side.
    seen: [(u64, u64); 2],
}

impl Levels for Stored<'_, '_> {
    type Node = NodeId;

    fn cost(&self, side: usize, front: &[NodeId]) -> f64 {
        let (entries, nodes) = self.seen[side];
        front.len() as f64 * (entries + 1) as f64 / (nodes + 1) as f64
    }

    fn expand(
        &mut self,
        side: usize,
        u: NodeId,
        depth: u32,
        reached: &mut Vec<NodeId>,
    ) -> Result<()> {
        let before = self.ex.scanned;
        let tree = &mut *self.trees[side];
        self.ex.expand(u, self.dirs[side], &mut |w, e, _| {
            tree.entry(w).or_insert_with(|| {
                reached.push(w);
                (u, e, f64::from(depth))
            });
        })?;
        let seen = &mut self.seen[side];
        *seen = (seen.0 + self.ex.scanned - before, seen.1 + 1);
        Ok(())
    }

    fn depth(&self, side: usize, n: NodeId) -> Option<u32> {
        self.trees[side].get(&n).map(|&(_, _, d)| d as u32)
    }
}

fn bfs_bidirectional(
    ex: &mut Expander<'_>,
    q: &PathQuery,
    fwd: &mut Tree,
    bwd: &mut Tree,
    from: NodeId,
    to: NodeId,
) -> Result<Option<NodeId>> {
    let mut g = Stored {
        ex,
        trees: [fwd, bwd],
        dirs: [q.direction, reverse(q.direction)],
        seen: [(0, 0); 2],
    };
    meet(&mut g, from, to, q.max_depth)
}

fn dijkstra_one_way(
    ex: &mut Expander<'_>,
    dir: Direction,
    fwd: &mut Tree,
    from: NodeId,
    to: NodeId,
) -> Result<Option<NodeId>> {
    let mut ids = Interner::default();
    let mut heap = BinaryHeap::from([Entry(0.0, ids.get(from))]);
    let mut settled = FxHashSet::default();
    while let Some(Entry(d, ui)) = heap.pop() {
        let u = ids.node(ui);
        if !settled.insert(u) {
            continue;
        }
        if u == to {
            return Ok(Some(to));
        }
        ex.expand(u, dir, &mut |w, e, wt| {
            let nd = d + wt;
            if fwd.get(&w).is_none_or(|&(_, _, old)| nd < old) {
                fwd.insert(w, (u, e, nd));
                heap.push(Entry(nd, ids.get(w)));
            }
        })?;
    }
    Ok(None)
}

fn dijkstra_bidirectional(
    ex: &mut Expander<'_>,
    dir: Direction,
    fwd: &mut Tree,
    bwd: &mut Tree,
    from: NodeId,
    to: NodeId,
) -> Result<Option<NodeId>> {
    let mut ids = Interner::default();
    let mut heaps = [
        BinaryHeap::from([Entry(0.0, ids.get(from))]),
        BinaryHeap::from([Entry(0.0, ids.get(to))]),
    ];
    let mut settled = [FxHashSet::default(), FxHashSet::default()];
    let mut best: Option<(f64, NodeId)> = None;
    loop {
        let tops = [heaps[0].peek().map(|e| e.0), heaps[1].peek().map(|e| e.0)];
        let (Some(tf), Some(tb)) = (tops[0], tops[1]) else {
            break;
        };
        // Stop once no unsettled pair can beat the best meeting found.
        if best.is_some_and(|(b, _)| tf + tb >= b) {
            break;
        }
        let side = usize::from(tb < tf);
        let Some(Entry(d, ui)) = heaps[side].pop() else {
            break;
        };
        let u = ids.node(ui);
        if !settled[side].insert(u) {
            continue;
        }
        let (tree, other, sdir) = if side == 0 {
            (&mut *fwd, &*bwd, dir)
        } else {
            (&mut *bwd, &*fwd, reverse(dir))
        };
        let heap = &mut heaps[side];
        ex.expand(u, sdir, &mut |w, e, wt| {
            let nd = d + wt;
            if tree.get(&w).is_none_or(|&(_, _, old)| nd < old) {
                tree.insert(w, (u, e, nd));
                heap.push(Entry(nd, ids.get(w)));
            }
            if let Some(&(_, _, od)) = other.get(&w) {
                let total = tree[&w].2 + od;
                if best.is_none_or(|(b, _)| total < b) {
                    best = Some((total, w));
                }
            }
        })?;
    }
    Ok(best.map(|(_, m)| m))
}

/// Maps node ids to dense u32 slots for the heap entries.
#[derive(Default)]
struct Interner {
    slots: FxHashMap<NodeId, u32>,
    nodes: Vec<NodeId>,
}

impl Interner {
    fn get(&mut self, n: NodeId) -> u32 {
        *self.slots.entry(n).or_insert_with(|| {
            self.nodes.push(n);
            (self.nodes.len() - 1) as u32
        })
    }

    fn node(&self, i: u32) -> NodeId {
        self.nodes[i as usize]
    }
}
