//! Vector files: `fvecs` / `bvecs` / `ivecs` (TEXMEX / ann-benchmarks:
//! per row a little-endian `i32` dimension `d`, then `d` little-endian
//! `f32`, `u8` or `i32` values) and `NumPy` `.npy` (a 2-d little-endian
//! `float32` array in C order).
//!
//! [`VectorFile`] memory-maps a file and checks its whole layout at open
//! (dimension in range, a whole number of rows, every row header equal),
//! so rows are then read without copying the file and without surprises.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::error::{Error, Result};

/// The largest dimension a file may declare (the collections' limit).
pub const MAX_DIM: usize = 65_536;

fn bad(path: &Path, row: usize, what: impl std::fmt::Display) -> Error {
    Error::BadInput {
        path: path.to_owned(),
        at: format!("row {row}"),
        reason: what.to_string(),
    }
}

fn bad_file(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::BadInput {
        path: path.to_owned(),
        at: "header".into(),
        reason: what.to_string(),
    }
}

/// The layout of a vector file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VecsFormat {
    /// `fvecs`: `f32` components.
    Fvecs,
    /// `bvecs`: `u8` components (read as `f32`).
    Bvecs,
    /// `ivecs`: `i32` components (read as `f32`).
    Ivecs,
    /// `.npy`: a 2-d `<f4` array.
    Npy,
}

impl VecsFormat {
    /// The format named by a file's extension.
    #[must_use]
    pub fn from_path(path: &Path) -> Option<VecsFormat> {
        match path.extension()?.to_str()? {
            "fvecs" => Some(VecsFormat::Fvecs),
            "bvecs" => Some(VecsFormat::Bvecs),
            "ivecs" => Some(VecsFormat::Ivecs),
            "npy" => Some(VecsFormat::Npy),
            _ => None,
        }
    }
}

/// A memory-mapped vector file whose layout has been checked.
pub struct VectorFile {
    map: Mmap,
    path: PathBuf,
    format: VecsFormat,
    dim: usize,
    rows: usize,
    /// Byte offset of row 0 (after a `.npy` header).
    base: usize,
    /// Bytes of a row's own header (the dimension of fvecs / bvecs).
    skip: usize,
    /// Bytes from one row to the next.
    stride: usize,
}

impl std::fmt::Debug for VectorFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorFile")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("dim", &self.dim)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

fn map(path: &Path) -> Result<Mmap> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    #[allow(unsafe_code, reason = "memory-mapping a file is unsafe by contract")]
    // SAFETY: the file is opened read-only and the map is only read. The
    // contract's remaining hazard is another process truncating or
    // rewriting the file while it is mapped (reads of the lost pages
    // fault); an import reads its input files once, and the docs say not
    // to change them meanwhile.
    let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    Ok(map)
}

impl VectorFile {
    /// Opens and checks `path` in `format`.
    pub fn open(path: &Path, format: VecsFormat) -> Result<VectorFile> {
        let map = map(path)?;
        let mut declared_rows = None;
        let (dim, start, stride) = match format {
            VecsFormat::Fvecs | VecsFormat::Bvecs | VecsFormat::Ivecs => {
                let width = if format == VecsFormat::Bvecs { 1 } else { 4 };
                let head: [u8; 4] =
                    map.get(..4)
                        .and_then(|h| h.try_into().ok())
                        .ok_or_else(|| {
                            bad_file(path, "the file is empty or shorter than one row header")
                        })?;
                let dim = i32::from_le_bytes(head);
                let dim = usize::try_from(dim)
                    .ok()
                    .filter(|d| (1..=MAX_DIM).contains(d))
                    .ok_or_else(|| {
                        bad(
                            path,
                            0,
                            format!("dimension {dim} is out of range 1..={MAX_DIM}"),
                        )
                    })?;
                (dim, 0, 4 + width * dim)
            }
            VecsFormat::Npy => {
                let (rows, dim, start) = npy_header(path, &map)?;
                declared_rows = Some(rows);
                (dim, start, 4 * dim)
            }
        };
        let skip = if format == VecsFormat::Npy { 0 } else { 4 };
        if declared_rows.is_none() {
            // Every row header, including a partial last row's: a row of
            // another dimension is named as such, not as a truncation.
            let mut at = 0;
            while at + 4 <= map.len() {
                let d = i32::from_le_bytes([map[at], map[at + 1], map[at + 2], map[at + 3]]);
                if usize::try_from(d) != Ok(dim) {
                    return Err(bad(
                        path,
                        at / stride,
                        format!("dimension {d} differs from the first row's {dim}"),
                    ));
                }
                at += stride;
            }
        }
        let body = map.len() - start.min(map.len());
        let rows = body / stride;
        if body % stride != 0 {
            return Err(bad(
                path,
                rows,
                format!(
                    "truncated: the file ends {} bytes into a row of {stride} bytes",
                    body % stride
                ),
            ));
        }
        if rows == 0 {
            return Err(bad_file(path, "the file holds no rows"));
        }
        if let Some(declared) = declared_rows
            && declared != rows
        {
            return Err(bad_file(
                path,
                format!("the header declares {declared} rows but the file holds {rows}"),
            ));
        }
        Ok(VectorFile {
            map,
            path: path.to_owned(),
            format,
            dim,
            rows,
            base: start,
            skip,
            stride,
        })
    }

