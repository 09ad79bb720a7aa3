//! The optimiser: rewrite rules over a compiled plan, each with a name
//! that `EXPLAIN` shows where it applied.
//!
//! * `CountedHop`: a `MATCH` whose rows go straight into an aggregation
//!   and whose last hop is free (an anonymous relationship of fixed
//!   length to an anonymous node with nothing to check, see
//!   `Pattern::tail_is_free`) counts that hop instead of enumerating it:
//!   each row is emitted once with the number of matches as its weight.
//! * `ColumnarAggregate` ([`columnar`]): a branch's first `MATCH` and the
//!   aggregation after it, lowered to expressions over property columns
//!   and a CSR projection.
//! * `ColumnarTopK` ([`columnar::top_k`]): a branch's first `MATCH` of
//!   one node pattern and the `ORDER BY ... LIMIT` projection after it:
//!   the top rows chosen over property columns, so only they are made
//!   rows and projected.
//! * `PruningVarExpand`: a `MATCH` of one variable-length hop (at least
//!   0 or 1 hops) whose rows go to a projection that keeps distinct rows
//!   only (`DISTINCT`, or an aggregation whose aggregates are all
//!   `DISTINCT`, `min` or `max`) and reads neither the relationships nor
//!   the path: each reachable end node is found once, by a breadth-first
//!   search, instead of once per trail (see `Pattern::prune_ends`).
//! * `PredicatePushdown` ([`pushdown`]): a `MATCH` whose `WHERE` cannot
//!   fail checks each conjunct as soon as the walk binds what it reads.
//! * `ChainOrder` ([`start::chain_order`]): the chains of a pattern run
//!   from what is bound, then from the start that reads fewest nodes.
//!
//! * `LabelWrite`: a branch that is only `MATCH (n:L)` and a `SET` of
//!   constant properties of `n` (or a `REMOVE` of properties of `n`)
//!   writes the label's records in one pass, in id order, without
//!   making a row per node.
//!
//! Rules only annotate: the steps they apply to stay in the plan, so a
//! run without rules (`QueryOptions::naive`) and a rule that gives up at
//! run time (a value it does not hold in its fast form) take the
//! row-at-a-time path over the same steps. Choices that need the data
//! (which node a chain starts at, whether a label is large enough for
//! columns to pay) are made when the plan runs, from the statistics
//! the database keeps.

pub(crate) mod columnar;
mod pushdown;
pub(crate) mod seek;
pub(crate) mod start;

use crate::query::plan::expr::Expr;
use crate::query::plan::func::Aggregate;
use crate::query::plan::{Plan, Step};

/// Applies every rule to `plan`.
pub(crate) fn optimise(plan: &mut Plan) {
    for steps in &mut plan.branches {
        counted_hop(steps);
        pruning_var_expand(steps);
        for step in steps.iter_mut() {
            if let Step::Match { pattern, .. } = step {
                pushdown::push_down(pattern);
                seek::mark(pattern);
            }
        }
        columnar_aggregate(steps);
        columnar_top_k(steps);
        label_write(steps);
        for step in steps.iter_mut() {
            if let Step::Subquery(s) = step
                && let Some(inner) = std::sync::Arc::get_mut(&mut s.plan)
            {
                optimise(inner);
            }
        }
    }
}

/// `CountedHop`: marks the matches whose free last hop the aggregation
/// after them only counts.
fn counted_hop(steps: &mut [Step]) {
    for i in 1..steps.len() {
        let aggregating = matches!(&steps[i], Step::Project(p) if p.grouping.is_some());
        if let Step::Match {
            pattern, free_tail, ..
        } = &mut steps[i - 1]
        {
            pattern.count_tail = *free_tail && aggregating;
        }
    }
}

/// `PruningVarExpand`: marks the matches of one variable-length hop
/// whose trails the projection after them cannot tell apart.
fn pruning_var_expand(steps: &mut [Step]) {
    for i in 1..steps.len() {
        let Step::Project(p) = &steps[i] else {
            continue;
        };
        let distinct_only = match &p.grouping {
            None => p.distinct,
            Some(_) => p
                .aggregates
                .iter()
                .all(|a| a.distinct || matches!(a.function, Aggregate::Min | Aggregate::Max)),
        };
        if !distinct_only || p.order_sees_input {
            continue;
        }
        // The sort keys and `WHERE` read the output row (the input one
        // only with `order_sees_input`).
        let reads = |slot: usize| {
            let aggregates = p
                .aggregates
                .iter()
                .flat_map(|a| a.argument.iter().chain(&a.second));
            p.items.iter().chain(aggregates).any(|e| e.may_read(slot))
        };
        let prunes = match &steps[i - 1] {
            Step::Match { pattern, .. } => pattern
                .one_var_length_hop()
                .is_some_and(|(rel, path)| !reads(rel) && !path.is_some_and(reads)),
            _ => false,
        };
        if let Step::Match { pattern, .. } = &mut steps[i - 1] {
            pattern.prune_ends = prunes;
        }
    }
}

/// `LabelWrite`: marks a branch of two steps, a match of one labelled
/// node and a `SET` of constants to its properties or a `REMOVE` of its
/// properties.
fn label_write(steps: &mut [Step]) {
    let [
        Step::Match {
            pattern,
            optional: false,
            label_write,
            ..
        },
        write,
    ] = steps
    else {
        return;
    };
    let Some((slot, _)) = pattern.one_labelled_node() else {
        return;
    };
    *label_write = write.property_writes().is_some_and(|writes| {
        writes.iter().all(|(target, _, value)| {
            matches!(target, Expr::Slot(s) if *s == slot) && value.is_none_or(Expr::is_constant)
        })
    });
}

/// `ColumnarTopK`: lowers a branch's first match of one node and the
/// `ORDER BY ... LIMIT` after it.
fn columnar_top_k(steps: &mut [Step]) {
    if let [
        Step::Match {
            pattern,
            optional: false,
            aggregate: None,
            top,
            ..
        },
        Step::Project(p),
        ..,
    ] = steps
    {
        *top = columnar::top_k(pattern, p).map(Box::new);
    }
}

/// `ColumnarAggregate`: lowers a branch's first match and aggregation.
fn columnar_aggregate(steps: &mut [Step]) {
    if let [
        Step::Match {
            pattern,
            optional: false,
            aggregate,
            ..
        },
        Step::Project(p),
        ..,
    ] = steps
    {
        *aggregate = columnar::shape(pattern, p).map(Box::new);
    }
}
