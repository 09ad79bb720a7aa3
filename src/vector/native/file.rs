//! The native graph's dump: five little-endian files (layouts in
//! `docs/FORMAT.md`). [`NativeGraph::load`] maps the vectors file and
//! reads the rest back after checking every size, count, level and
//! neighbour id; the checkpoint layer has verified their checksums first.
//! Dumps written before the codes file (the first four files) still
//! load: their codes are learned again.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering as Mem};

use parking_lot::Mutex;

use super::arena::Arena;
use super::binary::BinaryCodes;
use super::quant::{Int8Codes, Reader};
use super::{Codes, MAX_LEVEL, NativeGraph};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::storage::files;
use crate::vector::Metric;

/// The files of a native dump, in the order checkpoints list them.
pub const DUMP_FILES: [&str; 5] = [
    "native.nodes",
    "native.vectors",
    "native.links0",
    "native.upper",
    "native.codes",
];

/// The files every dump has; older ones stop there (no codes file).
pub const REQUIRED_FILES: usize = 4;

const MAGIC: &[u8; 8] = b"QVNHSW01";
const CODES_MAGIC: &[u8; 8] = b"QVCODE01";

/// A dump that cannot be used.
fn bad(what: &str) -> Error {
    Error::corruption(format!("native graph dump: {what}"))
}

/// Creates `dir/name` and writes into it through `fill`, buffered.
fn write_file(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    files::create_file(&dir.join(name), fill)
}

/// Writes link words as little-endian `u32`s, a block at a time.
fn write_links(out: &mut impl Write, links: &[AtomicU32]) -> std::io::Result<()> {
    let mut block: Vec<u32> = Vec::with_capacity(1 << 14);
    for chunk in links.chunks(1 << 14) {
        block.clear();
        block.extend(chunk.iter().map(|a| a.load(Mem::Relaxed).to_le()));
        out.write_all(bytemuck::cast_slice(&block))?;
    }
    Ok(())
}

/// Reads `words` little-endian `u32`s from `dir/name` (exactly: a file of
/// another size is an error).
fn read_links(dir: &Path, name: &str, words: usize) -> Result<Vec<u32>> {
    let path = dir.join(name);
    let io = |e: std::io::Error| Error::io(&path, e);
    let mut file = std::fs::File::open(&path).map_err(io)?;
    if file.metadata().map_err(io)?.len() != words as u64 * 4 {
        return Err(bad(&format!("{name} has the wrong size")));
    }
    let mut out = vec![0u32; words];
    std::io::Read::read_exact(&mut file, bytemuck::cast_slice_mut(&mut out)).map_err(io)?;
    for w in &mut out {
        *w = u32::from_le(*w);
    }
    Ok(out)
}

/// Writes the codes file: magic, kind (1 int8, 2 one-bit), dimension,
/// rows, rows when learned, then the codes' own layout.
fn write_codes(out: &mut impl Write, codes: &Codes, dim: usize) -> std::io::Result<()> {
    out.write_all(CODES_MAGIC)?;
    out.write_all(&[match codes {
        Codes::Int8(_) => 1,
        Codes::Binary(_) => 2,
    }])?;
    for v in [dim, codes.len(), codes.trained_rows()] {
        out.write_all(&(v as u64).to_le_bytes())?;
    }
    match codes {
        Codes::Int8(c) => c.write_to(out),
        Codes::Binary(c) => c.write_to(out),
    }
}

/// Reads a codes file written for a graph of `n` rows of `dim`.
fn read_codes(bytes: &[u8], dim: usize, n: usize) -> Result<Codes> {
    let malformed = || bad("the codes file is malformed");
    let mut r = Reader(bytes);
    if r.take(8) != Some(&CODES_MAGIC[..]) {
        return Err(malformed());
    }
    let kind = r.take(1).ok_or_else(malformed)?[0];
    let (fdim, rows, trained) = (r.u64(), r.u64(), r.u64());
    let trained = trained
        .and_then(|t| usize::try_from(t).ok())
        .ok_or_else(malformed)?;
    if fdim != Some(dim as u64) || rows != Some(n as u64) {
        return Err(bad("the codes were written for another graph"));
    }
    match kind {
        1 => Int8Codes::read_from(r.0, dim, n, trained).map(Codes::Int8),
        2 => BinaryCodes::read_from(r.0, dim, n, trained).map(Codes::Binary),
        _ => None,
    }
    .ok_or_else(malformed)
}

