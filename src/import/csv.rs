//! CSV nodes and edges, with a header row.
//!
//! Each header cell is `name` or `name:type`, the type one of `string`,
//! `int`, `float`, `bool` (also `long`, `double`, `boolean`), or a
//! temporal type — `date`, `localtime`, `time`, `localdatetime`,
//! `datetime`, `duration` — whose cells are ISO 8601 text read as
//! Cypher's function of that name reads a string. A typed
//! column's cells must parse as that type; an untyped column's cells are
//! inferred one by one: an integer, else a float, else `true`/`false`,
//! else a string. An empty cell leaves the property unset.
//!
//! * Nodes: the column named like the import's key property (default `id`)
//!   is the node's external key; an optional `label` / `labels` column
//!   holds extra labels separated by `;`; every other column is a property.
//! * Edges: `src` and `dst` (or `source`/`target`, `from`/`to`) name the
//!   endpoints by key; an optional `type` column gives the edge type;
//!   every other column is a property.
//!
//! Key cells follow the same rule: `id:int` reads integers, `id:string`
//! text, an untyped key column an integer when the cell is one.
//!
//! Bounded memory on any input: a header of more than [`MAX_COLUMNS`]
//! columns and a record (a row, with its quoted line breaks) longer than
//! [`MAX_RECORD`] bytes stop the file with an error naming the line, so a
//! stray quote cannot make the reader hold the rest of the file.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{ColumnRole, EdgeRow, Key, NodeRow, Parsed, RowError, RowReader};
use crate::error::{Error, Result};
use crate::temporal::Temporal;
use crate::{Props, Value};

/// The declared type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Type {
    Inferred,
    String,
    Int,
    Float,
    Bool,
    /// A temporal type, by the Cypher function that reads it (`date`,
    /// `localtime`, `time`, `localdatetime`, `datetime`, `duration`): the
    /// cell is ISO 8601 text, read as that function reads a string.
    Temporal(&'static str),
}

struct Column {
    name: String,
    ty: Type,
    role: ColumnRole,
}

/// The most columns a header may have.
pub const MAX_COLUMNS: usize = 65_536;

/// The longest record, in bytes, a CSV file may hold.
pub const MAX_RECORD: u64 = 16 << 20;

/// The file under the CSV reader, counting the bytes read since the last
/// whole record, and failing a read once they pass [`MAX_RECORD`] (the
/// reader would otherwise keep growing its record).
struct Bounded {
    file: File,
    since_record: Arc<AtomicU64>,
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since_record.load(Ordering::Relaxed) > MAX_RECORD {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "record too long",
            ));
        }
        let n = self.file.read(buf)?;
        self.since_record.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn header_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::BadInput {
        path: path.to_owned(),
        at: "header".into(),
        reason: reason.into(),
    }
}

fn parse_header(
    path: &Path,
    header: &csv::ByteRecord,
    nodes: bool,
    key: &str,
) -> Result<Vec<Column>> {
    if header.len() > MAX_COLUMNS {
        return Err(header_error(
            path,
            format!(
                "the header has {} columns; at most {MAX_COLUMNS} are supported",
                header.len()
            ),
        ));
    }
    let mut named = Vec::with_capacity(header.len());
    for cell in header {
        let cell = std::str::from_utf8(cell)
            .map_err(|_| header_error(path, "the header is not valid UTF-8"))?
            .trim();
        let (name, ty) = match cell.rsplit_once(':') {
            Some((n, t)) => {
                let ty = match t.to_ascii_lowercase().as_str() {
                    "string" | "str" => Type::String,
                    "int" | "long" | "integer" => Type::Int,
                    "float" | "double" | "real" => Type::Float,
                    "bool" | "boolean" => Type::Bool,
                    "date" => Type::Temporal("date"),
                    "localtime" => Type::Temporal("localtime"),
                    "time" => Type::Temporal("time"),
                    "localdatetime" => Type::Temporal("localdatetime"),
                    "datetime" => Type::Temporal("datetime"),
                    "duration" => Type::Temporal("duration"),
                    other => {
                        return Err(header_error(
                            path,
                            format!(
                                "column {n:?} has unknown type {other:?}: use string, int, float, bool, date, localtime, time, localdatetime, datetime or duration"
                            ),
                        ));
                    }
                };
                (n.trim(), ty)
            }
            None => (cell, Type::Inferred),
        };
        if name.is_empty() {
            return Err(header_error(path, "a column has no name"));
        }
        named.push((name, ty));
    }
    let column_names: Vec<&str> = named.iter().map(|(n, _)| *n).collect();
    let roles =
        ColumnRole::of_columns(&column_names, nodes, key).map_err(|e| header_error(path, e))?;
    Ok(named
        .into_iter()
        .zip(roles)
        .map(|((name, ty), role)| Column {
            name: name.to_owned(),
            ty,
            role,
        })
        .collect())
}

