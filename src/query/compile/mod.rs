//! From the syntax tree to a plan: names resolved to slots, the language's
//! rules checked (unbound and redefined variables, aggregation, aliases,
//! union columns), expressions compiled.

use std::cell::RefCell;

mod clauses;
mod schema;

use crate::query::error::{ErrorKind, QResult, QueryError, semantic, unsupported};
use crate::query::parse::{Body, Span, ast};
use crate::query::plan::clause::CallPlan;
use crate::query::plan::expr::{BinaryOp, Expr, Quantifier, Subquery, UnaryOp};
use crate::query::plan::func::{Aggregate, Function, unknown_function, wrong_arity};
use crate::query::plan::procs::Procedure;
use crate::query::plan::user::UserProcedures;
use crate::query::plan::{AggregateSpec, Plan, ProjectItems, Step, check_count};
use crate::query::value::CypherValue as V;
use crate::query::value::Params;

/// Variables in scope, by slot, with the type of each when it is known
/// before running (a `CypherValue::type_name`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Scope {
    pub names: Vec<String>,
    pub types: Vec<Option<&'static str>>,
}

impl Scope {
    /// Variables of unknown types.
    fn untyped(names: Vec<String>) -> Scope {
        let types = vec![None; names.len()];
        Scope { names, types }
    }

    pub fn push(&mut self, name: &str, ty: Option<&'static str>) {
        self.names.push(name.to_owned());
        self.types.push(ty);
    }

    /// The slot of `name`: the innermost binding.
    pub fn slot(&self, name: &str) -> Option<usize> {
        self.names.iter().rposition(|n| n == name)
    }

    /// The named variables in scope, each once (the hidden slots of
    /// anonymous elements, whose names start with a space, left out).
    pub fn named(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for n in &self.names {
            if !n.starts_with(' ') && !names.contains(n) {
                names.push(n.clone());
            }
        }
        names
    }

    /// The scope a subquery starts from when it imports `names` (each
    /// bound here): those variables with their types, and their slots
    /// here, in the same order.
    pub fn imported(&self, names: Vec<String>) -> (Scope, Vec<usize>) {
        let slots: Vec<usize> = names.iter().filter_map(|n| self.slot(n)).collect();
        let types = slots.iter().map(|&s| self.types[s]).collect();
        (Scope { names, types }, slots)
    }
}

pub(crate) struct Compiler<'a> {
    pub text: &'a str,
    params: &'a Params,
    /// The procedures the application registered.
    procedures: &'a UserProcedures,
    /// While compiling the `ORDER BY` / `WHERE` of a projection that
    /// aggregates or removes duplicates (its input hidden): the projected
    /// expressions (text without spaces) and their columns, which an
    /// expression written the same way reads.
    projected: RefCell<Vec<(String, usize)>>,
    /// Predicates a pattern's elements add while it is compiled (label
    /// expressions beyond `:A:B`, `WHERE` inside an element), which
    /// `pattern` folds into the pattern's filter.
    pub(crate) element_filters: RefCell<Vec<Expr>>,
}

/// Compiles a parsed statement.
pub(crate) fn compile(
    text: &str,
    body: &Body,
    params: &Params,
    procedures: &UserProcedures,
) -> QResult<Plan> {
    let c = Compiler {
        text,
        params,
        procedures,
        projected: RefCell::default(),
        element_filters: RefCell::default(),
    };
    let query = match body {
        Body::Query(query) => query,
        Body::Schema(command) => return schema::compile(&c, command),
    };
    let ast::QueryKind::Regular(regular) = &query.kind else {
        return Err(syntax(
            "the statement could not be parsed",
            query.span,
            text,
        ));
    };
    c.regular(regular, &Scope::default())
}

fn syntax(message: &str, span: Span, text: &str) -> QueryError {
    QueryError::compile(ErrorKind::SyntaxError, "InvalidSyntax", message).at(text, span.start)
}

