//! Model-based test: random sequences of graph operations, with commits,
//! aborts, snapshots and close/reopen steps, run against QuiverDB and
//! against a plain in-memory model; every read is compared after every step.
//!
//! Deterministic by default; set `QUIVER_TEST_SEED=<u64>` to explore other
//! sequences. A failure prints the seed and the shrunk operation list.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::many_single_char_names,
    clippy::cast_possible_wrap,
    clippy::float_cmp,
    clippy::items_after_statements,
    clippy::too_many_lines,
    missing_docs,
    reason = "test and bench code: a panic is the failure report, exact floats are intended"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use quiverdb::{
    Database, Direction, EdgeId, Error, GraphRead, NodeId, Props, ReadTxn, Value, WriteTxn,
};

const LABELS: [&str; 3] = ["A", "B", "C"];
const KEYS: [&str; 3] = ["k", "v", "w"];
const TYPES: [&str; 2] = ["X", "Y"];
const MISSING: NodeId = NodeId(1 << 40);

#[derive(Clone, Debug)]
enum Op {
    AddNode(Vec<usize>, Vec<(usize, Value)>),
    AddEdge(usize, usize, usize, Vec<(usize, Value)>),
    DeleteNode(usize, bool),
    DeleteEdge(usize),
    SetNodeProp(usize, usize, Value),
    RemoveNodeProp(usize, usize),
    AddLabel(usize, usize),
    RemoveLabel(usize, usize),
    SetEdgeProp(usize, usize, Value),
    CreateUnique(usize, usize),
    CreateIndex(usize, usize),
    DropIndex(usize, usize),
    Commit,
    Abort,
    Snapshot,
    Reopen,
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..3).prop_map(Value::Int),
        Just(Value::Float(1.5)),
        Just(Value::Float(-0.0)),
        prop::sample::select(vec!["a", "b", "a\0"]).prop_map(Value::from),
        Just(Value::List(vec![Value::Int(1), Value::Null])),
        Just(Value::Bool(true)),
    ]
}

fn props() -> impl Strategy<Value = Vec<(usize, Value)>> {
    prop::collection::vec((0..KEYS.len(), value()), 0..3)
}

/// A node pick: an index into the live nodes, or (for `usize::MAX`) an id
/// that does not exist.
fn pick() -> impl Strategy<Value = usize> {
    prop_oneof![9 => 0..64usize, 1 => Just(usize::MAX)]
}

fn op() -> impl Strategy<Value = Op> {
    let l = 0..LABELS.len();
    let k = 0..KEYS.len();
    prop_oneof![
        6 => (prop::collection::vec(l.clone(), 0..3), props()).prop_map(|(l, p)| Op::AddNode(l, p)),
        6 => (pick(), pick(), 0..TYPES.len(), props()).prop_map(|(a, b, t, p)| Op::AddEdge(a, b, t, p)),
        2 => (pick(), any::<bool>()).prop_map(|(n, d)| Op::DeleteNode(n, d)),
        2 => pick().prop_map(Op::DeleteEdge),
        3 => (pick(), k.clone(), value()).prop_map(|(n, k, v)| Op::SetNodeProp(n, k, v)),
        1 => (pick(), k.clone()).prop_map(|(n, k)| Op::RemoveNodeProp(n, k)),
        2 => (pick(), l.clone()).prop_map(|(n, l)| Op::AddLabel(n, l)),
        1 => (pick(), l.clone()).prop_map(|(n, l)| Op::RemoveLabel(n, l)),
        2 => (pick(), k.clone(), value()).prop_map(|(e, k, v)| Op::SetEdgeProp(e, k, v)),
        1 => (l.clone(), k.clone()).prop_map(|(l, k)| Op::CreateUnique(l, k)),
        1 => (l.clone(), k.clone()).prop_map(|(l, k)| Op::CreateIndex(l, k)),
        1 => (l, k).prop_map(|(l, k)| Op::DropIndex(l, k)),
        3 => Just(Op::Commit),
        1 => Just(Op::Abort),
        1 => Just(Op::Snapshot),
        1 => Just(Op::Reopen),
    ]
}

