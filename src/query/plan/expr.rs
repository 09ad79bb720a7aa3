//! Compiled expressions: what the compiler makes of the syntax tree's
//! expressions, with slots for variables. Evaluated by `exec::eval`.

use super::Plan;
use super::func::Function;
use super::pattern::Pattern;
use crate::query::value::CypherValue;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Neg,
    Not,
    Plus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or,
    Xor,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Regex,
    In,
    StartsWith,
    EndsWith,
    Contains,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quantifier {
    All,
    Any,
    None,
    Single,
}

/// A compiled expression.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Const(CypherValue),
    Slot(usize),
    /// A parameter (checked to be given when compiled).
    Param(String),
    List(Vec<Expr>),
    Map(Vec<(String, Expr)>),
    Property(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    IsNull(Box<Expr>, bool),
    Call(Function, Vec<Expr>),
    Case {
        operand: Option<Box<Expr>>,
        arms: Vec<(Expr, Expr)>,
        default: Option<Box<Expr>>,
    },
    /// `[x IN list WHERE p | e]`: `x` in `slot`.
    Comprehension {
        slot: usize,
        list: Box<Expr>,
        filter: Option<Box<Expr>>,
        map: Option<Box<Expr>>,
    },
    Quantified {
        kind: Quantifier,
        slot: usize,
        list: Box<Expr>,
        predicate: Box<Expr>,
    },
    Reduce {
        acc: usize,
        init: Box<Expr>,
        slot: usize,
        list: Box<Expr>,
        expr: Box<Expr>,
    },
    /// A map projection `base {.a, b: e, .*}` over a map value.
    MapProjection {
        base: Box<Expr>,
        all: bool,
        items: Vec<(String, Expr)>,
    },
    /// The value of aggregate `i` of the group being projected.
    Aggregate(usize),
    /// `n:A:B`: whether a node has every label (a relationship: its type).
    HasLabels(Box<Expr>, Vec<String>),
    /// A pattern used as a predicate: whether it has a match.
    PatternExists(Box<Pattern>),
    /// `[(a)-->(b) WHERE p | e]`: `e` for every match.
    PatternList(Box<Pattern>, Box<Expr>),
    /// `EXISTS { ... }`, `COUNT { ... }`, `COLLECT { ... }`: a read-only
    /// query (its `UNION` branches, `CALL`s and `CALL` subqueries
    /// included) run from the current row.
    Subquery(Subquery, Box<Plan>),
    /// `expr` over the first `width` slots of the row: compiled where the
    /// row was that wide, its own variables (a comprehension's, a
    /// `reduce`'s, a pattern's) numbered from there — a pattern's
    /// property, compiled before its clause binds the pattern's
    /// variables, which the row holds by the time it is evaluated.
    Scoped {
        width: usize,
        expr: Box<Expr>,
    },
}

/// What a subquery expression makes of its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Subquery {
    Exists,
    Count,
    Collect,
}

impl Expr {
    /// The keys of the properties the expression reads (`x.key`).
    pub fn property_keys(&self, out: &mut Vec<String>) {
        if let Expr::Property(base, key) = self {
            out.push(key.clone());
            base.property_keys(out);
            return;
        }
        self.each_child(&mut |e| e.property_keys(out));
    }

    /// Whether the expression is the same value on every row: a literal,
    /// a parameter, or a list or map of them.
    pub fn is_constant(&self) -> bool {
        match self {
            Expr::Const(_) | Expr::Param(_) => true,
            Expr::List(items) => items.iter().all(Expr::is_constant),
            Expr::Map(entries) => entries.iter().all(|(_, e)| e.is_constant()),
            _ => false,
        }
    }

    /// Whether the expression binds variables of its own (a list
    /// comprehension, quantifier, `reduce`, pattern or subquery).
    pub fn binds_variables(&self) -> bool {
        if matches!(
            self,
            Expr::Comprehension { .. }
                | Expr::Quantified { .. }
                | Expr::Reduce { .. }
                | Expr::PatternExists(_)
                | Expr::PatternList(..)
                | Expr::Subquery(..)
        ) {
            return true;
        }
        let mut found = false;
        self.each_child(&mut |e| found |= e.binds_variables());
        found
    }

    /// Whether the expression may read `slot` of the row it is evaluated
    /// on. Patterns and subqueries inside it count as reading every slot
    /// (they see the whole row); a scoped expression compiled where the
    /// row was narrower than `slot` cannot name it.
    pub fn may_read(&self, slot: usize) -> bool {
        match self {
            Expr::Slot(s) => *s == slot,
            Expr::PatternExists(_) | Expr::PatternList(..) | Expr::Subquery(..) => true,
            Expr::Scoped { width, .. } if *width <= slot => false,
            _ => {
                let mut found = false;
                self.each_child(&mut |e| found |= e.may_read(slot));
                found
            }
        }
    }

    /// Calls `go` on each sub-expression (not those inside patterns or
    /// subqueries).
    fn each_child(&self, go: &mut dyn FnMut(&Expr)) {
        match self {
            Expr::List(items) | Expr::Call(_, items) => items.iter().for_each(&mut *go),
            Expr::Map(entries) => entries.iter().for_each(|(_, e)| go(e)),
            Expr::Index(a, b) | Expr::Binary(_, a, b) => {
                go(a);
                go(b);
            }
            Expr::Slice(a, b, c) => {
                go(a);
                b.iter().chain(c).for_each(|e| go(e));
            }
            Expr::Unary(_, a) | Expr::IsNull(a, _) | Expr::HasLabels(a, _) => go(a),
            Expr::Case {
                operand,
                arms,
                default,
            } => {
                operand.iter().chain(default).for_each(|e| go(e));
                for (w, t) in arms {
                    go(w);
                    go(t);
                }
            }
            Expr::Comprehension {
                list, filter, map, ..
            } => {
                go(list);
                filter.iter().chain(map).for_each(|e| go(e));
            }
            Expr::Quantified {
                list, predicate, ..
            } => {
                go(list);
                go(predicate);
            }
            Expr::Reduce {
                init, list, expr, ..
            } => {
                go(init);
                go(list);
                go(expr);
            }
            Expr::MapProjection { base, items, .. } => {
                go(base);
                for (_, e) in items {
                    go(e);
                }
            }
            Expr::Scoped { expr, .. } => go(expr),
            _ => {}
        }
    }
}
