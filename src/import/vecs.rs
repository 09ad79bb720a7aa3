//! `fvecs` / `ivecs`: per row a little-endian `i32` dimension `d`, then `d`
//! little-endian `f32` (fvecs) or `i32` (ivecs) values.

use std::path::Path;

use crate::error::{Error, Result};

/// The largest dimension a row may declare.
const MAX_DIM: usize = 1 << 20;

fn bad(path: &Path, row: usize, what: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{}: row {row}: {what}", path.display()))
}

fn read_rows<T>(path: &Path, parse: fn([u8; 4]) -> T) -> Result<Vec<Vec<T>>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut rows: Vec<Vec<T>> = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let row = rows.len();
        let head = bytes
            .get(at..at + 4)
            .ok_or_else(|| bad(path, row, "truncated dimension header"))?;
        let dim = i32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let dim = usize::try_from(dim)
            .ok()
            .filter(|d| (1..=MAX_DIM).contains(d))
            .ok_or_else(|| {
                bad(
                    path,
                    row,
                    format!("dimension {dim} is out of range 1..={MAX_DIM}"),
                )
            })?;
        if let Some(first) = rows.first()
            && first.len() != dim
        {
            let expected = first.len();
            return Err(bad(
                path,
                row,
                format!("dimension {dim} differs from the first row's {expected}"),
            ));
        }
        at += 4;
        let body = bytes
            .get(at..at + 4 * dim)
            .ok_or_else(|| bad(path, row, format!("truncated: {dim} values announced")))?;
        rows.push(
            body.chunks_exact(4)
                .map(|c| parse([c[0], c[1], c[2], c[3]]))
                .collect(),
        );
        at += 4 * dim;
    }
    if rows.is_empty() {
        return Err(Error::invalid(format!(
            "{}: the file holds no rows",
            path.display()
        )));
    }
    Ok(rows)
}

/// Reads an `.fvecs` file: all rows, which must share one dimension.
pub fn read_fvecs(path: impl AsRef<Path>) -> Result<Vec<Vec<f32>>> {
    read_rows(path.as_ref(), f32::from_le_bytes)
}

/// Reads an `.ivecs` file (e.g. ground-truth neighbour ids).
pub fn read_ivecs(path: impl AsRef<Path>) -> Result<Vec<Vec<i32>>> {
    read_rows(path.as_ref(), i32::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(matches!(err, Error::InvalidArgument(_)), "{what}: {err}");
            assert!(err.to_string().contains("x.fvecs"), "{what}: {err}");
        }
        assert!(matches!(
            read_fvecs(dir.path().join("missing.fvecs")),
            Err(Error::Io { .. })
        ));
    }
}
