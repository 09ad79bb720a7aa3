//! The rules `ColumnarAggregate` and `ColumnarTopK` ([`top_k`]): a
//! statement's first `MATCH` and the aggregation (or the ordered, limited
//! projection) right after it, run together over whole columns instead
//! of one boxed row at a time.
//!
//! `ColumnarAggregate` applies to `MATCH` of one chain of zero or one hop,
//! of two hops of one type and direction that close a cycle back to the
//! first node (`(a)-->(b)-->(a)`), or of two hops to a third node that
//! only count (counted through each middle node: [`walk_open`]), followed
//! by `WITH` / `RETURN` that aggregates with `count`, `sum`, `avg`, `min`
//! and `max` (`DISTINCT` inside `count`, `min`, `max`), when `WHERE`,
//! inline properties, grouping keys and aggregate arguments are built of
//! the nodes, their properties, the properties of a single hop's
//! relationship, literals, parameters, comparisons, boolean logic,
//! `IS [NOT] NULL`, arithmetic and one-hop pattern predicates. It declines when an
//! index or unique key finds a node of the pattern (the plain path's
//! lookup reads less) or when the start holds under an eighth of the
//! nodes. Then, on a read snapshot:
//!
//! * the start node's candidates are its label's cached member list
//!   (`columns::members`), intersected with its other labels' lists;
//! * node properties are read from the snapshot's property columns
//!   (`columns::column`), a relationship's from a column aligned with
//!   the projection (`columns::edge_column`), never from a record;
//! * a hop walks the snapshot's cached CSR projection of its
//!   relationship types (`ReadTxn::projection_of_snapshot`), and the far
//!   node's labels and the `WHERE` conjuncts that read only it are
//!   decided once per node into a bitset before the walk;
//! * conjuncts that read only the start node are decided once per start
//!   node, the rest once per relationship;
//! * the chain starts at the node the grouping keys read, so a group's
//!   aggregates are folded over all of a start node's relationships
//!   before its key is found once (top-k by degree finds a group once per
//!   node, not once per relationship; counting alone adds up neighbours);
//! * a one-type 2-cycle is counted by merging each node's sorted out and
//!   in lists.
//!
//! A value the rule does not hold in its fast form (a list in a
//! comparison, an integer overflow, a type error, relationship values of
//! mixed types) makes the run give up and the statement run on the
//! row-at-a-time path, which then returns the same rows or raises the
//! error it owes.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use fixedbitset::FixedBitSet;
use rustc_hash::{FxBuildHasher, FxHashSet};

use super::columns::{
    Column, EdgeColumn, Slots, column, edge_column, edge_column_by_id, instant_of, members,
};
use super::eval::{Env, binary, property};
use super::graph::Graph;
use super::{by_keys, encode, ordered, paging};
use crate::algo::{Projection as Adj, ProjectionSpec};
use crate::graph::NodeIds;
use crate::graph::dict::Kind;
use crate::graph::records::Schema;
use crate::graph::sealed::Sealed;
use crate::graph::stats::Kept;
use crate::query::error::{Deadline, QResult, QueryError, check_deadline};
use crate::query::optimise::columnar::flipped;
use crate::query::plan::ProjectItems;
use crate::query::plan::columnar::{C, Shape, TopK};
use crate::query::plan::expr::{BinaryOp, Expr};
use crate::query::plan::func::Aggregate;
use crate::query::plan::pattern::Dir;
use crate::query::value::{CypherValue as V, CypherValue, NodeValue, Params};
use crate::temporal::{Component, DateTime, NANOS_PER_DAY, NANOS_PER_SECOND, Temporal, civil};
use crate::txn::ReadTxn;
use crate::{GraphRead, NodeId};

type Row = Vec<CypherValue>;

/// A side of a comparison read as an integer.
enum IntSide {
    Int(i64),
    /// The node has no such property (`null`: the comparison fails).
    Missing,
}

/// Why a run gave up: the statement runs on the row-at-a-time path.
#[derive(Debug)]
struct GiveUp;

type Try<T> = Result<T, GiveUp>;

/// Integer group keys below this index a table instead of a hash map.
const SMALL_KEYS: usize = 1 << 16;

/// Rows made between two cuts to an `ORDER BY ... LIMIT`'s top rows.
const CHUNK: usize = 4096;

/// Start nodes walked between two looks at the clock.
const TICK: usize = 4096;

/// Where an expression is evaluated: the chain's two nodes, and the
/// relationship between them as its side (out lists or in lists) and
/// position in the CSR projection.
#[derive(Clone, Copy)]
struct At {
    ids: [NodeId; 3],
    edge: Option<(bool, usize)>,
}

impl At {
    /// Node `id` at every position: for expressions that read one.
    fn node(id: NodeId) -> At {
        At {
            ids: [id; 3],
            edge: None,
        }
    }
}

/// What expressions read: node property columns, relationship columns
/// and the projection those are aligned with.
struct Data {
    columns: Vec<Arc<Column>>,
    rels: Vec<Arc<EdgeColumn>>,
    csr: Option<Arc<Adj>>,
    /// Per pattern predicate (`Shape::exists`): the projection of its
    /// types, the far nodes its labels accept (all when `None`) and its
    /// direction from the bound node.
    exists: Vec<(Arc<Adj>, Option<FixedBitSet>, Dir)>,
}

impl Data {
    /// Whether pattern predicate `e` holds for node `id`.
    fn exists(&self, e: usize, id: NodeId) -> bool {
        let (csr, far, dir) = &self.exists[e];
        let Some(i) = csr.index_of(id) else {
            return false;
        };
        let any = |out: bool| match far {
            None => csr.degree(i, out) > 0,
            Some(far) => {
                let lists = if out { &csr.out } else { csr.inc() };
                lists
                    .range(i)
                    .any(|pos| far.contains(lists.targets[pos] as usize))
            }
        };
        match one_side(*dir, true) {
            Some(out) => any(out),
            None => any(true) || any(false),
        }
    }
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
    /// Replaces the parameters by their values (giving up on a missing
    /// one: the row path raises its error).
    fn bind(&mut self, params: &Params) -> Try<()> {
        match self {
            C::Param(name) => *self = C::Const(params.get(name).cloned().ok_or(GiveUp)?),
            C::Not(a) | C::IsNull(a, _) | C::Field(a, _) => a.bind(params)?,
            C::And(a, b) | C::Or(a, b) | C::Binary(_, a, b) => {
                a.bind(params)?;
                b.bind(params)?;
            }
            C::Const(_) | C::Prop(..) | C::RelProp(_) | C::Node(_) | C::Exists(..) => {}
        }
        Ok(())
    }

    fn eval<'a>(&'a self, at: &At, data: &'a Data) -> Try<Val<'a>> {
        Ok(match self {
            C::Const(v) => Val::Ref(v),
            C::Param(_) => return Err(GiveUp),
            C::Prop(v, c) => match data.columns[*c].get(at.ids[*v]) {
                Some(Cow::Borrowed(v)) => Val::Ref(v),
                Some(Cow::Owned(v)) => Val::Own(v),
                None => Val::Ref(&NULL),
            },
            C::RelProp(c) => match (at.edge.ok_or(GiveUp)?, &data.csr) {
                // Out-list positions need no projection (nor do the
                // positions by id of a relationship scan).
                ((true, pos), _) => Val::Own(data.rels[*c].out_value(pos)),
                ((false, pos), Some(csr)) => Val::Own(data.rels[*c].get(csr, false, pos)),
                ((false, _), None) => return Err(GiveUp),
            },
            C::Field(base, key) => {
                if let Some(i) = self.int(at, data) {
                    return Ok(Val::Own(V::Int(i)));
                }
                Val::Own(property(base.eval(at, data)?.get(), key).map_err(|_| GiveUp)?)
            }
            C::Node(v) => Val::Own(V::Node(Box::new(NodeValue::bare(at.ids[*v])))),
            C::Exists(v, e) => Val::Own(V::Bool(data.exists(*e, at.ids[*v]))),
            C::Not(a) => Val::Own(match truth(a.eval(at, data)?.get())? {
                Some(b) => V::Bool(!b),
                None => V::Null,
            }),
            C::IsNull(a, negated) => {
                Val::Own(V::Bool(a.eval(at, data)?.get().is_null() != *negated))
            }
            C::And(a, b) => Val::Own(logic(false, a, b, at, data)?),
            C::Or(a, b) => Val::Own(logic(true, a, b, at, data)?),
            C::Binary(op, a, b) => {
                let (x, y) = (a.eval(at, data)?, b.eval(at, data)?);
                if let (V::Int(i), V::Int(j)) = (x.get(), y.get())
                    && let Some(v) = int_op(*op, *i, *j)
                {
                    return Ok(Val::Own(v));
                }
                Val::Own(binary(*op, x.get(), y.get()).map_err(|_| GiveUp)?)
            }
        })
    }

