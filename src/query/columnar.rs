//! The rule `ColumnarAggregate`: a statement's first `MATCH` and the
//! aggregation right after it, run together over whole columns instead
//! of one boxed row at a time.
//!
//! It applies to `MATCH` of one chain of zero or one hop, or of two hops
//! that close a cycle back to the first node (`(a)-->(b)-->(a)`), whose
//! relationships are not named by anything the statement reads, followed
//! by `WITH` / `RETURN` that aggregates with `count`, `sum`, `avg`, `min`
//! and `max` (no `DISTINCT` inside them), when `WHERE`, inline
//! properties, grouping keys and aggregate arguments are built of the
//! nodes' properties, the nodes themselves, literals, parameters,
//! comparisons, boolean logic, `IS [NOT] NULL` and arithmetic. Then, on a
//! read snapshot:
//!
//! * the start node's candidates are its label's cached member list
//!   (`columns::members`), intersected with its other labels' lists;
//! * properties are read from the snapshot's property columns
//!   (`columns::column`), never from a record;
//! * a hop walks the snapshot's cached CSR projection of its
//!   relationship types (`ReadTxn::projection_of_snapshot`), and the far
//!   node's labels and the `WHERE` conjuncts that read only it are
//!   decided once per node into a bitset before the walk;
//! * conjuncts that read only the start node are decided once per start
//!   node, the rest once per relationship;
//! * the chain starts at the node the grouping keys read, so a group's
//!   aggregates are folded over all of a start node's relationships
//!   before its key is hashed once (top-k by degree hashes once per node,
//!   not once per relationship).
//!
//! A value the rule does not hold in its fast form (a list in a
//! comparison, an integer overflow, a type error) makes the run give up
//! and the statement run on the row-at-a-time path, which then returns
//! the same rows or raises the error it owes.

use std::sync::Arc;

use fixedbitset::FixedBitSet;
use rustc_hash::FxBuildHasher;

use super::columns::{Column, column, members};
use super::compile::{AggregateSpec, Projection};
use super::error::{Deadline, QResult, check_deadline};
use super::exec::encode;
use super::expr::{BinaryOp, Env, Expr, Params, UnaryOp, binary};
use super::func::Aggregate;
use super::graph::Graph;
use super::pattern::{Dir, Pattern};
use super::value::{CypherValue as V, CypherValue, NodeValue};
use crate::NodeId;
use crate::algo::{Projection as Csr, ProjectionSpec};
use crate::graph::NodeIds;
use crate::graph::sealed::Sealed;
use crate::txn::ReadTxn;

type Row = Vec<CypherValue>;

/// Why a run gave up: the statement runs on the row-at-a-time path.
#[derive(Debug)]
struct GiveUp;

type Try<T> = Result<T, GiveUp>;

/// Start nodes walked between two looks at the clock.
const TICK: usize = 4096;

/// An expression over the chain's nodes (by position in the chain) and
/// the property columns (by index into [`Run::columns`]).
#[derive(Clone, Debug)]
enum C {
    Const(CypherValue),
    /// A parameter, replaced by its value when the run starts.
    Param(String),
    Prop(usize, usize),
    Node(usize),
    Not(Box<C>),
    IsNull(Box<C>, bool),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
    Binary(BinaryOp, Box<C>, Box<C>),
}

/// A value an expression made: borrowed from a column or the plan, or
/// made here.
enum Val<'a> {
    Ref(&'a CypherValue),
    Own(CypherValue),
}

impl Val<'_> {
    fn get(&self) -> &CypherValue {
        match self {
            Val::Ref(v) => v,
            Val::Own(v) => v,
        }
    }
}

static NULL: CypherValue = V::Null;

impl C {
    /// The chain positions it reads, as bits.
    fn vars(&self) -> u8 {
        match self {
            C::Const(_) | C::Param(_) => 0,
            C::Prop(v, _) | C::Node(v) => 1 << v,
            C::Not(a) | C::IsNull(a, _) => a.vars(),
            C::And(a, b) | C::Or(a, b) | C::Binary(_, a, b) => a.vars() | b.vars(),
        }
    }