impl Compiler<'_> {
    fn source(&self, span: Span) -> String {
        self.text
            .get(span.start..span.end)
            .unwrap_or_default()
            .to_owned()
    }

    /// A query with its `UNION`s, each part starting from `scope` (a
    /// `CALL` subquery's: the variables it imports).
    pub(crate) fn regular(&self, regular: &ast::RegularQuery, scope: &Scope) -> QResult<Plan> {
        self.branches(regular, scope, false)
    }

    /// The body of `EXISTS { }`, `COUNT { }` or `COLLECT { }`: its
    /// branches run from the row around it (every variable of `scope`
    /// visible), need not end with `RETURN` unless they are joined by
    /// `UNION`, and must not write.
    fn subquery_expr(&self, regular: &ast::RegularQuery, scope: &Scope) -> QResult<Plan> {
        let plan = self.branches(regular, scope, true)?;
        if plan.writes() {
            return Err(semantic(
                "InvalidClauseComposition",
                "an EXISTS, COUNT or COLLECT subquery cannot write",
            )
            .at(self.text, regular.head.span.start));
        }
        Ok(plan)
    }

    /// The parts of a query joined by `UNION` or `UNION ALL` (not both),
    /// each returning the same columns (some, when the parts are a
    /// `subquery` expression's, which need not return any alone).
    fn branches(
        &self,
        regular: &ast::RegularQuery,
        scope: &Scope,
        subquery: bool,
    ) -> QResult<Plan> {
        let (columns, steps) = self.single_in(&regular.head, scope.clone(), subquery)?;
        let mut plan = Plan {
            columns,
            branches: vec![steps],
            union_all: false,
        };
        let mut kinds = Vec::new();
        for branch in &regular.unions {
            kinds.push(matches!(branch.operator.kind, ast::UnionOperator::All));
            let (columns, steps) = self.single_in(&branch.query, scope.clone(), subquery)?;
            if columns != plan.columns || (subquery && columns.is_empty()) {
                return Err(semantic(
                    "DifferentColumnsInUnion",
                    "every part of a UNION must return the same columns",
                )
                .at(self.text, branch.query.span.start));
            }
            plan.branches.push(steps);
        }
        if kinds.windows(2).any(|w| w[0] != w[1]) {
            return Err(semantic(
                "InvalidClauseComposition",
                "UNION and UNION ALL cannot be mixed",
            ));
        }
        plan.union_all = kinds.first().copied().unwrap_or(false);
        Ok(plan)
    }

    /// A single query starting from `scope` (a subquery's: the variables
    /// of the statement around it), which need not end with `RETURN`
    /// when it is a `subquery`.
    #[allow(clippy::too_many_lines, reason = "one arm per clause")]
    fn single_in(
        &self,
        query: &ast::SingleQuery,
        scope: Scope,
        subquery: bool,
    ) -> QResult<(Vec<String>, Vec<Step>)> {
        let mut scope = scope;
        let mut steps = Vec::new();
        let clauses = &query.kind.clauses;
        let mut columns = None;
        let mut updated = false;
        for (i, clause) in clauses.iter().enumerate() {
            let last = i + 1 == clauses.len();
            let at = |e: QueryError| e.at(self.text, clause.span.start);
            match &clause.kind {
                ast::ClauseKind::Unwind(u) => {
                    let expr = self.expr(&u.expression, &scope, None).map_err(at)?;
                    let name = &u.variable.kind.text;
                    if scope.slot(name).is_some() {
                        return Err(semantic(
                            "VariableAlreadyBound",
                            format!("variable {name} is already bound"),
                        )
                        .at(self.text, u.variable.span.start));
                    }
                    let ty = element_type(&expr, &scope);
                    scope.push(name, ty);
                    steps.push(Step::Unwind(expr));
                }
                ast::ClauseKind::LoadCsv(l) => {
                    steps.push(self.load_csv(l, &mut scope).map_err(at)?);
                }
                ast::ClauseKind::With(w) => {
                    let (projection, names) =
                        self.projection(&w.projection, &scope, false, w.where_clause.as_ref())?;
                    let types = projection
                        .items
                        .iter()
                        .map(|e| static_type(e, &scope))
                        .collect();
                    steps.push(Step::Project(projection));
                    scope = Scope { names, types };
                    if last {
                        return Err(semantic(
                            "InvalidClauseComposition",
                            "a statement cannot end with WITH",
                        )
                        .at(self.text, clause.span.start));
                    }
                }
                ast::ClauseKind::Return(r) => {
                    if !last {
                        return Err(semantic(
                            "InvalidClauseComposition",
                            "RETURN must be the last clause",
                        )
                        .at(self.text, clause.span.start));
                    }
                    let (projection, names) = self.projection(&r.projection, &scope, true, None)?;
                    steps.push(Step::Project(projection));
                    columns = Some(names);
                }
                ast::ClauseKind::Match(m) => {
                    steps.push(self.match_clause(m, &mut scope)?);
                }
                ast::ClauseKind::Create(c) => {
                    steps.push(self.create_clause(c, &mut scope)?);
                    updated = true;
                }
                ast::ClauseKind::Merge(m) => {
                    steps.push(self.merge_clause(m, &mut scope)?);
                    updated = true;
                }
                ast::ClauseKind::Delete(d) => {
                    steps.push(self.delete_clause(d, &scope)?);
                    updated = true;
                }
                ast::ClauseKind::Set(s) => {
                    steps.push(Step::Set(self.set_items(s, &scope)?));
                    updated = true;
                }
                ast::ClauseKind::Remove(r) => {
                    steps.push(Step::Remove(self.remove_items(r, &scope)?));
                    updated = true;
                }
                ast::ClauseKind::Foreach(f) => {
                    steps.push(self.foreach(f, &scope, clause.span)?);
                    updated = true;
                }
                ast::ClauseKind::Call(c) => {
                    let standalone = clauses.len() == 1;
                    let (step, names) = self.call_clause(c, &mut scope, standalone)?;
                    updated |= step.writes();
                    steps.push(step);
                    if names.is_some() {
                        columns = names;
                    }
                }
                _ => return Err(at(unsupported("this clause"))),
            }
        }
        if columns.is_none()
            && updated
            && clauses.last().is_some_and(|c| {
                !matches!(
                    c.kind,
                    ast::ClauseKind::With(_)
                        | ast::ClauseKind::Unwind(_)
                        | ast::ClauseKind::Match(_)
                )
            })
        {
            columns = Some(Vec::new());
        }
        if subquery {
            if updated {
                return Err(semantic(
                    "InvalidClauseComposition",
                    "a subquery expression cannot write",
                )
                .at(self.text, query.span.start));
            }
            return Ok((columns.unwrap_or_default(), steps));
        }
        let columns = columns.ok_or_else(|| {
            semantic(
                "InvalidClauseComposition",
                "a statement that writes nothing must end with RETURN",
            )
            .at(self.text, query.span.start)
        })?;
        Ok((columns, steps))
    }

    /// `LOAD CSV [WITH HEADERS] FROM url AS v [FIELDTERMINATOR 'c']`: a
    /// call of the internal procedure that reads the file, once per row,
    /// its rows bound to `v` (lists of strings, or maps by the header).
    fn load_csv(&self, l: &ast::LoadCsvClause, scope: &mut Scope) -> QResult<Step> {
        let url = self.expr(&l.source, scope, None)?;
        let name = &l.variable.kind.text;
        if scope.slot(name).is_some() {
            return Err(semantic(
                "VariableAlreadyBound",
                format!("variable {name} is already bound"),
            )
            .at(self.text, l.variable.span.start));
        }
        let terminator = match &l.field_terminator {
            Some(t) => V::String(t.kind.value.clone()),
            None => V::Null,
        };
        scope.push(
            name,
            if l.with_headers {
                Some("MAP")
            } else {
                Some("LIST")
            },
        );
        Ok(Step::Call(Box::new(CallPlan {
            procedure: Procedure::LoadCsv,
            user: None,
            args: vec![
                url,
                Expr::Const(V::Bool(l.with_headers)),
                Expr::Const(terminator),
            ],
            outputs: vec![0],
            filter: None,
        })))
    }

    pub(crate) fn predicate(&self, e: &ast::Expr, scope: &Scope) -> QResult<Expr> {
        if contains_aggregate(e) {
            return Err(
                semantic("InvalidAggregation", "an aggregate cannot be used in WHERE")
                    .at(self.text, e.span.start),
            );
        }
        self.expr(e, scope, None)
    }

    /// A `WITH` or `RETURN` body: the projection and its output names.
    fn projection(
        &self,
        p: &ast::ProjectionClause,
        scope: &Scope,
        is_return: bool,
        filter: Option<&ast::Expr>,
    ) -> QResult<(ProjectItems, Vec<String>)> {
        // A projection inside an expression of another's ORDER BY / WHERE
        // (a subquery) has its own columns.
        let outer = self.projected.take();
        let compiled = self.projection_items(p, scope, is_return, filter);
        self.projected.replace(outer);
        compiled
    }

    #[allow(
        clippy::too_many_lines,
        reason = "items, ordering and paging in one pass"
    )]
    fn projection_items(
        &self,
        p: &ast::ProjectionClause,
        scope: &Scope,
        is_return: bool,
        filter: Option<&ast::Expr>,
    ) -> QResult<(ProjectItems, Vec<String>)> {
        let mut names = Vec::new();
        // Each expression item and its column.
        let mut sources: Vec<(&ast::Expr, usize)> = Vec::new();
        let mut items = Vec::new();
        let mut aggregates = Vec::new();
        let mut grouping = Vec::new();
        for item in &p.items {
            match &item.kind {
                ast::ProjectionItemKind::Wildcard => {
                    if scope.names.is_empty()
                        || (is_return && scope.names.iter().all(|n| n.starts_with(' ')))
                    {
                        return Err(semantic(
                            "NoVariablesInScope",
                            "RETURN * / WITH * needs a variable in scope",
                        )
                        .at(self.text, item.span.start));
                    }
                    let mut visible: Vec<&String> =
                        scope.names.iter().filter(|n| !n.starts_with(' ')).collect();
                    visible.sort();
                    for name in visible {
                        let slot = scope.slot(name).unwrap_or_default();
                        names.push(name.clone());
                        items.push(Expr::Slot(slot));
                        grouping.push(true);
                    }
                }
                ast::ProjectionItemKind::Expression { expression, alias } => {
                    let name = match alias {
                        Some(a) => a.kind.text.clone(),
                        None => match &expression.kind {
                            ast::ExprKind::Variable(v) => v.kind.text.clone(),
                            _ if is_return => self.source(expression.span),
                            _ => {
                                return Err(semantic(
                                    "NoExpressionAlias",
                                    "an expression in WITH needs an alias (AS name)",
                                )
                                .at(self.text, expression.span.start));
                            }
                        },
                    };
                    let aggregating = contains_aggregate(expression);
                    let compiled = if aggregating {
                        self.expr(expression, scope, Some(&mut aggregates))?
                    } else {
                        self.expr(expression, scope, None)?
                    };
                    names.push(name);
                    sources.push((expression, items.len()));
                    items.push(compiled);
                    grouping.push(!aggregating);
                }
                _ => return Err(unsupported("this projection item").at(self.text, item.span.start)),
            }
        }
        self.check_grouping(&p.items, scope)?;
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(
                    semantic("ColumnNameConflict", format!("two columns are named {n}"))
                        .at(self.text, p.span.start),
                );
            }
        }
        let distinct = matches!(
            p.quantifier.as_ref().map(|q| q.kind),
            Some(ast::SetQuantifier::Distinct)
        );
        let aggregating = !aggregates.is_empty();
        // ORDER BY sees the output columns, and the input's variables when
        // the projection neither aggregates nor removes duplicates.
        let order_sees_input = !aggregating && !distinct;
        let mut order_scope = Scope::untyped(names.clone());
        if order_sees_input {
            // An output column hides the input variable of its name.
            let hidden = |n: &String| {
                if names.contains(n) {
                    String::new()
                } else {
                    n.clone()
                }
            };
            order_scope.names.extend(scope.names.iter().map(hidden));
            order_scope.types.extend(scope.types.iter().copied());
        }
        // With the input hidden, ORDER BY and WHERE read a projected
        // expression written again (`WITH a.name AS n, count(*) AS c
        // ORDER BY a.name + 'x', count(*)`) from its column.
        let projected: Vec<(String, usize)> = if order_sees_input {
            Vec::new()
        } else {
            sources
                .iter()
                .map(|(s, column)| (squeeze(&self.source(s.span)), *column))
                .collect()
        };
        let order = self.order_items(
            p,
            &sources,
            &names,
            &order_scope,
            &projected,
            order_sees_input,
        )?;
        // WITH's WHERE sees what ORDER BY sees.
        let filter = filter
            .map(|w| self.reading_projected(&projected, || self.predicate(w, &order_scope)))
            .transpose()?;
        let skip = p
            .skip
            .as_ref()
            .or(p.offset.as_ref())
            .map(|e| self.count_argument(e, "SKIP"))
            .transpose()?;
        let limit = p
            .limit
            .as_ref()
            .map(|e| self.count_argument(e, "LIMIT"))
            .transpose()?;
        Ok((
            ProjectItems {
                items,
                grouping: aggregating.then_some(grouping),
                aggregates,
                distinct,
                order,
                order_sees_input,
                skip,
                limit,
                filter,
            },
            names,
        ))
    }

    /// A projection's sort keys, over `order_scope` (the output columns,
    /// then the input's variables when `order_sees_input`; else
    /// `projected` lists the projected expressions by text).
    fn order_items(
        &self,
        p: &ast::ProjectionClause,
        sources: &[(&ast::Expr, usize)],
        names: &[String],
        order_scope: &Scope,
        projected: &[(String, usize)],
        order_sees_input: bool,
    ) -> QResult<Vec<(Expr, bool)>> {
        let mut order = Vec::new();
        if let Some(by) = &p.order_by {
            for item in &by.items {
                let descending = matches!(
                    item.direction.as_ref().map(|d| d.kind),
                    Some(ast::SortDirection::Descending)
                );
                let expr = if order_sees_input {
                    // A sort key written as a projected expression reads
                    // its column.
                    let text = self.source(item.expression.span);
                    let same = sources
                        .iter()
                        .find(|(s, _)| self.source(s.span) == text)
                        .filter(|_| !matches!(item.expression.kind, ast::ExprKind::Variable(_)));
                    if let Some((_, column)) = same {
                        Expr::Slot(*column)
                    } else {
                        self.expr(&item.expression, order_scope, None)?
                    }
                } else {
                    if contains_aggregate(&item.expression) {
                        self.check_order_aggregates(&item.expression, sources, names)?;
                    }
                    self.reading_projected(projected, || {
                        self.expr(&item.expression, order_scope, None)
                    })?
                };
                order.push((expr, descending));
            }
        }
        Ok(order)
    }

    /// Runs `f` with `projected` as the expressions an expression written
    /// the same way reads from their columns.
    fn reading_projected<T>(
        &self,
        projected: &[(String, usize)],
        f: impl FnOnce() -> QResult<T>,
    ) -> QResult<T> {
        let outer = self.projected.replace(projected.to_vec());
        let out = f();
        self.projected.replace(outer);
        out
    }

    /// An `ORDER BY` item with an aggregate after an aggregating
    /// projection: each aggregate must be projected, and outside them it
    /// may read only output columns, projected aggregates and grouping
    /// keys projected on their own (a variable or one of its properties);
    /// a variable read only inside a larger projected expression is
    /// ambiguous.
    fn check_order_aggregates(
        &self,
        e: &ast::Expr,
        sources: &[(&ast::Expr, usize)],
        names: &[String],
    ) -> QResult<()> {
        let readable: Vec<String> = sources
            .iter()
            .filter(|(s, _)| {
                contains_aggregate(s)
                    || match &s.kind {
                        ast::ExprKind::Variable(_) => true,
                        ast::ExprKind::Property {
                            expression: base, ..
                        } => matches!(base.kind, ast::ExprKind::Variable(_)),
                        _ => false,
                    }
            })
            .map(|(s, _)| squeeze(&self.source(s.span)))
            .collect();
        let mut bad = None;
        walk(e, &mut |x| {
            if bad.is_some() || readable.contains(&squeeze(&self.source(x.span))) {
                return false;
            }
            match &x.kind {
                ast::ExprKind::Function(f) => {
                    let name: Vec<&str> =
                        f.name.parts.iter().map(|p| p.kind.text.as_str()).collect();
                    if Aggregate::lookup(&name.join(".")).is_some() {
                        bad = Some(semantic(
                            "InvalidAggregation",
                            "ORDER BY can sort by an aggregate only when it is projected",
                        ));
                        return false;
                    }
                    true
                }
                ast::ExprKind::Variable(v) => {
                    let v = &v.kind.text;
                    if !names.contains(v) && sources.iter().any(|(s, _)| mentions(s, v)) {
                        bad = Some(semantic(
                            "AmbiguousAggregationExpression",
                            format!(
                                "{v} is read here outside the aggregate, but projected only inside a larger expression"
                            ),
                        ));
                    }
                    false
                }
                _ => true,
            }
        });
        match bad {
            Some(err) => Err(err.at(self.text, e.span.start)),
            None => Ok(()),
        }
    }

    /// In an aggregating projection, the parts of an item outside its
    /// aggregates may read only grouping keys (variables and properties
    /// of variables projected on their own).
    fn check_grouping(&self, items: &[ast::ProjectionItem], scope: &Scope) -> QResult<()> {
        let mut keys = Vec::new();
        let mut aggregating = Vec::new();
        for item in items {
            match &item.kind {
                ast::ProjectionItemKind::Wildcard => {
                    keys.extend(scope.names.iter().cloned());
                }
                ast::ProjectionItemKind::Expression { expression, .. } => {
                    if contains_aggregate(expression) {
                        aggregating.push(expression);
                    } else if match &expression.kind {
                        ast::ExprKind::Variable(_) => true,
                        ast::ExprKind::Property {
                            expression: base, ..
                        } => {
                            matches!(base.kind, ast::ExprKind::Variable(_))
                        }
                        _ => false,
                    } {
                        keys.push(self.source(expression.span));
                    }
                }
                _ => {}
            }
        }
        for e in aggregating {
            let mut bad = None;
            walk(e, &mut |x| {
                if bad.is_some() || keys.contains(&self.source(x.span)) {
                    return false;
                }
                match &x.kind {
                    ast::ExprKind::Function(f) => {
                        let name: Vec<&str> =
                            f.name.parts.iter().map(|p| p.kind.text.as_str()).collect();
                        Aggregate::lookup(&name.join(".")).is_none()
                    }
                    ast::ExprKind::Variable(v) => {
                        if scope.slot(&v.kind.text).is_some() {
                            bad = Some(x.span.start);
                        }
                        false
                    }
                    _ => true,
                }
            });
            if let Some(at) = bad {
                return Err(semantic(
                    "AmbiguousAggregationExpression",
                    "outside its aggregates, an aggregating expression may read only grouping keys",
                )
                .at(self.text, at));
            }
        }
        Ok(())
    }

    /// A `SKIP` or `LIMIT` argument: constant, a non-negative integer.
    fn count_argument(&self, e: &ast::Expr, clause: &str) -> QResult<Expr> {
        let expr = self.expr(e, &Scope::default(), None).map_err(|err| {
            if err.detail == "UndefinedVariable" {
                semantic(
                    "NonConstantExpression",
                    format!("{clause} needs an expression that reads no variable"),
                )
                .at(self.text, e.span.start)
            } else {
                err
            }
        })?;
        if let Expr::Const(v) = &expr {
            check_count(v, clause).map_err(|err| QueryError {
                phase: super::error::Phase::Compile,
                ..err.at(self.text, e.span.start)
            })?;
        }
        Ok(expr)
    }

    /// Compiles an expression; `aggregates` collects the aggregates of a
    /// projection item (`None`: none is allowed here).
    #[allow(clippy::too_many_lines, reason = "one arm per expression form")]
    pub(crate) fn expr(
        &self,
        e: &ast::Expr,
        scope: &Scope,
        mut aggregates: Option<&mut Vec<AggregateSpec>>,
    ) -> QResult<Expr> {
        let at = |err: QueryError| err.at(self.text, e.span.start);
        if !matches!(e.kind, ast::ExprKind::Variable(_)) {
            let projected = self.projected.borrow();
            if !projected.is_empty() {
                let text = squeeze(&self.source(e.span));
                if let Some((_, column)) = projected.iter().find(|(t, _)| *t == text) {
                    return Ok(Expr::Slot(*column));
                }
            }
        }
        let sub = |x: &ast::Expr, aggs: &mut Option<&mut Vec<AggregateSpec>>| {
            self.expr(x, scope, aggs.as_deref_mut())
        };
        Ok(match &e.kind {
            ast::ExprKind::Literal(l) => Expr::Const(self.literal(l)?),
            ast::ExprKind::Variable(name) => {
                let n = &name.kind.text;
                Expr::Slot(scope.slot(n).ok_or_else(|| {
                    at(semantic(
                        "UndefinedVariable",
                        format!("variable {n} is not defined"),
                    ))
                })?)
            }
            ast::ExprKind::Parameter(p) => {
                let name = match &p.name {
                    ast::ParameterName::Named(n) | ast::ParameterName::Positional(n) => n.clone(),
                    _ => return Err(at(unsupported("this parameter form"))),
                };
                match self.params.get(&name) {
                    Some(_) => Expr::Param(name),
                    None => {
                        return Err(at(QueryError::compile(
                            ErrorKind::ParameterMissing,
                            "MissingParameter",
                            format!("parameter ${name} was not given"),
                        )));
                    }
                }
            }
            ast::ExprKind::List(items) => Expr::List(
                items
                    .iter()
                    .map(|x| sub(x, &mut aggregates))
                    .collect::<QResult<_>>()?,
            ),
            ast::ExprKind::Map(entries) => Expr::Map(
                entries
                    .iter()
                    .map(|en| Ok((en.key.kind.text.clone(), sub(&en.value, &mut aggregates)?)))
                    .collect::<QResult<_>>()?,
            ),
            ast::ExprKind::Parenthesized(inner) => sub(inner, &mut aggregates)?,
            ast::ExprKind::Unary { operator, operand } => {
                let op = match operator.kind {
                    ast::UnaryOperator::Minus => UnaryOp::Neg,
                    ast::UnaryOperator::Not => UnaryOp::Not,
                    ast::UnaryOperator::Plus => UnaryOp::Plus,
                    _ => return Err(at(unsupported("this operator"))),
                };
                // `-9223372036854775808` is a literal, not a negated overflow.
                if op == UnaryOp::Neg
                    && let ast::ExprKind::Literal(l) = &operand.kind
                    && let ast::LiteralKind::Integer(i) = &l.kind
                {
                    return Ok(Expr::Const(
                        integer(&format!("-{}", i.text), i.radix).map_err(at)?,
                    ));
                }
                let operand = sub(operand, &mut aggregates)?;
                match op {
                    UnaryOp::Not => expect_boolean(&operand, scope).map_err(at)?,
                    UnaryOp::Neg | UnaryOp::Plus => expect_number(&operand, scope).map_err(at)?,
                }
                Expr::Unary(op, Box::new(operand))
            }
            ast::ExprKind::Binary {
                left,
                operator,
                right,
            } => {
                use ast::BinaryOperator as O;
                let op = match operator.kind {
                    O::Or => BinaryOp::Or,
                    O::Xor => BinaryOp::Xor,
                    O::And => BinaryOp::And,
                    O::Equal => BinaryOp::Eq,
                    O::NotEqual => BinaryOp::Ne,
                    O::Less => BinaryOp::Lt,
                    O::LessEqual => BinaryOp::Le,
                    O::Greater => BinaryOp::Gt,
                    O::GreaterEqual => BinaryOp::Ge,
                    O::RegexMatch => BinaryOp::Regex,
                    O::In => BinaryOp::In,
                    O::StartsWith => BinaryOp::StartsWith,
                    O::EndsWith => BinaryOp::EndsWith,
                    O::Contains => BinaryOp::Contains,
                    O::Add | O::Concat => BinaryOp::Add,
                    O::Subtract => BinaryOp::Sub,
                    O::Multiply => BinaryOp::Mul,
                    O::Divide => BinaryOp::Div,
                    O::Remainder => BinaryOp::Rem,
                    O::Power => BinaryOp::Pow,
                    _ => return Err(at(unsupported("this operator"))),
                };
                let comparison = |op: BinaryOp| {
                    matches!(
                        op,
                        BinaryOp::Eq
                            | BinaryOp::Ne
                            | BinaryOp::Lt
                            | BinaryOp::Le
                            | BinaryOp::Gt
                            | BinaryOp::Ge
                    )
                };
                let l = sub(left, &mut aggregates)?;
                let r = sub(right, &mut aggregates)?;
                // `a < b < c` is `a < b AND b < c`.
                if comparison(op)
                    && let ast::ExprKind::Binary { .. } = &left.kind
                    && let Expr::Binary(inner, _, middle) = &l
                    && comparison(*inner)
                {
                    let next = Expr::Binary(op, middle.clone(), Box::new(r));
                    return Ok(Expr::Binary(BinaryOp::And, Box::new(l), Box::new(next)));
                }
                match op {
                    BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => {
                        expect_boolean(&l, scope).map_err(at)?;
                        expect_boolean(&r, scope).map_err(at)?;
                    }
                    BinaryOp::In => expect_list(&r).map_err(at)?,
                    BinaryOp::Sub
                    | BinaryOp::Mul
                    | BinaryOp::Div
                    | BinaryOp::Rem
                    | BinaryOp::Pow => {
                        expect_number(&l, scope).map_err(at)?;
                        expect_number(&r, scope).map_err(at)?;
                    }
                    _ => {}
                }
                Expr::Binary(op, Box::new(l), Box::new(r))
            }
            ast::ExprKind::Is {
                expression,
                negated,
                predicate,
            } => match predicate {
                ast::IsPredicate::Null => {
                    Expr::IsNull(Box::new(sub(expression, &mut aggregates)?), *negated)
                }
                ast::IsPredicate::Label(l) => {
                    let mut labels = Vec::new();
                    let subject = sub(expression, &mut aggregates)?;
                    let test = if clauses::label_names(l, &mut labels, false).is_ok() {
                        Expr::HasLabels(Box::new(subject), labels)
                    } else {
                        // `n:!A`, `n:A|B`, `n:%`: any label expression.
                        clauses::label_test(l, &subject, false).map_err(at)?
                    };
                    if *negated {
                        Expr::Unary(UnaryOp::Not, Box::new(test))
                    } else {
                        test
                    }
                }
                _ => return Err(at(unsupported("this IS predicate"))),
            },
            ast::ExprKind::Property { expression, key } => {
                let base = sub(expression, &mut aggregates)?;
                match static_type(&base, scope) {
                    Some("PATH") => {
                        return Err(at(semantic(
                            "InvalidArgumentType",
                            format!("a path has no property {}", key.kind.text),
                        )));
                    }
                    Some(t @ ("INTEGER" | "FLOAT" | "STRING" | "BOOLEAN" | "LIST")) => {
                        return Err(at(QueryError::compile(
                            ErrorKind::TypeError,
                            "InvalidArgumentType",
                            format!("a {t} has no property {}", key.kind.text),
                        )));
                    }
                    _ => {}
                }
                Expr::Property(Box::new(base), key.kind.text.clone())
            }
            ast::ExprKind::Index { expression, index } => Expr::Index(
                Box::new(sub(expression, &mut aggregates)?),
                Box::new(sub(index, &mut aggregates)?),
            ),
            ast::ExprKind::Slice {
                expression,
                lower,
                upper,
            } => Expr::Slice(
                Box::new(sub(expression, &mut aggregates)?),
                lower
                    .as_ref()
                    .map(|x| sub(x, &mut aggregates).map(Box::new))
                    .transpose()?,
                upper
                    .as_ref()
                    .map(|x| sub(x, &mut aggregates).map(Box::new))
                    .transpose()?,
            ),
            ast::ExprKind::Function(f) => self.call(f, e, scope, aggregates)?,
            ast::ExprKind::Case(c) => Expr::Case {
                operand: c
                    .operand
                    .as_ref()
                    .map(|x| sub(x, &mut aggregates).map(Box::new))
                    .transpose()?,
                arms: c
                    .alternatives
                    .iter()
                    .flat_map(|alt| alt.when.iter().map(move |w| (w, &alt.then)))
                    .map(|(w, t)| Ok((sub(w, &mut aggregates)?, sub(t, &mut aggregates)?)))
                    .collect::<QResult<_>>()?,
                default: c
                    .else_expression
                    .as_ref()
                    .map(|x| sub(x, &mut aggregates).map(Box::new))
                    .transpose()?,
            },
            ast::ExprKind::ListComprehension(lc) => {
                let list = sub(&lc.list, &mut aggregates)?;
                expect_list(&list).map_err(at)?;
                let (inner, slot) = bind(scope, &lc.variable.kind.text, element_type(&list, scope));
                let filter = lc
                    .predicate
                    .as_ref()
                    .map(|p| self.expr(p, &inner, None).map(Box::new))
                    .transpose()?;
                let map = lc
                    .projection
                    .as_ref()
                    .map(|p| self.expr(p, &inner, None).map(Box::new))
                    .transpose()?;
                Expr::Comprehension {
                    slot,
                    list: Box::new(list),
                    filter,
                    map,
                }
            }
            ast::ExprKind::QuantifiedPredicate(q) => {
                let kind = match q.kind.kind {
                    ast::QuantifiedPredicateKind::All => Quantifier::All,
                    ast::QuantifiedPredicateKind::Any => Quantifier::Any,
                    ast::QuantifiedPredicateKind::None => Quantifier::None,
                    ast::QuantifiedPredicateKind::Single => Quantifier::Single,
                    _ => return Err(at(unsupported("this quantifier"))),
                };
                let list = sub(&q.list, &mut aggregates)?;
                expect_list(&list).map_err(at)?;
                let (inner, slot) = bind(scope, &q.variable.kind.text, element_type(&list, scope));
                let predicate = self.expr(&q.predicate, &inner, None)?;
                Expr::Quantified {
                    kind,
                    slot,
                    list: Box::new(list),
                    predicate: Box::new(predicate),
                }
            }
            ast::ExprKind::Reduce(r) => {
                let init = sub(&r.initial, &mut aggregates)?;
                let list = sub(&r.list, &mut aggregates)?;
                expect_list(&list).map_err(at)?;
                let (with_acc, acc) = bind(scope, &r.accumulator.kind.text, None);
                let (inner, slot) =
                    bind(&with_acc, &r.variable.kind.text, element_type(&list, scope));
                let expr = self.expr(&r.expression, &inner, None)?;
                Expr::Reduce {
                    acc,
                    init: Box::new(init),
                    slot,
                    list: Box::new(list),
                    expr: Box::new(expr),
                }
            }
            ast::ExprKind::MapProjection(mp) => {
                let base = sub(&mp.base, &mut aggregates)?;
                let mut all = false;
                let mut items = Vec::new();
                for item in &mp.items {
                    match &item.kind {
                        ast::MapProjectionItemKind::AllProperties => all = true,
                        ast::MapProjectionItemKind::Property(name) => {
                            let key = name.kind.text.clone();
                            items.push((key.clone(), Expr::Property(Box::new(base.clone()), key)));
                        }
                        ast::MapProjectionItemKind::Variable(name) => {
                            let n = &name.kind.text;
                            let slot = scope.slot(n).ok_or_else(|| {
                                semantic(
                                    "UndefinedVariable",
                                    format!("variable {n} is not defined"),
                                )
                                .at(self.text, name.span.start)
                            })?;
                            items.push((n.clone(), Expr::Slot(slot)));
                        }
                        ast::MapProjectionItemKind::Entry(en) => {
                            items
                                .push((en.key.kind.text.clone(), sub(&en.value, &mut aggregates)?));
                        }
                        _ => return Err(at(unsupported("this map projection item"))),
                    }
                }
                Expr::MapProjection {
                    base: Box::new(base),
                    all,
                    items,
                }
            }
            ast::ExprKind::Pattern(p) => self.pattern_expr(p, scope, None, None, None)?,
            ast::ExprKind::PatternComprehension(pc) => self.pattern_expr(
                &pc.pattern,
                scope,
                pc.binding.as_ref(),
                pc.predicate.as_deref(),
                Some(&pc.projection),
            )?,
            ast::ExprKind::Subquery(sq) => {
                let ast::QueryKind::Regular(regular) = &sq.query.kind else {
                    return Err(at(unsupported("this subquery")));
                };
                let plan = self.subquery_expr(regular, scope)?;
                let columns = &plan.columns;
                let kind = match sq.kind.kind {
                    ast::SubqueryExpressionKind::Exists => Subquery::Exists,
                    ast::SubqueryExpressionKind::Count => Subquery::Count,
                    _ => {
                        if columns.len() != 1 {
                            return Err(at(semantic(
                                "InvalidClauseComposition",
                                "COLLECT { } returns exactly one column",
                            )));
                        }
                        Subquery::Collect
                    }
                };
                Expr::Subquery(kind, Box::new(plan))
            }
            _ => return Err(at(unsupported("this expression"))),
        })
    }

    fn call(
        &self,
        f: &ast::FunctionInvocation,
        e: &ast::Expr,
        scope: &Scope,
        aggregates: Option<&mut Vec<AggregateSpec>>,
    ) -> QResult<Expr> {
        let at = |err: QueryError| err.at(self.text, e.span.start);
        let name: Vec<&str> = f.name.parts.iter().map(|p| p.kind.text.as_str()).collect();
        let name = name.join(".");
        let distinct = matches!(
            f.quantifier.as_ref().map(|q| q.kind),
            Some(ast::SetQuantifier::Distinct)
        );
        let star = f.arguments.len() == 1 && matches!(f.arguments[0].kind, ast::ExprKind::Wildcard);
        if name.eq_ignore_ascii_case("exists") && f.arguments.len() == 1 {
            return match &f.arguments[0].kind {
                ast::ExprKind::Pattern(p) => self.pattern_expr(p, scope, None, None, None),
                ast::ExprKind::Property { .. } => Ok(Expr::IsNull(
                    Box::new(self.expr(&f.arguments[0], scope, aggregates)?),
                    true,
                )),
                _ => Err(at(semantic(
                    "InvalidArgumentExpression",
                    "exists() takes a pattern or a property",
                ))),
            };
        }
        if let Some((function, arity)) = Aggregate::lookup(&name) {
            let Some(aggregates) = aggregates else {
                return Err(at(semantic(
                    "InvalidAggregation",
                    format!("{name}() cannot be used here"),
                )));
            };
            let (function, argument, second) = if star {
                if function != Aggregate::Count {
                    return Err(at(wrong_arity(&name, 0)));
                }
                (Aggregate::CountStar, None, None)
            } else {
                if f.arguments.len() != arity {
                    return Err(at(wrong_arity(&name, f.arguments.len())));
                }
                if f.arguments.iter().any(contains_aggregate) {
                    return Err(at(semantic(
                        "NestedAggregation",
                        "an aggregate cannot contain another",
                    )));
                }
                if f.arguments.iter().any(calls_rand) {
                    return Err(at(semantic(
                        "NonConstantExpression",
                        "an aggregate's argument cannot call rand(): its result would depend on how rows are grouped",
                    )));
                }
                let argument = self.expr(&f.arguments[0], scope, None)?;
                let second = f
                    .arguments
                    .get(1)
                    .map(|a| self.expr(a, scope, None))
                    .transpose()?;
                (function, Some(argument), second)
            };
            aggregates.push(AggregateSpec {
                function,
                distinct,
                argument,
                second,
            });
            return Ok(Expr::Aggregate(aggregates.len() - 1));
        }
        let Some((function, min, max)) = Function::lookup(&name) else {
            return Err(at(unknown_function(&name)));
        };
        if star || f.arguments.len() < min || f.arguments.len() > max {
            return Err(at(wrong_arity(&name, f.arguments.len())));
        }
        let mut aggregates = aggregates;
        let args: Vec<Expr> = f
            .arguments
            .iter()
            .map(|a| self.expr(a, scope, aggregates.as_deref_mut()))
            .collect::<QResult<_>>()?;
        // Graph functions on values whose type is known to be wrong.
        let wanted: &[&str] = match function {
            Function::Labels => &["NODE"],
            Function::Type | Function::StartNode | Function::EndNode => &["RELATIONSHIP"],
            Function::Length | Function::Nodes | Function::Relationships => &["PATH"],
            _ => &[],
        };
        if let (false, Some(arg)) = (wanted.is_empty(), args.first())
            && let Some(t) = static_type(arg, scope)
            && !wanted.contains(&t)
        {
            return Err(at(semantic(
                "InvalidArgumentType",
                format!("{name}() needs a {}, not a {t}", wanted[0].to_lowercase()),
            )));
        }
        // A temporal value written as a string literal
        // (`datetime('2023-03-01T00:00:00Z')`) is a constant: parsed once
        // here, not once per row. A string that does not parse stays a
        // call, so its error is raised when it runs, as before.
        if let (Function::Temporal(kind), [Expr::Const(V::String(text))]) =
            (function, args.as_slice())
            && let Ok(t) = crate::temporal::parse::parse(kind, text)
        {
            return Ok(Expr::Const(V::Temporal(Box::new(t))));
        }
        Ok(Expr::Call(function, args))
    }

    fn literal(&self, l: &ast::Literal) -> QResult<V> {
        let at = |err: QueryError| err.at(self.text, l.span.start);
        Ok(match &l.kind {
            ast::LiteralKind::Null => V::Null,
            ast::LiteralKind::Boolean(b) => V::Bool(*b),
            ast::LiteralKind::Integer(i) => integer(&i.text, i.radix).map_err(at)?,
            ast::LiteralKind::Float(f) => {
                let x: f64 = f
                    .text
                    .parse()
                    .map_err(|_| at(syntax_detail("InvalidNumberLiteral", "not a float")))?;
                if x.is_infinite() {
                    return Err(at(syntax_detail(
                        "FloatingPointOverflow",
                        "the float is too large",
                    )));
                }
                V::Float(x)
            }
            ast::LiteralKind::String(s) => V::String(s.value.clone()),
            _ => return Err(at(unsupported("this literal"))),
        })
    }
}