#[derive(Clone, Debug, Default, PartialEq)]
struct NodeM {
    labels: BTreeSet<String>,
    props: Props,
}

#[derive(Clone, Debug, PartialEq)]
struct EdgeM {
    src: NodeId,
    dst: NodeId,
    ty: String,
    props: Props,
}

/// The model: what the graph should contain.
#[derive(Clone, Debug, Default)]
struct State {
    nodes: BTreeMap<NodeId, NodeM>,
    edges: BTreeMap<EdgeId, EdgeM>,
    unique: BTreeSet<(String, String)>,
    indexed: BTreeSet<(String, String)>,
}

fn to_props(p: &[(usize, Value)]) -> Props {
    p.iter()
        .map(|(k, v)| (KEYS[*k].to_owned(), v.clone()))
        .collect()
}

impl State {
    fn node_at(&self, pick: usize) -> NodeId {
        if pick == usize::MAX || self.nodes.is_empty() {
            return MISSING;
        }
        *self.nodes.keys().nth(pick % self.nodes.len()).unwrap()
    }

    fn edge_at(&self, pick: usize) -> EdgeId {
        if pick == usize::MAX || self.edges.is_empty() {
            return EdgeId(1 << 40);
        }
        *self.edges.keys().nth(pick % self.edges.len()).unwrap()
    }

    /// The holder, other than `except`, of unique key `(label, key)` = `value`.
    fn unique_holder(
        &self,
        label: &str,
        key: &str,
        value: &Value,
        except: NodeId,
    ) -> Option<NodeId> {
        self.nodes.iter().find_map(|(id, n)| {
            (*id != except && n.labels.contains(label) && n.props.get(key) == Some(value))
                .then_some(*id)
        })
    }

    /// Whether node `id`, if it became `node`, would violate a unique key.
    fn violates(&self, id: NodeId, node: &NodeM) -> bool {
        self.unique.iter().any(|(l, k)| {
            node.labels.contains(l)
                && node
                    .props
                    .get(k)
                    .is_some_and(|v| self.unique_holder(l, k, v, id).is_some())
        })
    }

    fn incident(&self, id: NodeId) -> Vec<EdgeId> {
        self.edges
            .iter()
            .filter(|(_, e)| e.src == id || e.dst == id)
            .map(|(e, _)| *e)
            .collect()
    }
}

/// What an operation is expected to do: succeed, or fail with this kind.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok,
    NodeNotFound,
    EdgeNotFound,
    NodeHasEdges,
    UniqueViolation,
}

