//! The lowered form of the rule `ColumnarAggregate` (see
//! `optimise::columnar`): a statement's first `MATCH` and the aggregation
//! after it as expressions over a chain's nodes (two, or three for an
//! open chain of two hops) and property columns.
//! Run by `exec::columnar`.

use super::expr::BinaryOp;
use super::func::Aggregate;
use super::pattern::Dir;
use crate::query::value::CypherValue;

/// An expression over the chain's nodes (by position in the chain) and
/// the property columns (by index into `Shape::columns`).
#[derive(Clone, Debug)]
pub(crate) enum C {
    Const(CypherValue),
    /// A parameter, replaced by its value when the run starts.
    Param(String),
    Prop(usize, usize),
    /// A property of the hop's relationship, by index into
    /// `Shape::rel_columns`.
    RelProp(usize),
    /// A component or entry of a value: `e.at.year` (the `.year` of the
    /// property `e.at`).
    Field(Box<C>, String),
    Node(usize),
    /// A pattern predicate from the node at a position (`(n)-[:T]->(:L)`),
    /// by index into `Shape::exists`.
    Exists(usize, usize),
    Not(Box<C>),
    IsNull(Box<C>, bool),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
    Binary(BinaryOp, Box<C>, Box<C>),
}

/// The bit of [`C::vars`] for the hop's relationship (positions take
/// the bits below it).
pub(crate) const REL: u8 = 0b1000;

impl C {
    /// The chain positions it reads, as bits.
    pub fn vars(&self) -> u8 {
        match self {
            C::Const(_) | C::Param(_) => 0,
            C::Prop(v, _) | C::Node(v) | C::Exists(v, _) => 1 << v,
            C::RelProp(_) => REL,
            C::Not(a) | C::IsNull(a, _) | C::Field(a, _) => a.vars(),
            C::And(a, b) | C::Or(a, b) | C::Binary(_, a, b) => a.vars() | b.vars(),
        }
    }
}

/// The statement's shape, lowered, when the rule applies to it.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    /// Labels of chain positions 0, 1 and 2 (a cycle's third node is
    /// position 0 again, so position 2 is only an open chain's).
    pub labels: [Vec<String>; 3],
    /// Relationship hops: none, one, or two closing a cycle or, when
    /// `open`, leading to a third node.
    pub hops: Vec<Hop>,
    /// Two hops whose third node is not the first: the rows only count
    /// (`count(*)`, `count(node)`), and every conjunct and the grouping
    /// keys read one position each, so the matches through a middle node
    /// are a product of its two sides' counts (a factorised count).
    pub open: bool,
    /// `WHERE` and inline properties, split at top-level `AND`s.
    pub conjuncts: Vec<C>,
    /// One per projection item: a grouping key, or `None` for an item
    /// made of aggregates.
    pub keys: Vec<Option<C>>,
    pub aggregates: Vec<(Aggregate, Option<C>)>,
    /// Whether each aggregate is `count(DISTINCT ...)` (`min` / `max` of
    /// distinct values are plain ones; other `DISTINCT` aggregates the
    /// rule does not take).
    pub distinct: Vec<bool>,
    /// Property keys by column index.
    pub columns: Vec<String>,
    /// Relationship property keys by index.
    pub rel_columns: Vec<String>,
    /// The inline property keys of each chain position's node pattern:
    /// one a label's index or unique key finds makes a lookup cheaper
    /// than the rule's scan.
    pub inline: [Vec<String>; 3],
    /// The pattern predicates' hops.
    pub exists: Vec<ExistsHop>,
}

impl Shape {
    /// Whether the shape is one directed hop of given types, grouped by
    /// one property of its relationship, only counted, with nothing but
    /// constants to check and no node property read: the form whose
    /// relationships can be counted by id, without a projection, when
    /// the statistics say every relationship of the types joins the two
    /// labels (see `exec::columnar`).
    pub fn counts_relationships(&self) -> bool {
        let [hop] = self.hops.as_slice() else {
            return false;
        };
        let mut keys = self.keys.iter().flatten();
        !self.open
            && hop.dir != Dir::Either
            && !hop.types.is_empty()
            && self.exists.is_empty()
            && self.columns.is_empty()
            && self.rel_columns.len() == 1
            && matches!((keys.next(), keys.next()), (Some(C::RelProp(0)), None))
            && self.conjuncts.iter().all(|c| c.vars() == 0)
            && self.counts_only()
    }

    /// Whether every aggregate is `count(*)` or the count of a node (never
    /// null), none `DISTINCT`: folding a match is adding one.
    pub fn counts_only(&self) -> bool {
        !self.distinct.contains(&true)
            && self.aggregates.iter().all(|(f, a)| {
                matches!(
                    (f, a),
                    (Aggregate::CountStar, None) | (Aggregate::Count, Some(C::Node(_)))
                )
            })
    }
}

/// A pattern predicate of one hop from a node the match binds to a new
/// node with nothing but labels to check: whether the node has a
/// relationship of `types` by `dir` (read from the bound node) to a node
/// with every one of `labels`.
#[derive(Clone, Debug)]
pub(crate) struct ExistsHop {
    pub types: Vec<String>,
    pub dir: Dir,
    pub labels: Vec<String>,
}

/// The lowered form of the rule `ColumnarTopK`: a statement's first
/// `MATCH` of one node pattern, as a shape of no hops and no
/// aggregates, and the `ORDER BY` keys of the projection after it, over
/// that node.
#[derive(Clone, Debug)]
pub(crate) struct TopK {
    pub shape: Shape,
    /// Sort keys; `true`: descending.
    pub order: Vec<(C, bool)>,
}

/// One hop of the chain.
#[derive(Clone, Debug)]
pub(crate) struct Hop {
    pub types: Vec<String>,
    pub dir: Dir,
}
