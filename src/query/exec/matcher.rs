//! Graph patterns: what `MATCH`, `MERGE`, `CREATE` and pattern
//! expressions describe, and the matcher that finds them.
//!
//! A pattern is a chain of node patterns joined by relationship patterns.
//! The matcher starts each chain at a node already bound (by an earlier
//! clause or an earlier chain of the same pattern), else at the first node
//! pattern that names a label or properties (found through a property
//! index, else a label scan), else at the first one over every node; it
//! then expands along the chain to the right and back to the left, from
//! the bound end of every relationship. Within one pattern a relationship
//! is matched at most once (the openCypher rule).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::columns;
use super::eval::{Env, truth};
use super::graph::{Graph, from_stored, to_stored};
use crate::algo::path::shortest_path;
use crate::algo::{PathQuery, Projection};
use crate::graph::NodeIds;
use crate::graph::dict::Kind;
use crate::graph::read::{AdjCursors, AdjEntry, RangeNodes, Reader};
use crate::query::error::{Deadline, ErrorKind, QResult, QueryError, check_deadline};
use crate::query::optimise::seek::{Named, named_starts, start_comparisons};
use crate::query::optimise::start::{Starts, chain_order, start_of};
use crate::query::plan::expr::Expr;
use crate::query::plan::pattern::{Chain, Dir, NodePat, Pattern, RelPat, Shortest};
use crate::query::value::Params;
use crate::query::value::{CypherValue as V, CypherValue, NodeValue, PathValue, RelValue};
use crate::txn::ReadTxn;
use crate::{Direction, EdgeId, Error, NodeId, Value};

type Row = Vec<CypherValue>;

/// Finds the rows `pattern` extends `row` to.
pub(crate) struct Matcher<'a> {
    g: &'a Graph<'a>,
    r: Reader<'a>,
    params: &'a Params,
    used: Vec<EdgeId>,
    /// Open iterators over the adjacency column families: each
    /// expansion is a seek.
    cursors: Option<AdjCursors<'a>>,
    /// An in-memory projection of the snapshot holding the counted
    /// tail's edges, when one was found or built for it.
    pub degrees: Option<Arc<Projection>>,
    /// The snapshot whose cached label member lists (`columns::members`)
    /// a chain starting at a label scan reads, when the whole label is
    /// read anyway.
    pub members: Option<&'a ReadTxn<'a>>,
    /// Relationship type names by id, as met.
    type_names: FxHashMap<u32, String>,
    /// When the statement must stop, checked every [`TICKS`] hops.
    pub deadline: Option<Deadline>,
    ticks: u32,
    /// The start chosen for each chain so far (see [`start_of`]).
    pub starts: Starts,
    /// Whether a chain may start from an index range its pattern's
    /// `WHERE` bounds ([`range_start`]; off without the rules).
    pub range_starts: bool,
    /// Whether a pattern's counted tail (`Pattern::count_tail`) is
    /// counted: set by the caller that reads the weights; any other
    /// caller gets one row per match.
    pub counts_tail: bool,
    /// Whether the optimiser's run-time rules apply: a pattern whose ends
    /// alone matter (`Pattern::prune_ends`) is searched breadth-first for
    /// them, and a pattern's chains run in the order of [`chain_order`]
    /// (else the statement's). Set by the caller that runs the rules.
    pub rules: bool,
    /// The order the chains of the pattern being matched run in.
    order: Vec<usize>,
}

/// Hops walked between two looks at the clock.
const TICKS: u32 = 1024;

/// Candidate start nodes, read lazily.
type Candidates<'a> = Box<dyn Iterator<Item = QResult<NodeId>> + Send + 'a>;

/// What the matcher does with each row it finds, and how many matches
/// the row stands for (more than one only for a counted tail):
/// `Ok(false)` stops it.
pub(crate) type Emit<'e> = dyn FnMut(&Row, u64) -> QResult<bool> + 'e;

impl<'a> Matcher<'a> {
    pub fn new(g: &'a Graph<'a>, params: &'a Params) -> Matcher<'a> {
        Matcher {
            g,
            r: g.r,
            params,
            used: Vec::new(),
            cursors: None,
            degrees: None,
            members: None,
            range_starts: true,
            type_names: FxHashMap::default(),
            deadline: None,
            ticks: 0,
            starts: Starts::default(),
            counts_tail: false,
            rules: false,
            order: Vec::new(),
        }
    }

    /// Calls `emit` with every extension of `row` (whose slots past its
    /// width are added as `null`) that matches `pattern`.
    pub fn run(
        &mut self,
        pattern: &Pattern,
        row: &[CypherValue],
        emit: &mut Emit<'_>,
    ) -> QResult<()> {
        let mut work: Row = row.to_vec();
        work.resize(pattern.width.max(row.len()), V::Null);
        self.used.clear();
        self.order_for(pattern)?;
        self.chain(pattern, 0, &mut work, emit)?;
        Ok(())
    }

    /// Sets the order `p`'s chains run in.
    fn order_for(&mut self, p: &Pattern) -> QResult<()> {
        self.order.clear();
        if self.rules && p.chains.len() > 1 {
            let order = chain_order(self.r, p, &mut self.starts)?;
            self.order.extend_from_slice(order);
        } else {
            self.order.extend(0..p.chains.len());
        }
        Ok(())
    }

    /// The position, in the order chains run in, after chain `ci`.
    fn after(&self, ci: usize) -> usize {
        self.order
            .iter()
            .position(|&c| c == ci)
            .map_or(usize::MAX, |at| at + 1)
    }

    /// Whether `pattern` has a match extending `row`.
    pub fn exists(&mut self, pattern: &Pattern, row: &[CypherValue]) -> QResult<bool> {
        let mut found = false;
        self.run(pattern, row, &mut |_, _| {
            found = true;
            Ok(false)
        })?;
        Ok(found)
    }

    fn env<'r>(&self, row: &'r [CypherValue]) -> Env<'r>
    where
        'a: 'r,
    {
        Env::new(row, self.params, Some(self.g))
    }

