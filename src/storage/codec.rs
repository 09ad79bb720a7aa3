//! Value encoding: the only module that names `bincode`.
//!
//! Records are encoded with bincode 2 (standard config: little-endian,
//! variable-length integers) through serde. bincode is unmaintained
//! upstream; replacing it means changing this file (and bumping the format
//! version), nothing else.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Upper bound on what one decode may allocate, so that a corrupt length
/// prefix fails cleanly instead of exhausting memory.
const DECODE_LIMIT: usize = 1 << 30;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

/// Encodes a value.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    bincode::serde::encode_to_vec(value, config())
        .map_err(|e| Error::invalid(format!("cannot encode value: {e}")))
}

/// Encodes a value at the end of `out` (no allocation of its own).
pub fn encode_append<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()> {
    bincode::serde::encode_into_std_write(value, out, config())
        .map(|_| ())
        .map_err(|e| Error::invalid(format!("cannot encode value: {e}")))
}

/// Decodes a value from the start of `bytes`; returns it and the bytes it
/// took. `what` names it in errors.
pub fn decode_head<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<(T, usize)> {
    bincode::serde::decode_from_slice(bytes, config())
        .map_err(|e| Error::corruption_from(format!("cannot decode {what}"), e))
}

/// Decodes a value that must fill `bytes` exactly; `what` names it in errors.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    let (value, read) = decode_head(bytes, what)?;
    if read != bytes.len() {
        return Err(Error::corruption(format!(
            "{what}: {} trailing bytes after the record",
            bytes.len() - read
        )));
    }
    Ok(value)
}

/// Reads the unsigned integer this codec writes at `*at` (one byte below
/// 251, else a marker byte and 2, 4 or 8 little-endian bytes) and moves
/// past it; `None` past the end or at an unknown marker.
pub fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let first = *bytes.get(*at)?;
    let width = match first {
        0..=250 => {
            *at += 1;
            return Some(u64::from(first));
        }
        251 => 2,
        252 => 4,
        253 => 8,
        _ => return None,
    };
    let raw = bytes.get(*at + 1..*at + 1 + width)?;
    let mut le = [0u8; 8];
    le[..width].copy_from_slice(raw);
    *at += 1 + width;
    Some(u64::from_le_bytes(le))
}

/// Writes `v` as this codec writes an unsigned integer.
pub fn write_varint(v: u64, out: &mut Vec<u8>) {
    match v {
        0..=250 => out.push(v as u8),
        251..=0xffff => {
            out.push(251);
            out.extend_from_slice(&(v as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(252);
            out.extend_from_slice(&(v as u32).to_le_bytes());
        }
        _ => {
            out.push(253);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn round_trip_and_refuse_garbage() {
        let v = vec![
            Value::Null,
            Value::Int(-5),
            Value::String("x".into()),
            Value::List(vec![Value::Float(1.5)]),
        ];
        let bytes = encode(&v).unwrap();
        assert_eq!(decode::<Vec<Value>>(&bytes, "test").unwrap(), v);
        assert!(matches!(
            decode::<Vec<Value>>(&bytes[..bytes.len() - 1], "test"),
            Err(Error::Corruption { .. })
        ));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            decode::<Vec<Value>>(&longer, "test"),
            Err(Error::Corruption { .. })
        ));
        // A huge length prefix must not allocate.
        let huge = [0xfc, 0xff, 0xff, 0xff, 0xff];
        assert!(decode::<Vec<u8>>(&huge, "test").is_err());
    }
}
