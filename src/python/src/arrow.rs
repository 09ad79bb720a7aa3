//! A result as Arrow record batches, exported through the Arrow C stream
//! interface (`__arrow_c_stream__`): pyarrow, polars and DuckDB read it
//! without pyarrow being needed here.
//!
//! Each column's type is inferred from all its values: integers are
//! Int64, floats (and integers mixed with floats) Float64, then Boolean,
//! Utf8, Binary; lists are List of their items' type; maps, nodes,
//! relationships and paths are Structs (a node: `_id`, `_labels` and its
//! properties; a relationship: `_id`, `_start`, `_end`, `_type` and its
//! properties; a path: `nodes` and `relationships`), their fields the
//! union of every row's. A column whose values have no common type
//! (an integer beside a string) is Utf8, each value as Cypher prints it.
//! Null is null at every level.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, Float64Array, Int64Array, ListArray, NullArray,
    RecordBatch, RecordBatchIterator, StringArray, StructArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{ArrowError, DataType, Field, Fields, Schema};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use quiverdb::query::{CypherValue, NodeValue, RelValue};

use crate::error::invalid_err;

/// Rows per record batch.
const BATCH: usize = 65_536;

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Text,
    Bytes,
    List(Box<Kind>),
    Struct(Vec<(String, Kind)>),
}

/// The fields of a value shown as a struct, or None for the others.
fn fields_of(v: CypherValue) -> Result<BTreeMap<String, CypherValue>, CypherValue> {
    let int = |n: u64| CypherValue::Int(n as i64);
    match v {
        CypherValue::Map(m) => Ok(m),
        CypherValue::Node(n) => {
            let mut out = n.properties;
            out.insert("_id".into(), int(n.id.0));
            out.insert(
                "_labels".into(),
                CypherValue::List(n.labels.into_iter().map(CypherValue::String).collect()),
            );
            Ok(out)
        }
        CypherValue::Relationship(r) => {
            let mut out = r.properties;
            out.insert("_id".into(), int(r.id.0));
            out.insert("_start".into(), int(r.start.0));
            out.insert("_end".into(), int(r.end.0));
            out.insert("_type".into(), CypherValue::String(r.rel_type));
            Ok(out)
        }
        CypherValue::Path(p) => {
            let p = *p;
            let mut out = BTreeMap::new();
            out.insert(
                "nodes".into(),
                CypherValue::List(
                    p.nodes
                        .into_iter()
                        .map(|n| CypherValue::Node(Box::new(n)))
                        .collect(),
                ),
            );
            out.insert(
                "relationships".into(),
                CypherValue::List(
                    p.relationships
                        .into_iter()
                        .map(|r| CypherValue::Relationship(Box::new(r)))
                        .collect(),
                ),
            );
            Ok(out)
        }
        other => Err(other),
    }
}

fn kind_of(v: &CypherValue) -> Kind {
    match v {
        CypherValue::Null => Kind::Null,
        CypherValue::Bool(_) => Kind::Bool,
        CypherValue::Int(_) => Kind::Int,
        CypherValue::Float(_) => Kind::Float,
        CypherValue::String(_) => Kind::Text,
        CypherValue::Bytes(_) => Kind::Bytes,
        CypherValue::List(items) => {
            Kind::List(Box::new(items.iter().map(kind_of).fold(Kind::Null, merge)))
        }
        // The fields `fields_of` makes, read in place (no copy per row).
        CypherValue::Map(m) => props_kind(&[], m),
        CypherValue::Node(n) => node_kind(n),
        CypherValue::Relationship(r) => rel_kind(r),
        CypherValue::Path(p) => {
            let nodes = p.nodes.iter().map(node_kind).fold(Kind::Null, merge);
            let rels = p.relationships.iter().map(rel_kind).fold(Kind::Null, merge);
            Kind::Struct(vec![
                ("nodes".to_owned(), Kind::List(Box::new(nodes))),
                ("relationships".to_owned(), Kind::List(Box::new(rels))),
            ])
        }
        #[allow(unreachable_patterns, reason = "CypherValue is non-exhaustive")]
        _ => Kind::Text,
    }
}

fn node_kind(n: &NodeValue) -> Kind {
    let labels = Kind::List(Box::new(Kind::Text));
    props_kind(&[("_id", Kind::Int), ("_labels", labels)], &n.properties)
}

fn rel_kind(r: &RelValue) -> Kind {
    let fixed = [
        ("_id", Kind::Int),
        ("_start", Kind::Int),
        ("_end", Kind::Int),
        ("_type", Kind::Text),
    ];
    props_kind(&fixed, &r.properties)
}

/// A struct of the `fixed` fields and the properties, in `fields_of`'s
/// (sorted) order.
fn props_kind(fixed: &[(&str, Kind)], props: &BTreeMap<String, CypherValue>) -> Kind {
    let mut fields: BTreeMap<&str, Kind> = props
        .iter()
        .map(|(k, v)| (k.as_str(), kind_of(v)))
        .collect();
    for (name, kind) in fixed {
        fields.insert(name, kind.clone());
    }
    Kind::Struct(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn merge(a: Kind, b: Kind) -> Kind {
    match (a, b) {
        (Kind::Null, x) | (x, Kind::Null) => x,
        (a, b) if a == b => a,
        (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
        (Kind::List(a), Kind::List(b)) => Kind::List(Box::new(merge(*a, *b))),
        (Kind::Struct(mut a), Kind::Struct(b)) => {
            for (name, kind) in b {
                match a.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, have)) => *have = merge(std::mem::replace(have, Kind::Null), kind),
                    None => a.push((name, kind)),
                }
            }
            Kind::Struct(a)
        }
        _ => Kind::Text,
    }
}

