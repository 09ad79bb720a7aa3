//! Encoded node records read and changed without decoding them: what a
//! write over a whole label does per record (`SET n.k = v` on a million
//! nodes). A record is `labels: Vec<u32>` then `props: Vec<(u32, Value)>`
//! as [`codec`] lays them out; a value is stepped over by its length
//! (its strings and lists are never built), and a changed record is the
//! old bytes with the changed entries spliced in — the same bytes as
//! decoding, changing and encoding it (tested against that).
//!
//! A record holding a value this module does not step over (a temporal
//! value) gives `None`: the caller decodes it.

use crate::storage::codec::{read_varint, write_varint};

/// `Value`'s variants as the codec numbers them (declaration order).
mod variant {
    pub const NULL: u64 = 0;
    pub const BOOL: u64 = 1;
    pub const INT: u64 = 2;
    pub const FLOAT: u64 = 3;
    pub const STRING: u64 = 4;
    pub const BYTES: u64 = 5;
    pub const LIST: u64 = 6;
}

/// Where an encoded record's properties start: the offset of their count,
/// and whether the record has label `label`. `None` for bytes that are
/// not a record.
pub(crate) fn labels(bytes: &[u8], label: u32) -> Option<(usize, bool)> {
    let mut at = 0;
    let n = read_varint(bytes, &mut at)?;
    let mut has = false;
    for _ in 0..n {
        has |= read_varint(bytes, &mut at)? == u64::from(label);
    }
    Some((at, has))
}

/// A property of the record being patched: its key and where its entry
/// (key and value) lies in the old bytes, or the new value's bytes.
#[derive(Clone, Copy)]
pub(crate) enum Entry<'a> {
    Old(usize, usize),
    New(&'a [u8]),
}