fn syntax_detail(detail: &'static str, message: &str) -> QueryError {
    QueryError::compile(ErrorKind::SyntaxError, detail, message)
}

/// An integer literal's value (`text` may start with `-`).
fn integer(text: &str, radix: ast::IntegerRadix) -> QResult<V> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let (base, digits) = match radix {
        ast::IntegerRadix::Hexadecimal => (16, &digits[2.min(digits.len())..]),
        ast::IntegerRadix::Octal => {
            let d = digits
                .strip_prefix("0o")
                .unwrap_or(&digits[1.min(digits.len())..]);
            (8, d)
        }
        _ => (10, digits),
    };
    let signed = if negative {
        format!("-{digits}")
    } else {
        digits.to_owned()
    };
    i64::from_str_radix(&signed, base)
        .map(V::Int)
        .map_err(|_| syntax_detail("IntegerOverflow", "the integer does not fit in 64 bits"))
}

/// Refuses, before running, an operand of a boolean operator known not
/// to be a boolean (a literal number, string, list or map, or a variable
/// bound to such values).
fn expect_boolean(e: &Expr, scope: &Scope) -> QResult<()> {
    match static_type(e, scope) {
        None | Some("BOOLEAN") => Ok(()),
        Some(other) => Err(semantic(
            "InvalidArgumentType",
            format!("a boolean operator cannot take {other}"),
        )),
    }
}