fn data_type(kind: &Kind) -> DataType {
    match kind {
        Kind::Null => DataType::Null,
        Kind::Bool => DataType::Boolean,
        Kind::Int => DataType::Int64,
        Kind::Float => DataType::Float64,
        Kind::Text => DataType::Utf8,
        Kind::Bytes => DataType::Binary,
        Kind::List(item) => DataType::List(Arc::new(Field::new("item", data_type(item), true))),
        Kind::Struct(fields) => DataType::Struct(struct_fields(fields)),
    }
}

fn struct_fields(fields: &[(String, Kind)]) -> Fields {
    fields
        .iter()
        .map(|(name, kind)| Field::new(name, data_type(kind), true))
        .collect()
}

fn validity(values: &[Option<CypherValue>]) -> Option<NullBuffer> {
    let valid: Vec<bool> = values
        .iter()
        .map(|v| !matches!(v, None | Some(CypherValue::Null)))
        .collect();
    valid.iter().any(|v| !v).then(|| NullBuffer::from(valid))
}

/// The array of `values` (None or Null: null) as `kind`.
fn build(kind: &Kind, values: Vec<Option<CypherValue>>) -> Result<ArrayRef, ArrowError> {
    use CypherValue as V;
    Ok(match kind {
        Kind::Null => Arc::new(NullArray::new(values.len())),
        Kind::Bool => Arc::new(
            values
                .into_iter()
                .map(|v| match v {
                    Some(V::Bool(b)) => Some(b),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
        Kind::Int => Arc::new(
            values
                .into_iter()
                .map(|v| match v {
                    Some(V::Int(i)) => Some(i),
                    _ => None,
                })
                .collect::<Int64Array>(),
        ),
        Kind::Float => Arc::new(
            values
                .into_iter()
                .map(|v| match v {
                    Some(V::Float(f)) => Some(f),
                    Some(V::Int(i)) => Some(i as f64),
                    _ => None,
                })
                .collect::<Float64Array>(),
        ),
        Kind::Text => Arc::new(
            values
                .into_iter()
                .map(|v| match v {
                    None | Some(V::Null) => None,
                    Some(V::String(s)) => Some(s),
                    Some(other) => Some(other.to_string()),
                })
                .collect::<StringArray>(),
        ),
        Kind::Bytes => Arc::new(
            values
                .iter()
                .map(|v| match v {
                    Some(V::Bytes(b)) => Some(b.as_slice()),
                    _ => None,
                })
                .collect::<BinaryArray>(),
        ),
        Kind::List(item) => {
            let nulls = validity(&values);
            let mut lengths = Vec::with_capacity(values.len());
            let mut items = Vec::new();
            for v in values {
                match v {
                    Some(V::List(list)) => {
                        lengths.push(list.len());
                        items.extend(list.into_iter().map(Some));
                    }
                    _ => lengths.push(0),
                }
            }
            let field = Arc::new(Field::new("item", data_type(item), true));
            Arc::new(ListArray::try_new(
                field,
                OffsetBuffer::from_lengths(lengths),
                build(item, items)?,
                nulls,
            )?)
        }
        Kind::Struct(fields) => {
            let nulls = validity(&values);
            let n = values.len();
            let mut rows: Vec<Option<BTreeMap<String, CypherValue>>> = values
                .into_iter()
                .map(|v| v.and_then(|v| fields_of(v).ok()))
                .collect();
            if fields.is_empty() {
                return Ok(Arc::new(StructArray::new_empty_fields(n, nulls)));
            }
            let mut children = Vec::with_capacity(fields.len());
            for (name, kind) in fields {
                let column = rows
                    .iter_mut()
                    .map(|r| r.as_mut().and_then(|m| m.remove(name)))
                    .collect();
                children.push(build(kind, column)?);
            }
            Arc::new(StructArray::try_new(
                struct_fields(fields),
                children,
                nulls,
            )?)
        }
    })
}

/// The rows as record batches of at most [`BATCH`] rows, with their schema.
fn batches(
    columns: &[String],
    rows: &[Vec<CypherValue>],
) -> Result<(Arc<Schema>, Vec<RecordBatch>), ArrowError> {
    let kinds: Vec<Kind> = (0..columns.len())
        .map(|c| rows.iter().map(|r| kind_of(&r[c])).fold(Kind::Null, merge))
        .collect();
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .zip(&kinds)
            .map(|(name, kind)| Field::new(name, data_type(kind), true))
            .collect::<Vec<_>>(),
    ));
    let mut out = Vec::new();
    for chunk in rows.chunks(BATCH) {
        let arrays = kinds
            .iter()
            .enumerate()
            .map(|(c, kind)| build(kind, chunk.iter().map(|r| Some(r[c].clone())).collect()))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(RecordBatch::try_new(Arc::clone(&schema), arrays)?);
    }
    Ok((schema, out))
}

/// The capsule of an Arrow C stream over the rows.
pub(crate) fn stream_capsule<'py>(
    py: Python<'py>,
    columns: &[String],
    rows: &[Vec<CypherValue>],
) -> PyResult<Bound<'py, PyCapsule>> {
    let (schema, batches) = py
        .detach(|| batches(columns, rows))
        .map_err(|e| invalid_err(format!("cannot make Arrow arrays of this result: {e}")))?;
    let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
    let stream = FFI_ArrowArrayStream::new(Box::new(reader));
    PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
}
