//! Compiling the graph clauses: `MATCH`, `CREATE`, `MERGE`, `SET`,
//! `REMOVE`, `DELETE`, and patterns inside expressions.

use super::{Compiler, Scope};
use crate::query::error::{ErrorKind, QResult, QueryError, semantic, unsupported};
use crate::query::parse::ast;
use crate::query::plan::Step;
use crate::query::plan::clause::{
    Batches, CallPlan, MergePlan, OnError, RemoveItem, SetItem, SubqueryPlan,
};
use crate::query::plan::expr::{BinaryOp, Expr, UnaryOp};
use crate::query::plan::func::Function;
use crate::query::plan::pattern::{Chain, Dir, NodePat, Pattern, RelPat, Shortest};
use crate::query::plan::procs::{Procedure, unknown_procedure};
use crate::query::plan::user::UserProcedure;
use crate::query::value::CypherValue as V;

/// What a pattern is compiled for: the rules differ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    Match,
    Create,
    Merge,
    /// A pattern predicate or comprehension: no new named variables
    /// outside a comprehension.
    Expression,
}

/// `a AND b`.
fn both(a: Expr, b: Expr) -> Expr {
    Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b))
}

/// The test a label expression makes of `subject` (a node's labels, a
/// relationship's type), for the forms [`label_names`] does not take:
/// `!`, `&`, `|`, `%` and parentheses, nested.
pub(crate) fn label_test(e: &ast::LabelExpression, subject: &Expr, rel: bool) -> QResult<Expr> {
    let all = |items: &[ast::LabelExpression], op: BinaryOp| -> QResult<Expr> {
        let mut tests = items.iter().map(|i| label_test(i, subject, rel));
        let first = tests
            .next()
            .unwrap_or(Ok(Expr::Const(V::Bool(op == BinaryOp::And))))?;
        tests.try_fold(first, |acc, t| {
            Ok(Expr::Binary(op, Box::new(acc), Box::new(t?)))
        })
    };
    Ok(match &e.kind {
        ast::LabelExpressionKind::Name(n) => {
            Expr::HasLabels(Box::new(subject.clone()), vec![n.kind.text.clone()])
        }
        ast::LabelExpressionKind::Not(inner) => {
            Expr::Unary(UnaryOp::Not, Box::new(label_test(inner, subject, rel)?))
        }
        ast::LabelExpressionKind::And(items) => all(items, BinaryOp::And)?,
        ast::LabelExpressionKind::Or(items) => all(items, BinaryOp::Or)?,
        ast::LabelExpressionKind::Parenthesized(inner) => label_test(inner, subject, rel)?,
        // Any label at all; every relationship has a type.
        ast::LabelExpressionKind::Wildcard if rel => Expr::Const(V::Bool(true)),
        ast::LabelExpressionKind::Wildcard => Expr::Binary(
            BinaryOp::Gt,
            Box::new(Expr::Call(
                Function::Size,
                vec![Expr::Call(Function::Labels, vec![subject.clone()])],
            )),
            Box::new(Expr::Const(V::Int(0))),
        ),
        _ => return Err(unsupported("this label expression")),
    })
}

/// The names of a label expression (`:A:B` for nodes, `:A|B` for
/// relationship types).
pub(crate) fn label_names(
    e: &ast::LabelExpression,
    out: &mut Vec<String>,
    rel: bool,
) -> QResult<()> {
    match &e.kind {
        ast::LabelExpressionKind::Name(n) => out.push(n.kind.text.clone()),
        ast::LabelExpressionKind::And(items) if !rel => {
            for item in items {
                label_names(item, out, rel)?;
            }
        }
        ast::LabelExpressionKind::Or(items) if rel => {
            for item in items {
                label_names(item, out, rel)?;
            }
        }
        ast::LabelExpressionKind::Parenthesized(inner) => label_names(inner, out, rel)?,
        _ => return Err(unsupported("this label expression")),
    }
    Ok(())
}

fn bound_count(text: &str) -> QResult<usize> {
    text.parse().map_err(|_| {
        semantic(
            "InvalidRelationshipPattern",
            format!("{text} is not a valid number of hops"),
        )
    })
}