    fn bind(&mut self, params: &Params) -> Try<()> {
        match self {
            C::Param(name) => *self = C::Const(params.get(name).cloned().ok_or(GiveUp)?),
            C::Not(a) | C::IsNull(a, _) => a.bind(params)?,
            C::And(a, b) | C::Or(a, b) | C::Binary(_, a, b) => {
                a.bind(params)?;
                b.bind(params)?;
            }
            C::Const(_) | C::Prop(..) | C::Node(_) => {}
        }
        Ok(())
    }

    fn eval<'a>(&'a self, ids: &[NodeId; 2], columns: &'a [Arc<Column>]) -> Try<Val<'a>> {
        Ok(match self {
            C::Const(v) => Val::Ref(v),
            C::Param(_) => return Err(GiveUp),
            C::Prop(v, c) => Val::Ref(columns[*c].get(ids[*v]).unwrap_or(&NULL)),
            C::Node(v) => Val::Own(V::Node(Box::new(NodeValue::bare(ids[*v])))),
            C::Not(a) => Val::Own(match truth(a.eval(ids, columns)?.get())? {
                Some(b) => V::Bool(!b),
                None => V::Null,
            }),
            C::IsNull(a, negated) => {
                Val::Own(V::Bool(a.eval(ids, columns)?.get().is_null() != *negated))
            }
            C::And(a, b) => {
                let x = truth(a.eval(ids, columns)?.get())?;
                if x == Some(false) {
                    return Ok(Val::Own(V::Bool(false)));
                }
                let y = truth(b.eval(ids, columns)?.get())?;
                Val::Own(match (x, y) {
                    (_, Some(false)) => V::Bool(false),
                    (Some(true), Some(true)) => V::Bool(true),
                    _ => V::Null,
                })
            }
            C::Or(a, b) => {
                let x = truth(a.eval(ids, columns)?.get())?;
                if x == Some(true) {
                    return Ok(Val::Own(V::Bool(true)));
                }
                let y = truth(b.eval(ids, columns)?.get())?;
                Val::Own(match (x, y) {
                    (_, Some(true)) => V::Bool(true),
                    (Some(false), Some(false)) => V::Bool(false),
                    _ => V::Null,
                })
            }
            C::Binary(op, a, b) => {
                let (x, y) = (a.eval(ids, columns)?, b.eval(ids, columns)?);
                Val::Own(binary(*op, x.get(), y.get()).map_err(|_| GiveUp)?)
            }
        })
    }

    /// Whether the predicate holds (`null` does not).
    fn holds(&self, ids: &[NodeId; 2], columns: &[Arc<Column>]) -> Try<bool> {
        Ok(truth(self.eval(ids, columns)?.get())? == Some(true))
    }
}

fn truth(v: &CypherValue) -> Try<Option<bool>> {
    match v {
        V::Bool(b) => Ok(Some(*b)),
        V::Null => Ok(None),
        _ => Err(GiveUp),
    }
}

/// Lowers expressions of a statement to [`C`], naming the property
/// columns they read.
struct Lower<'p> {
    /// The slot of each chain position's node.
    slots: &'p [usize],
    keys: Vec<String>,
}

