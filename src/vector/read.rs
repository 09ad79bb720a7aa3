//! Reading points and collections through a transaction's view.

use super::CollectionConfig;
use super::record::{CollectionRecord, decode_point, point_key};
use crate::Props;
use crate::error::{Error, Result};
use crate::graph::read::Reader;
use crate::storage::{Cf, keys};

/// A stored point.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Its key.
    pub key: u64,
    /// The vector as indexed (normalised, for a cosine collection).
    pub vector: Vec<f32>,
    /// Its payload properties.
    pub payload: Props,
}

/// A collection's name, configuration and size.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectionInfo {
    /// Its name.
    pub name: String,
    /// Its configuration.
    pub config: CollectionConfig,
    /// Live points.
    pub count: u64,
}

fn record(r: &Reader<'_>, name: &str) -> Result<CollectionRecord> {
    match r.kv.get(Cf::Collections, name.as_bytes())? {
        Some(b) => CollectionRecord::decode(&b),
        None => Err(Error::CollectionNotFound(name.to_owned())),
    }
}

pub(crate) fn collections(r: &Reader<'_>) -> Result<Vec<CollectionInfo>> {
    let mut out = Vec::new();
    r.kv.scan(Cf::Collections, &[], &mut |k, v| {
        let rec = CollectionRecord::decode(v)?;
        out.push(CollectionInfo {
            name: String::from_utf8_lossy(k).into_owned(),
            config: rec.config,
            count: rec.count,
        });
        Ok(true)
    })?;
    Ok(out)
}

pub(crate) fn point(r: &Reader<'_>, name: &str, key: u64) -> Result<Option<Point>> {
    let rec = record(r, name)?;
    let Some(slot) = r.kv.get(Cf::VectorKeys, &point_key(rec.id, key))? else {
        return Ok(None);
    };
    let slot = keys::read_u64(&slot, 0)?;
    let bytes =
        r.kv.get(Cf::Vectors, &point_key(rec.id, slot))?
            .ok_or_else(|| {
                Error::corruption(format!("point {key} of {name:?} maps to a missing slot"))
            })?;
    let p = decode_point(&bytes, rec.config.dim)?;
    Ok(Some(Point {
        key: p.key,
        vector: p.vector,
        payload: p.payload,
    }))
}

pub(crate) fn count(r: &Reader<'_>, name: &str) -> Result<u64> {
    Ok(record(r, name)?.count)
}
