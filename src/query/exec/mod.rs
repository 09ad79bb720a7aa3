//! The last stage: runs a plan. Each step maps the rows of the step
//! before ([`run`], eager: writes and `PROFILE`); [`stream`] pulls a
//! read-only statement's rows in batches.

pub(crate) mod columnar;
pub(crate) mod columns;
pub(crate) mod eval;
mod fulltext;
pub(crate) mod func;
mod fusion;
pub(crate) mod graph;
mod load_csv;
pub(crate) mod matcher;
mod merge_nodes;
mod meta;
mod packed;
pub(crate) mod procs;
pub(crate) mod stream;
mod subgraph;
mod temporal;
mod vector_index;
pub(crate) mod write;
mod write_procs;

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use columns::{Column, column, members};
use eval::{Env, truth};
use graph::{Access, Graph, no_graph, resolve};
use matcher::Matcher;
use stream::{On, Part, run_parts};

use crate::GraphRead;
use crate::algo::ProjectionSpec;
use crate::graph::sealed::Sealed;
use crate::query::error::{
    Deadline, ErrorKind, QResult, QueryError, Running, check_deadline, semantic, type_error,
};
use crate::query::optimise::start::{Starts, start_of};
use crate::query::plan::clause::CallPlan;
use crate::query::plan::clause::{Batches, OnError, SubqueryPlan};
use crate::query::plan::expr::Expr;
use crate::query::plan::func::Aggregate;
use crate::query::plan::pattern::Pattern;
use crate::query::plan::user::UserProcedure;
use crate::query::plan::{Plan, ProjectItems, Step, check_count};
use crate::query::value::CypherValue as V;
use crate::query::value::{CypherValue, Params};
use crate::storage::Reads;
use crate::txn::ReadTxn;

type Row = Vec<CypherValue>;

/// What `PROFILE` measures of a step: rows produced, milliseconds and the
/// storage reads made.
pub(crate) type Measured = (u64, f64, Reads);

/// The graph expressions read, if any.
type G<'a> = Option<&'a Graph<'a>>;

/// The rows of `plan`, run on `access`, with every node and relationship
/// in them filled in (none for a statement that returns no columns).
///
/// Each branch is cut at its writing steps: the reading steps between
/// two writes run in the pipeline of [`stream`] (the one that streams
/// read-only statements), from the rows the write before made, to the
/// end — a write sees every row of the clause before it — and the write
/// then runs over all of them. Profiled, every step's rows, time and
/// storage reads are appended to `profile`, in plan order.
pub(crate) fn run(
    plan: &Arc<Plan>,
    params: &Params,
    access: &mut Access<'_, '_>,
    profile: Option<&mut Vec<Measured>>,
    run: &Running,
) -> QResult<Vec<Row>> {
    let shared = Arc::new(params.clone());
    run_from(plan, &shared, access, profile, run, &[], true)
}

/// [`run`] from a first row `input` (a subquery's imported variables),
/// with the statement's parameters shared (a subquery runs once per row:
/// its parameters are not copied each time); `resolve`: fill in the
/// nodes and relationships of the rows.
fn run_from(
    plan: &Arc<Plan>,
    shared: &Arc<Params>,
    access: &mut Access<'_, '_>,
    mut profile: Option<&mut Vec<Measured>>,
    run: &Running,
    input: &[CypherValue],
    resolve_rows: bool,
) -> QResult<Vec<Row>> {
    crate::temporal::enter_statement(run.clock);
    let params: &Params = shared;
    let mut out = Vec::new();
    for (branch, steps) in plan.branches.iter().enumerate() {
        if !run.naive
            && let Some(measured) = write::label_write(steps, params, access)?
        {
            // The branch ends with its write: it has no rows.
            if let Some(p) = profile.as_deref_mut() {
                p.extend(measured);
            }
            continue;
        }
        let mut rows = vec![input.to_vec()];
        let mut start = 0;
        // The reading steps before each write, then those after the last.
        let writes = steps.iter().enumerate().filter(|(_, s)| s.writes());
        for (end, write) in writes
            .map(|(i, s)| (i, Some(s)))
            .chain([(steps.len(), None)])
        {
            if start < end {
                let part = Part {
                    branch,
                    steps: start..end,
                    input: Some(rows),
                };
                rows = run_parts(
                    plan,
                    shared,
                    on(access),
                    run.clone(),
                    vec![part],
                    profile.as_deref_mut(),
                )?;
            }
            let Some(step) = write else { break };
            check_deadline(run.deadline.as_ref())?;
            let started = std::time::Instant::now();
            let reads_before = Reads::now();
            rows = if let Step::Subquery(s) = step {
                subquery(s, rows, shared, access, run)?
            } else {
                write::apply(step, rows, params, access, run.naive)?
            };
            if let Some(p) = profile.as_deref_mut() {
                p.push((
                    rows.len() as u64,
                    started.elapsed().as_secs_f64() * 1e3,
                    Reads::now().since(reads_before),
                ));
            }
            start = end + 1;
        }
        out.extend(rows);
    }
    if plan.columns.is_empty() {
        // A statement that ends with a write returns no rows: nothing to
        // fill in.
        return Ok(Vec::new());
    }
    if plan.branches.len() > 1 && !plan.union_all {
        distinct(&mut out);
    }
    if resolve_rows && let Some(r) = access.reader() {
        for row in &mut out {
            for v in row.iter_mut() {
                resolve(v, &r)?;
            }
        }
    }
    Ok(out)
}

