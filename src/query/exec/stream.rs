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
//! `MATCH` whose last hop is counted (see `exec::counted_each`).
//!
//! The same pipeline runs every statement's reading steps: a statement
//! that writes, or is profiled, runs through `exec::run`, which cuts
//! each branch at its writing steps and runs the reading steps between
//! them here, from the rows the write before made (a write clause sees
//! all the rows of the clause before it, as Cypher says). Profiled, the
//! pipeline measures each step's rows, time and storage reads.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use rustc_hash::FxHashSet;

use super::columnar::top_k;
use super::eval::Env;
use super::graph::{Access, Graph, Txn, no_graph, resolve};
use super::matcher::{Matcher, Scan};
use super::{
    Aggregator, Columns, Measured, apply_read, call, columnar_first, counted_each, filtered,
    finish_projection, keep_unseen, ordered, paging, project, project_items, subquery, whole_label,
};
use crate::graph::read::Reader;
use crate::graph::sealed::Sealed;
use crate::query::error::{Deadline, QResult, QueryError, Running, check_deadline, unsupported};
use crate::query::plan::pattern::Pattern;
use crate::query::plan::{Plan, ProjectItems, Step};
use crate::query::result::{PlanStep, QueryResult};
use crate::query::value::CypherValue;
use crate::query::value::Params;
use crate::storage::Reads;
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
        let parts = (0..branches)
            .map(|branch| Part {
                branch,
                steps: 0..plan.branches[branch].len(),
                input: Some(vec![Vec::new()]),
            })
            .collect();
        let union = branches > 1 && !plan.union_all;
        let mut pipeline = Pipeline::new(plan, Arc::new(params.clone()), on, run, parts);
        pipeline.union_seen = union.then(FxHashSet::default);
        pipeline.finished = true;
        QueryRows {
            columns: pipeline.plan.columns.clone(),
            plan: None,
            source: Source::Running(Box::new(pipeline)),
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
            updates: crate::UpdateCounts::default(),
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

/// Runs `parts` of `plan` on `on` to the end: their rows, as the steps
/// made them (nodes and relationships not filled in); profiled, with the
/// measures of each part's steps, in order, appended to `profile`.
pub(crate) fn run_parts(
    plan: &Arc<Plan>,
    params: &Arc<Params>,
    on: On<'_>,
    run: Running,
    parts: Vec<Part>,
    profile: Option<&mut Vec<Measured>>,
) -> QResult<Vec<Row>> {
    let mut pipeline = Pipeline::new(Arc::clone(plan), Arc::clone(params), on, run, parts);
    if profile.is_some() {
        pipeline.profile = Some(Profile::default());
    }
    let mut rows = Vec::new();
    while let Some(row) = pipeline.next_row()? {
        rows.push(row);
    }
    if let (Some(out), Some(measured)) = (profile, pipeline.profile) {
        out.extend(measured.steps.into_iter().flatten());
    }
    Ok(rows)
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
        scan: Option<Box<Scanning<'t>>>,
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
    /// No database: a statement of expressions only (graph steps fail).
    Detached,
}

impl<'t> On<'t> {
    fn reader(self) -> Option<Reader<'t>> {
        match self {
            On::Snapshot(r) => Some(r.reader()),
            On::View(w) => Some(w.reader()),
            On::Detached => None,
        }
    }

    /// The transaction, for subquery expressions that call.
    fn txn(self) -> Option<&'t dyn Txn> {
        match self {
            On::Snapshot(r) => Some(r),
            On::View(w) => Some(w),
            On::Detached => None,
        }
    }

    pub(crate) fn access(self) -> Access<'t, 't> {
        match self {
            On::Snapshot(r) => Access::Read(r),
            On::View(w) => Access::View(w),
            On::Detached => Access::Detached,
        }
    }

    /// The snapshot, whose cached member lists, columns and projections a
    /// statement may read.
    fn snapshot(self) -> Option<&'t ReadTxn<'t>> {
        match self {
            On::Snapshot(r) => Some(r),
            On::View(_) | On::Detached => None,
        }
    }
}

