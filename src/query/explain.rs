//! `EXPLAIN` and `PROFILE`: the plan's steps, described (and, profiled,
//! with the rows each produced and its time).

use std::fmt::Write as _;

use super::plan::columnar::Shape;
use super::plan::pattern::{Chain, Dir, Pattern};
use super::plan::procs::Procedure;
use super::plan::{Plan, Step};
use super::result::PlanStep;
use crate::graph::dict::Kind;
use crate::graph::stats::Kept;

/// The plan's steps, described: each `CALL { }` subquery's steps after
/// its own, one deeper.
pub(crate) fn describe(plan: &Plan) -> Vec<PlanStep> {
    let mut out = Vec::new();
    describe_into(plan, 0, &mut out);
    out
}

fn describe_into(plan: &Plan, depth: usize, out: &mut Vec<PlanStep>) {
    for (branch, steps) in plan.branches.iter().enumerate() {
        let (rule, top, label_write) = match steps.first() {
            Some(Step::Match {
                aggregate,
                top,
                label_write,
                ..
            }) => (aggregate.as_ref(), top.as_ref(), *label_write),
            _ => (None, None, false),
        };
        for (i, step) in steps.iter().enumerate() {
            let (operator, mut details) = step_text(step);
            if let Some(shape) = &rule {
                if i == 0 {
                    details = format!("{details}; on a snapshot, {}", describe_shape(shape));
                } else if i == 1 {
                    details.push_str("; folded by ColumnarAggregate with the match");
                }
            }
            if let Some(top) = &top {
                if i == 0 {
                    details = format!(
                        "{details}; on a snapshot, rule ColumnarTopK (when its label holds an eighth of the nodes or more, SKIP + LIMIT is at most 65,536 or there is no LIMIT{}): the top rows (without LIMIT, the rows WHERE keeps) by {} sort keys chosen over {} property columns, each node compared with the worst kept, only those made rows",
                        if top.shape.inline[0].is_empty() {
                            ""
                        } else {
                            " and no index or unique key finds the node"
                        },
                        top.order.len(),
                        top.shape.columns.len()
                    );
                } else if i == 1 {
                    details.push_str("; projects the rows ColumnarTopK kept");
                }
            }
            if label_write {
                if let Some(Step::Match { pattern, .. }) = steps.first()
                    && let Some((_, label)) = pattern.one_labelled_node()
                    && i == 0
                {
                    details = format!(
                        "(:{label}); rule LabelWrite: no rows made, the members found by the write (in one pass over the node records when the label holds a quarter of the nodes or more, else from the label's index)"
                    );
                } else {
                    details.push_str("; with the match by LabelWrite: each value evaluated once and spliced into each member's record, the records written in one pass in id order");
                }
            }
            out.push(PlanStep {
                branch,
                depth,
                operator: operator.to_owned(),
                details,
                rows: None,
                elapsed_ms: None,
                reads: None,
            });
            if let Step::Subquery(c) = step {
                describe_into(&c.plan, depth + 1, out);
            }
        }
    }
}

/// What EXPLAIN shows of the rule `ColumnarAggregate`.
fn describe_shape(shape: &Shape) -> String {
    let counts_only = shape.counts_only();
    let walk = match shape.hops.len() {
        0 if shape.keys.iter().flatten().count() == 1 && counts_only && shape.conjuncts.is_empty() => {
            "a scan of the start label's member list, its one key counted into a table (a string column's codes, or small integers; other values hashed)".to_owned()
        }
        0 => "a scan of the start label's member list".to_owned(),
        1 if shape.counts_relationships() => "the hop's relationships counted by id from the property's values, no projection (when the statistics say every relationship of its types joins the two labels and each holds an integer), else the CSR projection of the hop's relationship types".to_owned(),
        1 => "the CSR projection of the hop's relationship types".to_owned(),
        _ if shape.open => "the CSR projections, each middle node's matches counted as the product of its two sides' counts (factorised)".to_owned(),
        _ => "the CSR projection, closing the cycle by a search of each far node's list".to_owned(),
    };
    let unless = if shape.inline.iter().all(Vec::is_empty) {
        ""
    } else {
        ", unless an index or unique key finds a node of it"
    };
    let exists = if shape.exists.is_empty() {
        String::new()
    } else {
        format!(
            "; {} pattern predicates (a degree, or a look along the projection of their types, per node)",
            shape.exists.len()
        )
    };
    format!(
        "rule ColumnarAggregate (when its start holds an eighth of the nodes or more{unless}): {walk}; {} node and {} relationship property columns; {} conjuncts (start-node comparisons of a column with a literal tested column by column first, other start-node ones once per start node, far-node ones once per node into a bitset){exists}",
        shape.columns.len(),
        shape.rel_columns.len(),
        shape.conjuncts.len()
    )
}

