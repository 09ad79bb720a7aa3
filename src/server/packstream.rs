//! `PackStream` v1, the value encoding of Bolt messages: a tagged,
//! big-endian binary form of null, booleans, integers, floats, bytes,
//! strings, lists, maps and structures (a tag byte and fields, which Bolt
//! uses for its messages and for nodes, relationships, paths and temporal
//! values).
//!
//! The decoder reads untrusted bytes: a length is checked against the
//! bytes left and at most 1,024 items are reserved ahead of their bytes,
//! it nests at most [`MAX_DEPTH`] deep, and answers every malformed input
//! with a [`PackError`]. A decoded value takes a few times its encoded
//! size in memory (a one-byte item becomes a 32-byte [`Pack`]): the
//! server bounds the message size, tighter before a client logs in.

use std::fmt;

/// How deep lists, maps and structures may nest in a decoded value.
pub const MAX_DEPTH: usize = 64;

/// The most items a header makes the decoder reserve room for; a longer
/// list or map grows as its items arrive, so a header's count cannot make
/// it reserve memory its bytes do not back (nested headers would
/// multiply it).
const RESERVE: usize = 1024;

/// A `PackStream` value.
#[derive(Clone, Debug, PartialEq)]
pub enum Pack {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A byte array.
    Bytes(Vec<u8>),
    /// A UTF-8 string.
    String(String),
    /// A list.
    List(Vec<Pack>),
    /// A map with string keys, in wire order.
    Map(Vec<(String, Pack)>),
    /// A structure: a tag and its fields (at most 15).
    Struct(u8, Vec<Pack>),
}

/// Why bytes are not a `PackStream` value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The input ended inside a value.
    #[error("PackStream value truncated at byte {0}")]
    Truncated(usize),
    /// A marker byte `PackStream` does not define.
    #[error("unknown PackStream marker 0x{marker:02X} at byte {at}")]
    Marker {
        /// The byte.
        marker: u8,
        /// Its offset.
        at: usize,
    },
    /// A string (or map key) that is not UTF-8.
    #[error("PackStream string at byte {0} is not UTF-8")]
    Utf8(usize),
    /// A map key that is not a string.
    #[error("PackStream map key at byte {0} is not a string")]
    Key(usize),
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("PackStream value nested deeper than {MAX_DEPTH} levels")]
    Depth,
    /// Bytes left after the value.
    #[error("{0} bytes after the PackStream value")]
    Trailing(usize),
}