impl Lower<'_> {
    fn var(&self, e: &Expr) -> Option<usize> {
        match e {
            Expr::Slot(s) => self.slots.iter().position(|x| x == s),
            _ => None,
        }
    }

    fn column(&mut self, key: &str) -> usize {
        if let Some(i) = self.keys.iter().position(|k| k == key) {
            return i;
        }
        self.keys.push(key.to_owned());
        self.keys.len() - 1
    }

    fn lower(&mut self, e: &Expr) -> Option<C> {
        use BinaryOp as B;
        Some(match e {
            Expr::Const(v) => C::Const(v.clone()),
            Expr::Param(name) => C::Param(name.clone()),
            Expr::Slot(_) => C::Node(self.var(e)?),
            Expr::Property(base, key) => {
                let v = self.var(base)?;
                C::Prop(v, self.column(key))
            }
            Expr::Unary(UnaryOp::Not, a) => C::Not(Box::new(self.lower(a)?)),
            Expr::IsNull(a, negated) => C::IsNull(Box::new(self.lower(a)?), *negated),
            Expr::Binary(B::And, a, b) => {
                C::And(Box::new(self.lower(a)?), Box::new(self.lower(b)?))
            }
            Expr::Binary(B::Or, a, b) => C::Or(Box::new(self.lower(a)?), Box::new(self.lower(b)?)),
            Expr::Binary(
                op @ (B::Xor
                | B::Eq
                | B::Ne
                | B::Lt
                | B::Le
                | B::Gt
                | B::Ge
                | B::Add
                | B::Sub
                | B::Mul
                | B::Div
                | B::Rem
                | B::StartsWith
                | B::EndsWith
                | B::Contains),
                a,
                b,
            ) => C::Binary(*op, Box::new(self.lower(a)?), Box::new(self.lower(b)?)),
            _ => return None,
        })
    }
}

/// Whether `e`, an aggregating item, reads nothing of the input row but
/// its aggregates.
fn reads_only_aggregates(e: &Expr) -> bool {
    match e {
        Expr::Aggregate(_) | Expr::Const(_) | Expr::Param(_) => true,
        Expr::Unary(_, a) | Expr::IsNull(a, _) => reads_only_aggregates(a),
        Expr::Binary(_, a, b) => reads_only_aggregates(a) && reads_only_aggregates(b),
        Expr::List(items) => items.iter().all(reads_only_aggregates),
        _ => false,
    }
}

/// The statement's shape, lowered, when the rule applies to it.
#[derive(Debug)]
pub(crate) struct Shape {
    /// Labels of chain positions 0 and 1 (a cycle's third node is
    /// position 0 again).
    labels: [Vec<String>; 2],
    /// Relationship hops: none, one, or two closing a cycle.
    hops: Vec<Hop>,
    /// `WHERE` and inline properties, split at top-level `AND`s.
    conjuncts: Vec<C>,
    /// One per projection item: a grouping key, or `None` for an item
    /// made of aggregates.
    keys: Vec<Option<C>>,
    aggregates: Vec<(Aggregate, Option<C>)>,
    /// Property keys by column index.
    columns: Vec<String>,
}

/// One hop of the chain.
#[derive(Debug)]
struct Hop {
    types: Vec<String>,
    dir: Dir,
}

/// The rule's lowered form of `pattern` followed by the aggregation
/// `p`, or `None` when it does not apply.
pub(crate) fn shape(pattern: &Pattern, p: &Projection) -> Option<Shape> {
    let keys_of = p.grouping.as_ref()?;
    if p.order_sees_input || p.aggregates.iter().any(|a| !simple(a)) {
        return None;
    }
    let [chain] = pattern.chains.as_slice() else {
        return None;
    };
    if chain.path.is_some() || chain.shortest.is_some() {
        return None;
    }
    let n = chain.nodes.len();
    let cycle = n == 3 && chain.nodes[2].slot == chain.nodes[0].slot;
    if !(n <= 2 || cycle) || chain.nodes.iter().any(|np| np.earlier) {
        return None;
    }
    if n == 2 && chain.nodes[0].slot == chain.nodes[1].slot {
        return None;
    }
    let mut hops = Vec::new();
    for r in &chain.rels {
        if r.earlier || r.range.is_some() || !r.props.is_empty() {
            return None;
        }
        hops.push(Hop {
            types: r.types.clone(),
            dir: r.dir,
        });
    }
    if cycle
        && (hops[0].dir != hops[1].dir
            || hops[0].dir == Dir::Either
            || hops[0].types != hops[1].types)
    {
        return None;
    }
    let slots: Vec<usize> = chain.nodes.iter().take(2).map(|np| np.slot).collect();
    let mut lower = Lower {
        slots: &slots,
        keys: Vec::new(),
    };
    let mut labels: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    let mut conjuncts = Vec::new();
    for (i, np) in chain.nodes.iter().enumerate() {
        let at = if i == 2 { 0 } else { i };
        labels[at].extend(np.labels.iter().cloned());
        for (key, value) in &np.props {
            let value = lower.lower(value)?;
            if value.vars() != 0 {
                return None;
            }
            let c = lower.column(key);
            conjuncts.push(C::Binary(
                BinaryOp::Eq,
                Box::new(C::Prop(at, c)),
                Box::new(value),
            ));
        }
    }
    // Nothing may read a relationship: its slot is not a chain node's,
    // so lowering fails on it.
    if let Some(f) = &pattern.filter {
        let mut parts = Vec::new();
        split_and(f, &mut parts);
        for part in parts {
            conjuncts.push(lower.lower(part)?);
        }
    }
    let mut keys = Vec::new();
    for (item, is_key) in p.items.iter().zip(keys_of) {
        if *is_key {
            keys.push(Some(lower.lower(item)?));
        } else if reads_only_aggregates(item) {
            keys.push(None);
        } else {
            return None;
        }
    }
    let mut aggregates = Vec::new();
    for a in &p.aggregates {
        let argument = match &a.argument {
            Some(e) => Some(lower.lower(e)?),
            None => None,
        };
        // A node is an argument of count() alone here.
        if matches!(argument, Some(C::Node(_))) && a.function != Aggregate::Count {
            return None;
        }
        aggregates.push((a.function, argument));
    }
    Some(Shape {
        labels,
        hops,
        conjuncts,
        keys,
        aggregates,
        columns: lower.keys,
    })
}