fn outcome<T>(r: &quiverdb::Result<T>) -> Outcome {
    match r {
        Ok(_) => Outcome::Ok,
        Err(Error::NodeNotFound(_)) => Outcome::NodeNotFound,
        Err(Error::EdgeNotFound(_)) => Outcome::EdgeNotFound,
        Err(Error::NodeHasEdges { .. }) => Outcome::NodeHasEdges,
        Err(Error::UniqueViolation { .. }) => Outcome::UniqueViolation,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// Applies `op` to the write transaction and the working model; returns
/// Err(message) on a mismatch.
fn apply(
    op: &Op,
    w: &mut WriteTxn<'_>,
    m: &mut State,
    max_id: &mut (u64, u64),
) -> Result<(), String> {
    let (expected, got) = match op {
        Op::AddNode(labels, props) => {
            let labels: Vec<&str> = labels.iter().map(|l| LABELS[*l]).collect();
            let node = NodeM {
                labels: labels.iter().map(|l| (*l).to_owned()).collect(),
                props: to_props(props),
            };
            let expected = if m.violates(MISSING, &node) {
                Outcome::UniqueViolation
            } else {
                Outcome::Ok
            };
            let r = w.add_node(&labels, node.props.clone());
            if let Ok(id) = r {
                if id.0 < max_id.0 {
                    return Err(format!(
                        "node id {id} was reused (ids up to {} seen)",
                        max_id.0
                    ));
                }
                max_id.0 = id.0 + 1;
                m.nodes.insert(id, node);
            }
            (expected, outcome(&r))
        }
        Op::AddEdge(a, b, t, props) => {
            let (src, dst) = (m.node_at(*a), m.node_at(*b));
            let expected = if m.nodes.contains_key(&src) && m.nodes.contains_key(&dst) {
                Outcome::Ok
            } else {
                Outcome::NodeNotFound
            };
            let r = w.add_edge(src, dst, TYPES[*t], to_props(props));
            if let Ok(id) = r {
                if id.0 < max_id.1 {
                    return Err(format!("edge id {id} was reused"));
                }
                max_id.1 = id.0 + 1;
                m.edges.insert(
                    id,
                    EdgeM {
                        src,
                        dst,
                        ty: TYPES[*t].to_owned(),
                        props: to_props(props),
                    },
                );
            }
            (expected, outcome(&r))
        }
        Op::DeleteNode(n, detach) => {
            let id = m.node_at(*n);
            let incident = m.incident(id);
            let expected = if !m.nodes.contains_key(&id) {
                Outcome::NodeNotFound
            } else if !incident.is_empty() && !detach {
                Outcome::NodeHasEdges
            } else {
                Outcome::Ok
            };
            let got = if *detach {
                let r = w.detach_delete_node(id);
                if let Ok(n) = r
                    && n != incident.len()
                {
                    return Err(format!(
                        "detach-delete removed {n} edges, expected {}",
                        incident.len()
                    ));
                }
                outcome(&r)
            } else {
                outcome(&w.delete_node(id))
            };
            if expected == Outcome::Ok {
                m.nodes.remove(&id);
                for e in incident {
                    m.edges.remove(&e);
                }
            }
            (expected, got)
        }
        Op::DeleteEdge(e) => {
            let id = m.edge_at(*e);
            let expected = if m.edges.remove(&id).is_some() {
                Outcome::Ok
            } else {
                Outcome::EdgeNotFound
            };
            (expected, outcome(&w.delete_edge(id)))
        }
        Op::SetNodeProp(n, k, v) => {
            let id = m.node_at(*n);
            let r = w.set_node_property(id, KEYS[*k], v.clone());
            let expected = update_node(m, id, |node| {
                node.props.insert(KEYS[*k].to_owned(), v.clone());
            });
            (expected, outcome(&r))
        }
        Op::RemoveNodeProp(n, k) => {
            let id = m.node_at(*n);
            let r = w.remove_node_property(id, KEYS[*k]);
            let expected = update_node(m, id, |node| {
                node.props.remove(KEYS[*k]);
            });
            (expected, outcome(&r))
        }
        Op::AddLabel(n, l) => {
            let id = m.node_at(*n);
            let r = w.add_label(id, LABELS[*l]);
            let expected = update_node(m, id, |node| {
                node.labels.insert(LABELS[*l].to_owned());
            });
            (expected, outcome(&r))
        }
        Op::RemoveLabel(n, l) => {
            let id = m.node_at(*n);
            let r = w.remove_label(id, LABELS[*l]);
            let expected = update_node(m, id, |node| {
                node.labels.remove(LABELS[*l]);
            });
            (expected, outcome(&r))
        }
        Op::SetEdgeProp(e, k, v) => {
            let id = m.edge_at(*e);
            let r = w.set_edge_property(id, KEYS[*k], v.clone());
            let expected = match m.edges.get_mut(&id) {
                Some(edge) => {
                    edge.props.insert(KEYS[*k].to_owned(), v.clone());
                    Outcome::Ok
                }
                None => Outcome::EdgeNotFound,
            };
            (expected, outcome(&r))
        }
        Op::CreateUnique(l, k) => {
            let (l, k) = (LABELS[*l], KEYS[*k]);
            let mut seen = Vec::new();
            let mut dup = false;
            for n in m.nodes.values().filter(|n| n.labels.contains(l)) {
                if let Some(v) = n.props.get(k) {
                    dup |= seen.contains(&v);
                    seen.push(v);
                }
            }
            let expected = if dup && !m.unique.contains(&(l.into(), k.into())) {
                Outcome::UniqueViolation
            } else {
                m.indexed.remove(&(l.into(), k.into()));
                m.unique.insert((l.into(), k.into()));
                Outcome::Ok
            };
            (expected, outcome(&w.create_unique_key(l, k)))
        }
        Op::CreateIndex(l, k) => {
            let pair = (LABELS[*l].to_owned(), KEYS[*k].to_owned());
            if !m.unique.contains(&pair) {
                m.indexed.insert(pair);
            }
            (Outcome::Ok, outcome(&w.create_index(LABELS[*l], KEYS[*k])))
        }
        Op::DropIndex(l, k) => {
            let pair = (LABELS[*l].to_owned(), KEYS[*k].to_owned());
            let had = m.unique.remove(&pair) | m.indexed.remove(&pair);
            let r = w.drop_index(LABELS[*l], KEYS[*k]);
            if r.as_ref().ok() != Some(&had) {
                return Err(format!("drop_index returned {r:?}, expected {had}"));
            }
            (Outcome::Ok, outcome(&r))
        }
        Op::Commit | Op::Abort | Op::Snapshot | Op::Reopen => unreachable!(),
    };
    if expected == got {
        Ok(())
    } else {
        Err(format!("{op:?}: expected {expected:?}, got {got:?}"))
    }
}

/// Applies `f` to node `id` in the model unless the result would break a
/// unique key; returns the expected outcome.
fn update_node(m: &mut State, id: NodeId, f: impl FnOnce(&mut NodeM)) -> Outcome {
    let Some(node) = m.nodes.get(&id) else {
        return Outcome::NodeNotFound;
    };
    let mut new = node.clone();
    f(&mut new);
    if m.violates(id, &new) {
        return Outcome::UniqueViolation;
    }
    m.nodes.insert(id, new);
    Outcome::Ok
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what()) }
}

