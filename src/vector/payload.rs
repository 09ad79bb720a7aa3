//! Payload conditions ([`Search::payload_eq`](super::Search::payload_eq),
//! [`Search::payload_range`](super::Search::payload_range)) and the
//! payload indexes that answer them without reading every point.
//!
//! A payload index on a field holds one `payload_index` entry per point
//! with that field: `collection · field · value-key · point key`. A
//! condition becomes one or two key ranges of it (two for numbers: the
//! integer and the float sections), and every entry found is checked
//! against the condition exactly, so the index and the reading of
//! payloads (for a field without an index) admit the same points.
//!
//! What a condition means: integers and floats compare as numbers
//! (`3` equals `3.0`, exactly, at any magnitude); strings, byte strings,
//! booleans and lists compare within their own type (strings by their
//! UTF-8 bytes, lists element by element); values of other types never
//! match. A point without the field never matches.

use std::cmp::Ordering;
use std::ops::Bound;

use crate::error::{Error, Result};
use crate::storage::keys::{self, NUMBER_TAGS, value_key};
use crate::value::cmp_int_float;
use crate::{Props, Value};

/// Longest field name a payload index takes, in bytes.
pub const MAX_FIELD_LEN: usize = u8::MAX as usize;

/// Visits the `payload_index` keys from a start key to an end key
/// (exclusive; `None`: to the last key).
pub(crate) type IndexScan<'a> =
    dyn FnMut(&[u8], Option<&[u8]>, &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> + 'a;

/// One condition on a payload field.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Condition {
    /// The field equals the value.
    Eq { field: String, value: Value },
    /// The field lies between the bounds (at least one is bounded).
    Range {
        field: String,
        lo: Bound<Value>,
        hi: Bound<Value>,
    },
}

impl Condition {
    /// The field it reads.
    pub(crate) fn field(&self) -> &str {
        match self {
            Condition::Eq { field, .. } | Condition::Range { field, .. } => field,
        }
    }

