//! The graph a statement reads and writes: a read transaction's snapshot,
//! a write transaction's own view, or none (a statement of expressions
//! only).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::columns::Column;
use crate::graph::dict::Kind;
use crate::graph::read::Reader;
use crate::graph::records::NodeRecord;
use crate::graph::sealed::Sealed;
use crate::query::error::{ErrorKind, QResult, QueryError};
use crate::query::value::{CypherValue as V, CypherValue, NodeValue, PathValue, RelValue};
use crate::txn::{ReadTxn, WriteTxn};
use crate::{EdgeId, NodeId, Value};

type Row = Vec<CypherValue>;

/// A transaction that the procedure calls and `CALL` subqueries inside
/// an expression's subquery (`EXISTS { CALL { … } }`) run on, read-only:
/// a snapshot or a write transaction's view. (A trait object, so that a
/// [`Graph`] can hold one without the transaction's own lifetime.)
pub(crate) trait Txn {
    /// `go` with read access to the transaction.
    fn read(&self, go: &mut dyn FnMut(&Access<'_, '_>) -> QResult<Vec<Row>>) -> QResult<Vec<Row>>;
}

impl Txn for ReadTxn<'_> {
    fn read(&self, go: &mut dyn FnMut(&Access<'_, '_>) -> QResult<Vec<Row>>) -> QResult<Vec<Row>> {
        go(&Access::Read(self))
    }
}

impl Txn for WriteTxn<'_> {
    fn read(&self, go: &mut dyn FnMut(&Access<'_, '_>) -> QResult<Vec<Row>>) -> QResult<Vec<Row>> {
        go(&Access::View(self))
    }
}

/// Where a statement runs.
pub(crate) enum Access<'t, 'db> {
    /// No database: graph clauses fail.
    Detached,
    /// A snapshot: write clauses fail.
    Read(&'t ReadTxn<'db>),
    /// A write transaction, whose view the statement reads.
    Write(&'t mut WriteTxn<'db>),
    /// A write transaction's view, read by a read-only statement streamed
    /// from it: write clauses fail.
    View(&'t WriteTxn<'db>),
}

impl<'db> Access<'_, 'db> {
    /// The directory `LOAD CSV` reads from, if the database has one.
    pub fn import_dir(&self) -> Option<&'db std::path::Path> {
        match self {
            Access::Detached => None,
            Access::Read(r) => r.db().import_dir(),
            Access::Write(w) => w.db().import_dir(),
            Access::View(w) => w.db().import_dir(),
        }
    }

    /// The transaction for read steps' procedure calls and `CALL`
    /// subqueries, if there is one (a write transaction's view).
    pub fn txn(&self) -> Option<&dyn Txn> {
        match self {
            Access::Detached => None,
            Access::Read(r) => Some(*r),
            Access::Write(w) => Some(&**w),
            Access::View(w) => Some(*w),
        }
    }

    /// The graph a read step reads (with a record cache), if there is
    /// one.
    pub fn graph(&self) -> Option<Graph<'_>> {
        Some(Graph::cached(self.reader()?).with_txn(self.txn()))
    }

    /// The reader of the graph, if there is one.
    pub fn reader(&self) -> Option<Reader<'_>> {
        match self {
            Access::Detached => None,
            Access::Read(r) => Some(r.reader()),
            Access::Write(w) => Some(w.reader()),
            Access::View(w) => Some(w.reader()),
        }
    }

    /// The write transaction, or the error a read-only statement gets.
    pub fn writer(&mut self) -> QResult<&mut WriteTxn<'db>> {
        match self {
            Access::Write(w) => Ok(w),
            Access::Read(_) | Access::View(_) => Err(QueryError::runtime(
                ErrorKind::SemanticError,
                "ReadOnlyTransaction",
                "a read transaction cannot run a statement that writes; use WriteTxn::query or Database::execute",
            )),
            Access::Detached => Err(no_graph()),
        }
    }
}

/// The error of a graph clause or function with no database.
/// The detail of [`no_graph`]'s error.
const NO_GRAPH: &str = "NoGraph";

/// Whether `e` says an expression needed the graph and had none.
pub(crate) fn is_no_graph(e: &QueryError) -> bool {
    e.detail == NO_GRAPH
}

