//! Order-preserving key encodings that every model builds its keys from:
//! fixed-width big-endian integers and self-delimiting *value-keys* (see
//! [`push_value`]), so byte order equals logical order. The models' own
//! layouts (`graph/keys.rs`, `vector/record.rs`) are made of these.

use crate::Value;
use crate::error::{Error, Result};
use crate::temporal::Temporal;

/// Reads an 8-byte big-endian integer at `at`.
pub fn read_u64(bytes: &[u8], at: usize) -> Result<u64> {
    bytes
        .get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| Error::corruption(format!("key of {} bytes is too short", bytes.len())))
}

/// Reads a 4-byte big-endian integer at `at`.
pub fn read_u32(bytes: &[u8], at: usize) -> Result<u32> {
    bytes
        .get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| Error::corruption(format!("key of {} bytes is too short", bytes.len())))
}

/// The smallest key greater than every key starting with `prefix`, or `None`
/// when no such key exists (empty or all-0xFF prefix).
#[must_use]
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

const TAG_NULL: u8 = 1;
const TAG_FALSE: u8 = 2;
const TAG_TRUE: u8 = 3;
const TAG_INT: u8 = 4;
const TAG_FLOAT: u8 = 5;
const TAG_STRING: u8 = 6;
const TAG_BYTES: u8 = 7;
const TAG_LIST: u8 = 8;
const TAG_DATE: u8 = 9;
const TAG_LOCAL_TIME: u8 = 10;
const TAG_TIME: u8 = 11;
const TAG_LOCAL_DATETIME: u8 = 12;
const TAG_DATETIME: u8 = 13;
const TAG_DURATION: u8 = 14;
const END_LIST: u8 = 0;

/// Appends the *value-key* of `v`: a tag byte, then an encoding whose byte
/// order is the value order within one type, and which is self-delimiting
/// (no value-key is a proper prefix of another).
///
/// * integers: `i ^ i64::MIN` big-endian (so negatives sort first);
/// * floats: IEEE bits, sign-flipped (all bits flipped for negatives); `-0.0`
///   is written as `0.0` so the two find each other;
/// * strings and bytes: `0x00` escaped as `0x00 0xFF`, terminated by
///   `0x00 0x01`;
/// * lists: the elements' value-keys, then `0x00`;
/// * temporal values: a tag per type, then their numbers as integers are
///   written (dates, times and date-times by instant, then offset, then
///   zone name; durations by months, days, seconds, nanoseconds).
pub fn push_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(TAG_NULL),
        Value::Bool(false) => out.push(TAG_FALSE),
        Value::Bool(true) => out.push(TAG_TRUE),
        Value::Int(i) => {
            out.push(TAG_INT);
            out.extend_from_slice(&((*i as u64) ^ (1 << 63)).to_be_bytes());
        }
        Value::Float(f) => {
            out.push(TAG_FLOAT);
            let f = if *f == 0.0 { 0.0 } else { *f };
            let bits = f.to_bits();
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits | (1 << 63)
            };
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        Value::String(s) => {
            out.push(TAG_STRING);
            push_escaped(out, s.as_bytes());
        }
        Value::Bytes(b) => {
            out.push(TAG_BYTES);
            push_escaped(out, b);
        }
        Value::List(items) => {
            out.push(TAG_LIST);
            for item in items {
                push_value(out, item);
            }
            out.push(END_LIST);
        }
        Value::Temporal(t) => push_temporal(out, t),
    }
}

/// The leading bytes of `v`'s value-key that decide Cypher's `<` among
/// values of its type (the whole key but for zoned times and datetimes,
/// which compare by instant alone, and NaN): every value-key of the type
/// orders against them as the values compare. `None` for a value with no
/// such order here: null, booleans, bytes, lists, durations, NaN.
#[must_use]
pub fn order_prefix(v: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match v {
        Value::Int(_) | Value::String(_) => push_value(&mut out, v),
        Value::Float(f) if !f.is_nan() => push_value(&mut out, v),
        Value::Temporal(t) => {
            push_temporal(&mut out, t);
            match t {
                // Tag and instant; not the offset.
                Temporal::Time(_) => out.truncate(1 + 8),
                // Tag, seconds and nanoseconds; not the offset or zone.
                Temporal::DateTime(_) => out.truncate(1 + 16),
                Temporal::Duration(_) => return None,
                _ => {}
            }
        }
        _ => return None,
    }
    Some(out)
}