fn simple(a: &AggregateSpec) -> bool {
    !a.distinct
        && a.second.is_none()
        && matches!(
            a.function,
            Aggregate::CountStar
                | Aggregate::Count
                | Aggregate::Sum
                | Aggregate::Avg
                | Aggregate::Min
                | Aggregate::Max
        )
}

fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if let Expr::Binary(BinaryOp::And, a, b) = e {
        split_and(a, out);
        split_and(b, out);
    } else {
        out.push(e);
    }
}

impl Shape {
    /// What EXPLAIN shows of the rule.
    pub fn describe(&self) -> String {
        let walk = match self.hops.len() {
            0 => "a scan of the start label's member list".to_owned(),
            1 => "the CSR projection of the hop's relationship types".to_owned(),
            _ => "the CSR projection, closing the cycle by a search of each far node's list"
                .to_owned(),
        };
        format!(
            "rule ColumnarAggregate: {walk}; {} property columns; {} conjuncts (start-node ones once per start node, far-node ones once per node into a bitset)",
            self.columns.len(),
            self.conjuncts.len()
        )
    }
}

/// What one aggregate of one group has gathered.
#[derive(Clone, Debug)]
struct Acc {
    n: u64,
    int: Option<i64>,
    float: f64,
    any_float: bool,
    best: Option<CypherValue>,
}

impl Default for Acc {
    fn default() -> Acc {
        Acc {
            n: 0,
            int: Some(0),
            float: 0.0,
            any_float: false,
            best: None,
        }
    }
}

impl Acc {
    fn fold(&mut self, f: Aggregate, value: Option<&CypherValue>, weight: u64) -> Try<()> {
        let Some(value) = value else {
            // count(*)
            self.n += weight;
            return Ok(());
        };
        if value.is_null() {
            return Ok(());
        }
        match f {
            Aggregate::CountStar | Aggregate::Count => self.n += weight,
            Aggregate::Sum | Aggregate::Avg => {
                for _ in 0..weight {
                    match value {
                        V::Int(i) => {
                            self.int = self.int.and_then(|s| s.checked_add(*i));
                            self.float += *i as f64;
                        }
                        V::Float(x) => {
                            self.any_float = true;
                            self.float += x;
                        }
                        _ => return Err(GiveUp),
                    }
                    self.n += 1;
                }
            }
            _ => self.better(f, value)?,
        }
        Ok(())
    }

