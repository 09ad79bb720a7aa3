//! A native HNSW graph (Malkov & Yashunin, 2016), built for this database.
//!
//! Layout: vectors in one contiguous `f32` arena indexed by a `u32`
//! internal id; layer-0 neighbour lists stored flat with a fixed capacity
//! of `2M` (`count, n1, …, n2M` per node); upper layers likewise with
//! capacity `M`, only for the nodes that reach them. Lists are atomics,
//! so a search may read while another thread links (as in hnswlib, each
//! writer holds the node's lock; readers never lock). Per-searcher state is
//! reused: an epoch-stamped visited array (no hashing, no clearing) and two
//! heaps. Neighbours are chosen by the paper's heuristic (keep a candidate
//! only if it is closer to the new point than to every neighbour kept so
//! far). Insertion runs on all cores.
//!
//! Distances (smaller is nearer): cosine `1 - dot` on normalised vectors,
//! inner product `-dot`, Euclidean squared; [`NativeGraph::search`]
//! reports them in the `hnsw_rs` engine's conventions (cosine `1 - dot`,
//! inner product through [`distance_from_dot`], Euclidean distance) so
//! both engines serve [`VectorIndex`](super::index::VectorIndex) alike.
//!
//! Persistence: [`NativeGraph::dump`] writes the arena, the link arrays
//! and the per-node table as four little-endian files; [`NativeGraph::load`]
//! maps the arena file (see `arena.rs`) and reads the rest back after
//! checking every size, count and neighbour id (the checkpoint layer has
//! verified their checksums first).
//!
//! Deletes: [`NativeGraph::delete`] marks a node; the caller's filter
//! keeps it out of results at once, and [`NativeGraph::repair`] (run at
//! compaction) reconnects every node that linked to a deleted one — its
//! list is refilled from its live neighbours and the deleted node's live
//! neighbours by the same heuristic — and empties the deleted nodes' own
//! lists, so walks no longer pass through them. Their arena rows stay until
//! a rebuild.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering as Mem};

use parking_lot::Mutex;

use super::Metric;
use super::arena::Arena;
use super::hnsw::distance_from_dot;
use super::simd;

/// Upper layers at most (level draws above are clamped).
const MAX_LEVEL: usize = 16;
/// How many neighbours ahead a search prefetches vectors.
const PREFETCH_AHEAD: usize = 3;

/// A candidate: distance and internal id, ordered by distance then id.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Near(f32, u32);

impl Eq for Near {}
impl PartialOrd for Near {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Near {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(self.1.cmp(&o.1))
    }
}

/// A searcher's reusable state.
#[derive(Default)]
pub struct Scratch {
    /// Sixteen-bit stamps: half the cache footprint of `u32`s (the array
    /// is read at random, once per neighbour), cleared every 65,535
    /// searches.
    visited: Vec<u16>,
    epoch: u16,
    candidates: BinaryHeap<Reverse<Near>>,
    results: BinaryHeap<Near>,
    /// The unvisited neighbours of the node being expanded.
    batch: Vec<u32>,
}

impl Scratch {
    /// Starts a new search over `n` nodes: O(1) except when the array
    /// grows or the epoch wraps.
    fn begin(&mut self, n: usize) {
        if self.visited.len() < n {
            self.visited.resize(n, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.visited.iter_mut().for_each(|v| *v = 0);
            self.epoch = 1;
        }
        self.candidates.clear();
        self.results.clear();
    }

    /// Marks `i` visited; returns whether it was new.
    #[inline]
    fn visit(&mut self, i: u32) -> bool {
        let slot = &mut self.visited[i as usize];
        if *slot == self.epoch {
            false
        } else {
            *slot = self.epoch;
            true
        }
    }
}

/// Runs `f(state, i)` for every `i` in `range` on all cores, each thread
/// with its own `state` from `init`, at most one thread per `grain` items.
fn for_each_parallel<S>(
    range: std::ops::Range<usize>,
    grain: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize) + Sync,
) {
    let next = AtomicUsize::new(range.start);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(range.len().div_ceil(grain))
        .max(1);
    let work = || {
        let mut state = init();
        loop {
            let i = next.fetch_add(1, Mem::Relaxed);
            if i >= range.end {
                break;
            }
            f(&mut state, i);
        }
    };
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }
}

