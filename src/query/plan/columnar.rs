//! The lowered form of the rule `ColumnarAggregate` (see
//! `optimise::columnar`): a statement's first `MATCH` and the aggregation
//! after it as expressions over a chain's two nodes and property columns.
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
    Node(usize),
    Not(Box<C>),
    IsNull(Box<C>, bool),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
    Binary(BinaryOp, Box<C>, Box<C>),
}

/// The bit of [`C::vars`] for the hop's relationship.
pub(crate) const REL: u8 = 0b100;

impl C {
    /// The chain positions it reads, as bits.
    pub fn vars(&self) -> u8 {
        match self {
            C::Const(_) | C::Param(_) => 0,
            C::Prop(v, _) | C::Node(v) => 1 << v,
            C::RelProp(_) => REL,
            C::Not(a) | C::IsNull(a, _) => a.vars(),
            C::And(a, b) | C::Or(a, b) | C::Binary(_, a, b) => a.vars() | b.vars(),
        }
    }
}

/// The statement's shape, lowered, when the rule applies to it.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    /// Labels of chain positions 0 and 1 (a cycle's third node is
    /// position 0 again).
    pub labels: [Vec<String>; 2],
    /// Relationship hops: none, one, or two closing a cycle.
    pub hops: Vec<Hop>,
    /// `WHERE` and inline properties, split at top-level `AND`s.
    pub conjuncts: Vec<C>,
    /// One per projection item: a grouping key, or `None` for an item
    /// made of aggregates.
    pub keys: Vec<Option<C>>,
    pub aggregates: Vec<(Aggregate, Option<C>)>,
    /// Property keys by column index.
    pub columns: Vec<String>,
    /// Relationship property keys by index.
    pub rel_columns: Vec<String>,
    /// The inline property keys of each chain position's node pattern:
    /// one a label's index or unique key finds makes a lookup cheaper
    /// than the rule's scan.
    pub inline: [Vec<String>; 2],
}

/// One hop of the chain.
#[derive(Clone, Debug)]
pub(crate) struct Hop {
    pub types: Vec<String>,
    pub dir: Dir,
}