    /// Matches the chain at position `at` of the order, then the rest.
    fn chain(
        &mut self,
        p: &Pattern,
        at: usize,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        let Some((ci, c)) = self.order.get(at).map(|&ci| (ci, &p.chains[ci])) else {
            let filter = if self.rules && !p.early.is_empty() {
                &p.residual
            } else {
                &p.filter
            };
            if let Some(f) = filter
                && truth(&f.eval(&mut self.env(row))?)? != Some(true)
            {
                return Ok(true);
            }
            return emit(row, 1);
        };
        if let Some(kind) = c.shortest {
            return self.shortest(p, ci, c, kind, row, emit);
        }
        // Start at a bound node, else at the planned one.
        let bound = c
            .nodes
            .iter()
            .position(|n| n.earlier || !row[n.slot].is_null());
        let s = match bound {
            Some(s) => s,
            None => start_of(self.r, c, &mut self.starts)?,
        };
        let order = walk_order(c, s);
        let np = &c.nodes[s];
        if bound.is_some() {
            let V::Node(n) = &row[np.slot] else {
                return if row[np.slot].is_null() {
                    Ok(true)
                } else {
                    Err(not_a("node", &row[np.slot]))
                };
            };
            let id = n.id;
            if !self.node_fits(np, id, row)? {
                return Ok(true);
            }
            return self.walk(p, ci, &order, 0, row, emit);
        }
        let (candidates, labelled) = start_candidates(
            self.r,
            (self.members, None),
            np,
            p.filter.as_ref().filter(|_| self.range_starts),
            &mut self.env(row),
        )?;
        let rest = rest_of(np, labelled);
        for id in candidates {
            if !self.walk_from(p, ci, &order, &rest, id?, row, emit)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Extends `row` from start node `id` of chain `ci` (walked in
    /// `order`), if it fits `rest`.
    #[allow(clippy::too_many_arguments, reason = "the walk's state")]
    fn walk_from(
        &mut self,
        p: &Pattern,
        ci: usize,
        order: &[(usize, bool)],
        rest: &NodePat,
        id: NodeId,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        if !self.node_fits(rest, id, row)? {
            return Ok(true);
        }
        row[rest.slot] = V::Node(Box::new(NodeValue::bare(id)));
        let go_on = self.walk(p, ci, order, 0, row, emit)?;
        row[rest.slot] = V::Null;
        Ok(go_on)
    }

    /// Runs the scan `scan` of `pattern` on, at most `starts` start nodes
    /// at a time: `Ok(true)` once the scan is exhausted (or `emit`
    /// stopped it).
    pub fn resume(
        &mut self,
        pattern: &Pattern,
        scan: &mut Scan<'_>,
        starts: usize,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        let ci = scan.order[0];
        let order = walk_order(&pattern.chains[ci], scan.start);
        self.used.clear();
        self.order.clone_from(&scan.order);
        for _ in 0..starts {
            let Some(id) = scan.ids.next() else {
                return Ok(true);
            };
            let row = &mut scan.row;
            if !self.walk_from(pattern, ci, &order, &scan.rest, id?, row, emit)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether node `id` has `np`'s labels and properties.
    fn node_fits(&self, np: &NodePat, id: NodeId, row: &Row) -> QResult<bool> {
        if np.labels.is_empty() && np.props.is_empty() {
            return Ok(true);
        }
        let Some(rec) = self.g.node_record(id)? else {
            return Ok(false);
        };
        for label in &np.labels {
            match self.r.names.id(Kind::Label, label) {
                Some(l) if rec.has_label(l) => {}
                _ => return Ok(false),
            }
        }
        for (key, e) in &np.props {
            let want = e.eval(&mut self.env(row))?;
            let have = self
                .r
                .names
                .id(Kind::PropKey, key)
                .and_then(|k| rec.prop(k))
                .map_or(V::Null, from_stored);
            if have.equals(&want) != Some(true) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether a relationship of type `edge_type` has one of `rp`'s types
    /// (any, when it names none).
    fn has_type(&self, rp: &RelPat, edge_type: u32) -> QResult<bool> {
        if rp.types.is_empty() {
            return Ok(true);
        }
        let name = self.r.names.name(Kind::EdgeType, edge_type)?;
        Ok(rp.types.contains(&name))
    }

    /// Whether `e` fits `rp`'s types and properties. A pattern of one type
    /// reads typed adjacency entries, so only several types are checked.
    fn rel_fits(&self, rp: &RelPat, e: &AdjEntry, row: &Row) -> QResult<bool> {
        if rp.types.len() > 1 && !self.has_type(rp, e.edge_type)? {
            return Ok(false);
        }
        if rp.props.is_empty() {
            return Ok(true);
        }
        let Some(rec) = self.r.edge_record(e.edge)? else {
            return Ok(false);
        };
        for (key, x) in &rp.props {
            let want = x.eval(&mut self.env(row))?;
            let have = self
                .r
                .names
                .id(Kind::PropKey, key)
                .and_then(|k| rec.props.iter().find(|(p, _)| *p == k))
                .map_or(V::Null, |(_, v)| from_stored(v));
            if have.equals(&want) != Some(true) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The adjacency entries of `node` a relationship pattern may take,
    /// read `forward` (left to right) or backward.
    fn entries(&mut self, rp: &RelPat, node: NodeId, forward: bool) -> QResult<Vec<AdjEntry>> {
        let filter = match rp.types.as_slice() {
            [one] => match self.r.names.id(Kind::EdgeType, one) {
                Some(t) => Some(t),
                None => return Ok(Vec::new()),
            },
            _ => None,
        };
        let dir = rp.dir.storage(forward);
        let mut out: Vec<AdjEntry> = Vec::new();
        if self.cursors.is_none() {
            self.cursors = Some(AdjCursors::new(self.r.kv)?);
        }
        let Some(cursors) = self.cursors.as_mut() else {
            return Ok(out);
        };
        cursors.scan(node, dir, filter, &mut |e, _| {
            // Both directions list a self-loop twice: keep it once.
            if dir == Direction::Both
                && e.source == e.target
                && out.iter().any(|o| o.edge == e.edge)
            {
                return Ok(true);
            }
            out.push(e);
            Ok(true)
        })?;
        Ok(out)
    }

    /// How many relationships `rp` may take from `node` (each to a node
    /// with nothing to check): a degree in the in-memory projection when
    /// there is one, else a count of adjacency entries.
    fn count_hop(&mut self, rp: &RelPat, node: NodeId, forward: bool) -> QResult<u64> {
        let dir = rp.dir.storage(forward);
        if let Some(p) = &self.degrees
            && dir != Direction::Both
        {
            let Some(i) = p.index_of(node) else {
                return Ok(0);
            };
            return Ok(p.degree(i, dir == Direction::Out) as u64);
        }
        let entries = self.entries(rp, node, forward)?;
        let mut n = 0u64;
        for e in &entries {
            if self.rel_fits(rp, e, &Vec::new())? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// A relationship value, its type named (names kept per statement: a
    /// relationship deleted later in the statement still has its type).
    fn rel_value(&mut self, e: &AdjEntry) -> QResult<RelValue> {
        let rel_type = if let Some(name) = self.type_names.get(&e.edge_type) {
            name.clone()
        } else {
            let name = self.r.names.name(Kind::EdgeType, e.edge_type)?;
            self.type_names.insert(e.edge_type, name.clone());
            name
        };
        Ok(RelValue {
            id: e.edge,
            start: e.source,
            end: e.target,
            rel_type,
            properties: BTreeMap::new(),
        })
    }

    /// Binds (or checks) node pattern `np` to `id`, runs `then`, unbinds.
    fn with_node(
        &mut self,
        np: &NodePat,
        id: NodeId,
        row: &mut Row,
        then: &mut dyn FnMut(&mut Self, &mut Row) -> QResult<bool>,
    ) -> QResult<bool> {
        match &row[np.slot] {
            V::Node(n) => {
                if n.id != id || !self.node_fits(np, id, row)? {
                    return Ok(true);
                }
                then(self, row)
            }
            V::Null if !np.earlier => {
                if !self.node_fits(np, id, row)? {
                    return Ok(true);
                }
                row[np.slot] = V::Node(Box::new(NodeValue::bare(id)));
                let go_on = then(self, row);
                row[np.slot] = V::Null;
                go_on
            }
            V::Null => Ok(true),
            other => Err(not_a("node", other)),
        }
    }

    /// Expands step `k` of `order` (relationship index, forward?).
    fn walk(
        &mut self,
        p: &Pattern,
        ci: usize,
        order: &[(usize, bool)],
        k: usize,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(TICKS) {
            check_deadline(self.deadline.as_ref())?;
        }
        let c = &p.chains[ci];
        if self.rules && !p.early.is_empty() && !self.early_pass(p, c, order, k, row)? {
            return Ok(true);
        }
        let pruned = self.rules && p.prune_ends;
        let Some(&(ri, forward)) = order.get(k) else {
            if let Some(slot) = c.path.filter(|_| !pruned) {
                row[slot] = V::Path(Box::new(build_path(c, row)?));
            }
            let go_on = self.chain(p, self.after(ci), row, emit);
            if let Some(slot) = c.path.filter(|_| !pruned) {
                row[slot] = V::Null;
            }
            return go_on;
        };
        let rp = &c.rels[ri];
        let (from, to) = if forward { (ri, ri + 1) } else { (ri + 1, ri) };
        let V::Node(from_node) = &row[c.nodes[from].slot] else {
            return Ok(true);
        };
        let from_id = from_node.id;
        if self.counts_tail && p.count_tail && k + 1 == order.len() {
            let n = self.count_hop(rp, from_id, forward)?;
            return if n == 0 { Ok(true) } else { emit(row, n) };
        }
        let to_np = &c.nodes[to];
        if let Some(range) = rp.range
            && rp.earlier
        {
            return self.bound_var_length(p, ci, order, k, range, from_id, row, emit);
        }
        if let Some(range) = rp.range
            && pruned
        {
            return self.reached_ends(p, ci, order, k, range, from_id, row, emit);
        }
        if let Some((min, max)) = rp.range {
            let mut trail = Vec::new();
            return self.var_length(p, ci, order, k, (min, max), from_id, &mut trail, row, emit);
        }
        let bound_rel = match &row[rp.slot] {
            V::Relationship(r) => Some(r.id),
            V::Null if rp.earlier => return Ok(true),
            V::Null => None,
            other => return Err(not_a("relationship", other)),
        };
        for e in self.entries(rp, from_id, forward)? {
            if bound_rel.is_some_and(|b| b != e.edge) || self.used.contains(&e.edge) {
                continue;
            }
            if !self.rel_fits(rp, &e, row)? {
                continue;
            }
            let other = if e.source == from_id {
                e.target
            } else {
                e.source
            };
            let rel = self.rel_value(&e)?;
            self.used.push(e.edge);
            let fresh = bound_rel.is_none();
            if fresh {
                row[rp.slot] = V::Relationship(Box::new(rel));
            }
            let go_on = self.with_node(to_np, other, row, &mut |m, row| {
                m.walk(p, ci, order, k + 1, row, emit)
            });
            if fresh {
                row[rp.slot] = V::Null;
            }
            self.used.pop();
            if !go_on? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `PredicatePushdown`: whether the row passes the conjuncts of the
    /// pattern's `WHERE` (`Pattern::early`) that read what step `k` of
    /// chain `c`'s walk just bound (its start node when `k` is 0) and
    /// nothing still unbound.
    fn early_pass(
        &mut self,
        p: &Pattern,
        c: &Chain,
        order: &[(usize, bool)],
        k: usize,
        row: &Row,
    ) -> QResult<bool> {
        let (node, rel) = match k.checked_sub(1).map(|i| order[i]) {
            Some((ri, forward)) => (
                c.nodes[if forward { ri + 1 } else { ri }].slot,
                Some(c.rels[ri].slot),
            ),
            None => match order.first() {
                Some(&(ri, forward)) => (c.nodes[if forward { ri } else { ri + 1 }].slot, None),
                None => (c.nodes[0].slot, None),
            },
        };
        for early in &p.early {
            let fresh = early.slots.iter().any(|&s| s == node || Some(s) == rel);
            if !fresh || early.slots.iter().any(|&s| row[s].is_null()) {
                continue;
            }
            if truth(&early.expr.eval(&mut self.env(row))?)? != Some(true) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    #[allow(clippy::too_many_arguments, reason = "the walk's state")]
    fn var_length(
        &mut self,
        p: &Pattern,
        ci: usize,
        order: &[(usize, bool)],
        k: usize,
        (min, max): (usize, Option<usize>),
        at: NodeId,
        trail: &mut Vec<RelValue>,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        let (rp, to_np, forward) = step_of(p, ci, order, k);
        if trail.len() >= min {
            let mut rels: Vec<CypherValue> = trail
                .iter()
                .map(|r| V::Relationship(Box::new(r.clone())))
                .collect();
            if !forward {
                rels.reverse();
            }
            let before = std::mem::replace(&mut row[rp.slot], V::List(rels));
            let go_on = self.with_node(to_np, at, row, &mut |m, row| {
                m.walk(p, ci, order, k + 1, row, emit)
            });
            row[rp.slot] = before;
            if !go_on? {
                return Ok(false);
            }
        }
        if max.is_some_and(|m| trail.len() >= m) {
            return Ok(true);
        }
        for e in self.entries(rp, at, forward)? {
            if self.used.contains(&e.edge) || !self.rel_fits(rp, &e, row)? {
                continue;
            }
            let other = if e.source == at { e.target } else { e.source };
            self.used.push(e.edge);
            trail.push(self.rel_value(&e)?);
            let go_on = self.var_length(p, ci, order, k, (min, max), other, trail, row, emit);
            trail.pop();
            self.used.pop();
            if !go_on? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `PruningVarExpand`: each node a trail of `min..max` hops of the
    /// variable-length step `k` (`min` 0 or 1) reaches from `from`, once,
    /// found by a breadth-first search — the relationship and path are
    /// left `null`, nothing reading them. A node other than `from` is
    /// reached by a trail of at most `max` hops exactly when its distance
    /// is at most `max` (a shortest walk is a path); `from` itself, with
    /// `min` 1, when a closed trail of at most `max` hops runs through it:
    /// a relationship back into it, for a directed hop (the first found
    /// closes the shortest cycle, a simple one); for an undirected hop, a
    /// self-loop, or a relationship off the search tree joining two nodes
    /// reached through different first relationships (or one of them
    /// `from`), which closes a cycle of their depths plus one — the
    /// shortest through `from` is among these.
    #[allow(clippy::too_many_arguments, reason = "the walk's state")]
    fn reached_ends(
        &mut self,
        p: &Pattern,
        ci: usize,
        order: &[(usize, bool)],
        k: usize,
        (min, max): (usize, Option<usize>),
        from: NodeId,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        /// A node's depth, the first relationship of its tree path and
        /// the relationship it was reached by (none for `from`).
        struct Reached {
            depth: usize,
            branch: Option<EdgeId>,
            parent: Option<EdgeId>,
        }
        let (rp, to_np, forward) = step_of(p, ci, order, k);
        let undirected = rp.dir == Dir::Either;
        let mut seen: FxHashMap<NodeId, Reached> = FxHashMap::default();
        seen.insert(
            from,
            Reached {
                depth: 0,
                branch: None,
                parent: None,
            },
        );
        let mut ends: Vec<NodeId> = Vec::new();
        let mut closed = min == 0;
        if closed {
            ends.push(from);
        }
        let mut frontier = vec![from];
        let mut depth = 0;
        while !frontier.is_empty() && max.is_none_or(|m| depth < m) {
            let mut next = Vec::new();
            for &x in &frontier {
                self.ticks = self.ticks.wrapping_add(1);
                if self.ticks.is_multiple_of(TICKS) {
                    check_deadline(self.deadline.as_ref())?;
                }
                let (branch, parent) = seen.get(&x).map_or((None, None), |r| (r.branch, r.parent));
                for e in self.entries(rp, x, forward)? {
                    if !self.rel_fits(rp, &e, row)? {
                        continue;
                    }
                    let y = if e.source == x { e.target } else { e.source };
                    let Some(there) = seen.get(&y) else {
                        seen.insert(
                            y,
                            Reached {
                                depth: depth + 1,
                                branch: branch.or(Some(e.edge)),
                                parent: Some(e.edge),
                            },
                        );
                        ends.push(y);
                        next.push(y);
                        continue;
                    };
                    if closed {
                        continue;
                    }
                    let cycle = if !undirected {
                        (y == from).then_some(depth + 1)
                    } else if x == from && y == from {
                        Some(1)
                    } else {
                        let off_tree = Some(e.edge) != parent && Some(e.edge) != there.parent;
                        (off_tree && there.branch != branch).then_some(depth + there.depth + 1)
                    };
                    if cycle.is_some_and(|n| max.is_none_or(|m| n <= m)) {
                        closed = true;
                        ends.push(from);
                    }
                }
            }
            frontier = next;
            depth += 1;
        }
        for end in ends {
            let go_on = self.with_node(to_np, end, row, &mut |m, row| {
                m.walk(p, ci, order, k + 1, row, emit)
            });
            if !go_on? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A variable-length relationship bound earlier to a list of
    /// relationships (`WITH [r1, r2] AS rs MATCH (a)-[rs*]->(b)`): the walk
    /// follows exactly those, in order from the pattern's left, each of the
    /// pattern's types and direction, none used twice in the pattern.
    #[allow(clippy::too_many_arguments, reason = "the walk's state")]
    fn bound_var_length(
        &mut self,
        p: &Pattern,
        ci: usize,
        order: &[(usize, bool)],
        k: usize,
        (min, max): (usize, Option<usize>),
        from: NodeId,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        let (rp, to_np, forward) = step_of(p, ci, order, k);
        let mut ids = match &row[rp.slot] {
            V::List(items) => items
                .iter()
                .map(|v| match v {
                    V::Relationship(r) => Ok(r.id),
                    other => Err(not_a("relationship", other)),
                })
                .collect::<QResult<Vec<EdgeId>>>()?,
            V::Null => return Ok(true),
            other => return Err(not_a("list of relationships", other)),
        };
        if ids.len() < min || max.is_some_and(|m| ids.len() > m) {
            return Ok(true);
        }
        if !forward {
            ids.reverse();
        }
        let dir = rp.dir.storage(forward);
        let used = self.used.len();
        let mut at = Some(from);
        for id in ids {
            let Some(here) = at else { break };
            let Some(rec) = self.r.edge_record(id)? else {
                at = None;
                break;
            };
            let typed = self.has_type(rp, rec.edge_type)?;
            let e = AdjEntry {
                edge: id,
                source: rec.src,
                target: rec.dst,
                edge_type: rec.edge_type,
            };
            at = match dir {
                Direction::Out | Direction::Both if rec.src == here => Some(rec.dst),
                Direction::In | Direction::Both if rec.dst == here => Some(rec.src),
                _ => None,
            };
            if !typed || self.used.contains(&id) || !self.rel_fits(rp, &e, row)? {
                at = None;
            }
            self.used.push(id);
        }
        let go_on = match at {
            Some(end) => self.with_node(to_np, end, row, &mut |m, row| {
                m.walk(p, ci, order, k + 1, row, emit)
            }),
            None => Ok(true),
        };
        self.used.truncate(used);
        go_on
    }

    /// `shortestPath((a)-[*]-(b))`: each end not bound earlier is matched
    /// first (by its labels and properties: an index, a label scan or
    /// every node), then [`Matcher::shortest_between`] runs for each pair
    /// of ends.
    fn shortest(
        &mut self,
        p: &Pattern,
        ci: usize,
        c: &Chain,
        kind: Shortest,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        let Some(end) = c.nodes.iter().find(|n| !n.earlier && row[n.slot].is_null()) else {
            return self.shortest_between(p, ci, c, kind, row, emit);
        };
        let (ids, _) = candidates(self.r, end, &mut self.env(row))?;
        for id in ids {
            row[end.slot] = V::Node(Box::new(NodeValue::bare(id?)));
            let go_on = self.shortest(p, ci, c, kind, row, emit);
            row[end.slot] = V::Null;
            if !go_on? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// A shortest path between the two bound ends of chain `c`: a
    /// breadth-first search, keeping every shortest path for
    /// `allShortestPaths`.
    fn shortest_between(
        &mut self,
        p: &Pattern,
        ci: usize,
        c: &Chain,
        kind: Shortest,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        let (V::Node(from), V::Node(to)) = (&row[c.nodes[0].slot], &row[c.nodes[1].slot]) else {
            return Ok(true);
        };
        let (source, target) = (from.id, to.id);
        let rp = &c.rels[0];
        let (min, max) = rp.range.unwrap_or((1, Some(1)));
        if !self.node_fits(&c.nodes[0], source, row)?
            || !self.node_fits(&c.nodes[1], target, row)?
        {
            return Ok(true);
        }
        if kind == Shortest::One && rp.props.is_empty() && min == 1 && source != target {
            return self.shortest_bidirectional(p, ci, c, (source, target), max, row, emit);
        }
        // Predecessors of each node reached: (previous node, edge).
        let mut preds: FxHashMap<NodeId, Vec<(NodeId, RelValue)>> = FxHashMap::default();
        let mut depth: FxHashMap<NodeId, usize> = FxHashMap::default();
        depth.insert(source, 0);
        let mut queue = VecDeque::from([source]);
        let mut found = source == target && min == 0;
        while let Some(n) = queue.pop_front() {
            let d = depth[&n];
            if found && depth.get(&target).is_some_and(|&db| d >= db) {
                break;
            }
            if max.is_some_and(|m| d >= m) {
                continue;
            }
            for e in self.entries(rp, n, true)? {
                if !self.rel_fits(rp, &e, row)? {
                    continue;
                }
                let other = if e.source == n { e.target } else { e.source };
                match depth.get(&other) {
                    Some(&od) if od == d + 1 => {
                        if kind == Shortest::All {
                            preds
                                .entry(other)
                                .or_default()
                                .push((n, self.rel_value(&e)?));
                        }
                    }
                    Some(_) => {}
                    None => {
                        depth.insert(other, d + 1);
                        preds
                            .entry(other)
                            .or_default()
                            .push((n, self.rel_value(&e)?));
                        if other == target {
                            found = true;
                        } else {
                            queue.push_back(other);
                        }
                    }
                }
            }
        }
        if !found {
            return Ok(true);
        }
        // Every path from target back to source through the predecessors.
        let mut paths: Vec<Vec<RelValue>> = Vec::new();
        let mut stack: Vec<(NodeId, Vec<RelValue>)> = vec![(target, Vec::new())];
        while let Some((n, rels)) = stack.pop() {
            if n == source {
                let mut rels = rels;
                rels.reverse();
                paths.push(rels);
                if kind == Shortest::One {
                    break;
                }
                continue;
            }
            for (prev, rel) in preds.get(&n).map(Vec::as_slice).unwrap_or_default() {
                let mut next = rels.clone();
                next.push(rel.clone());
                stack.push((*prev, next));
            }
        }
        for rels in paths {
            if rels.len() < min {
                continue;
            }
            let values: Vec<CypherValue> = rels
                .iter()
                .map(|r| V::Relationship(Box::new(r.clone())))
                .collect();
            if !self.with_shortest(p, ci, c, values, row, emit)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl Matcher<'_> {
    /// One shortest path by the graph's bidirectional breadth-first
    /// search (`ReadTxn::shortest_path`).
    #[allow(clippy::too_many_arguments, reason = "the walk's state")]
    fn shortest_bidirectional(
        &mut self,
        p: &Pattern,
        ci: usize,
        c: &Chain,
        (source, target): (NodeId, NodeId),
        max: Option<usize>,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        let rp = &c.rels[0];
        let mut q = PathQuery::new().direction(rp.dir.storage(true));
        if !rp.types.is_empty() {
            q = q.edge_types(rp.types.iter().cloned());
        }
        if let Some(m) = max {
            q = q.max_depth(u32::try_from(m).unwrap_or(u32::MAX));
        }
        let Some(path) = shortest_path(&self.r, source, target, &q, None)? else {
            return Ok(true);
        };
        let mut rels = Vec::with_capacity(path.edges.len());
        for e in &path.edges {
            let Some(rel) = self.g.relationship(*e)? else {
                return Ok(true);
            };
            rels.push(V::Relationship(Box::new(rel)));
        }
        self.with_shortest(p, ci, c, rels, row, emit)
    }

    /// Binds a shortest path's relationships (and its path variable),
    /// matches the rest of the pattern, unbinds.
    fn with_shortest(
        &mut self,
        p: &Pattern,
        ci: usize,
        c: &Chain,
        rels: Vec<CypherValue>,
        row: &mut Row,
        emit: &mut Emit<'_>,
    ) -> QResult<bool> {
        let slot = c.rels[0].slot;
        let before = std::mem::replace(&mut row[slot], V::List(rels));
        if let Some(path) = c.path {
            row[path] = V::Path(Box::new(build_path(c, row)?));
        }
        let go_on = self.chain(p, self.after(ci), row, emit);
        row[slot] = before;
        if let Some(path) = c.path {
            row[path] = V::Null;
        }
        go_on
    }
}

/// The nodes that may match `np`, and whether they all carry its
/// first label.
/// Label scans and the scan of every node are read lazily, a page at
/// a time, so a match stopped early (a `LIMIT`) reads few nodes.
fn candidates<'r>(
    r: Reader<'r>,
    np: &NodePat,
    env: &mut Env<'_>,
) -> QResult<(Candidates<'r>, bool)> {
    for label in &np.labels {
        for (key, e) in &np.props {
            let value = e.eval(env)?;
            let probes: Vec<Value> = match &value {
                V::String(s) => vec![Value::String(s.clone())],
                V::Bool(b) => vec![Value::Bool(*b)],
                V::Int(i) => vec![Value::Int(*i), Value::Float(*i as f64)],
                V::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => {
                    vec![Value::Float(*f), Value::Int(*f as i64)]
                }
                V::Float(f) if !f.is_nan() => vec![Value::Float(*f)],
                V::Null => return Ok((Box::new(std::iter::empty()), false)),
                _ => continue,
            };
            let mut out = Vec::new();
            let mut indexed = true;
            for probe in &probes {
                match r.nodes_by_property(label, key, probe) {
                    Ok(ids) => out.extend(ids),
                    Err(Error::NotIndexed { .. }) => {
                        indexed = false;
                        break;
                    }
                    Err(e) => return Err(QueryError::from(e)),
                }
            }
            if indexed {
                out.sort_unstable();
                out.dedup();
                return Ok((Box::new(out.into_iter().map(Ok)), false));
            }
        }
    }
    let lazy = |ids: NodeIds<'r>| -> Candidates<'r> {
        Box::new(ids.map(|id| id.map_err(QueryError::from)))
    };
    Ok(match np.labels.first() {
        Some(label) => (lazy(NodeIds::with_label(r, label)), true),
        None => (lazy(NodeIds::all(r)), false),
    })
}

/// The candidate start nodes of node pattern `np`: with `members` (a
/// match that reads the whole label anyway), the label's cached member
/// list; else as [`candidates`] finds them.
fn start_candidates<'r>(
    r: Reader<'r>,
    (members, snapshot): (Option<&ReadTxn<'_>>, Option<&ReadTxn<'_>>),
    np: &NodePat,
    filter: Option<&Expr>,
    env: &mut Env<'_>,
) -> QResult<(Candidates<'r>, bool)> {
    if np.props.is_empty()
        && let Some(filter) = filter
    {
        if let Some(ids) = listed_start(r, np, filter, env)? {
            return Ok((Box::new(ids.into_iter().map(Ok)), false));
        }
        if let Some(ids) = range_start(r, np, filter, env)? {
            return Ok((Box::new(ids.map(|id| id.map_err(QueryError::from))), false));
        }
        if let (Some(txn), Some(label)) = (snapshot, np.labels.first())
            && let Some(ids) = columnar_start(txn, label, np.slot, filter, env)?
        {
            return Ok((Box::new(ids.into_iter().map(Ok)), true));
        }
    }
    if let (Some(txn), Some(label)) = (members, np.labels.first())
        && np.props.is_empty()
    {
        let list = columns::members(txn, label)?;
        return Ok((Box::new((0..list.len()).map(move |i| Ok(list[i]))), true));
    }
    candidates(r, np, env)
}

/// The nodes a top-level `AND` of `filter` names outright: `id(n) = e`,
/// `elementId(n) = e` (rule `NodeByIdSeek`), the same with `IN list`, or
/// `n.key IN list` where an index or unique key of one of `np`'s labels
/// covers `key` (rule `IndexRangeStart`, a range of one value per item),
/// `e` and `list` known before the match ([`bound_like`]). Each node
/// once, in id order; the filter still runs on each. `None` when no
/// conjunct has these forms, or when its value fails, is not a list for
/// `IN` (the filter then raises what it owes) or holds an item no index
/// range can look up.
fn listed_start(
    r: Reader<'_>,
    np: &NodePat,
    filter: &Expr,
    env: &mut Env<'_>,
) -> QResult<Option<Vec<NodeId>>> {
    use crate::query::plan::func::Function as F;
    for (listed, named, e) in named_starts(filter, np.slot) {
        let Ok(value) = e.eval(env) else {
            continue;
        };
        let values = match (listed, value) {
            (false, v) => vec![v],
            (true, V::List(items)) => items,
            // `IN null` keeps nothing; `IN` anything else fails.
            (true, V::Null) => Vec::new(),
            _ => continue,
        };
        let found = match named {
            Named::Id(f) => {
                let mut ids = Vec::new();
                for v in &values {
                    let id = match (f, v) {
                        (F::Id, V::Int(i)) => u64::try_from(*i).ok(),
                        (F::Id, V::Float(x)) if x.fract() == 0.0 && *x >= 0.0 => Some(*x as u64),
                        (F::ElementId, V::String(s)) => {
                            s.parse::<u64>().ok().filter(|i| i.to_string() == *s)
                        }
                        _ => None,
                    };
                    if let Some(id) = id
                        && r.node_record(NodeId(id))?.is_some()
                    {
                        ids.push(NodeId(id));
                    }
                }
                Some(ids)
            }
            Named::Key(key) => indexed_values(r, np, key, &values)?,
        };
        if let Some(mut ids) = found {
            ids.sort_unstable();
            ids.dedup();
            return Ok(Some(ids));
        }
    }
    Ok(None)
}

/// The nodes of `np` whose `key` equals one of `values`, by the first of
/// its labels with an index or unique key on `key`; `None` when none
/// covers it or an item is a value no range looks up (a list).
fn indexed_values(
    r: Reader<'_>,
    np: &NodePat,
    key: &str,
    values: &[CypherValue],
) -> QResult<Option<Vec<NodeId>>> {
    let schema = r.schema()?;
    let covered = |label: &str| match (
        r.names.id(Kind::Label, label),
        r.names.id(Kind::PropKey, key),
    ) {
        (Some(l), Some(k)) => schema.unique.contains(&(l, k)) || schema.indexed.contains(&(l, k)),
        _ => false,
    };
    let Some(label) = np.labels.iter().find(|l| covered(l)) else {
        return Ok(None);
    };
    let mut ids = Vec::new();
    for v in values {
        // `null` and maps equal no stored value.
        let Some(stored) = to_stored(v).ok().flatten() else {
            continue;
        };
        let one = Some((&stored, true));
        let Some(found) = r.nodes_in_range(label, key, one, one)? else {
            return Ok(None);
        };
        for id in found {
            ids.push(id?);
        }
    }
    Ok(Some(ids))
}

/// The nodes of `np` an index or unique key finds from the bounds that
/// `filter`'s top-level `AND`s put on one of its properties
/// (`n.key > e`, `e <= n.key`, ...; `e` made of literals, parameters and
/// variables bound before), or `None` when no index covers one. The
/// range start: the filter still runs on every node it gives.
fn range_start<'r>(
    r: Reader<'r>,
    np: &NodePat,
    filter: &Expr,
    env: &mut Env<'_>,
) -> QResult<Option<RangeNodes<'r>>> {
    use crate::query::plan::expr::BinaryOp as B;
    if np.labels.is_empty() {
        return Ok(None);
    }
    // Per key: its first lower and first upper bound.
    let mut bounds: Vec<(&str, Bound<'_>, Bound<'_>)> = Vec::new();
    for (key, op, bound) in start_comparisons(filter, np.slot) {
        let at = bounds
            .iter()
            .position(|(k, ..)| *k == key)
            .unwrap_or_else(|| {
                bounds.push((key, None, None));
                bounds.len() - 1
            });
        let entry = &mut bounds[at];
        match op {
            // An equality is the range from the value to itself.
            B::Eq if entry.1.is_none() && entry.2.is_none() => {
                (entry.1, entry.2) = (Some((bound, true)), Some((bound, true)));
            }
            B::Gt | B::Ge if entry.1.is_none() => entry.1 = Some((bound, op == B::Ge)),
            B::Lt | B::Le if entry.2.is_none() => entry.2 = Some((bound, op == B::Le)),
            _ => {}
        }
    }
    for (key, lower, upper) in bounds {
        let mut value = |b: Option<(&Expr, bool)>| -> QResult<Option<Option<(Value, bool)>>> {
            let Some((e, included)) = b else {
                return Ok(Some(None));
            };
            // A bound that is not a stored value (null, a map) or that
            // fails finds no range here: the label is scanned and the
            // filter decides (and raises the error if a match reaches it).
            Ok(e.eval(env)
                .ok()
                .and_then(|v| to_stored(&v).ok().flatten())
                .map(|v| Some((v, included))))
        };
        let (Some(lo), Some(hi)) = (value(lower)?, value(upper)?) else {
            continue;
        };
        for label in &np.labels {
            let found = r.nodes_in_range(
                label,
                key,
                lo.as_ref().map(|(v, i)| (v, *i)),
                hi.as_ref().map(|(v, i)| (v, *i)),
            )?;
            if found.is_some() {
                return Ok(found);
            }
        }
    }
    Ok(None)
}

/// The start nodes the rule `ColumnarFilter` finds for the node in
/// `slot` with `label` on snapshot `txn`, from the comparisons of its
/// properties with values known before the match (`n.key op e`, `e`
/// as a range bound's: [`bound_like`]) among `filter`'s top-level
/// `AND`s; `None` when it does not apply.
fn columnar_start(
    txn: &ReadTxn<'_>,
    label: &str,
    slot: usize,
    filter: &Expr,
    env: &mut Env<'_>,
) -> QResult<Option<Vec<NodeId>>> {
    let mut tests = Vec::new();
    for (key, op, e) in start_comparisons(filter, slot) {
        // A value that fails tests nothing here: the filter decides.
        if let Ok(v) = e.eval(env) {
            tests.push((key, op, v));
        }
    }
    super::columnar::filtered_start(txn, label, &tests)
}

/// A bound of a range start: its expression and whether it is included.
type Bound<'e> = Option<(&'e Expr, bool)>;

/// A match of a pattern whose first chain starts at a scan (a label
/// scan, an index lookup or every node), resumable a start node at a
/// time: a statement's first `MATCH` streams its rows from one.
pub(crate) struct Scan<'r> {
    ids: Candidates<'r>,
    /// The order the pattern's chains run in, the scan's chain first.
    order: Vec<usize>,
    /// The node pattern the scan is of.
    start: usize,
    /// What a start node must still have (a label scan's label is known).
    rest: NodePat,
    /// The row being extended.
    row: Row,
}

impl<'r> Scan<'r> {
    /// The scan that matches `pattern` from `row` on `r` (a label scan
    /// reading the label's cached member list of snapshot `members`, if
    /// given; the rule `ColumnarFilter` on `snapshot`, if given; an
    /// index range when `ranges`), or `None` when its first chain starts
    /// at a bound node or is a shortest path. With `ranges` (the rules),
    /// the first chain is the first of [`chain_order`].
    pub fn start(
        r: Reader<'r>,
        (members, snapshot): (Option<&ReadTxn<'_>>, Option<&ReadTxn<'_>>),
        pattern: &Pattern,
        row: &[CypherValue],
        env: &mut Env<'_>,
        starts: &mut Starts,
        ranges: bool,
    ) -> QResult<Option<Scan<'r>>> {
        let order = if ranges && pattern.chains.len() > 1 {
            chain_order(r, pattern, starts)?.to_vec()
        } else {
            (0..pattern.chains.len()).collect()
        };
        let Some(c) = order.first().map(|&i| &pattern.chains[i]) else {
            return Ok(None);
        };
        let bound = c
            .nodes
            .iter()
            .any(|n| n.earlier || row.get(n.slot).is_some_and(|v| !v.is_null()));
        if bound || c.shortest.is_some() {
            return Ok(None);
        }
        let start = start_of(r, c, starts)?;
        let np = &c.nodes[start];
        let filter = pattern.filter.as_ref().filter(|_| ranges);
        let snapshot = snapshot.filter(|_| ranges);
        let (ids, labelled) = start_candidates(r, (members, snapshot), np, filter, env)?;
        let mut work: Row = row.to_vec();
        work.resize(pattern.width.max(row.len()), V::Null);
        Ok(Some(Scan {
            ids,
            order,
            start,
            rest: rest_of(np, labelled),
            row: work,
        }))
    }
}

/// Step `k` of chain `ci`'s walk `order`: its relationship pattern, the
/// node pattern it reaches and whether it is walked left to right.
fn step_of<'p>(
    p: &'p Pattern,
    ci: usize,
    order: &[(usize, bool)],
    k: usize,
) -> (&'p RelPat, &'p NodePat, bool) {
    let c = &p.chains[ci];
    let (ri, forward) = order[k];
    (
        &c.rels[ri],
        &c.nodes[if forward { ri + 1 } else { ri }],
        forward,
    )
}

/// The hops of chain `c` in the order a walk from node `s` takes them:
/// rightwards from `s`, then leftwards.
fn walk_order(c: &Chain, s: usize) -> Vec<(usize, bool)> {
    (s..c.rels.len())
        .map(|i| (i, true))
        .chain((0..s).rev().map(|i| (i, false)))
        .collect()
}

/// What a candidate of `np` must still be checked for: a label scan's
/// nodes carry its first label.
fn rest_of(np: &NodePat, labelled: bool) -> NodePat {
    NodePat {
        labels: np.labels[usize::from(labelled)..].to_vec(),
        ..np.clone()
    }
}

fn not_a(what: &str, v: &CypherValue) -> QueryError {
    QueryError::runtime(
        ErrorKind::TypeError,
        "InvalidArgumentType",
        format!("a {what} was expected, not {}", v.type_name()),
    )
}

/// The path a matched chain spells, from the row.
fn build_path(c: &Chain, row: &Row) -> QResult<PathValue> {
    let V::Node(first) = &row[c.nodes[0].slot] else {
        return Err(not_a("node", &row[c.nodes[0].slot]));
    };
    let mut at = first.id;
    let mut nodes = vec![NodeValue::bare(at)];
    let mut relationships = Vec::new();
    for rp in &c.rels {
        let rels: Vec<&RelValue> = match &row[rp.slot] {
            V::Relationship(r) => vec![r],
            V::List(items) => items
                .iter()
                .filter_map(|v| match v {
                    V::Relationship(r) => Some(&**r),
                    _ => None,
                })
                .collect(),
            other => return Err(not_a("relationship", other)),
        };
        for r in rels {
            at = if r.start == at { r.end } else { r.start };
            nodes.push(NodeValue::bare(at));
            relationships.push(r.clone());
        }
    }
    Ok(PathValue {
        nodes,
        relationships,
    })
}

/// The property map of a pattern element being created: its literal
/// entries, or the entries of its parameter map (`CREATE (n $props)`);
/// entries whose value is `null` are left out.
pub(crate) fn eval_props(
    props: &[(String, Expr)],
    map: Option<&Expr>,
    env: &mut Env<'_>,
) -> QResult<Vec<(String, Value)>> {
    let mut out = Vec::new();
    for (key, e) in props {
        if let Some(v) = to_stored(&e.eval(env)?)? {
            out.push((key.clone(), v));
        }
    }
    if let Some(e) = map {
        match e.eval(env)? {
            V::Map(entries) => {
                for (key, v) in entries {
                    if let Some(v) = to_stored(&v)? {
                        out.push((key, v));
                    }
                }
            }
            other => return Err(not_a("map of properties", &other)),
        }
    }
    Ok(out)
}