fn value(col: &Column, s: &str) -> Parsed<Value> {
    let bad = |what: &str| RowError::new(format!("column {:?}: {s:?} is not {what}", col.name));
    match col.ty {
        Type::String => Ok(Value::String(s.to_owned())),
        Type::Int => s
            .trim()
            .parse()
            .map(Value::Int)
            .map_err(|_| bad("an integer")),
        Type::Float => match s.trim().parse::<f64>() {
            Ok(f) if !f.is_nan() => Ok(Value::Float(f)),
            _ => Err(bad("a number")),
        },
        Type::Bool => match s.trim() {
            "true" | "TRUE" | "True" => Ok(Value::Bool(true)),
            "false" | "FALSE" | "False" => Ok(Value::Bool(false)),
            _ => Err(bad("true or false")),
        },
        Type::Temporal(kind) => Temporal::parse(kind, s.trim())
            .map(Value::Temporal)
            .map_err(|_| bad(&format!("an ISO 8601 {kind}"))),
        Type::Inferred => Ok(if let Ok(i) = s.parse() {
            Value::Int(i)
        } else if let Some(f) = s.parse::<f64>().ok().filter(|f| !f.is_nan()) {
            Value::Float(f)
        } else {
            match s {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(s.to_owned()),
            }
        }),
    }
}

fn key(col: &Column, s: &str) -> Parsed<Key> {
    if s.is_empty() {
        return Err(RowError::new(format!(
            "column {:?}: the key is empty",
            col.name
        )));
    }
    match col.ty {
        Type::String => Ok(Key::Str(s.to_owned())),
        Type::Int => {
            s.trim().parse().map(Key::Int).map_err(|_| {
                RowError::new(format!("column {:?}: {s:?} is not an integer", col.name))
            })
        }
        Type::Inferred => Ok(Key::parse(s)),
        Type::Float | Type::Bool | Type::Temporal(_) => Err(RowError::new(format!(
            "column {:?}: a key column must be int or string",
            col.name
        ))),
    }
}

/// Rows of a CSV file as nodes or edges.
pub struct CsvReader {
    reader: csv::Reader<Bounded>,
    since_record: Arc<AtomicU64>,
    path: PathBuf,
    cols: Vec<Column>,
    record: csv::ByteRecord,
}