fn step_text(step: &Step) -> (&'static str, String) {
    match step {
        Step::Unwind(_) => ("Unwind", "each list element in a new row".to_owned()),
        Step::Project(p) => {
            let mut parts = vec![format!("{} columns", p.items.len())];
            if p.distinct {
                parts.push("distinct".to_owned());
            }
            if !p.order.is_empty() {
                parts.push(format!("order by {} keys", p.order.len()));
            }
            if p.skip.is_some() {
                parts.push("skip".to_owned());
            }
            if p.limit.is_some() {
                parts.push(if p.order.is_empty() {
                    "limit".to_owned()
                } else {
                    "limit (top rows selected before sorting)".to_owned()
                });
            }
            if p.filter.is_some() {
                parts.push("where".to_owned());
            }
            let operator = if p.grouping.is_some() {
                parts.push(format!("{} aggregates, hash grouping", p.aggregates.len()));
                "Aggregate"
            } else {
                "Project"
            };
            (operator, parts.join(", "))
        }
        Step::Match {
            pattern, optional, ..
        } => (
            if *optional { "OptionalMatch" } else { "Match" },
            pattern_text(pattern),
        ),
        Step::Create(p) => ("Create", pattern_text(p)),
        Step::Merge(m) => (
            "Merge",
            format!(
                "{}; on match {} items, on create {} items",
                pattern_text(&m.pattern),
                m.on_match.len(),
                m.on_create.len()
            ),
        ),
        Step::Set(items) => ("Set", format!("{} items", items.len())),
        Step::Remove(items) => ("Remove", format!("{} items", items.len())),
        Step::Delete { exprs, detach } => (
            "Delete",
            format!(
                "{} expressions{}; relationships first, then nodes",
                exprs.len(),
                if *detach { ", detach" } else { "" }
            ),
        ),
        Step::Call(c) => ("Call", procedure_name(c.procedure).to_owned()),
        Step::Subquery(c) => (
            if c.optional {
                "OptionalCallSubquery"
            } else {
                "CallSubquery"
            },
            format!(
                "run once per row from {} imported variables: {} part(s), {}",
                c.imports.len(),
                c.plan.branches.len(),
                if c.plan.columns.is_empty() {
                    "returns nothing (the row kept once)".to_owned()
                } else {
                    format!("returns {}", c.plan.columns.join(", "))
                }
            ),
        ),
    }
}

