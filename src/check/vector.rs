//! The vector part of the check: keys ↔ points ↔ counts, node-bound points
//! ↔ live nodes, the in-memory indexes ↔ storage.

use std::collections::BTreeSet;

use super::CheckReport;
use crate::NodeId;
use crate::error::Result;
use crate::graph::state::reader;
use crate::storage::Cf;
use crate::storage::keys::{read_u32, read_u64};
use crate::txn::{Database, ReadTxn};
use crate::vector::record::{CollectionRecord, decode_point, key_entry, key_id, point_key};
use crate::vector::state::VectorModel;

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
        rep.points += live;
        if live != rec.count {
            problems.push(format!(
                "{name}: count is {}, but {live} points are stored",
                rec.count
            ));
        }
        if let Some(index) = db.model::<VectorModel>().get(rec.id) {
            let indexed = index.read().len() as u64;
            if current && indexed != live {
                problems.push(format!(
                    "{name}: the index holds {indexed} live points, storage {live}"
                ));
            }
        }
    }
    // No point may belong to a collection that does not exist.
    for cf in [Cf::Vectors, Cf::VectorKeys] {
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
    for p in problems {
        rep.problem(p);
    }
    Ok(())
}