/// What a pipeline runs: a branch's steps (a range of them), from input
/// rows.
pub(crate) struct Part {
    pub branch: usize,
    pub steps: Range<usize>,
    /// Taken when the part starts.
    pub input: Option<Vec<Row>>,
}

/// What `PROFILE` measures while a pipeline runs.
#[derive(Default)]
struct Profile {
    /// Per part, per step: rows handed on, milliseconds and storage reads
    /// of the step itself (its input's pulls not counted).
    steps: Vec<Vec<Measured>>,
    /// The pulls under way, innermost last: what the pulls they made took.
    open: Vec<(f64, Reads)>,
    /// A step that did the work of the step before it too (the rule
    /// `ColumnarAggregate`, a counted match folded into its aggregation):
    /// the earlier step's index and the matches it made.
    fused: Option<(usize, u64)>,
}

/// A running statement's reading steps.
struct Pipeline<'t> {
    plan: Arc<Plan>,
    params: Arc<Params>,
    on: On<'t>,
    deadline: Option<Deadline>,
    /// Without the optimiser's rules (`QueryOptions::naive`).
    naive: bool,
    /// What to run, in order, and the part running.
    parts: Vec<Part>,
    part: usize,
    /// Per step of the part.
    states: Vec<State<'t>>,
    /// The part's input rows not yet handed on.
    input: std::vec::IntoIter<Row>,
    buffer: VecDeque<Row>,
    /// The rows returned so far, for `UNION` without `ALL`.
    union_seen: Option<FxHashSet<Vec<u8>>>,
    /// Property columns of the snapshot that steps read from (see
    /// `exec::whole_label`).
    columns: Columns,
    /// The rows handed out are the statement's: nodes and relationships
    /// are filled in, and a statement without columns hands out none.
    finished: bool,
    /// The most rows the next pull's step is asked for (a paged
    /// projection's `SKIP` + `LIMIT` still to go); read once.
    want: usize,
    profile: Option<Profile>,
    /// The statement's clock (`Running::clock`), made the thread's own
    /// whenever rows are pulled.
    clock: i128,
}