impl Pack {
    /// The value's string, if it is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Pack::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value's integer, if it is one.
    #[must_use]
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Pack::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The entry `key` of a map (the last one, if repeated).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Pack> {
        match self {
            Pack::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A map from pairs.
    #[must_use]
    pub fn map<const N: usize>(entries: [(&str, Pack); N]) -> Pack {
        Pack::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    /// A string.
    pub fn str(s: impl Into<String>) -> Pack {
        Pack::String(s.into())
    }
}

impl fmt::Display for Pack {
    /// A short form for error messages and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pack::Null => f.write_str("null"),
            Pack::Bool(b) => write!(f, "{b}"),
            Pack::Int(i) => write!(f, "{i}"),
            Pack::Float(x) => write!(f, "{x}"),
            Pack::Bytes(b) => write!(f, "bytes[{}]", b.len()),
            Pack::String(s) => write!(f, "{s:?}"),
            Pack::List(items) => write!(f, "list[{}]", items.len()),
            Pack::Map(entries) => write!(f, "map[{}]", entries.len()),
            Pack::Struct(tag, fields) => write!(f, "struct 0x{tag:02X}[{}]", fields.len()),
        }
    }
}

/// Appends `PackStream` bytes to a buffer.
pub struct Encoder<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Encoder<'a> {
    /// An encoder appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Encoder<'a> {
        Encoder { out }
    }

    /// Appends a value.
    pub fn pack(&mut self, v: &Pack) {
        match v {
            Pack::Null => self.null(),
            Pack::Bool(b) => self.bool(*b),
            Pack::Int(i) => self.int(*i),
            Pack::Float(x) => self.float(*x),
            Pack::Bytes(b) => self.bytes(b),
            Pack::String(s) => self.string(s),
            Pack::List(items) => {
                self.list_header(items.len());
                for item in items {
                    self.pack(item);
                }
            }
            Pack::Map(entries) => {
                self.map_header(entries.len());
                for (k, v) in entries {
                    self.string(k);
                    self.pack(v);
                }
            }
            Pack::Struct(tag, fields) => {
                self.struct_header(*tag, fields.len());
                for field in fields {
                    self.pack(field);
                }
            }
        }
    }

    /// `null`.
    pub fn null(&mut self) {
        self.out.push(0xC0);
    }

    /// A boolean.
    pub fn bool(&mut self, b: bool) {
        self.out.push(if b { 0xC3 } else { 0xC2 });
    }

    /// An integer, in the smallest form that holds it.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "each arm's range fits the width it writes"
    )]
    pub fn int(&mut self, i: i64) {
        if (-16..=127).contains(&i) {
            self.out.push(i as u8);
        } else if (-128..=-17).contains(&i) {
            self.out.extend_from_slice(&[0xC8, i as i8 as u8]);
        } else if (-32_768..=32_767).contains(&i) {
            self.out.push(0xC9);
            self.out.extend_from_slice(&(i as i16).to_be_bytes());
        } else if (-2_147_483_648..=2_147_483_647).contains(&i) {
            self.out.push(0xCA);
            self.out.extend_from_slice(&(i as i32).to_be_bytes());
        } else {
            self.out.push(0xCB);
            self.out.extend_from_slice(&i.to_be_bytes());
        }
    }

    /// A float.
    pub fn float(&mut self, x: f64) {
        self.out.push(0xC1);
        self.out.extend_from_slice(&x.to_be_bytes());
    }

    /// A byte array.
    pub fn bytes(&mut self, b: &[u8]) {
        self.sized(b.len(), None, [0xCC, 0xCD, 0xCE]);
        self.out.extend_from_slice(b);
    }

    /// A string.
    pub fn string(&mut self, s: &str) {
        self.sized(s.len(), Some(0x80), [0xD0, 0xD1, 0xD2]);
        self.out.extend_from_slice(s.as_bytes());
    }

    /// The header of a list of `n` items (the items follow).
    pub fn list_header(&mut self, n: usize) {
        self.sized(n, Some(0x90), [0xD4, 0xD5, 0xD6]);
    }

    /// The header of a map of `n` entries (key, value pairs follow).
    pub fn map_header(&mut self, n: usize) {
        self.sized(n, Some(0xA0), [0xD8, 0xD9, 0xDA]);
    }

    /// The header of a structure of `n` fields (at most 15; the fields
    /// follow).
    #[allow(
        clippy::cast_possible_truncation,
        reason = "a structure has at most 15 fields"
    )]
    pub fn struct_header(&mut self, tag: u8, n: usize) {
        debug_assert!(n < 16, "a structure has at most 15 fields");
        self.out.extend_from_slice(&[0xB0 | (n as u8 & 0x0F), tag]);
    }

    #[allow(
        clippy::cast_possible_truncation,
        reason = "each arm's range fits the width it writes"
    )]
    fn sized(&mut self, n: usize, tiny: Option<u8>, markers: [u8; 3]) {
        match (tiny, n) {
            (Some(base), 0..=15) => self.out.push(base | n as u8),
            (_, 0..=0xFF) => self.out.extend_from_slice(&[markers[0], n as u8]),
            (_, 0x100..=0xFFFF) => {
                self.out.push(markers[1]);
                self.out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            _ => {
                self.out.push(markers[2]);
                self.out.extend_from_slice(&(n as u32).to_be_bytes());
            }
        }
    }
}

/// Decodes one whole value from `bytes` (nothing may follow it).
///
/// # Errors
/// A [`PackError`] for anything that is not exactly one value.
pub fn decode(bytes: &[u8]) -> Result<Pack, PackError> {
    let mut d = Decoder { bytes, at: 0 };
    let v = d.value(0)?;
    match bytes.len() - d.at {
        0 => Ok(v),
        n => Err(PackError::Trailing(n)),
    }
}