/// The graph.
pub struct NativeGraph {
    metric: Metric,
    dim: usize,
    m: usize,
    m0: usize,
    ef_construction: usize,
    level_mult: f64,
    /// Node `i`'s vector is row `i`.
    vectors: Arena,
    /// The caller's slot of each node.
    slots: Vec<u64>,
    levels: Vec<u8>,
    /// Layer 0: `(1 + m0)` atomics per node.
    links0: Vec<AtomicU32>,
    /// Upper layers: node `i` owns `levels[i] * (1 + m)` atomics from
    /// `upper_at[i]`.
    upper: Vec<AtomicU32>,
    upper_at: Vec<usize>,
    locks: Vec<Mutex<()>>,
    /// Whether each node is fully linked. Searches made while building skip
    /// nodes that are not: a node reached before its own lists are written
    /// is a dead end.
    done: Vec<AtomicBool>,
    /// Nodes marked deleted.
    deleted: Vec<AtomicBool>,
    /// Deleted nodes whose links are not repaired yet.
    unrepaired: usize,
    /// `(entry node, its level)`; `None` while empty.
    entry: Mutex<Option<(u32, usize)>>,
    rng: u64,
    scratch: Mutex<Vec<Scratch>>,
}

impl NativeGraph {
    /// An empty graph. `m` in 2..=256 (validated by the caller).
    pub fn new(metric: Metric, dim: usize, m: usize, ef_construction: usize) -> NativeGraph {
        NativeGraph {
            metric,
            dim,
            m,
            m0: 2 * m,
            ef_construction: ef_construction.max(m),
            level_mult: 1.0 / (m.max(2) as f64).ln(),
            vectors: Arena::new(dim),
            slots: Vec::new(),
            levels: Vec::new(),
            links0: Vec::new(),
            upper: Vec::new(),
            upper_at: Vec::new(),
            locks: Vec::new(),
            done: Vec::new(),
            deleted: Vec::new(),
            unrepaired: 0,
            entry: Mutex::new(None),
            rng: 0x2545_f491_4f6c_dd1d,
            scratch: Mutex::new(Vec::new()),
        }
    }

    /// Points in the graph.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Bytes of memory held (vectors, links, bookkeeping), the mapped part
    /// of the vectors not included.
    pub fn heap_bytes(&self) -> usize {
        self.vectors.heap_bytes()
            + self.slots.capacity() * 8
            + self.levels.capacity()
            + (self.links0.capacity() + self.upper.capacity()) * 4
            + self.upper_at.capacity() * 8
            + self.locks.capacity() * std::mem::size_of::<Mutex<()>>()
            + (self.done.capacity() + self.deleted.capacity())
    }

    /// Bytes of vectors mapped from a checkpoint file.
    pub fn mapped_bytes(&self) -> usize {
        self.vectors.mapped_bytes()
    }

    /// Node `i`'s vector (as inserted: normalised for cosine).
    #[inline]
    pub fn vector(&self, i: u32) -> &[f32] {
        self.vectors.row(i)
    }

    #[inline]
    fn distance(&self, q: &[f32], i: u32) -> f32 {
        let v = self.vector(i);
        match self.metric {
            Metric::Cosine => 1.0 - simd::dot(q, v),
            Metric::Dot => -simd::dot(q, v),
            Metric::L2 => simd::l2_squared(q, v),
        }
    }

    /// The list of node `i` at `layer`: `(count, neighbours)`.
    #[inline]
    fn list(&self, i: u32, layer: usize) -> &[AtomicU32] {
        if layer == 0 {
            let at = i as usize * (1 + self.m0);
            &self.links0[at..at + 1 + self.m0]
        } else {
            let at = self.upper_at[i as usize] + (layer - 1) * (1 + self.m);
            &self.upper[at..at + 1 + self.m]
        }
    }

    fn neighbours(&self, i: u32, layer: usize, out: &mut Vec<u32>) {
        let list = self.list(i, layer);
        let n = list[0].load(Mem::Relaxed) as usize;
        out.clear();
        out.extend(list[1..=n].iter().map(|a| a.load(Mem::Relaxed)));
    }