fn push_i64(out: &mut Vec<u8>, i: i64) {
    out.extend_from_slice(&((i as u64) ^ (1 << 63)).to_be_bytes());
}

fn push_temporal(out: &mut Vec<u8>, t: &Temporal) {
    out.push(temporal_tag(t));
    match t {
        Temporal::Date(d) => push_i64(out, d.days()),
        Temporal::LocalTime(t) => push_i64(out, t.nanos()),
        Temporal::Time(t) => {
            push_i64(
                out,
                t.local().nanos() - i64::from(t.offset()) * 1_000_000_000,
            );
            push_i64(out, i64::from(t.offset()));
        }
        Temporal::LocalDateTime(l) => {
            push_i64(out, l.date().days());
            push_i64(out, l.time().nanos());
        }
        Temporal::DateTime(d) => {
            let (seconds, nanos) = d.epoch();
            push_i64(out, seconds);
            push_i64(out, nanos);
            push_i64(out, i64::from(d.offset()));
            push_escaped(out, d.zone_name().unwrap_or("").as_bytes());
        }
        Temporal::Duration(d) => {
            for part in [d.months(), d.days(), d.seconds(), d.nanos()] {
                push_i64(out, part);
            }
        }
    }
}

fn temporal_tag(t: &Temporal) -> u8 {
    match t {
        Temporal::Date(_) => TAG_DATE,
        Temporal::LocalTime(_) => TAG_LOCAL_TIME,
        Temporal::Time(_) => TAG_TIME,
        Temporal::LocalDateTime(_) => TAG_LOCAL_DATETIME,
        Temporal::DateTime(_) => TAG_DATETIME,
        Temporal::Duration(_) => TAG_DURATION,
    }
}

/// The value-key of `v` (see [`push_value`]), on its own.
#[must_use]
pub fn value_key(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    push_value(&mut out, v);
    out
}

/// A number read back from a value-key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyNumber {
    Int(i64),
    Float(f64),
}

/// The number a value-key holds, or `None` when it holds another type
/// (or is too short to be one).
#[must_use]
pub fn key_number(vk: &[u8]) -> Option<KeyNumber> {
    let bits = u64::from_be_bytes(vk.get(1..9)?.try_into().ok()?);
    match vk[0] {
        TAG_INT => Some(KeyNumber::Int((bits ^ (1 << 63)).cast_signed())),
        TAG_FLOAT => Some(KeyNumber::Float(f64::from_bits(if bits >> 63 == 1 {
            bits & !(1 << 63)
        } else {
            !bits
        }))),
        _ => None,
    }
}

/// Two numbers read back from value-keys, in order: exactly across the
/// two types (an integer past 2^53 is not rounded to the float it
/// meets); floats by `total_cmp`.
#[must_use]
pub fn compare_key_numbers(x: KeyNumber, y: KeyNumber) -> std::cmp::Ordering {
    use crate::value::cmp_int_float;
    match (x, y) {
        (KeyNumber::Int(x), KeyNumber::Int(y)) => x.cmp(&y),
        (KeyNumber::Float(x), KeyNumber::Float(y)) => x.total_cmp(&y),
        (KeyNumber::Int(x), KeyNumber::Float(y)) => cmp_int_float(x, y),
        (KeyNumber::Float(x), KeyNumber::Int(y)) => cmp_int_float(y, x).reverse(),
    }
}

/// A value-key in the section whose tag is `tag` at or below (`up`:
/// at or above) `v`: `v`'s own for its own section, a rounded number in
/// the other numeric section — a range bound that holds every number it
/// must (an exact test decides within the range).
#[must_use]
pub fn loose_key(v: &Value, tag: u8, up: bool) -> Vec<u8> {
    let moved = match *v {
        Value::Float(f) if tag == NUMBER_TAGS[0] => {
            // `as` saturates at the ends of i64.
            Value::Int(if up { f.ceil() } else { f.floor() } as i64)
        }
        Value::Int(i) if tag == NUMBER_TAGS[1] => {
            let f = i as f64;
            let slack = (f.abs() * f64::EPSILON).max(1.0);
            Value::Float(if up { f + slack } else { f - slack })
        }
        _ => v.clone(),
    };
    value_key(&moved)
}