/// Writes to `out` the encoded record `bytes` — whose properties' count
/// starts at `props` (see [`labels`]) — with `writes` applied in order:
/// `(key, Some(encoded value))` sets the key, `(key, None)` removes it.
/// Returns whether anything changed (a set always does; a removal when
/// the key was there); on `false` nothing is written. `scratch` is reused
/// between calls. `None`, with nothing written, when the record holds a
/// value not stepped over here or is malformed.
pub(crate) fn patch<'a>(
    bytes: &[u8],
    props: usize,
    writes: &[(u32, Option<&'a [u8]>)],
    scratch: &mut Vec<(u32, Entry<'a>)>,
    out: &mut Vec<u8>,
) -> Option<bool> {
    scratch.clear();
    let mut at = props;
    let count = read_varint(bytes, &mut at)?;
    let mut last = None;
    for _ in 0..count {
        let start = at;
        let key = u32::try_from(read_varint(bytes, &mut at)?).ok()?;
        if last.is_some_and(|l| l >= key) {
            return None; // not sorted: not a record this module wrote
        }
        last = Some(key);
        skip_value(bytes, &mut at, 0)?;
        scratch.push((key, Entry::Old(start, at)));
    }
    if at != bytes.len() {
        return None;
    }
    let mut changed = false;
    for &(key, value) in writes {
        let found = scratch.binary_search_by_key(&key, |(k, _)| *k);
        match (found, value) {
            (Ok(i), Some(v)) => scratch[i].1 = Entry::New(v),
            (Err(i), Some(v)) => scratch.insert(i, (key, Entry::New(v))),
            (Ok(i), None) => {
                scratch.remove(i);
            }
            (Err(_), None) => continue,
        }
        changed = true;
    }
    if !changed {
        return Some(false);
    }
    out.extend_from_slice(&bytes[..props]);
    write_varint(scratch.len() as u64, out);
    for &(key, entry) in scratch.iter() {
        match entry {
            Entry::Old(start, end) => out.extend_from_slice(&bytes[start..end]),
            Entry::New(v) => {
                write_varint(u64::from(key), out);
                out.extend_from_slice(v);
            }
        }
    }
    Some(true)
}

/// Steps `*at` over one encoded value; `None` for a temporal value, a
/// list nested deeper than 64, or malformed bytes.
fn skip_value(bytes: &[u8], at: &mut usize, depth: u32) -> Option<()> {
    let skip = |at: &mut usize, n: u64| {
        let end = at.checked_add(usize::try_from(n).ok()?)?;
        (end <= bytes.len()).then(|| *at = end)
    };
    match read_varint(bytes, at)? {
        variant::NULL => Some(()),
        variant::BOOL => skip(at, 1),
        variant::INT => read_varint(bytes, at).map(drop),
        variant::FLOAT => skip(at, 8),
        variant::STRING | variant::BYTES => {
            let n = read_varint(bytes, at)?;
            skip(at, n)
        }
        variant::LIST if depth < 64 => {
            for _ in 0..read_varint(bytes, at)? {
                skip_value(bytes, at, depth + 1)?;
            }
            Some(())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;
    use crate::graph::records::NodeRecord;
    use crate::rng::Rng;
    use crate::storage::codec;

    fn value(rng: &mut Rng, depth: u32) -> Value {
        match rng.below(if depth > 2 { 7 } else { 9 }) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => Value::Int(rng.next_u64().cast_signed() >> rng.below(64)),
            3 => Value::Float(rng.f64() * 1e6 - 5e5),
            4 => Value::String("é".repeat(rng.below(300) as usize)),
            5 => Value::Bytes(vec![7u8; rng.below(300) as usize]),
            6 => Value::Temporal(crate::temporal::Temporal::Date(
                crate::temporal::Date::from_ymd(2024, 2, 29).expect("a date"),
            )),
            _ => Value::List((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
        }
    }

    fn key(rng: &mut Rng) -> u32 {
        // Keys on both sides of the one-byte and two-byte boundaries.
        [3, 249, 250, 251, 300, 65_535, 65_536, 70_000][rng.below(8) as usize] + rng.below(3) as u32
    }

    /// Patching gives the very bytes decoding, changing and encoding
    /// gives, for records of every kind of value, keys of every width and
    /// writes that set, replace, remove and repeat keys; and it takes
    /// every record without a temporal value.
    #[test]
    fn a_patch_is_the_bytes_of_the_record_changed() {
        let mut rng = Rng::new(42);
        let (mut patched, mut declined) = (0, 0);
        for case in 0..4000 {
            let mut record = NodeRecord::default();
            for _ in 0..rng.below(4) {
                record.labels.push(key(&mut rng));
            }
            record.labels.sort_unstable();
            record.labels.dedup();
            for _ in 0..rng.below(6) {
                let k = key(&mut rng);
                if let Err(i) = record.props.binary_search_by_key(&k, |(k, _)| *k) {
                    record.props.insert(i, (k, value(&mut rng, 0)));
                }
            }
            let writes: Vec<(u32, Option<Value>)> = (0..=rng.below(3))
                .map(|_| {
                    let v = (rng.below(3) > 0).then(|| value(&mut rng, 1));
                    (key(&mut rng), v)
                })
                .collect();
            let bytes = codec::encode(&record).unwrap();
            let encoded: Vec<Option<Vec<u8>>> = writes
                .iter()
                .map(|(_, v)| v.as_ref().map(|v| codec::encode(v).unwrap()))
                .collect();
            let raw: Vec<(u32, Option<&[u8]>)> = writes
                .iter()
                .zip(&encoded)
                .map(|((k, _), e)| (*k, e.as_deref()))
                .collect();
            let probe = record.labels.first().copied().unwrap_or(1);
            let (props, has) = labels(&bytes, probe).unwrap();
            assert_eq!(has, record.labels.contains(&probe), "case {case}");
            let mut out = vec![9, 9];
            let got = patch(&bytes, props, &raw, &mut Vec::new(), &mut out);
            let temporal = record
                .props
                .iter()
                .any(|(_, v)| format!("{v:?}").contains("Temporal"));
            let Some(changed) = got else {
                assert!(temporal, "case {case}: declined {record:?}");
                assert_eq!(out, [9, 9]);
                declined += 1;
                continue;
            };
            patched += 1;
            let mut want = record.clone();
            let mut dirty = false;
            for (k, v) in writes {
                dirty |= match v {
                    Some(v) => {
                        match want.props.binary_search_by_key(&k, |(k, _)| *k) {
                            Ok(i) => want.props[i].1 = v,
                            Err(i) => want.props.insert(i, (k, v)),
                        }
                        true
                    }
                    None => match want.props.binary_search_by_key(&k, |(k, _)| *k) {
                        Ok(i) => {
                            want.props.remove(i);
                            true
                        }
                        Err(_) => false,
                    },
                };
            }
            assert_eq!(changed, dirty, "case {case}");
            if dirty {
                assert_eq!(out[2..], codec::encode(&want).unwrap()[..], "case {case}");
            } else {
                assert_eq!(out, [9, 9]);
            }
        }
        assert!(patched > 2000 && declined > 100, "{patched} / {declined}");
    }

    #[test]
    fn malformed_records_are_declined() {
        let record = NodeRecord {
            labels: vec![1],
            props: vec![(2, Value::String("abc".into()))],
        };
        let bytes = codec::encode(&record).unwrap();
        let (props, _) = labels(&bytes, 1).unwrap();
        let set = [(5, Some(&[1u8, 1][..]))];
        for cut in 0..bytes.len() {
            let mut out = Vec::new();
            let short = &bytes[..cut];
            if let Some((props, _)) = labels(short, 1) {
                assert_eq!(patch(short, props, &set, &mut Vec::new(), &mut out), None);
            }
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            patch(&long, props, &set, &mut Vec::new(), &mut Vec::new()),
            None
        );
    }
}