impl Compiler<'_> {
    /// A pattern: its variables bound in `scope` (new ones appended).
    pub(crate) fn pattern(
        &self,
        pattern: &ast::Pattern,
        scope: &mut Scope,
        usage: Use,
    ) -> QResult<Pattern> {
        let before = scope.names.len();
        let mut chains = Vec::new();
        let mark = self.element_filters.borrow().len();
        for part in &pattern.parts {
            chains.push(self.chain(part, scope, usage, before)?);
        }
        let added: Vec<Expr> = self.element_filters.borrow_mut().drain(mark..).collect();
        Ok(Pattern {
            chains,
            filter: added.into_iter().reduce(both),
            width: scope.names.len(),
            count_tail: false,
            prune_ends: false,
            early: Vec::new(),
            residual: None,
        })
    }

    /// A label expression of a pattern element bound to `slot`: its names
    /// when it is a conjunction of names (`:A:B`, `:A&B`; for
    /// relationships a disjunction, `:A|B`), else, where the pattern only
    /// matches, no names and a test added to the pattern's filter.
    fn element_labels<'l>(
        &self,
        labels: Option<&'l ast::LabelExpression>,
        usage: Use,
        rel: bool,
    ) -> QResult<(Vec<String>, Option<&'l ast::LabelExpression>)> {
        let mut names = Vec::new();
        let Some(l) = labels else {
            return Ok((names, None));
        };
        match label_names(l, &mut names, rel) {
            Ok(()) => Ok((names, None)),
            Err(_) if matches!(usage, Use::Match | Use::Expression) => Ok((Vec::new(), Some(l))),
            Err(e) => Err(e.at(self.text, l.span.start)),
        }
    }

    /// Adds an element's label test and inline `WHERE` to the pattern's
    /// filter (they read the element bound to `slot`).
    fn element_filter(
        &self,
        tested: Option<&ast::LabelExpression>,
        predicate: Option<&ast::Expr>,
        slot: usize,
        scope: &Scope,
        rel: bool,
    ) -> QResult<()> {
        if let Some(l) = tested {
            let test =
                label_test(l, &Expr::Slot(slot), rel).map_err(|e| e.at(self.text, l.span.start))?;
            self.element_filters.borrow_mut().push(test);
        }
        if let Some(w) = predicate {
            let test = self.predicate(w, scope)?;
            self.element_filters.borrow_mut().push(test);
        }
        Ok(())
    }

    /// The slot of a pattern variable of type `ty`, binding it when new;
    /// `(slot, bound before this clause)`.
    fn variable(
        &self,
        name: Option<&ast::Name>,
        ty: &'static str,
        scope: &mut Scope,
        before: usize,
        usage: Use,
    ) -> QResult<(usize, bool)> {
        let Some(name) = name else {
            let hidden = format!(" #{}", scope.names.len());
            scope.push(&hidden, Some(ty));
            return Ok((scope.names.len() - 1, false));
        };
        let text = &name.kind.text;
        let at = |e: QueryError| e.at(self.text, name.span.start);
        if let Some(slot) = scope.slot(text) {
            if let Some(t) = scope.types[slot]
                && t != ty
            {
                return Err(at(semantic(
                    "VariableTypeConflict",
                    format!("{text} is a {t}, not a {ty}"),
                )));
            }
            return Ok((slot, slot < before));
        }
        if usage == Use::Expression {
            return Err(at(semantic(
                "UndefinedVariable",
                format!(
                    "variable {text} is not defined (a pattern expression cannot introduce one)"
                ),
            )));
        }
        scope.push(text, Some(ty));
        Ok((scope.names.len() - 1, false))
    }

    /// A pattern's properties: a literal map's entries, or (in `CREATE`
    /// only) a parameter map.
    fn properties(
        &self,
        props: Option<&ast::Expr>,
        scope: &Scope,
        usage: Use,
    ) -> QResult<(PropEntries, Option<Expr>)> {
        let Some(e) = props else {
            return Ok((Vec::new(), None));
        };
        // Evaluated once the clause has bound its variables: what binds
        // variables of its own numbers them from the scope's width here.
        let scoped = |e: Expr| {
            if e.binds_variables() {
                Expr::Scoped {
                    width: scope.names.len(),
                    expr: Box::new(e),
                }
            } else {
                e
            }
        };
        match &e.kind {
            ast::ExprKind::Map(entries) => Ok((
                entries
                    .iter()
                    .map(|en| {
                        let value = scoped(self.expr(&en.value, scope, None)?);
                        Ok((en.key.kind.text.clone(), value))
                    })
                    .collect::<QResult<_>>()?,
                None,
            )),
            ast::ExprKind::Parameter(_) if usage == Use::Create => {
                Ok((Vec::new(), Some(self.expr(e, scope, None)?)))
            }
            ast::ExprKind::Parameter(_) => Err(semantic(
                "InvalidParameterUse",
                "a parameter map cannot be used to match properties; write {key: $param}",
            )
            .at(self.text, e.span.start)),
            _ => {
                Err(unsupported("a property map that is not a literal map")
                    .at(self.text, e.span.start))
            }
        }
    }

    fn node(
        &self,
        n: &ast::NodePattern,
        scope: &mut Scope,
        usage: Use,
        before: usize,
    ) -> QResult<NodePat> {
        if n.where_clause.is_some() && !matches!(usage, Use::Match | Use::Expression) {
            return Err(unsupported("WHERE inside a node pattern outside MATCH"));
        }
        let (labels, tested) = self.element_labels(n.labels.as_ref(), usage, false)?;
        // Properties may read variables bound earlier, not the node itself.
        let (props, map) = self.properties(n.properties.as_deref(), scope, usage)?;
        let was_bound = n
            .variable
            .as_ref()
            .is_some_and(|v| scope.slot(&v.kind.text).is_some());
        let (slot, earlier) = self.variable(n.variable.as_ref(), "NODE", scope, before, usage)?;
        if was_bound
            && matches!(usage, Use::Create | Use::Merge)
            && (!labels.is_empty() || n.properties.is_some())
            && let Some(v) = &n.variable
        {
            return Err(semantic(
                "VariableAlreadyBound",
                format!("variable {} is already bound", v.kind.text),
            )
            .at(self.text, v.span.start));
        }
        self.element_filter(tested, n.where_clause.as_deref(), slot, scope, false)?;
        Ok(NodePat {
            slot,
            earlier,
            labels,
            props,
            map,
            seek: None,
        })
    }

    fn rel(
        &self,
        r: &ast::RelationshipPattern,
        scope: &mut Scope,
        usage: Use,
        before: usize,
        shortest: bool,
    ) -> QResult<RelPat> {
        if r.graph_quantifier.is_some()
            || (r.where_clause.is_some()
                && (r.legacy_quantifier.is_some()
                    || !matches!(usage, Use::Match | Use::Expression)))
        {
            return Err(unsupported("this relationship pattern form"));
        }
        let (types, tested) = self.element_labels(r.labels.as_ref(), usage, true)?;
        if tested.is_some() && (r.legacy_quantifier.is_some() || shortest) {
            return Err(unsupported(
                "a label expression other than :A|B on a variable-length relationship",
            )
            .at(self.text, r.direction.span.start));
        }
        let element_where = r.where_clause.as_deref();
        let dir = match r.direction.kind {
            ast::RelationshipDirection::Right => Dir::Right,
            ast::RelationshipDirection::Left => Dir::Left,
            _ => Dir::Either,
        };
        let range = match &r.legacy_quantifier {
            None => None,
            Some(q) => Some(match &q.kind {
                // `*` is one or more hops, as `+`.
                ast::QuantifierKind::ZeroOrMore | ast::QuantifierKind::OneOrMore => (1, None),
                ast::QuantifierKind::Optional => (0, Some(1)),
                ast::QuantifierKind::Fixed(n) => {
                    let n = bound_count(n)?;
                    (n, Some(n))
                }
                ast::QuantifierKind::Range { lower, upper } => (
                    lower.as_deref().map(bound_count).transpose()?.unwrap_or(1),
                    upper.as_deref().map(bound_count).transpose()?,
                ),
                _ => return Err(unsupported("this quantifier")),
            }),
        };
        let at = |e: QueryError| e.at(self.text, r.direction.span.start);
        match usage {
            Use::Create | Use::Merge => {
                if types.len() != 1 {
                    return Err(at(semantic(
                        "NoSingleRelationshipType",
                        "a relationship is created with exactly one type",
                    )));
                }
                if dir == Dir::Either && usage == Use::Create {
                    return Err(at(semantic(
                        "RequiresDirectedRelationship",
                        "a relationship is created with a direction",
                    )));
                }
                if range.is_some() {
                    return Err(at(semantic(
                        "CreatingVarLength",
                        "a variable-length relationship cannot be created",
                    )));
                }
            }
            Use::Match | Use::Expression => {}
        }
        let (props, map) = self.properties(r.properties.as_deref(), scope, usage)?;
        if range.is_some() && !props.is_empty() && shortest {
            return Err(unsupported("properties on a shortest path's relationship"));
        }
        let ty = if range.is_some() || shortest {
            "LIST"
        } else {
            "RELATIONSHIP"
        };
        let was_bound = r
            .variable
            .as_ref()
            .is_some_and(|v| scope.slot(&v.kind.text).is_some());
        if was_bound && matches!(usage, Use::Create | Use::Merge) {
            let v = r.variable.as_ref().map_or(0, |v| v.span.start);
            return Err(semantic(
                "VariableAlreadyBound",
                "the relationship variable is already bound",
            )
            .at(self.text, v));
        }
        let (slot, earlier) = self.variable(r.variable.as_ref(), ty, scope, before, usage)?;
        if was_bound && !earlier && usage == Use::Match {
            return Err(at(semantic(
                "RelationshipUniquenessViolation",
                "one relationship variable names two relationships of the pattern",
            )));
        }
        self.element_filter(tested, element_where, slot, scope, true)?;
        Ok(RelPat {
            slot,
            earlier,
            types,
            dir,
            props,
            map,
            range,
        })
    }

    fn chain(
        &self,
        part: &ast::PatternPart,
        scope: &mut Scope,
        usage: Use,
        before: usize,
    ) -> QResult<Chain> {
        if part.kind.selector.is_some() {
            return Err(unsupported("a path selector").at(self.text, part.span.start));
        }
        let (factors, shortest) = match part.kind.path.kind.factors.as_slice() {
            [f] => match &f.kind {
                ast::PathFactorKind::LegacyShortest { all, pattern } => (
                    pattern.kind.factors.as_slice(),
                    Some(if *all { Shortest::All } else { Shortest::One }),
                ),
                _ => (part.kind.path.kind.factors.as_slice(), None),
            },
            factors => (factors, None),
        };
        if shortest.is_some() && usage != Use::Match {
            return Err(unsupported("shortestPath outside MATCH").at(self.text, part.span.start));
        }
        let mut nodes = Vec::new();
        let mut rels = Vec::new();
        for f in factors {
            match &f.kind {
                ast::PathFactorKind::Node(n) => {
                    if nodes.len() != rels.len() {
                        return Err(semantic("InvalidPattern", "two node patterns in a row")
                            .at(self.text, f.span.start));
                    }
                    let bound = n
                        .variable
                        .as_ref()
                        .is_some_and(|v| scope.slot(&v.kind.text).is_some());
                    if bound && factors.len() == 1 && matches!(usage, Use::Create | Use::Merge) {
                        return Err(semantic(
                            "VariableAlreadyBound",
                            "a node that is already bound cannot be created",
                        )
                        .at(self.text, f.span.start));
                    }
                    nodes.push(self.node(n, scope, usage, before)?);
                }
                ast::PathFactorKind::Relationship(r) => {
                    if nodes.len() != rels.len() + 1 {
                        return Err(semantic(
                            "InvalidPattern",
                            "a relationship needs a node on each side",
                        )
                        .at(self.text, f.span.start));
                    }
                    rels.push(self.rel(r, scope, usage, before, shortest.is_some())?);
                }
                _ => return Err(unsupported("this pattern form").at(self.text, f.span.start)),
            }
        }
        if nodes.len() != rels.len() + 1 {
            return Err(semantic("InvalidPattern", "a pattern ends with a node")
                .at(self.text, part.span.start));
        }
        if shortest.is_some() && rels.len() != 1 {
            return Err(semantic(
                "InvalidShortestPath",
                "shortestPath takes a pattern of one relationship",
            )
            .at(self.text, part.span.start));
        }
        if shortest.is_some() && rels[0].range.is_none() {
            rels[0].range = Some((1, Some(1)));
        }
        let path = match &part.kind.binding {
            None => None,
            Some(name) => {
                if scope.slot(&name.kind.text).is_some() {
                    return Err(semantic(
                        "VariableAlreadyBound",
                        format!("variable {} is already bound", name.kind.text),
                    )
                    .at(self.text, name.span.start));
                }
                scope.push(&name.kind.text, Some("PATH"));
                Some(scope.names.len() - 1)
            }
        };
        let start = nodes
            .iter()
            .position(|n| !n.labels.is_empty() && !n.props.is_empty())
            .or_else(|| nodes.iter().position(|n| !n.labels.is_empty()))
            .unwrap_or(0);
        Ok(Chain {
            nodes,
            rels,
            path,
            shortest,
            start,
        })
    }

    /// `MATCH` / `OPTIONAL MATCH`.
    pub(crate) fn match_clause(&self, m: &ast::MatchClause, scope: &mut Scope) -> QResult<Step> {
        if m.mode.is_some() || !m.hints.is_empty() {
            return Err(unsupported("match modes and hints").at(self.text, m.pattern.span.start));
        }
        let mut pattern = self.pattern(&m.pattern, scope, Use::Match)?;
        if let Some(w) = &m.where_clause {
            let w = self.predicate(w, scope)?;
            pattern.filter = Some(match pattern.filter.take() {
                Some(elements) => both(elements, w),
                None => w,
            });
        }
        let free_tail = !m.optional
            && pattern
                .tail_is_free(&|slot| scope.names.get(slot).is_some_and(|n| n.starts_with(' ')));
        Ok(Step::Match {
            pattern,
            optional: m.optional,
            free_tail,
            aggregate: None,
            top: None,
            label_write: false,
        })
    }

    /// `[OPTIONAL] CALL [(scope)] { query }`: the variables it imports
    /// — those of the scope (`*`: every one in scope), or, without one,
    /// those of an importing `WITH` that opens a part of the query (bare
    /// variables only, as Neo4j's rule is) — and the columns it returns,
    /// added to `scope`.
    fn subquery_call(
        &self,
        optional: bool,
        imports: Option<&ast::SubqueryScope>,
        query: &ast::Query,
        scope: &mut Scope,
    ) -> QResult<Step> {
        let ast::QueryKind::Regular(regular) = &query.kind else {
            return Err(unsupported("this subquery").at(self.text, query.span.start));
        };
        let visible = |name: &str| scope.slot(name);
        let mut names: Vec<String> = Vec::new();
        let mut add = |name: &str, at: usize| -> QResult<()> {
            if visible(name).is_none() {
                return Err(semantic(
                    "UndefinedVariable",
                    format!("variable {name} is not defined"),
                )
                .at(self.text, at));
            }
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
            Ok(())
        };
        match imports {
            Some(s) if s.import_all => {
                for n in scope.named() {
                    add(&n, s.span.start)?;
                }
            }
            Some(s) => {
                for v in &s.variables {
                    add(&v.kind.text, v.span.start)?;
                }
            }
            None => {
                let parts =
                    std::iter::once(&regular.head).chain(regular.unions.iter().map(|u| &u.query));
                for part in parts {
                    let Some(ast::ClauseKind::With(w)) = part.kind.clauses.first().map(|c| &c.kind)
                    else {
                        continue;
                    };
                    for item in &w.projection.items {
                        match &item.kind {
                            ast::ProjectionItemKind::Wildcard => {
                                for n in scope.named() {
                                    add(&n, item.span.start)?;
                                }
                            }
                            ast::ProjectionItemKind::Expression { expression, alias } => {
                                if let ast::ExprKind::Variable(v) = &expression.kind
                                    && alias.as_ref().is_none_or(|a| a.kind.text == v.kind.text)
                                {
                                    add(&v.kind.text, expression.span.start)?;
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        let (inner, slots) = scope.imported(names);
        let plan = self.regular(regular, &inner)?;
        for column in &plan.columns {
            if scope.slot(column).is_some() {
                return Err(semantic(
                    "VariableAlreadyBound",
                    format!("variable {column}, returned by the subquery, is already bound"),
                )
                .at(self.text, query.span.start));
            }
        }
        for column in &plan.columns {
            scope.push(column, None);
        }
        Ok(Step::Subquery(Box::new(SubqueryPlan {
            plan: std::sync::Arc::new(plan),
            imports: slots,
            optional,
            batches: None,
        })))
    }

    /// `FOREACH (v IN list | clauses)`: a unit subquery that imports every
    /// variable, unwinds the list and runs the clauses, which must all
    /// update (`CREATE`, `MERGE`, `SET`, `REMOVE`, `DELETE`, `FOREACH`).
    pub(crate) fn foreach(
        &self,
        f: &ast::ForeachClause,
        scope: &Scope,
        span: crate::query::parse::Span,
    ) -> QResult<Step> {
        for c in &f.clauses {
            if !matches!(
                c.kind,
                ast::ClauseKind::Create(_)
                    | ast::ClauseKind::Merge(_)
                    | ast::ClauseKind::Set(_)
                    | ast::ClauseKind::Remove(_)
                    | ast::ClauseKind::Delete(_)
                    | ast::ClauseKind::Foreach(_)
            ) {
                return Err(semantic(
                    "InvalidClauseComposition",
                    "FOREACH holds only updating clauses: CREATE, MERGE, SET, REMOVE, DELETE, FOREACH",
                )
                .at(self.text, c.span.start));
            }
        }
        if scope.slot(&f.variable.kind.text).is_some() {
            return Err(semantic(
                "VariableAlreadyBound",
                format!("variable {} is already bound", f.variable.kind.text),
            )
            .at(self.text, f.variable.span.start));
        }
        let (inner, slots) = scope.imported(scope.named());
        let unwind = ast::Node::new(
            ast::ClauseKind::Unwind(ast::UnwindClause {
                expression: f.list.clone(),
                variable: f.variable.clone(),
            }),
            f.list.span,
        );
        let body = ast::Node::new(
            ast::SingleQueryKind {
                clauses: std::iter::once(unwind)
                    .chain(f.clauses.iter().cloned())
                    .collect(),
            },
            span,
        );
        let (columns, steps) = self.single_in(&body, inner, false)?;
        Ok(Step::Subquery(Box::new(SubqueryPlan {
            plan: std::sync::Arc::new(crate::query::plan::Plan {
                columns,
                branches: vec![steps],
                union_all: false,
            }),
            imports: slots,
            optional: false,
            batches: None,
        })))
    }

    /// The labels a `SET` or `REMOVE` item writes: names, and `$(expr)`
    /// expressions evaluated per row.
    fn written_labels(
        &self,
        labels: &ast::LabelExpression,
        scope: &Scope,
    ) -> QResult<(Vec<String>, Vec<Expr>)> {
        let parts = match &labels.kind {
            ast::LabelExpressionKind::And(items) => items.iter().collect(),
            _ => vec![labels],
        };
        let (mut names, mut dynamic) = (Vec::new(), Vec::new());
        for part in parts {
            if let ast::LabelExpressionKind::Dynamic(e) = &part.kind {
                dynamic.push(self.predicate(e, scope)?);
            } else {
                label_names(part, &mut names, false)?;
            }
        }
        Ok((names, dynamic))
    }

    /// `IN TRANSACTIONS ...` of a subquery call; a `REPORT STATUS AS`
    /// variable is added to `scope`.
    fn batches(&self, t: &ast::InTransactions, scope: &mut Scope) -> QResult<Batches> {
        let rows = t
            .rows
            .as_ref()
            .map(|e| self.predicate(e, scope))
            .transpose()?;
        let on_error = match t.on_error.as_ref().map(|n| n.kind) {
            None | Some(ast::TransactionErrorBehavior::Fail) => OnError::Fail,
            Some(ast::TransactionErrorBehavior::Continue) => OnError::Continue,
            Some(ast::TransactionErrorBehavior::Break) => OnError::Break,
            Some(_) => return Err(unsupported("this ON ERROR").at(self.text, t.span.start)),
        };
        let report = if let Some(v) = &t.report_status_as {
            if on_error == OnError::Fail {
                return Err(semantic(
                    "InvalidClauseComposition",
                    "REPORT STATUS needs ON ERROR CONTINUE or BREAK",
                )
                .at(self.text, v.span.start));
            }
            if scope.slot(&v.kind.text).is_some() {
                return Err(semantic(
                    "VariableAlreadyBound",
                    format!("variable {} is already bound", v.kind.text),
                )
                .at(self.text, v.span.start));
            }
            scope.push(&v.kind.text, Some("MAP"));
            true
        } else {
            false
        };
        Ok(Batches {
            rows,
            on_error,
            report,
        })
    }

    /// `CALL`: the step, and for a statement that is only a `CALL`
    /// without `YIELD`, the output column names.
    #[allow(clippy::too_many_lines, reason = "arguments, then YIELD")]
    pub(crate) fn call_clause(
        &self,
        c: &ast::CallClause,
        scope: &mut Scope,
        standalone: bool,
    ) -> QResult<(Step, Option<Vec<String>>)> {
        let (name, arguments) = match &c.target {
            ast::CallTarget::Procedure { name, arguments } => (name, arguments),
            ast::CallTarget::Subquery {
                scope: imports,
                query,
                in_transactions,
            } => {
                let mut step = self.subquery_call(c.optional, imports.as_ref(), query, scope)?;
                if let (Some(t), Step::Subquery(s)) = (in_transactions, &mut step) {
                    s.batches = Some(self.batches(t, scope)?);
                }
                return Ok((step, None));
            }
            _ => return Err(unsupported("this CALL")),
        };
        if c.optional {
            return Err(unsupported("OPTIONAL CALL"));
        }
        let full: Vec<&str> = name.parts.iter().map(|p| p.kind.text.as_str()).collect();
        let full = full.join(".");
        let at = |e: QueryError| e.at(self.text, name.span.start);
        let user = self.procedures.get(&full).cloned();
        let (procedure, args, columns): (Procedure, Vec<Expr>, Vec<&str>) =
            if let Some((procedure, least, most, columns)) = Procedure::lookup(&full) {
                let args = arguments.as_deref().unwrap_or_default();
                if args.len() < least || args.len() > most {
                    return Err(at(semantic(
                        "InvalidNumberOfArguments",
                        format!(
                            "{full} takes {least} to {most} arguments, not {}",
                            args.len()
                        ),
                    )));
                }
                let args = args
                    .iter()
                    .map(|a| self.predicate(a, scope))
                    .collect::<QResult<Vec<_>>>()?;
                (procedure, args, columns.to_vec())
            } else if let Some(user) = &user {
                let args = self
                    .user_arguments(user, arguments.as_deref(), scope, standalone)
                    .map_err(at)?;
                let columns = user.outputs.iter().map(String::as_str).collect();
                (Procedure::User, args, columns)
            } else {
                return Err(at(unknown_procedure(&full)));
            };
        if c.yield_clause.as_ref().is_some_and(|y| y.all) && !standalone {
            return Err(at(semantic(
                "UnexpectedSyntax",
                "YIELD * is only allowed in a statement that is only the CALL",
            )));
        }
        let mut outputs = Vec::new();
        let mut names = None;
        let mut filter = None;
        match &c.yield_clause {
            // A procedure that yields nothing needs no YIELD (a statement
            // of it alone returns no columns).
            None if columns.is_empty() => {
                if standalone {
                    names = Some(Vec::new());
                }
            }
            None if standalone => {
                outputs = (0..columns.len()).collect();
                names = Some(columns.iter().map(|c| (*c).to_owned()).collect());
            }
            None => {
                return Err(at(semantic(
                    "InvalidClauseComposition",
                    format!("CALL {full} inside a statement needs YIELD"),
                )));
            }
            Some(y) => {
                let mut items: Vec<(usize, String)> = Vec::new();
                if y.all {
                    items.extend(
                        columns
                            .iter()
                            .enumerate()
                            .map(|(i, c)| (i, (*c).to_owned())),
                    );
                }
                for item in &y.items {
                    let ast::ProjectionItemKind::Expression { expression, alias } = &item.kind
                    else {
                        return Err(unsupported("this YIELD item"));
                    };
                    let ast::ExprKind::Variable(v) = &expression.kind else {
                        return Err(semantic("InvalidYield", "YIELD names output columns")
                            .at(self.text, expression.span.start));
                    };
                    let Some(i) = columns.iter().position(|c| *c == v.kind.text) else {
                        return Err(semantic(
                            "UndefinedVariable",
                            format!(
                                "{full} has no output {}; it yields {columns:?}",
                                v.kind.text
                            ),
                        )
                        .at(self.text, expression.span.start));
                    };
                    let bound = alias.as_ref().map_or(&v.kind.text, |a| &a.kind.text);
                    items.push((i, bound.clone()));
                }
                // A statement that is only this CALL returns what it yields.
                if standalone {
                    names = Some(items.iter().map(|(_, b)| b.clone()).collect());
                }
                for (i, bound) in items {
                    if scope.slot(&bound).is_some() {
                        return Err(semantic(
                            "VariableAlreadyBound",
                            format!("variable {bound} is already bound"),
                        )
                        .at(self.text, y.span.start));
                    }
                    let ty = match columns[i] {
                        "node" => Some("NODE"),
                        _ => None,
                    };
                    scope.push(&bound, ty);
                    outputs.push(i);
                }
                if let Some(w) = &y.where_clause {
                    filter = Some(self.predicate(w, scope)?);
                }
            }
        }
        Ok((
            Step::Call(Box::new(CallPlan {
                procedure,
                user,
                args,
                outputs,
                filter,
            })),
            names,
        ))
    }

    /// The arguments of a registered procedure: those written, checked
    /// against its signature (count; a literal's type), or — the CALL
    /// alone in its statement, without parentheses — its inputs' names
    /// read from the parameters.
    fn user_arguments(
        &self,
        user: &UserProcedure,
        written: Option<&[ast::Expr]>,
        scope: &Scope,
        standalone: bool,
    ) -> QResult<Vec<Expr>> {
        let Some(written) = written else {
            if !standalone && !user.inputs.is_empty() {
                return Err(semantic(
                    "InvalidArgumentPassingMode",
                    format!(
                        "{} takes arguments: pass them in parentheses (implicit arguments only in a statement that is only the CALL)",
                        user.name
                    ),
                ));
            }
            return user
                .inputs
                .iter()
                .map(|(n, _)| {
                    if self.params.contains_key(n) {
                        Ok(Expr::Param(n.clone()))
                    } else {
                        Err(QueryError::compile(
                            ErrorKind::ParameterMissing,
                            "MissingParameter",
                            format!(
                                "parameter ${n} was not given (an implicit argument of {})",
                                user.name
                            ),
                        ))
                    }
                })
                .collect();
        };
        if written.len() != user.inputs.len() {
            return Err(semantic(
                "InvalidNumberOfArguments",
                format!(
                    "{} takes {} arguments, not {}",
                    user.name,
                    user.inputs.len(),
                    written.len()
                ),
            ));
        }
        written
            .iter()
            .zip(&user.inputs)
            .map(|(a, (input, ty))| {
                let e = self.predicate(a, scope)?;
                match e {
                    Expr::Const(v) => ty.accept(v.clone()).map(Expr::Const).ok_or_else(|| {
                        semantic(
                            "InvalidArgumentType",
                            format!(
                                "{}: argument {input} is {ty:?}, not {}",
                                user.name,
                                v.type_name()
                            ),
                        )
                    }),
                    other => Ok(other),
                }
            })
            .collect()
    }

    /// `CREATE`.
    pub(crate) fn create_clause(&self, c: &ast::CreateClause, scope: &mut Scope) -> QResult<Step> {
        let pattern = self.pattern(&c.pattern, scope, Use::Create)?;
        Ok(Step::Create(pattern))
    }

    /// `MERGE` with its actions.
    pub(crate) fn merge_clause(&self, m: &ast::MergeClause, scope: &mut Scope) -> QResult<Step> {
        let before = scope.names.len();
        let chain = self.chain(&m.pattern, scope, Use::Merge, before)?;
        for n in &chain.nodes {
            for (_, e) in &n.props {
                if matches!(e, Expr::Const(crate::query::value::CypherValue::Null)) {
                    return Err(QueryError::runtime(
                        crate::query::error::ErrorKind::SemanticError,
                        "MergeReadOwnWrites",
                        "MERGE cannot match or create a property that is null",
                    )
                    .at(self.text, m.pattern.span.start));
                }
            }
        }
        let pattern = Pattern {
            chains: vec![chain],
            filter: None,
            width: scope.names.len(),
            count_tail: false,
            prune_ends: false,
            early: Vec::new(),
            residual: None,
        };
        let mut on_match = Vec::new();
        let mut on_create = Vec::new();
        for action in &m.actions {
            let items = self.set_items(&action.set, scope)?;
            match action.trigger.kind {
                ast::MergeTrigger::Match => on_match.extend(items),
                _ => on_create.extend(items),
            }
        }
        Ok(Step::Merge(Box::new(MergePlan {
            pattern,
            on_match,
            on_create,
        })))
    }

    fn target(&self, name: &ast::Name, scope: &Scope) -> QResult<Expr> {
        let text = &name.kind.text;
        scope.slot(text).map(Expr::Slot).ok_or_else(|| {
            semantic(
                "UndefinedVariable",
                format!("variable {text} is not defined"),
            )
            .at(self.text, name.span.start)
        })
    }

    pub(crate) fn set_items(&self, s: &ast::SetClause, scope: &Scope) -> QResult<Vec<SetItem>> {
        let mut out = Vec::new();
        for item in &s.items {
            out.push(match &item.kind {
                ast::SetItemKind::Property { target, value } => {
                    let ast::ExprKind::Property { expression, key } = &target.kind else {
                        return Err(unsupported("this SET target").at(self.text, target.span.start));
                    };
                    SetItem::Property {
                        target: self.expr(expression, scope, None)?,
                        key: key.kind.text.clone(),
                        value: self.predicate(value, scope)?,
                    }
                }
                ast::SetItemKind::ReplaceProperties { target, value }
                | ast::SetItemKind::MergeProperties { target, value } => SetItem::Properties {
                    target: self.target(target, scope)?,
                    value: self.predicate(value, scope)?,
                    merge: matches!(item.kind, ast::SetItemKind::MergeProperties { .. }),
                },
                ast::SetItemKind::Labels { target, labels } => {
                    let (names, dynamic) = self.written_labels(labels, scope)?;
                    SetItem::Labels {
                        target: self.target(target, scope)?,
                        labels: names,
                        dynamic,
                    }
                }
                _ => return Err(unsupported("this SET item").at(self.text, item.span.start)),
            });
        }
        Ok(out)
    }

    pub(crate) fn remove_items(
        &self,
        r: &ast::RemoveClause,
        scope: &Scope,
    ) -> QResult<Vec<RemoveItem>> {
        let mut out = Vec::new();
        for item in &r.items {
            out.push(match &item.kind {
                ast::RemoveItemKind::Property(e) => {
                    let ast::ExprKind::Property { expression, key } = &e.kind else {
                        return Err(unsupported("this REMOVE target").at(self.text, e.span.start));
                    };
                    RemoveItem::Property {
                        target: self.expr(expression, scope, None)?,
                        key: key.kind.text.clone(),
                    }
                }
                ast::RemoveItemKind::Labels { target, labels } => {
                    let (names, dynamic) = self.written_labels(labels, scope)?;
                    RemoveItem::Labels {
                        target: self.target(target, scope)?,
                        labels: names,
                        dynamic,
                    }
                }
                _ => return Err(unsupported("this REMOVE item").at(self.text, item.span.start)),
            });
        }
        Ok(out)
    }

    /// `DELETE` / `DETACH DELETE`.
    pub(crate) fn delete_clause(&self, d: &ast::DeleteClause, scope: &Scope) -> QResult<Step> {
        let exprs = d
            .expressions
            .iter()
            .map(|e| {
                if matches!(
                    e.kind,
                    ast::ExprKind::Literal(_)
                        | ast::ExprKind::Is { .. }
                        | ast::ExprKind::Binary { .. }
                        | ast::ExprKind::Unary { .. }
                        | ast::ExprKind::List(_)
                        | ast::ExprKind::Map(_)
                ) {
                    return Err(semantic(
                        "InvalidDelete",
                        "DELETE takes nodes, relationships or paths",
                    )
                    .at(self.text, e.span.start));
                }
                self.predicate(e, scope)
            })
            .collect::<QResult<_>>()?;
        Ok(Step::Delete {
            exprs,
            detach: matches!(d.mode.kind, ast::DeleteMode::Detach),
        })
    }

    /// A pattern used as an expression (a predicate, or with `map` a
    /// comprehension whose `WHERE` is `filter`).
    pub(crate) fn pattern_expr(
        &self,
        pattern: &ast::Pattern,
        scope: &Scope,
        binding: Option<&ast::Name>,
        filter: Option<&ast::Expr>,
        map: Option<&ast::Expr>,
    ) -> QResult<Expr> {
        let mut inner = scope.clone();
        let usage = if map.is_some() {
            Use::Match
        } else {
            Use::Expression
        };
        let mut compiled = self.pattern(pattern, &mut inner, usage)?;
        // The slots bound before the expression are all "earlier".
        for c in &mut compiled.chains {
            for n in &mut c.nodes {
                n.earlier = n.slot < scope.names.len();
            }
            for r in &mut c.rels {
                r.earlier = r.slot < scope.names.len();
            }
        }
        if let Some(name) = binding {
            if let [c] = compiled.chains.as_mut_slice() {
                inner.push(&name.kind.text, Some("PATH"));
                c.path = Some(inner.names.len() - 1);
                compiled.width = inner.names.len();
            } else {
                return Err(unsupported("a named pattern of several parts"));
            }
        }
        if let Some(f) = filter {
            let f = self.predicate(f, &inner)?;
            compiled.filter = Some(match compiled.filter.take() {
                Some(elements) => both(elements, f),
                None => f,
            });
        }
        Ok(match map {
            Some(m) => Expr::PatternList(Box::new(compiled), Box::new(self.expr(m, &inner, None)?)),
            None => Expr::PatternExists(Box::new(compiled)),
        })
    }
}

/// A literal property map's entries: key and value expression.
type PropEntries = Vec<(String, Expr)>;
