//! Cypher's temporal functions and operators over `crate::temporal`:
//! `date(...)` and its five siblings, `*.truncate`, `*.statement`,
//! `datetime.fromepoch*`, `duration.between` and its relatives, component
//! access (`d.year`), and `+`, `-`, `*`, `/` with durations.

use crate::query::error::{QResult, type_error};
use crate::query::plan::expr::BinaryOp;
use crate::query::plan::func::Function;
use crate::query::value::CypherValue as V;
use crate::query::value::CypherValue;
use crate::temporal::build::{self, Input};
use crate::temporal::{Component, Kind, Temporal, Zone, arith, parse};

/// A map entry as the temporal builders read it.
fn input(v: &CypherValue) -> Input<'_> {
    match v {
        V::Null => Input::Null,
        V::Int(i) => Input::Int(*i),
        V::Float(f) => Input::Float(*f),
        V::String(s) => Input::Text(s),
        V::Temporal(t) => Input::Temporal(t),
        other => Input::Other(other.type_name()),
    }
}

fn entries(map: &std::collections::BTreeMap<String, CypherValue>) -> Vec<(&str, Input<'_>)> {
    map.iter().map(|(k, v)| (k.as_str(), input(v))).collect()
}

fn temporal(t: Temporal) -> CypherValue {
    V::Temporal(Box::new(t))
}

/// The zone a `{timezone: ...}` map argument of a clock function names.
fn clock_zone(arg: Option<&CypherValue>, name: &str) -> QResult<Option<Zone>> {
    match arg {
        None | Some(V::Null) => Ok(None),
        Some(V::String(s)) => Ok(Some(Zone::parse(s)?)),
        Some(V::Map(m)) => match m.get("timezone") {
            Some(V::String(s)) if m.len() == 1 => Ok(Some(Zone::parse(s)?)),
            _ => Err(type_error(format!(
                "{name}() takes a {{timezone: ...}} map"
            ))),
        },
        Some(other) => Err(type_error(format!(
            "{name}() takes a time zone, not {}",
            other.type_name()
        ))),
    }
}

/// Calls a temporal function.
pub(super) fn call(f: Function, args: &[CypherValue]) -> QResult<CypherValue> {
    let arg = |i: usize| args.get(i).unwrap_or(&V::Null);
    Ok(match f {
        Function::Temporal(kind) => match args.first() {
            None => temporal(parse::now(kind, None, false)?),
            Some(V::Null) => V::Null,
            Some(V::String(s)) => temporal(parse::parse(kind, s)?),
            Some(V::Temporal(t)) => temporal(build::convert(kind, t)?),
            Some(V::Map(m)) => {
                // `datetime({timezone: 'Europe/Paris'})`: now, in that zone.
                if m.keys().all(|k| k == "timezone") && kind != Kind::Duration {
                    let zone = clock_zone(args.first(), kind.function())?;
                    temporal(parse::now(kind, zone.as_ref(), false)?)
                } else {
                    temporal(build::from_map(kind, &entries(m))?)
                }
            }
            Some(other) => {
                return Err(type_error(format!(
                    "{}() takes a map, a string or a temporal value, not {}",
                    kind.function(),
                    other.type_name()
                )));
            }
        },
        Function::Clock(_, _) if matches!(args.first(), Some(V::Null)) => V::Null,
        Function::Clock(kind, realtime) => {
            let zone = clock_zone(args.first(), kind.function())?;
            temporal(parse::now(kind, zone.as_ref(), realtime)?)
        }
        Function::Truncate(kind) => {
            let (V::String(unit), value) = (arg(0), arg(1)) else {
                return match arg(0) {
                    V::Null => Ok(V::Null),
                    other => Err(type_error(format!(
                        "truncate() needs a unit string, not {}",
                        other.type_name()
                    ))),
                };
            };
            let fields = match arg(2) {
                V::Map(m) => entries(m),
                V::Null => Vec::new(),
                other => {
                    return Err(type_error(format!(
                        "truncate() takes a map of fields, not {}",
                        other.type_name()
                    )));
                }
            };
            match value {
                V::Null => V::Null,
                V::Temporal(t) => temporal(build::truncate(kind, unit, t, &fields)?),
                other => {
                    return Err(type_error(format!(
                        "truncate() needs a temporal value, not {}",
                        other.type_name()
                    )));
                }
            }
        }
        Function::Timestamp => {
            let now = crate::temporal::now_utc().epoch_nanos();
            V::Int(i64::try_from(now.div_euclid(1_000_000)).unwrap_or(i64::MAX))
        }
        Function::FromEpoch => match (arg(0), arg(1)) {
            (V::Null, _) | (_, V::Null) => V::Null,
            (V::Int(s), V::Int(n)) => temporal(build::from_epoch(*s, *n)?),
            (a, b) => {
                return Err(type_error(format!(
                    "datetime.fromepoch() needs two integers, not {} and {}",
                    a.type_name(),
                    b.type_name()
                )));
            }
        },
        Function::FromEpochMillis => match arg(0) {
            V::Null => V::Null,
            V::Int(ms) => temporal(build::from_epoch_millis(*ms)?),
            other => {
                return Err(type_error(format!(
                    "datetime.fromepochmillis() needs an integer, not {}",
                    other.type_name()
                )));
            }
        },
        Function::Between(what) => match (arg(0), arg(1)) {
            (V::Null, _) | (_, V::Null) => V::Null,
            (V::Temporal(a), V::Temporal(b)) => {
                temporal(Temporal::Duration(arith::between(a, b, what)?))
            }
            (a, b) => {
                return Err(type_error(format!(
                    "duration.between() needs two temporal values, not {} and {}",
                    a.type_name(),
                    b.type_name()
                )));
            }
        },
        _ => V::Null,
    })
}

