//! The native engine's vectors: rows of `dim` `f32`s addressed by node id.
//!
//! Rows loaded from a checkpoint stay in the checkpoint's file, memory
//! mapped (the page cache holds them; nothing is copied or converted at
//! open); rows inserted since live in one owned, growing `Vec`. A row is in
//! the mapped part when its id is below the mapped row count, else in the
//! owned part — one comparison per access.
//!
//! The file layout is the rows back to back as little-endian `f32`s. On a
//! big-endian machine the file is read and converted instead of mapped.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use memmap2::Mmap;
use self_cell::self_cell;

use crate::error::{Error, Result};

type Floats<'a> = &'a [f32];

self_cell!(
    /// A mapped vector file, viewed as `f32`s.
    struct Mapped {
        owner: Mmap,
        #[covariant]
        dependent: Floats,
    }
);

/// Rows of `dim` floats: a mapped prefix, then owned rows.
pub struct Arena {
    dim: usize,
    mapped: Option<Mapped>,
    /// Floats in the mapped part.
    split: usize,
    owned: Vec<f32>,
}

impl Arena {
    /// An empty arena of `dim`-float rows.
    pub fn new(dim: usize) -> Arena {
        Arena {
            dim,
            mapped: None,
            split: 0,
            owned: Vec::new(),
        }
    }

    fn mapped_floats(&self) -> &[f32] {
        self.mapped.as_ref().map_or(&[], |m| *m.borrow_dependent())
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: u32) -> &[f32] {
        let at = i as usize * self.dim;
        if at < self.split {
            &self.mapped_floats()[at..at + self.dim]
        } else {
            let at = at - self.split;
            &self.owned[at..at + self.dim]
        }
    }

    /// Makes room for `rows` more rows.
    pub fn reserve(&mut self, rows: usize) {
        self.owned.reserve(rows * self.dim);
    }

    /// Appends a row (`dim` floats).
    pub fn push(&mut self, v: &[f32]) {
        debug_assert_eq!(v.len(), self.dim);
        self.owned.extend_from_slice(v);
    }

    /// Bytes of owned memory (the mapped part is the page cache's).
    pub fn heap_bytes(&self) -> usize {
        self.owned.capacity() * 4
    }

    /// Bytes mapped from a checkpoint file.
    pub fn mapped_bytes(&self) -> usize {
        self.split * 4
    }

    /// Writes every row, in order, as little-endian floats.
    pub fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        for part in [self.mapped_floats(), &self.owned] {
            write_f32s(out, part)?;
        }
        Ok(())
    }

    /// An arena over the `rows` rows in `path` (written by
    /// [`write_to`](Self::write_to)): mapped, or on a big-endian machine
    /// read. A file of the wrong size is [`Error::Corruption`].
    pub fn open(path: &Path, dim: usize, rows: usize) -> Result<Arena> {
        let io = |e: std::io::Error| Error::io(path, e);
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if Some(len) != rows.checked_mul(dim * 4).map(|b| b as u64) {
            return Err(Error::corruption(format!(
                "{} has the wrong size for {rows} vectors of {dim} floats",
                path.display()
            )));
        }
        let mut arena = Arena::new(dim);
        if len == 0 {
            return Ok(arena);
        }
        if cfg!(target_endian = "big") {
            let bytes = std::fs::read(path).map_err(io)?;
            arena.owned = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            return Ok(arena);
        }
        #[allow(unsafe_code, reason = "memory-mapping a file is unsafe in memmap2")]
        // SAFETY: the file is a published checkpoint file: written into a
        // temporary folder, synced, then renamed into place, and never
        // written again (later checkpoints go to new folders). One process
        // holds the database directory (RocksDB's LOCK file), so nothing
        // truncates or rewrites it while mapped; a later checkpoint may
        // unlink it, which leaves the mapping valid.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.map_err(io)?;
        let mapped =
            Mapped::try_new(map, |m| bytemuck::try_cast_slice::<u8, f32>(m)).map_err(|e| {
                Error::corruption(format!("{} is not a float array ({e})", path.display()))
            })?;
        arena.split = mapped.borrow_dependent().len();
        arena.mapped = Some(mapped);
        Ok(arena)
    }
}

/// Writes `floats` as little-endian bytes.
fn write_f32s(out: &mut impl Write, floats: &[f32]) -> std::io::Result<()> {
    if cfg!(target_endian = "little") {
        out.write_all(bytemuck::cast_slice(floats))
    } else {
        floats
            .iter()
            .try_for_each(|x| out.write_all(&x.to_le_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_rows_then_owned_rows_read_back_and_write_out_in_order() {
        let mut a = Arena::new(3);
        for i in 0..5 {
            a.push(&[i as f32, 0.5, -1.0]);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v");
        let mut f = File::create(&path).unwrap();
        a.write_to(&mut f).unwrap();
        drop(f);
        assert!(Arena::open(&path, 3, 4).is_err(), "row count disagrees");
        assert!(Arena::open(&path, 2, 5).is_err(), "dimension disagrees");
        let mut b = Arena::open(&path, 3, 5).unwrap();
        assert_eq!(b.mapped_bytes(), 60);
        b.push(&[9.0, 9.5, 10.0]);
        assert_eq!(b.row(2), &[2.0, 0.5, -1.0]);
        assert_eq!(b.row(5), &[9.0, 9.5, 10.0]);
        let mut bytes = Vec::new();
        b.write_to(&mut bytes).unwrap();
        assert_eq!(bytes.len(), 6 * 3 * 4);
        assert_eq!(&bytes[..60], &std::fs::read(&path).unwrap()[..]);
        // An empty file is an empty arena.
        std::fs::write(&path, b"").unwrap();
        assert!(Arena::open(&path, 3, 0).is_ok());
    }
}