    /// Keeps `value` if it beats the best so far (`min` / `max`, as
    /// `Aggregate::finish` decides).
    fn better(&mut self, f: Aggregate, value: &CypherValue) -> Try<()> {
        let keep = match &self.best {
            None => true,
            Some(b) => {
                let o = value.compare(b).ok_or(GiveUp)?;
                (o == std::cmp::Ordering::Less) == (f == Aggregate::Min)
            }
        };
        if keep {
            self.best = Some(value.clone());
        }
        Ok(())
    }

    fn merge(&mut self, f: Aggregate, other: &Acc) -> Try<()> {
        match f {
            Aggregate::Min | Aggregate::Max => {
                if let Some(b) = &other.best {
                    self.better(f, b)?;
                }
            }
            _ => {
                self.n += other.n;
                self.int = match (self.int, other.int) {
                    (Some(a), Some(b)) => a.checked_add(b),
                    _ => None,
                };
                self.float += other.float;
                self.any_float |= other.any_float;
            }
        }
        Ok(())
    }

    fn finish(&self, f: Aggregate) -> Try<CypherValue> {
        Ok(match f {
            Aggregate::CountStar | Aggregate::Count => V::Int(self.n as i64),
            Aggregate::Sum if self.any_float => V::Float(self.float),
            Aggregate::Sum => V::Int(self.int.ok_or(GiveUp)?),
            Aggregate::Avg if self.n == 0 => V::Null,
            Aggregate::Avg => V::Float(self.float / self.n as f64),
            _ => self.best.clone().unwrap_or(V::Null),
        })
    }
}

/// The groups found so far.
struct Groups {
    index: hashbrown::HashMap<Box<[u8]>, usize, FxBuildHasher>,
    keys: Vec<Vec<CypherValue>>,
    accs: Vec<Acc>,
    width: usize,
}

impl Groups {
    fn at(&mut self, encoded: &[u8], values: impl FnOnce() -> Try<Vec<CypherValue>>) -> Try<usize> {
        if let Some(&g) = self.index.get(encoded) {
            return Ok(g);
        }
        let g = self.keys.len();
        self.keys.push(values()?);
        self.accs.resize_with((g + 1) * self.width, Acc::default);
        self.index.insert(encoded.into(), g);
        Ok(g)
    }
}

/// The run: the shape with its columns read and parameters bound.
struct Run<'s> {
    shape: &'s Shape,
    conjuncts: Vec<C>,
    keys: Vec<Option<C>>,
    aggregates: Vec<(Aggregate, Option<C>)>,
    columns: Vec<Arc<Column>>,
}

impl Run<'_> {
    fn key(&self, ids: &[NodeId; 2], buf: &mut Vec<u8>) -> Try<()> {
        buf.clear();
        for k in self.keys.iter().flatten() {
            if let C::Node(v) = k {
                buf.push(9);
                buf.extend(ids[*v].0.to_le_bytes());
            } else {
                encode(k.eval(ids, &self.columns)?.get(), buf);
            }
        }
        Ok(())
    }

    fn key_values(&self, ids: &[NodeId; 2]) -> Try<Vec<CypherValue>> {
        self.keys
            .iter()
            .flatten()
            .map(|k| Ok(k.eval(ids, &self.columns)?.get().clone()))
            .collect()
    }

    fn fold(&self, accs: &mut [Acc], ids: &[NodeId; 2], weight: u64) -> Try<()> {
        for ((f, arg), acc) in self.aggregates.iter().zip(accs) {
            match arg {
                None => acc.fold(*f, None, weight)?,
                Some(C::Node(_)) => acc.fold(*f, Some(&V::Bool(true)), weight)?,
                Some(e) => acc.fold(*f, Some(e.eval(ids, &self.columns)?.get()), weight)?,
            }
        }
        Ok(())
    }
}

/// What a run made: the aggregation's rows (before its `ORDER BY`,
/// paging and `WHERE`) and how many matches were folded.
pub(crate) struct Output {
    pub rows: Vec<Row>,
    pub matched: u64,
}