/// `CALL { subquery }` over `rows`: the subquery runs from each row's
/// imported variables; the row is kept once per row it returns, with the
/// returned columns after it — once, unchanged, when it returns no
/// columns (a unit subquery, run for its writes), and with `null`s when
/// it returns no rows and the call is `OPTIONAL`. `IN TRANSACTIONS`:
/// see [`batched`].
pub(crate) fn subquery(
    s: &SubqueryPlan,
    rows: Vec<Row>,
    params: &Arc<Params>,
    access: &mut Access<'_, '_>,
    run: &Running,
) -> QResult<Vec<Row>> {
    if let Some(b) = &s.batches {
        return batched(s, b, &rows, params, access, run);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        check_deadline(run.deadline.as_ref())?;
        subquery_row(s, row, params, access, run, &mut out)?;
    }
    Ok(out)
}

/// The rows one input row makes through a subquery call, into `out`.
fn subquery_row(
    s: &SubqueryPlan,
    row: Row,
    params: &Arc<Params>,
    access: &mut Access<'_, '_>,
    run: &Running,
    out: &mut Vec<Row>,
) -> QResult<()> {
    let input: Row = s.imports.iter().map(|&i| row[i].clone()).collect();
    let found = run_from(&s.plan, params, access, None, run, &input, false)?;
    joined(s, row, found, out);
    Ok(())
}

/// `row` once per row `found` that its subquery call returned, the
/// returned columns after it (see [`subquery`]), into `out`.
fn joined(s: &SubqueryPlan, row: Row, found: Vec<Row>, out: &mut Vec<Row>) {
    let width = s.plan.columns.len();
    if width == 0 {
        out.push(row);
    } else if found.is_empty() {
        if s.optional {
            let mut row = row;
            row.resize(row.len() + width, V::Null);
            out.push(row);
        }
    } else {
        for returned in found {
            let mut next = row.clone();
            next.extend(returned);
            out.push(next);
        }
    }
}