fn procedure_name(p: Procedure) -> &'static str {
    use Procedure as P;
    match p {
        P::VectorQueryNodes => {
            "db.index.vector.queryNodes (HNSW search of a node-bound collection)"
        }
        P::Wcc => "algo.wcc (union-find on a projection)",
        P::LoadCsv => "LOAD CSV (the file's rows, read from the import directory)",
        P::Scc => "algo.scc (on a projection)",
        P::PageRank => "algo.pagerank (on a projection)",
        P::Cdlp => "algo.cdlp (on a projection)",
        P::Lcc => "algo.lcc (on a projection)",
        P::Kcore => "algo.kcore (peeling on a projection)",
        P::PersonalizedPageRank => "algo.pagerank.personalized (on a projection)",
        P::Leiden => "algo.leiden (on a projection read as undirected)",
        P::Louvain => "algo.louvain (on a projection read as undirected)",
        P::Bfs => "algo.bfs (on a projection)",
        P::Sssp => "algo.sssp (on a weighted projection)",
        P::Labels => "db.labels",
        P::RelationshipTypes => "db.relationshipTypes",
        P::PropertyKeys => "db.propertyKeys",
        P::MetaData => "apoc.meta.data (a sample of each label's nodes)",
        P::NodeTypeProperties => "db.schema.nodeTypeProperties (every node)",
        P::RelTypeProperties => "db.schema.relTypeProperties (every relationship)",
        P::Components => "dbms.components",
        P::SetNodeVectorProperty => "db.create.setNodeVectorProperty (writes)",
        P::SetRelationshipVectorProperty => "db.create.setRelationshipVectorProperty (writes)",
        P::AddLabels => "apoc.create.addLabels (writes)",
        P::SetLabels => "apoc.create.setLabels (writes)",
        P::MergeNode => "apoc.merge.node (MERGE with labels and properties given at run time)",
        P::CreateNode => "apoc.create.node (CREATE with labels and properties given at run time)",
        P::CreateRelationship => {
            "apoc.create.relationship (CREATE with a type and properties given at run time)"
        }
        P::MergeRelationship => {
            "apoc.merge.relationship (MERGE with a type and properties given at run time)"
        }
        P::MergeNodes => "apoc.refactor.mergeNodes (writes: onto the first node)",
        P::SchemaNodes => "apoc.schema.nodes (reads each index's nodes)",
        P::SubgraphNodes => "apoc.path.subgraphNodes (breadth-first walk)",
        P::SubgraphAll => {
            "apoc.path.subgraphAll (breadth-first walk, then the relationships among the nodes)"
        }
        P::CreateIndex => "CREATE INDEX (a property index, existing nodes indexed now)",
        P::CreateUniqueKey => {
            "CREATE CONSTRAINT (a unique key, existing nodes checked and indexed now)"
        }
        P::CreateExistence => {
            "CREATE CONSTRAINT ... IS NOT NULL (an existence constraint, existing ones checked now, then every commit)"
        }
        P::DropSchema => "DROP INDEX | CONSTRAINT",
        P::ShowIndexes => "SHOW INDEXES",
        P::ShowConstraints => "SHOW CONSTRAINTS",
        P::CreateVectorIndex => {
            "CREATE VECTOR INDEX (a collection the property feeds, existing values indexed now)"
        }
        P::CreateNodeVectorIndex => {
            "db.index.vector.createNodeIndex (a collection the property feeds, existing values indexed now)"
        }
        P::VectorQueryRelationships => {
            "db.index.vector.queryRelationships (HNSW search of a relationship property's index)"
        }
        P::AwaitIndexes => "db.awaitIndexes (every index is online at its commit)",
        P::CreateFulltextIndex => "CREATE FULLTEXT INDEX (existing text analysed and indexed now)",
        P::CreateFulltextNodeIndex | P::CreateFulltextRelationshipIndex => {
            "db.index.fulltext.create*Index (existing text analysed and indexed now)"
        }
        P::FulltextQueryNodes => {
            "db.index.fulltext.queryNodes (BM25 over the snapshot's full-text index)"
        }
        P::FulltextQueryRelationships => {
            "db.index.fulltext.queryRelationships (BM25 over the snapshot's full-text index)"
        }
        P::FulltextListAnalyzers => "db.index.fulltext.listAvailableAnalyzers",
        P::HybridQueryNodes => {
            "db.index.hybrid.queryNodes (full-text and vector hits fused, one snapshot)"
        }
        P::MetaGraph => "apoc.meta.graphSample (from the kept statistics)",
        P::SchemaVisualization => "db.schema.visualization (from the kept statistics)",
        P::DistinctValues => "apoc.schema.properties.distinct (reads the label's nodes)",
        P::User => "a registered procedure",
        P::MetaSchema => "apoc.meta.schema (apoc.meta.data's sample, folded)",
    }
}

/// `:A:B` / `:A|B`, or nothing.
fn names(list: &[String], separator: &str) -> String {
    if list.is_empty() {
        String::new()
    } else {
        format!(":{}", list.join(separator))
    }
}