/// Runs the rule on snapshot `r`: `Ok(None)` when it gave up (the
/// statement then runs on the row-at-a-time path).
pub(crate) fn run(
    r: &ReadTxn<'_>,
    shape: &Shape,
    p: &Projection,
    params: &Params,
    deadline: Option<Deadline>,
) -> QResult<Option<Output>> {
    let bind = |c: &C| -> Option<C> {
        let mut c = c.clone();
        c.bind(params).ok()?;
        Some(c)
    };
    let (Some(conjuncts), Some(keys), Some(aggregates)) = (
        shape.conjuncts.iter().map(bind).collect::<Option<Vec<_>>>(),
        shape
            .keys
            .iter()
            .map(|k| k.as_ref().map(bind).map_or(Some(None), |c| c.map(Some)))
            .collect::<Option<Vec<_>>>(),
        shape
            .aggregates
            .iter()
            .map(|(f, a)| {
                Some((
                    *f,
                    a.as_ref().map(bind).map_or(Some(None), |c| c.map(Some))?,
                ))
            })
            .collect::<Option<Vec<_>>>(),
    ) else {
        return Ok(None);
    };
    let columns = shape
        .columns
        .iter()
        .map(|k| column(r, k))
        .collect::<QResult<Vec<_>>>()?;
    let run = Run {
        shape,
        conjuncts,
        keys,
        aggregates,
        columns,
    };
    let Some((groups, matched)) = walk(r, &run, deadline)? else {
        return Ok(None);
    };
    let Some(rows) = finish(&run, groups, p, params, r)? else {
        return Ok(None);
    };
    Ok(Some(Output { rows, matched }))
}

/// Sorted ids of the nodes with every one of `labels` (every node when
/// there are none).
fn candidates(r: &ReadTxn<'_>, labels: &[String]) -> QResult<Arc<[NodeId]>> {
    let Some((first, rest)) = labels.split_first() else {
        let all: Vec<NodeId> = NodeIds::all(r.reader()).collect::<crate::Result<_>>()?;
        return Ok(all.into());
    };
    let mut ids = members(r, first)?;
    for label in rest {
        let other = members(r, label)?;
        let kept: Vec<NodeId> = ids
            .iter()
            .copied()
            .filter(|id| other.binary_search(id).is_ok())
            .collect();
        ids = kept.into();
    }
    Ok(ids)
}

/// The bits of `csr`'s dense indices of the nodes with `labels` for
/// which every predicate in `preds` (reading position `at`) holds; `None`
/// when nothing is to be checked.
fn far_bits(
    r: &ReadTxn<'_>,
    run: &Run<'_>,
    csr: &Csr,
    labels: &[String],
    preds: &[&C],
    at: usize,
) -> QResult<Try<Option<FixedBitSet>>> {
    if labels.is_empty() && preds.is_empty() {
        return Ok(Ok(None));
    }
    let mut bits = FixedBitSet::with_capacity(csr.node_count());
    let ids = if labels.is_empty() {
        None
    } else {
        Some(candidates(r, labels)?)
    };
    let list = ids.as_deref().unwrap_or(csr.node_ids());
    for &id in list {
        let Some(i) = csr.index_of(id) else { continue };
        let mut pair = [id, id];
        pair[at] = id;
        let mut ok = true;
        for c in preds {
            match c.holds(&pair, &run.columns) {
                Ok(true) => {}
                Ok(false) => {
                    ok = false;
                    break;
                }
                Err(g) => return Ok(Err(g)),
            }
        }
        if ok {
            bits.insert(i as usize);
        }
    }
    Ok(Ok(Some(bits)))
}

/// The neighbours of dense node `i` by `dir` from the start's side
/// (`forward`: the chain read left to right), calling `f` with each.
fn neighbours(
    csr: &Csr,
    i: u32,
    dir: Dir,
    forward: bool,
    f: &mut dyn FnMut(u32) -> Try<()>,
) -> Try<()> {
    if dir == Dir::Either {
        for &j in csr.out_neighbors(i) {
            f(j)?;
        }
        // A self-loop is one match, listed in both directions.
        for &j in csr.in_neighbors(i) {
            if j != i {
                f(j)?;
            }
        }
        return Ok(());
    }
    let list = if matches!((dir, forward), (Dir::Right, true) | (Dir::Left, false)) {
        csr.out_neighbors(i)
    } else {
        csr.in_neighbors(i)
    };
    for &j in list {
        f(j)?;
    }
    Ok(())
}