/// Refuses, before running, a right side of `IN` known not to be a list.
fn expect_list(e: &Expr) -> QResult<()> {
    let known = match e {
        Expr::Const(V::List(_) | V::Null) | Expr::List(_) => return Ok(()),
        Expr::Const(v) => v.type_name(),
        Expr::Map(_) => "MAP",
        _ => return Ok(()),
    };
    Err(semantic(
        "InvalidArgumentType",
        format!("IN needs a list on its right, not {known}"),
    ))
}

/// `scope` with one more variable (shadowing an outer one of its name)
/// of type `ty`, and its slot.
fn bind(scope: &Scope, name: &str, ty: Option<&'static str>) -> (Scope, usize) {
    let mut inner = scope.clone();
    inner.push(name, ty);
    (inner, scope.names.len())
}

/// The type of `e`'s value when it is known before running (`None`: not
/// known, or `null`).
fn static_type(e: &Expr, scope: &Scope) -> Option<&'static str> {
    match e {
        // A temporal constant (a folded `date('...')`) is checked when it
        // runs, as the call it was written as: its arithmetic with
        // durations is valid.
        Expr::Const(V::Null | V::Temporal(_)) => None,
        Expr::Const(v) => Some(v.type_name()),
        Expr::List(_) | Expr::Comprehension { .. } => Some("LIST"),
        Expr::Map(_) | Expr::MapProjection { .. } => Some("MAP"),
        Expr::Slot(s) => scope.types.get(*s).copied().flatten(),
        Expr::IsNull(..) | Expr::Quantified { .. } | Expr::Unary(UnaryOp::Not, _) => {
            Some("BOOLEAN")
        }
        Expr::Binary(op, a, b) => match op {
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                match (static_type(a, scope)?, static_type(b, scope)?) {
                    ("INTEGER", "INTEGER") => Some("INTEGER"),
                    ("INTEGER" | "FLOAT", "INTEGER" | "FLOAT") => Some("FLOAT"),
                    _ => None,
                }
            }
            BinaryOp::Pow => Some("FLOAT"),
            _ => None,
        },
        _ => None,
    }
}

