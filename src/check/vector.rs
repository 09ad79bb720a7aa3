//! The vector part of the check: keys ↔ points ↔ counts, node-bound points
//! ↔ live nodes, payload indexes ↔ payloads, a fed collection's points ↔
//! the graph property that feeds it, the in-memory indexes ↔ storage.

use std::collections::{BTreeMap, BTreeSet};

use super::CheckReport;
use crate::NodeId;
use crate::error::Result;
use crate::graph::state::reader;
use crate::storage::keys::{read_u32, read_u64};
use crate::storage::{Cf, KvRead};
use crate::txn::{Database, ReadTxn};
use crate::vector::payload;
use crate::vector::record::{CollectionRecord, decode_point, key_entry, key_id, point_key};
use crate::vector::source;
use crate::vector::state::VectorModel;
use crate::vector::{CollectionConfig, VectorSource};

pub(super) fn check(db: &Database, r: &ReadTxn<'_>, rep: &mut CheckReport) -> Result<()> {
    let kv = r.kv();
    let graph = reader(r);
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    // The in-memory counts are the newest generation's: compare them only
    // when this snapshot is that generation.
    let current = r.generation() == db.generations().published();
    for (name, rec) in CollectionRecord::all(kv)? {
        ids.insert(rec.id);
        let config = rec.config();
        let prefix = rec.id.to_be_bytes();
        let mut live = 0u64;
        // The payload index entries the points imply.
        let mut implied = BTreeSet::new();
        // A fed collection's points, by key.
        let mut fed_points = BTreeMap::new();
        kv.scan(Cf::Vectors, &prefix, &mut |k, v| {
            let slot = key_id(k)?;
            live += 1;
            let point = match decode_point(v, config.dim) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(format!("{name}: slot {slot}: {e}"));
                    return Ok(true);
                }
            };
            if slot >= rec.next_slot {
                problems.push(format!(
                    "{name}: slot {slot} is not below next_slot {}",
                    rec.next_slot
                ));
            }
            let (key, value) = key_entry(rec.id, point.key, slot);
            if kv.get(Cf::VectorKeys, &key)?.as_deref() != Some(&value[..]) {
                problems.push(format!(
                    "{name}: point {} in slot {slot} is not what its key maps to",
                    point.key
                ));
            }
            if point.text.is_some() != rec.text_model.is_some() {
                problems.push(format!(
                    "{name}: point {} {} a text, but the collection {}",
                    point.key,
                    if point.text.is_some() { "has" } else { "lacks" },
                    if rec.text_model.is_some() {
                        "knows its texts"
                    } else {
                        "stores none"
                    },
                ));
            }
            implied.extend(payload::entries(
                rec.id,
                &rec.payload_indexes,
                point.key,
                &point.payload,
            ));
            if config.source.is_some() {
                fed_points.insert(point.key, point.vector.clone());
            }
            if config.bound_to_nodes && !graph.contains_node(NodeId(point.key))? {
                problems.push(format!(
                    "{name}: point {} is bound to a missing node",
                    point.key
                ));
            }
            Ok(true)
        })?;
        kv.scan(Cf::VectorKeys, &prefix, &mut |k, v| {
            let (key, slot) = (key_id(k)?, read_u64(v, 0)?);
            if kv.get(Cf::Vectors, &point_key(rec.id, slot))?.is_none() {
                problems.push(format!("{name}: key {key} maps to empty slot {slot}"));
            }
            Ok(true)
        })?;
        index_problems(kv, &name, &prefix, implied, &mut problems)?;
        if let Some(source) = &config.source {
            fed_problems(db, kv, &name, &config, source, fed_points, &mut problems)?;
        }
        rep.points += live;
        if live != rec.count {
            problems.push(format!(
                "{name}: count is {}, but {live} points are stored",
                rec.count
            ));
        }
        if let Some(index) = db.extension::<VectorModel>().get(rec.id) {
            let indexed = index.read().len() as u64;
            if current && indexed != live {
                problems.push(format!(
                    "{name}: the index holds {indexed} live points, storage {live}"
                ));
            }
        }
    }
    orphans(kv, &ids, &mut problems)?;
    for p in problems {
        rep.problem(p);
    }
    Ok(())
}

/// Compares fed collection `name`'s points (`points`, by key) with the
/// values of the property that feeds it: one point per entity holding
/// it, with that vector (as the metric prepares it).
fn fed_problems(
    db: &Database,
    kv: &dyn KvRead,
    name: &str,
    config: &CollectionConfig,
    source: &VectorSource,
    mut points: BTreeMap<u64, Vec<f32>>,
    problems: &mut Vec<String>,
) -> Result<()> {
    let entity = if source.on_edges() {
        "relationship"
    } else {
        "node"
    };
    crate::graph::watch::property_values(
        db,
        kv,
        source.on_edges(),
        source.label(),
        source.property(),
        &mut |id, value| {
            // What the write path would have stored, as it decides it.
            let wanted = source::as_vector(value, name, source, id, config.dim)
                .and_then(|v| source::prepared(&v, name, source, id, config))
                .ok();
            match (wanted, points.remove(&id)) {
                (None, _) => problems.push(format!(
                    "{name}: {entity} {id} holds a {:?} that is not a vector of {} numbers",
                    source.property(),
                    config.dim
                )),
                (Some(_), None) => problems.push(format!(
                    "{name}: {entity} {id}'s {:?} has no point",
                    source.property()
                )),
                (Some(w), Some(p)) if w.iter().zip(&p).any(|(a, b)| (a - b).abs() > 1e-5) => {
                    problems.push(format!(
                        "{name}: {entity} {id}'s point is not its {:?}",
                        source.property()
                    ));
                }
                _ => {}
            }
            Ok(())
        },
    )?;
    for key in points.keys() {
        problems.push(format!(
            "{name}: point {key} has no {entity} holding {:?} under {:?}",
            source.property(),
            source.label()
        ));
    }
    Ok(())
}

/// No point or index entry may belong to a collection that does not
/// exist.
fn orphans(kv: &dyn KvRead, ids: &BTreeSet<u32>, problems: &mut Vec<String>) -> Result<()> {
    for cf in [Cf::Vectors, Cf::VectorKeys, Cf::PayloadIndex] {
        kv.scan(cf, &[], &mut |k, _| {
            let id = read_u32(k, 0)?;
            if !ids.contains(&id) {
                problems.push(format!(
                    "{} entry of unknown collection {id}",
                    cf.spec().name
                ));
                return Ok(false);
            }
            Ok(true)
        })?;
    }
    Ok(())
}

/// Compares collection `name`'s payload index entries (keys starting
/// with `prefix`) with those its points imply.
fn index_problems(
    kv: &dyn KvRead,
    name: &str,
    prefix: &[u8],
    mut implied: BTreeSet<Vec<u8>>,
    problems: &mut Vec<String>,
) -> Result<()> {
    let mut stale = 0u64;
    kv.scan(Cf::PayloadIndex, prefix, &mut |k, _| {
        if !implied.remove(k) {
            stale += 1;
        }
        Ok(true)
    })?;
    if stale > 0 {
        problems.push(format!(
            "{name}: {stale} payload index entries match no point's payload"
        ));
    }
    if !implied.is_empty() {
        problems.push(format!(
            "{name}: {} points' payload values are missing from their payload indexes",
            implied.len()
        ));
    }
    Ok(())
}