impl NativeGraph {
    /// Writes the graph into the empty directory `dir` ([`DUMP_FILES`]).
    pub fn dump(&self, dir: &Path) -> Result<()> {
        let entry = *self.entry.lock();
        let (entry_node, top) = entry.map_or((u32::MAX, 0), |(n, l)| (n, l as u32));
        let mut head = Vec::with_capacity(64 + self.len() * 9);
        head.extend_from_slice(MAGIC);
        for v in [self.dim as u64, self.m as u64, self.len() as u64] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        head.extend_from_slice(&entry_node.to_le_bytes());
        head.extend_from_slice(&top.to_le_bytes());
        head.extend_from_slice(&self.rng.state().to_le_bytes());
        for (label, level) in self.labels.iter().zip(&self.levels) {
            head.extend_from_slice(&label.to_le_bytes());
            head.push(*level);
        }
        write_file(dir, DUMP_FILES[0], |out| out.write_all(&head))?;
        write_file(dir, DUMP_FILES[1], |out| self.vectors.write_to(out))?;
        write_file(dir, DUMP_FILES[2], |out| write_links(out, &self.links0))?;
        write_file(dir, DUMP_FILES[3], |out| write_links(out, &self.upper))?;
        write_file(dir, DUMP_FILES[4], |out| match &self.codes {
            None => Ok(()),
            Some(codes) => write_codes(out, codes, self.dim),
        })
    }

    /// Reads a graph written by [`dump`](Self::dump) for this
    /// configuration; any inconsistency is [`Error::Corruption`] (the
    /// caller rebuilds). The vectors stay in their file, memory-mapped; the
    /// links are read.
    pub fn load(
        metric: Metric,
        dim: usize,
        m: usize,
        ef_construction: usize,
        dir: &Path,
    ) -> Result<NativeGraph> {
        let path = dir.join(DUMP_FILES[0]);
        let head = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        if head.len() < 48 || &head[..8] != MAGIC {
            return Err(bad("not a native graph header"));
        }
        let word = |at: usize| u64::from_le_bytes(head[at..at + 8].try_into().unwrap_or([0; 8]));
        let (fdim, fm, n) = (word(8) as usize, word(16) as usize, word(24) as usize);
        if fdim != dim || fm != m {
            return Err(bad("written for another dimension or M"));
        }
        let entry_node = u32::from_le_bytes(head[32..36].try_into().unwrap_or([0; 4]));
        let top = u32::from_le_bytes(head[36..40].try_into().unwrap_or([0; 4])) as usize;
        let rng = word(40);
        if n > u32::MAX as usize || Some(head.len()) != n.checked_mul(9).map(|b| b + 48) {
            return Err(bad("the node table has the wrong size"));
        }
        let mut g = NativeGraph::new(metric, dim, m, ef_construction);
        g.rng = Rng::new(rng);
        g.labels.reserve_exact(n);
        g.levels.reserve_exact(n);
        g.upper_at.reserve_exact(n);
        let mut upper_len = 0usize;
        for rec in head[48..].chunks_exact(9) {
            let level = rec[8];
            if usize::from(level) > MAX_LEVEL {
                return Err(bad("a level is out of range"));
            }
            g.labels
                .push(u64::from_le_bytes(rec[..8].try_into().unwrap_or([0; 8])));
            g.levels.push(level);
            g.upper_at.push(upper_len);
            upper_len += usize::from(level) * (1 + m);
        }
        g.vectors = Arena::open(&dir.join(DUMP_FILES[1]), dim, n)?;
        let links0 = read_links(dir, DUMP_FILES[2], n * (1 + g.m0))?;
        let upper = read_links(dir, DUMP_FILES[3], upper_len)?;
        // Every list: a count within its capacity, neighbours that exist
        // and reach the list's layer (a walk reads the neighbour's list
        // of that layer next).
        let malformed = |list: &[u32], layer: usize| {
            let count = list[0] as usize;
            count >= list.len()
                || list[1..=count].iter().any(|&x| {
                    g.levels
                        .get(x as usize)
                        .is_none_or(|&l| usize::from(l) < layer)
                })
        };
        if links0.chunks_exact(1 + g.m0).any(|l| malformed(l, 0)) {
            return Err(bad("a neighbour list is malformed"));
        }
        for (at, &level) in g.upper_at.iter().zip(&g.levels) {
            for layer in 1..=usize::from(level) {
                let start = at + (layer - 1) * (1 + m);
                if malformed(&upper[start..start + 1 + m], layer) {
                    return Err(bad("a neighbour list is malformed"));
                }
            }
        }
        let codes = dir.join(DUMP_FILES[4]);
        if codes.exists() {
            let bytes = std::fs::read(&codes).map_err(|e| Error::io(&codes, e))?;
            if !bytes.is_empty() {
                g.codes = Some(read_codes(&bytes, dim, n)?);
            }
        }
        g.links0 = links0.into_iter().map(AtomicU32::new).collect();
        g.upper = upper.into_iter().map(AtomicU32::new).collect();
        g.locks = (0..n).map(|_| Mutex::new(())).collect();
        g.done = (0..n).map(|_| AtomicBool::new(true)).collect();
        g.deleted = (0..n).map(|_| AtomicBool::new(false)).collect();
        *g.entry.lock() = match (n, entry_node) {
            (0, _) => None,
            (_, e) if (e as usize) < n && top <= usize::from(g.levels[e as usize]) => {
                Some((e, top))
            }
            _ => return Err(bad("the entry point is out of range")),
        };
        Ok(g)
    }
}
