//! Sorted runs of adjacency entries: the bulk loader sorts each chunk of
//! edges into one run per adjacency column family, then merges the runs
//! into one sorted file per column family, which RocksDB moves into its
//! bottom level as it is: nothing is left to compact.
//!
//! The merged file is not compressed: LZ4 would make it about half the
//! size (116 instead of 216 MB for nine million edges) for about a third
//! more import time; RocksDB compresses the entries when a later
//! compaction rewrites them.
//!
//! A run is a file of records `[value length: u32 LE][key][value]`, keys
//! of [`ADJ_KEY_LEN`] bytes in strictly increasing order. Runs live in the
//! staging folder and go with it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::NodeId;
use crate::error::{Error, Result};
use crate::graph::keys::{self, ADJ_KEY_LEN};
use crate::storage::{Cf, SstWriter};

/// The file extension of runs.
pub(super) const EXTENSION: &str = "run";

type Key = [u8; ADJ_KEY_LEN];

/// Appends one record to a run.
pub(super) fn put(out: &mut impl Write, key: &Key, value: &[u8]) -> io::Result<()> {
    let len = u32::try_from(value.len()).map_err(|_| io::Error::other("value too long"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(key)?;
    out.write_all(value)
}

/// Collects, while the `out` runs merge, the adjacency of nodes
/// `first..first + nodes` as a CSR of dense indices (the whole graph's,
/// when the database held nothing before the load).
pub(super) struct Gather {
    first: u64,
    offsets: Vec<usize>,
    targets: Vec<u32>,
    /// An entry named a node outside the range: nothing is handed over.
    outside: bool,
}

impl Gather {
    pub fn new(first: u64, nodes: usize) -> Gather {
        Gather {
            first,
            offsets: vec![0; nodes + 1],
            targets: Vec::new(),
            outside: false,
        }
    }

    #[inline]
    fn add(&mut self, key: &Key) {
        let nodes = self.offsets.len() - 1;
        let dense = |id: NodeId| id.0.checked_sub(self.first).filter(|&i| i < nodes as u64);
        match keys::decode_adj(key).map(|k| (dense(k.node), dense(k.other))) {
            Ok((Some(src), Some(dst))) => {
                self.offsets[src as usize + 1] += 1;
                self.targets.push(dst as u32);
            }
            _ => self.outside = true,
        }
    }

    /// The offsets and targets, unless an entry fell outside.
    fn finish(mut self) -> Option<Gathered> {
        if self.outside || u32::try_from(self.offsets.len()).is_err() {
            return None;
        }
        for i in 1..self.offsets.len() {
            self.offsets[i] += self.offsets[i - 1];
        }
        Some((self.offsets, self.targets))
    }
}

/// A CSR gathered from the `out` entries: offsets and dense targets.
pub(super) type Gathered = (Vec<usize>, Vec<u32>);
/// Sorted files to move in, each with its column family.
pub(super) type Files = Vec<(Cf, PathBuf)>;

/// Replaces the runs among `files` (the writers' output) by one merged
/// file per column family, merging the column families in parallel. Other
/// files pass through. With `gather`, the `out` entries are also collected
/// as a CSR (the keys arrive in source order).
pub(super) fn merge_all(
    dir: &Path,
    files: Files,
    gather: Option<Gather>,
) -> Result<(Files, Option<Gathered>)> {
    let is_run = |p: &PathBuf| p.extension().is_some_and(|e| e == EXTENSION);
    let (runs, mut out): (Vec<_>, Vec<_>) = files.into_iter().partition(|(_, p)| is_run(p));
    let mut by_cf: Vec<(Cf, Vec<PathBuf>)> = Vec::new();
    for (cf, path) in runs {
        match by_cf.iter_mut().find(|(c, _)| *c == cf) {
            Some((_, paths)) => paths.push(path),
            None => by_cf.push((cf, vec![path])),
        }
    }
    let mut gather = gather;
    let merged: Vec<(Result<Option<PathBuf>>, Option<Gathered>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = by_cf
            .iter()
            .map(|(cf, paths)| {
                let mut mine = if *cf == Cf::Out { gather.take() } else { None };
                scope.spawn(move || {
                    let file = merge(dir, *cf, paths, mine.as_mut());
                    (file, mine.and_then(Gather::finish))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| (Err(Error::storage_msg("a run merger panicked")), None))
            })
            .collect()
    });
    let mut gathered = None;
    for ((cf, _), (file, csr)) in by_cf.iter().zip(merged) {
        out.extend(file?.map(|p| (*cf, p)));
        gathered = gathered.or(csr);
    }
    Ok((out, gathered))
}

/// Merges sorted runs `paths` of `cf` into one sorted file;
/// `None` if they hold nothing. (The runs go with the staging folder.)
fn merge(
    dir: &Path,
    cf: Cf,
    paths: &[PathBuf],
    mut gather: Option<&mut Gather>,
) -> Result<Option<PathBuf>> {
    let name = cf.spec().name;
    let mut w = SstWriter::create(cf, &dir.join(format!("{name}-merged.sst")), false)?;
    let mut readers = paths
        .iter()
        .map(|p| Run::open(p))
        .collect::<Result<Vec<_>>>()?;
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        if r.advance()? {
            heap.push(Reverse((r.key, i)));
        }
    }
    while let Some(Reverse((key, i))) = heap.pop() {
        let r = &mut readers[i];
        w.put(&key, &r.value)?;
        if let Some(g) = gather.as_deref_mut() {
            g.add(&key);
        }
        if r.advance()? {
            heap.push(Reverse((r.key, i)));
        }
    }
    w.finish()
}

/// A run being read: its current record.
struct Run<'a> {
    path: &'a Path,
    input: BufReader<File>,
    key: Key,
    value: Vec<u8>,
}

impl<'a> Run<'a> {
    fn open(path: &'a Path) -> Result<Run<'a>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(Run {
            path,
            input: BufReader::with_capacity(1 << 20, file),
            key: [0; ADJ_KEY_LEN],
            value: Vec::new(),
        })
    }

    /// Reads the next record; `false` at the end of the run.
    fn advance(&mut self) -> Result<bool> {
        let io = |e| Error::io(self.path, e);
        let mut len = [0u8; 4];
        match self.input.read(&mut len[..1]).map_err(io)? {
            0 => return Ok(false),
            _ => self.input.read_exact(&mut len[1..]).map_err(io)?,
        }
        self.input.read_exact(&mut self.key).map_err(io)?;
        self.value.resize(u32::from_le_bytes(len) as usize, 0);
        self.input.read_exact(&mut self.value).map_err(io)?;
        Ok(true)
    }
}
