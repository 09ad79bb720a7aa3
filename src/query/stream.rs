//! Streams the rows of a read-only statement on a snapshot.
//!
//! The steps of a plan pull batches of rows from the step before them,
//! so a statement's rows are produced as they are consumed: a `MATCH`
//! that starts at a scan resumes it a few start nodes at a time, a plain
//! `WITH` / `RETURN` projects each batch and stops pulling once its
//! `LIMIT` is reached, an aggregation folds batch after batch. Only the
//! steps that need all their input hold it: an aggregation (its groups),
//! `ORDER BY` (the rows it orders; with a `LIMIT`, only the rows that can
//! still be returned), `DISTINCT` (the rows it has seen), and a
//! `MATCH` whose last hop is counted (see `exec::counted_match`).
//!
//! Statements that write, and `EXPLAIN` / `PROFILE`, run to the end
//! first (`exec::run`): a write clause sees all the rows of the clause
//! before it.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::compile::{Plan, ProjectItems, Step};
use super::error::{Deadline, QResult, QueryError, Running, check_deadline, unsupported};
use super::exec::{
    Aggregator, Columns, apply_read, call, columnar_first, counted_each, counted_match, filtered,
    finish_projection, keep_unseen, ordered, paging, project_items, replicate, whole_label,
};
use super::expr::{Env, Params};
use super::graph::{Access, Graph, resolve};
use super::pattern::{Matcher, Pattern, Scan};
use super::value::CypherValue;
use super::{PlanStep, QueryResult};
use crate::graph::read::Reader;
use crate::graph::sealed::Sealed;
use crate::txn::{ReadTxn, WriteTxn};

type Row = Vec<CypherValue>;

/// Rows a step hands on at a time (a start node of a scan with more
/// matches than this hands on all of them).
const BATCH: usize = 1024;

/// Start nodes a scan tries between two looks at the batch it fills.
const STARTS: usize = 64;

/// The rows of a statement, produced as they are read: an iterator of
/// rows (each with one value per column), with the column names.
///
/// A statement that fails while running yields its error as the next
/// item, and nothing after it (rows are made a batch at a time: rows of
/// the failing batch before the failing one are not yielded). [`QueryRows::collect_result`] gathers the
/// rest into a [`QueryResult`].
pub struct QueryRows<'t> {
    columns: Vec<String>,
    plan: Option<Vec<PlanStep>>,
    source: Source<'t>,
}

enum Source<'t> {
    /// Rows already produced (a statement that wrote, or was profiled).
    Ready(std::vec::IntoIter<Row>),
    /// A read-only statement, running.
    Running(Box<Pipeline<'t>>),
    /// Failed or finished.
    Done,
}

impl<'t> QueryRows<'t> {
    /// The rows of a statement that already ran.
    pub(crate) fn ready(result: QueryResult) -> QueryRows<'t> {
        QueryRows {
            columns: result.columns,
            plan: result.plan,
            source: Source::Ready(result.rows.into_iter()),
        }
    }

    /// The rows of `plan`, read-only, as they are pulled from `txn`.
    pub(crate) fn stream(
        plan: Arc<Plan>,
        params: &Params,
        on: On<'t>,
        run: Running,
    ) -> QueryRows<'t> {
        let branches = plan.branches.len();
        QueryRows {
            columns: plan.columns.clone(),
            plan: None,
            source: Source::Running(Box::new(Pipeline {
                states: Vec::new(),
                union_seen: (branches > 1 && !plan.union_all).then(FxHashSet::default),
                plan,
                params: Arc::new(params.clone()),
                on,
                deadline: run.deadline,
                naive: run.naive,
                branch: 0,
                source_used: false,
                buffer: VecDeque::new(),
                columns: Columns::default(),
            })),
        }
    }

    /// The column names, in order.
    #[must_use]
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The plan of an `EXPLAIN` or `PROFILE` statement (see
    /// [`QueryResult::plan`]).
    #[must_use]
    pub fn plan(&self) -> Option<&[PlanStep]> {
        self.plan.as_deref()
    }

    /// The remaining rows, collected (the first error, if any).
    pub fn collect_result(mut self) -> Result<QueryResult, QueryError> {
        let rows = self.by_ref().collect::<Result<Vec<_>, _>>()?;
        Ok(QueryResult {
            columns: self.columns,
            rows,
            plan: self.plan,
        })
    }
}