/// Compares every read of `view` with the model.
fn check(view: &impl GraphRead, m: &State, ctx: &str) -> Result<(), String> {
    let err = |e: Error| format!("{ctx}: {e}");
    let ids = view.node_ids().map_err(err)?;
    ensure(ids == m.nodes.keys().copied().collect::<Vec<_>>(), || {
        format!("{ctx}: node ids {ids:?} != model {:?}", m.nodes.keys())
    })?;
    let eids = view.edge_ids().map_err(err)?;
    ensure(eids == m.edges.keys().copied().collect::<Vec<_>>(), || {
        format!("{ctx}: edge ids {eids:?} != model {:?}", m.edges.keys())
    })?;
    ensure(
        view.node_count().map_err(err)? == m.nodes.len() as u64,
        || format!("{ctx}: node_count"),
    )?;
    ensure(
        view.edge_count().map_err(err)? == m.edges.len() as u64,
        || format!("{ctx}: edge_count"),
    )?;
    // The streaming forms read the same rows, a page at a time.
    let streamed: Vec<NodeId> = view
        .iter_node_ids()
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    ensure(streamed == ids, || {
        format!("{ctx}: iter_node_ids {streamed:?}")
    })?;
    let streamed: Vec<EdgeId> = view
        .iter_edge_ids()
        .map_err(err)?
        .collect::<Result<_, _>>()
        .map_err(err)?;
    ensure(streamed == eids, || {
        format!("{ctx}: iter_edge_ids {streamed:?}")
    })?;
    for k in KEYS {
        let expected: Vec<(NodeId, Value)> = m
            .nodes
            .iter()
            .filter_map(|(id, n)| Some((*id, n.props.get(k)?.clone())))
            .collect();
        let streamed: Vec<(NodeId, Value)> = view
            .iter_property_values(k)
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        ensure(streamed == expected, || {
            format!("{ctx}: iter_property_values({k}) {streamed:?}")
        })?;
    }

    for (id, n) in &m.nodes {
        let got = view
            .node(*id)
            .map_err(err)?
            .ok_or_else(|| format!("{ctx}: node {id} missing"))?;
        let labels: BTreeSet<String> = got.labels.iter().cloned().collect();
        ensure(labels == n.labels && got.props == n.props, || {
            format!("{ctx}: node {id} is {got:?}, model {n:?}")
        })?;
        for dir in [Direction::Out, Direction::In, Direction::Both] {
            for ty in [None, Some("X"), Some("Y"), Some("Z")] {
                let matches = |e: &EdgeM, out: bool| {
                    (if out { e.src } else { e.dst }) == *id && ty.is_none_or(|t| t == e.ty)
                };
                let mut expected: Vec<(EdgeId, NodeId, NodeId, String)> = Vec::new();
                let mut neighbours = BTreeSet::new();
                for out in [true, false] {
                    if (dir == Direction::Out && !out) || (dir == Direction::In && out) {
                        continue;
                    }
                    for (eid, e) in m.edges.iter().filter(|(_, e)| matches(e, out)) {
                        expected.push((*eid, e.src, e.dst, e.ty.clone()));
                        neighbours.insert(if out { e.dst } else { e.src });
                    }
                }
                let mut got: Vec<_> = view
                    .edges(*id, dir, ty)
                    .map_err(err)?
                    .into_iter()
                    .map(|e| (e.id, e.source, e.target, e.edge_type))
                    .collect();
                got.sort();
                expected.sort();
                ensure(got == expected, || {
                    format!("{ctx}: edges({id}, {dir:?}, {ty:?}) = {got:?}, model {expected:?}")
                })?;
                let streamed: Vec<_> = view
                    .iter_edges(*id, dir, ty)
                    .map_err(err)?
                    .map(|e| e.map(|e| (e.id, e.source, e.target, e.edge_type)))
                    .collect::<Result<_, _>>()
                    .map_err(err)?;
                let listed: Vec<_> = view
                    .edges(*id, dir, ty)
                    .map_err(err)?
                    .into_iter()
                    .map(|e| (e.id, e.source, e.target, e.edge_type))
                    .collect();
                ensure(streamed == listed, || {
                    format!("{ctx}: iter_edges({id}, {dir:?}, {ty:?}) = {streamed:?}")
                })?;
                let nb = view.neighbors(*id, dir, ty).map_err(err)?;
                ensure(nb == neighbours.iter().copied().collect::<Vec<_>>(), || {
                    format!(
                        "{ctx}: neighbors({id}, {dir:?}, {ty:?}) = {nb:?}, model {neighbours:?}"
                    )
                })?;
            }
        }
    }
    for (id, e) in &m.edges {
        let got = view
            .edge(*id)
            .map_err(err)?
            .ok_or_else(|| format!("{ctx}: edge {id} missing"))?;
        ensure(
            got.source == e.src
                && got.target == e.dst
                && got.edge_type == e.ty
                && got.props == e.props,
            || format!("{ctx}: edge {id} is {got:?}, model {e:?}"),
        )?;
    }
    for l in LABELS {
        let got = view.nodes_with_label(l).map_err(err)?;
        let streamed: Vec<NodeId> = view
            .iter_nodes_with_label(l)
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        ensure(streamed == got, || {
            format!("{ctx}: iter_nodes_with_label({l}) = {streamed:?}")
        })?;
        let expected: Vec<NodeId> = m
            .nodes
            .iter()
            .filter(|(_, n)| n.labels.contains(l))
            .map(|(id, _)| *id)
            .collect();
        ensure(got == expected, || {
            format!("{ctx}: nodes_with_label({l}) = {got:?}, model {expected:?}")
        })?;
        for k in KEYS {
            let pair = (l.to_owned(), k.to_owned());
            let declared = m.unique.contains(&pair) || m.indexed.contains(&pair);
            let mut probe: Vec<Value> = m
                .nodes
                .values()
                .filter_map(|n| n.props.get(k).cloned())
                .collect();
            probe.push(Value::Int(99));
            for v in probe {
                let r = view.nodes_by_property(l, k, &v);
                if !declared {
                    ensure(matches!(r, Err(Error::NotIndexed { .. })), || {
                        format!("{ctx}: nodes_by_property({l}, {k}) without an index gave {r:?}")
                    })?;
                    continue;
                }
                let got = r.map_err(err)?;
                let expected: Vec<NodeId> = m
                    .nodes
                    .iter()
                    .filter(|(_, n)| n.labels.contains(l) && n.props.get(k) == Some(&v))
                    .map(|(id, _)| *id)
                    .collect();
                ensure(got == expected, || {
                    format!(
                        "{ctx}: nodes_by_property({l}, {k}, {v:?}) = {got:?}, model {expected:?}"
                    )
                })?;
                if m.unique.contains(&pair) {
                    let one = view.node_by_key(l, k, &v).map_err(err)?;
                    ensure(one == expected.first().copied(), || {
                        format!("{ctx}: node_by_key({l}, {k}, {v:?}) = {one:?}")
                    })?;
                }
            }
        }
    }
    ensure(view.node(MISSING).map_err(err)?.is_none(), || {
        format!("{ctx}: a missing node was found")
    })?;
    ensure(
        matches!(
            view.edges(MISSING, Direction::Both, None),
            Err(Error::NodeNotFound(_))
        ),
        || format!("{ctx}: edges() of a missing node did not fail"),
    )?;
    Ok(())
}