struct Decoder<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], PackError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(PackError::Truncated(self.bytes.len()))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, PackError> {
        Ok(self.take(1)?[0])
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], PackError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn size(&mut self, width: u8) -> Result<usize, PackError> {
        Ok(match width {
            0 => usize::from(self.byte()?),
            1 => usize::from(u16::from_be_bytes(self.be()?)),
            _ => u32::from_be_bytes(self.be()?) as usize,
        })
    }

    /// `n` items of at least one byte each must fit in what is left: the
    /// bound on what a header may make the decoder reserve.
    fn room(&self, n: usize) -> Result<(), PackError> {
        if n > self.bytes.len() - self.at {
            Err(PackError::Truncated(self.bytes.len()))
        } else {
            Ok(())
        }
    }

    fn string(&mut self, n: usize) -> Result<String, PackError> {
        let at = self.at;
        let raw = self.take(n)?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| PackError::Utf8(at))
    }

    fn value(&mut self, depth: usize) -> Result<Pack, PackError> {
        if depth > MAX_DEPTH {
            return Err(PackError::Depth);
        }
        let at = self.at;
        let marker = self.byte()?;
        Ok(match marker {
            0x00..=0x7F => Pack::Int(i64::from(marker)),
            0xF0..=0xFF => Pack::Int(i64::from(marker.cast_signed())),
            0xC0 => Pack::Null,
            0xC1 => Pack::Float(f64::from_be_bytes(self.be()?)),
            0xC2 => Pack::Bool(false),
            0xC3 => Pack::Bool(true),
            0xC8 => Pack::Int(i64::from(i8::from_be_bytes(self.be()?))),
            0xC9 => Pack::Int(i64::from(i16::from_be_bytes(self.be()?))),
            0xCA => Pack::Int(i64::from(i32::from_be_bytes(self.be()?))),
            0xCB => Pack::Int(i64::from_be_bytes(self.be()?)),
            0xCC..=0xCE => {
                let n = self.size(marker - 0xCC)?;
                Pack::Bytes(self.take(n)?.to_vec())
            }
            0x80..=0x8F => Pack::String(self.string(usize::from(marker & 0x0F))?),
            0xD0..=0xD2 => {
                let n = self.size(marker - 0xD0)?;
                Pack::String(self.string(n)?)
            }
            0x90..=0x9F => self.list(usize::from(marker & 0x0F), depth)?,
            0xD4..=0xD6 => {
                let n = self.size(marker - 0xD4)?;
                self.list(n, depth)?
            }
            0xA0..=0xAF => self.map(usize::from(marker & 0x0F), depth)?,
            0xD8..=0xDA => {
                let n = self.size(marker - 0xD8)?;
                self.map(n, depth)?
            }
            0xB0..=0xBF => {
                let n = usize::from(marker & 0x0F);
                let tag = self.byte()?;
                self.room(n)?;
                let mut fields = Vec::with_capacity(n.min(RESERVE));
                for _ in 0..n {
                    fields.push(self.value(depth + 1)?);
                }
                Pack::Struct(tag, fields)
            }
            _ => return Err(PackError::Marker { marker, at }),
        })
    }

    fn list(&mut self, n: usize, depth: usize) -> Result<Pack, PackError> {
        self.room(n)?;
        let mut items = Vec::with_capacity(n.min(RESERVE));
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(Pack::List(items))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<Pack, PackError> {
        // A key and a value: two bytes at least.
        self.room(n.saturating_mul(2))?;
        let mut entries = Vec::with_capacity(n.min(RESERVE));
        for _ in 0..n {
            let at = self.at;
            let Pack::String(key) = self.value(depth + 1)? else {
                return Err(PackError::Key(at));
            };
            entries.push((key, self.value(depth + 1)?));
        }
        Ok(Pack::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(v: &Pack) -> Vec<u8> {
        let mut out = Vec::new();
        Encoder::new(&mut out).pack(v);
        out
    }

    #[test]
    fn integers_take_the_smallest_form_and_round_trip() {
        let cases: [(i64, &[u8]); 10] = [
            (0, &[0x00]),
            (127, &[0x7F]),
            (-16, &[0xF0]),
            (-17, &[0xC8, 0xEF]),
            (-128, &[0xC8, 0x80]),
            (128, &[0xC9, 0x00, 0x80]),
            (-32_768, &[0xC9, 0x80, 0x00]),
            (32_768, &[0xCA, 0x00, 0x00, 0x80, 0x00]),
            (2_147_483_648, &[0xCB, 0, 0, 0, 0, 0x80, 0, 0, 0]),
            (i64::MIN, &[0xCB, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        ];
        for (i, want) in cases {
            assert_eq!(bytes(&Pack::Int(i)), want, "{i}");
            assert_eq!(decode(want), Ok(Pack::Int(i)), "{i}");
        }
    }

    #[test]
    fn the_specification_examples_encode_byte_for_byte() {
        assert_eq!(bytes(&Pack::Null), [0xC0]);
        assert_eq!(bytes(&Pack::Bool(true)), [0xC3]);
        assert_eq!(
            bytes(&Pack::Float(1.1)),
            [0xC1, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A]
        );
        assert_eq!(bytes(&Pack::str("A")), [0x81, 0x41]);
        assert_eq!(
            bytes(&Pack::List(vec![Pack::Int(1), Pack::Int(2), Pack::Int(3)])),
            [0x93, 0x01, 0x02, 0x03]
        );
        assert_eq!(
            bytes(&Pack::map([("one", Pack::str("eins"))])),
            [0xA1, 0x83, 0x6F, 0x6E, 0x65, 0x84, 0x65, 0x69, 0x6E, 0x73]
        );
        assert_eq!(bytes(&Pack::Bytes(vec![1, 2])), [0xCC, 0x02, 0x01, 0x02]);
        assert_eq!(
            bytes(&Pack::Struct(0x4E, vec![Pack::Int(1)])),
            [0xB1, 0x4E, 0x01]
        );
        let long = "x".repeat(300);
        let enc = bytes(&Pack::str(long.clone()));
        assert_eq!(&enc[..3], [0xD1, 0x01, 0x2C]);
        assert_eq!(decode(&enc), Ok(Pack::String(long)));
    }

    #[test]
    fn nested_values_round_trip() {
        let v = Pack::map([
            ("list", Pack::List((0..20).map(Pack::Int).collect())),
            ("bytes", Pack::Bytes(vec![0; 70_000])),
            (
                "node",
                Pack::Struct(
                    0x4E,
                    vec![
                        Pack::Int(-5),
                        Pack::List(vec![Pack::str("L")]),
                        Pack::map([]),
                    ],
                ),
            ),
            ("f", Pack::Float(-0.0)),
            ("n", Pack::Null),
        ]);
        assert_eq!(decode(&bytes(&v)), Ok(v));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic_or_a_huge_allocation() {
        // A list header claiming 4 billion items, with none after it.
        assert!(matches!(
            decode(&[0xD6, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(PackError::Truncated(_))
        ));
        assert!(matches!(
            decode(&[0xDA, 0xFF, 0xFF, 0xFF, 0xFF, 0x80]),
            Err(PackError::Truncated(_))
        ));
        assert_eq!(
            decode(&[0xC7]),
            Err(PackError::Marker {
                marker: 0xC7,
                at: 0
            })
        );
        assert_eq!(decode(&[0x82, 0xFF, 0xFE]), Err(PackError::Utf8(1)));
        assert_eq!(decode(&[0xA1, 0x01, 0x01]), Err(PackError::Key(1)));
        assert_eq!(decode(&[0x01, 0x02]), Err(PackError::Trailing(1)));
        assert!(matches!(decode(&[]), Err(PackError::Truncated(_))));
        let deep = vec![0x91; MAX_DEPTH + 2];
        assert_eq!(decode(&deep), Err(PackError::Depth));
    }
}
