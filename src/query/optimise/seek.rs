//! What a pattern's `WHERE` says of a node that a start can seek: the
//! node named by `id` / `elementId`, a property compared with a value
//! known before the match (equal, in a list, within bounds). The matcher
//! reads these forms to start from an index or the named nodes; the pass
//! [`mark`] records on each node pattern what its `WHERE` names
//! (`NodePat::seek`), so the choice of a chain's start and of the chains'
//! order weighs a `WHERE n.key = $v` as it weighs `{key: $v}`.

use super::columnar::{flipped, split_and};
use crate::query::plan::expr::{BinaryOp, Expr};
use crate::query::plan::pattern::{Pattern, Seek};

/// Sets `NodePat::seek` on the fresh node patterns of `pattern` that its
/// `WHERE` names with a value that reads none of the pattern's own
/// variables (so it is known whichever node the match starts at).
pub(super) fn mark(pattern: &mut Pattern) {
    let (mut own, whole) = pattern.fresh_slots();
    own.extend(whole);
    let known = |e: &Expr| own.iter().all(|&s| !e.may_read(s));
    let seek = |slot: usize, filter: &Expr| match named_starts(filter, slot)
        .into_iter()
        .find(|(.., e)| known(e))
    {
        Some((_, Named::Id(_), _)) => Some(Seek::Id),
        Some((_, Named::Key(key), _)) => Some(Seek::Key(key.to_owned())),
        None => start_comparisons(filter, slot)
            .into_iter()
            .find(|(_, op, e)| *op == BinaryOp::Eq && known(e))
            .map(|(key, ..)| Seek::Key(key.to_owned())),
    };
    let seeks: Vec<Vec<Option<Seek>>> = pattern
        .chains
        .iter()
        .map(|c| {
            c.nodes
                .iter()
                .map(|n| match &pattern.filter {
                    Some(filter) if !n.earlier => seek(n.slot, filter),
                    _ => None,
                })
                .collect()
        })
        .collect();
    for (c, seeks) in pattern.chains.iter_mut().zip(seeks) {
        for (n, seek) in c.nodes.iter_mut().zip(seeks) {
            n.seek = seek;
        }
    }
}

/// What a conjunct names of the node in a slot: its `id` or `elementId`
/// (the function), or a property key (only under `IN`: an equality is a
/// range start's).
pub(crate) enum Named<'f> {
    Id(crate::query::plan::func::Function),
    Key(&'f str),
}

/// The top-level `AND`s of `filter` that name the node in `slot` outright:
/// `id(n) = e`, `elementId(n) = e` (either side), those with `IN e`, and
/// `n.key IN e`, with `e` known before the match ([`bound_like`]); each
/// with whether it is an `IN`.
pub(crate) fn named_starts(filter: &Expr, slot: usize) -> Vec<(bool, Named<'_>, &Expr)> {
    use crate::query::plan::expr::BinaryOp as B;
    use crate::query::plan::func::Function as F;
    let mut conjuncts = Vec::new();
    split_and(filter, &mut conjuncts);
    let mut out = Vec::new();
    for c in conjuncts {
        let (listed, subject, e) = match c {
            Expr::Binary(op @ (B::Eq | B::In), a, b) if bound_like(b, slot) => {
                (*op == B::In, &**a, &**b)
            }
            Expr::Binary(B::Eq, a, b) if bound_like(a, slot) => (false, &**b, &**a),
            _ => continue,
        };
        let named = match subject {
            Expr::Call(f @ (F::Id | F::ElementId), args) if matches!(args.as_slice(), [Expr::Slot(s)] if *s == slot) => {
                Named::Id(*f)
            }
            _ if listed => match property_of(subject, slot) {
                Some(key) => Named::Key(key),
                None => continue,
            },
            _ => continue,
        };
        out.push((listed, named, e));
    }
    out
}

/// The keys of the node in `slot` that `filter`'s top-level `AND`s
/// compare with a value known before the match (`n.key op e`, `e` as
/// [`bound_like`]): with `ranges`, `<`, `<=`, `>`, `>=` and `=` (what a
/// range start reads, `=` as the range of one value); else also `<>`
/// (what `ColumnarFilter` reads). For `EXPLAIN`.
pub(crate) fn compared_keys(filter: &Expr, slot: usize, ranges: bool) -> Vec<&str> {
    use crate::query::plan::expr::BinaryOp as B;
    let mut keys = Vec::new();
    for (key, op, _) in start_comparisons(filter, slot) {
        if (!ranges || op != B::Ne) && !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The comparisons among `filter`'s top-level `AND`s of a property of
/// the node in `slot` with a value known before the match (`n.key op e`,
/// `e` as [`bound_like`]; `=`, `<>`, `<`, `<=`, `>`, `>=`), as `(key,
/// op, e)` with the property on the left: what a range start and
/// `ColumnarFilter` read.
pub(crate) fn start_comparisons(filter: &Expr, slot: usize) -> Vec<(&str, BinaryOp, &Expr)> {
    use crate::query::plan::expr::BinaryOp as B;
    let mut conjuncts = Vec::new();
    split_and(filter, &mut conjuncts);
    let mut out = Vec::new();
    for c in conjuncts {
        let Expr::Binary(op @ (B::Eq | B::Ne | B::Lt | B::Le | B::Gt | B::Ge), a, b) = c else {
            continue;
        };
        let (key, e, op) = match (property_of(a, slot), property_of(b, slot)) {
            (Some(key), None) => (key, &**b, *op),
            (None, Some(key)) => (key, &**a, flipped(*op)),
            _ => continue,
        };
        if bound_like(e, slot) {
            out.push((key, op, e));
        }
    }
    out
}

/// The key `e` reads when it is a property of the node in `slot`.
pub(crate) fn property_of(e: &Expr, slot: usize) -> Option<&str> {
    match e {
        Expr::Property(base, key) if matches!(**base, Expr::Slot(s) if s == slot) => {
            Some(key.as_str())
        }
        _ => None,
    }
}

/// Whether `e` can bound a range start at the node in `slot`: literals,
/// parameters, other variables and their properties, function calls and
/// operators over those — nothing that reads the node itself or runs a
/// pattern.
pub(crate) fn bound_like(e: &Expr, slot: usize) -> bool {
    match e {
        Expr::Const(_) | Expr::Param(_) => true,
        Expr::Slot(s) => *s != slot,
        Expr::Property(base, _) | Expr::Unary(_, base) => bound_like(base, slot),
        Expr::Binary(_, a, b) => bound_like(a, slot) && bound_like(b, slot),
        // `rand()` differs from the value the filter reads per row.
        Expr::Call(crate::query::plan::func::Function::Rand, _) => false,
        Expr::Call(_, args) | Expr::List(args) => args.iter().all(|a| bound_like(a, slot)),
        _ => false,
    }
}