/// `CALL { ... } IN TRANSACTIONS`: the rows in batches (1,000 rows, or
/// `OF n ROWS`), each batch's subquery runs committed before the next
/// starts, under the same writer lock. A batch that fails is rolled
/// back; then `ON ERROR FAIL` fails the statement (the batches committed
/// before stay committed), `CONTINUE` keeps the batch's rows with `null`
/// returned columns and goes on, `BREAK` does that for every row left.
/// `REPORT STATUS AS s` adds a map per row: `started`, `committed`,
/// `transactionId`, `errorMessage`. Only a statement run in a transaction
/// of its own (`Database::execute`) may commit so.
fn batched(
    s: &SubqueryPlan,
    b: &Batches,
    rows: &[Row],
    params: &Arc<Params>,
    access: &mut Access<'_, '_>,
    run: &Running,
) -> QResult<Vec<Row>> {
    if !run.implicit {
        return Err(QueryError::runtime(
            ErrorKind::SemanticError,
            "ImplicitTransactionRequired",
            "CALL { ... } IN TRANSACTIONS commits batch by batch, so it runs only in a statement \
             of its own (Database::execute), not in an explicit transaction",
        ));
    }
    let size = match &b.rows {
        None => 1000,
        Some(e) => match e.eval(&mut Env::new(&[], params, None))? {
            V::Int(n) if n > 0 => n as usize,
            other => {
                return Err(QueryError::runtime(
                    ErrorKind::ArgumentError,
                    "InvalidArgumentValue",
                    format!("IN TRANSACTIONS OF n ROWS needs a positive integer, not {other}"),
                ));
            }
        },
    };
    let width = s.plan.columns.len();
    let status = |batch: usize, started: bool, committed: bool, error: Option<&QueryError>| {
        V::Map(
            [
                ("started".to_owned(), V::Bool(started)),
                ("committed".to_owned(), V::Bool(committed)),
                (
                    "transactionId".to_owned(),
                    if started {
                        V::String(format!("batch-{}", batch + 1))
                    } else {
                        V::Null
                    },
                ),
                (
                    "errorMessage".to_owned(),
                    error.map_or(V::Null, |e| V::String(e.to_string())),
                ),
            ]
            .into(),
        )
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut broken = false;
    for (batch, chunk) in rows.chunks(size).enumerate() {
        check_deadline(run.deadline.as_ref())?;
        let failed = |out: &mut Vec<Row>, report: V| {
            for row in chunk {
                let mut row = row.clone();
                row.resize(row.len() + width, V::Null);
                if b.report {
                    row.push(report.clone());
                }
                out.push(row);
            }
        };
        if broken {
            failed(&mut out, status(batch, false, false, None));
            continue;
        }
        let savepoint = access.writer()?.savepoint();
        let mut made = Vec::new();
        let result = chunk
            .iter()
            .try_for_each(|row| subquery_row(s, row.clone(), params, access, run, &mut made));
        match result {
            Ok(()) => {
                access.writer()?.commit_and_continue()?;
                let report = status(batch, true, true, None);
                out.extend(made.into_iter().map(|mut row| {
                    if b.report {
                        row.push(report.clone());
                    }
                    row
                }));
            }
            Err(e) => {
                access.writer()?.rollback_to(savepoint);
                match b.on_error {
                    OnError::Fail => return Err(e),
                    OnError::Continue => failed(&mut out, status(batch, true, false, Some(&e))),
                    OnError::Break => {
                        failed(&mut out, status(batch, true, false, Some(&e)));
                        broken = true;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// What the pipeline reads on `access`: its snapshot, its write
/// transaction's view, or nothing.
fn on<'a>(access: &'a Access<'_, '_>) -> On<'a> {
    match access {
        Access::Read(r) => On::Snapshot(r),
        Access::Write(w) => On::View(w),
        Access::View(w) => On::View(w),
        Access::Detached => On::Detached,
    }
}

/// The rows of a branch's first two steps, a `MATCH` and the aggregation
/// after it, run together on a snapshot by the rule `ColumnarAggregate`
/// (see `columnar`) with how many matches it folded; `None` when the
/// rule does not apply or gave up.
pub(crate) fn columnar_first(
    steps: &[Step],
    params: &Params,
    access: &Access<'_, '_>,
    deadline: Option<&Deadline>,
) -> QResult<Option<(Vec<Row>, u64)>> {
    let (
        [
            Step::Match {
                aggregate: Some(shape),
                ..
            },
            Step::Project(p),
            ..,
        ],
        Access::Read(r),
    ) = (steps, access)
    else {
        return Ok(None);
    };
    let Some(out) = columnar::run(r, shape, p, params, deadline)? else {
        return Ok(None);
    };
    let graph = Graph::cached(r.reader());
    let (skip, limit) = paging(p, params, Some(&graph))?;
    let rows = finish_projection(p, out.rows, skip, limit, params, Some(&graph))?;
    Ok(Some((rows, out.matched)))
}

/// A step that only reads.
pub(crate) fn apply_read(
    step: &Step,
    rows: Vec<Row>,
    params: &Params,
    g: G<'_>,
    deadline: Option<&Deadline>,
) -> QResult<Vec<Row>> {
    match step {
        Step::Unwind(list) => {
            let mut out = Vec::new();
            for row in rows {
                check_deadline(deadline)?;
                let value = list.eval(&mut Env::new(&row, params, g))?;
                let items = match value {
                    V::Null => continue,
                    V::List(items) => items,
                    single => vec![single],
                };
                for item in items {
                    let mut next = row.clone();
                    next.push(item);
                    out.push(next);
                }
            }
            Ok(out)
        }
        Step::Project(p) => project(p, rows, params, g),
        Step::Match {
            pattern, optional, ..
        } => {
            let mut matcher = Matcher::new(g.ok_or_else(no_graph)?, params);
            matcher.deadline = deadline.cloned();
            let mut out = Vec::new();
            for row in rows {
                let before = out.len();
                matcher.run(pattern, &row, &mut |found, _| {
                    out.push(found.clone());
                    Ok(true)
                })?;
                if *optional && out.len() == before {
                    let mut row = row;
                    row.resize(pattern.width, V::Null);
                    out.push(row);
                }
            }
            Ok(out)
        }
        Step::Call(c) if !c.procedure.writes() => {
            let txn = g.and_then(Graph::txn).ok_or_else(no_graph)?;
            let mut rows = Some(rows);
            txn.read(&mut |access| call(c, rows.take().unwrap_or_default(), params, access))
        }
        Step::Subquery(s) if s.batches.is_none() && !s.plan.writes() => {
            let g = g.ok_or_else(no_graph)?;
            let mut out = Vec::new();
            for row in rows {
                check_deadline(deadline)?;
                let input: Row = s.imports.iter().map(|&i| row[i].clone()).collect();
                let found = run_query_read(&s.plan, &input, params, g, deadline)?;
                joined(s, row, found, &mut out);
            }
            Ok(out)
        }
        Step::Call(_)
        | Step::Subquery(_)
        | Step::Create(_)
        | Step::Merge(_)
        | Step::Set(_)
        | Step::Remove(_)
        | Step::Delete { .. } => Err(semantic(
            "InvalidClauseComposition",
            "an EXISTS, COUNT or COLLECT subquery cannot write",
        )),
    }
}

/// The rows of a read-only query (a subquery expression's, or a `CALL`
/// subquery's inside one) run from `row`: every branch's, without
/// duplicates when the branches are joined by `UNION`.
pub(crate) fn run_query_read(
    plan: &Plan,
    row: &Row,
    params: &Params,
    g: &Graph<'_>,
    deadline: Option<&Deadline>,
) -> QResult<Vec<Row>> {
    let mut out = Vec::new();
    for steps in &plan.branches {
        let mut rows = vec![row.clone()];
        for step in steps {
            rows = apply_read(step, rows, params, Some(g), deadline)?;
        }
        out.extend(rows);
    }
    if plan.branches.len() > 1 && !plan.union_all {
        distinct(&mut out);
    }
    Ok(out)
}

/// Property columns by key.
pub(crate) type Columns = FxHashMap<String, Arc<Column>>;

/// What a counted match does with each row, its weight and the graph to
/// read the row's properties from.
pub(crate) type CountedEmit<'e> = dyn FnMut(&Row, u64, G<'_>) -> QResult<()> + 'e;

/// Runs a match whose last hop is counted, calling `emit` with each row
/// once and its weight. On a snapshot, a match that scans for its start
/// node reads the start label's members from the member cache, counts
/// the hop in the snapshot's in-memory projection of the hop's edge
/// types (found in the projection cache, or built and cached: O(V + E)
/// once, until the next commit), and reads the properties that `next`
/// (its aggregation) reads from columns: returned, for the rest of the
/// aggregation.
pub(crate) fn counted_each(
    pattern: &Pattern,
    next: Option<&ProjectItems>,
    rows: Vec<Row>,
    params: &Params,
    access: &Access<'_, '_>,
    deadline: Option<&Deadline>,
    emit: &mut CountedEmit<'_>,
) -> QResult<Columns> {
    let reader = access.reader().ok_or_else(no_graph)?;
    let mut columns = FxHashMap::default();
    let mut degrees = None;
    let mut members = None;
    if let (Access::Read(r), [chain]) = (access, pattern.chains.as_slice())
        && rows.len() == 1
        && !chain.nodes[chain.start].earlier
        && let Some(rp) = chain.rels.first()
    {
        // A whole-label (or whole-graph) aggregation.
        let spec = ProjectionSpec::new().edge_types(rp.types.iter().cloned());
        degrees = Some(r.projection_of_snapshot(&spec)?);
        if whole_label(r, pattern, next, &mut columns)? {
            members = Some(*r);
        }
    }
    let graph = Graph::cached(reader)
        .with_columns(columns.clone())
        .with_txn(access.txn());
    let mut matcher = Matcher::new(&graph, params);
    matcher.deadline = deadline.cloned();
    matcher.degrees = degrees;
    matcher.members = members;
    matcher.counts_tail = true;
    for row in rows {
        matcher.run(pattern, &row, &mut |found, w| {
            emit(found, w, Some(&graph))?;
            Ok(true)
        })?;
    }
    Ok(columns)
}

/// For a match from no earlier row whose rows all go to `next` (an
/// aggregation or a sort, which takes every one): whether its first
/// chain starts at a scan of a label (whose cached member list the match
/// can then read). When that label holds at least an eighth of the
/// snapshot's nodes, adds to `columns` those of the properties the match
/// and `next` read: a column costs one pass over every node record,
/// reading fewer records one by one costs less.
pub(crate) fn whole_label(
    r: &ReadTxn<'_>,
    pattern: &Pattern,
    next: Option<&ProjectItems>,
    columns: &mut Columns,
) -> QResult<bool> {
    let Some(c) = pattern.chains.first() else {
        return Ok(false);
    };
    if c.shortest.is_some() || c.nodes.iter().any(|n| n.earlier) {
        return Ok(false);
    }
    let np = &c.nodes[start_of(r.reader(), c, &mut Starts::default())?];
    let Some(label) = np.labels.first().filter(|_| np.props.is_empty()) else {
        return Ok(false);
    };
    let size = members(r, label)?.len() as u64;
    if size.saturating_mul(8) >= r.node_count()? {
        let mut keys = Vec::new();
        if let Some(f) = &pattern.filter {
            f.property_keys(&mut keys);
        }
        if let Some(p) = next {
            p.property_keys(&mut keys);
        }
        keys.sort();
        keys.dedup();
        for key in keys {
            if let Entry::Vacant(slot) = columns.entry(key) {
                let c = column(r, slot.key())?;
                slot.insert(c);
            }
        }
    }
    Ok(true)
}

pub(crate) fn call(
    c: &CallPlan,
    rows: Vec<Row>,
    params: &Params,
    access: &Access<'_, '_>,
) -> QResult<Vec<Row>> {
    let mut out = Vec::new();
    let graph = access.graph();
    for row in rows {
        let args = {
            let mut env = Env::new(&row, params, graph.as_ref());
            c.args
                .iter()
                .map(|a| a.eval(&mut env))
                .collect::<QResult<Vec<_>>>()?
        };
        let produced = match &c.user {
            Some(user) => call_user(user, args)?,
            None => c.procedure.call(&args, access)?,
        };
        if c.outputs.is_empty() {
            // A procedure that yields nothing passes each row on once.
            out.push(row);
        } else {
            yielded(c, &row, produced, params, graph.as_ref(), &mut out)?;
        }
    }
    Ok(out)
}

/// A registered procedure's rows for `args`: each argument made its
/// input's type (a `TypeError` when it is not one), each row checked to
/// hold a value per output; the function's own failure is a
/// `ProcedureCallFailed` error.
fn call_user(user: &UserProcedure, args: Vec<CypherValue>) -> QResult<Vec<Row>> {
    let args = args
        .into_iter()
        .zip(&user.inputs)
        .map(|(v, (input, ty))| {
            let kind = v.type_name();
            ty.accept(v).ok_or_else(|| {
                type_error(format!(
                    "{}: argument {input} is {ty:?}, not {kind}",
                    user.name
                ))
            })
        })
        .collect::<QResult<Vec<_>>>()?;
    let failed = |message: String| {
        QueryError::runtime(ErrorKind::ProcedureError, "ProcedureCallFailed", message)
    };
    let rows = (user.body)(&args).map_err(|m| failed(format!("{}: {m}", user.name)))?;
    if let Some(bad) = rows.iter().find(|r| r.len() != user.outputs.len()) {
        return Err(failed(format!(
            "{} returned a row of {} values for its {} outputs",
            user.name,
            bad.len(),
            user.outputs.len()
        )));
    }
    Ok(rows)
}

/// `row` once per row a procedure yielded, the call's output columns
/// after it, where `YIELD ... WHERE` holds, into `out`.
pub(crate) fn yielded(
    c: &CallPlan,
    row: &Row,
    produced: Vec<Row>,
    params: &Params,
    g: G<'_>,
    out: &mut Vec<Row>,
) -> QResult<()> {
    for values in produced {
        let mut next = row.clone();
        next.extend(c.outputs.iter().map(|&i| values[i].clone()));
        if let Some(f) = &c.filter
            && truth(&f.eval(&mut Env::new(&next, params, g))?)? != Some(true)
        {
            continue;
        }
        out.push(next);
    }
    Ok(())
}

pub(crate) fn project(
    p: &ProjectItems,
    rows: Vec<Row>,
    params: &Params,
    g: G<'_>,
) -> QResult<Vec<Row>> {
    let (skip, limit) = paging(p, params, g)?;
    // A plain projection pages its input: the rows it drops are not
    // projected.
    let plain = p.grouping.is_none() && !p.distinct && p.order.is_empty() && p.filter.is_none();
    let (rows, skip, limit) = if plain {
        let rows: Vec<Row> = rows
            .into_iter()
            .skip(skip)
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        (rows, 0, None)
    } else {
        (rows, skip, limit)
    };
    let out = match &p.grouping {
        None => project_items(p, rows, params, g)?,
        Some(keys) => {
            let mut groups = Aggregator::new(p, keys);
            groups.feed(rows, params, g)?;
            groups.finish(params, g)?
        }
    };
    finish_projection(p, out, skip, limit, params, g)
}

/// Each row's projected items, with the input row after them when
/// `ORDER BY` reads it.
pub(crate) fn project_items(
    p: &ProjectItems,
    rows: Vec<Row>,
    params: &Params,
    g: G<'_>,
) -> QResult<Vec<Row>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut env = Env::new(&row, params, g);
        let mut next = Vec::with_capacity(p.items.len() + row.len());
        for item in &p.items {
            next.push(item.eval(&mut env)?);
        }
        if p.order_sees_input {
            next.extend(row.iter().cloned());
        }
        out.push(next);
    }
    Ok(out)
}

/// The rest of a projection once its items are projected (`out`):
/// `DISTINCT`, `ORDER BY`, `SKIP`, `LIMIT` and `WHERE`.
pub(crate) fn finish_projection(
    p: &ProjectItems,
    mut out: Vec<Row>,
    skip: usize,
    limit: Option<usize>,
    params: &Params,
    g: G<'_>,
) -> QResult<Vec<Row>> {
    if p.distinct {
        distinct(&mut out);
    }
    if !p.order.is_empty() {
        let keep = limit.map(|l| skip.saturating_add(l));
        out = ordered(p, out, keep, params, g)?;
    }
    let mut kept = Vec::new();
    for row in out.into_iter().skip(skip).take(limit.unwrap_or(usize::MAX)) {
        if let Some(row) = filtered(p, row, params, g)? {
            kept.push(row);
        }
    }
    Ok(kept)
}

/// `rows` in the projection's `ORDER BY` order; with `keep`, only the
/// first `keep` of them (selected before sorting).
pub(crate) fn ordered(
    p: &ProjectItems,
    rows: Vec<Row>,
    keep: Option<usize>,
    params: &Params,
    g: G<'_>,
) -> QResult<Vec<Row>> {
    // Keys that are projected items (`ORDER BY alias`) are compared in
    // place, with no key copied out of a row.
    let slots: Option<Vec<(usize, bool)>> = p
        .order
        .iter()
        .map(|(e, descending)| match e {
            Expr::Slot(i) => Some((*i, *descending)),
            _ => None,
        })
        .collect();
    if let Some(slots) = slots
        && rows.iter().all(|r| slots.iter().all(|(i, _)| *i < r.len()))
    {
        return Ok(sorted_first(rows, keep, |a, b| {
            by_keys(
                slots
                    .iter()
                    .map(|&(i, descending)| (&a[i], &b[i], descending)),
            )
        }));
    }
    let mut keyed = Vec::with_capacity(rows.len());
    for row in rows {
        let mut env = Env::new(&row, params, g);
        let key = p
            .order
            .iter()
            .map(|(e, _)| e.eval(&mut env))
            .collect::<QResult<Vec<_>>>()?;
        keyed.push((key, row));
    }
    let keyed = sorted_first(keyed, keep, |(a, _), (b, _)| {
        by_keys(
            a.iter()
                .zip(b)
                .zip(&p.order)
                .map(|((x, y), (_, descending))| (x, y, *descending)),
        )
    });
    Ok(keyed.into_iter().map(|(_, row)| row).collect())
}

/// Compares two rows' sort keys, given side by side with whether each is
/// descending.
pub(crate) fn by_keys<'v>(
    keys: impl Iterator<Item = (&'v CypherValue, &'v CypherValue, bool)>,
) -> std::cmp::Ordering {
    for (x, y, descending) in keys {
        let o = x.order(y);
        let o = if descending { o.reverse() } else { o };
        if o.is_ne() {
            return o;
        }
    }
    std::cmp::Ordering::Equal
}

/// `items` sorted by `cmp`; with `keep`, only the first `keep` of them,
/// selected before sorting. When few are wanted of many, each item is
/// compared with the worst kept so far and dropped unless it beats it.
fn sorted_first<T>(
    items: Vec<T>,
    keep: Option<usize>,
    mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering,
) -> Vec<T> {
    let mut items = match keep {
        Some(keep) if keep > 0 && keep.saturating_mul(8) < items.len() => {
            let mut best = Vec::with_capacity(2 * keep);
            // Once cut to `keep`, `best[keep - 1]` is the worst kept.
            let mut cut = false;
            for item in items {
                if cut && cmp(&item, &best[keep - 1]).is_ge() {
                    continue;
                }
                best.push(item);
                if best.len() == 2 * keep {
                    select_first(&mut best, Some(keep), &mut cmp);
                    cut = true;
                }
            }
            select_first(&mut best, Some(keep), &mut cmp);
            best
        }
        _ => {
            let mut items = items;
            select_first(&mut items, keep, &mut cmp);
            items
        }
    };
    items.sort_by(cmp);
    items
}

/// Cuts `items` to the first `keep` by `cmp` (unsorted), if `keep` is
/// given and smaller.
fn select_first<T>(
    items: &mut Vec<T>,
    keep: Option<usize>,
    mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering,
) {
    if let Some(keep) = keep
        && keep < items.len()
    {
        if keep == 0 {
            items.clear();
        } else {
            items.select_nth_unstable_by(keep - 1, &mut cmp);
            items.truncate(keep);
        }
    }
}

/// A projected row cut to the projection's items, if it passes the
/// projection's `WHERE`.
pub(crate) fn filtered(
    p: &ProjectItems,
    mut row: Row,
    params: &Params,
    g: G<'_>,
) -> QResult<Option<Row>> {
    if let Some(f) = &p.filter
        && truth(&f.eval(&mut Env::new(&row, params, g))?)? != Some(true)
    {
        return Ok(None);
    }
    row.truncate(p.items.len());
    Ok(Some(row))
}

/// A projection's `SKIP` and `LIMIT` values.
pub(crate) fn paging(
    p: &ProjectItems,
    params: &Params,
    g: G<'_>,
) -> QResult<(usize, Option<usize>)> {
    let count = |e: &Option<Expr>, clause: &str| -> QResult<Option<usize>> {
        e.as_ref()
            .map(|e| check_count(&e.eval(&mut Env::new(&[], params, g))?, clause))
            .transpose()
    };
    Ok((
        count(&p.skip, "SKIP")?.unwrap_or(0),
        count(&p.limit, "LIMIT")?,
    ))
}

/// Values a `min` or `max` keeps before folding them to one.
const FOLD_AT: usize = 1024;

/// What one aggregate of one group has gathered.
#[derive(Default)]
struct Fold {
    values: Vec<CypherValue>,
    /// Rows a count stands for beyond the values it kept.
    counted: u64,
    /// What few aggregates need, apart to keep a fold small.
    rare: Option<Box<Rare>>,
}

/// What a `DISTINCT` aggregate or a percentile needs.
#[derive(Default)]
struct Rare {
    /// The values seen, for `DISTINCT`.
    seen: FxHashSet<Vec<u8>>,
    /// The second argument (a percentile), from the first row with a
    /// value.
    second: Option<CypherValue>,
}

/// Groups rows by a projection's grouping items and folds its aggregates
/// per group, fed a batch or a row at a time. A group holds its first
/// row, its keys and what its aggregates need: a count only its number,
/// `min` / `max` at most [`FOLD_AT`] values, `DISTINCT` the values seen;
/// `sum`, `avg`, `collect` and the rest every value.
pub(crate) struct Aggregator<'p> {
    p: &'p ProjectItems,
    keys: &'p [bool],
    /// How many groups there are.
    groups: usize,
    /// The key values of group `i`: `key_values[i * keys..][..keys]`
    /// (`keys` counting the key items).
    key_values: Vec<CypherValue>,
    /// Each group's first row (its non-key items may read it), when
    /// `keep_first`.
    firsts: Vec<Row>,
    /// The folds of group `i`: `folds[i * aggregates..][..aggregates]`.
    folds: Vec<Fold>,
    /// Group numbers by the hash of their encoded keys, which lie end to
    /// end in `key_bytes`: group `i`'s ends at `key_ends[i]`.
    index: HashTable<usize>,
    hashes: Vec<u64>,
    key_bytes: Vec<u8>,
    key_ends: Vec<usize>,
    /// Buffers reused from row to row: the encoded key, the key values,
    /// each aggregate's arguments.
    key: Vec<u8>,
    row_keys: Vec<CypherValue>,
    arguments: Vec<(CypherValue, Option<CypherValue>)>,
    /// Whether a non-key item reads more than its aggregate, so a group
    /// keeps its first row.
    keep_first: bool,
}