fn run(ops: &[Op]) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("db");
    let mut committed = State::default();
    // Ids handed out so far; after a reopen, those handed out since the
    // last commit (never persisted) may be handed out again.
    let mut max_id = (0u64, 0u64);
    let mut max_id_at_commit = max_id;
    for segment in ops.split(|op| matches!(op, Op::Reopen)) {
        let db = Database::open(&path).map_err(|e| format!("reopen: {e}"))?;
        check(
            &db.begin_read().map_err(|e| e.to_string())?,
            &committed,
            "after open",
        )?;
        let report = db.check().map_err(|e| e.to_string())?;
        ensure(report.is_ok(), || {
            format!("consistency check after open: {:?}", report.problems)
        })?;
        let mut snapshots: Vec<(ReadTxn<'_>, State)> = Vec::new();
        let mut working = committed.clone();
        let mut txn: Option<WriteTxn<'_>> = None;
        for op in segment {
            match op {
                Op::Commit => {
                    if let Some(w) = txn.take() {
                        w.commit().map_err(|e| format!("commit: {e}"))?;
                        max_id_at_commit = max_id;
                    }
                    committed = working.clone();
                }
                Op::Abort => {
                    if let Some(w) = txn.take() {
                        w.abort();
                    }
                    working = committed.clone();
                }
                Op::Snapshot => {
                    snapshots.push((
                        db.begin_read().map_err(|e| e.to_string())?,
                        committed.clone(),
                    ));
                }
                Op::Reopen => unreachable!(),
                _ => {
                    if txn.is_none() {
                        txn = Some(db.begin_write().map_err(|e| e.to_string())?);
                    }
                    let w = txn.as_mut().unwrap();
                    apply(op, w, &mut working, &mut max_id)?;
                    check(w, &working, &format!("inside the write after {op:?}"))?;
                    check(
                        &db.begin_read().map_err(|e| e.to_string())?,
                        &committed,
                        "a reader during a write",
                    )?;
                }
            }
        }
        for (i, (snap, state)) in snapshots.iter().enumerate() {
            check(
                snap,
                state,
                &format!("snapshot {i} at the end of the segment"),
            )?;
        }
        // An open transaction at a reopen is dropped: nothing of it remains.
        drop(snapshots);
        drop(txn);
        db.close().map_err(|e| format!("close: {e}"))?;
        max_id = max_id_at_commit;
    }
    let db = Database::open(&path).map_err(|e| e.to_string())?;
    check(
        &db.begin_read().map_err(|e| e.to_string())?,
        &committed,
        "final reopen",
    )
}

#[test]
fn random_operation_sequences_match_the_model() {
    let strategy = prop::collection::vec(op(), 1..60);
    common::run_model("model test", &strategy, 0x5eed_0001, 48, |ops| run(&ops));
}
