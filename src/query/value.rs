//! The values a statement computes: property values plus maps, nodes,
//! relationships and paths.
//!
//! Three relations matter (openCypher's): *equality* (`=`, three-valued:
//! `null` when a `null` or a `NaN` decides), *equivalence* (grouping,
//! `DISTINCT`: `null` is equivalent to `null`, `1` to `1.0`), and the
//! global *order* of `ORDER BY` (maps, nodes, relationships, lists,
//! paths, strings, booleans, numbers, `null` last; `NaN` after every
//! number). Nodes and relationships are equal when their ids are.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use crate::temporal::Temporal;
use crate::value::cmp_int_float;
use crate::{EdgeId, NodeId, Value};

/// Statement parameters by name.
pub type Params = BTreeMap<String, CypherValue>;

/// A value in a statement or its result.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CypherValue {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A 64-bit float (NaN included).
    Float(f64),
    /// A string.
    String(String),
    /// Raw bytes (a stored `Value::Bytes`).
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<CypherValue>),
    /// A map, ordered by key.
    Map(BTreeMap<String, CypherValue>),
    /// A node.
    Node(Box<NodeValue>),
    /// A relationship (an edge).
    Relationship(Box<RelValue>),
    /// A path: nodes joined by relationships.
    Path(Box<PathValue>),
    /// A date, time, date-time or duration.
    Temporal(Box<Temporal>),
}

/// A node in a result: its id, labels and properties as the statement
/// left them. Two nodes are equal when their ids are.
#[derive(Clone, Debug)]
pub struct NodeValue {
    /// Its id.
    pub id: NodeId,
    /// Its labels, sorted.
    pub labels: Vec<String>,
    /// Its properties.
    pub properties: BTreeMap<String, CypherValue>,
}

/// A relationship in a result: its id, endpoints, type and properties.
/// Two relationships are equal when their ids are.
#[derive(Clone, Debug)]
pub struct RelValue {
    /// Its id.
    pub id: EdgeId,
    /// The node it starts at.
    pub start: NodeId,
    /// The node it ends at.
    pub end: NodeId,
    /// Its type.
    pub rel_type: String,
    /// Its properties.
    pub properties: BTreeMap<String, CypherValue>,
}

/// A path: `nodes[i]` and `nodes[i + 1]` are joined by
/// `relationships[i]` (in either direction).
#[derive(Clone, Debug, PartialEq)]
pub struct PathValue {
    /// Its nodes, one more than its relationships.
    pub nodes: Vec<NodeValue>,
    /// Its relationships.
    pub relationships: Vec<RelValue>,
}

impl NodeValue {
    /// A node known by its id alone (inside a statement, where labels and
    /// properties are read from the transaction when needed).
    pub(crate) fn bare(id: NodeId) -> NodeValue {
        NodeValue {
            id,
            labels: Vec::new(),
            properties: BTreeMap::new(),
        }
    }
}

impl PartialEq for NodeValue {
    fn eq(&self, other: &NodeValue) -> bool {
        self.id == other.id
    }
}

impl PartialEq for RelValue {
    fn eq(&self, other: &RelValue) -> bool {
        self.id == other.id
    }
}

use CypherValue as V;

impl From<Value> for CypherValue {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(b),
            Value::Int(i) => V::Int(i),
            Value::Float(f) => V::Float(f),
            Value::String(s) => V::String(s),
            Value::Bytes(b) => V::Bytes(b),
            Value::List(l) => V::List(l.into_iter().map(CypherValue::from).collect()),
            Value::Temporal(t) => V::Temporal(Box::new(t)),
        }
    }
}

impl From<bool> for CypherValue {
    fn from(b: bool) -> Self {
        V::Bool(b)
    }
}

impl From<i64> for CypherValue {
    fn from(i: i64) -> Self {
        V::Int(i)
    }
}

impl From<f64> for CypherValue {
    fn from(f: f64) -> Self {
        V::Float(f)
    }
}

impl From<Temporal> for CypherValue {
    fn from(t: Temporal) -> Self {
        V::Temporal(Box::new(t))
    }
}

impl From<&str> for CypherValue {
    fn from(s: &str) -> Self {
        V::String(s.to_owned())
    }
}

impl From<String> for CypherValue {
    fn from(s: String) -> Self {
        V::String(s)
    }
}

