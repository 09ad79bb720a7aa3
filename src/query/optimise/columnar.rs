//! The rule `ColumnarAggregate`: lowers a branch's first `MATCH` and the
//! aggregation right after it to the rule's form (`plan::columnar`), when
//! every part of them has one; `exec::columnar` runs it over whole
//! columns on a snapshot (its module docs say what the rule takes and
//! when it declines at run time).

use crate::query::plan::columnar::{C, ExistsHop, Hop, Shape, TopK};
use crate::query::plan::expr::{BinaryOp, Expr, UnaryOp};
use crate::query::plan::func::Aggregate;
use crate::query::plan::pattern::{Chain, Dir, Pattern};
use crate::query::plan::{AggregateSpec, ProjectItems};

/// Lowers expressions of a statement to [`C`], naming the property
/// columns they read.
struct Lower<'p> {
    /// The slot of each chain position's node.
    slots: &'p [usize],
    keys: Vec<String>,
    /// The slot of the hop's relationship, when its properties may be
    /// read (a chain of one hop).
    rel: Option<usize>,
    rel_keys: Vec<String>,
    exists: Vec<ExistsHop>,
}

impl<'p> Lower<'p> {
    /// Lowering over chain positions at `slots`, with the properties of
    /// the relationship at slot `rel` readable (a chain of one hop).
    fn new(slots: &'p [usize], rel: Option<usize>) -> Lower<'p> {
        Lower {
            slots,
            keys: Vec::new(),
            rel,
            rel_keys: Vec::new(),
            exists: Vec::new(),
        }
    }

    /// The `WHERE` conjuncts (split at top-level `AND`s), lowered into
    /// `out`; `None` when one does not lower.
    fn filter(&mut self, filter: Option<&Expr>, out: &mut Vec<C>) -> Option<()> {
        if let Some(f) = filter {
            let mut parts = Vec::new();
            split_and(f, &mut parts);
            for part in parts {
                out.push(self.lower(part)?);
            }
        }
        Some(())
    }

    fn var(&self, e: &Expr) -> Option<usize> {
        match e {
            Expr::Slot(s) => self.slots.iter().position(|x| x == s),
            _ => None,
        }
    }

    fn column(&mut self, key: &str) -> usize {
        index_of(&mut self.keys, key)
    }

    fn rel_column(&mut self, key: &str) -> usize {
        index_of(&mut self.rel_keys, key)
    }

    /// `property = value` for an inline property, whose value may not
    /// read the pattern.
    fn equals(&mut self, property: C, value: &Expr) -> Option<C> {
        let value = self.lower(value)?;
        (value.vars() == 0).then(|| C::Binary(BinaryOp::Eq, Box::new(property), Box::new(value)))
    }

    /// A pattern predicate of one hop from a chain node to a new node
    /// with labels alone (`(n)-[:T]->(:L)`, `NOT (n)<--()`).
    fn exists(&mut self, pattern: &Pattern) -> Option<C> {
        let [chain] = pattern.chains.as_slice() else {
            return None;
        };
        let ([left, right], [rel]) = (chain.nodes.as_slice(), chain.rels.as_slice()) else {
            return None;
        };
        if pattern.filter.is_some() || chain.path.is_some() || chain.shortest.is_some() {
            return None;
        }
        if rel.earlier || !rel.props.is_empty() || rel.range.is_some_and(|g| g != (1, Some(1))) {
            return None;
        }
        // The bound end, read from it.
        let (bound, far, dir) = match (left.earlier, right.earlier) {
            (true, false) => (left, right, rel.dir),
            (false, true) => (right, left, rel.dir.reversed()),
            _ => return None,
        };
        if !bound.labels.is_empty() || !bound.props.is_empty() || !far.props.is_empty() {
            return None;
        }
        let at = self.var(&Expr::Slot(bound.slot))?;
        self.exists.push(ExistsHop {
            types: rel.types.clone(),
            dir,
            labels: far.labels.clone(),
        });
        Some(C::Exists(at, self.exists.len() - 1))
    }

    fn lower(&mut self, e: &Expr) -> Option<C> {
        use BinaryOp as B;
        Some(match e {
            Expr::Const(v) => C::Const(v.clone()),
            Expr::Param(name) => C::Param(name.clone()),
            Expr::Slot(_) => C::Node(self.var(e)?),
            Expr::Property(base, key) => match (&**base, self.rel) {
                (Expr::Slot(s), Some(rel)) if *s == rel => C::RelProp(self.rel_column(key)),
                (Expr::Slot(_), _) => {
                    let v = self.var(base)?;
                    C::Prop(v, self.column(key))
                }
                _ => C::Field(Box::new(self.lower(base)?), key.clone()),
            },
            Expr::PatternExists(p) => self.exists(p)?,
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

/// The index of `key` in `keys`, added at the end when new.
fn index_of(keys: &mut Vec<String>, key: &str) -> usize {
    keys.iter().position(|k| k == key).unwrap_or_else(|| {
        keys.push(key.to_owned());
        keys.len() - 1
    })
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

/// The rule's lowered form of `pattern` followed by the aggregation
/// `p`, or `None` when it does not apply.
pub(crate) fn shape(pattern: &Pattern, p: &ProjectItems) -> Option<Shape> {
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
    let open = n == 3 && !cycle;
    if n > 3 || chain.nodes.iter().any(|np| np.earlier) {
        return None;
    }
    if chain.nodes.windows(2).any(|w| w[0].slot == w[1].slot) {
        return None;
    }
    let hops = hops(chain, cycle)?;
    let positions = if open { 3 } else { 2 };
    let slots: Vec<usize> = chain
        .nodes
        .iter()
        .take(positions)
        .map(|np| np.slot)
        .collect();
    let mut lower = Lower::new(&slots, (n == 2).then(|| chain.rels[0].slot));
    let mut labels: [Vec<String>; 3] = Default::default();
    let mut inline: [Vec<String>; 3] = Default::default();
    let mut conjuncts = Vec::new();
    for (i, np) in chain.nodes.iter().enumerate() {
        let at = if cycle && i == 2 { 0 } else { i };
        labels[at].extend(np.labels.iter().cloned());
        for (key, value) in &np.props {
            inline[at].push(key.clone());
            let c = lower.column(key);
            conjuncts.push(lower.equals(C::Prop(at, c), value)?);
        }
    }
    // Nothing may read a relationship but its properties, of one hop:
    // its slot is not a chain node's, so lowering fails on the rest.
    if n == 2 {
        for (key, value) in &chain.rels[0].props {
            let c = lower.rel_column(key);
            conjuncts.push(lower.equals(C::RelProp(c), value)?);
        }
    }
    lower.filter(pattern.filter.as_ref(), &mut conjuncts)?;
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
    let mut distinct = Vec::new();
    for a in &p.aggregates {
        distinct.push(a.distinct && a.function == Aggregate::Count);
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
    if open && (distinct.contains(&true) || !factorised(&conjuncts, &keys, &aggregates)) {
        return None;
    }
    Some(Shape {
        labels,
        hops,
        open,
        conjuncts,
        keys,
        aggregates,
        distinct,
        columns: lower.keys,
        rel_columns: lower.rel_keys,
        inline,
        exists: lower.exists,
    })
}

/// The rule `ColumnarTopK`'s form of `pattern`, a single node pattern,
/// followed by the projection `p` that orders its rows (no aggregation,
/// no `DISTINCT`; with `LIMIT`, the top rows are chosen over the
/// columns, without, the rows `WHERE` keeps), when its sort keys, inline
/// properties and `WHERE` lower.
pub(crate) fn top_k(pattern: &Pattern, p: &ProjectItems) -> Option<TopK> {
    if p.grouping.is_some() || p.distinct || p.order.is_empty() {
        return None;
    }
    let [chain] = pattern.chains.as_slice() else {
        return None;
    };
    let [np] = chain.nodes.as_slice() else {
        return None;
    };
    if np.earlier || chain.path.is_some() || chain.shortest.is_some() {
        return None;
    }
    let slots = [np.slot];
    let mut lower = Lower::new(&slots, None);
    let mut conjuncts = Vec::new();
    for (key, value) in &np.props {
        let c = lower.column(key);
        conjuncts.push(lower.equals(C::Prop(0, c), value)?);
    }
    lower.filter(pattern.filter.as_ref(), &mut conjuncts)?;
    let mut order = Vec::new();
    for (key, descending) in &p.order {
        order.push((lower.lower(&over_input(key, p)?)?, *descending));
    }
    Some(TopK {
        shape: Shape {
            labels: [np.labels.clone(), Vec::new(), Vec::new()],
            hops: Vec::new(),
            open: false,
            conjuncts,
            keys: Vec::new(),
            aggregates: Vec::new(),
            distinct: Vec::new(),
            columns: lower.keys,
            rel_columns: Vec::new(),
            inline: [
                np.props.iter().map(|(k, _)| k.clone()).collect(),
                Vec::new(),
                Vec::new(),
            ],
            exists: lower.exists,
        },
        order,
    })
}

/// A sort key of projection `p` (over its output row, followed by its
/// input row when `order_sees_input`) as an expression over the input
/// row: an item read by its slot becomes the item's expression.
fn over_input(key: &Expr, p: &ProjectItems) -> Option<Expr> {
    let items = p.items.len();
    Some(match key {
        Expr::Slot(slot) if *slot < items => p.items[*slot].clone(),
        Expr::Slot(slot) if p.order_sees_input => Expr::Slot(slot - items),
        Expr::Property(base, name) => Expr::Property(Box::new(over_input(base, p)?), name.clone()),
        Expr::Unary(op, operand) => Expr::Unary(*op, Box::new(over_input(operand, p)?)),
        Expr::Binary(op, lhs, rhs) => Expr::Binary(
            *op,
            Box::new(over_input(lhs, p)?),
            Box::new(over_input(rhs, p)?),
        ),
        Expr::Const(_) | Expr::Param(_) => key.clone(),
        _ => return None,
    })
}

/// The chain's hops, when the rule takes them: of fixed length, new
/// relationships, without properties when there are two, and the two
/// hops of a cycle of one type and direction.
fn hops(chain: &Chain, cycle: bool) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    for r in &chain.rels {
        if r.earlier || r.range.is_some() || (chain.rels.len() == 2 && !r.props.is_empty()) {
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
    Some(hops)
}

/// Whether an open chain of two hops can be counted through its middle
/// node: every conjunct and the grouping keys together read one position
/// at most, and the aggregates only count rows (`count(*)`, the count of
/// a node, never null).
fn factorised(conjuncts: &[C], keys: &[Option<C>], aggregates: &[(Aggregate, Option<C>)]) -> bool {
    let key_vars = keys.iter().flatten().fold(0u8, |acc, k| acc | k.vars());
    conjuncts.iter().all(|c| c.vars().count_ones() <= 1)
        && key_vars.count_ones() <= 1
        && aggregates.iter().all(|(f, a)| {
            matches!(
                (f, a),
                (Aggregate::CountStar, None) | (Aggregate::Count, Some(C::Node(_)))
            )
        })
}

fn simple(a: &AggregateSpec) -> bool {
    (!a.distinct
        || matches!(
            a.function,
            Aggregate::Count | Aggregate::Min | Aggregate::Max
        ))
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

/// The operands of `e`'s top-level `AND`s.
/// Comparison `op` with its operands swapped (`1 < x` is `x > 1`).
pub(crate) fn flipped(op: BinaryOp) -> BinaryOp {
    use BinaryOp as B;
    match op {
        B::Lt => B::Gt,
        B::Le => B::Ge,
        B::Gt => B::Lt,
        B::Ge => B::Le,
        other => other,
    }
}

pub(crate) fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if let Expr::Binary(BinaryOp::And, a, b) = e {
        split_and(a, out);
        split_and(b, out);
    } else {
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::plan::Step;
    use crate::query::value::Params;

    /// The rule's shape of `text`'s first two steps, if it takes them.
    fn shape_of(text: &str) -> Option<Shape> {
        let parsed = crate::query::parse::parse(text).ok()?;
        let plan = crate::query::compile::compile(
            &parsed.text,
            &parsed.body,
            &Params::new(),
            &crate::query::plan::user::UserProcedures::default(),
        )
        .ok()?;
        match plan.branches[0].as_slice() {
            [Step::Match { pattern, .. }, Step::Project(p), ..] => shape(pattern, p),
            _ => None,
        }
    }

    #[test]
    fn the_rule_takes_one_hop_aggregations_and_leaves_the_rest() {
        for taken in [
            "MATCH (n:A) RETURN n.k AS k, count(*) AS c",
            "MATCH (a:A)-[:R]->(b) WHERE a.x < 3 AND a.s = b.s RETURN count(*)",
            "MATCH (a)<-[r:R]-(b) RETURN r.w AS w, sum(r.w) AS s",
            "MATCH (a)-[r:R {w: 1}]-(b) RETURN count(b)",
            "MATCH (a)-[:R]->(b)-[:R]->(a) RETURN a.x AS x, count(*) AS c",
            "MATCH (n) RETURN count(*) * 2 AS twice",
            "MATCH (a)-[r]->(b) RETURN count(DISTINCT b)",
            "MATCH (n:A) RETURN n.k AS k, count(DISTINCT n.s) AS c, max(DISTINCT n.x) AS x",
            "MATCH (n:A) WHERE NOT (n)-[:R]->(:B) RETURN count(*)",
            "MATCH (a)-[:R]->(b) WHERE (b)<--() AND NOT (a)-[:S]-(:A:B) RETURN a.x AS x, count(*)",
            "MATCH (a)-[:R]->(b)-[:R]->(c) RETURN count(*)",
            "MATCH (a:A)<-[:R]-(b)-[:S]-(c:B {k: 1}) WHERE b.x > 2 RETURN c.y AS y, count(a) AS n",
        ] {
            assert!(shape_of(taken).is_some(), "{taken}");
        }
        for left in [
            "MATCH (a)-[:R]->(b)-[:R]->(c) WHERE a.x = c.x RETURN count(*)",
            "MATCH (a)-[:R]->(b)-[:R]->(c) RETURN a.x AS x, c.x AS y, count(*)",
            "MATCH (a)-[:R]->(b)-[:R]->(c) RETURN sum(c.x)",
            "MATCH (a)-[:R]->(b)-[r:R]->(c) RETURN r.w AS w, count(*)",
            "MATCH (a)-[:R]->(b)-[:R]->(c)-[:R]->(d) RETURN count(*)",
            "MATCH (a)-[:R]->(b)-[:S]->(a) RETURN count(*)",
            "MATCH (a)-[r:R]->(b)-[:R]->(a) RETURN sum(r.w)",
            "MATCH (a)-[*1..2]->(b) RETURN count(*)",
            "MATCH (a)-[r]->(b) RETURN collect(b.x)",
            "MATCH (a)-[r]->(b) RETURN r, count(*)",
            "MATCH (a)-[r]->(b) RETURN toUpper(a.s) AS s, count(*)",
            "MATCH (a), (b) RETURN count(*)",
            "MATCH (a) RETURN a.x",
            "MATCH (a)-[:R]->(a) RETURN count(*)",
            "MATCH (n) RETURN sum(n)",
            "MATCH (n) RETURN sum(DISTINCT n.x)",
            "MATCH (a)-[:R]->(b)-[:R]->(c) RETURN count(DISTINCT c)",
            "MATCH (n:A) WHERE (n)-[:R]->({k: 1}) RETURN count(*)",
            "MATCH (n:A) WHERE (n)-[:R*1..2]->() RETURN count(*)",
            "MATCH (n:A) WHERE (n)-[:R]->()-[:R]->() RETURN count(*)",
            "MATCH (a)-[:R]->(b) WHERE (a)-[:R]->(b) RETURN count(*)",
        ] {
            assert!(shape_of(left).is_none(), "{left}");
        }
    }
}