impl Iterator for QueryRows<'_> {
    type Item = Result<Vec<CypherValue>, QueryError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = match &mut self.source {
            Source::Ready(rows) => return rows.next().map(Ok),
            Source::Running(p) => p.next_row(),
            Source::Done => return None,
        };
        match next {
            Ok(Some(row)) => Some(Ok(row)),
            Ok(None) => {
                self.source = Source::Done;
                None
            }
            Err(e) => {
                self.source = Source::Done;
                Some(Err(e))
            }
        }
    }
}

/// What a step keeps between two pulls.
#[derive(Default)]
enum State<'t> {
    /// Nothing yet.
    #[default]
    Fresh,
    /// A `MATCH` (or an `UNWIND` / `CALL`, with no scan): its input rows
    /// not yet used, and the scan of the current one.
    Feeding {
        pending: VecDeque<Row>,
        scan: Option<Scanning<'t>>,
        /// A first `MATCH` that reads a whole label: its start label's
        /// members come from the member cache.
        whole: bool,
    },
    /// A streamed projection.
    Paging(Paging),
    /// All its rows handed on.
    Drained,
}

/// A streamed projection's `SKIP` and `LIMIT`, the rows skipped and
/// taken so far, and (`DISTINCT`) the rows seen.
struct Paging {
    skip: usize,
    limit: Option<usize>,
    skipped: usize,
    taken: usize,
    seen: FxHashSet<Vec<u8>>,
}

impl Paging {
    /// Whether the `LIMIT` is reached.
    fn full(&self) -> bool {
        self.limit.is_some_and(|l| self.taken >= l)
    }

    /// The rows of `rows` past the `SKIP` and within the `LIMIT`.
    fn page(&mut self, rows: Vec<Row>) -> Vec<Row> {
        let drop = (self.skip - self.skipped).min(rows.len());
        self.skipped += drop;
        let room = self.limit.map_or(usize::MAX, |l| l - self.taken);
        let kept: Vec<Row> = rows.into_iter().skip(drop).take(room).collect();
        self.taken += kept.len();
        kept
    }
}

/// A scan under way for one input row of a `MATCH`.
struct Scanning<'t> {
    scan: Scan<'t>,
    /// The input row (an `OPTIONAL MATCH` keeps it when nothing matched).
    input: Row,
    found: bool,
}

/// What a streamed statement reads: a snapshot, or a write transaction's
/// view (its own writes included).
#[derive(Clone, Copy)]
pub(crate) enum On<'t> {
    Snapshot(&'t ReadTxn<'t>),
    View(&'t WriteTxn<'t>),
}

impl<'t> On<'t> {
    fn reader(self) -> Reader<'t> {
        match self {
            On::Snapshot(r) => r.reader(),
            On::View(w) => w.reader(),
        }
    }

    pub(crate) fn access(self) -> Access<'t, 't> {
        match self {
            On::Snapshot(r) => Access::Read(r),
            On::View(w) => Access::View(w),
        }
    }

    /// The snapshot, whose cached member lists, columns and projections a
    /// statement may read.
    fn snapshot(self) -> Option<&'t ReadTxn<'t>> {
        match self {
            On::Snapshot(r) => Some(r),
            On::View(_) => None,
        }
    }
}

/// A running read-only statement.
struct Pipeline<'t> {
    plan: Arc<Plan>,
    params: Arc<Params>,
    on: On<'t>,
    deadline: Option<Deadline>,
    /// Without the optimiser's rules (`QueryOptions::naive`).
    naive: bool,
    /// The `UNION` branch running.
    branch: usize,
    /// Per step of the branch.
    states: Vec<State<'t>>,
    /// Whether the branch's one empty input row was handed out.
    source_used: bool,
    buffer: VecDeque<Row>,
    /// The rows returned so far, for `UNION` without `ALL`.
    union_seen: Option<FxHashSet<Vec<u8>>>,
    /// Property columns of the snapshot that steps read from (see
    /// `exec::whole_label`).
    columns: Columns,
}