    /// The dimension.
    #[must_use]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the file has no rows (never true: `open` refuses those).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Row `i` as `f32`s, written into `out` (resized to the dimension).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `i >= len()`.
    pub fn row_into(&self, i: usize, out: &mut Vec<f32>) -> Result<()> {
        if i >= self.rows {
            return Err(Error::invalid(format!(
                "row {i} of {}: it has {} rows",
                self.path.display(),
                self.rows
            )));
        }
        let at = self.base + i * self.stride + self.skip;
        out.clear();
        match self.format {
            VecsFormat::Fvecs | VecsFormat::Npy => out.extend(
                self.map[at..at + 4 * self.dim]
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            ),
            VecsFormat::Ivecs => out.extend(
                self.map[at..at + 4 * self.dim]
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32),
            ),
            VecsFormat::Bvecs => {
                out.extend(self.map[at..at + self.dim].iter().map(|&b| f32::from(b)));
            }
        }
        Ok(())
    }
}

/// Parses a `.npy` header: returns (rows, columns, data offset).
fn npy_header(path: &Path, map: &[u8]) -> Result<(usize, usize, usize)> {
    let (header, start) = npy_dict(path, map)?;
    let field = |name: &str| -> Option<&str> {
        let at = header.find(&format!("'{name}'"))? + name.len() + 2;
        let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
        Some(rest)
    };
    let descr = field("descr").ok_or_else(|| bad_file(path, "the header has no 'descr'"))?;
    if !(descr.starts_with("'<f4'") || descr.starts_with("'|f4'")) {
        let shown: String = descr.chars().take(8).collect();
        return Err(bad_file(
            path,
            format!(
                "dtype {shown} is not supported: save the array as little-endian float32 ('<f4')"
            ),
        ));
    }
    if field("fortran_order").is_some_and(|f| f.starts_with("True")) {
        return Err(bad_file(
            path,
            "a Fortran-order array is not supported: save it in C order",
        ));
    }
    let shape = npy_shape(path, &header)?;
    let dim = shape.1;
    if !(1..=MAX_DIM).contains(&dim) {
        return Err(bad_file(
            path,
            format!("dimension {dim} is out of range 1..={MAX_DIM}"),
        ));
    }
    Ok((shape.0, dim, start))
}

/// The header dictionary text and the data offset of the `.npy` file at
/// `path`.
fn npy_dict(path: &Path, map: &[u8]) -> Result<(String, usize)> {
    let truncated = || bad_file(path, "truncated header");
    if map.get(..6) != Some(b"\x93NUMPY".as_slice()) {
        return Err(bad_file(path, "not a .npy file (bad magic)"));
    }
    let major = *map.get(6).ok_or_else(truncated)?;
    let (len, at) = match major {
        1 => (
            usize::from(u16::from_le_bytes([
                *map.get(8).ok_or_else(truncated)?,
                *map.get(9).ok_or_else(truncated)?,
            ])),
            10,
        ),
        2 | 3 => {
            let b: [u8; 4] = map
                .get(8..12)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(truncated)?;
            (u32::from_le_bytes(b) as usize, 12)
        }
        v => return Err(bad_file(path, format!(".npy version {v} is not supported"))),
    };
    let text = map.get(at..at + len).ok_or_else(truncated)?;
    let text = std::str::from_utf8(text).map_err(|_| bad_file(path, "the header is not text"))?;
    Ok((text.to_owned(), at + len))
}

