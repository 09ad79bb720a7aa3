//! Statement values on the wire: results written as `PackStream`
//! (nodes, relationships, paths and temporal values as Bolt's
//! structures, in the shape the negotiated version gives them) and
//! parameters read back into [`CypherValue`]s.
//!
//! A node's or relationship's element id is its id in decimal, which is
//! what Cypher's `elementId()` returns, so a client may send it back in a
//! statement.

use std::collections::BTreeMap;

use super::packstream::{Encoder, Pack};
use crate::query::{CypherValue, NodeValue, PathValue, RelValue};
use crate::temporal::{Date, DateTime, Duration, LocalDateTime, LocalTime, Temporal, Time, Zone};

/// Structure tags (`PackStream` structures Bolt defines).
pub mod tag {
    /// A node.
    pub const NODE: u8 = 0x4E;
    /// A relationship.
    pub const RELATIONSHIP: u8 = 0x52;
    /// A relationship inside a path, without its endpoints.
    pub const UNBOUND_RELATIONSHIP: u8 = 0x72;
    /// A path.
    pub const PATH: u8 = 0x50;
    /// `DATE`: days since 1970-01-01.
    pub const DATE: u8 = 0x44;
    /// `ZONED TIME`: nanoseconds since midnight, offset seconds.
    pub const TIME: u8 = 0x54;
    /// `LOCAL TIME`: nanoseconds since midnight.
    pub const LOCAL_TIME: u8 = 0x74;
    /// `LOCAL DATETIME`: seconds and nanoseconds of the local time as if
    /// it were UTC.
    pub const LOCAL_DATE_TIME: u8 = 0x64;
    /// `ZONED DATETIME` at an offset: UTC seconds, nanoseconds, offset.
    pub const DATE_TIME: u8 = 0x49;
    /// `ZONED DATETIME` in a named zone: UTC seconds, nanoseconds, zone.
    pub const DATE_TIME_ZONE_ID: u8 = 0x69;
    /// Bolt 4's `ZONED DATETIME` at an offset: local seconds.
    pub const LEGACY_DATE_TIME: u8 = 0x46;
    /// Bolt 4's `ZONED DATETIME` in a named zone: local seconds.
    pub const LEGACY_DATE_TIME_ZONE_ID: u8 = 0x66;
    /// `DURATION`: months, days, seconds, nanoseconds.
    pub const DURATION: u8 = 0x45;
}

/// How the negotiated protocol version shapes values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// Bolt 5: nodes and relationships carry element ids.
    pub element_ids: bool,
    /// Date-times as UTC seconds (Bolt 5, or Bolt 4.4 with the `utc`
    /// patch); otherwise as local seconds.
    pub utc: bool,
}

/// Writes a result value.
pub fn write(e: &mut Encoder<'_>, v: &CypherValue, d: Dialect) {
    match v {
        CypherValue::Null => e.null(),
        CypherValue::Bool(b) => e.bool(*b),
        CypherValue::Int(i) => e.int(*i),
        CypherValue::Float(x) => e.float(*x),
        CypherValue::String(s) => e.string(s),
        CypherValue::Bytes(b) => e.bytes(b),
        CypherValue::List(items) => {
            e.list_header(items.len());
            for item in items {
                write(e, item, d);
            }
        }
        CypherValue::Map(m) => write_map(e, m, d),
        CypherValue::Node(n) => write_node(e, n, d),
        CypherValue::Relationship(r) => write_rel(e, r, d),
        CypherValue::Path(p) => write_path(e, p, d),
        CypherValue::Temporal(t) => write_temporal(e, t, d),
    }
}

fn write_map(e: &mut Encoder<'_>, m: &BTreeMap<String, CypherValue>, d: Dialect) {
    e.map_header(m.len());
    for (k, v) in m {
        e.string(k);
        write(e, v, d);
    }
}

fn id(i: u64) -> i64 {
    // Ids are below 2^63 (the store numbers them from 0).
    i64::try_from(i).unwrap_or(i64::MAX)
}

fn write_node(e: &mut Encoder<'_>, n: &NodeValue, d: Dialect) {
    e.struct_header(tag::NODE, if d.element_ids { 4 } else { 3 });
    e.int(id(n.id.0));
    e.list_header(n.labels.len());
    for l in &n.labels {
        e.string(l);
    }
    write_map(e, &n.properties, d);
    if d.element_ids {
        e.string(&n.id.0.to_string());
    }
}

fn write_rel(e: &mut Encoder<'_>, r: &RelValue, d: Dialect) {
    e.struct_header(tag::RELATIONSHIP, if d.element_ids { 8 } else { 5 });
    e.int(id(r.id.0));
    e.int(id(r.start.0));
    e.int(id(r.end.0));
    e.string(&r.rel_type);
    write_map(e, &r.properties, d);
    if d.element_ids {
        e.string(&r.id.0.to_string());
        e.string(&r.start.0.to_string());
        e.string(&r.end.0.to_string());
    }
}