fn pattern_text(p: &Pattern) -> String {
    let mut parts: Vec<String> = p.chains.iter().map(chain_text).collect();
    if p.filter.is_some() {
        parts.push("where".to_owned());
    }
    if !p.early.is_empty() {
        parts.push(format!(
            "rule PredicatePushdown: {} conjuncts of the WHERE checked as soon as the walk binds what they read",
            p.early.len()
        ));
    }
    if p.prune_ends {
        parts.push(
            "rule PruningVarExpand: each end node the variable-length hop reaches found once, breadth-first (the trails between are not enumerated)"
                .to_owned(),
        );
    }
    if p.count_tail {
        parts.push(
            "last hop counted (degrees from the snapshot's projection, properties from columns)"
                .to_owned(),
        );
    }
    parts.join("; ")
}

fn chain_text(c: &Chain) -> String {
    let mut text = String::new();
    for (i, n) in c.nodes.iter().enumerate() {
        if i > 0 {
            let r = &c.rels[i - 1];
            let types = names(&r.types, "|");
            let hops = match r.range {
                None => String::new(),
                Some((a, None)) => format!("*{a}.."),
                Some((a, Some(b))) => format!("*{a}..{b}"),
            };
            let (l, rt) = match r.dir {
                Dir::Right => ("-", "->"),
                Dir::Left => ("<-", "-"),
                Dir::Either => ("-", "-"),
            };
            let _ = write!(text, "{l}[{types}{hops}]{rt}");
        }
        text.push('(');
        text.push_str(&names(&n.labels, ":"));
        if !n.props.is_empty() {
            let keys: Vec<&str> = n.props.iter().map(|(k, _)| k.as_str()).collect();
            let _ = write!(text, " {{{}}}", keys.join(", "));
        }
        text.push(')');
    }
    let start = &c.nodes[c.start];
    let how = if c.nodes.iter().any(|n| n.earlier) {
        "from a bound node".to_owned()
    } else if let Some(label) = start.labels.first() {
        if start.props.is_empty() {
            format!("label scan :{label} at node {}", c.start + 1)
        } else {
            format!(
                "index or unique-key lookup on :{label}, else label scan, at node {}",
                c.start + 1
            )
        }
    } else {
        "all nodes".to_owned()
    };
    match c.shortest {
        Some(_) => {
            format!("{text} (shortest path between its ends; an end not bound is matched first)")
        }
        None => format!("{text} ({how}, then expand from bound ends)"),
    }
}

