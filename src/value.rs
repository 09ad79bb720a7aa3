//! Property values.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::temporal::Temporal;

/// A property value.
///
/// `Int` and `Float` are distinct: `Int(1)` and `Float(1.0)` are different
/// values for equality and index lookups. `NaN` cannot be stored (it equals
/// nothing, so it could never be found again); writes holding one fail with
/// [`Error::InvalidArgument`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A 64-bit float (never NaN).
    Float(f64),
    /// A UTF-8 string.
    String(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A list of values.
    List(Vec<Value>),
    /// A date, time, date-time or duration (Cypher's temporal types).
    Temporal(Temporal),
}

/// Properties of a node or edge: key → value, ordered by key.
pub type Props = BTreeMap<String, Value>;

impl Value {
    /// The value as a float when it is numeric (`Int` or `Float`).
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The value as a string slice when it is a `String`.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer when it is an `Int`.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Refuses values that cannot be stored (NaN, at any depth).
    pub(crate) fn validate(&self, key: &str) -> Result<()> {
        match self {
            Value::Float(f) if f.is_nan() => Err(Error::invalid(format!(
                "property {key:?} is NaN, which cannot be stored"
            ))),
            Value::List(items) => items.iter().try_for_each(|v| v.validate(key)),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Temporal(t) => write!(f, "{t}"),
        }
    }
}

macro_rules! impl_from {
    ($($t:ty => $variant:ident $(as $cast:ty)?),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::$variant(v $(as $cast)?)
            }
        })*
    };
}

impl_from!(
    bool => Bool,
    i64 => Int,
    i32 => Int as i64,
    u32 => Int as i64,
    i16 => Int as i64,
    u16 => Int as i64,
    i8 => Int as i64,
    u8 => Int as i64,
    f64 => Float,
    f32 => Float as f64,
    String => String,
    Vec<u8> => Bytes,
    Vec<Value> => List,
    Temporal => Temporal,
);

/// A vector (an embedding) as a list of floats: the value a vector index
/// over a property reads ([`VectorSource`](crate::vector::VectorSource)).
impl From<Vec<f32>> for Value {
    fn from(v: Vec<f32>) -> Self {
        Value::List(v.into_iter().map(|x| Value::Float(f64::from(x))).collect())
    }
}

/// A list of floats.
impl From<Vec<f64>> for Value {
    fn from(v: Vec<f64>) -> Self {
        Value::List(v.into_iter().map(Value::Float).collect())
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Builds a [`Props`] map: `props! {"name" => "Ada", "born" => 1815}`.
///
/// Values go through `Value::from`, so `&str`, `String`, integers, floats,
/// `bool`, byte vectors and `Option`s of these all work.
#[macro_export]
macro_rules! props {
    () => { $crate::Props::new() };
    ($($k:expr => $v:expr),+ $(,)?) => {{
        let mut p = $crate::Props::new();
        $( p.insert(::std::string::String::from($k), $crate::Value::from($v)); )+
        p
    }};
}

/// `i` against `f` exactly (no rounding of `i` to a float); `f` is not
/// NaN.
pub(crate) fn cmp_int_float(i: i64, f: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    let whole = f.trunc();
    // Exact: |whole| < 2^63.
    match i.cmp(&(whole as i64)) {
        Ordering::Equal => 0f64.total_cmp(&(f - whole)).then(Ordering::Equal),
        other => other,
    }
}
