//! Plain-text graphs: edge lists (`src dst [weight]` a line, SNAP style,
//! `#` or `%` comment lines) and the LDBC Graphalytics `.v` (one vertex a
//! line) and `.e` (an edge list) files. Keys are integers; columns are
//! separated by spaces, tabs or commas.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::{EdgeRow, Key, NodeRow, Parsed, RowError, RowReader};
use crate::Props;
use crate::error::{Error, Result};

/// Longer lines are rejected (and skipped) rather than buffered.
const MAX_LINE: u64 = 1 << 20;

/// Reads a text file one line at a time, with bounded memory.
pub(crate) struct Lines {
    reader: BufReader<File>,
    path: PathBuf,
    buf: Vec<u8>,
    line: u64,
    bytes: u64,
}

/// One line: its number and its bytes (without the line end), or why it
/// was not read.
pub(crate) enum Line<'a> {
    Text(u64, &'a [u8]),
    TooLong(u64),
}

impl Lines {
    pub(crate) fn open(path: &Path) -> Result<Lines> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(Lines {
            reader: BufReader::with_capacity(1 << 20, file),
            path: path.to_owned(),
            buf: Vec::new(),
            line: 0,
            bytes: 0,
        })
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    pub(crate) fn next_line(&mut self) -> Result<Option<Line<'_>>> {
        self.buf.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| Error::io(&self.path, e))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        self.bytes += n as u64;
        if self.buf.last() != Some(&b'\n') && n as u64 > MAX_LINE {
            // Skip to the end of this line without keeping it.
            loop {
                let mut rest = Vec::new();
                let m = (&mut self.reader)
                    .take(MAX_LINE)
                    .read_until(b'\n', &mut rest)
                    .map_err(|e| Error::io(&self.path, e))?;
                self.bytes += m as u64;
                if m == 0 || rest.last() == Some(&b'\n') {
                    break;
                }
            }
            return Ok(Some(Line::TooLong(self.line)));
        }
        let mut end = self.buf.len();
        while end > 0 && matches!(self.buf[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Ok(Some(Line::Text(self.line, &self.buf[..end])))
    }
}

fn too_long() -> RowError {
    RowError::new(format!("line longer than {MAX_LINE} bytes"))
}

/// Splits a line into columns; `None` for a blank or comment line.
fn columns(line: &[u8]) -> Option<impl Iterator<Item = &[u8]>> {
    let first = line.iter().position(|b| !b.is_ascii_whitespace())?;
    if matches!(line[first], b'#' | b'%') {
        return None;
    }
    Some(
        line[first..]
            .split(|b| b.is_ascii_whitespace() || *b == b',')
            .filter(|c| !c.is_empty()),
    )
}

fn int(col: &[u8], what: &str) -> Parsed<i64> {
    let s = std::str::from_utf8(col)
        .map_err(|_| RowError::new(format!("{what} is not valid UTF-8")))?;
    s.parse()
        .map_err(|_| RowError::new(format!("{what} {s:?} is not an integer")))
}

fn float(col: &[u8]) -> Parsed<f64> {
    let s = std::str::from_utf8(col).map_err(|_| RowError::new("the weight is not valid UTF-8"))?;
    match s.parse::<f64>() {
        Ok(w) if w.is_finite() => Ok(w),
        Ok(_) => Err(RowError::new(format!(
            "the weight {s:?} is not a finite number"
        ))),
        Err(_) => Err(RowError::new(format!("the weight {s:?} is not a number"))),
    }
}

/// Edges from an edge list or a Graphalytics `.e` file.
pub struct EdgeListReader {
    lines: Lines,
    /// `Some(true)`: a weight column is required; `Some(false)`: refused;
    /// `None`: optional.
    weighted: Option<bool>,
}

impl EdgeListReader {
    /// Opens `path`. `weighted` says whether a third (weight) column must
    /// be present (`Some(true)`), must not be (`Some(false)`), or may be.
    pub fn open(path: &Path, weighted: Option<bool>) -> Result<EdgeListReader> {
        Ok(EdgeListReader {
            lines: Lines::open(path)?,
            weighted,
        })
    }

    fn parse<'a>(
        weighted: Option<bool>,
        mut cols: impl Iterator<Item = &'a [u8]>,
    ) -> Parsed<EdgeRow> {
        let (Some(s), Some(d)) = (cols.next(), cols.next()) else {
            return Err(RowError::new(
                "expected `src dst [weight]`, found fewer than 2 columns",
            ));
        };
        let w = cols.next();
        if cols.next().is_some() {
            return Err(RowError::new(
                "expected `src dst [weight]`, found more than 3 columns",
            ));
        }
        let weight = match (w, weighted) {
            (Some(_), Some(false)) => {
                return Err(RowError::new("a weight column in an unweighted graph"));
            }
            (None, Some(true)) => return Err(RowError::new("the weight column is missing")),
            (Some(w), _) => Some(float(w)?),
            (None, _) => None,
        };
        Ok(EdgeRow {
            src: Key::Int(int(s, "the source")?),
            dst: Key::Int(int(d, "the destination")?),
            edge_type: None,
            weight,
            props: Props::new(),
        })
    }
}

impl RowReader for EdgeListReader {
    type Row = EdgeRow;

    fn next_row(&mut self) -> Result<Option<(u64, Parsed<EdgeRow>)>> {
        let weighted = self.weighted;
        loop {
            match self.lines.next_line()? {
                None => return Ok(None),
                Some(Line::TooLong(n)) => return Ok(Some((n, Err(too_long())))),
                Some(Line::Text(n, text)) => {
                    if let Some(cols) = columns(text) {
                        return Ok(Some((n, Self::parse(weighted, cols))));
                    }
                }
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.lines.bytes()
    }
}

/// Vertices from a Graphalytics `.v` file: one integer key a line.
pub struct VertexReader {
    lines: Lines,
}

impl VertexReader {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<VertexReader> {
        Ok(VertexReader {
            lines: Lines::open(path)?,
        })
    }
}

impl RowReader for VertexReader {
    type Row = NodeRow;

    fn next_row(&mut self) -> Result<Option<(u64, Parsed<NodeRow>)>> {
        loop {
            match self.lines.next_line()? {
                None => return Ok(None),
                Some(Line::TooLong(n)) => return Ok(Some((n, Err(too_long())))),
                Some(Line::Text(n, text)) => {
                    let Some(mut cols) = columns(text) else {
                        continue;
                    };
                    let row = match (cols.next(), cols.next()) {
                        (Some(v), None) => int(v, "the vertex").map(|k| NodeRow {
                            key: Key::Int(k),
                            labels: Vec::new(),
                            props: Props::new(),
                        }),
                        _ => Err(RowError::new("expected one vertex id on the line")),
                    };
                    return Ok(Some((n, row)));
                }
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.lines.bytes()
    }
}