/// The type shared by every element of a list whose elements are known.
fn element_type(e: &Expr, scope: &Scope) -> Option<&'static str> {
    let types: Vec<Option<&'static str>> = match e {
        Expr::Const(V::List(items)) => items
            .iter()
            .map(|v| (!v.is_null()).then(|| v.type_name()))
            .collect(),
        Expr::List(items) => items.iter().map(|x| static_type(x, scope)).collect(),
        _ => return None,
    };
    let first = (*types.first()?)?;
    types.iter().all(|t| *t == Some(first)).then_some(first)
}

/// Refuses, before running, an arithmetic operand known not to be a
/// number.
fn expect_number(e: &Expr, scope: &Scope) -> QResult<()> {
    match static_type(e, scope) {
        None | Some("INTEGER" | "FLOAT") => Ok(()),
        Some(other) => Err(semantic(
            "InvalidArgumentType",
            format!("arithmetic cannot take {other}"),
        )),
    }
}

/// Whether the expression calls an aggregate (outside nested scopes too).
/// `text` without the spaces outside its string literals and quoted
/// names: two expressions written alike but spaced differently compare
/// equal.
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut escaped = false;
    for ch in text.chars() {
        match quote {
            Some(q) => {
                out.push(ch);
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == q {
                    quote = None;
                }
            }
            None if ch.is_whitespace() => {}
            None => {
                if matches!(ch, '\'' | '"' | '`') {
                    quote = Some(ch);
                }
                out.push(ch);
            }
        }
    }
    out
}