    fn draw_level(&mut self) -> usize {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let u = ((self.rng >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        ((-u.ln() * self.level_mult) as usize).min(MAX_LEVEL)
    }

    /// Inserts prepared vectors (right dimension, finite, normalised for
    /// cosine) under their slots, linking on all cores. They become nodes
    /// `len()..len() + items.len()`, in order.
    pub fn insert_all(&mut self, items: &[(&[f32], usize)]) {
        if items.is_empty() {
            return;
        }
        let first = self.len();
        // Allocate everything first: the parallel phase only links.
        let n = items.len();
        self.vectors.reserve(n);
        self.slots.reserve(n);
        self.levels.reserve(n);
        self.upper_at.reserve(n);
        self.links0.reserve(n * (1 + self.m0));
        self.locks.reserve(n);
        self.done.reserve(n);
        self.deleted.reserve(n);
        for (v, slot) in items {
            debug_assert_eq!(v.len(), self.dim);
            let level = self.draw_level();
            self.vectors.push(v);
            self.slots.push(*slot as u64);
            self.levels.push(level as u8);
            self.upper_at.push(self.upper.len());
            self.upper
                .extend((0..level * (1 + self.m)).map(|_| AtomicU32::new(0)));
            self.links0.extend((0..=self.m0).map(|_| AtomicU32::new(0)));
            self.locks.push(Mutex::new(()));
            self.done.push(AtomicBool::new(false));
            self.deleted.push(AtomicBool::new(false));
        }
        let this = &*self;
        for_each_parallel(first..self.len(), 64, Scratch::default, |s, i| {
            this.link(i as u32, s);
        });
    }

    /// Links node `q` (its vector and level are in place).
    fn link(&self, q: u32, s: &mut Scratch) {
        let level = self.levels[q as usize] as usize;
        let (mut ep, top) = {
            let mut entry = self.entry.lock();
            match *entry {
                None => {
                    self.done[q as usize].store(true, Mem::Release);
                    *entry = Some((q, level));
                    return;
                }
                Some(e) => e,
            }
        };
        let v = self.vector(q);
        let mut ep_d = self.distance(v, ep);
        let mut buf = Vec::new();
        for layer in (level + 1..=top).rev() {
            (ep, ep_d) = self.greedy(v, ep, ep_d, layer, &mut buf);
        }
        let mut selected = Vec::new();
        for layer in (0..=level.min(top)).rev() {
            let found = self.search_layer(
                v,
                &[Near(ep_d, ep)],
                self.ef_construction,
                layer,
                s,
                None,
                true,
            );
            self.select(&found, self.m, &mut selected);
            {
                let _g = self.locks[q as usize].lock();
                let list = self.list(q, layer);
                for (k, n) in selected.iter().enumerate() {
                    list[1 + k].store(n.1, Mem::Relaxed);
                }
                list[0].store(selected.len() as u32, Mem::Release);
            }
            for n in &selected {
                self.connect(n.1, q, n.0, layer, &mut buf);
            }
            if let Some(best) = found.first() {
                (ep, ep_d) = (best.1, best.0);
            }
        }
        self.done[q as usize].store(true, Mem::Release);
        if level > top {
            let mut entry = self.entry.lock();
            if entry.is_none_or(|(_, l)| level > l) {
                *entry = Some((q, level));
            }
        }
    }

    /// Adds `q` to `n`'s list at `layer`, pruning by the heuristic when full.
    fn connect(&self, n: u32, q: u32, d: f32, layer: usize, buf: &mut Vec<u32>) {
        let cap = if layer == 0 { self.m0 } else { self.m };
        let _g = self.locks[n as usize].lock();
        let list = self.list(n, layer);
        let count = list[0].load(Mem::Relaxed) as usize;
        if count < cap {
            list[1 + count].store(q, Mem::Relaxed);
            list[0].store(count as u32 + 1, Mem::Release);
            return;
        }
        self.neighbours(n, layer, buf);
        let base = self.vector(n);
        let mut cands: Vec<Near> = buf
            .iter()
            .map(|&x| Near(self.distance(base, x), x))
            .collect();
        cands.push(Near(d, q));
        cands.sort_unstable();
        let mut keep = Vec::with_capacity(cap);
        self.select(&cands, cap, &mut keep);
        for (k, x) in keep.iter().enumerate() {
            list[1 + k].store(x.1, Mem::Relaxed);
        }
        list[0].store(keep.len() as u32, Mem::Release);
    }

    /// The paper's heuristic over `sorted` candidates (nearest first):
    /// keep one only if it is nearer to the base than to every kept one.
    fn select(&self, sorted: &[Near], m: usize, out: &mut Vec<Near>) {
        out.clear();
        for &c in sorted {
            if out.len() >= m {
                break;
            }
            let cv = self.vector(c.1);
            if out.iter().all(|k| self.distance(cv, k.1) > c.0) {
                out.push(c);
            }
        }
    }

    /// Greedy descent on one upper layer.
    fn greedy(
        &self,
        q: &[f32],
        mut ep: u32,
        mut d: f32,
        layer: usize,
        buf: &mut Vec<u32>,
    ) -> (u32, f32) {
        loop {
            let mut moved = false;
            self.neighbours(ep, layer, buf);
            for &n in buf.iter() {
                if !self.done[n as usize].load(Mem::Acquire) {
                    continue;
                }
                let dn = self.distance(q, n);
                if dn < d {
                    (ep, d, moved) = (n, dn, true);
                }
            }
            if !moved {
                return (ep, d);
            }
        }
    }

    /// Beam search on one layer from `entry`; returns up to `ef` nearest,
    /// nearest first. With `keep`, only admitted nodes enter the results
    /// (the walk still passes through the others).
    #[allow(
        clippy::too_many_arguments,
        reason = "the hot loop's inputs; bundling them would only rename them"
    )]
    fn search_layer(
        &self,
        q: &[f32],
        entry: &[Near],
        ef: usize,
        layer: usize,
        s: &mut Scratch,
        keep: Option<&dyn Fn(u32) -> bool>,
        building: bool,
    ) -> Vec<Near> {
        s.begin(self.len());
        for &e in entry {
            s.visit(e.1);
            s.candidates.push(Reverse(e));
            if keep.is_none_or(|k| k(e.1)) {
                s.results.push(e);
            }
        }
        while let Some(Reverse(c)) = s.candidates.pop() {
            if s.results.len() >= ef && s.results.peek().is_some_and(|w| c.0 > w.0) {
                break;
            }
            let list = self.list(c.1, layer);
            let n = list[0].load(Mem::Acquire) as usize;
            // First the unvisited neighbours; then their distances, each
            // vector prefetched a few neighbours ahead (prefetching all at
            // once fills the CPU's line-fill buffers and stalls it).
            let mut batch = std::mem::take(&mut s.batch);
            batch.clear();
            for a in &list[1..=n] {
                let x = a.load(Mem::Relaxed);
                if (building && !self.done[x as usize].load(Mem::Acquire)) || !s.visit(x) {
                    continue;
                }
                batch.push(x);
            }
            for &x in batch.iter().take(PREFETCH_AHEAD) {
                simd::prefetch(self.vector(x));
            }
            for (k, &x) in batch.iter().enumerate() {
                if let Some(&next) = batch.get(k + PREFETCH_AHEAD) {
                    simd::prefetch(self.vector(next));
                }
                let d = self.distance(q, x);
                let worst = s.results.peek().map_or(f32::INFINITY, |w| w.0);
                if s.results.len() < ef || d < worst {
                    s.candidates.push(Reverse(Near(d, x)));
                    if keep.is_none_or(|k| k(x)) {
                        s.results.push(Near(d, x));
                        if s.results.len() > ef {
                            s.results.pop();
                        }
                    }
                }
            }
            s.batch = batch;
            // The next node to expand: start loading its list now.
            if let Some(Reverse(next)) = s.candidates.peek() {
                simd::prefetch_words(self.list(next.1, layer));
            }
        }
        let mut out: Vec<Near> = s.results.drain().collect();
        out.sort_unstable();
        out
    }