/// How many times `target` is in the (sorted when `sorted`) `list`.
fn multiplicity(list: &[u32], target: u32, sorted: bool) -> u64 {
    if sorted {
        let lo = list.partition_point(|&x| x < target);
        let hi = list[lo..].partition_point(|&x| x <= target);
        hi as u64
    } else {
        list.iter().filter(|&&x| x == target).count() as u64
    }
}

type Walked = Option<(Groups, u64)>;

#[allow(
    clippy::too_many_lines,
    reason = "the one loop of the rule, with its setup"
)]
fn walk(r: &ReadTxn<'_>, run: &Run<'_>, deadline: Option<Deadline>) -> QResult<Walked> {
    let shape = run.shape;
    let key_vars = run.keys.iter().flatten().fold(0u8, |acc, k| acc | k.vars());
    // Start where the keys read, else where a label narrows more.
    let start = if shape.hops.is_empty() || key_vars == 0b01 {
        0
    } else if key_vars == 0b10 {
        if shape.hops.len() == 2 {
            return Ok(None);
        }
        1
    } else if shape.hops.len() == 2 {
        0
    } else {
        usize::from(shape.labels[1].len() > shape.labels[0].len())
    };
    let other = 1 - start;
    let (mut constant, mut at_start, mut at_other, mut both) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for c in &run.conjuncts {
        match c.vars() {
            0 => constant.push(c),
            v if v == 1 << start => at_start.push(c),
            v if v == 1 << other => at_other.push(c),
            _ => both.push(c),
        }
    }
    let width = run.aggregates.len();
    let mut groups = Groups {
        index: hashbrown::HashMap::default(),
        keys: Vec::new(),
        accs: Vec::new(),
        width,
    };
    let no_ids = [NodeId(0), NodeId(0)];
    for c in &constant {
        match c.holds(&no_ids, &run.columns) {
            Ok(true) => {}
            Ok(false) => return Ok(Some((groups, 0))),
            Err(_) => return Ok(None),
        }
    }
    let starts = candidates(r, &shape.labels[start])?;
    let csrs: Vec<Arc<Csr>> = shape
        .hops
        .iter()
        .map(|h| {
            r.projection_of_snapshot(&ProjectionSpec::new().edge_types(h.types.iter().cloned()))
        })
        .collect::<crate::Result<_>>()?;
    let far = match csrs.first() {
        Some(csr) if shape.hops.len() == 1 => {
            match far_bits(r, run, csr, &shape.labels[other], &at_other, other)? {
                Ok(bits) => bits,
                Err(_) => return Ok(None),
            }
        }
        Some(csr) => match far_bits(r, run, csr, &shape.labels[1], &at_other, 1)? {
            Ok(bits) => bits,
            Err(_) => return Ok(None),
        },
        None => None,
    };
    // Folded once per start node when the keys read only the start.
    let per_start = key_vars & !(1 << start) == 0;
    let mut local = vec![Acc::default(); width];
    let mut buf = Vec::new();
    let mut matched = 0u64;
    let forward = start == 0;
    let mut timeout = None;
    let result: Try<()> = (|| {
        for (n, &s) in starts.iter().enumerate() {
            if n % TICK == 0
                && let Err(e) = check_deadline(deadline)
            {
                timeout = Some(e);
                return Err(GiveUp);
            }
            let mut ids = [s, s];
            let mut pass = true;
            for c in &at_start {
                if !c.holds(&ids, &run.columns)? {
                    pass = false;
                    break;
                }
            }
            if !pass {
                continue;
            }
            let mut here = 0u64;
            let mut each = |ids: &[NodeId; 2], weight: u64, local: &mut [Acc]| -> Try<()> {
                for c in &both {
                    if !c.holds(ids, &run.columns)? {
                        return Ok(());
                    }
                }
                here += weight;
                if per_start {
                    run.fold(local, ids, weight)
                } else {
                    run.key(ids, &mut buf)?;
                    let g = groups.at(&buf, || run.key_values(ids))?;
                    run.fold(&mut groups.accs[g * width..][..width], ids, weight)
                }
            };
            match csrs.as_slice() {
                [] => each(&ids, 1, &mut local)?,
                [csr] => {
                    let Some(i) = csr.index_of(s) else { continue };
                    neighbours(csr, i, shape.hops[0].dir, forward, &mut |j| {
                        if far.as_ref().is_some_and(|b| !b.contains(j as usize)) {
                            return Ok(());
                        }
                        ids[other] = csr.node_id(j);
                        each(&ids, 1, &mut local)
                    })?;
                }
                [first, second] => {
                    let Some(i) = first.index_of(s) else { continue };
                    let dir = shape.hops[0].dir;
                    let sorted = shape.hops[1].types.len() == 1;
                    neighbours(first, i, dir, true, &mut |j| {
                        if far.as_ref().is_some_and(|b| !b.contains(j as usize)) {
                            return Ok(());
                        }
                        let b = first.node_id(j);
                        let (Some(bi), Some(ai)) = (second.index_of(b), second.index_of(s)) else {
                            return Ok(());
                        };
                        let list = if dir == Dir::Right {
                            second.out_neighbors(bi)
                        } else {
                            second.in_neighbors(bi)
                        };
                        let mut m = multiplicity(list, ai, sorted);
                        // The two hops are two relationships: at a
                        // self-loop, the first is not the second.
                        if b == s && shape.hops[0].types == shape.hops[1].types {
                            m = m.saturating_sub(1);
                        }
                        if m == 0 {
                            return Ok(());
                        }
                        ids[1] = b;
                        each(&ids, m, &mut local)
                    })?;
                }
                _ => return Err(GiveUp),
            }
            if per_start && here > 0 {
                let ids = [s, s];
                run.key(&ids, &mut buf)?;
                let g = groups.at(&buf, || run.key_values(&ids))?;
                for (k, ((f, _), acc)) in run.aggregates.iter().zip(local.iter_mut()).enumerate() {
                    groups.accs[g * width + k].merge(*f, acc)?;
                    *acc = Acc::default();
                }
            }
            matched += here;
        }
        Ok(())
    })();
    if let Some(e) = timeout {
        return Err(e);
    }
    Ok(result.ok().map(|()| (groups, matched)))
}