/// `value.key` of a temporal value.
pub(super) fn component(t: &Temporal, key: &str) -> QResult<CypherValue> {
    match t.component(key) {
        Some(Component::Int(i)) => Ok(V::Int(i)),
        Some(Component::Text(s)) => Ok(V::String(s)),
        None => Err(crate::query::error::argument_error(
            "NoSuchField",
            format!("a {} has no field {key}", t.type_name()),
        )),
    }
}

/// `left op right` when a temporal value takes part: `None` when
/// neither does.
pub(super) fn arithmetic(
    op: BinaryOp,
    left: &CypherValue,
    right: &CypherValue,
) -> Option<QResult<CypherValue>> {
    let (lt, rt) = (of(left), of(right));
    if lt.is_none() && rt.is_none() {
        return None;
    }
    if left.is_null() || right.is_null() {
        return Some(Ok(V::Null));
    }
    let wrong = || Some(Err(mismatch(op, left, right)));
    let result = match op {
        BinaryOp::Add => match (lt, duration(rt), duration(lt), rt) {
            (Some(value), Some(dur), _, _) | (_, _, Some(dur), Some(value)) => value.plus(dur, 1),
            _ => return wrong(),
        },
        BinaryOp::Sub => match (lt, duration(rt)) {
            (Some(value), Some(dur)) => value.plus(dur, -1),
            _ => return wrong(),
        },
        BinaryOp::Mul => {
            let (dur, factor) = match (duration(lt), duration(rt)) {
                (Some(dur), None) => (dur, right),
                (None, Some(dur)) => (dur, left),
                _ => return wrong(),
            };
            match factor {
                V::Int(i) => dur.times_int(*i).map(Temporal::Duration),
                V::Float(f) => dur.times_float(*f).map(Temporal::Duration),
                _ => return wrong(),
            }
        }
        BinaryOp::Div => match (duration(lt), right) {
            (Some(dur), V::Int(i)) => dur.divided(*i as f64).map(Temporal::Duration),
            (Some(dur), V::Float(f)) => dur.divided(*f).map(Temporal::Duration),
            _ => return wrong(),
        },
        _ => return wrong(),
    };
    Some(result.map(temporal).map_err(Into::into))
}

fn duration(t: Option<&Temporal>) -> Option<crate::temporal::Duration> {
    match t {
        Some(Temporal::Duration(d)) => Some(*d),
        _ => None,
    }
}

fn of(v: &CypherValue) -> Option<&Temporal> {
    match v {
        V::Temporal(t) => Some(t),
        _ => None,
    }
}

fn mismatch(op: BinaryOp, a: &CypherValue, b: &CypherValue) -> crate::query::error::QueryError {
    type_error(format!(
        "{op:?} cannot take {} and {}",
        a.type_name(),
        b.type_name()
    ))
}