/// Adds to each `MATCH` step of `steps` (described from `plan`) the
/// database's estimates: where its first chain starts when no node of it
/// is bound yet — the node pattern chosen by label size (see
/// `pattern::start_of`) and how many nodes its scan reads, its smallest
/// label's size (counted up to 4,096) or every node — and about how many
/// rows its chains make: the start's nodes (the label's size or, past
/// 4,096, every node; one for a unique key's value; one per input row for
/// a bound start; an indexed property's label size over its distinct
/// values), times each hop's rows per node (the relationships of its types
/// between its ends' labels over the near end's nodes, from the
/// statistics; else the average degree), twice that undirected, the sum
/// over the lengths of a variable-length hop; `WHERE`, properties and
/// labels past the start are not counted.
pub(crate) fn estimate(
    plan: &Plan,
    steps: &mut [PlanStep],
    r: crate::graph::read::Reader<'_>,
    node_count: u64,
    edge_count: u64,
) -> super::error::QResult<()> {
    use super::optimise::start::{COUNT_CAP, Starts, chain_order, label_size, start_of};
    let mut starts = Starts::default();
    let degree = edge_count as f64 / node_count.max(1) as f64;
    let kept = Kept::of(r.kv)?;
    let schema = r.schema()?;
    // Whether `key` is a unique key of `label`: a lookup finds one node.
    let unique = |label: &str, key: &str| match (
        r.names.id(Kind::Label, label),
        r.names.id(Kind::PropKey, key),
    ) {
        (Some(l), Some(k)) => schema.unique.contains(&(l, k)),
        _ => false,
    };
    let own = steps.iter_mut().filter(|s| s.depth == 0);
    for (step, described) in plan.branches.iter().flatten().zip(own) {
        let Step::Match { pattern, .. } = step else {
            continue;
        };
        let mut notes = Vec::new();
        let mut rows = 1.0f64;
        let mut unbounded = false;
        // Slots bound by the chains before (a chain sharing a node with
        // one before starts there).
        let mut bound_slots = Vec::new();
        let order = chain_order(r, pattern, &mut starts)?.to_vec();
        notes.extend(order_note(&order));
        for (at, &i) in order.iter().enumerate() {
            let c = &pattern.chains[i];
            let bound = c
                .nodes
                .iter()
                .any(|n| n.earlier || bound_slots.contains(&n.slot));
            bound_slots.extend(c.nodes.iter().map(|n| n.slot));
            if !bound && c.shortest.is_none() {
                let s = start_of(r, c, &mut starts)?;
                let np = &c.nodes[s];
                let mut smallest: Option<(usize, &String)> = None;
                for label in &np.labels {
                    let n = label_size(r, label, COUNT_CAP)?;
                    if smallest.is_none_or(|(m, _)| n < m) {
                        smallest = Some((n, label));
                    }
                }
                let (scan, mut start_nodes) = match smallest {
                    // Counted no further: at most every node.
                    Some((n, label)) if n > COUNT_CAP && kept.is_none() => (
                        format!("label :{label} holds more than {COUNT_CAP} nodes"),
                        node_count as f64,
                    ),
                    Some((n, label)) => (format!("label :{label} holds {n} nodes"), n as f64),
                    None => (format!("every node ({node_count})"), node_count as f64),
                };
                let unique_key = np
                    .labels
                    .iter()
                    .any(|l| np.props.iter().any(|(k, _)| unique(l, k)));
                let lookup = lookup_note(r, kept, np, unique_key, &mut start_nodes)?;
                if at == 0 {
                    let chain = if i == 0 {
                        "the first chain".to_owned()
                    } else {
                        format!("chain {}", i + 1)
                    };
                    notes.push(format!(
                        "estimated start: node {} of {chain}, {scan}{lookup}",
                        s + 1
                    ));
                    if let Some(filter) = pattern.filter.as_ref().filter(|_| np.props.is_empty()) {
                        let sizes = (smallest, node_count);
                        notes.extend(start_rules(r, step, np, filter, &schema, sizes));
                    }
                }
                rows *= start_nodes;
            }
            if c.shortest.is_some() {
                continue;
            }
            let from = if bound {
                None
            } else {
                Some(start_of(r, c, &mut starts)?)
            };
            let (per_start, open) = chain_rows(r, kept, c, from, degree, node_count)?;
            rows *= per_start;
            unbounded |= open;
        }
        notes.push(if unbounded {
            "estimated rows: unbounded (a variable-length hop without an upper bound)".to_owned()
        } else {
            match kept {
                Some(_) => format!(
                    "estimated rows: about {} per input row (from the statistics; filters not counted)",
                    rounded(rows)
                ),
                None => format!(
                    "estimated rows: about {} per input row (average degree {degree:.1}; filters not counted)",
                    rounded(rows)
                ),
            }
        });
        described.details = format!("{}; {}", described.details, notes.join("; "));
    }
    Ok(())
}

/// What EXPLAIN says of the rule `ChainOrder`: the order of a pattern's
/// chains, when it is not the statement's.
fn order_note(order: &[usize]) -> Option<String> {
    if order.iter().enumerate().all(|(at, &i)| at == i) {
        return None;
    }
    let names: Vec<String> = order.iter().map(|i| (i + 1).to_string()).collect();
    Some(format!(
        "rule ChainOrder: chains run in the order {} (from what is bound, then by the fewest start nodes)",
        names.join(", ")
    ))
}