/// `(rows, dim)` from the header of the `.npy` file at `path`.
fn npy_shape(path: &Path, header: &str) -> Result<(usize, usize)> {
    let malformed = || bad_file(path, "malformed shape");
    let at = header
        .find("'shape'")
        .ok_or_else(|| bad_file(path, "the header has no 'shape'"))?;
    let rest = &header[at..];
    let open = rest.find('(').ok_or_else(malformed)?;
    let close = open + rest[open..].find(')').ok_or_else(malformed)?;
    let dims: Vec<&str> = rest[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    let parse = |d: &str| {
        d.parse::<usize>()
            .map_err(|_| bad_file(path, format!("shape entry {d:?} is not a count")))
    };
    match dims.as_slice() {
        [n, d] => Ok((parse(n)?, parse(d)?)),
        _ => Err(bad_file(
            path,
            format!(
                "the array must be 2-d (rows, dim), its shape has {} dimensions",
                dims.len()
            ),
        )),
    }
}

fn read_rows<T>(path: &Path, parse: fn([u8; 4]) -> T) -> Result<Vec<Vec<T>>> {
    let file = VectorFile::open(path, VecsFormat::Fvecs)?;
    Ok((0..file.rows)
        .map(|r| {
            let at = file.base + r * file.stride + file.skip;
            file.map[at..at + 4 * file.dim]
                .chunks_exact(4)
                .map(|c| parse([c[0], c[1], c[2], c[3]]))
                .collect()
        })
        .collect())
}

/// Reads an `.fvecs` file: all rows, which must share one dimension.
pub fn read_fvecs(path: impl AsRef<Path>) -> Result<Vec<Vec<f32>>> {
    read_rows(path.as_ref(), f32::from_le_bytes)
}

/// Reads an `.ivecs` file (e.g. ground-truth neighbour ids).
pub fn read_ivecs(path: impl AsRef<Path>) -> Result<Vec<Vec<i32>>> {
    read_rows(path.as_ref(), i32::from_le_bytes)
}

/// Writes `rows` as an `.fvecs` file (each row its own dimension, which
/// must be 1..=[`MAX_DIM`]), replacing `path` only once it is whole.
pub fn write_fvecs(path: impl AsRef<Path>, rows: &[Vec<f32>]) -> Result<()> {
    let path = path.as_ref();
    if let Some(r) = rows.iter().position(|r| !(1..=MAX_DIM).contains(&r.len())) {
        return Err(Error::invalid(format!(
            "row {r} has {} components: fvecs rows hold 1..={MAX_DIM}",
            rows[r].len()
        )));
    }
    let mut bytes = Vec::with_capacity(rows.iter().map(|r| 4 + 4 * r.len()).sum());
    for row in rows {
        bytes.extend_from_slice(&(row.len() as u32).to_le_bytes());
        for x in row {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    crate::storage::files::replace(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_fvecs_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.fvecs");
        let rows = vec![vec![1.0, -2.5], vec![0.0, f32::MAX]];
        write_fvecs(&p, &rows).unwrap();
        assert_eq!(read_fvecs(&p).unwrap(), rows);
        assert!(write_fvecs(&p, &[vec![]]).is_err());
        assert_eq!(
            read_fvecs(&p).unwrap(),
            rows,
            "a refused write leaves the file"
        );
    }

    fn row(dim: i32, values: &[f32]) -> Vec<u8> {
        let mut out = dim.to_le_bytes().to_vec();
        for v in values {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    #[test]
    fn reads_rows_and_refuses_malformed_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.fvecs");
        let mut good = row(2, &[1.0, 2.0]);
        good.extend(row(2, &[3.0, 4.0]));
        std::fs::write(&p, &good).unwrap();
        assert_eq!(
            read_fvecs(&p).unwrap(),
            vec![vec![1.0, 2.0], vec![3.0, 4.0]]
        );

        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", vec![]),
            ("truncated body", good[..good.len() - 1].to_vec()),
            ("truncated header", [good.clone(), vec![1, 0]].concat()),
            (
                "mixed dims",
                [row(2, &[1.0, 2.0]), row(3, &[1.0, 2.0, 3.0])].concat(),
            ),
            ("negative dim", row(-4, &[])),
            ("absurd dim", (1i32 << 30).to_le_bytes().to_vec()),
        ];
        for (what, bytes) in cases {
            std::fs::write(&p, &bytes).unwrap();
            let err = read_fvecs(&p).unwrap_err();
            assert!(matches!(err, Error::BadInput { .. }), "{what}: {err}");
            assert!(err.to_string().contains("x.fvecs"), "{what}: {err}");
        }
        assert!(matches!(
            read_fvecs(dir.path().join("missing.fvecs")),
            Err(Error::Io { .. })
        ));
    }
}