/// A path: its distinct nodes, its distinct relationships without
/// endpoints, and per step the relationship's 1-based index (negative
/// when walked against its direction) and the next node's index.
fn write_path(e: &mut Encoder<'_>, p: &PathValue, d: Dialect) {
    let mut nodes: Vec<&NodeValue> = Vec::new();
    let mut rels: Vec<&RelValue> = Vec::new();
    let mut indices: Vec<i64> = Vec::with_capacity(2 * p.relationships.len());
    if let Some(first) = p.nodes.first() {
        nodes.push(first);
    }
    for (i, r) in p.relationships.iter().enumerate() {
        let Some(next) = p.nodes.get(i + 1) else {
            break;
        };
        let prev = &p.nodes[i];
        let k = if let Some(k) = rels.iter().position(|s| s.id == r.id) {
            k
        } else {
            rels.push(r);
            rels.len() - 1
        };
        let k = i64::try_from(k + 1).unwrap_or(i64::MAX);
        // Walked forward when the step leaves the relationship's start.
        let forward = r.start == prev.id && (r.end == next.id || r.start != next.id);
        indices.push(if forward { k } else { -k });
        let at = if let Some(at) = nodes.iter().position(|m| m.id == next.id) {
            at
        } else {
            nodes.push(next);
            nodes.len() - 1
        };
        indices.push(i64::try_from(at).unwrap_or(i64::MAX));
    }
    e.struct_header(tag::PATH, 3);
    e.list_header(nodes.len());
    for n in &nodes {
        write_node(e, n, d);
    }
    e.list_header(rels.len());
    for r in &rels {
        e.struct_header(tag::UNBOUND_RELATIONSHIP, if d.element_ids { 4 } else { 3 });
        e.int(id(r.id.0));
        e.string(&r.rel_type);
        write_map(e, &r.properties, d);
        if d.element_ids {
            e.string(&r.id.0.to_string());
        }
    }
    e.list_header(indices.len());
    for i in indices {
        e.int(i);
    }
}

fn write_temporal(e: &mut Encoder<'_>, t: &Temporal, d: Dialect) {
    match t {
        Temporal::Date(x) => {
            e.struct_header(tag::DATE, 1);
            e.int(x.days());
        }
        Temporal::LocalTime(x) => {
            e.struct_header(tag::LOCAL_TIME, 1);
            e.int(x.nanos());
        }
        Temporal::Time(x) => {
            e.struct_header(tag::TIME, 2);
            e.int(x.local().nanos());
            e.int(i64::from(x.offset()));
        }
        Temporal::LocalDateTime(x) => {
            let (seconds, nanos) = local_epoch(*x);
            e.struct_header(tag::LOCAL_DATE_TIME, 2);
            e.int(seconds);
            e.int(nanos);
        }
        Temporal::DateTime(x) => {
            let (seconds, nanos) = if d.utc {
                x.epoch()
            } else {
                local_epoch(x.local())
            };
            match (x.zone_name(), d.utc) {
                (Some(zone), utc) => {
                    e.struct_header(
                        if utc {
                            tag::DATE_TIME_ZONE_ID
                        } else {
                            tag::LEGACY_DATE_TIME_ZONE_ID
                        },
                        3,
                    );
                    e.int(seconds);
                    e.int(nanos);
                    e.string(zone);
                }
                (None, utc) => {
                    e.struct_header(
                        if utc {
                            tag::DATE_TIME
                        } else {
                            tag::LEGACY_DATE_TIME
                        },
                        3,
                    );
                    e.int(seconds);
                    e.int(nanos);
                    e.int(i64::from(x.offset()));
                }
            }
        }
        Temporal::Duration(x) => {
            e.struct_header(tag::DURATION, 4);
            e.int(x.months());
            e.int(x.days());
            e.int(x.seconds());
            e.int(x.nanos());
        }
    }
}

/// A local date-time's seconds and nanoseconds as if it were UTC.
fn local_epoch(x: LocalDateTime) -> (i64, i64) {
    (
        x.date().days() * 86_400 + x.time().nanos().div_euclid(1_000_000_000),
        x.time().nanos().rem_euclid(1_000_000_000),
    )
}

/// A parameter sent by a client, as a statement value.
///
/// # Errors
/// A message saying what is wrong: a structure that is not a temporal
/// value (nodes and relationships cannot be parameters), a temporal value
/// with fields out of range, an unknown zone.
pub fn read(p: Pack) -> Result<CypherValue, String> {
    read_with(p, &mut |t, fields| {
        read_temporal(t, &fields)
            .map(|x| CypherValue::Temporal(Box::new(x)))
            .map_err(|e| format!("parameter structure 0x{t:02X}: {e}"))
    })
}