/// The aggregation's rows from the groups: keys, then the items made of
/// aggregates evaluated on each group's results.
fn finish(
    run: &Run<'_>,
    mut groups: Groups,
    p: &Projection,
    params: &Params,
    r: &ReadTxn<'_>,
) -> QResult<Option<Vec<Row>>> {
    let width = run.aggregates.len();
    if groups.keys.is_empty() && run.keys.iter().all(Option::is_none) {
        groups.keys.push(Vec::new());
        groups.accs.resize_with(width, Acc::default);
    }
    let graph = Graph::cached(r.reader());
    let mut rows = Vec::with_capacity(groups.keys.len());
    let mut results = Vec::with_capacity(width);
    for (g, key_values) in groups.keys.into_iter().enumerate() {
        results.clear();
        for ((f, _), acc) in run
            .aggregates
            .iter()
            .zip(&groups.accs[g * width..][..width])
        {
            match acc.finish(*f) {
                Ok(v) => results.push(v),
                Err(GiveUp) => return Ok(None),
            }
        }
        let mut key_values = key_values.into_iter();
        let mut env = Env::new(&[], params, Some(&graph));
        env.aggregates = &results;
        let mut row = Vec::with_capacity(p.items.len());
        for (item, key) in p.items.iter().zip(&run.keys) {
            row.push(match key {
                Some(_) => key_values.next().unwrap_or(V::Null),
                None => item.eval(&mut env)?,
            });
        }
        rows.push(row);
    }
    Ok(Some(rows))
}