impl<'p> Aggregator<'p> {
    pub fn new(p: &'p ProjectItems, keys: &'p [bool]) -> Aggregator<'p> {
        Aggregator {
            p,
            keys,
            groups: 0,
            key_values: Vec::new(),
            firsts: Vec::new(),
            folds: Vec::new(),
            index: HashTable::new(),
            hashes: Vec::new(),
            key_bytes: Vec::new(),
            key_ends: Vec::new(),
            key: Vec::new(),
            row_keys: Vec::new(),
            arguments: Vec::with_capacity(p.aggregates.len()),
            keep_first: p
                .items
                .iter()
                .zip(keys)
                .any(|(item, is_key)| !is_key && !matches!(item, Expr::Aggregate(_))),
        }
    }

    /// Folds `rows` (each standing for `weights[i]` equal rows, if given).
    pub fn feed(&mut self, rows: Vec<Row>, params: &Params, g: G<'_>) -> QResult<()> {
        for row in rows {
            self.fold(Cow::Owned(row), 1, params, g)?;
        }
        Ok(())
    }

    /// Folds one row standing for `weight` equal rows; a borrowed row is
    /// copied only when it starts a group.
    pub fn fold(
        &mut self,
        row: Cow<'_, Row>,
        weight: u64,
        params: &Params,
        g: G<'_>,
    ) -> QResult<()> {
        let p = self.p;
        self.key.clear();
        self.row_keys.clear();
        self.arguments.clear();
        {
            let mut env = Env::new(&row, params, g);
            for (item, is_key) in p.items.iter().zip(self.keys) {
                if *is_key {
                    let v = item.eval(&mut env)?;
                    encode(&v, &mut self.key);
                    self.row_keys.push(v);
                }
            }
            for spec in &p.aggregates {
                let value = match &spec.argument {
                    None => V::Bool(true),
                    Some(e) => e.eval(&mut env)?,
                };
                let second = match &spec.second {
                    Some(s) if !value.is_null() => Some(s.eval(&mut env)?),
                    _ => None,
                };
                self.arguments.push((value, second));
            }
        }
        let hash = FxBuildHasher.hash_one(self.key.as_slice());
        let (key_bytes, key_ends) = (&self.key_bytes, &self.key_ends);
        let key_of =
            |g: usize| &key_bytes[g.checked_sub(1).map_or(0, |p| key_ends[p])..key_ends[g]];
        let at = if let Some(&at) = self.index.find(hash, |&g| key_of(g) == self.key) {
            at
        } else {
            if self.keep_first {
                self.firsts.push(row.into_owned());
            }
            self.key_values.append(&mut self.row_keys);
            let at = self.groups;
            self.groups += 1;
            self.folds
                .resize_with(self.groups * p.aggregates.len(), Fold::default);
            self.key_bytes.extend_from_slice(&self.key);
            self.key_ends.push(self.key_bytes.len());
            self.hashes.push(hash);
            let hashes = &self.hashes;
            self.index.insert_unique(hash, at, |&g| hashes[g]);
            at
        };
        let folds = &mut self.folds[at * p.aggregates.len()..][..p.aggregates.len()];
        for ((spec, fold), (value, second)) in
            p.aggregates.iter().zip(folds).zip(self.arguments.drain(..))
        {
            if value.is_null() {
                continue;
            }
            if second.is_some() || spec.distinct {
                let rare = fold.rare.get_or_insert_default();
                if rare.second.is_none() {
                    rare.second = second;
                }
                if spec.distinct {
                    let mut k = Vec::new();
                    encode(&value, &mut k);
                    if rare.seen.insert(k) {
                        fold.values.push(value);
                    }
                    continue;
                }
            }
            // A weighted row stands for `weight` equal rows.
            match spec.function {
                Aggregate::Count | Aggregate::CountStar => fold.counted += weight,
                Aggregate::Min | Aggregate::Max => {
                    fold.values.push(value);
                    if fold.values.len() >= FOLD_AT {
                        let folded = std::mem::take(&mut fold.values);
                        fold.values.push(spec.function.finish(folded, None)?);
                    }
                }
                _ => {
                    for _ in 1..weight {
                        fold.values.push(value.clone());
                    }
                    fold.values.push(value);
                }
            }
        }
        Ok(())
    }

    /// One row per group (one of empty aggregates when nothing came and
    /// nothing is grouped on).
    pub fn finish(mut self, params: &Params, g: G<'_>) -> QResult<Vec<Row>> {
        let p = self.p;
        let width = p.aggregates.len();
        if self.groups == 0 && !self.keys.iter().any(|k| *k) {
            self.groups = 1;
            self.firsts.push(Vec::new());
            self.folds.resize_with(width, Fold::default);
        }
        let mut out = Vec::with_capacity(self.groups);
        let mut results = Vec::with_capacity(width);
        let mut folds = self.folds.into_iter();
        let mut key_values = self.key_values.into_iter();
        let mut firsts = self.firsts.into_iter();
        for _ in 0..self.groups {
            results.clear();
            for (spec, fold) in p.aggregates.iter().zip(folds.by_ref().take(width)) {
                let extra = fold.counted;
                let second = fold.rare.and_then(|r| r.second);
                results.push(match spec.function.finish(fold.values, second.as_ref())? {
                    V::Int(n) if extra > 0 => V::Int(n + extra as i64),
                    other => other,
                });
            }
            let first = if self.keep_first {
                firsts.next().unwrap_or_default()
            } else {
                Vec::new()
            };
            let mut env = Env::new(&first, params, g);
            env.aggregates = &results;
            let mut row = Vec::with_capacity(p.items.len());
            for (item, is_key) in p.items.iter().zip(self.keys) {
                row.push(if *is_key {
                    key_values.next().unwrap_or(V::Null)
                } else {
                    item.eval(&mut env)?
                });
            }
            out.push(row);
        }
        Ok(out)
    }
}