/// A value from the wire, its structures (at any depth) made by
/// `structure(tag, fields)`: the one reading of `PackStream`'s plain values
/// for the server's parameters and the client's results.
pub(super) fn read_with<E>(
    p: Pack,
    structure: &mut impl FnMut(u8, Vec<Pack>) -> Result<CypherValue, E>,
) -> Result<CypherValue, E> {
    Ok(match p {
        Pack::Null => CypherValue::Null,
        Pack::Bool(b) => CypherValue::Bool(b),
        Pack::Int(i) => CypherValue::Int(i),
        Pack::Float(x) => CypherValue::Float(x),
        Pack::Bytes(b) => CypherValue::Bytes(b),
        Pack::String(s) => CypherValue::String(s),
        Pack::List(items) => CypherValue::List(
            items
                .into_iter()
                .map(|v| read_with(v, structure))
                .collect::<Result<_, _>>()?,
        ),
        Pack::Map(entries) => CypherValue::Map(
            entries
                .into_iter()
                .map(|(k, v)| Ok((k, read_with(v, structure)?)))
                .collect::<Result<_, E>>()?,
        ),
        Pack::Struct(t, fields) => structure(t, fields)?,
    })
}

/// A temporal structure (Bolt 5's UTC forms and Bolt 4's local ones).
pub(super) fn read_temporal(t: u8, f: &[Pack]) -> Result<Temporal, String> {
    let int = |i: usize| -> Result<i64, String> {
        f.get(i)
            .and_then(Pack::as_int)
            .ok_or_else(|| format!("field {i} is not an integer"))
    };
    let arity = |n: usize| -> Result<(), String> {
        if f.len() == n {
            Ok(())
        } else {
            Err(format!("{} fields where {n} were expected", f.len()))
        }
    };
    let err = |e: crate::Error| e.to_string();
    let nanos_of = |x: i64| {
        if (0..1_000_000_000).contains(&x) {
            Ok(x)
        } else {
            Err(format!("nanoseconds {x} are not in 0..1,000,000,000"))
        }
    };
    let local = |seconds: i64, nanos: i64| -> Result<LocalDateTime, String> {
        let date = Date::from_days(seconds.div_euclid(86_400)).map_err(err)?;
        let time =
            LocalTime::from_nanos(seconds.rem_euclid(86_400) * 1_000_000_000 + nanos_of(nanos)?)
                .map_err(err)?;
        Ok(LocalDateTime::new(date, time))
    };
    let offset = |x: i64| match i32::try_from(x) {
        Ok(o) if o.abs() <= 18 * 3600 => Ok(o),
        _ => Err(format!("offset {x} s is not within ±18 hours")),
    };
    Ok(match t {
        tag::DATE => {
            arity(1)?;
            Temporal::Date(Date::from_days(int(0)?).map_err(err)?)
        }
        tag::LOCAL_TIME => {
            arity(1)?;
            Temporal::LocalTime(LocalTime::from_nanos(int(0)?).map_err(err)?)
        }
        tag::TIME => {
            arity(2)?;
            let time = LocalTime::from_nanos(int(0)?).map_err(err)?;
            Temporal::Time(Time::new(time, offset(int(1)?)?).map_err(err)?)
        }
        tag::LOCAL_DATE_TIME => {
            arity(2)?;
            Temporal::LocalDateTime(local(int(0)?, int(1)?)?)
        }
        tag::DATE_TIME | tag::LEGACY_DATE_TIME => {
            arity(3)?;
            let (seconds, nanos, off) = (int(0)?, nanos_of(int(1)?)?, offset(int(2)?)?);
            // The tag decides: 0x49 is UTC seconds, 0x46 local ones.
            let utc_seconds = if t == tag::DATE_TIME {
                seconds
            } else {
                seconds
                    .checked_sub(i64::from(off))
                    .ok_or("seconds out of range")?
            };
            let at = DateTime::from_epoch(utc_seconds, nanos).map_err(err)?;
            Temporal::DateTime(Zone::Offset(off).at_instant(at.local()).map_err(err)?)
        }
        tag::DATE_TIME_ZONE_ID | tag::LEGACY_DATE_TIME_ZONE_ID => {
            arity(3)?;
            let (seconds, nanos) = (int(0)?, nanos_of(int(1)?)?);
            let name = f
                .get(2)
                .and_then(Pack::as_str)
                .ok_or("field 2 is not a zone name")?;
            let zone = Zone::parse(name).map_err(err)?;
            Temporal::DateTime(if t == tag::DATE_TIME_ZONE_ID {
                let at = DateTime::from_epoch(seconds, nanos).map_err(err)?;
                zone.at_instant(at.local()).map_err(err)?
            } else {
                zone.at_local(local(seconds, nanos)?, None).map_err(err)?
            })
        }
        tag::DURATION => {
            arity(4)?;
            Temporal::Duration(Duration::new(int(0)?, int(1)?, int(2)?, int(3)?).map_err(err)?)
        }
        _ => return Err("not a value this server reads (a temporal structure)".into()),
    })
}