    /// Marks node `i` deleted; returns whether it was live (`false` also
    /// for a node that does not exist). The caller's filter keeps it out of
    /// results; [`repair`](Self::repair) unlinks it.
    pub fn delete(&mut self, i: u32) -> bool {
        let Some(flag) = self.deleted.get(i as usize) else {
            return false;
        };
        let was = flag.swap(true, Mem::Relaxed);
        if !was {
            self.unrepaired += 1;
        }
        !was
    }

    /// The slots of every node, deleted ones included.
    pub fn slots(&self) -> &[u64] {
        &self.slots
    }

    /// Deleted nodes not unlinked yet.
    pub fn unrepaired(&self) -> usize {
        self.unrepaired
    }

    /// Reconnects every node that links to a deleted node, then empties the
    /// deleted nodes' lists and moves the entry point off them. O(V · M²)
    /// distance computations at worst; on all cores.
    pub fn repair(&mut self) {
        if self.unrepaired == 0 {
            return;
        }
        let dead = |i: u32| self.deleted[i as usize].load(Mem::Relaxed);
        let n = self.len();
        let this = &*self;
        let init = || (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for_each_parallel(0..n, 4096, init, |(own, theirs, cands, keep), i| {
            let i = i as u32;
            if dead(i) {
                return;
            }
            {
                for layer in 0..=usize::from(this.levels[i as usize]) {
                    this.neighbours(i, layer, own);
                    if !own.iter().any(|&x| dead(x)) {
                        continue;
                    }
                    cands.clear();
                    let base = this.vector(i);
                    let add = |x: u32, cands: &mut Vec<Near>| {
                        if x != i && !dead(x) && !cands.iter().any(|c: &Near| c.1 == x) {
                            cands.push(Near(this.distance(base, x), x));
                        }
                    };
                    for &x in own.iter() {
                        if dead(x) {
                            this.neighbours(x, layer, theirs);
                            for &y in theirs.iter() {
                                add(y, cands);
                            }
                        } else {
                            add(x, cands);
                        }
                    }
                    cands.sort_unstable();
                    let cap = if layer == 0 { this.m0 } else { this.m };
                    this.select(cands, cap, keep);
                    let _g = this.locks[i as usize].lock();
                    let list = this.list(i, layer);
                    for (k, x) in keep.iter().enumerate() {
                        list[1 + k].store(x.1, Mem::Relaxed);
                    }
                    list[0].store(keep.len() as u32, Mem::Release);
                }
            }
        });
        // The deleted nodes' own lists: nothing leads through them now.
        for i in 0..n as u32 {
            if dead(i) {
                for layer in 0..=usize::from(self.levels[i as usize]) {
                    self.list(i, layer)[0].store(0, Mem::Release);
                }
            }
        }
        // A deleted entry point: the live node of highest level takes over.
        let entry = *self.entry.lock();
        if entry.is_some_and(|(e, _)| dead(e)) {
            let best = (0..n as u32)
                .filter(|&i| !dead(i))
                .max_by_key(|&i| self.levels[i as usize]);
            *self.entry.lock() = best.map(|i| (i, usize::from(self.levels[i as usize])));
        }
        self.unrepaired = 0;
    }

    /// The `k` nearest slots (accepted by `keep`, if given) as
    /// `(slot, distance)` in the `hnsw_rs` engine's conventions, nearest
    /// first.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(usize, f32)> {
        let Some((mut ep, top)) = *self.entry.lock() else {
            return Vec::new();
        };
        let mut s = self.scratch.lock().pop().unwrap_or_default();
        let mut buf = Vec::new();
        let mut d = self.distance(query, ep);
        for layer in (1..=top).rev() {
            (ep, d) = self.greedy(query, ep, d, layer, &mut buf);
        }
        let admit = |i: u32| keep.is_none_or(|k| k(self.slots[i as usize] as usize));
        let admit: Option<&dyn Fn(u32) -> bool> = keep.is_some().then_some(&admit);
        let found = self.search_layer(query, &[Near(d, ep)], ef.max(k), 0, &mut s, admit, false);
        self.scratch.lock().push(s);
        found
            .into_iter()
            .take(k)
            .map(|n| {
                let d = match self.metric {
                    Metric::Cosine => n.0,
                    Metric::Dot => distance_from_dot(-n.0),
                    Metric::L2 => n.0.max(0.0).sqrt(),
                };
                (self.slots[n.1 as usize] as usize, d)
            })
            .collect()
    }
}