    /// The expression's value when it is an integer made of integers
    /// (properties, literals, arithmetic that does not overflow), without
    /// making a value; `None` for anything else, which `eval` decides.
    #[inline]
    fn int(&self, at: &At, data: &Data) -> Option<i64> {
        match self {
            C::Const(V::Int(i)) => Some(*i),
            C::Prop(v, c) => data.columns[*c].int(at.ids[*v]),
            C::RelProp(c) => match at.edge {
                Some((true, pos)) => data.rels[*c].int_out(pos),
                _ => None,
            },
            C::Binary(op, a, b) => int_arith(*op, a.leaf_int(at, data)?, b.leaf_int(at, data)?),
            // An integer component (`.year`, `.month`, ...) of a datetime
            // read from an instant column.
            C::Field(base, key) => match &**base {
                C::Prop(v, c) => {
                    let column = &data.columns[*c];
                    let offset = column.instant_offset()?;
                    let nanos = column.instant(at.ids[*v])?;
                    // The calendar fields straight from the local day.
                    let local = nanos.checked_add(i64::from(offset) * NANOS_PER_SECOND)?;
                    let day = || civil(local.div_euclid(NANOS_PER_DAY));
                    match key.as_str() {
                        "year" => return Some(day().0),
                        "month" => return Some(i64::from(day().1)),
                        "day" => return Some(i64::from(day().2)),
                        _ => {}
                    }
                    let at = DateTime::at_offset(nanos, offset).ok()?;
                    match Temporal::DateTime(at).component(key)? {
                        Component::Int(i) => Some(i),
                        Component::Text(_) => None,
                    }
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The instant a side of a comparison reads when it holds zoned
    /// datetimes of one offset only: a literal, or a property of an
    /// instant column (`Missing` where the node has none).
    #[inline]
    fn instant_side(&self, at: &At, data: &Data) -> Option<IntSide> {
        match self {
            C::Const(v) => Some(IntSide::Int(instant_of(v)?)),
            C::Prop(v, c) if data.columns[*c].all_instants() => Some(
                data.columns[*c]
                    .instant(at.ids[*v])
                    .map_or(IntSide::Missing, IntSide::Int),
            ),
            _ => None,
        }
    }

    /// [`C::int`], with a property or a literal read in place (the usual
    /// operands of arithmetic) before recursing.
    #[inline]
    fn leaf_int(&self, at: &At, data: &Data) -> Option<i64> {
        match self {
            C::Const(V::Int(i)) => Some(*i),
            C::Prop(v, c) => data.columns[*c].int(at.ids[*v]),
            _ => self.int(at, data),
        }
    }

    /// The integer a side of a comparison reads when it holds integers
    /// only: a literal, or a property of an integer column.
    #[inline]
    fn int_side(&self, at: &At, data: &Data) -> Option<IntSide> {
        match self {
            C::Const(V::Int(i)) => Some(IntSide::Int(*i)),
            C::Prop(v, c) if data.columns[*c].all_ints() => Some(
                data.columns[*c]
                    .int(at.ids[*v])
                    .map_or(IntSide::Missing, IntSide::Int),
            ),
            C::RelProp(c) if data.rels[*c].all_ints() => match at.edge {
                Some((true, pos)) => Some(
                    data.rels[*c]
                        .int_out(pos)
                        .map_or(IntSide::Missing, IntSide::Int),
                ),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the predicate holds (`null` does not).
    fn holds<'a>(&'a self, at: &At, data: &'a Data) -> Try<bool> {
        // A comparison of a property with a literal or with another
        // property, both integers or both strings, is decided in place.
        if let C::Binary(op, a, b) = self {
            // Integer columns and literals, and zoned datetimes by their
            // instants: compared without a value (both sides of one kind).
            if is_comparison(*op) {
                for side in [C::int_side, C::instant_side] {
                    if let (Some(x), Some(y)) = (side(a, at, data), side(b, at, data)) {
                        return Ok(match (x, y) {
                            (IntSide::Int(x), IntSide::Int(y)) => holds_for(*op, x.cmp(&y)),
                            _ => false,
                        });
                    }
                }
            }
            let value = |c: &'a C| -> Option<Option<Cow<'a, CypherValue>>> {
                match c {
                    C::Prop(v, col) => Some(data.columns[*col].get(at.ids[*v])),
                    C::Const(k) => Some(Some(Cow::Borrowed(k))),
                    _ => None,
                }
            };
            if let (Some(x), Some(y)) = (value(a), value(b))
                && let Some(held) = compared(*op, x.as_deref(), y.as_deref())
            {
                return Ok(held);
            }
        }
        Ok(truth(self.eval(at, data)?.get())? == Some(true))
    }
}

/// Looks at the clock every [`TICK`] start nodes of a walk: past the
/// deadline, keeps the error in `timeout` and stops the walk (whose
/// caller then returns that error rather than giving up).
#[inline]
fn tick(n: usize, deadline: Option<&Deadline>, timeout: &mut Option<QueryError>) -> Try<()> {
    if n.is_multiple_of(TICK)
        && let Err(e) = check_deadline(deadline)
    {
        *timeout = Some(e);
        return Err(GiveUp);
    }
    Ok(())
}

/// Integer arithmetic as Cypher does it, `None` where the operator would
/// overflow, divide by zero or not give an integer (`binary` then
/// decides).
#[inline]
fn int_arith(op: BinaryOp, i: i64, j: i64) -> Option<i64> {
    use BinaryOp as B;
    match op {
        B::Add => i.checked_add(j),
        B::Sub => i.checked_sub(j),
        B::Mul => i.checked_mul(j),
        B::Div if j != 0 => i.checked_div(j),
        B::Rem if j != 0 => Some(i.checked_rem(j).unwrap_or(0)),
        _ => None,
    }
}

/// `i op j` on two integers as `expr::binary` makes it, without its
/// dispatch; `None` for what it leaves to `binary` (an overflow, a
/// division by zero, another operator).
#[inline]
fn int_op(op: BinaryOp, i: i64, j: i64) -> Option<CypherValue> {
    use BinaryOp as B;
    Some(match op {
        B::Eq => V::Bool(i == j),
        B::Ne => V::Bool(i != j),
        B::Lt => V::Bool(i < j),
        B::Le => V::Bool(i <= j),
        B::Gt => V::Bool(i > j),
        B::Ge => V::Bool(i >= j),
        B::Add => V::Int(i.checked_add(j)?),
        B::Sub => V::Int(i.checked_sub(j)?),
        B::Mul => V::Int(i.checked_mul(j)?),
        B::Div if j != 0 => V::Int(i.checked_div(j)?),
        B::Rem if j != 0 => V::Int(i.checked_rem(j).unwrap_or(0)),
        _ => return None,
    })
}

/// Whether `x op y` holds for a comparison of two integers or two
/// strings (a missing value: it does not); `None` for other operators
/// and values, left to `expr::binary`.
#[inline]
fn compared(op: BinaryOp, x: Option<&CypherValue>, y: Option<&CypherValue>) -> Option<bool> {
    if !is_comparison(op) {
        return None;
    }
    let (Some(x), Some(y)) = (x, y) else {
        return Some(false);
    };
    let o = match (x, y) {
        (V::Int(i), V::Int(j)) => i.cmp(j),
        (V::String(a), V::String(b)) => a.as_str().cmp(b.as_str()),
        _ => return None,
    };
    Some(holds_for(op, o))
}

fn is_comparison(op: BinaryOp) -> bool {
    use BinaryOp as B;
    matches!(op, B::Eq | B::Ne | B::Lt | B::Le | B::Gt | B::Ge)
}

/// Whether comparison `op` holds for operands ordered `o`.
fn holds_for(op: BinaryOp, o: std::cmp::Ordering) -> bool {
    use BinaryOp as B;
    use std::cmp::Ordering as O;
    match op {
        B::Eq => o == O::Equal,
        B::Ne => o != O::Equal,
        B::Lt => o == O::Less,
        B::Le => o != O::Greater,
        B::Gt => o == O::Greater,
        _ => o != O::Less,
    }
}

/// `a AND b` (`decisive` false) or `a OR b` (`decisive` true) in
/// three-valued logic, `b` not evaluated when `a` decides.
fn logic(decisive: bool, a: &C, b: &C, at: &At, data: &Data) -> Try<CypherValue> {
    let x = truth(a.eval(at, data)?.get())?;
    if x == Some(decisive) {
        return Ok(V::Bool(decisive));
    }
    Ok(match (x, truth(b.eval(at, data)?.get())?) {
        (_, Some(y)) if y == decisive => V::Bool(decisive),
        (Some(_), Some(_)) => V::Bool(!decisive),
        _ => V::Null,
    })
}

fn truth(v: &CypherValue) -> Try<Option<bool>> {
    match v {
        V::Bool(b) => Ok(Some(*b)),
        V::Null => Ok(None),
        _ => Err(GiveUp),
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
    /// `count(DISTINCT ...)`: the values seen, encoded (`exec::encode`,
    /// as the row path keeps them).
    seen: Option<Box<FxHashSet<Box<[u8]>>>>,
}

impl Default for Acc {
    fn default() -> Acc {
        Acc {
            n: 0,
            int: Some(0),
            float: 0.0,
            any_float: false,
            best: None,
            seen: None,
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

    /// [`Acc::fold`] of one row whose value is integer `i`, without making
    /// a value (`false`: left to `fold`).
    #[inline]
    fn fold_int(&mut self, f: Aggregate, i: i64) -> bool {
        match f {
            Aggregate::CountStar | Aggregate::Count => self.n += 1,
            Aggregate::Sum | Aggregate::Avg => {
                self.int = self.int.and_then(|s| s.checked_add(i));
                self.float += i as f64;
                self.n += 1;
            }
            _ => match &mut self.best {
                None => self.best = Some(V::Int(i)),
                Some(V::Int(b)) => {
                    if (f == Aggregate::Min && i < *b) || (f == Aggregate::Max && i > *b) {
                        *b = i;
                    }
                }
                Some(_) => return false,
            },
        }
        true
    }

    /// Adds `value` (not null) to a `count(DISTINCT ...)`'s values;
    /// `bytes` is scratch.
    fn see(&mut self, value: &CypherValue, bytes: &mut Vec<u8>) {
        bytes.clear();
        encode(value, bytes);
        let seen = self.seen.get_or_insert_default();
        if !seen.contains(bytes.as_slice()) {
            seen.insert(bytes.as_slice().into());
        }
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
        if let Some(theirs) = &other.seen {
            let seen = self.seen.get_or_insert_default();
            for value in theirs.iter() {
                if !seen.contains(value) {
                    seen.insert(value.clone());
                }
            }
            return Ok(());
        }
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
        if let Some(seen) = &self.seen {
            return Ok(V::Int(seen.len() as i64));
        }
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

/// The groups found so far: group `g`'s key values are
/// `keys[g * nkeys..][..nkeys]`, its folds `accs[g * width..][..width]`.
struct Groups {
    index: hashbrown::HashMap<Box<[u8]>, usize, FxBuildHasher>,
    /// Groups of one integer key (or an integral float, its equal):
    /// `small[k]` is group + 1 of key `k` below [`SMALL_KEYS`] (0: none),
    /// `ints` the others.
    small: Vec<u32>,
    ints: hashbrown::HashMap<i64, usize, FxBuildHasher>,
    count: usize,
    nkeys: usize,
    keys: Vec<CypherValue>,
    accs: Vec<Acc>,
    width: usize,
}

impl Groups {
    fn new(run: &Run<'_>) -> Groups {
        Groups {
            index: hashbrown::HashMap::default(),
            small: Vec::new(),
            ints: hashbrown::HashMap::default(),
            count: 0,
            nkeys: run.keys.iter().flatten().count(),
            keys: Vec::new(),
            accs: Vec::new(),
            width: run.aggregates.len(),
        }
    }

    /// A new group, not in the hash index: for a key no other group can
    /// have.
    fn fresh(&mut self, run: &Run<'_>, at: &At) -> Try<usize> {
        run.key_values(at, &mut self.keys)?;
        Ok(self.open())
    }

    /// Opens the next group, whose key values were just pushed: its
    /// number.
    fn open(&mut self) -> usize {
        let g = self.count;
        self.count += 1;
        self.accs.resize_with(self.count * self.width, Acc::default);
        g
    }

    /// The group of the row at `at`, found or made; `buf` is scratch.
    fn of(&mut self, run: &Run<'_>, at: &At, buf: &mut Vec<u8>) -> Try<usize> {
        if self.nkeys == 1
            && let Some(k) = run.keys.iter().flatten().next()
            && !matches!(k, C::Node(_))
        {
            // An integer key made of integers is found without making a
            // value.
            if let Some(i) = k.int(at, &run.data)
                && let Ok(small) = usize::try_from(i)
                && small < SMALL_KEYS
                && let Some(g) = self.small.get(small).and_then(|g| g.checked_sub(1))
            {
                return Ok(g as usize);
            }
            let v = k.eval(at, &run.data)?;
            let int = match v.get() {
                V::Int(i) => Some(*i),
                V::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
                _ => None,
            };
            if let Some(i) = int {
                // Small non-negative keys (years, bands, codes) index a
                // table; others hash.
                let small = usize::try_from(i).ok().filter(|&i| i < SMALL_KEYS);
                let found = match small {
                    Some(i) => self.small.get(i).copied().unwrap_or(0).checked_sub(1),
                    None => self.ints.get(&i).map(|&g| g as u32),
                };
                if let Some(g) = found {
                    return Ok(g as usize);
                }
                self.keys.push(v.get().clone());
                let g = self.open();
                match small {
                    Some(i) => {
                        if self.small.is_empty() {
                            self.small = vec![0; SMALL_KEYS];
                        }
                        self.small[i] = u32::try_from(g + 1).map_err(|_| GiveUp)?;
                    }
                    None => {
                        self.ints.insert(i, g);
                    }
                }
                return Ok(g);
            }
        }
        run.key(at, buf)?;
        self.at(buf, run, at)
    }

    fn at(&mut self, encoded: &[u8], run: &Run<'_>, at: &At) -> Try<usize> {
        if self.nkeys == 0 {
            // One group, of no key.
            if self.count == 0 {
                self.count = 1;
                self.accs.resize_with(self.width, Acc::default);
            }
            return Ok(0);
        }
        if let Some(&g) = self.index.get(encoded) {
            return Ok(g);
        }
        let g = self.fresh(run, at)?;
        self.index.insert(encoded.into(), g);
        Ok(g)
    }
}

/// The run: the shape with its columns read and parameters bound.
struct Run<'s> {
    shape: &'s Shape,
    /// Every aggregate is `count(*)` or the count of a node: folding is
    /// adding the weight.
    counts_only: bool,
    conjuncts: Vec<C>,
    keys: Vec<Option<C>>,
    aggregates: Vec<(Aggregate, Option<C>)>,
    /// Whether each aggregate is `count(DISTINCT ...)`.
    distinct: Vec<bool>,
    data: Data,
    /// A `DISTINCT` value's encoding, reused from row to row.
    scratch: RefCell<Vec<u8>>,
}

impl Run<'_> {
    fn key(&self, at: &At, buf: &mut Vec<u8>) -> Try<()> {
        buf.clear();
        for k in self.keys.iter().flatten() {
            if let C::Node(v) = k {
                buf.push(9);
                buf.extend(at.ids[*v].0.to_le_bytes());
            } else {
                encode(k.eval(at, &self.data)?.get(), buf);
            }
        }
        Ok(())
    }

    fn key_values(&self, at: &At, out: &mut Vec<CypherValue>) -> Try<()> {
        for k in self.keys.iter().flatten() {
            out.push(k.eval(at, &self.data)?.get().clone());
        }
        Ok(())
    }

    #[inline]
    fn fold(&self, accs: &mut [Acc], at: &At, weight: u64) -> Try<()> {
        if self.counts_only {
            for acc in accs {
                acc.n += weight;
            }
            return Ok(());
        }
        for (k, acc) in accs.iter_mut().enumerate() {
            self.fold_one(k, acc, at, weight)?;
        }
        Ok(())
    }

    /// Folds the match at `at`, standing for `weight` equal ones, into
    /// aggregate `k`'s `acc`.
    #[inline]
    fn fold_one(&self, k: usize, acc: &mut Acc, at: &At, weight: u64) -> Try<()> {
        let (f, arg) = &self.aggregates[k];
        if self.distinct[k] {
            // A value counts once, whatever the weight.
            let mut bytes = self.scratch.borrow_mut();
            match arg {
                Some(C::Node(v)) => acc.see(&V::Int(at.ids[*v].0 as i64), &mut bytes),
                Some(e) => {
                    let value = e.eval(at, &self.data)?;
                    if !value.get().is_null() {
                        acc.see(value.get(), &mut bytes);
                    }
                }
                None => return Err(GiveUp),
            }
            return Ok(());
        }
        match arg {
            None => acc.fold(*f, None, weight),
            Some(C::Node(_)) => acc.fold(*f, Some(&V::Bool(true)), weight),
            Some(e)
                if weight == 1 && e.int(at, &self.data).is_some_and(|i| acc.fold_int(*f, i)) =>
            {
                Ok(())
            }
            Some(e) => acc.fold(*f, Some(e.eval(at, &self.data)?.get()), weight),
        }
    }

    /// Folds aggregate `k` over the nodes `ids` in one loop over its
    /// column, when its argument is a property of the chain's node in an
    /// integer column (or, for `count(DISTINCT ...)`, a coded string
    /// column: codes marked, each distinct string encoded once); `false`
    /// when it is not (the caller folds node by node).
    fn fold_column(&self, k: usize, acc: &mut Acc, ids: &[NodeId]) -> bool {
        let (f, arg) = &self.aggregates[k];
        if arg.is_none() && !self.distinct[k] {
            // count(*)
            acc.n += ids.len() as u64;
            return true;
        }
        let Some(C::Prop(0, c)) = arg else {
            return false;
        };
        let Column::Dense { base, values } = &*self.data.columns[*c] else {
            return false;
        };
        let offset = |id: NodeId| usize::try_from(id.0.checked_sub(*base)?).ok();
        match (values, self.distinct[k]) {
            // An integer best (or none) stays one: every fold takes.
            (Slots::Ints { ints, present }, false)
                if matches!(acc.best, None | Some(V::Int(_))) =>
            {
                let values = ids.iter().filter_map(|&id| {
                    let at = offset(id)?;
                    (at < ints.len() && present.contains(at)).then(|| ints[at])
                });
                match f {
                    Aggregate::Min | Aggregate::Max => {
                        let best = if *f == Aggregate::Min {
                            values.min()
                        } else {
                            values.max()
                        };
                        if let Some(i) = best {
                            acc.fold_int(*f, i);
                        }
                    }
                    _ => {
                        for i in values {
                            acc.fold_int(*f, i);
                        }
                    }
                }
                true
            }
            (Slots::Coded { codes, dict }, true) if acc.seen.is_none() => {
                let mut marked = FixedBitSet::with_capacity(dict.len() + 1);
                for &id in ids {
                    if let Some(at) = offset(id)
                        && let Some(&code) = codes.get(at)
                    {
                        marked.insert(code as usize);
                    }
                }
                let mut bytes = Vec::new();
                for code in marked.ones().filter(|&code| code > 0) {
                    acc.see(&dict[code - 1], &mut bytes);
                }
                true
            }
            _ => false,
        }
    }

    fn holds(&self, c: &C, at: &At) -> Try<bool> {
        c.holds(at, &self.data)
    }

    /// Whether every one of `cs` holds at `at` (stopping at the first
    /// that does not).
    fn all_hold<'c>(&self, cs: impl IntoIterator<Item = &'c C>, at: &At) -> Try<bool> {
        for c in cs {
            if !self.holds(c, at)? {
                return Ok(false);
            }
        }
        Ok(true)
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
    p: &ProjectItems,
    params: &Params,
    deadline: Option<&Deadline>,
) -> QResult<Option<Output>> {
    let schema = r.reader().schema()?;
    if looked_up(r, shape, &schema) {
        return Ok(None);
    }
    let bind = |c: &C| -> Option<C> {
        let mut c = c.clone();
        c.bind(params).ok()?;
        Some(c)
    };
    let bind_some = |c: Option<&C>| -> Option<Option<C>> {
        match c {
            None => Some(None),
            Some(c) => bind(c).map(Some),
        }
    };
    let (Some(conjuncts), Some(keys), Some(aggregates)) = (
        shape.conjuncts.iter().map(bind).collect::<Option<Vec<_>>>(),
        shape
            .keys
            .iter()
            .map(|k| bind_some(k.as_ref()))
            .collect::<Option<Vec<_>>>(),
        shape
            .aggregates
            .iter()
            .map(|(f, a)| Some((*f, bind_some(a.as_ref())?)))
            .collect::<Option<Vec<_>>>(),
    ) else {
        return Ok(None);
    };
    if let Some(out) = by_relationship(
        r,
        shape,
        p,
        params,
        (&conjuncts, &keys, &aggregates),
        deadline,
    )? {
        return Ok(Some(out));
    }
    if let Some(start) = walk_start(shape, &keys)
        && few_starts(r, &shape.labels[start])?
    {
        return Ok(None);
    }
    let csrs: Vec<Arc<Adj>> = shape
        .hops
        .iter()
        .map(|h| projection(r, &h.types))
        .collect::<QResult<_>>()?;
    let Some(data) = data(r, shape, &csrs)? else {
        return Ok(None);
    };
    let counts_only = shape.counts_only();
    let run = Run {
        shape,
        counts_only,
        conjuncts,
        keys,
        aggregates,
        distinct: shape.distinct.clone(),
        data,
        scratch: RefCell::default(),
    };
    let graph = Graph::cached(r.reader()).with_txn(Some(r));
    // With ORDER BY ... LIMIT, a start node's own group is made a row as
    // soon as it is complete and only the rows that can still be returned
    // are kept (a top 10 over 1M start nodes holds about 8,000 rows, not
    // 1M groups).
    let mut done = kept_rows(p, params, &graph)?.map(|keep| Done {
        p,
        params,
        graph: &graph,
        keep,
        rows: Vec::new(),
    });
    let Some((groups, matched)) = walk(r, &run, &csrs, &schema, deadline, done.as_mut())? else {
        return Ok(None);
    };
    let Some(mut rows) = finish(&run, groups, p, params, r)? else {
        return Ok(None);
    };
    if let Some(done) = done {
        rows.extend(done.rows);
    }
    Ok(Some(Output { rows, matched }))
}

/// A statement's parts bound to their parameters: conjuncts, keys and
/// aggregates.
type Bound<'a> = (&'a [C], &'a [Option<C>], &'a [(Aggregate, Option<C>)]);

/// One directed hop grouped by one integer property of its relationship
/// and only counted, whose end labels every relationship of its types
/// has (by the statistics: the relationships of the types between the
/// two labels are all of them), with nothing else to check: each
/// relationship's key counted straight from the property's values by
/// relationship id — no projection, no label members, no alignment (`MATCH
/// (:Person)-[k:KNOWS]->(:Person) RETURN k.since, count(*)`). `None` when
/// the statement is not of that form, a relationship of the types lacks
/// the property, or its values are not integers kept by offset.
fn by_relationship(
    r: &ReadTxn<'_>,
    shape: &Shape,
    p: &ProjectItems,
    params: &Params,
    (conjuncts, keys, aggregates): Bound<'_>,
    deadline: Option<&Deadline>,
) -> QResult<Option<Output>> {
    let ([hop], true) = (shape.hops.as_slice(), shape.counts_relationships()) else {
        return Ok(None);
    };
    let Some(source) = one_side(hop.dir, true).map(|out| usize::from(!out)) else {
        return Ok(None);
    };
    if !ends_hold(r, shape, &hop.types, source)? {
        return Ok(None);
    }
    let Some(by_id) = edge_column_by_id(r, &hop.types, &shape.rel_columns[0])? else {
        return Ok(None);
    };
    if by_id.missing > 0 || !by_id.column.all_ints() {
        return Ok(None);
    }
    let run = Run {
        shape,
        counts_only: true,
        conjuncts: conjuncts.to_vec(),
        keys: keys.to_vec(),
        aggregates: aggregates.to_vec(),
        distinct: shape.distinct.clone(),
        data: Data {
            columns: Vec::new(),
            rels: vec![Arc::clone(&by_id.column)],
            csr: None,
            exists: Vec::new(),
        },
        scratch: RefCell::default(),
    };
    let mut groups = Groups::new(&run);
    // A constant `WHERE` that fails leaves no relationship to count.
    let Ok(holds) = holds_all(&run, &conjuncts.iter().collect::<Vec<_>>()) else {
        return Ok(None);
    };
    let width = groups.width;
    let mut small = SmallCounts::default();
    let (mut buf, mut matched, mut timeout) = (Vec::new(), 0u64, None);
    let column = &by_id.column;
    let counted: Try<()> = (|| {
        let positions = if holds { column.len() } else { 0 };
        for pos in 0..positions {
            tick(pos, deadline, &mut timeout)?;
            let Some(v) = column.int_out(pos) else {
                continue; // no relationship of the types has this id
            };
            matched += 1;
            if let Ok(k) = usize::try_from(v)
                && k < SMALL_KEYS
            {
                small.add(&mut groups, k, 1)?;
                continue;
            }
            let at = At {
                ids: [NodeId(0); 3],
                edge: Some((true, pos)),
            };
            let g = groups.of(&run, &at, &mut buf)?;
            for acc in &mut groups.accs[g * width..][..width] {
                acc.n += 1;
            }
        }
        small.flush(&mut groups)
    })();
    if let Some(e) = timeout {
        return Err(e);
    }
    if counted.is_err() {
        return Ok(None);
    }
    let Some(rows) = finish(&run, groups, p, params, r)? else {
        return Ok(None);
    };
    Ok(Some(Output { rows, matched }))
}

/// Whether the statistics say every relationship of `types` runs from a
/// node with the labels of chain position `source` to one with those of
/// the other position (at most one label each, both or neither given).
fn ends_hold(r: &ReadTxn<'_>, shape: &Shape, types: &[String], source: usize) -> QResult<bool> {
    let reader = r.reader();
    let Some(kept) = Kept::of(reader.kv)? else {
        return Ok(false);
    };
    let id = |label: &String| reader.names.id(Kind::Label, label);
    let type_ids: Vec<u32> = types
        .iter()
        .filter_map(|t| reader.names.id(Kind::EdgeType, t))
        .collect();
    let all = kept.relationships(None, Some(&type_ids), None)?;
    Ok(
        match (&shape.labels[source][..], &shape.labels[1 - source][..]) {
            ([], []) => true,
            ([from], [to]) => match (id(from), id(to)) {
                (Some(f), Some(t)) => kept.relationships(Some(f), Some(&type_ids), Some(t))? == all,
                _ => all == 0,
            },
            _ => false,
        },
    )
}

/// The snapshot's projection of relationship `types` (every type when
/// there are none), cached.
fn projection(r: &ReadTxn<'_>, types: &[String]) -> QResult<Arc<Adj>> {
    Ok(r.projection_of_snapshot(&ProjectionSpec::new().edge_types(types.iter().cloned()))?)
}

/// What the shape's expressions read: its property columns, the first
/// hop's relationship columns (aligned with `csrs[0]`) and its pattern
/// predicates' projections; `None` when a relationship column has no
/// form the rule holds.
fn data(r: &ReadTxn<'_>, shape: &Shape, csrs: &[Arc<Adj>]) -> QResult<Option<Data>> {
    let columns = shape
        .columns
        .iter()
        .map(|k| column(r, k))
        .collect::<QResult<Vec<_>>>()?;
    let mut rels = Vec::with_capacity(shape.rel_columns.len());
    for key in &shape.rel_columns {
        let (Some(csr), Some(hop)) = (csrs.first(), shape.hops.first()) else {
            return Ok(None);
        };
        match edge_column(r, csr, &hop.types, key)? {
            Some(c) => rels.push(c),
            None => return Ok(None),
        }
    }
    let exists = shape
        .exists
        .iter()
        .map(|e| {
            let csr = projection(r, &e.types)?;
            let far = label_bits(r, &csr, &e.labels)?;
            Ok((csr, far, e.dir))
        })
        .collect::<QResult<Vec<_>>>()?;
    Ok(Some(Data {
        columns,
        rels,
        csr: csrs.first().cloned(),
        exists,
    }))
}

/// Whether a node pattern's inline property is a unique key or an index
/// of one of its labels: the plain path then starts at a lookup of a few
/// nodes, where the rule would scan the label.
fn looked_up(r: &ReadTxn<'_>, shape: &Shape, schema: &Schema) -> bool {
    let reader = r.reader();
    shape
        .inline
        .iter()
        .zip(&shape.labels)
        .any(|(keys, labels)| {
            keys.iter().any(|key| {
                let Some(k) = reader.names.id(Kind::PropKey, key) else {
                    return false;
                };
                labels
                    .iter()
                    .filter_map(|l| reader.names.id(Kind::Label, l))
                    .any(|l| schema.unique.contains(&(l, k)) || schema.indexed.contains(&(l, k)))
            })
        })
}

/// Sorted ids of the nodes with every one of `labels` (every node when
/// there are none).
fn candidates(r: &ReadTxn<'_>, labels: &[String], csr: Option<&Adj>) -> QResult<Arc<[NodeId]>> {
    let Some((first, rest)) = labels.split_first() else {
        // A projection holds every node already.
        if let Some(csr) = csr {
            return Ok(csr.node_ids().into());
        }
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

/// The bits of `csr`'s dense indices of the nodes with every one of
/// `labels`; `None` when every node of the projection has them (nothing
/// to check: a counted hop then reads degrees alone).
fn label_bits(r: &ReadTxn<'_>, csr: &Adj, labels: &[String]) -> QResult<Option<FixedBitSet>> {
    if labels.is_empty() {
        return Ok(None);
    }
    let mut bits = FixedBitSet::with_capacity(csr.node_count());
    for &id in candidates(r, labels, None)?.iter() {
        if let Some(i) = csr.index_of(id) {
            bits.insert(i as usize);
        }
    }
    Ok((bits.count_ones(..) < csr.node_count()).then_some(bits))
}

/// The bits of `csr`'s dense indices of the nodes with `labels` for
/// which every predicate in `preds` (reading position `at`) holds; `None`
/// when nothing is to be checked.
fn far_bits(
    r: &ReadTxn<'_>,
    run: &Run<'_>,
    csr: &Adj,
    labels: &[String],
    preds: &[&C],
) -> QResult<Try<Option<FixedBitSet>>> {
    if preds.is_empty() {
        return label_bits(r, csr, labels).map(Ok);
    }
    let mut bits = FixedBitSet::with_capacity(csr.node_count());
    let ids = if labels.is_empty() {
        None
    } else {
        Some(candidates(r, labels, None)?)
    };
    let list = ids.as_deref().unwrap_or(csr.node_ids());
    for &id in list {
        let Some(i) = csr.index_of(id) else { continue };
        let at = At::node(id);
        let mut ok = true;
        for c in preds {
            match run.holds(c, &at) {
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

/// `conjuncts` as comparisons of an integer relationship column with an
/// integer (column, operator with the column on its left, value), when
/// they all are and there is one at least.
fn rel_tests(run: &Run<'_>, conjuncts: &[&C]) -> Option<Vec<(usize, BinaryOp, i64)>> {
    if conjuncts.is_empty() {
        return None;
    }
    let ints = |c: usize| run.data.rels.get(c).is_some_and(|r| r.all_ints());
    conjuncts
        .iter()
        .map(|c| match c {
            C::Binary(op, a, b) if is_comparison(*op) => match (&**a, &**b) {
                (C::RelProp(c), C::Const(V::Int(v))) if ints(*c) => Some((*c, *op, *v)),
                (C::Const(V::Int(v)), C::RelProp(c)) if ints(*c) => Some((*c, flipped(*op), *v)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// A start-node conjunct decided from one column in a tight loop: an
/// integer column compared with an integer literal, or a coded string
/// column tested for (in)equality with a string literal. A node without
/// the property passes neither (the comparison is `null`).
enum Bulk<'a> {
    /// An integer (or instant) column's value within `lo..=hi` (none
    /// when `lo > hi`), and unlike `not`.
    Int {
        base: u64,
        ints: &'a [i64],
        present: &'a FixedBitSet,
        lo: i64,
        hi: i64,
        not: Option<i64>,
    },
    Code {
        base: u64,
        codes: &'a [u32],
        /// The literal's code, `None` when no node holds it.
        code: Option<u32>,
        equal: bool,
    },
}

impl Bulk<'_> {
    /// The conjunct `c` as a bulk test, when it is one.
    fn of<'a>(run: &'a Run<'_>, c: &C) -> Option<Bulk<'a>> {
        let C::Binary(op, a, b) = c else {
            return None;
        };
        if !is_comparison(*op) {
            return None;
        }
        let (column, literal, op) = match (&**a, &**b) {
            (C::Prop(_, col), C::Const(v)) => (*col, v, *op),
            (C::Const(v), C::Prop(_, col)) => (*col, v, flipped(*op)),
            _ => return None,
        };
        Bulk::on(&run.data.columns[column], op, literal)
    }

    /// `column op literal` as a bulk test, when it is one.
    fn on<'a>(column: &'a Column, op: BinaryOp, literal: &CypherValue) -> Option<Bulk<'a>> {
        if !is_comparison(op) {
            return None;
        }
        let Column::Dense { base, values } = column else {
            return None;
        };
        let int = |ints: &'a [i64], present: &'a FixedBitSet, k: i64| {
            let (lo, hi, not) = match op {
                BinaryOp::Eq => (k, k, None),
                BinaryOp::Ne => (i64::MIN, i64::MAX, Some(k)),
                // `< i64::MIN` holds for nothing: an empty range.
                BinaryOp::Lt => k
                    .checked_sub(1)
                    .map_or((1, 0, None), |h| (i64::MIN, h, None)),
                BinaryOp::Le => (i64::MIN, k, None),
                BinaryOp::Gt => k
                    .checked_add(1)
                    .map_or((1, 0, None), |l| (l, i64::MAX, None)),
                _ => (k, i64::MAX, None),
            };
            Bulk::Int {
                base: *base,
                ints,
                present,
                lo,
                hi,
                not,
            }
        };
        match (values, literal) {
            (Slots::Ints { ints, present }, V::Int(k)) => Some(int(ints, present, *k)),
            // Instants compare as the integers they are stored as.
            (Slots::Instants { nanos, present, .. }, literal) => {
                Some(int(nanos, present, instant_of(literal)?))
            }
            (Slots::Coded { codes, dict }, V::String(text))
                if matches!(op, BinaryOp::Eq | BinaryOp::Ne) =>
            {
                let code = dict
                    .iter()
                    .position(|d| matches!(d, V::String(s) if s == text))
                    .and_then(|i| u32::try_from(i + 1).ok());
                Some(Bulk::Code {
                    base: *base,
                    codes,
                    code,
                    equal: op == BinaryOp::Eq,
                })
            }
            _ => None,
        }
    }

    /// Tests `b` and `a` together when both bound one column's values:
    /// the intersection of their ranges.
    fn merged<'a>(a: &Bulk<'a>, b: &Bulk<'a>) -> Option<Bulk<'a>> {
        match (a, b) {
            (
                &Bulk::Int {
                    base,
                    ints,
                    present,
                    lo,
                    hi,
                    not: None,
                },
                &Bulk::Int {
                    base: base2,
                    ints: ints2,
                    lo: lo2,
                    hi: hi2,
                    not: None,
                    ..
                },
            ) if base == base2 && std::ptr::eq(ints, ints2) => Some(Bulk::Int {
                base,
                ints,
                present,
                lo: lo.max(lo2),
                hi: hi.min(hi2),
                not: None,
            }),
            _ => None,
        }
    }

    /// Copies the nodes of `src` that pass to the front of `dst` (at
    /// least as long), in a loop of its own: how many.
    fn compact(&self, src: &[NodeId], dst: &mut [NodeId]) -> usize {
        match *self {
            Bulk::Int {
                base,
                ints,
                present,
                lo,
                hi,
                not,
            } => {
                if lo > hi {
                    return 0;
                }
                // Without branches on the values (a filter keeps an
                // unpredictable few): each id is written, and the write
                // position moves on when it passes.
                let width = hi.wrapping_sub(lo) as u64;
                let not = not.map(|n| n.wrapping_sub(lo) as u64);
                let mut kept = 0;
                for (&id, i) in src.iter().zip(0..) {
                    let at = id.0.wrapping_sub(base) as usize;
                    let (value, known) = match ints.get(at) {
                        Some(v) => (v.wrapping_sub(lo) as u64, present.contains(at)),
                        None => (0, false),
                    };
                    dst[kept.min(i)] = id;
                    #[allow(
                        clippy::needless_bitwise_bool,
                        reason = "no branch: the values decide unpredictably"
                    )]
                    let passes = known & (value <= width) & (Some(value) != not);
                    kept += usize::from(passes);
                }
                kept
            }
            Bulk::Code {
                base,
                codes,
                code,
                equal,
            } => {
                let mut kept = 0;
                for &id in src {
                    let found =
                        id.0.checked_sub(base)
                            .and_then(|at| codes.get(usize::try_from(at).ok()?))
                            .copied()
                            .unwrap_or(0);
                    if found != 0 && ((Some(found) == code) == equal) {
                        dst[kept] = id;
                        kept += 1;
                    }
                }
                kept
            }
        }
    }

    /// Keeps the nodes of `ids` that pass.
    fn retain(&self, ids: &mut Vec<NodeId>) {
        let mut buf = vec![NodeId(0); ids.len()];
        let kept = self.compact(ids, &mut buf);
        buf.truncate(kept);
        *ids = buf;
    }
}

/// The start nodes that pass the start-node conjuncts decidable in bulk
/// (see [`Bulk`]), tested column by column in tight loops, and the
/// conjuncts left to test node by node; `None` when none is decidable so.
fn prefiltered<'c>(
    run: &Run<'_>,
    starts: &[NodeId],
    at_start: &[&'c C],
    deadline: Option<&Deadline>,
) -> QResult<Option<(Vec<NodeId>, Vec<&'c C>)>> {
    let mut tests: Vec<Bulk<'_>> = Vec::new();
    let mut rest = Vec::new();
    for &c in at_start {
        match Bulk::of(run, c) {
            Some(test) => tests.push(test),
            None => rest.push(c),
        }
    }
    Ok(bulk_filtered(tests, starts, deadline)?.map(|kept| (kept, rest)))
}

/// The nodes of `starts` that pass every test, column by column (bounds
/// on one column merged into one range first); `None` without tests.
fn bulk_filtered(
    tests: Vec<Bulk<'_>>,
    starts: &[NodeId],
    deadline: Option<&Deadline>,
) -> QResult<Option<Vec<NodeId>>> {
    let mut merged: Vec<Bulk<'_>> = Vec::new();
    for test in tests {
        match merged
            .iter_mut()
            .find_map(|t| Some((Bulk::merged(t, &test)?, t)))
        {
            Some((both, t)) => *t = both,
            None => merged.push(test),
        }
    }
    let Some((first, others)) = merged.split_first() else {
        return Ok(None);
    };
    let mut kept = Vec::new();
    let mut buf = vec![NodeId(0); starts.len().min(TICK * 16)];
    for (n, chunk) in starts.chunks(TICK * 16).enumerate() {
        if n > 0 {
            check_deadline(deadline)?;
        }
        let k = first.compact(chunk, &mut buf);
        kept.extend_from_slice(&buf[..k]);
    }
    for test in others {
        check_deadline(deadline)?;
        test.retain(&mut kept);
    }
    Ok(Some(kept))
}

/// The rule `ColumnarFilter`, for a match that is not aggregated or
/// ordered (which `ColumnarAggregate` and `ColumnarTopK` take): the start
/// nodes of a pattern with `label` — one that holds an eighth of the
/// nodes or more — whose property columns pass `tests` (`key op value`:
/// comparisons of an integer or instant column with a literal, or a
/// coded string column's (in)equality), decided column by column over
/// the label's member list on snapshot `r`. `None` when the label is
/// small or no test is decidable so: the caller scans the label. The
/// pattern's `WHERE` still runs on every node it gives.
pub(crate) fn filtered_start(
    r: &ReadTxn<'_>,
    label: &str,
    tests: &[(&str, BinaryOp, CypherValue)],
) -> QResult<Option<Vec<NodeId>>> {
    if tests.is_empty() || few_starts(r, &[label.to_owned()])? {
        return Ok(None);
    }
    let starts = candidates(r, &[label.to_owned()], None)?;
    if (starts.len() as u64).saturating_mul(8) < r.node_count()? {
        return Ok(None);
    }
    let columns = tests
        .iter()
        .map(|(key, ..)| column(r, key))
        .collect::<QResult<Vec<_>>>()?;
    let bulk = tests
        .iter()
        .zip(&columns)
        .filter_map(|((_, op, value), c)| Bulk::on(c, *op, value))
        .collect();
    bulk_filtered(bulk, &starts, None)
}

/// The one side of the lists a hop by `dir` reads from the start's side
/// (`true`: the out lists), or `None` when it reads both.
fn one_side(dir: Dir, forward: bool) -> Option<bool> {
    match dir {
        Dir::Either => None,
        _ => Some(matches!(
            (dir, forward),
            (Dir::Right, true) | (Dir::Left, false)
        )),
    }
}

/// The relationships of dense node `i` by `dir` from the start's side
/// (`forward`: the chain read left to right), calling `f` with each one's
/// far node, side (out lists or in lists) and position there. Generic in
/// `f` and inlined: it runs once per relationship, where a call through a
/// `dyn` pointer cost the `since` histogram a fifth of its time.
#[inline]
fn neighbours(
    csr: &Adj,
    i: u32,
    dir: Dir,
    forward: bool,
    f: &mut impl FnMut(u32, bool, usize) -> Try<()>,
) -> Try<()> {
    let sides: &[bool] = match one_side(dir, forward) {
        None => &[true, false],
        Some(true) => &[true],
        Some(false) => &[false],
    };
    for &out in sides {
        let lists = if out { &csr.out } else { csr.inc() };
        for pos in lists.range(i) {
            let j = lists.targets[pos];
            // A self-loop is one match, listed in both directions.
            if dir == Dir::Either && !out && j == i {
                continue;
            }
            f(j, out, pos)?;
        }
    }
    Ok(())
}

/// The index among the grouping keys of one no two start nodes share
/// unless it is null: the start node itself, or a property that is a
/// unique key of one of the start's labels.
fn unique_start_key(
    r: &ReadTxn<'_>,
    run: &Run<'_>,
    start: usize,
    schema: &Schema,
) -> Option<usize> {
    let reader = r.reader();
    let labels: Vec<u32> = run.shape.labels[start]
        .iter()
        .filter_map(|l| reader.names.id(Kind::Label, l))
        .collect();
    run.keys.iter().flatten().position(|k| match k {
        C::Node(v) => *v == start,
        // A key a unique constraint keeps apart by type (1 and 1.0 are
        // two values there, one group in Cypher) makes a group per node
        // only when its column holds integers or strings alone.
        C::Prop(v, c) => {
            *v == start
                && run.data.columns[*c].one_type()
                && reader
                    .names
                    .id(Kind::PropKey, &run.shape.columns[*c])
                    .is_some_and(|key| {
                        schema
                            .unique
                            .iter()
                            .any(|&(l, k)| k == key && labels.contains(&l))
                    })
        }
        _ => false,
    })
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

/// The node the walk starts at: where the keys read, else where a label
/// narrows more; `None` when the keys read the far node of a 2-cycle.
fn walk_start(shape: &Shape, keys: &[Option<C>]) -> Option<usize> {
    let key_vars = keys.iter().flatten().fold(0u8, |acc, k| acc | k.vars());
    if shape.open {
        // The position the keys read, else the middle node.
        return Some(match key_vars {
            0b001 => 0,
            0b100 => 2,
            _ => 1,
        });
    }
    Some(if shape.hops.is_empty() || key_vars == 0b01 {
        0
    } else if key_vars == 0b10 {
        if shape.hops.len() == 2 {
            return None;
        }
        1
    } else if shape.hops.len() == 2 {
        0
    } else {
        usize::from(shape.labels[1].len() > shape.labels[0].len())
    })
}

/// The walk of a shape with no hop and no grouping key: one group, the
/// nodes that pass the conjuncts found first, then each aggregate folded
/// over them in one loop over its column where it can be
/// (`Run::fold_column`), else node by node.
fn fold_whole(
    run: &Run<'_>,
    starts: &[NodeId],
    conjuncts: &[&C],
    deadline: Option<&Deadline>,
    mut groups: Groups,
) -> QResult<Walked> {
    let passing: Cow<'_, [NodeId]> = if conjuncts.is_empty() {
        Cow::Borrowed(starts)
    } else {
        let mut kept = Vec::new();
        for (n, &s) in starts.iter().enumerate() {
            if n % TICK == 0 {
                check_deadline(deadline)?;
            }
            let at = At::node(s);
            match run.all_hold(conjuncts.iter().copied(), &at) {
                Ok(true) => kept.push(s),
                Ok(false) => {}
                Err(GiveUp) => return Ok(None),
            }
        }
        Cow::Owned(kept)
    };
    check_deadline(deadline)?;
    let width = groups.width;
    groups.count = 1;
    groups.accs.resize_with(width, Acc::default);
    for (k, acc) in groups.accs.iter_mut().enumerate() {
        if run.fold_column(k, acc, &passing) {
            continue;
        }
        for &s in passing.iter() {
            if run.fold_one(k, acc, &At::node(s), 1).is_err() {
                return Ok(None);
            }
        }
    }
    Ok(Some((groups, passing.len() as u64)))
}

/// Counts of small non-negative integer keys (below [`SMALL_KEYS`]) in a
/// table, each key's group opened in `groups` when first met — so its
/// value is the first row's, as on the row path (`1`, or `1.0` when a
/// float met on the hashed side came first).
#[derive(Default)]
struct SmallCounts {
    counts: Vec<u64>,
}

impl SmallCounts {
    #[inline]
    fn add(&mut self, groups: &mut Groups, key: usize, weight: u64) -> Try<()> {
        if self.counts.len() <= key {
            self.counts.resize(key + 1, 0);
        }
        if self.counts[key] == 0 && groups.small.get(key).is_none_or(|&g| g == 0) {
            groups.keys.push(V::Int(key as i64));
            groups.open();
            // Group + 1, as `Groups::small` keeps it.
            let mark = u32::try_from(groups.count).map_err(|_| GiveUp)?;
            if groups.small.is_empty() {
                groups.small = vec![0; SMALL_KEYS];
            }
            groups.small[key] = mark;
        }
        self.counts[key] += weight;
        Ok(())
    }

    /// Adds the counts to their groups' folds (every aggregate a count).
    fn flush(self, groups: &mut Groups) -> Try<()> {
        let width = groups.width;
        for (key, &count) in self.counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let g = groups
                .small
                .get(key)
                .and_then(|g| g.checked_sub(1))
                .ok_or(GiveUp)? as usize;
            for acc in &mut groups.accs[g * width..][..width] {
                acc.n += count;
            }
        }
        Ok(())
    }
}

/// No hop, one grouping key, only counts, nothing to check per node: one
/// loop that counts each node's key into a table — a coded string
/// column's code, or a small non-negative integer the key makes of
/// integers (`p.age / 10`) — then a group per key met. Other keys (and
/// a node whose key is another value) take the hashed groups.
fn count_by_key(
    run: &Run<'_>,
    starts: &[NodeId],
    deadline: Option<&Deadline>,
    mut groups: Groups,
) -> QResult<Walked> {
    let Some(key) = run.keys.iter().flatten().next() else {
        return Ok(None);
    };
    let width = groups.width;
    let add = |groups: &mut Groups, value: CypherValue, count: u64| {
        groups.keys.push(value);
        let g = groups.open();
        for acc in &mut groups.accs[g * width..][..width] {
            acc.n += count;
        }
    };
    if let C::Prop(0, c) = key
        && let Column::Dense {
            base,
            values: Slots::Coded { codes, dict },
        } = &*run.data.columns[*c]
    {
        let mut counts = vec![0u64; dict.len() + 1];
        for (n, &id) in starts.iter().enumerate() {
            if n % TICK == 0 {
                check_deadline(deadline)?;
            }
            let code =
                id.0.checked_sub(*base)
                    .and_then(|at| codes.get(usize::try_from(at).ok()?))
                    .map_or(0, |&code| code as usize);
            counts[code] += 1;
        }
        for (code, &count) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
            let value = if code == 0 {
                V::Null
            } else {
                dict[code - 1].clone()
            };
            add(&mut groups, value, count);
        }
        return Ok(Some((groups, starts.len() as u64)));
    }
    // Small integer keys counted in a table; the rest hashed as usual.
    let mut small = SmallCounts::default();
    let mut buf = Vec::new();
    let counted: Try<()> = (|| {
        for (n, &id) in starts.iter().enumerate() {
            if n % TICK == 0 {
                check_deadline(deadline).map_err(|_| GiveUp)?;
            }
            let at = At::node(id);
            if let Some(i) = key.int(&at, &run.data)
                && let Ok(k) = usize::try_from(i)
                && k < SMALL_KEYS
            {
                small.add(&mut groups, k, 1)?;
                continue;
            }
            let g = groups.of(run, &at, &mut buf)?;
            for acc in &mut groups.accs[g * width..][..width] {
                acc.n += 1;
            }
        }
        Ok(())
    })();
    check_deadline(deadline)?;
    if counted.is_err() || small.flush(&mut groups).is_err() {
        return Ok(None);
    }
    Ok(Some((groups, starts.len() as u64)))
}

/// Whether the statistics say the walk's start label holds under an
/// eighth of the nodes: then the plain path's reads cost less than the
/// columns and projection the rule would build, and it declines before
/// building them. (`walk` checks the candidates again.)
fn few_starts(r: &ReadTxn<'_>, labels: &[String]) -> QResult<bool> {
    let reader = r.reader();
    let Some(kept) = Kept::of(reader.kv)? else {
        return Ok(false);
    };
    let mut size = u64::MAX;
    for label in labels {
        size = size.min(kept.label_named(reader.names, label)?);
    }
    Ok(size != u64::MAX && size.saturating_mul(8) < r.node_count()?)
}

#[allow(
    clippy::too_many_lines,
    reason = "the one loop of the rule, with its setup"
)]
fn walk(
    r: &ReadTxn<'_>,
    run: &Run<'_>,
    csrs: &[Arc<Adj>],
    schema: &Schema,
    deadline: Option<&Deadline>,
    done: Option<&mut Done<'_>>,
) -> QResult<Walked> {
    let shape = run.shape;
    if shape.open {
        return walk_open(r, run, csrs, schema, deadline, done);
    }
    let key_vars = run.keys.iter().flatten().fold(0u8, |acc, k| acc | k.vars());
    let Some(start) = walk_start(shape, &run.keys) else {
        return Ok(None);
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
    let mut groups = Groups::new(run);
    match holds_all(run, &constant) {
        Ok(true) => {}
        Ok(false) => return Ok(Some((groups, 0))),
        Err(_) => return Ok(None),
    }
    let starts = candidates(r, &shape.labels[start], csrs.first().map(AsRef::as_ref))?;
    // For a few start nodes, the plain path's reads cost less than the
    // columns and the projection the rule would build.
    if (starts.len() as u64).saturating_mul(8) < r.node_count()? {
        return Ok(None);
    }
    // Start-node comparisons of a column with a literal, decided in bulk.
    let (starts, at_start): (Cow<'_, [NodeId]>, Vec<&C>) =
        match prefiltered(run, &starts, &at_start, deadline)? {
            Some((kept, rest)) => (Cow::Owned(kept), rest),
            None => (Cow::Borrowed(&starts[..]), at_start),
        };
    if csrs.is_empty() && groups.nkeys == 0 {
        return fold_whole(run, &starts, &at_start, deadline, groups);
    }
    if csrs.is_empty() && groups.nkeys == 1 && run.counts_only && at_start.is_empty() {
        return count_by_key(run, &starts, deadline, groups);
    }
    let far = match csrs.first() {
        Some(csr) => match far_bits(r, run, csr, &shape.labels[other], &at_other)? {
            Ok(bits) => bits,
            Err(_) => return Ok(None),
        },
        None => None,
    };
    // Folded once per start node when the keys read only the start; a
    // group per start node, with no hashing, when a key is the start node
    // or its unique key (unless that is null).
    let per_start = !shape.hops.is_empty() && key_vars & !(1 << start) == 0;
    let mut settle = Settle {
        own: if per_start {
            unique_start_key(r, run, start, schema)
        } else {
            None
        },
        done,
        key_values: Vec::new(),
    };
    // A hop whose rows only count (count(*), count of a node) per start
    // node, with nothing to check per relationship, is counted.
    let counted = per_start && both.is_empty() && run.counts_only;
    // Or, on the out lists, with only integer comparisons of the
    // relationship's properties to check: counted over the relationship
    // columns, a comparison of two integers per relationship.
    let rel_tests = rel_tests(run, &both).filter(|_| {
        per_start
            && run.counts_only
            && shape.hops.len() == 1
            && one_side(shape.hops[0].dir, start == 0) == Some(true)
    });
    // One key, an integer property of the relationship, only counts and
    // nothing to check per relationship, on the out lists (where the
    // relationship columns are in order): each relationship's key counted
    // into a table (small integers; others hashed).
    let rel_key = match run.keys.iter().flatten().collect::<Vec<_>>()[..] {
        [C::RelProp(c)]
            if !per_start
                && run.counts_only
                && both.is_empty()
                && shape.hops.len() == 1
                && one_side(shape.hops[0].dir, start == 0) == Some(true)
                && run.data.rels.get(*c).is_some_and(|r| r.all_ints()) =>
        {
            Some(*c)
        }
        _ => None,
    };
    let mut small = SmallCounts::default();
    // Whether what is evaluated per relationship reads the far node: if
    // not, its id is never looked up (a random read per relationship).
    let far_bit = 1u8 << other;
    let reads_far = both.iter().any(|c| c.vars() & far_bit != 0)
        || (!per_start && key_vars & far_bit != 0)
        || run
            .aggregates
            .iter()
            .filter_map(|(_, a)| a.as_ref())
            .any(|a| a.vars() & far_bit != 0);
    let mut local = vec![Acc::default(); width];
    let mut buf = Vec::new();
    let mut matched = 0u64;
    let forward = start == 0;
    let mut timeout = None;
    let result: Try<()> = (|| {
        for (n, &s) in starts.iter().enumerate() {
            tick(n, deadline, &mut timeout)?;
            let mut at = At::node(s);
            if !run.all_hold(at_start.iter().copied(), &at)? {
                continue;
            }
            let mut here = 0u64;
            let mut each = |at: &At, weight: u64, local: &mut [Acc]| -> Try<()> {
                for c in &both {
                    if !run.holds(c, at)? {
                        return Ok(());
                    }
                }
                here += weight;
                if per_start {
                    run.fold(local, at, weight)
                } else {
                    let g = groups.of(run, at, &mut buf)?;
                    run.fold(&mut groups.accs[g * width..][..width], at, weight)
                }
            };
            match csrs {
                [] => each(&at, 1, &mut local)?,
                [csr] if let Some(tests) = &rel_tests => {
                    let Some(i) = csr.index_of(s) else { continue };
                    let mut k = 0u64;
                    for pos in csr.out.range(i) {
                        if far
                            .as_ref()
                            .is_some_and(|b| !b.contains(csr.out.targets[pos] as usize))
                        {
                            continue;
                        }
                        k += u64::from(tests.iter().all(|&(c, op, v)| {
                            run.data.rels[c]
                                .int_out(pos)
                                .is_some_and(|x| holds_for(op, x.cmp(&v)))
                        }));
                    }
                    if k > 0 {
                        here += k;
                        run.fold(&mut local, &at, k)?;
                    }
                }
                [csr] if let Some(c) = rel_key => {
                    let Some(i) = csr.index_of(s) else { continue };
                    for pos in csr.out.range(i) {
                        if far
                            .as_ref()
                            .is_some_and(|b| !b.contains(csr.out.targets[pos] as usize))
                        {
                            continue;
                        }
                        here += 1;
                        let key = run.data.rels[c]
                            .int_out(pos)
                            .and_then(|v| usize::try_from(v).ok())
                            .filter(|&k| k < SMALL_KEYS);
                        if let Some(k) = key {
                            small.add(&mut groups, k, 1)?;
                        } else {
                            at.edge = Some((true, pos));
                            let g = groups.of(run, &at, &mut buf)?;
                            for acc in &mut groups.accs[g * width..][..width] {
                                acc.n += 1;
                            }
                        }
                    }
                }
                [csr] if counted => {
                    // Only how many: one fold of the count per start.
                    let Some(i) = csr.index_of(s) else { continue };
                    let dir = shape.hops[0].dir;
                    let mut k = 0u64;
                    match one_side(dir, forward) {
                        // Every far node counts: the degree itself.
                        Some(out) if far.is_none() => k = csr.degree(i, out) as u64,
                        _ => neighbours(csr, i, dir, forward, &mut |j, _, _| {
                            k += u64::from(far.as_ref().is_none_or(|b| b.contains(j as usize)));
                            Ok(())
                        })?,
                    }
                    if k > 0 {
                        each(&at, k, &mut local)?;
                    }
                }
                [csr] => {
                    let Some(i) = csr.index_of(s) else { continue };
                    neighbours(csr, i, shape.hops[0].dir, forward, &mut |j, out, pos| {
                        if far.as_ref().is_some_and(|b| !b.contains(j as usize)) {
                            return Ok(());
                        }
                        if reads_far {
                            at.ids[other] = csr.node_id(j);
                        }
                        at.edge = Some((out, pos));
                        each(&at, 1, &mut local)
                    })?;
                }
                [first, _] if shape.hops[0].types.len() == 1 => {
                    // One type: out lists are sorted like in lists, and a
                    // far node b closes the cycle once per pair of its
                    // copies in a's out list and a's in list (a
                    // self-loop does not pair with itself).
                    let Some(i) = first.index_of(s) else { continue };
                    let (xs, ys) = (first.out_neighbors(i), first.in_neighbors(i));
                    let (mut in_out, mut in_in) = (0, 0);
                    while in_out < xs.len() && in_in < ys.len() {
                        let v = xs[in_out];
                        if v < ys[in_in] {
                            in_out += 1;
                            continue;
                        }
                        if v > ys[in_in] {
                            in_in += 1;
                            continue;
                        }
                        let outs = xs[in_out..].iter().take_while(|&&t| t == v).count();
                        let ins = ys[in_in..].iter().take_while(|&&t| t == v).count();
                        in_out += outs;
                        in_in += ins;
                        let m = (outs * ins - if v == i { outs } else { 0 }) as u64;
                        if m == 0 || far.as_ref().is_some_and(|b| !b.contains(v as usize)) {
                            continue;
                        }
                        at.ids[1] = first.node_id(v);
                        each(&at, m, &mut local)?;
                    }
                }
                [first, second] => {
                    let Some(i) = first.index_of(s) else { continue };
                    let dir = shape.hops[0].dir;
                    let sorted = shape.hops[1].types.len() == 1;
                    neighbours(first, i, dir, true, &mut |j, _, _| {
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
                        // The two hops are two relationships: at a
                        // self-loop, the first is not the second.
                        let m = multiplicity(list, ai, sorted) - u64::from(b == s);
                        if m == 0 {
                            return Ok(());
                        }
                        at.ids[1] = b;
                        each(&at, m, &mut local)
                    })?;
                }
                _ => return Err(GiveUp),
            }
            if per_start && here > 0 {
                settle.start(run, &mut groups, s, &mut local, &mut buf)?;
            }
            matched += here;
        }
        Ok(())
    })();
    if let Some(e) = timeout {
        return Err(e);
    }
    let result = result.and_then(|()| small.flush(&mut groups));
    Ok(result.ok().map(|()| (groups, matched)))
}

/// Whether every conjunct of `cs`, which read no node, holds.
fn holds_all(run: &Run<'_>, cs: &[&C]) -> Try<bool> {
    run.all_hold(cs.iter().copied(), &At::node(NodeId(0)))
}

/// Settles a start node's folds into its group once its matches are
/// walked (the keys read only the start node).
struct Settle<'a, 'd> {
    /// The index among the keys of one that gives each start node a group
    /// of its own (`unique_start_key`).
    own: Option<usize>,
    /// With `ORDER BY ... LIMIT`, the rows that can still be returned.
    done: Option<&'a mut Done<'d>>,
    key_values: Vec<CypherValue>,
}

impl Settle<'_, '_> {
    /// Moves start node `s`'s folds in `local` into its group (or, when it
    /// has a group of its own and only the top rows are kept, into those
    /// rows), leaving `local` empty; `buf` is scratch.
    fn start(
        &mut self,
        run: &Run<'_>,
        groups: &mut Groups,
        s: NodeId,
        local: &mut [Acc],
        buf: &mut Vec<u8>,
    ) -> Try<()> {
        let at = At::node(s);
        let own = self.own.is_some_and(|k| {
            !run.keys
                .iter()
                .flatten()
                .nth(k)
                .is_some_and(|c| c.eval(&at, &run.data).is_ok_and(|v| v.get().is_null()))
        });
        if own && let Some(done) = self.done.as_deref_mut() {
            // A group of its own is complete: its row goes to the rows
            // that can still be returned, not to a group.
            self.key_values.clear();
            run.key_values(&at, &mut self.key_values)?;
            done.add(run, &mut self.key_values, local)?;
            local.fill(Acc::default());
            return Ok(());
        }
        let g = if own {
            groups.fresh(run, &at)?
        } else {
            groups.of(run, &at, buf)?
        };
        let width = groups.width;
        for (k, ((f, _), acc)) in run.aggregates.iter().zip(local.iter_mut()).enumerate() {
            groups.accs[g * width + k].merge(*f, acc)?;
            *acc = Acc::default();
        }
        Ok(())
    }
}

/// Whether a relationship listed on side `out` of node `i`'s lists, to
/// node `j`, leads from `i` along a hop by `dir` (read from `i`'s end):
/// a self-loop does either way.
fn leads(dir: Dir, i: u32, j: u32, out: bool) -> bool {
    i == j || one_side(dir, true).is_none_or(|side| side == out)
}

/// Whether two hops' type lists name the same types (`Some(true)`: one
/// relationship can be either hop) or none in common (`Some(false)`);
/// `None` when they overlap in part.
fn same_types(a: &[String], b: &[String]) -> Option<bool> {
    let (mut x, mut y) = (a.to_vec(), b.to_vec());
    x.sort_unstable();
    x.dedup();
    y.sort_unstable();
    y.dedup();
    if x == y {
        return Some(true);
    }
    if x.is_empty() || y.is_empty() || x.iter().any(|t| y.contains(t)) {
        return None;
    }
    Some(false)
}

/// How many relationships of `csr` lead from dense node `i` by `dir`
/// (from `i`'s end) to a node in `bits` (every node when `None`).
#[inline]
fn count_to(csr: &Adj, i: u32, dir: Dir, bits: Option<&FixedBitSet>) -> Try<u64> {
    if bits.is_none()
        && let Some(out) = one_side(dir, true)
    {
        return Ok(csr.degree(i, out) as u64);
    }
    let mut k = 0u64;
    neighbours(csr, i, dir, true, &mut |j, _, _| {
        k += u64::from(bits.is_none_or(|b| b.contains(j as usize)));
        Ok(())
    })?;
    Ok(k)
}

/// The walk of an open chain of two hops, `(x)-[h0]-(m)-[h1]-(y)`, whose
/// rows only count and whose conjuncts and keys read one node each
/// (`Shape::open`): the matches through middle node `m` are
/// `in(m) * out(m)` (the relationships to an `x` and from an `y` that
/// pass their labels and conjuncts), less the relationships that would be
/// both hops (a relationship is used once in a match). With keys on an
/// end node the walk starts there and adds up, over its relationships to
/// middle nodes, each middle node's count on the far side. No row is made
/// per match.
#[allow(
    clippy::too_many_lines,
    reason = "the one loop of the open chain, with its setup"
)]
fn walk_open(
    r: &ReadTxn<'_>,
    run: &Run<'_>,
    csrs: &[Arc<Adj>],
    schema: &Schema,
    deadline: Option<&Deadline>,
    done: Option<&mut Done<'_>>,
) -> QResult<Walked> {
    let shape = run.shape;
    let (Some(start), [first, second], [h0, h1]) =
        (walk_start(shape, &run.keys), csrs, shape.hops.as_slice())
    else {
        return Ok(None);
    };
    // One numbering of the nodes for both hops (every projection of the
    // snapshot holds every node, in id order).
    if !Arc::ptr_eq(first, second) && first.node_ids() != second.node_ids() {
        return Ok(None);
    }
    let Some(shared) = same_types(&h0.types, &h1.types) else {
        return Ok(None);
    };
    let mut groups = Groups::new(run);
    let constant: Vec<&C> = run.conjuncts.iter().filter(|c| c.vars() == 0).collect();
    match holds_all(run, &constant) {
        Ok(true) => {}
        Ok(false) => return Ok(Some((groups, 0))),
        Err(_) => return Ok(None),
    }
    // Each position's labels and conjuncts, decided once per node.
    let mut bits: [Option<FixedBitSet>; 3] = [None, None, None];
    for (p, b) in bits.iter_mut().enumerate() {
        let preds: Vec<&C> = run
            .conjuncts
            .iter()
            .filter(|c| c.vars() == 1 << p)
            .collect();
        match far_bits(r, run, first, &shape.labels[p], &preds)? {
            Ok(found) => *b = found,
            Err(_) => return Ok(None),
        }
    }
    let passes = |p: usize, i: u32| bits[p].as_ref().is_none_or(|b| b.contains(i as usize));
    // The chain read from the end the keys read (or from the first node
    // when they read the middle or nothing): that end and the other
    // (`ends`), the near hop by its direction read from the near end, the
    // far hop by its direction read from the middle node.
    let from_end = start != 1;
    let (ends, near, far) = if start == 2 {
        (
            [2, 0],
            (second, h1.dir.reversed()),
            (first, h0.dir.reversed()),
        )
    } else {
        ([0, 2], (first, h0.dir), (second, h1.dir))
    };
    // From the middle towards the near end: the near hop reversed.
    let (near_csr, near_dir) = (near.0, near.1.reversed());
    let (far_csr, far_dir) = far;
    // Per middle node: its relationships to far-end nodes.
    let far_counts: Option<Vec<u32>> = if from_end {
        let mut counts = vec![0u32; first.node_count()];
        for (i, c) in (0u32..).zip(counts.iter_mut()) {
            if passes(1, i) {
                let Ok(k) = count_to(far_csr, i, far_dir, bits[ends[1]].as_ref()) else {
                    return Ok(None);
                };
                *c = u32::try_from(k).unwrap_or(u32::MAX);
            }
        }
        Some(counts)
    } else {
        None
    };
    let mut settle = Settle {
        own: unique_start_key(r, run, start, schema),
        done,
        key_values: Vec::new(),
    };
    let width = run.aggregates.len();
    let mut local = vec![Acc::default(); width];
    let mut buf = Vec::new();
    let mut matched = 0u64;
    let mut timeout = None;
    let result: Try<()> = (|| {
        for (n, &s) in first.node_ids().iter().enumerate() {
            tick(n, deadline, &mut timeout)?;
            let i = u32::try_from(n).map_err(|_| GiveUp)?;
            if !passes(start, i) {
                continue;
            }
            let k = if let Some(counts) = &far_counts {
                // From an end node: over its relationships to middle
                // nodes, each middle node's count beyond it, less the
                // relationship itself when it is one of those.
                let end_also_far = passes(ends[1], i);
                let mut k = 0u64;
                neighbours(near_csr, i, near.1, true, &mut |j, out, _| {
                    let c = u64::from(counts[j as usize]);
                    if c == 0 {
                        return Ok(());
                    }
                    // Seen from middle node j, this relationship is on
                    // the other side of its lists (unless a self-loop).
                    let twice = shared && end_also_far && leads(far_dir, j, i, !out);
                    k += c - u64::from(twice);
                    Ok(())
                })?;
                k
            } else {
                let ins = count_to(near_csr, i, near_dir, bits[ends[0]].as_ref())?;
                let outs = if ins == 0 {
                    0
                } else {
                    count_to(far_csr, i, far_dir, bits[ends[1]].as_ref())?
                };
                let mut k = ins * outs;
                if k > 0 && shared {
                    // The relationships that lead both ways from the
                    // middle node to a node both ends accept.
                    neighbours(far_csr, i, far_dir, true, &mut |j, out, _| {
                        if leads(near_dir, i, j, out) && passes(ends[0], j) && passes(ends[1], j) {
                            k -= 1;
                        }
                        Ok(())
                    })?;
                }
                k
            };
            if k == 0 {
                continue;
            }
            let at = At::node(s);
            run.fold(&mut local, &at, k)?;
            settle.start(run, &mut groups, s, &mut local, &mut buf)?;
            matched += k;
        }
        Ok(())
    })();
    if let Some(e) = timeout {
        return Err(e);
    }
    Ok(result.ok().map(|()| (groups, matched)))
}

/// Rows `ColumnarTopK` keeps at most (`SKIP` + `LIMIT`); past it, the
/// plain path.
const MAX_TOP: usize = 1 << 16;

/// Runs the rule `ColumnarTopK` on snapshot `r`: the rows of the match
/// (`width` slots, the node in `slot`) that the projection `p` after it
/// can return — the first `SKIP` + `LIMIT` by its sort keys (without
/// `LIMIT`, every row that passes), chosen over property columns
/// without making a row per node; `Ok(None)` when the
/// rule declines or gives up (the plain path then runs).
pub(crate) fn top_k(
    r: &ReadTxn<'_>,
    top: &TopK,
    p: &ProjectItems,
    (width, slot): (usize, usize),
    params: &Params,
    deadline: Option<&Deadline>,
) -> QResult<Option<Vec<Row>>> {
    let shape = &top.shape;
    let schema = r.reader().schema()?;
    if looked_up(r, shape, &schema) || few_starts(r, &shape.labels[0])? {
        return Ok(None);
    }
    let graph = Graph::cached(r.reader()).with_txn(Some(r));
    let (skip, limit) = paging(p, params, Some(&graph))?;
    // Without `LIMIT` every row that passes is kept (the projection
    // would gather them all to sort anyway): the columns then only spare
    // making rows for the nodes the `WHERE` drops.
    let keep = limit.map_or(usize::MAX, |l| skip.saturating_add(l));
    if keep == 0 || (limit.is_some() && keep > MAX_TOP) {
        return Ok(None);
    }
    let bind = |c: &C| -> Option<C> {
        let mut c = c.clone();
        c.bind(params).ok()?;
        Some(c)
    };
    let (Some(conjuncts), Some(order)) = (
        shape.conjuncts.iter().map(bind).collect::<Option<Vec<_>>>(),
        top.order
            .iter()
            .map(|(c, d)| Some((bind(c)?, *d)))
            .collect::<Option<Vec<_>>>(),
    ) else {
        return Ok(None);
    };
    let starts = candidates(r, &shape.labels[0], None)?;
    if (starts.len() as u64).saturating_mul(8) < r.node_count()? {
        return Ok(None);
    }
    let Some(data) = data(r, shape, &[])? else {
        return Ok(None);
    };
    let run = Run {
        shape,
        counts_only: false,
        conjuncts,
        keys: Vec::new(),
        aggregates: Vec::new(),
        distinct: Vec::new(),
        data,
        scratch: RefCell::default(),
    };
    // Comparisons of a column with a literal, decided in bulk first.
    let all: Vec<&C> = run.conjuncts.iter().collect();
    let (starts, rest): (Cow<'_, [NodeId]>, Vec<&C>) =
        match prefiltered(&run, &starts, &all, deadline)? {
            Some((kept, rest)) => (Cow::Owned(kept), rest),
            None => (Cow::Borrowed(&starts[..]), all),
        };
    let Some(best) = choose(&run, &rest, &order, &starts, keep, deadline)? else {
        return Ok(None);
    };
    Ok(Some(
        best.into_iter()
            .map(|(_, id)| {
                let mut row = vec![V::Null; width];
                row[slot] = V::Node(Box::new(NodeValue::bare(id)));
                row
            })
            .collect(),
    ))
}

/// A node's sort keys, with the node.
type Keyed = (Vec<CypherValue>, NodeId);

/// The first `keep` of `starts` that pass `conjuncts`, by the sort keys
/// `order`, sorted; `None` when the rule gives up.
fn choose(
    run: &Run<'_>,
    conjuncts: &[&C],
    order: &[(C, bool)],
    starts: &[NodeId],
    keep: usize,
    deadline: Option<&Deadline>,
) -> QResult<Option<Vec<Keyed>>> {
    let cmp = |a: &Keyed, b: &Keyed| {
        by_keys(
            a.0.iter()
                .zip(&b.0)
                .zip(order)
                .map(|((x, y), (_, d))| (x, y, *d)),
        )
    };
    let mut best: Vec<Keyed> = Vec::with_capacity(keep.min(MAX_TOP) * 2);
    let mut cut = false;
    let mut timeout = None;
    // A first sort key read straight from an integer column: a node whose
    // value there sorts strictly after the worst kept one's is dropped
    // before anything else is read.
    let first = match order.first() {
        Some((C::Prop(0, c), descending)) => match &*run.data.columns[*c] {
            Column::Dense {
                base,
                values: Slots::Ints { ints, present },
            } => Some((*base, ints.as_slice(), present, *descending)),
            // Instants order as the integers they are stored as.
            Column::Dense {
                base,
                values: Slots::Instants { nanos, present, .. },
            } => Some((*base, nanos.as_slice(), present, *descending)),
            _ => None,
        },
        _ => None,
    };
    let mut worst_first: Option<i64> = None;
    let chosen: Try<()> = (|| {
        for (n, &s) in starts.iter().enumerate() {
            tick(n, deadline, &mut timeout)?;
            if let (Some((base, ints, present, descending)), Some(w)) = (first, worst_first)
                && let Some(at) = s.0.checked_sub(base).and_then(|o| usize::try_from(o).ok())
                && at < ints.len()
                && present.contains(at)
                && (if descending {
                    ints[at] < w
                } else {
                    ints[at] > w
                })
            {
                continue;
            }
            let at = At::node(s);
            if !run.all_hold(conjuncts.iter().copied(), &at)?
                || (cut && !beats(run, order, &at, &best[keep - 1].0)?)
            {
                continue;
            }
            let mut values = Vec::with_capacity(order.len());
            for (c, _) in order {
                values.push(c.eval(&at, &run.data)?.get().clone());
            }
            best.push((values, s));
            if best.len() == keep.saturating_mul(2) {
                best.select_nth_unstable_by(keep - 1, cmp);
                best.truncate(keep);
                cut = true;
                worst_first = match best[keep - 1].0.first() {
                    Some(V::Int(w)) if first.is_some() => Some(*w),
                    Some(w) if first.is_some() => instant_of(w),
                    _ => None,
                };
            }
        }
        Ok(())
    })();
    if let Some(e) = timeout {
        return Err(e);
    }
    if chosen.is_err() {
        return Ok(None);
    }
    best.sort_by(cmp);
    best.truncate(keep);
    Ok(Some(best))
}

/// Whether the node at `at` sorts strictly before the sort keys `worst`
/// (the worst row kept so far); an integer key is compared in place.
fn beats(run: &Run<'_>, order: &[(C, bool)], at: &At, worst: &[CypherValue]) -> Try<bool> {
    for ((c, descending), w) in order.iter().zip(worst) {
        let o = match (c.int(at, &run.data), w) {
            (Some(i), V::Int(j)) => i.cmp(j),
            _ => match (c.instant_side(at, &run.data), w) {
                (Some(IntSide::Int(i)), w) if let Some(j) = instant_of(w) => i.cmp(&j),
                _ => c.eval(at, &run.data)?.get().order(w),
            },
        };
        let o = if *descending { o.reverse() } else { o };
        if o.is_ne() {
            return Ok(o.is_lt());
        }
    }
    Ok(false)
}

/// The aggregation's rows from the groups: keys, then the items made of
/// aggregates evaluated on each group's results.
fn finish(
    run: &Run<'_>,
    mut groups: Groups,
    p: &ProjectItems,
    params: &Params,
    r: &ReadTxn<'_>,
) -> QResult<Option<Vec<Row>>> {
    let width = run.aggregates.len();
    if groups.count == 0 && groups.nkeys == 0 {
        groups.open();
    }
    let graph = Graph::cached(r.reader()).with_txn(Some(r));
    // With ORDER BY ... LIMIT, only the rows that can still be returned
    // are kept, a chunk at a time.
    let keep = kept_rows(p, params, &graph)?;
    let mut rows = Vec::with_capacity(keep.map_or(groups.count, |k| groups.count.min(cut_at(k))));
    let mut results = Vec::with_capacity(width);
    let mut key_values = groups.keys.into_iter();
    for g in 0..groups.count {
        if let Some(keep) = keep {
            cut(p, &mut rows, keep, params, &graph)?;
        }
        let accs = &groups.accs[g * width..][..width];
        let Some(row) = row_of(run, p, params, &graph, &mut key_values, accs, &mut results)? else {
            return Ok(None);
        };
        rows.push(row);
    }
    Ok(Some(rows))
}

/// How many rows an `ORDER BY ... LIMIT` keeping `keep` holds before it
/// cuts them: twice that, or a chunk.
fn cut_at(keep: usize) -> usize {
    keep.max(CHUNK).saturating_mul(2)
}

/// Cuts `rows` to the `keep` that can still be returned once they are
/// [`cut_at`] that many.
fn cut(
    p: &ProjectItems,
    rows: &mut Vec<Row>,
    keep: usize,
    params: &Params,
    graph: &Graph<'_>,
) -> QResult<()> {
    if rows.len() >= cut_at(keep) {
        *rows = ordered(p, std::mem::take(rows), Some(keep), params, Some(graph))?;
    }
    Ok(())
}

/// With `ORDER BY ... LIMIT` (and no `DISTINCT` or `WHERE` after it),
/// how many rows can still be returned: `SKIP` + `LIMIT`.
fn kept_rows(p: &ProjectItems, params: &Params, graph: &Graph<'_>) -> QResult<Option<usize>> {
    if p.order.is_empty() || p.distinct || p.filter.is_some() {
        return Ok(None);
    }
    let (skip, limit) = paging(p, params, Some(graph))?;
    Ok(limit.map(|l| skip.saturating_add(l)))
}

/// A group's row: its keys from `key_values`, then the items made of its
/// aggregates' results (`results` is scratch); `None` when a fold cannot
/// finish in the rule's form.
fn row_of(
    run: &Run<'_>,
    p: &ProjectItems,
    params: &Params,
    graph: &Graph<'_>,
    key_values: &mut impl Iterator<Item = CypherValue>,
    accs: &[Acc],
    results: &mut Vec<CypherValue>,
) -> QResult<Option<Row>> {
    results.clear();
    for ((f, _), acc) in run.aggregates.iter().zip(accs) {
        match acc.finish(*f) {
            Ok(v) => results.push(v),
            Err(GiveUp) => return Ok(None),
        }
    }
    let mut env = Env::new(&[], params, Some(graph));
    env.aggregates = results;
    let mut row = Vec::with_capacity(p.items.len());
    for (item, key) in p.items.iter().zip(&run.keys) {
        row.push(match (key, item) {
            (Some(_), _) => key_values.next().unwrap_or(V::Null),
            (None, Expr::Aggregate(i)) => results[*i].clone(),
            (None, _) => item.eval(&mut env)?,
        });
    }
    Ok(Some(row))
}

/// The rows of the groups completed while walking, cut to those that can
/// still be returned every time they pass twice that many (or a chunk).
struct Done<'a> {
    p: &'a ProjectItems,
    params: &'a Params,
    graph: &'a Graph<'a>,
    keep: usize,
    rows: Vec<Row>,
}

impl Done<'_> {
    /// Adds the row of a completed group: its key values and its folds.
    /// An error making or ordering the row gives the rule up (the plain
    /// path then raises it).
    fn add(&mut self, run: &Run<'_>, key_values: &mut Vec<CypherValue>, accs: &[Acc]) -> Try<()> {
        let mut results = Vec::with_capacity(accs.len());
        let mut keys = key_values.drain(..);
        let row = row_of(
            run,
            self.p,
            self.params,
            self.graph,
            &mut keys,
            accs,
            &mut results,
        )
        .map_err(|_| GiveUp)?
        .ok_or(GiveUp)?;
        drop(keys);
        self.rows.push(row);
        cut(self.p, &mut self.rows, self.keep, self.params, self.graph).map_err(|_| GiveUp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_in_place_agree_with_the_operator() {
        use BinaryOp as B;
        let values = [
            V::Int(1),
            V::Int(2),
            V::String("a".into()),
            V::String("b".into()),
        ];
        for op in [B::Eq, B::Ne, B::Lt, B::Le, B::Gt, B::Ge] {
            for x in &values {
                for y in &values {
                    let Some(held) = compared(op, Some(x), Some(y)) else {
                        // Mixed types are left to the operator.
                        assert_ne!(
                            std::mem::discriminant(x),
                            std::mem::discriminant(y),
                            "{op:?} {x:?} {y:?}"
                        );
                        continue;
                    };
                    let want = binary(op, x, y).map(|v| v == V::Bool(true));
                    assert_eq!(Ok(held), want, "{op:?} {x:?} {y:?}");
                }
                // A missing value never holds.
                assert_eq!(compared(op, None, Some(x)), Some(false));
            }
        }
        assert_eq!(compared(B::Add, Some(&V::Int(1)), Some(&V::Int(1))), None);
    }

    #[test]
    fn integer_operators_leave_overflow_and_division_by_zero_to_the_operator() {
        use BinaryOp as B;
        assert_eq!(int_op(B::Add, i64::MAX, 1), None);
        assert_eq!(int_op(B::Div, 1, 0), None);
        assert_eq!(int_op(B::Rem, 1, 0), None);
        assert_eq!(int_op(B::Div, i64::MIN, -1), None);
        assert_eq!(int_op(B::Rem, i64::MIN, -1), Some(V::Int(0)));
        assert_eq!(int_op(B::Div, -7, 2), Some(V::Int(-3)));
        assert_eq!(int_op(B::Rem, -7, 2), Some(V::Int(-1)));
        for (op, i, j) in [
            (B::Div, -7, 2),
            (B::Rem, -7, 2),
            (B::Mul, 3, -4),
            (B::Lt, 1, 2),
        ] {
            assert_eq!(
                int_op(op, i, j),
                binary(op, &V::Int(i), &V::Int(j)).ok(),
                "{op:?}"
            );
        }
    }

    #[test]
    fn folds_give_up_where_the_aggregate_would_fail() {
        let mut sum = Acc::default();
        sum.fold(Aggregate::Sum, Some(&V::Int(i64::MAX)), 1)
            .unwrap();
        sum.fold(Aggregate::Sum, Some(&V::Int(1)), 1).unwrap();
        assert!(sum.finish(Aggregate::Sum).is_err(), "overflow");
        let mut text = Acc::default();
        assert!(
            text.fold(Aggregate::Sum, Some(&V::String("x".into())), 1)
                .is_err()
        );
        let mut best = Acc::default();
        best.fold(Aggregate::Min, Some(&V::Int(3)), 1).unwrap();
        assert!(
            best.fold(Aggregate::Min, Some(&V::String("a".into())), 1)
                .is_err()
        );
        // Weights count as repeated rows; merges add up.
        let (mut a, mut b) = (Acc::default(), Acc::default());
        a.fold(Aggregate::Avg, Some(&V::Int(2)), 3).unwrap();
        b.fold(Aggregate::Avg, Some(&V::Float(4.0)), 1).unwrap();
        a.merge(Aggregate::Avg, &b).unwrap();
        assert_eq!(a.finish(Aggregate::Avg).unwrap(), V::Float(2.5));
        assert_eq!(Acc::default().finish(Aggregate::Avg).unwrap(), V::Null);
    }

    #[test]
    fn multiplicity_counts_sorted_and_unsorted_lists() {
        let list = [1, 3, 3, 3, 7];
        for sorted in [true, false] {
            assert_eq!(multiplicity(&list, 3, sorted), 3);
            assert_eq!(multiplicity(&list, 2, sorted), 0);
            assert_eq!(multiplicity(&list, 7, sorted), 1);
        }
        assert_eq!(multiplicity(&[3, 1, 3], 3, false), 2);
    }
}