/// The run-time start choices `WHERE` makes possible for start node
/// `np` (see `exec::matcher`): an index range when an index or unique
/// key of its labels covers a key the filter bounds, else the rule
/// `ColumnarFilter` when its label is large enough and the filter
/// compares its properties.
fn start_rules(
    r: crate::graph::read::Reader<'_>,
    step: &Step,
    np: &crate::query::plan::pattern::NodePat,
    filter: &crate::query::plan::expr::Expr,
    schema: &crate::graph::records::Schema,
    sizes: (Option<(usize, &String)>, u64),
) -> Option<String> {
    let rule = start_rule(r, np, filter, schema, sizes)?;
    // A column rule takes the match on a snapshot before a start is
    // chosen: the start is then the row path's.
    let columnar = matches!(
        step,
        Step::Match {
            aggregate: Some(_),
            ..
        } | Step::Match { top: Some(_), .. }
    );
    Some(if columnar {
        format!("on the row path, {rule}")
    } else {
        rule
    })
}

/// [`start_rules`]' note, before it says where it applies.
fn start_rule(
    r: crate::graph::read::Reader<'_>,
    np: &crate::query::plan::pattern::NodePat,
    filter: &crate::query::plan::expr::Expr,
    schema: &crate::graph::records::Schema,
    (smallest, node_count): (Option<(usize, &String)>, u64),
) -> Option<String> {
    use crate::query::optimise::seek::{Named, compared_keys, named_starts};
    let covered = |label: &str, key: &str| match (
        r.names.id(Kind::Label, label),
        r.names.id(Kind::PropKey, key),
    ) {
        (Some(l), Some(k)) => schema.unique.contains(&(l, k)) || schema.indexed.contains(&(l, k)),
        _ => false,
    };
    for (_, named, _) in named_starts(filter, np.slot) {
        match named {
            Named::Id(_) => {
                return Some(
                    "start: the nodes id() / elementId() names (rule NodeByIdSeek)".to_owned(),
                );
            }
            Named::Key(key) => {
                if let Some(label) = np.labels.iter().find(|l| covered(l, key)) {
                    return Some(format!(
                        "start: the entries of :{label}({key}) for each value of the list (rule IndexRangeStart)"
                    ));
                }
            }
        }
    }
    for key in compared_keys(filter, np.slot, true) {
        if let Some(label) = np.labels.iter().find(|l| covered(l, key)) {
            return Some(format!(
                "start: the index range of :{label}({key}) its bounds give (rule IndexRangeStart, when they are values of one type)"
            ));
        }
    }
    let keys = compared_keys(filter, np.slot, false);
    let (size, _) = smallest?;
    let label = np.labels.first()?;
    if keys.is_empty() || (size as u64).saturating_mul(8) < node_count {
        return None;
    }
    Some(format!(
        "on a snapshot, when no aggregation or ORDER BY rule takes the match: rule ColumnarFilter, the members of :{label} filtered over the columns of {} first",
        keys.join(", ")
    ))
}

/// What a start pattern's inline properties do to its estimated nodes
/// `start_nodes`: one through a unique key, the label's size over an
/// indexed key's distinct values, or nothing known.
fn lookup_note(
    r: crate::graph::read::Reader<'_>,
    kept: Option<Kept<'_>>,
    np: &super::plan::pattern::NodePat,
    unique_key: bool,
    start_nodes: &mut f64,
) -> super::error::QResult<String> {
    use super::optimise::start::start_estimate;
    if np.props.is_empty() || np.labels.is_empty() {
        return Ok(String::new());
    }
    if unique_key {
        *start_nodes = start_nodes.min(1.0);
        return Ok(" (one through a unique key)".to_owned());
    }
    let estimated = match kept {
        Some(kept) => start_estimate(r, kept, np)?,
        None => None,
    };
    Ok(match estimated.filter(|&rows| rows < *start_nodes) {
        Some(rows) => {
            *start_nodes = rows;
            format!(
                " (about {} through an index, by its distinct values)",
                rounded(rows)
            )
        }
        None => " (a property no index counts: not estimated)".to_owned(),
    })
}

