//! `PredicatePushdown`: the conjuncts of a pattern's `WHERE` that read
//! the pattern's nodes and relationships are checked as soon as the walk
//! has bound them, so a partial match that fails one is dropped before it
//! is extended (a start node before its relationships are read, a middle
//! node before the next hop).
//!
//! Only a `WHERE` that cannot raise an error is split so: every conjunct
//! made of literals, parameters, variables, properties of the pattern's
//! own nodes and relationships, comparisons, `IS [NOT] NULL`, label tests
//! and `AND` / `OR` / `XOR` / `NOT` of those. A conjunct found false or
//! `null` early then means the whole `WHERE` is false or `null` for every
//! extension — the row it would have dropped — and none can owe an error
//! the early drop would hide. The conjuncts not pushed run on each
//! complete match (`Pattern::residual`); the run without rules reads the
//! whole `WHERE`.

use super::columnar::split_and;
use crate::query::plan::expr::{BinaryOp, Expr, UnaryOp};
use crate::query::plan::pattern::{Early, Pattern};

/// Sets `pattern.early` from its `WHERE`.
pub(super) fn push_down(pattern: &mut Pattern) {
    pattern.early.clear();
    pattern.residual = None;
    let Some(filter) = &pattern.filter else {
        return;
    };
    // One node binds every slot at once; a shortest path binds its ends
    // outside the walk.
    let one_node = matches!(pattern.chains.as_slice(), [c] if c.rels.is_empty());
    if one_node || pattern.chains.iter().any(|c| c.shortest.is_some()) {
        return;
    }
    // The slots a conjunct may wait for: fresh nodes and single
    // relationships (a variable-length one holds a list, a path is made
    // last).
    let (own, later) = pattern.fresh_slots();
    let mut conjuncts = Vec::new();
    split_and(filter, &mut conjuncts);
    if !conjuncts.iter().all(|e| boolean(e, &own) == Some(true)) {
        return;
    }
    let mut rest: Option<Expr> = None;
    for e in conjuncts {
        let mut slots = Vec::new();
        slots_of(e, &mut slots);
        slots.retain(|s| own.contains(s) || later.contains(s));
        slots.sort_unstable();
        slots.dedup();
        if slots.is_empty() || slots.iter().any(|s| later.contains(s)) {
            rest = Some(match rest.take() {
                Some(r) => Expr::Binary(BinaryOp::And, Box::new(r), Box::new(e.clone())),
                None => e.clone(),
            });
        } else {
            pattern.early.push(Early {
                expr: e.clone(),
                slots,
            });
        }
    }
    pattern.residual = rest;
}

/// Whether `e` evaluates without error on any row: `Some(true)` when its
/// value is also a boolean or `null`, `Some(false)` when it may be any
/// value; `None` when it may fail. `own` are the pattern's node and
/// relationship slots (whose properties can be read).
fn boolean(e: &Expr, own: &[usize]) -> Option<bool> {
    use BinaryOp as B;
    match e {
        Expr::Const(v) => Some(matches!(
            v,
            crate::query::value::CypherValue::Bool(_) | crate::query::value::CypherValue::Null
        )),
        Expr::Param(_) | Expr::Slot(_) => Some(false),
        Expr::Property(base, _) => match base.as_ref() {
            Expr::Slot(s) if own.contains(s) => Some(false),
            _ => None,
        },
        Expr::HasLabels(base, _) => match base.as_ref() {
            Expr::Slot(s) if own.contains(s) => Some(true),
            _ => None,
        },
        Expr::IsNull(a, _) => boolean(a, own).map(|_| true),
        Expr::Unary(UnaryOp::Not, a) => (boolean(a, own)?).then_some(true),
        Expr::Binary(op, left, right) => {
            let both = (boolean(left, own)?, boolean(right, own)?);
            match op {
                // Comparisons give null for values they cannot compare.
                B::Eq
                | B::Ne
                | B::Lt
                | B::Le
                | B::Gt
                | B::Ge
                | B::StartsWith
                | B::EndsWith
                | B::Contains => Some(true),
                B::And | B::Or | B::Xor => (both == (true, true)).then_some(true),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The slots `e` reads (it holds no expression that binds its own).
fn slots_of(e: &Expr, out: &mut Vec<usize>) {
    match e {
        Expr::Slot(s) => out.push(*s),
        Expr::Property(a, _) | Expr::HasLabels(a, _) | Expr::IsNull(a, _) | Expr::Unary(_, a) => {
            slots_of(a, out);
        }
        Expr::Binary(_, a, b) => {
            slots_of(a, out);
            slots_of(b, out);
        }
        _ => {}
    }
}