/// Removes rows equivalent to an earlier one.
fn distinct(rows: &mut Vec<Row>) {
    keep_unseen(rows, &mut FxHashSet::default(), usize::MAX);
}

/// Keeps the rows whose first `width` values are not equivalent to those
/// of a row in `seen` (or kept before them), adding them to `seen`.
pub(crate) fn keep_unseen(rows: &mut Vec<Row>, seen: &mut FxHashSet<Vec<u8>>, width: usize) {
    rows.retain(|row| {
        let mut key = Vec::new();
        for v in &row[..width.min(row.len())] {
            encode(v, &mut key);
        }
        seen.insert(key)
    });
}

/// A canonical encoding: equal exactly for equivalent values (`1` and
/// `1.0`, `null` and `null`, every `NaN`).
pub(crate) fn encode(v: &CypherValue, out: &mut Vec<u8>) {
    match v {
        V::Null => out.push(0),
        V::Bool(b) => out.extend([1, u8::from(*b)]),
        V::Int(i) => {
            out.push(2);
            out.extend(i.to_le_bytes());
        }
        V::Float(f) => {
            if f.is_nan() {
                out.push(3);
            } else if f.fract() == 0.0 && f.abs() < 9.2e18 {
                out.push(2);
                out.extend((*f as i64).to_le_bytes());
            } else {
                out.push(4);
                out.extend(f.to_bits().to_le_bytes());
            }
        }
        V::String(s) => {
            out.push(5);
            out.extend((s.len() as u64).to_le_bytes());
            out.extend(s.as_bytes());
        }
        V::Bytes(b) => {
            out.push(6);
            out.extend((b.len() as u64).to_le_bytes());
            out.extend(b);
        }
        V::List(items) => {
            out.push(7);
            out.extend((items.len() as u64).to_le_bytes());
            for item in items {
                encode(item, out);
            }
        }
        V::Map(m) => {
            out.push(8);
            out.extend((m.len() as u64).to_le_bytes());
            for (k, item) in m {
                out.extend((k.len() as u64).to_le_bytes());
                out.extend(k.as_bytes());
                encode(item, out);
            }
        }
        V::Node(n) => {
            out.push(9);
            out.extend(n.id.0.to_le_bytes());
        }
        V::Relationship(r) => {
            out.push(10);
            out.extend(r.id.0.to_le_bytes());
        }
        V::Path(p) => {
            out.push(11);
            out.extend((p.nodes.len() as u64).to_le_bytes());
            for n in &p.nodes {
                out.extend(n.id.0.to_le_bytes());
            }
            for r in &p.relationships {
                out.extend(r.id.0.to_le_bytes());
            }
        }
        V::Temporal(t) => {
            // The text is one-to-one with the value.
            let text = t.to_string();
            out.push(12);
            out.extend((text.len() as u64).to_le_bytes());
            out.extend(text.as_bytes());
        }
    }
}