/// The rows chain `c` makes per node it starts from (at node `from`, or
/// its bound end): the product over its hops of their rows per node (from
/// the statistics, else the average degree), summed over the lengths of a
/// variable-length hop; `true` when one has no upper bound.
fn chain_rows(
    r: crate::graph::read::Reader<'_>,
    kept: Option<Kept<'_>>,
    c: &Chain,
    from: Option<usize>,
    degree: f64,
    node_count: u64,
) -> super::error::QResult<(f64, bool)> {
    let (mut rows, mut unbounded) = (1.0f64, false);
    for (i, rp) in c.rels.iter().enumerate() {
        let per = match kept {
            // From the bound or start side outward: rightwards from the
            // start, leftwards before it.
            Some(kept) => {
                let rightwards = from.is_none_or(|s| i >= s);
                hop_rows(r, kept, c, i, rightwards, node_count)?
            }
            None if rp.dir == Dir::Either => 2.0 * degree,
            None => degree,
        };
        rows *= match rp.range {
            None => per,
            Some((_, None)) => {
                unbounded = true;
                1.0
            }
            Some((lo, Some(hi))) => (lo..=hi).map(|k| per.powi(k as i32)).sum(),
        };
    }
    Ok((rows, unbounded))
}

/// Rows per node of hop `i` of chain `c` walked from its left node
/// (`rightwards`) or its right node, by the statistics: the relationships
/// of its types between its ends' labels (the label giving the fewest,
/// for an end with several; any node for an end without), over the nodes
/// of the near end's label (or every node).
fn hop_rows(
    r: crate::graph::read::Reader<'_>,
    kept: Kept<'_>,
    c: &Chain,
    i: usize,
    rightwards: bool,
    node_count: u64,
) -> super::error::QResult<f64> {
    let rp = &c.rels[i];
    let (near, far) = if rightwards {
        (&c.nodes[i], &c.nodes[i + 1])
    } else {
        (&c.nodes[i + 1], &c.nodes[i])
    };
    let ids = |kind: Kind, names: &[String]| -> Option<Vec<u32>> {
        names.iter().map(|n| r.names.id(kind, n)).collect()
    };
    // A label or type no node or relationship has: nothing matches.
    let (Some(near_labels), Some(far_labels)) = (
        ids(Kind::Label, &near.labels),
        ids(Kind::Label, &far.labels),
    ) else {
        return Ok(0.0);
    };
    // The types some relationship has (`[:A|B]` with only `A` known:
    // `A`); none of them known: nothing matches.
    let types: Option<Vec<u32>> = (!rp.types.is_empty()).then(|| {
        rp.types
            .iter()
            .filter_map(|t| r.names.id(Kind::EdgeType, t))
            .collect()
    });
    if types.as_ref().is_some_and(Vec::is_empty) {
        return Ok(0.0);
    }
    let options = |labels: &[u32]| -> Vec<Option<u32>> {
        if labels.is_empty() {
            vec![None]
        } else {
            labels.iter().copied().map(Some).collect()
        }
    };
    // Written left to right: does the hop leave the near end?
    let outgoing = match rp.dir {
        Dir::Right => Some(rightwards),
        Dir::Left => Some(!rightwards),
        Dir::Either => None,
    };
    let mut fewest: Option<u64> = None;
    for n in options(&near_labels) {
        for f in options(&far_labels) {
            let out = kept.relationships(n, types.as_deref(), f)?;
            let inc = kept.relationships(f, types.as_deref(), n)?;
            let count = match outgoing {
                Some(true) => out,
                Some(false) => inc,
                None => out + inc,
            };
            fewest = Some(fewest.map_or(count, |m| m.min(count)));
        }
    }
    let mut near_nodes = node_count;
    for l in &near_labels {
        near_nodes = near_nodes.min(kept.label(*l)?);
    }
    Ok(fewest.unwrap_or(0) as f64 / near_nodes.max(1) as f64)
}

/// `x` rounded to two significant digits, written plainly.
fn rounded(x: f64) -> String {
    if !x.is_finite() || x >= 1e15 {
        return "more than 10^15".to_owned();
    }
    if x < 1.0 {
        return format!("{x:.2}");
    }
    let digits = x.log10().floor() as i32;
    let unit = 10f64.powi((digits - 1).max(0));
    format!("{}", ((x / unit).round() * unit) as u64)
}