/// The files of a native dump, in the order checkpoints list them.
pub const DUMP_FILES: [&str; 4] = [
    "native.nodes",
    "native.vectors",
    "native.links0",
    "native.upper",
];

const MAGIC: &[u8; 8] = b"QVNHSW01";

/// Creates `dir/name` and writes into it through `fill`, buffered.
fn write_file(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), String> {
    let created = std::fs::File::create(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, created);
    fill(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| format!("{name}: {e}"))
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
fn read_links(dir: &Path, name: &str, words: usize) -> Result<Vec<u32>, String> {
    let io = |e: std::io::Error| format!("{name}: {e}");
    let mut file = std::fs::File::open(dir.join(name)).map_err(io)?;
    if file.metadata().map_err(io)?.len() != words as u64 * 4 {
        return Err(format!("native dump: {name} has the wrong size"));
    }
    let mut out = vec![0u32; words];
    std::io::Read::read_exact(&mut file, bytemuck::cast_slice_mut(&mut out)).map_err(io)?;
    for w in &mut out {
        *w = u32::from_le(*w);
    }
    Ok(out)
}

impl NativeGraph {
    /// Writes the graph into the empty directory `dir` ([`DUMP_FILES`]).
    pub fn dump(&self, dir: &Path) -> Result<(), String> {
        let entry = *self.entry.lock();
        let (entry_node, top) = entry.map_or((u32::MAX, 0), |(n, l)| (n, l as u32));
        let mut head = Vec::with_capacity(64 + self.len() * 9);
        head.extend_from_slice(MAGIC);
        for v in [self.dim as u64, self.m as u64, self.len() as u64] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        head.extend_from_slice(&entry_node.to_le_bytes());
        head.extend_from_slice(&top.to_le_bytes());
        head.extend_from_slice(&self.rng.to_le_bytes());
        for (slot, level) in self.slots.iter().zip(&self.levels) {
            head.extend_from_slice(&slot.to_le_bytes());
            head.push(*level);
        }
        write_file(dir, DUMP_FILES[0], |out| out.write_all(&head))?;
        write_file(dir, DUMP_FILES[1], |out| self.vectors.write_to(out))?;
        write_file(dir, DUMP_FILES[2], |out| write_links(out, &self.links0))?;
        write_file(dir, DUMP_FILES[3], |out| write_links(out, &self.upper))
    }

    /// Reads a graph written by [`dump`](Self::dump) for this
    /// configuration; any inconsistency is an error (the caller rebuilds).
    /// The vectors stay in their file, memory-mapped; the links are read.
    pub fn load(
        metric: Metric,
        dim: usize,
        m: usize,
        ef_construction: usize,
        dir: &Path,
    ) -> Result<NativeGraph, String> {
        let head = std::fs::read(dir.join(DUMP_FILES[0]))
            .map_err(|e| format!("{}: {e}", DUMP_FILES[0]))?;
        let bad = |what: &str| Err(format!("native dump: {what}"));
        if head.len() < 48 || &head[..8] != MAGIC {
            return bad("not a native graph header");
        }
        let word = |at: usize| u64::from_le_bytes(head[at..at + 8].try_into().unwrap_or([0; 8]));
        let (fdim, fm, n) = (word(8) as usize, word(16) as usize, word(24) as usize);
        if fdim != dim || fm != m {
            return bad("written for another dimension or M");
        }
        let entry_node = u32::from_le_bytes(head[32..36].try_into().unwrap_or([0; 4]));
        let top = u32::from_le_bytes(head[36..40].try_into().unwrap_or([0; 4])) as usize;
        let rng = word(40);
        if n > u32::MAX as usize || Some(head.len()) != n.checked_mul(9).map(|b| b + 48) {
            return bad("the node table has the wrong size");
        }
        let mut g = NativeGraph::new(metric, dim, m, ef_construction);
        g.rng = rng;
        g.slots.reserve_exact(n);
        g.levels.reserve_exact(n);
        g.upper_at.reserve_exact(n);
        let mut upper_len = 0usize;
        for rec in head[48..].chunks_exact(9) {
            let level = rec[8];
            if usize::from(level) > MAX_LEVEL {
                return bad("a level is out of range");
            }
            g.slots
                .push(u64::from_le_bytes(rec[..8].try_into().unwrap_or([0; 8])));
            g.levels.push(level);
            g.upper_at.push(upper_len);
            upper_len += usize::from(level) * (1 + m);
        }
        g.vectors = Arena::open(&dir.join(DUMP_FILES[1]), dim, n)?;
        let links0 = read_links(dir, DUMP_FILES[2], n * (1 + g.m0))?;
        let upper = read_links(dir, DUMP_FILES[3], upper_len)?;
        // Every list: a count within its capacity, neighbours that exist.
        for (list, cap) in [(&links0, g.m0), (&upper, m)] {
            for l in list.chunks_exact(1 + cap) {
                let count = l[0] as usize;
                if count > cap || l[1..=count].iter().any(|&x| x as usize >= n) {
                    return bad("a neighbour list is malformed");
                }
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
            _ => return bad("the entry point is out of range"),
        };
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: a panic is the failure report"
    )]

    use super::*;

    fn data(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                (0..dim)
                    .map(|_| {
                        s ^= s << 13;
                        s ^= s >> 7;
                        s ^= s << 17;
                        (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
                    })
                    .collect()
            })
            .collect()
    }

    fn exact(base: &[Vec<f32>], q: &[f32], k: usize) -> Vec<usize> {
        let mut d: Vec<(f32, usize)> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (simd::l2_squared(q, v), i))
            .collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0));
        d.into_iter().take(k).map(|x| x.1).collect()
    }

    #[test]
    fn recall_against_brute_force_and_filters() {
        let base = data(5_000, 24, 11);
        let queries = data(100, 24, 99);
        let mut g = NativeGraph::new(Metric::L2, 24, 16, 200);
        let items: Vec<(&[f32], usize)> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_slice(), i * 3))
            .collect();
        g.insert_all(&items[..100]); // two batches: the second links into the first
        g.insert_all(&items[100..]);
        assert_eq!(g.len(), 5_000);
        let mut hit = 0;
        for q in &queries {
            let truth = exact(&base, q, 10);
            let found: Vec<usize> = g
                .search(q, 10, 64, None)
                .into_iter()
                .map(|(s, _)| s / 3)
                .collect();
            hit += found.iter().filter(|f| truth.contains(f)).count();
            // Distances are Euclidean, ascending.
            let d: Vec<f32> = g.search(q, 10, 64, None).into_iter().map(|x| x.1).collect();
            assert!(d.windows(2).all(|w| w[0] <= w[1]));
        }
        let recall = hit as f64 / 1000.0;
        assert!(recall >= 0.95, "recall@10 {recall}");
        // A filter admitting even slots only: every hit admitted, k found.
        let keep = |slot: usize| (slot / 3).is_multiple_of(2);
        for q in queries.iter().take(20) {
            let found = g.search(q, 10, 64, Some(&keep));
            assert_eq!(found.len(), 10);
            assert!(found.iter().all(|(s, _)| keep(*s)));
        }
    }

    /// Build time, memory, dump / reload time and recall/QPS of the graph
    /// alone on a vector set: `cargo test --release --lib native_on_files
    /// -- --ignored --nocapture`. The set is `../shared/datasets/debian`
    /// (cosine) unless `QUIVER_NATIVE_DIR` names another folder with
    /// `base.fvecs`, `queries.fvecs` and `gt_<metric>.ivecs`, the metric in
    /// `QUIVER_NATIVE_METRIC` (`cosine` or `l2`). `QUIVER_NATIVE_LIMIT=n`
    /// builds on the first `n` vectors only and stops there (for profiling
    /// the build).
    #[test]
    #[ignore = "a measurement on external data: run it by name"]
    fn native_on_files() {
        let dir = std::env::var_os("QUIVER_NATIVE_DIR").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/debian"),
            std::path::PathBuf::from,
        );
        let metric_name = std::env::var("QUIVER_NATIVE_METRIC").unwrap_or_else(|_| "cosine".into());
        let metric = if metric_name == "l2" {
            Metric::L2
        } else {
            Metric::Cosine
        };
        // Resident memory in KiB (Linux), as hnswlib's peer script
        // measures it: the growth over the build is the index's memory.
        let rss = || -> u64 {
            std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
                    line.split_whitespace().nth(1)?.parse().ok()
                })
                .unwrap_or(0)
        };
        let mut base = crate::import::read_fvecs(dir.join("base.fvecs")).unwrap();
        let limit: Option<usize> = std::env::var("QUIVER_NATIVE_LIMIT")
            .ok()
            .map(|n| n.parse().unwrap());
        if let Some(n) = limit {
            base.truncate(n);
        }
        let queries = crate::import::read_fvecs(dir.join("queries.fvecs")).unwrap();
        let gt = crate::import::read_ivecs(dir.join(format!("gt_{metric_name}.ivecs"))).unwrap();
        let before = rss();
        println!(
            "loaded {} x {}; RSS {before} KiB",
            base.len(),
            base[0].len()
        );
        let mut g = NativeGraph::new(metric, base[0].len(), 16, 200);
        let items: Vec<(&[f32], usize)> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_slice(), i))
            .collect();
        let t = std::time::Instant::now();
        g.insert_all(&items);
        let after = rss();
        println!(
            "build {:?} for {} vectors; graph + arena {} MiB ({} bytes/vector); \
             RSS {after} KiB, growth over the build {} bytes/vector",
            t.elapsed(),
            base.len(),
            g.heap_bytes() >> 20,
            g.heap_bytes() / base.len(),
            (after - before) * 1024 / base.len() as u64
        );
        drop(items);
        drop(base);
        if limit.is_some() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let t = std::time::Instant::now();
        g.dump(tmp.path()).unwrap();
        let dumped = t.elapsed();
        let t = std::time::Instant::now();
        let g2 = NativeGraph::load(metric, g.dim, 16, 200, tmp.path()).unwrap();
        println!("dump {dumped:?}, reload {:?}", t.elapsed());
        drop(g);
        for ef in [16, 24, 32, 48, 64, 96, 128] {
            let t = std::time::Instant::now();
            let mut hit = 0;
            for (q, truth) in queries.iter().zip(&gt) {
                let found = g2.search(q, 10, ef, None);
                hit += found
                    .iter()
                    .filter(|(s, _)| truth[..10].contains(&i32::try_from(*s).unwrap()))
                    .count();
            }
            let secs = t.elapsed().as_secs_f64();
            println!(
                "ef {ef}: recall@10 {:.4}, {:.0} q/s",
                hit as f64 / (10 * queries.len()) as f64,
                queries.len() as f64 / secs
            );
        }
    }

    #[test]
    fn a_dump_reloads_to_the_same_answers_and_bad_files_are_refused() {
        let base = data(2_000, 8, 5);
        let mut g = NativeGraph::new(Metric::L2, 8, 8, 64);
        let items: Vec<(&[f32], usize)> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_slice(), i + 10))
            .collect();
        g.insert_all(&items);
        let dir = tempfile::tempdir().unwrap();
        g.dump(dir.path()).unwrap();
        let mut h = NativeGraph::load(Metric::L2, 8, 8, 64, dir.path()).unwrap();
        for q in data(20, 8, 77) {
            assert_eq!(g.search(&q, 5, 32, None), h.search(&q, 5, 32, None));
        }
        // It keeps growing after a reload.
        h.insert_all(&[(&[9.0; 8][..], 5_000)]);
        assert_eq!(h.search(&[9.0; 8], 1, 16, None)[0], (5_000, 0.0));
        assert!(
            NativeGraph::load(Metric::L2, 9, 8, 64, dir.path()).is_err(),
            "other dimension"
        );
        for (file, cut) in [
            ("native.links0", 4),
            ("native.nodes", 1),
            ("native.vectors", 3),
        ] {
            let copy = tempfile::tempdir().unwrap();
            for f in DUMP_FILES {
                std::fs::copy(dir.path().join(f), copy.path().join(f)).unwrap();
            }
            let p = copy.path().join(file);
            let mut bytes = std::fs::read(&p).unwrap();
            bytes.truncate(bytes.len() - cut);
            std::fs::write(&p, bytes).unwrap();
            assert!(
                NativeGraph::load(Metric::L2, 8, 8, 64, copy.path()).is_err(),
                "{file}"
            );
        }
        // A neighbour id past the end is refused.
        let copy = tempfile::tempdir().unwrap();
        for f in DUMP_FILES {
            std::fs::copy(dir.path().join(f), copy.path().join(f)).unwrap();
        }
        let p = copy.path().join("native.links0");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&p, bytes).unwrap();
        assert!(NativeGraph::load(Metric::L2, 8, 8, 64, copy.path()).is_err());
    }

    #[test]
    fn repair_unlinks_deleted_points_and_keeps_recall() {
        let base = data(4_000, 16, 21);
        let mut g = NativeGraph::new(Metric::L2, 16, 8, 100);
        let items: Vec<(&[f32], usize)> = base
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_slice(), i))
            .collect();
        g.insert_all(&items);
        // Delete every third point, the entry point among them.
        let entry = g.entry.lock().unwrap().0;
        let gone: Vec<usize> = (0..4_000)
            .filter(|i| i % 3 == 0 || *i == entry as usize)
            .collect();
        for &i in &gone {
            assert!(g.delete(i as u32));
        }
        assert!(!g.delete(0), "deleting twice reports nothing new");
        assert_eq!(g.unrepaired(), gone.len());
        g.repair();
        assert_eq!(g.unrepaired(), 0);
        let dead = |i: u32| gone.binary_search(&(i as usize)).is_ok();
        let mut buf = Vec::new();
        for i in 0..4_000u32 {
            for layer in 0..=usize::from(g.levels[i as usize]) {
                g.neighbours(i, layer, &mut buf);
                if dead(i) {
                    assert!(buf.is_empty(), "a deleted node keeps links");
                } else {
                    assert!(
                        buf.iter().all(|&x| !dead(x)),
                        "node {i} still links to a deleted node"
                    );
                }
            }
        }
        assert!(!dead(g.entry.lock().unwrap().0));
        // Without any filter, only live points come back, with good recall.
        let live: Vec<Vec<f32>> = (0..4_000)
            .filter(|i| !dead(*i as u32))
            .map(|i| base[i].clone())
            .collect();
        let live_slots: Vec<usize> = (0..4_000).filter(|i| !dead(*i as u32)).collect();
        let mut hit = 0;
        for q in data(50, 16, 5) {
            let found = g.search(&q, 10, 64, None);
            assert!(found.iter().all(|(s, _)| !dead(*s as u32)));
            let truth: Vec<usize> = exact(&live, &q, 10)
                .into_iter()
                .map(|i| live_slots[i])
                .collect();
            hit += found.iter().filter(|(s, _)| truth.contains(s)).count();
        }
        assert!(hit >= 475, "recall after repair {hit}/500");
    }
}
