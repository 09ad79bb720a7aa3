//! JSON Lines nodes and edges: one JSON object a line.
//!
//! * Nodes: the field named like the import's key property (default
//!   `id`, an integer or a string) is the external key; `label` (a
//!   string) or `labels` (an array of strings) adds labels; every other
//!   field is a property.
//! * Edges: `src` and `dst` (or `source`/`target`, `from`/`to`) name the
//!   endpoints by key; `type` gives the edge type; every other field is a
//!   property.
//!
//! Numbers become `Int` when integral and in range, else `Float`; arrays
//! become lists; `null` leaves the property unset; nested objects are
//! refused.

use std::path::Path;

use super::text::{Line, Lines};
use super::{EdgeRow, Key, NodeRow, Parsed, RowError, RowReader};
use crate::error::Result;
use crate::{Props, Value};

type Object = serde_json::Map<String, serde_json::Value>;

fn value(field: &str, v: serde_json::Value) -> Parsed<Option<Value>> {
    use serde_json::Value as J;
    Ok(Some(match v {
        J::Null => return Ok(None),
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => {
            match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().ok_or_else(|| {
                    RowError::new(format!("field {field:?}: {n} is out of range"))
                })?),
            }
        }
        J::String(s) => Value::String(s),
        J::Array(items) => Value::List(
            items
                .into_iter()
                .map(|x| value(field, x).map(|v| v.unwrap_or(Value::Null)))
                .collect::<Parsed<_>>()?,
        ),
        J::Object(_) => {
            return Err(RowError::new(format!(
                "field {field:?}: nested objects are not supported"
            )));
        }
    }))
}

fn key(field: &str, v: Option<serde_json::Value>) -> Parsed<Key> {
    match v {
        Some(serde_json::Value::Number(n)) => n.as_i64().map(Key::Int).ok_or_else(|| {
            RowError::new(format!("field {field:?}: the key {n} is not an integer"))
        }),
        Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(Key::Str(s)),
        Some(other) => Err(RowError::new(format!(
            "field {field:?}: a key must be an integer or a non-empty string, found {other}"
        ))),
        None => Err(RowError::new(format!("the {field:?} field is missing"))),
    }
}

fn take_any(obj: &mut Object, names: &[&str]) -> Option<serde_json::Value> {
    names.iter().find_map(|n| obj.remove(*n))
}

fn props(obj: Object) -> Parsed<Props> {
    let mut props = Props::new();
    for (k, v) in obj {
        if let Some(v) = value(&k, v)? {
            props.insert(k, v);
        }
    }
    Ok(props)
}

fn object(text: &[u8]) -> Parsed<Option<Object>> {
    if text.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let s = std::str::from_utf8(text).map_err(|_| RowError::new("the line is not valid UTF-8"))?;
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(serde_json::Value::Object(o)) => Ok(Some(o)),
        Ok(_) => Err(RowError::new("the line is not a JSON object")),
        Err(e) => Err(RowError::new(format!("not valid JSON: {e}"))),
    }
}

/// Nodes or edges from a JSON Lines file.
pub struct JsonlReader {
    lines: Lines,
    key: String,
}

impl JsonlReader {
    /// Opens `path`; `key` is the nodes' key field.
    pub fn open(path: &Path, key: &str) -> Result<JsonlReader> {
        Ok(JsonlReader {
            lines: Lines::open(path)?,
            key: key.to_owned(),
        })
    }

    fn next_object(&mut self) -> Result<Option<(u64, Parsed<Object>)>> {
        loop {
            match self.lines.next_line()? {
                None => return Ok(None),
                Some(Line::TooLong(n)) => {
                    return Ok(Some((n, Err(RowError::new("the line is too long")))));
                }
                Some(Line::Text(n, text)) => match object(text) {
                    Ok(None) => {}
                    Ok(Some(o)) => return Ok(Some((n, Ok(o)))),
                    Err(e) => return Ok(Some((n, Err(e)))),
                },
            }
        }
    }
}

/// [`JsonlReader`] yielding nodes.
pub struct JsonlNodes(pub JsonlReader);
/// [`JsonlReader`] yielding edges.
pub struct JsonlEdges(pub JsonlReader);

impl RowReader for JsonlNodes {
    type Row = NodeRow;

    fn next_row(&mut self) -> Result<Option<(u64, Parsed<NodeRow>)>> {
        let key_field = self.0.key.clone();
        Ok(self.0.next_object()?.map(|(n, o)| {
            let row = o.and_then(|mut o| {
                let k = key(&key_field, o.remove(&key_field))?;
                let labels = match take_any(&mut o, &["labels", "label"]) {
                    None | Some(serde_json::Value::Null) => Vec::new(),
                    Some(serde_json::Value::String(s)) => vec![s],
                    Some(serde_json::Value::Array(a)) => a
                        .into_iter()
                        .map(|l| match l {
                            serde_json::Value::String(s) => Ok(s),
                            other => Err(RowError::new(format!(
                                "a label must be a string, found {other}"
                            ))),
                        })
                        .collect::<Parsed<_>>()?,
                    Some(other) => {
                        return Err(RowError::new(format!(
                            "labels must be a string or an array, found {other}"
                        )));
                    }
                };
                Ok(NodeRow {
                    key: k,
                    labels,
                    props: props(o)?,
                })
            });
            (n, row)
        }))
    }

    fn bytes_read(&self) -> u64 {
        self.0.lines.bytes()
    }
}

impl RowReader for JsonlEdges {
    type Row = EdgeRow;

    fn next_row(&mut self) -> Result<Option<(u64, Parsed<EdgeRow>)>> {
        Ok(self.0.next_object()?.map(|(n, o)| {
            let row = o.and_then(|mut o| {
                let src = key("src", take_any(&mut o, &["src", "source", "from"]))?;
                let dst = key("dst", take_any(&mut o, &["dst", "target", "to"]))?;
                let edge_type = match o.remove("type") {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(s)) => Some(s),
                    Some(other) => {
                        return Err(RowError::new(format!(
                            "the type must be a string, found {other}"
                        )));
                    }
                };
                Ok(EdgeRow {
                    src,
                    dst,
                    edge_type,
                    weight: None,
                    props: props(o)?,
                })
            });
            (n, row)
        }))
    }

    fn bytes_read(&self) -> u64 {
        self.0.lines.bytes()
    }
}