/// Whether `e` calls `rand()`.
fn calls_rand(e: &ast::Expr) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        if let ast::ExprKind::Function(f) = &x.kind
            && let [only] = f.name.parts.as_slice()
            && only.kind.text.eq_ignore_ascii_case("rand")
        {
            found = true;
        }
        !found
    });
    found
}

/// Whether `e` reads variable `name`.
fn mentions(e: &ast::Expr, name: &str) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        if let ast::ExprKind::Variable(v) = &x.kind
            && v.kind.text == name
        {
            found = true;
        }
        !found
    });
    found
}

fn contains_aggregate(e: &ast::Expr) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        if let ast::ExprKind::Function(f) = &x.kind {
            let name: Vec<&str> = f.name.parts.iter().map(|p| p.kind.text.as_str()).collect();
            if Aggregate::lookup(&name.join(".")).is_some() {
                found = true;
            }
        }
        true
    });
    found
}

/// Visits `e` and every expression inside it.
fn walk(e: &ast::Expr, f: &mut dyn FnMut(&ast::Expr) -> bool) {
    if !f(e) {
        return;
    }
    let mut go = |x: &ast::Expr| walk(x, f);
    match &e.kind {
        ast::ExprKind::List(items) => items.iter().for_each(&mut go),
        ast::ExprKind::Map(entries) => entries.iter().for_each(|en| go(&en.value)),
        ast::ExprKind::Parenthesized(x) | ast::ExprKind::Unary { operand: x, .. } => go(x),
        ast::ExprKind::Binary { left, right, .. } => {
            go(left);
            go(right);
        }
        ast::ExprKind::Is { expression, .. } | ast::ExprKind::Property { expression, .. } => {
            go(expression);
        }
        ast::ExprKind::Index { expression, index } => {
            go(expression);
            go(index);
        }
        ast::ExprKind::Slice {
            expression,
            lower,
            upper,
        } => {
            go(expression);
            for x in lower.iter().chain(upper) {
                go(x);
            }
        }
        ast::ExprKind::Function(fi) => fi.arguments.iter().for_each(&mut go),
        ast::ExprKind::Case(c) => {
            c.operand.iter().for_each(|x| go(x));
            for alt in &c.alternatives {
                alt.when.iter().for_each(&mut go);
                go(&alt.then);
            }
            c.else_expression.iter().for_each(|x| go(x));
        }
        ast::ExprKind::ListComprehension(lc) => {
            go(&lc.list);
            lc.predicate.iter().for_each(|x| go(x));
            lc.projection.iter().for_each(|x| go(x));
        }
        ast::ExprKind::QuantifiedPredicate(q) => {
            go(&q.list);
            go(&q.predicate);
        }
        ast::ExprKind::Reduce(r) => {
            go(&r.initial);
            go(&r.list);
            go(&r.expression);
        }
        ast::ExprKind::MapProjection(mp) => {
            go(&mp.base);
            for item in &mp.items {
                if let ast::MapProjectionItemKind::Entry(en) = &item.kind {
                    go(&en.value);
                }
            }
        }
        _ => {}
    }
}