pub(crate) fn no_graph() -> QueryError {
    QueryError::runtime(
        ErrorKind::SemanticError,
        NO_GRAPH,
        "this statement reads or writes the graph; run it on a transaction",
    )
}

fn deleted(what: &str) -> QueryError {
    QueryError::runtime(
        ErrorKind::EntityNotFound,
        "DeletedEntityAccess",
        format!("the {what} was deleted by this statement"),
    )
}

/// A stored value in a statement.
pub(crate) fn from_stored(v: &Value) -> CypherValue {
    CypherValue::from(v.clone())
}

/// The stored form of a property value; `None` for `null` (which removes
/// the property).
pub(crate) fn to_stored(v: &CypherValue) -> QResult<Option<Value>> {
    fn item(v: &CypherValue) -> QResult<Value> {
        Ok(match v {
            V::Bool(b) => Value::Bool(*b),
            V::Int(i) => Value::Int(*i),
            V::Float(f) => Value::Float(*f),
            V::String(s) => Value::String(s.clone()),
            V::Bytes(b) => Value::Bytes(b.clone()),
            V::Temporal(t) => Value::Temporal((**t).clone()),
            other => {
                return Err(QueryError::runtime(
                    ErrorKind::TypeError,
                    "InvalidPropertyType",
                    format!(
                        "a property holds a boolean, number, string, temporal value or a list of them, not {}",
                        other.type_name()
                    ),
                ));
            }
        })
    }
    Ok(match v {
        V::Null => None,
        V::List(items) => Some(Value::List(items.iter().map(item).collect::<QResult<_>>()?)),
        other => Some(item(other)?),
    })
}

/// The graph a step reads: the transaction's reader, with (in steps that
/// do not write) a cache of the node records it decoded, since a row's
/// expressions and the next rows often read the same nodes.
pub(crate) struct Graph<'a> {
    pub r: Reader<'a>,
    records: Option<RefCell<FxHashMap<NodeId, Option<Rc<NodeRecord>>>>>,
    /// Property columns of the snapshot (see `columns.rs`), by key.
    columns: FxHashMap<String, Arc<Column>>,
    /// The transaction, for subquery expressions that call.
    txn: Option<&'a dyn Txn>,
}

/// Node records a read step keeps decoded, at most.
const CACHED_RECORDS: usize = 1 << 16;

impl<'a> Graph<'a> {
    /// No cache: for steps that write between reads.
    pub fn new(r: Reader<'a>) -> Graph<'a> {
        Graph {
            r,
            records: None,
            columns: FxHashMap::default(),
            txn: None,
        }
    }

    /// Reads these properties from columns (every node of a read
    /// snapshot is in them: a node missing from one has no such
    /// property).
    pub fn with_columns(mut self, columns: FxHashMap<String, Arc<Column>>) -> Graph<'a> {
        self.columns = columns;
        self
    }

    /// With a record cache: for steps that only read.
    pub fn cached(r: Reader<'a>) -> Graph<'a> {
        Graph {
            r,
            records: Some(RefCell::new(FxHashMap::default())),
            columns: FxHashMap::default(),
            txn: None,
        }
    }

    /// Runs procedure calls and `CALL` subqueries inside subquery
    /// expressions on `txn` (which `r` reads).
    pub fn with_txn(mut self, txn: Option<&'a dyn Txn>) -> Graph<'a> {
        self.txn = txn;
        self
    }

    /// See [`with_txn`](Self::with_txn).
    pub fn txn(&self) -> Option<&'a dyn Txn> {
        self.txn
    }

    /// Node `id`'s record, `None` if it does not exist.
    pub fn node_record(&self, id: NodeId) -> QResult<Option<Rc<NodeRecord>>> {
        let Some(cache) = &self.records else {
            return Ok(self.r.node_record(id)?.map(Rc::new));
        };
        if let Some(hit) = cache.borrow().get(&id) {
            return Ok(hit.clone());
        }
        let rec = self.r.node_record(id)?.map(Rc::new);
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHED_RECORDS {
            cache.clear();
        }
        cache.insert(id, rec.clone());
        Ok(rec)
    }
}

/// Reads of graph entities for expressions.
impl Graph<'_> {
    pub fn node_property(&self, id: NodeId, key: &str) -> QResult<CypherValue> {
        if let Some(column) = self.columns.get(key) {
            return Ok(column.get(id).map_or(V::Null, Cow::into_owned));
        }
        let rec = self.node_record(id)?.ok_or_else(|| deleted("node"))?;
        Ok(match self.r.names.id(Kind::PropKey, key) {
            Some(k) => rec.prop(k).map_or(V::Null, from_stored),
            None => V::Null,
        })
    }