impl CypherValue {
    /// Whether it is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, V::Null)
    }

    /// The name of its type, as errors and `valueType` spell it.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            V::Null => "NULL",
            V::Bool(_) => "BOOLEAN",
            V::Int(_) => "INTEGER",
            V::Float(_) => "FLOAT",
            V::String(_) => "STRING",
            V::Bytes(_) => "BYTES",
            V::List(_) => "LIST",
            V::Map(_) => "MAP",
            V::Node(_) => "NODE",
            V::Relationship(_) => "RELATIONSHIP",
            V::Path(_) => "PATH",
            V::Temporal(t) => t.type_name(),
        }
    }

    /// `self = other`: `None` is `null` (unknown).
    #[must_use]
    pub fn equals(&self, other: &CypherValue) -> Option<bool> {
        match (self, other) {
            (V::Null, _) | (_, V::Null) => None,
            (V::Int(a), V::Int(b)) => Some(a == b),
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
                let (a, b) = (self.number(), other.number());
                if a.is_nan() || b.is_nan() {
                    Some(false)
                } else {
                    Some(compare_numbers(self, other) == Ordering::Equal)
                }
            }
            (V::Bool(a), V::Bool(b)) => Some(a == b),
            (V::String(a), V::String(b)) => Some(a == b),
            (V::Bytes(a), V::Bytes(b)) => Some(a == b),
            (V::List(a), V::List(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                all_known(a.iter().zip(b).map(|(x, y)| x.equals(y)))
            }
            (V::Map(a), V::Map(b)) => {
                if a.len() != b.len() || a.keys().ne(b.keys()) {
                    return Some(false);
                }
                all_known(a.values().zip(b.values()).map(|(x, y)| x.equals(y)))
            }
            (V::Node(a), V::Node(b)) => Some(a.id == b.id),
            (V::Relationship(a), V::Relationship(b)) => Some(a.id == b.id),
            (V::Path(a), V::Path(b)) => Some(a == b),
            (V::Temporal(a), V::Temporal(b)) => Some(a == b),
            _ => Some(false),
        }
    }

    /// `self < other` and the like: the ordering of two comparable values
    /// (numbers, strings, booleans, lists of comparable values); `None`
    /// (`null`) for anything else, a `null` or a `NaN`.
    #[must_use]
    pub fn compare(&self, other: &CypherValue) -> Option<Ordering> {
        match (self, other) {
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
                if self.number().is_nan() || other.number().is_nan() {
                    None
                } else {
                    Some(compare_numbers(self, other))
                }
            }
            (V::String(a), V::String(b)) => Some(a.cmp(b)),
            (V::Bool(a), V::Bool(b)) => Some(a.cmp(b)),
            (V::List(a), V::List(b)) => {
                for (x, y) in a.iter().zip(b) {
                    match x.compare(y)? {
                        Ordering::Equal => {}
                        unequal => return Some(unequal),
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            (V::Temporal(a), V::Temporal(b)) => a.compare(b),
            _ => None,
        }
    }

    /// The global order of `ORDER BY` (ascending): maps, nodes,
    /// relationships, lists, paths, temporal values (zoned datetimes,
    /// local datetimes, dates, zoned times, local times, durations),
    /// strings, booleans, numbers (`NaN` last among them), bytes, `null`.
    #[must_use]
    pub fn order(&self, other: &CypherValue) -> Ordering {
        let rank = |v: &CypherValue| match v {
            V::Map(_) => 0,
            V::Node(_) => 1,
            V::Relationship(_) => 2,
            V::List(_) => 3,
            V::Path(_) => 4,
            V::Temporal(_) => 5,
            V::String(_) => 6,
            V::Bool(_) => 7,
            V::Int(_) | V::Float(_) => 8,
            V::Bytes(_) => 9,
            V::Null => 10,
        };
        match (self, other) {
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
                match (self.number().is_nan(), other.number().is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => compare_numbers(self, other),
                }
            }
            (V::String(a), V::String(b)) => a.cmp(b),
            (V::Bool(a), V::Bool(b)) => a.cmp(b),
            (V::Bytes(a), V::Bytes(b)) => a.cmp(b),
            (V::List(a), V::List(b)) => {
                for (x, y) in a.iter().zip(b) {
                    match x.order(y) {
                        Ordering::Equal => {}
                        unequal => return unequal,
                    }
                }
                a.len().cmp(&b.len())
            }
            (V::Map(a), V::Map(b)) => {
                for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                    match ka.cmp(kb).then_with(|| va.order(vb)) {
                        Ordering::Equal => {}
                        unequal => return unequal,
                    }
                }
                a.len().cmp(&b.len())
            }
            (V::Node(a), V::Node(b)) => a.id.cmp(&b.id),
            (V::Relationship(a), V::Relationship(b)) => a.id.cmp(&b.id),
            (V::Temporal(a), V::Temporal(b)) => a.order(b),
            (V::Path(a), V::Path(b)) => {
                let ids = |p: &PathValue| {
                    let nodes = p.nodes.iter().map(|n| n.id.0);
                    let rels = p.relationships.iter().map(|r| r.id.0);
                    nodes.chain(rels).collect::<Vec<u64>>()
                };
                ids(a).cmp(&ids(b))
            }
            _ => rank(self).cmp(&rank(other)),
        }
    }

    /// Whether the two are the same for grouping and `DISTINCT`.
    #[must_use]
    pub fn equivalent(&self, other: &CypherValue) -> bool {
        self.order(other) == Ordering::Equal
    }

    /// A number as a float (callers check it is one).
    fn number(&self) -> f64 {
        match *self {
            V::Int(i) => i as f64,
            V::Float(f) => f,
            _ => f64::NAN,
        }
    }
}