    /// Refuses what cannot match anything by mistake: a NaN, a range
    /// without bounds, bounds of two types.
    pub(crate) fn validate(&self) -> Result<()> {
        let field = self.field();
        match self {
            Condition::Eq { value, .. } => value.validate(field),
            Condition::Range { lo, hi, .. } => {
                let (lo, hi) = (bound_value(lo), bound_value(hi));
                for v in lo.iter().chain(&hi) {
                    v.validate(field)?;
                }
                match (lo, hi) {
                    (None, None) => Err(Error::invalid(format!(
                        "the range on payload field {field:?} has no bound"
                    ))),
                    (Some(a), Some(b)) if compare(&value_key(a), &value_key(b)).is_none() => {
                        Err(Error::invalid(format!(
                            "the range on payload field {field:?} has bounds of two types ({a} and {b})"
                        )))
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// The condition with its values as value-keys, to test many values.
    pub(crate) fn matcher(&self) -> Matcher<'_> {
        let key = |b: &Bound<Value>| match b {
            Bound::Included(v) => Bound::Included(value_key(v)),
            Bound::Excluded(v) => Bound::Excluded(value_key(v)),
            Bound::Unbounded => Bound::Unbounded,
        };
        let (lo, hi) = match self {
            Condition::Eq { value, .. } => {
                let vk = value_key(value);
                (Bound::Included(vk.clone()), Bound::Included(vk))
            }
            Condition::Range { lo, hi, .. } => (key(lo), key(hi)),
        };
        Matcher {
            field: self.field(),
            lo,
            hi,
        }
    }

    /// The sorted keys of the points the index of this condition's field
    /// admits: `scan` visits `payload_index` from a start key to an end
    /// key (exclusive; `None`: to the last key).
    pub(crate) fn lookup(&self, collection: u32, scan: &mut IndexScan<'_>) -> Result<Vec<u64>> {
        let prefix = field_prefix(collection, self.field());
        let matcher = self.matcher();
        let mut found = Vec::new();
        for (start, end) in self.ranges(&prefix) {
            scan(&start, end.as_deref(), &mut |key| {
                let vk = key
                    .get(prefix.len()..key.len().saturating_sub(8))
                    .ok_or_else(|| Error::corruption("payload index key is too short"))?;
                if matcher.matches_key(vk) {
                    found.push(keys::read_u64(key, key.len() - 8)?);
                }
                Ok(())
            })?;
        }
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    /// The key ranges `[start, end)` of the field's index (whose keys
    /// start with `prefix`) that hold every entry the condition may
    /// admit; [`Matcher::matches_key`] decides within them.
    fn ranges(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let at = |tail: &[u8]| [prefix, tail].concat();
        let past = |tail: &[u8]| keys::prefix_end(&at(tail));
        match self {
            Condition::Eq { value, .. } => numeric_forms(value)
                .unwrap_or_else(|| vec![value_key(value)])
                .into_iter()
                .map(|vk| (at(&vk), past(&vk)))
                .collect(),
            Condition::Range { lo, hi, .. } => {
                let Some(typed) = bound_value(lo).or(bound_value(hi)) else {
                    return Vec::new();
                };
                let sections: Vec<(u8, u8)> = if is_number(typed) {
                    NUMBER_TAGS.iter().map(|&t| (t, t)).collect()
                } else {
                    let tags = keys::type_tags(typed);
                    vec![(*tags.start(), *tags.end())]
                };
                sections
                    .into_iter()
                    .map(|(first, last)| {
                        let start = bound_value(lo).map_or_else(
                            || at(&[first]),
                            |v| at(&keys::loose_key(v, first, false)),
                        );
                        let end = bound_value(hi).map_or_else(
                            || past(&[last]),
                            |v| past(&keys::loose_key(v, first, true)),
                        );
                        (start, end)
                    })
                    .collect()
            }
        }
    }
}

/// A [`Condition`] ready to test values: its bounds as value-keys (an
/// equality is a range from the value to itself).
pub(crate) struct Matcher<'c> {
    field: &'c str,
    lo: Bound<Vec<u8>>,
    hi: Bound<Vec<u8>>,
}

impl Matcher<'_> {
    /// Whether a payload satisfies the condition.
    pub(crate) fn matches(&self, payload: &Props) -> bool {
        payload
            .get(self.field)
            .is_some_and(|v| self.matches_key(&value_key(v)))
    }

    /// Whether the value whose value-key is `vk` satisfies the condition.
    fn matches_key(&self, vk: &[u8]) -> bool {
        let above = match &self.lo {
            Bound::Included(b) => compare(vk, b).is_some_and(Ordering::is_ge),
            Bound::Excluded(b) => compare(vk, b).is_some_and(Ordering::is_gt),
            Bound::Unbounded => true,
        };
        above
            && match &self.hi {
                Bound::Included(b) => compare(vk, b).is_some_and(Ordering::is_le),
                Bound::Excluded(b) => compare(vk, b).is_some_and(Ordering::is_lt),
                Bound::Unbounded => true,
            }
    }
}

/// The `payload_index` key prefix of `field` in `collection`.
pub(crate) fn field_prefix(collection: u32, field: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(5 + field.len());
    k.extend_from_slice(&collection.to_be_bytes());
    // Field names are at most MAX_FIELD_LEN bytes (create_payload_index).
    k.push(field.len().min(MAX_FIELD_LEN) as u8);
    k.extend_from_slice(field.as_bytes());
    k
}

/// The `payload_index` keys point `key`'s payload implies in a collection
/// with indexes on `fields` — written with the point, deleted with it,
/// and what the check expects.
pub(crate) fn entries<'p>(
    collection: u32,
    fields: &[String],
    key: u64,
    payload: impl IntoIterator<Item = (&'p String, &'p Value)>,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (name, value) in payload {
        if fields.iter().any(|f| f == name) {
            out.push(entry(collection, name, value, key));
        }
    }
    out
}

/// One `payload_index` key.
pub(crate) fn entry(collection: u32, field: &str, value: &Value, key: u64) -> Vec<u8> {
    let mut k = field_prefix(collection, field);
    keys::push_value(&mut k, value);
    k.extend_from_slice(&key.to_be_bytes());
    k
}

fn bound_value(b: &Bound<Value>) -> Option<&Value> {
    match b {
        Bound::Included(v) | Bound::Excluded(v) => Some(v),
        Bound::Unbounded => None,
    }
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Float(_))
}

/// The value-keys a number is stored under when it equals `v`: its own
/// and, when exact, the other numeric type's; `None` for a non-number.
fn numeric_forms(v: &Value) -> Option<Vec<Vec<u8>>> {
    let other = match *v {
        Value::Int(i) => {
            let f = i as f64;
            (cmp_int_float(i, f) == Ordering::Equal).then_some(Value::Float(f))
        }
        Value::Float(f) => {
            let i = f as i64;
            (cmp_int_float(i, f) == Ordering::Equal).then_some(Value::Int(i))
        }
        _ => return None,
    };
    Some(std::iter::once(v).chain(&other).map(value_key).collect())
}

/// The order of two value-keys' values, `None` when they cannot be
/// compared (two types, numbers aside).
fn compare(a: &[u8], b: &[u8]) -> Option<Ordering> {
    match (keys::key_number(a), keys::key_number(b)) {
        (Some(x), Some(y)) => Some(keys::compare_key_numbers(x, y)),
        (None, None) => {
            let kind = |vk: &[u8]| vk.first().map(|&t| keys::type_class(t));
            (kind(a)? == kind(b)?).then(|| a.cmp(b))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::props;

    fn eq(v: impl Into<Value>) -> Condition {
        Condition::Eq {
            field: "f".into(),
            value: v.into(),
        }
    }

    fn range(lo: Bound<Value>, hi: Bound<Value>) -> Condition {
        Condition::Range {
            field: "f".into(),
            lo,
            hi,
        }
    }

    /// Every condition admits the same values by reading payloads as by
    /// scanning an index of them.
    #[test]
    fn the_index_admits_what_reading_payloads_admits() {
        use Bound::{Excluded, Included, Unbounded};
        let values: Vec<Value> = vec![
            Value::Null,
            false.into(),
            true.into(),
            i64::MIN.into(),
            (-3).into(),
            0.into(),
            2.into(),
            3.into(),
            (1i64 << 53).into(),
            ((1i64 << 53) + 1).into(),
            i64::MAX.into(),
            (-1e300).into(),
            (-2.5).into(),
            0.0.into(),
            2.5.into(),
            3.0.into(),
            9_007_199_254_740_992.0.into(),
            9.3e18.into(),
            "".into(),
            "a".into(),
            "ab".into(),
            "b".into(),
            vec![0u8, 1].into(),
            vec![Value::from(1), Value::from("x")].into(),
        ];
        let mut index: Vec<Vec<u8>> = values
            .iter()
            .enumerate()
            .map(|(i, v)| entry(9, "f", v, i as u64))
            .collect();
        // Another field and another collection must not leak in.
        index.push(entry(9, "g", &3.into(), 100));
        index.push(entry(8, "f", &3.into(), 101));
        index.sort();
        let conditions = vec![
            eq(3),
            eq(3.0),
            eq(2.5),
            eq(1i64 << 53),
            eq((1i64 << 53) + 1),
            eq("a"),
            eq(true),
            eq(Value::Null),
            eq(vec![0u8, 1]),
            range(Included(2.into()), Included(3.into())),
            range(Excluded(2.into()), Unbounded),
            range(Unbounded, Excluded(3.0.into())),
            range(Included((-2.6).into()), Excluded(2.6.into())),
            range(Included(i64::MAX.into()), Unbounded),
            range(Included(1e18.into()), Unbounded),
            range(Unbounded, Included(i64::MIN.into())),
            range(Included("a".into()), Excluded("b".into())),
            range(Excluded("".into()), Unbounded),
            range(Included(false.into()), Included(true.into())),
        ];
        for c in &conditions {
            c.validate().unwrap();
            let by_payload: Vec<u64> = values
                .iter()
                .enumerate()
                .filter(|(_, v)| c.matcher().matches(&props! {"f" => (*v).clone()}))
                .map(|(i, _)| i as u64)
                .collect();
            let by_index = c
                .lookup(9, &mut |start, end, visit| {
                    for k in &index {
                        if k.as_slice() >= start && end.is_none_or(|e| k.as_slice() < e) {
                            visit(k)?;
                        }
                    }
                    Ok(())
                })
                .unwrap();
            assert_eq!(by_index, by_payload, "{c:?}");
            assert!(!by_payload.is_empty(), "{c:?} admits nothing: a weak case");
        }
        // Numbers are numbers, exactly.
        let matches = |c: Condition, p: Props| c.matcher().matches(&p);
        assert!(matches(eq(3), props! {"f" => 3.0}));
        assert!(!matches(
            eq((1i64 << 53) + 1),
            props! {"f" => 9_007_199_254_740_992.0}
        ));
        assert!(!matches(eq("3"), props! {"f" => 3}));
        assert!(!matches(eq(3), props! {"g" => 3}));
    }

    #[test]
    fn senseless_conditions_are_refused() {
        use Bound::{Included, Unbounded};
        for bad in [
            eq(f64::NAN),
            range(Unbounded, Unbounded),
            range(Included(1.into()), Included("z".into())),
            range(Included(f64::NAN.into()), Unbounded),
        ] {
            assert!(
                matches!(bad.validate(), Err(Error::InvalidArgument(_))),
                "{bad:?}"
            );
        }
        range(Included(1.into()), Included(2.5.into()))
            .validate()
            .unwrap();
    }
}
