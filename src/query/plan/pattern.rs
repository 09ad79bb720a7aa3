//! Compiled patterns: node and relationship patterns with their slots,
//! chains and the `WHERE` that goes with them. Matched by
//! `exec::matcher`.

use super::expr::Expr;
use crate::Direction;

/// A node pattern `(v:A:B {k: e})`.
#[derive(Clone, Debug)]
pub(crate) struct NodePat {
    pub slot: usize,
    /// Bound before the clause (a `null` there matches nothing).
    pub earlier: bool,
    pub labels: Vec<String>,
    pub props: Vec<(String, Expr)>,
    /// `CREATE (v $map)`: a parameter whose entries are the properties
    /// (`props` is then empty; other clauses refuse a parameter map).
    pub map: Option<Expr>,
    /// What the pattern's `WHERE` names of this node with values known
    /// before the match, which a start can seek (set by the optimiser;
    /// the chain's start and order weigh it as they weigh inline
    /// properties).
    pub seek: Option<Seek>,
}

/// A node named by its pattern's `WHERE`: `id(n)` / `elementId(n)`
/// equal to (or `IN`) a value, or a property `= value` / `IN list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seek {
    Id,
    Key(String),
}

/// The direction of a relationship pattern, left to right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Right,
    Left,
    Either,
}

impl Dir {
    /// The direction read from the other end.
    pub fn reversed(self) -> Dir {
        match self {
            Dir::Right => Dir::Left,
            Dir::Left => Dir::Right,
            Dir::Either => Dir::Either,
        }
    }

    pub fn storage(self, forward: bool) -> Direction {
        match (self, forward) {
            (Dir::Either, _) => Direction::Both,
            (Dir::Right, true) | (Dir::Left, false) => Direction::Out,
            (Dir::Right, false) | (Dir::Left, true) => Direction::In,
        }
    }
}

/// A relationship pattern `-[v:T|U {k: e} *a..b]->`.
#[derive(Clone, Debug)]
pub(crate) struct RelPat {
    pub slot: usize,
    pub earlier: bool,
    pub types: Vec<String>,
    pub dir: Dir,
    pub props: Vec<(String, Expr)>,
    /// `CREATE ()-[v:T $map]->()`, as [`NodePat::map`].
    pub map: Option<Expr>,
    /// Variable length: `(min, max)` hops; `None` for exactly one.
    pub range: Option<(usize, Option<usize>)>,
}

/// `shortestPath` or `allShortestPaths`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shortest {
    One,
    All,
}

/// A chain: `nodes[i]` and `nodes[i + 1]` joined by `rels[i]`.
#[derive(Clone, Debug)]
pub(crate) struct Chain {
    pub nodes: Vec<NodePat>,
    pub rels: Vec<RelPat>,
    /// The slot of the path variable `p = ...`.
    pub path: Option<usize>,
    pub shortest: Option<Shortest>,
    /// The node to start from when none is bound.
    pub start: usize,
}

/// A comma-separated pattern with its `WHERE`.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    pub chains: Vec<Chain>,
    pub filter: Option<Expr>,
    /// Row width once the pattern's variables are bound.
    pub width: usize,
    /// The last hop matched only needs counting: it ends at an anonymous
    /// node pattern with nothing to check, through an anonymous
    /// relationship of fixed length, nothing later reads either, and the
    /// rows go to an aggregation (set by the compiler). Each row is then
    /// emitted once with the number of matches as its weight.
    pub count_tail: bool,
    /// Only which nodes the one variable-length hop reaches matters, not
    /// by which trails (set by the optimiser's `PruningVarExpand`): each
    /// reachable end is found once, by a breadth-first search, instead of
    /// once per trail.
    pub prune_ends: bool,
    /// The conjuncts of `filter` checked as soon as the walk binds the
    /// slots they read (set by the optimiser's `PredicatePushdown`).
    pub early: Vec<Early>,
    /// With `early`, the conjuncts of `filter` left to run on each
    /// complete match (`None`: none).
    pub residual: Option<Expr>,
}

/// A conjunct of a pattern's `WHERE` and the pattern's slots it reads.
#[derive(Clone, Debug)]
pub(crate) struct Early {
    pub expr: Expr,
    pub slots: Vec<usize>,
}

impl Pattern {
    /// The slots of the relationship and path of a pattern of one chain
    /// of one variable-length hop, of at least 0 or 1 hops, not bound
    /// before, whose own properties and `WHERE` read neither: the shape
    /// whose end nodes a breadth-first search finds (see `prune_ends`).
    pub fn one_var_length_hop(&self) -> Option<(usize, Option<usize>)> {
        let [c] = self.chains.as_slice() else {
            return None;
        };
        let [rp] = c.rels.as_slice() else {
            return None;
        };
        let (min, _) = rp.range?;
        if min > 1 || rp.earlier || c.shortest.is_some() || rp.map.is_some() {
            return None;
        }
        let reads = |slot: usize| {
            let nodes = c.nodes.iter().flat_map(|n| n.props.iter().map(|(_, e)| e));
            let exprs = nodes.chain(rp.props.iter().map(|(_, e)| e));
            exprs.chain(&self.filter).any(|e| e.may_read(slot))
        };
        if reads(rp.slot) || c.path.is_some_and(reads) {
            return None;
        }
        Some((rp.slot, c.path))
    }

    /// The slot and label of a pattern that is one new node of one label
    /// and nothing else (`(n:L)`: no properties, relationships, path or
    /// `WHERE`), whose matches are the label's members.
    pub fn one_labelled_node(&self) -> Option<(usize, &str)> {
        let [c] = self.chains.as_slice() else {
            return None;
        };
        let [n] = c.nodes.as_slice() else {
            return None;
        };
        let [label] = n.labels.as_slice() else {
            return None;
        };
        let plain = !n.earlier && n.props.is_empty() && n.map.is_none();
        (plain && c.path.is_none() && c.shortest.is_none() && self.filter.is_none())
            .then_some((n.slot, label.as_str()))
    }

    /// The slots the pattern binds (not those bound before it): the
    /// nodes and single relationships a walk step binds, then the
    /// variable-length relationships (lists) and paths, made whole only
    /// at the end of their chain.
    pub fn fresh_slots(&self) -> (Vec<usize>, Vec<usize>) {
        let (mut stepped, mut whole) = (Vec::new(), Vec::new());
        for c in &self.chains {
            stepped.extend(c.nodes.iter().filter(|n| !n.earlier).map(|n| n.slot));
            for r in c.rels.iter().filter(|r| !r.earlier) {
                if r.range.is_none() && c.shortest.is_none() {
                    stepped.push(r.slot);
                } else {
                    whole.push(r.slot);
                }
            }
            whole.extend(c.path);
        }
        (stepped, whole)
    }

    /// Whether the pattern can end in a counted hop (see `count_tail`);
    /// `anonymous` says whether a slot belongs to an unnamed element.
    pub fn tail_is_free(&self, anonymous: &dyn Fn(usize) -> bool) -> bool {
        let [c] = self.chains.as_slice() else {
            return false;
        };
        if self.filter.is_some() || c.path.is_some() || c.shortest.is_some() || c.rels.len() != 1 {
            return false;
        }
        let (rp, free) = (&c.rels[0], &c.nodes[1 - c.start.min(1)]);
        c.start <= 1
            && rp.range.is_none()
            && rp.props.is_empty()
            && !rp.earlier
            && free.labels.is_empty()
            && free.props.is_empty()
            && !free.earlier
            && anonymous(free.slot)
            && anonymous(rp.slot)
    }
}