impl<'t> Pipeline<'t> {
    fn new(
        plan: Arc<Plan>,
        params: Arc<Params>,
        on: On<'t>,
        run: Running,
        parts: Vec<Part>,
    ) -> Pipeline<'t> {
        Pipeline {
            plan,
            params,
            on,
            deadline: run.deadline,
            naive: run.naive,
            clock: run.clock,
            parts,
            part: 0,
            states: Vec::new(),
            input: Vec::new().into_iter(),
            buffer: VecDeque::new(),
            union_seen: None,
            columns: Columns::default(),
            finished: false,
            want: usize::MAX,
            profile: None,
        }
    }

    /// The graph a step reads, with the columns read so far (none on no
    /// database).
    fn graph(&self) -> Option<Graph<'t>> {
        self.on.reader().map(|r| {
            Graph::cached(r)
                .with_columns(self.columns.clone())
                .with_txn(self.on.txn())
        })
    }

    /// The steps of the part running, from the plan `plan` (a clone of
    /// the pipeline's, so `self` stays free).
    fn steps<'p>(&self, plan: &'p Plan) -> &'p [Step] {
        let part = &self.parts[self.part];
        &plan.branches[part.branch][part.steps.clone()]
    }

    fn next_row(&mut self) -> QResult<Option<Row>> {
        crate::temporal::enter_statement(self.clock);
        loop {
            if let Some(row) = self.buffer.pop_front() {
                return Ok(Some(row));
            }
            let Some(part) = self.parts.get_mut(self.part) else {
                return Ok(None);
            };
            let last = part.steps.len();
            if self.states.is_empty() {
                self.states = (0..last).map(|_| State::Fresh).collect();
                self.input = part.input.take().unwrap_or_default().into_iter();
                if let Some(profile) = &mut self.profile {
                    profile.steps.push(vec![(0, 0.0, Reads::default()); last]);
                }
            }
            let Some(mut rows) = self.pull(last)? else {
                self.part += 1;
                self.states.clear();
                continue;
            };
            if let Some(seen) = &mut self.union_seen {
                keep_unseen(&mut rows, seen, usize::MAX);
            }
            if self.finished {
                if self.plan.columns.is_empty() {
                    continue;
                }
                if let Some(r) = self.on.reader() {
                    for row in &mut rows {
                        for v in row.iter_mut() {
                            resolve(v, &r)?;
                        }
                    }
                }
            }
            self.buffer.extend(rows);
        }
    }

    /// [`Pipeline::pull`] asking step `k - 1` for at most `want` rows.
    fn pull_want(&mut self, k: usize, want: usize) -> QResult<Option<Vec<Row>>> {
        self.want = want;
        self.pull(k)
    }

    /// The next batch of rows out of the first `k` steps (`k == 0`: the
    /// part's input rows), `None` once they are all handed on. A batch
    /// handed on is never empty. Profiled, the step's rows, time and
    /// reads are added up, less those of the pulls it made.
    fn pull(&mut self, k: usize) -> QResult<Option<Vec<Row>>> {
        if self.profile.is_none() || k == 0 {
            return self.step(k);
        }
        let started = Instant::now();
        let before = Reads::now();
        if let Some(p) = &mut self.profile {
            p.open.push((0.0, Reads::default()));
        }
        let out = self.step(k);
        let ms = started.elapsed().as_secs_f64() * 1e3;
        let reads = Reads::now().since(before);
        let rows = out.as_ref().map_or(0, |o| o.as_ref().map_or(0, Vec::len)) as u64;
        if let Some(p) = &mut self.profile {
            let (inner_ms, inner_reads) = p.open.pop().unwrap_or_default();
            if let Some(parent) = p.open.last_mut() {
                parent.0 += ms;
                parent.1 = parent.1.plus(reads);
            }
            let (own_ms, own_reads) = ((ms - inner_ms).max(0.0), reads.since(inner_reads));
            let part = p.steps.len() - 1;
            let steps = &mut p.steps[part];
            if let Some((at, matched)) = p.fused.take() {
                // The earlier step did the work; this one folded it.
                let m = &mut steps[at];
                m.0 += matched;
                m.1 += own_ms;
                m.2 = m.2.plus(own_reads);
                steps[k - 1].0 += rows;
            } else {
                let m = &mut steps[k - 1];
                m.0 += rows;
                m.1 += own_ms;
                m.2 = m.2.plus(own_reads);
            }
        }
        out
    }

    /// Runs step `k - 1` for its next batch (see [`Pipeline::pull`]).
    fn step(&mut self, k: usize) -> QResult<Option<Vec<Row>>> {
        check_deadline(self.deadline.as_ref())?;
        let want = std::mem::replace(&mut self.want, usize::MAX);
        if k == 0 {
            let batch: Vec<Row> = self.input.by_ref().take(BATCH).collect();
            return Ok((!batch.is_empty()).then_some(batch));
        }
        if matches!(self.states[k - 1], State::Drained) {
            return Ok(None);
        }
        let plan = Arc::clone(&self.plan);
        let steps = self.steps(&plan);
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
            Step::Project(p) if p.grouping.is_some() || !p.order.is_empty() => {
                if k == 2
                    && !self.naive
                    && let Some(rows) = self.top_k(steps, p)?
                {
                    return Ok((!rows.is_empty()).then_some(rows));
                }
                self.gathered(k, p)
            }
            Step::Project(p) => self.paged(k, p),
            Step::Match { pattern, .. } if pattern.count_tail && !self.naive => {
                self.counted(k, pattern, None)
            }
            Step::Match {
                pattern, optional, ..
            } => self.matched(k, pattern, *optional, want),
            step @ (Step::Unwind(_) | Step::Call(_) | Step::Subquery(_)) => {
                self.expanded(k, step, want)
            }
            _ => Err(unsupported("a write clause in a read-only statement")),
        }
    }

    /// Step `k - 1`, an `UNWIND` or a `CALL`: each input row to as many
    /// rows as its list, procedure or subquery gives, input row by input row until
    /// about [`BATCH`] rows are made.
    fn expanded(&mut self, k: usize, step: &Step, want: usize) -> QResult<Option<Vec<Row>>> {
        let mut pending = match std::mem::take(&mut self.states[k - 1]) {
            State::Feeding { pending, .. } => pending,
            _ => VecDeque::new(),
        };
        let mut out = Vec::new();
        while out.len() < BATCH.min(want) {
            let Some(row) = pending.pop_front() else {
                if !out.is_empty() {
                    break;
                }
                if !self.refill(k, &mut pending)? {
                    return Ok(None);
                }
                continue;
            };
            check_deadline(self.deadline.as_ref())?;
            out.extend(if let Step::Call(c) = step {
                call(c, vec![row], &self.params, &self.on.access())?
            } else if let Step::Subquery(s) = step {
                let run = Running {
                    deadline: self.deadline.clone(),
                    naive: self.naive,
                    clock: self.clock,
                    implicit: false,
                };
                let rows = subquery(s, vec![row], &self.params, &mut self.on.access(), &run)?;
                // The subquery ran statements of its own on this thread.
                crate::temporal::enter_statement(self.clock);
                rows
            } else {
                let graph = self.graph();
                apply_read(
                    step,
                    vec![row],
                    &self.params,
                    graph.as_ref(),
                    self.deadline.as_ref(),
                )?
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
                groups.feed(rows, &params, graph.as_ref())?;
            }
            let graph = self.graph();
            groups.finish(&params, graph.as_ref())?
        } else {
            // ORDER BY with a LIMIT (no DISTINCT) keeps the rows that can
            // still be returned: the first SKIP + LIMIT so far.
            let keep = limit
                .map(|l| skip.saturating_add(l))
                .filter(|_| !p.distinct);
            let mut out = Vec::new();
            while let Some(rows) = self.pull(k - 1)? {
                let graph = self.graph();
                out.extend(project_items(p, rows, &params, graph.as_ref())?);
                if let Some(keep) = keep
                    && out.len() >= keep.max(BATCH).saturating_mul(2)
                {
                    out = ordered(p, out, Some(keep), &params, graph.as_ref())?;
                }
            }
            out
        };
        let graph = self.graph();
        let out = finish_projection(p, out, skip, limit, &params, graph.as_ref())?;
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
        if self.parts[self.part].steps.start != 0 {
            return Ok(None);
        }
        let params = Arc::clone(&self.params);
        let Some((rows, matched)) =
            columnar_first(steps, &params, &Access::Read(r), self.deadline.as_ref())?
        else {
            return Ok(None);
        };
        self.fused_first_two(matched);
        Ok(Some(rows))
    }

    /// Steps 0 and 1, a `MATCH` of one node and the projection after it
    /// that orders and limits its rows, run by the rule `ColumnarTopK` on
    /// a snapshot when it applies and does not give up: only the rows the
    /// projection can return are made, then projected.
    fn top_k(&mut self, steps: &[Step], p: &ProjectItems) -> QResult<Option<Vec<Row>>> {
        let Some(r) = self.on.snapshot() else {
            return Ok(None);
        };
        let (
            [
                Step::Match {
                    pattern,
                    top: Some(top),
                    ..
                },
                ..,
            ],
            0,
        ) = (steps, self.parts[self.part].steps.start)
        else {
            return Ok(None);
        };
        let Some(slot) = pattern
            .chains
            .first()
            .and_then(|c| c.nodes.first())
            .map(|n| n.slot)
        else {
            return Ok(None);
        };
        let params = Arc::clone(&self.params);
        let Some(rows) = top_k(
            r,
            top,
            p,
            (pattern.width, slot),
            &params,
            self.deadline.as_ref(),
        )?
        else {
            return Ok(None);
        };
        let matched = rows.len() as u64;
        let graph = Graph::cached(r.reader()).with_txn(Some(r));
        let rows = project(p, rows, &params, Some(&graph))?;
        self.fused_first_two(matched);
        Ok(Some(rows))
    }

    /// Marks steps 0 and 1 done by a rule that ran them together, the
    /// match's work (`matched` rows) reported on step 0.
    fn fused_first_two(&mut self, matched: u64) {
        self.input = Vec::new().into_iter();
        self.states[0] = State::Drained;
        self.states[1] = State::Drained;
        if let Some(p) = &mut self.profile {
            p.fused = Some((0, matched));
        }
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
        let mut matched = 0;
        // The aggregation folds each row as the match finds it; without
        // one reading the weights, each row goes on as many times.
        let mut groups = match next.and_then(|p| Some((p, p.grouping.as_ref()?))) {
            Some((p, keys)) => Some((p, paging(p, &params, None)?, Aggregator::new(p, keys))),
            None => None,
        };
        let mut rows = Vec::new();
        let columns = counted_each(
            pattern,
            next,
            input,
            &params,
            &access,
            self.deadline.as_ref(),
            &mut |row, weight, g| {
                if let Some((_, _, groups)) = &mut groups {
                    matched += weight;
                    groups.fold(Cow::Borrowed(row), weight, &params, g)
                } else {
                    rows.extend((0..weight).map(|_| row.clone()));
                    Ok(())
                }
            },
        )?;
        let out = match groups {
            Some((p, (skip, limit), groups)) => {
                let reader = self.on.reader().ok_or_else(no_graph)?;
                let graph = Graph::cached(reader)
                    .with_columns(columns)
                    .with_txn(self.on.txn());
                let out = groups.finish(&params, Some(&graph))?;
                if let Some(p) = &mut self.profile {
                    p.fused = Some((k - 2, matched));
                }
                finish_projection(p, out, skip, limit, &params, Some(&graph))?
            }
            None => rows,
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
            } else if p.distinct || p.filter.is_some() {
                self.pull(k - 1)?
            } else {
                // Rows past the LIMIT would be dropped: the step before
                // need not make them.
                let want = paging.limit.map_or(usize::MAX, |l| {
                    (paging.skip - paging.skipped).saturating_add(l - paging.taken)
                });
                self.pull_want(k - 1, want)?
            };
            let Some(rows) = rows else {
                self.states[k - 1] = State::Drained;
                return Ok(None);
            };
            let graph = self.graph();
            let g = graph.as_ref();
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

    /// Whether step `k - 1`, a `MATCH` starting a branch whose rows all go
    /// to an aggregation or a sort, reads a whole label on the snapshot
    /// (see `exec::whole_label`, which also reads the columns it needs).
    fn whole_label(&mut self, k: usize, pattern: &Pattern, optional: bool) -> QResult<bool> {
        let plan = Arc::clone(&self.plan);
        Ok(match self.steps(&plan).get(k) {
            Some(Step::Project(p))
                if k == 1
                    && self.parts[self.part].steps.start == 0
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
        })
    }

    /// Step `k - 1`, a `MATCH`: about [`BATCH`] rows at a time.
    fn matched(
        &mut self,
        k: usize,
        pattern: &Pattern,
        optional: bool,
        want: usize,
    ) -> QResult<Option<Vec<Row>>> {
        let (mut pending, mut scan, whole) = if let State::Feeding {
            pending,
            scan,
            whole,
        } = std::mem::take(&mut self.states[k - 1])
        {
            (pending, scan, whole)
        } else {
            (
                VecDeque::new(),
                None,
                self.whole_label(k, pattern, optional)?,
            )
        };
        let params = Arc::clone(&self.params);
        let reader = self.on.reader().ok_or_else(no_graph)?;
        // A batch, or fewer when the step after wants fewer; a scan
        // resumes as few start nodes at a time then.
        let batch = BATCH.min(want).max(1);
        let starts = STARTS.min(batch);
        let mut out: Vec<Row> = Vec::new();
        loop {
            if out.len() >= batch {
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
            let graph = self.graph().ok_or_else(no_graph)?;
            let mut m = Matcher::new(&graph, &params);
            m.deadline.clone_from(&self.deadline);
            m.range_starts = !self.naive;
            m.rules = !self.naive;
            while out.len() < batch {
                if let Some(s) = &mut scan {
                    let mut found = false;
                    let exhausted = m.resume(pattern, &mut s.scan, starts, &mut |row, _| {
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
                    (self.on.snapshot().filter(|_| whole), self.on.snapshot()),
                    pattern,
                    &row,
                    &mut Env::new(&row, &params, Some(&graph)),
                    &mut m.starts,
                    !self.naive,
                )?;
                if let Some(s) = started {
                    scan = Some(Box::new(Scanning {
                        scan: s,
                        input: row,
                        found: false,
                    }));
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