    pub fn edge_property(&self, id: EdgeId, key: &str) -> QResult<CypherValue> {
        let rec = self
            .r
            .edge_record(id)?
            .ok_or_else(|| deleted("relationship"))?;
        Ok(match self.r.names.id(Kind::PropKey, key) {
            Some(k) => rec
                .props
                .iter()
                .find(|(p, _)| *p == k)
                .map_or(V::Null, |(_, v)| from_stored(v)),
            None => V::Null,
        })
    }

    pub fn node_labels(&self, id: NodeId) -> QResult<Vec<String>> {
        let node = self.r.node(id)?.ok_or_else(|| deleted("node"))?;
        Ok(node.labels)
    }

    pub fn node_properties(&self, id: NodeId) -> QResult<BTreeMap<String, CypherValue>> {
        let node = self.r.node(id)?.ok_or_else(|| deleted("node"))?;
        Ok(stored_map(&node.props))
    }

    pub fn edge_properties(&self, id: EdgeId) -> QResult<BTreeMap<String, CypherValue>> {
        let edge = self.r.edge(id)?.ok_or_else(|| deleted("relationship"))?;
        Ok(stored_map(&edge.props))
    }

    pub fn has_label(&self, id: NodeId, label: &str) -> QResult<bool> {
        let rec = self.node_record(id)?.ok_or_else(|| deleted("node"))?;
        Ok(self
            .r
            .names
            .id(Kind::Label, label)
            .is_some_and(|l| rec.has_label(l)))
    }

    pub fn relationship(&self, id: EdgeId) -> QResult<Option<RelValue>> {
        let Some(rec) = self.r.edge_record(id)? else {
            return Ok(None);
        };
        Ok(Some(RelValue {
            id,
            start: rec.src,
            end: rec.dst,
            rel_type: self.r.names.name(Kind::EdgeType, rec.edge_type)?,
            properties: BTreeMap::new(),
        }))
    }
}

/// Stored properties as a statement's map.
fn stored_map(props: &crate::Props) -> BTreeMap<String, CypherValue> {
    props
        .iter()
        .map(|(k, v)| (k.clone(), from_stored(v)))
        .collect()
}

/// Fills in the labels and properties of every node and relationship in
/// `v` (as the statement left them; a deleted one keeps only its id).
pub(crate) fn resolve(v: &mut CypherValue, r: &Reader<'_>) -> QResult<()> {
    match v {
        V::Node(n) => resolve_node(n, r),
        V::Relationship(rel) => resolve_rel(rel, r),
        V::Path(p) => {
            let PathValue {
                nodes,
                relationships,
            } = &mut **p;
            for n in nodes {
                resolve_node(n, r)?;
            }
            for rel in relationships {
                resolve_rel(rel, r)?;
            }
            Ok(())
        }
        V::List(items) => items.iter_mut().try_for_each(|x| resolve(x, r)),
        V::Map(m) => m.values_mut().try_for_each(|x| resolve(x, r)),
        _ => Ok(()),
    }
}

fn resolve_node(n: &mut NodeValue, r: &Reader<'_>) -> QResult<()> {
    if let Some(node) = r.node(n.id)? {
        n.labels = node.labels;
        n.properties = stored_map(&node.props);
    }
    Ok(())
}

fn resolve_rel(rel: &mut RelValue, r: &Reader<'_>) -> QResult<()> {
    if let Some(edge) = r.edge(rel.id)? {
        rel.rel_type = edge.edge_type;
        rel.properties = stored_map(&edge.props);
    }
    Ok(())
}