/// The first bytes (tags) of the value-keys of `v`'s type — one tag, but
/// two for booleans (`false` and `true`); integers and floats are two
/// types.
#[must_use]
pub fn type_tags(v: &Value) -> std::ops::RangeInclusive<u8> {
    let tag = match v {
        Value::Null => TAG_NULL,
        Value::Bool(_) => return TAG_FALSE..=TAG_TRUE,
        Value::Int(_) => TAG_INT,
        Value::Float(_) => TAG_FLOAT,
        Value::String(_) => TAG_STRING,
        Value::Bytes(_) => TAG_BYTES,
        Value::List(_) => TAG_LIST,
        Value::Temporal(t) => temporal_tag(t),
    };
    tag..=tag
}

/// The type of the value-key whose first byte is `tag`, as a tag:
/// `false` and `true` are one type.
#[must_use]
pub fn type_class(tag: u8) -> u8 {
    if tag == TAG_TRUE { TAG_FALSE } else { tag }
}

/// The tag of the integer value-keys, and of the float ones.
pub const NUMBER_TAGS: [u8; 2] = [TAG_INT, TAG_FLOAT];

fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vk(v: &Value) -> Vec<u8> {
        value_key(v)
    }

    #[test]
    fn value_keys_preserve_order_within_a_type() {
        let ints = [i64::MIN, -7, -1, 0, 1, 42, i64::MAX];
        for w in ints.windows(2) {
            assert!(vk(&Value::Int(w[0])) < vk(&Value::Int(w[1])), "{w:?}");
        }
        let floats = [
            f64::NEG_INFINITY,
            -1e9,
            -0.5,
            0.0,
            1e-300,
            2.5,
            f64::INFINITY,
        ];
        for w in floats.windows(2) {
            assert!(vk(&Value::Float(w[0])) < vk(&Value::Float(w[1])), "{w:?}");
        }
        let strings = ["", "a", "a\0", "a\0b", "ab", "b"];
        for w in strings.windows(2) {
            assert!(vk(&w[0].into()) < vk(&w[1].into()), "{w:?}");
        }
        assert_eq!(vk(&Value::Float(-0.0)), vk(&Value::Float(0.0)));
    }

    #[test]
    fn numbers_read_back_from_their_value_keys() {
        for i in [i64::MIN, -1, 0, 7, i64::MAX] {
            assert_eq!(key_number(&vk(&Value::Int(i))), Some(KeyNumber::Int(i)));
        }
        for f in [f64::MIN, -2.5, -0.0, 0.0, 1e-300, 3.25, f64::MAX] {
            let back = key_number(&vk(&Value::Float(f)));
            assert_eq!(back, Some(KeyNumber::Float(if f == 0.0 { 0.0 } else { f })));
        }
        assert_eq!(key_number(&vk(&Value::from("abcdefghij"))), None);
        assert_eq!(key_number(&vk(&Value::Null)), None);
    }

    #[test]
    fn value_keys_are_self_delimiting() {
        // No value-key may be a prefix of another, or an index scan for one
        // value would return nodes holding the other.
        let values: Vec<Value> = vec![
            "ab".into(),
            "abc".into(),
            "ab\0".into(),
            Value::Bytes(vec![0, 1]),
            Value::Bytes(vec![0]),
            Value::List(vec![]),
            Value::List(vec![Value::Int(1)]),
            Value::List(vec![Value::Int(1), Value::Null]),
            Value::Null,
            Value::Bool(true),
        ];
        for a in &values {
            for b in &values {
                if a != b {
                    assert!(!vk(b).starts_with(&vk(a)), "{a:?} is a prefix of {b:?}");
                }
            }
        }
    }

    #[test]
    fn prefix_end_is_the_first_key_past_the_prefix() {
        assert_eq!(prefix_end(&[1, 2, 0xFF]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
        assert_eq!(prefix_end(&[]), None);
    }
}