impl<'t> Pipeline<'t> {
    /// The graph a step reads: the snapshot, with the columns read so far.
    fn graph(&self) -> Graph<'t> {
        Graph::cached(self.on.reader()).with_columns(self.columns.clone())
    }

    fn next_row(&mut self) -> QResult<Option<Row>> {
        loop {
            if let Some(row) = self.buffer.pop_front() {
                return Ok(Some(row));
            }
            let Some(steps) = self.plan.branches.get(self.branch) else {
                return Ok(None);
            };
            let last = steps.len();
            if self.states.is_empty() {
                self.states = (0..last).map(|_| State::Fresh).collect();
                self.source_used = false;
            }
            let Some(mut rows) = self.pull(last)? else {
                self.branch += 1;
                self.states.clear();
                continue;
            };
            if let Some(seen) = &mut self.union_seen {
                keep_unseen(&mut rows, seen, usize::MAX);
            }
            if self.plan.columns.is_empty() {
                continue;
            }
            let r = self.on.reader();
            for row in &mut rows {
                for v in row.iter_mut() {
                    resolve(v, &r)?;
                }
            }
            self.buffer.extend(rows);
        }
    }

    /// The next batch of rows out of the first `k` steps (`k == 0`: the
    /// branch's one empty row), `None` once they are all handed on. A
    /// batch handed on is never empty.
    fn pull(&mut self, k: usize) -> QResult<Option<Vec<Row>>> {
        check_deadline(self.deadline)?;
        if k == 0 {
            let first = !self.source_used;
            self.source_used = true;
            return Ok(first.then(|| vec![Vec::new()]));
        }
        if matches!(self.states[k - 1], State::Drained) {
            return Ok(None);
        }
        let plan = Arc::clone(&self.plan);
        let steps = &plan.branches[self.branch];
        match &steps[k - 1] {
            Step::Project(p) if p.grouping.is_some() && k >= 2 => {
                if k == 2
                    && !self.naive
                    && let Some(rows) = self.columnar(steps)?
                {
                    return Ok((!rows.is_empty()).then_some(rows));
                }
                match &steps[k - 2] {
                    Step::Match { pattern, .. } if pattern.count_tail && !self.naive => {
                        self.counted(k, pattern, Some(p))
                    }
                    _ => self.gathered(k, p),
                }
            }
            Step::Project(p) if p.grouping.is_some() || !p.order.is_empty() => self.gathered(k, p),
            Step::Project(p) => self.paged(k, p),
            Step::Match { pattern, .. } if pattern.count_tail && !self.naive => {
                self.counted(k, pattern, None)
            }
            Step::Match {
                pattern, optional, ..
            } => self.matched(k, pattern, *optional),
            step @ (Step::Unwind(_) | Step::Call(_)) => self.expanded(k, step),
            _ => Err(unsupported("a write clause in a read-only statement")),
        }
    }

    /// Step `k - 1`, an `UNWIND` or a `CALL`: each input row to as many
    /// rows as its list or procedure gives, input row by input row until
    /// about [`BATCH`] rows are made.
    fn expanded(&mut self, k: usize, step: &Step) -> QResult<Option<Vec<Row>>> {
        let mut pending = match std::mem::take(&mut self.states[k - 1]) {
            State::Feeding { pending, .. } => pending,
            _ => VecDeque::new(),
        };
        let mut out = Vec::new();
        while out.len() < BATCH {
            let Some(row) = pending.pop_front() else {
                if !out.is_empty() {
                    break;
                }
                if !self.refill(k, &mut pending)? {
                    return Ok(None);
                }
                continue;
            };
            check_deadline(self.deadline)?;
            out.extend(if let Step::Call(c) = step {
                call(c, vec![row], &self.params, &self.on.access())?
            } else {
                let graph = self.graph();
                apply_read(step, vec![row], &self.params, Some(&graph), None, None)?
            });
        }
        self.states[k - 1] = State::Feeding {
            pending,
            scan: None,
            whole: false,
        };
        Ok(Some(out))
    }

    /// Pulls the next batch of input of step `k - 1` into `pending`;
    /// `false` (the step drained) when there is none.
    fn refill(&mut self, k: usize, pending: &mut VecDeque<Row>) -> QResult<bool> {
        let Some(rows) = self.pull(k - 1)? else {
            self.states[k - 1] = State::Drained;
            return Ok(false);
        };
        pending.extend(rows);
        Ok(true)
    }

    /// Every row out of the first `k` steps.
    fn pull_all(&mut self, k: usize) -> QResult<Vec<Row>> {
        let mut all = Vec::new();
        while let Some(rows) = self.pull(k)? {
            all.extend(rows);
        }
        Ok(all)
    }

    /// Step `k - 1`, a projection that needs all its input: an
    /// aggregation (folded batch by batch) or `ORDER BY`.
    fn gathered(&mut self, k: usize, p: &ProjectItems) -> QResult<Option<Vec<Row>>> {
        let params = Arc::clone(&self.params);
        let (skip, limit) = paging(p, &params, None)?;
        let out = if let Some(keys) = &p.grouping {
            let mut groups = Aggregator::new(p, keys);
            while let Some(rows) = self.pull(k - 1)? {
                let graph = self.graph();
                groups.feed(rows, None, &params, Some(&graph))?;
            }
            let graph = self.graph();
            groups.finish(&params, Some(&graph))?
        } else {
            // ORDER BY with a LIMIT (no DISTINCT) keeps the rows that can
            // still be returned: the first SKIP + LIMIT so far.
            let keep = limit
                .map(|l| skip.saturating_add(l))
                .filter(|_| !p.distinct);
            let mut out = Vec::new();
            while let Some(rows) = self.pull(k - 1)? {
                let graph = self.graph();
                out.extend(project_items(p, rows, &params, Some(&graph))?);
                if let Some(keep) = keep
                    && out.len() >= 2 * keep.max(BATCH)
                {
                    out = ordered(p, out, Some(keep), &params, Some(&graph))?;
                }
            }
            out
        };
        let graph = self.graph();
        let out = finish_projection(p, out, skip, limit, &params, Some(&graph))?;
        self.states[k - 1] = State::Drained;
        Ok((!out.is_empty()).then_some(out))
    }

    /// Steps 0 and 1, a `MATCH` and the aggregation after it, run
    /// together by the rule `ColumnarAggregate` on a snapshot when it
    /// applies and does not give up (`exec::columnar_first`): the
    /// aggregation's rows.
    fn columnar(&mut self, steps: &[Step]) -> QResult<Option<Vec<Row>>> {
        let Some(r) = self.on.snapshot() else {
            return Ok(None);
        };
        let params = Arc::clone(&self.params);
        let Some((rows, _)) = columnar_first(steps, &params, &Access::Read(r), self.deadline)?
        else {
            return Ok(None);
        };
        self.source_used = true;
        self.states[0] = State::Drained;
        self.states[1] = State::Drained;
        Ok(Some(rows))
    }

    /// A `MATCH` whose last hop is counted (step `k - 1`, or `k - 2` with
    /// the aggregation `next` that reads its weights at `k - 1`).
    fn counted(
        &mut self,
        k: usize,
        pattern: &Pattern,
        next: Option<&ProjectItems>,
    ) -> QResult<Option<Vec<Row>>> {
        let input = self.pull_all(if next.is_some() { k - 2 } else { k - 1 })?;
        let access = self.on.access();
        let params = Arc::clone(&self.params);
        // The aggregation folds each row as the match finds it.
        let out = if let Some(p) = next
            && let Some(keys) = &p.grouping
        {
            let (skip, limit) = paging(p, &params, None)?;
            let mut groups = Aggregator::new(p, keys);
            let columns = counted_each(
                pattern,
                next,
                input,
                &params,
                &access,
                self.deadline,
                &mut |row, weight, g| groups.fold(Cow::Borrowed(row), weight, &params, g),
            )?;
            let graph = Graph::cached(self.on.reader()).with_columns(columns);
            let out = groups.finish(&params, Some(&graph))?;
            finish_projection(p, out, skip, limit, &params, Some(&graph))?
        } else {
            let (rows, weights, _) =
                counted_match(pattern, next, input, &params, &access, self.deadline)?;
            replicate(rows, &weights)
        };
        self.states[k - 1] = State::Drained;
        Ok((!out.is_empty()).then_some(out))
    }

    /// Step `k - 1`, a projection that streams: `WITH` / `RETURN` without
    /// aggregation or `ORDER BY`, paged across batches.
    fn paged(&mut self, k: usize, p: &ProjectItems) -> QResult<Option<Vec<Row>>> {
        let params = Arc::clone(&self.params);
        let mut paging = if let State::Paging(paging) = std::mem::take(&mut self.states[k - 1]) {
            paging
        } else {
            let (skip, limit) = paging(p, &params, None)?;
            Paging {
                skip,
                limit,
                skipped: 0,
                taken: 0,
                seen: FxHashSet::default(),
            }
        };
        loop {
            // Once the LIMIT is reached, nothing before is pulled again.
            let rows = if paging.full() {
                None
            } else {
                self.pull(k - 1)?
            };
            let Some(rows) = rows else {
                self.states[k - 1] = State::Drained;
                return Ok(None);
            };
            let graph = self.graph();
            let g = Some(&graph);
            let projected = if p.distinct {
                let mut rows = project_items(p, rows, &params, g)?;
                keep_unseen(&mut rows, &mut paging.seen, p.items.len());
                paging.page(rows)
            } else {
                // Rows dropped by paging are not projected.
                project_items(p, paging.page(rows), &params, g)?
            };
            let mut out = Vec::with_capacity(projected.len());
            for row in projected {
                if let Some(row) = filtered(p, row, &params, g)? {
                    out.push(row);
                }
            }
            if !out.is_empty() {
                self.states[k - 1] = State::Paging(paging);
                return Ok(Some(out));
            }
        }
    }

    /// Step `k - 1`, a `MATCH`: about [`BATCH`] rows at a time.
    fn matched(
        &mut self,
        k: usize,
        pattern: &Pattern,
        optional: bool,
    ) -> QResult<Option<Vec<Row>>> {
        let (mut pending, mut scan, whole) = if let State::Feeding {
            pending,
            scan,
            whole,
        } = std::mem::take(&mut self.states[k - 1])
        {
            (pending, scan, whole)
        } else {
            // The branch's first step, whose rows all go to an
            // aggregation or a sort.
            let plan = Arc::clone(&self.plan);
            let whole = match plan.branches[self.branch].get(k) {
                Some(Step::Project(p))
                    if k == 1
                        && !optional
                        && !self.naive
                        && (p.grouping.is_some() || !p.order.is_empty()) =>
                {
                    match self.on.snapshot() {
                        Some(r) => whole_label(r, pattern, Some(p), &mut self.columns)?,
                        None => false,
                    }
                }
                _ => false,
            };
            (VecDeque::new(), None, whole)
        };
        let params = Arc::clone(&self.params);
        let reader = self.on.reader();
        let mut out: Vec<Row> = Vec::new();
        loop {
            if out.len() >= BATCH {
                break;
            }
            if scan.is_none() && pending.is_empty() {
                if !out.is_empty() {
                    break;
                }
                if !self.refill(k, &mut pending)? {
                    return Ok(None);
                }
            }
            let graph = self.graph();
            let mut m = Matcher::new(&graph, &params);
            m.deadline = self.deadline;
            while out.len() < BATCH {
                if let Some(s) = &mut scan {
                    let mut found = false;
                    let exhausted = m.resume(pattern, &mut s.scan, STARTS, &mut |row, _| {
                        out.push(row.clone());
                        found = true;
                        Ok(true)
                    })?;
                    s.found |= found;
                    if exhausted {
                        if optional && !s.found {
                            let mut row = std::mem::take(&mut s.input);
                            row.resize(pattern.width, CypherValue::Null);
                            out.push(row);
                        }
                        scan = None;
                    }
                    continue;
                }
                let Some(row) = pending.pop_front() else {
                    break;
                };
                let started = Scan::start(
                    reader,
                    self.on.snapshot().filter(|_| whole),
                    pattern,
                    &row,
                    &mut Env::new(&row, &params, Some(&graph)),
                    &mut m.starts,
                )?;
                if let Some(s) = started {
                    scan = Some(Scanning {
                        scan: s,
                        input: row,
                        found: false,
                    });
                    continue;
                }
                let before = out.len();
                m.run(pattern, &row, &mut |found, _| {
                    out.push(found.clone());
                    Ok(true)
                })?;
                if optional && out.len() == before {
                    let mut row = row;
                    row.resize(pattern.width, CypherValue::Null);
                    out.push(row);
                }
            }
        }
        self.states[k - 1] = State::Feeding {
            pending,
            scan,
            whole,
        };
        Ok(Some(out))
    }
}