impl CsvReader {
    /// Opens `path` and reads its header. `nodes` picks the node or edge
    /// layout; `key` is the key column's name for nodes.
    pub fn open(path: &Path, nodes: bool, key: &str) -> Result<CsvReader> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let since_record = Arc::new(AtomicU64::new(0));
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(Bounded {
                file,
                since_record: since_record.clone(),
            });
        let header = match reader.byte_headers() {
            Ok(header) => header.clone(),
            Err(_) if since_record.load(Ordering::Relaxed) > MAX_RECORD => {
                return Err(too_long(path, 1));
            }
            Err(e) => return Err(csv_error(path, &e)),
        };
        since_record.store(0, Ordering::Relaxed);
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            return Err(header_error(path, "the file is empty (no header row)"));
        }
        let cols = parse_header(path, &header, nodes, key)?;
        Ok(CsvReader {
            reader,
            since_record,
            path: path.to_owned(),
            cols,
            record: csv::ByteRecord::new(),
        })
    }

    fn fields(&self) -> Parsed<Vec<&str>> {
        if self.record.len() != self.cols.len() {
            return Err(RowError::new(format!(
                "expected {} columns, found {}",
                self.cols.len(),
                self.record.len()
            )));
        }
        self.record
            .iter()
            .zip(&self.cols)
            .map(|(f, c)| {
                std::str::from_utf8(f)
                    .map_err(|_| RowError::new(format!("column {:?} is not valid UTF-8", c.name)))
            })
            .collect()
    }

    fn node(&self) -> Parsed<NodeRow> {
        let fields = self.fields()?;
        let mut row = NodeRow {
            key: Key::Int(0),
            labels: Vec::new(),
            props: Props::new(),
        };
        for (col, s) in self.cols.iter().zip(fields) {
            match col.role {
                ColumnRole::Key => row.key = key(col, s)?,
                ColumnRole::Labels => {
                    row.labels = s
                        .split(';')
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect();
                }
                _ if s.is_empty() => {}
                _ => {
                    row.props.insert(col.name.clone(), value(col, s)?);
                }
            }
        }
        Ok(row)
    }

    fn edge(&self) -> Parsed<EdgeRow> {
        let fields = self.fields()?;
        let mut row = EdgeRow {
            src: Key::Int(0),
            dst: Key::Int(0),
            edge_type: None,
            weight: None,
            props: Props::new(),
        };
        for (col, s) in self.cols.iter().zip(fields) {
            match col.role {
                ColumnRole::Src => row.src = key(col, s)?,
                ColumnRole::Dst => row.dst = key(col, s)?,
                ColumnRole::Type if !s.is_empty() => row.edge_type = Some(s.to_owned()),
                ColumnRole::Type | ColumnRole::Key | ColumnRole::Labels => {}
                ColumnRole::Property if s.is_empty() => {}
                ColumnRole::Property => {
                    row.props.insert(col.name.clone(), value(col, s)?);
                }
            }
        }
        Ok(row)
    }

    fn next_record(&mut self) -> Result<Option<u64>> {
        loop {
            let start = self.reader.position().line();
            let read = self.reader.read_byte_record(&mut self.record);
            if self.since_record.swap(0, Ordering::Relaxed) > MAX_RECORD {
                return Err(too_long(&self.path, start));
            }
            match read {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let line = self.record.position().map_or(0, csv::Position::line);
                    // A blank line reads as one empty field: skip it.
                    if self.record.len() == 1 && self.record[0].is_empty() {
                        continue;
                    }
                    return Ok(Some(line));
                }
                Err(e) => return Err(csv_error(&self.path, &e)),
            }
        }
    }
}

/// The record starting at `line` is longer than [`MAX_RECORD`].
fn too_long(path: &Path, line: u64) -> Error {
    Error::BadInput {
        path: path.to_owned(),
        at: format!("line {line}"),
        reason: format!(
            "a record longer than {} MiB (an unclosed quote?)",
            MAX_RECORD >> 20
        ),
    }
}

fn csv_error(path: &Path, e: &csv::Error) -> Error {
    match e.kind() {
        csv::ErrorKind::Io(io) => Error::io(path, std::io::Error::new(io.kind(), io.to_string())),
        _ => Error::BadInput {
            path: path.to_owned(),
            at: e
                .position()
                .map_or_else(|| "somewhere".into(), |p| format!("line {}", p.line())),
            reason: e.to_string(),
        },
    }
}

/// [`CsvReader`] yielding nodes.
pub struct CsvNodes(pub CsvReader);
/// [`CsvReader`] yielding edges.
pub struct CsvEdges(pub CsvReader);

impl RowReader for CsvNodes {
    type Row = NodeRow;

    fn next_row(&mut self) -> Result<Option<(u64, Parsed<NodeRow>)>> {
        Ok(self.0.next_record()?.map(|line| (line, self.0.node())))
    }

    fn bytes_read(&self) -> u64 {
        self.0.reader.position().byte()
    }
}

impl RowReader for CsvEdges {
    type Row = EdgeRow;

    fn next_row(&mut self) -> Result<Option<(u64, Parsed<EdgeRow>)>> {
        Ok(self.0.next_record()?.map(|line| (line, self.0.edge())))
    }

    fn bytes_read(&self) -> u64 {
        self.0.reader.position().byte()
    }
}