/// Integers and floats compared exactly (an `i64` beyond 2^53 is not
/// rounded to the float it is compared with).
fn compare_numbers(a: &CypherValue, b: &CypherValue) -> Ordering {
    match (a, b) {
        (V::Int(x), V::Int(y)) => x.cmp(y),
        (V::Int(x), V::Float(y)) => cmp_int_float(*x, *y),
        (V::Float(x), V::Int(y)) => cmp_int_float(*y, *x).reverse(),
        (V::Float(x), V::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        _ => Ordering::Equal,
    }
}

/// Three-valued AND of equalities: false if any is false, else null if
/// any is null, else true.
fn all_known(results: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for r in results {
        match r {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

impl fmt::Display for CypherValue {
    /// The TCK's notation: strings in single quotes, `null`, `[1, 2]`,
    /// `{a: 1}`; floats always with a point or exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::Null => f.write_str("null"),
            V::Bool(b) => write!(f, "{b}"),
            V::Int(i) => write!(f, "{i}"),
            V::Float(x) => f.write_str(&format_float(*x)),
            V::String(s) => write!(f, "'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            V::Bytes(b) => write!(f, "bytes({})", b.len()),
            V::List(l) => {
                f.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            V::Map(m) => write_map(f, m),
            V::Node(n) => write!(f, "{n}"),
            V::Relationship(r) => write!(f, "{r}"),
            V::Path(p) => {
                f.write_str("<")?;
                for (i, node) in p.nodes.iter().enumerate() {
                    if i > 0 {
                        let rel = &p.relationships[i - 1];
                        if rel.start == node.id && rel.end != node.id {
                            write!(f, "<-{rel}-")?;
                        } else {
                            write!(f, "-{rel}->")?;
                        }
                    }
                    write!(f, "{node}")?;
                }
                f.write_str(">")
            }
            V::Temporal(t) => write!(f, "{t}"),
        }
    }
}

fn write_map(f: &mut fmt::Formatter<'_>, m: &BTreeMap<String, CypherValue>) -> fmt::Result {
    f.write_str("{")?;
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{k}: {v}")?;
    }
    f.write_str("}")
}

impl fmt::Display for NodeValue {
    /// `(:A:B {k: 1})`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for label in &self.labels {
            write!(f, ":{label}")?;
        }
        if !self.properties.is_empty() {
            if !self.labels.is_empty() {
                f.write_str(" ")?;
            }
            write_map(f, &self.properties)?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for RelValue {
    /// `[:T {k: 1}]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[:{}", self.rel_type)?;
        if !self.properties.is_empty() {
            f.write_str(" ")?;
            write_map(f, &self.properties)?;
        }
        f.write_str("]")
    }
}

/// A float as Cypher prints it: `1.0`, `0.5`, `1.0E20`, `NaN`,
/// `Infinity`.
#[must_use]
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-3..1e7).contains(&abs) {
        let s = format!("{x:E}");
        // Rust writes `1E20`; Cypher `1.0E20`.
        return match s.split_once('E') {
            Some((m, e)) if !m.contains('.') => format!("{m}.0E{e}"),
            _ => s,
        };
    }
    let s = format!("{x}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_is_three_valued_and_numbers_compare_exactly() {
        assert_eq!(V::Int(1).equals(&V::Float(1.0)), Some(true));
        assert_eq!(V::Int(1).equals(&V::Null), None);
        assert_eq!(V::Float(f64::NAN).equals(&V::Float(f64::NAN)), Some(false));
        assert_eq!(V::Int(1).equals(&V::from("1")), Some(false));
        let big = (1i64 << 53) + 1;
        assert_eq!(
            V::Int(big).equals(&V::Float((1i64 << 53) as f64)),
            Some(false)
        );
        assert_eq!(
            V::Int(big).compare(&V::Float((1i64 << 53) as f64)),
            Some(Ordering::Greater)
        );
        let list = |v: Vec<CypherValue>| V::List(v);
        assert_eq!(
            list(vec![V::Int(1), V::Null]).equals(&list(vec![V::Int(2), V::Null])),
            Some(false)
        );
        assert_eq!(
            list(vec![V::Int(1), V::Null]).equals(&list(vec![V::Int(1), V::Null])),
            None
        );
        assert_eq!(V::from("a").compare(&V::Int(1)), None);
    }

    #[test]
    fn the_global_order_puts_nan_after_numbers_and_null_last() {
        let mut values = [
            V::Null,
            V::Float(f64::NAN),
            V::Int(2),
            V::Float(1.5),
            V::from("b"),
            V::Bool(false),
            V::List(vec![]),
            V::Map(BTreeMap::new()),
        ];
        values.sort_by(CypherValue::order);
        let shown: Vec<String> = values.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["{}", "[]", "'b'", "false", "1.5", "2", "NaN", "null"]
        );
        assert!(V::Int(1).equivalent(&V::Float(1.0)));
        assert!(V::Null.equivalent(&V::Null));
    }

    #[test]
    fn floats_print_as_cypher_prints_them() {
        assert_eq!(format_float(1.0), "1.0");
        assert_eq!(format_float(-0.5), "-0.5");
        assert_eq!(format_float(1e20), "1.0E20");
        assert_eq!(format_float(f64::INFINITY), "Infinity");
    }
}
