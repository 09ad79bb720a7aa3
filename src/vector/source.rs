//! Collections fed by a graph property ([`VectorSource`]): the graph
//! shows every node and relationship a write changes
//! ([`Links::entity_written`](crate::txn::Links)) and the collections
//! whose label and property it touches get the point upserted or deleted
//! in the same transaction; creating one fills it from the graph.

use std::sync::Arc;

use super::record::CollectionRecord;
use super::state::VectorTxn;
use super::{CollectionConfig, VectorSource};
use crate::error::{Error, Result};
use crate::txn::{EntityView, WriteTxn, Written};
use crate::{Props, Value};

/// A collection fed by a graph property: its id, name and source.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fed {
    pub id: u32,
    pub name: String,
    pub source: VectorSource,
}

/// The fed collections of a view, from their records.
pub(crate) fn all(records: &[(String, CollectionRecord)]) -> Arc<Vec<Fed>> {
    Arc::new(
        records
            .iter()
            .filter_map(|(name, rec)| {
                rec.source.as_ref().map(|s| Fed {
                    id: rec.id,
                    name: name.clone(),
                    source: s.source(),
                })
            })
            .collect(),
    )
}

/// [`Links::watches`](crate::txn::Links): whether a fed collection reads
/// nodes (`edges` false) or relationships, and property `key` when given.
pub(crate) fn watches(txn: &WriteTxn<'_>, edges: bool, key: Option<&str>) -> bool {
    txn.part::<VectorTxn>().is_some_and(|v| {
        v.fed()
            .iter()
            .any(|f| f.source.on_edges() == edges && key.is_none_or(|k| f.source.property() == k))
    })
}

/// [`Links::entity_written`](crate::txn::Links): upserts or deletes the
/// entity's point in every collection its write concerns — or, when not
/// `apply`, only checks that it could: a value that is not a vector of the
/// collection's dimension (or a zero vector under cosine) is an error
/// before the graph buffers anything, so a refused write leaves the
/// transaction as it was.
pub(crate) fn entity_written(txn: &mut WriteTxn<'_>, w: &Written<'_>, apply: bool) -> Result<()> {
    let Some(fed) = txn.part::<VectorTxn>().map(|v| Arc::clone(v.fed())) else {
        return Ok(());
    };
    for f in fed.iter().filter(|f| f.source.on_edges() == w.edge) {
        let (label, key) = (f.source.label(), f.source.property());
        match (
            value_in(w.before, label, key),
            value_in(w.after, label, key),
        ) {
            (was, Some(is)) if was != Some(is) => {
                let rec = CollectionRecord::load(txn.kv(), &f.name)?;
                let config = rec.config();
                let vector = as_vector(is, &f.name, &f.source, w.id, config.dim)?;
                if apply {
                    txn.put_point(&f.name, rec, w.id, &vector, Props::new(), None)?;
                } else {
                    prepared(&vector, &f.name, &f.source, w.id, &config)?;
                }
            }
            (Some(_), None) if apply => {
                txn.delete_point(&f.name, w.id)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The value a source reads from an entity: its property `key` when it
/// carries `label`.
fn value_in<'v>(view: Option<&'v dyn EntityView>, label: &str, key: &str) -> Option<&'v Value> {
    view.filter(|v| v.has_label(label))
        .and_then(|v| v.property(key))
}

/// Fills the new fed collection `name` from the graph: every entity of
/// its source that has the property.
pub(crate) fn fill(txn: &mut WriteTxn<'_>, name: &str, source: &VectorSource) -> Result<u64> {
    let mut found = Vec::new();
    let values = txn.db().links().property_values;
    let dim = CollectionRecord::load(txn.kv(), name)?.config().dim;
    values(
        txn.db(),
        txn.kv(),
        source.on_edges(),
        source.label(),
        source.property(),
        &mut |id, value| {
            found.push((id, as_vector(value, name, source, id, dim)?));
            Ok(())
        },
    )?;
    let count = found.len() as u64;
    for (id, vector) in found {
        let rec = CollectionRecord::load(txn.kv(), name)?;
        txn.put_point(name, rec, id, &vector, Props::new(), None)?;
    }
    Ok(count)
}

/// `vector` (entity `id`'s value) as the collection's metric stores it,
/// or the error that says why it cannot be stored (a zero vector under
/// cosine).
pub(crate) fn prepared(
    vector: &[f32],
    name: &str,
    source: &VectorSource,
    id: u64,
    config: &CollectionConfig,
) -> Result<Vec<f32>> {
    config
        .metric
        .prepare(config.dim, vector)
        .map_err(|e| Error::invalid(format!("{}: {e}", whose(name, source, id))))
}

/// A property value as a vector of `dim` components, or the error that
/// says why it is not one.
pub(crate) fn as_vector(
    value: &Value,
    name: &str,
    source: &VectorSource,
    id: u64,
    dim: usize,
) -> Result<Vec<f32>> {
    let whose = || whose(name, source, id);
    let Value::List(items) = value else {
        return Err(Error::invalid(format!(
            "{} must be a list of {dim} numbers, not {}",
            whose(),
            kind(value)
        )));
    };
    if items.len() != dim {
        return Err(Error::invalid(format!(
            "{} must be a list of {dim} numbers, not of {}",
            whose(),
            items.len()
        )));
    }
    items
        .iter()
        .map(|x| match x {
            #[expect(clippy::cast_possible_truncation, reason = "vectors are f32")]
            Value::Float(f) => Ok(*f as f32),
            #[expect(clippy::cast_precision_loss, reason = "vectors are f32")]
            Value::Int(i) => Ok(*i as f32),
            other => Err(Error::invalid(format!(
                "{} must be a list of numbers; it holds a {}",
                whose(),
                kind(other)
            ))),
        })
        .collect()
}

/// Which value of which index a message is about.
fn whose(name: &str, source: &VectorSource, id: u64) -> String {
    let entity = if source.on_edges() {
        "relationship"
    } else {
        "node"
    };
    format!(
        "property {:?} of {entity} {id} (indexed by vector index {name:?})",
        source.property()
    )
}

/// What a value is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "float",
        Value::String(_) => "string",
        Value::Bytes(_) => "byte array",
        Value::List(_) => "list",
        Value::Temporal(_) => "temporal value",
    }
}
