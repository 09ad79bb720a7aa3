//! A write transaction's uncommitted changes, per column family: single
//! puts and deletes in an ordered map, and puts made thousands at a time
//! (a `SET` over a whole label, a full-text index built in bulk) as
//! sorted runs — every key and value of a run back to back in one
//! buffer, so a million pending records cost their bytes plus eight per
//! entry instead of a map node and two allocations each, and a savepoint
//! shares them instead of copying them.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use super::schema::{self, CF_COUNT, Cf};

/// Puts of at least this many at once are kept as a run.
const RUN_MIN: usize = 4096;
/// A column family with more runs than this has them merged into one, so
/// a lookup binary-searches a few runs at most.
const MAX_RUNS: usize = 8;

/// Uncommitted changes of one write transaction: per column family, key →
/// new value (`None` = delete). Committed as one atomic batch.
#[derive(Clone, Default)]
pub struct Changes {
    cfs: [Pending; CF_COUNT],
}

/// One column family's changes. A key in `map` is newer than any run
/// holding it; of two runs, the later is newer.
#[derive(Clone, Default)]
struct Pending {
    map: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    runs: Vec<Arc<Run>>,
}

impl Changes {
    /// Records a put.
    pub fn put(&mut self, cf: Cf, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.cfs[cf as usize]
            .map
            .insert(key.into(), Some(value.into()));
    }

    /// Records many puts at once (a later put of the same key wins): as a
    /// run when they are many, else merged into the map, which costs a
    /// fraction of putting them one by one.
    pub fn put_all(&mut self, cf: Cf, pairs: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>) {
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = pairs.into_iter().collect();
        if pairs.len() >= RUN_MIN {
            pairs.sort_by(|a, b| a.0.cmp(&b.0)); // stable: a key's last put stays last
            let mut run = RunBuilder::default();
            let mut pairs = pairs.into_iter().peekable();
            while let Some((k, v)) = pairs.next() {
                if pairs.peek().is_none_or(|(next, _)| *next != k) {
                    run.push(&k, &v);
                }
            }
            self.put_run(cf, run);
            return;
        }
        let mut fresh: BTreeMap<Vec<u8>, Option<Vec<u8>>> =
            pairs.into_iter().map(|(k, v)| (k, Some(v))).collect();
        let pending = &mut self.cfs[cf as usize].map;
        if pending.is_empty() {
            *pending = fresh;
        } else if fresh.len().saturating_mul(16) < pending.len() {
            // A few into many: an insert each costs O(log n), where
            // `append` would rebuild the whole map (a statement writing
            // row by row — a subquery, FOREACH — would be quadratic).
            pending.extend(fresh);
        } else {
            pending.append(&mut fresh); // the fresh values win
        }
    }

    /// Records the puts of `run`, newer than every change before.
    pub fn put_run(&mut self, cf: Cf, run: RunBuilder) {
        let pending = &mut self.cfs[cf as usize];
        for run in run.finish() {
            if run.is_empty() {
                continue;
            }
            // Older single changes of the run's keys are overwritten.
            if pending.map.len() <= run.len() {
                pending.map.retain(|k, _| run.find(k).is_err());
            } else {
                for i in 0..run.len() {
                    pending.map.remove(run.key(i));
                }
            }
            pending.runs.push(Arc::new(run));
        }
        if pending.runs.len() > MAX_RUNS {
            let mut merged = RunBuilder::default();
            for (k, v) in merge(pending.runs.iter().rev().map(|r| r.entries(b"", None))) {
                if let Some(v) = v {
                    merged.push(k, v);
                }
            }
            pending.runs = merged.finish().into_iter().map(Arc::new).collect();
        }
    }

    /// Records a delete.
    pub fn delete(&mut self, cf: Cf, key: impl Into<Vec<u8>>) {
        self.cfs[cf as usize].map.insert(key.into(), None);
    }

    /// The pending change at `key`: `Some(None)` is a pending delete.
    #[allow(
        clippy::option_option,
        reason = "absent / deleted / written are all distinct"
    )]
    pub fn pending(&self, cf: Cf, key: &[u8]) -> Option<Option<&[u8]>> {
        let pending = &self.cfs[cf as usize];
        if let Some(v) = pending.map.get(key) {
            return Some(v.as_deref());
        }
        pending
            .runs
            .iter()
            .rev()
            .find_map(|r| r.find(key).ok().map(|i| Some(r.value(i))))
    }

    /// The pending changes in `start..end`, in key order.
    pub(super) fn range<'a>(
        &'a self,
        cf: Cf,
        start: &'a [u8],
        end: Option<&'a [u8]>,
    ) -> Box<dyn Iterator<Item = Entry<'a>> + 'a> {
        let pending = &self.cfs[cf as usize];
        let upper = end.map_or(Bound::Unbounded, Bound::Excluded);
        let map = pending
            .map
            .range::<[u8], _>((Bound::Included(start), upper))
            .map(|(k, v)| (k.as_slice(), v.as_deref()));
        match pending.runs.as_slice() {
            [] => return Box::new(map),
            [run] if pending.map.is_empty() => return run.entries(start, end),
            _ => {}
        }
        let runs = pending.runs.iter().rev().map(|r| r.entries(start, end));
        Box::new(merge(
            std::iter::once(Box::new(map) as Source<'a>).chain(runs),
        ))
    }

    /// All changes, column family by column family.
    pub fn iter(&self) -> impl Iterator<Item = (Cf, &[u8], Option<&[u8]>)> {
        schema::COLUMN_FAMILIES.iter().flat_map(move |spec| {
            self.range(spec.cf, b"", None)
                .map(move |(k, v)| (spec.cf, k, v))
        })
    }

    /// About how many bytes the changes take written out: each entry's
    /// key and value plus `per_entry`.
    pub fn bytes(&self, per_entry: usize) -> usize {
        let mut total = 0;
        for p in &self.cfs {
            for (k, v) in &p.map {
                total += k.len() + v.as_ref().map_or(0, Vec::len) + per_entry;
            }
            for r in &p.runs {
                total += r.buf.len() + r.len() * per_entry;
            }
        }
        total
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.cfs
            .iter()
            .all(|p| p.map.is_empty() && p.runs.is_empty())
    }
}

/// A pending entry: key and new value (`None`: deleted).
type Entry<'a> = (&'a [u8], Option<&'a [u8]>);

/// Entries in key order, each key once.
type Source<'a> = Box<dyn Iterator<Item = Entry<'a>> + 'a>;

/// The entries of `sources` (each in key order, each key once, the
/// newest first) in key order, each key once, from the newest source
/// that has it.
fn merge<'a>(sources: impl Iterator<Item = Source<'a>>) -> impl Iterator<Item = Entry<'a>> + 'a {
    let mut heads: Vec<_> = sources.map(Iterator::peekable).collect();
    std::iter::from_fn(move || {
        let mut best: Option<(usize, &'a [u8])> = None;
        for (i, h) in heads.iter_mut().enumerate() {
            if let Some(&(k, _)) = h.peek()
                && best.is_none_or(|(_, b)| k < b)
            {
                best = Some((i, k));
            }
        }
        let (winner, key) = best?;
        let mut out = None;
        for (i, h) in heads.iter_mut().enumerate().skip(winner) {
            if let Some(e) = h.next_if(|(k, _)| *k == key) {
                // The first source holding the key is the newest.
                if i == winner {
                    out = Some(e);
                }
            }
        }
        out
    })
}

/// Puts in one buffer, keys strictly ascending. Offsets are 32-bit: a
/// run holds up to 4 GiB (a builder starts a new run past that), and one
/// entry — a key and its value — must stay below 4 GiB (RocksDB refuses
/// values of 3 GiB and more anyway).
#[derive(Default)]
pub struct Run {
    buf: Vec<u8>,
    /// Per entry, where its key and its value end in `buf` (its key
    /// starts where the entry before it ends).
    ends: Vec<(u32, u32)>,
}

impl Run {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1].1 };
        &self.buf[start as usize..self.ends[i].0 as usize]
    }

    fn value(&self, i: usize) -> &[u8] {
        &self.buf[self.ends[i].0 as usize..self.ends[i].1 as usize]
    }

    /// The entry with `key` (`Err`: where it would go).
    fn find(&self, key: &[u8]) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid).cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// The entries in `start..end`, as pending puts.
    fn entries<'a>(&'a self, start: &[u8], end: Option<&'a [u8]>) -> Source<'a> {
        let first = self.find(start).unwrap_or_else(|at| at);
        Box::new(
            (first..self.len())
                .map(|i| (self.key(i), Some(self.value(i))))
                .take_while(move |(k, _)| end.is_none_or(|e| *k < e)),
        )
    }
}

/// Builds runs from puts, best given in ascending key order (then each
/// is copied once); puts out of order are sorted when finished, a later
/// put of a key winning.
#[derive(Default)]
pub struct RunBuilder {
    done: Vec<Run>,
    run: Run,
    sorted: bool,
    started: bool,
    /// How many puts the caller expects in all.
    expected: usize,
}

impl RunBuilder {
    /// A builder for about `entries` puts: once the buffer first fills,
    /// it is sized for the rest by the puts' mean size so far, rather than
    /// doubled again and again (each doubling copies it into fresh
    /// memory).
    pub fn with_expected(entries: usize) -> RunBuilder {
        let mut b = RunBuilder {
            expected: entries,
            ..RunBuilder::default()
        };
        b.run.ends.reserve(entries);
        b
    }

    /// Adds a put of `key`, its value written by `value` at the end of
    /// the buffer it is given — unless `value` returns `false`: then
    /// nothing is added (what it wrote is dropped).
    pub fn push_with(&mut self, key: &[u8], value: impl FnOnce(&mut Vec<u8>) -> bool) {
        let before = self.run.buf.len();
        let done = self.run.ends.len();
        if self.expected > done && self.run.buf.capacity() - before < key.len() + 256 {
            let mean = before.checked_div(done).unwrap_or(key.len() + 64);
            let rest = (self.expected - done).saturating_mul(mean + mean / 8 + 1);
            self.run.buf.reserve(rest.min(u32::MAX as usize));
        }
        self.run.buf.extend_from_slice(key);
        let key_end = self.run.buf.len();
        if !value(&mut self.run.buf) {
            self.run.buf.truncate(before);
            return;
        }
        if !self.started {
            (self.started, self.sorted) = (true, true);
        } else if self.sorted && self.last_key() >= key {
            self.sorted = false;
        }
        let end = self.run.buf.len();
        if let (Ok(k), Ok(e)) = (u32::try_from(key_end), u32::try_from(end)) {
            self.run.ends.push((k, e));
        } else {
            // Offsets are 32-bit: this entry starts the next run.
            let entry = self.run.buf.split_off(before);
            self.done.push(std::mem::take(&mut self.run));
            let k = key_end - before;
            self.run.ends.push((k as u32, entry.len() as u32));
            self.run.buf = entry;
        }
    }

    /// Adds a put of `key` → `value`.
    pub fn push(&mut self, key: &[u8], value: &[u8]) {
        self.push_with(key, |buf| {
            buf.extend_from_slice(value);
            true
        });
    }

    fn last_key(&self) -> &[u8] {
        match self.run.len() {
            0 => self.done.last().map_or(&[], |r| r.key(r.len() - 1)),
            n => self.run.key(n - 1),
        }
    }

    /// The runs, in key order.
    fn finish(mut self) -> Vec<Run> {
        self.done.push(self.run);
        if self.sorted {
            return self.done;
        }
        let mut order: Vec<(usize, usize)> = self
            .done
            .iter()
            .enumerate()
            .flat_map(|(r, run)| (0..run.len()).map(move |i| (r, i)))
            .collect();
        let runs = &self.done;
        order.sort_by(|a, b| runs[a.0].key(a.1).cmp(runs[b.0].key(b.1))); // stable
        let mut out = RunBuilder::default();
        for (j, &(r, i)) in order.iter().enumerate() {
            let key = runs[r].key(i);
            let superseded = order
                .get(j + 1)
                .is_some_and(|&(r2, i2)| runs[r2].key(i2) == key);
            if !superseded {
                out.push(key, runs[r].value(i));
            }
        }
        out.done.push(out.run);
        out.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> Vec<u8> {
        i.to_be_bytes().to_vec()
    }

    fn all(ch: &Changes) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        ch.range(Cf::Nodes, b"", None)
            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect()
    }

    #[test]
    fn put_all_overwrites_whether_few_or_many() {
        let mut ch = Changes::default();
        ch.put_all(Cf::Nodes, (0..100).map(|i| (key(i), b"old".to_vec())));
        // A few into many (inserted one by one) ...
        ch.put_all(
            Cf::Nodes,
            [(key(5), b"a".to_vec()), (key(500), b"a".to_vec())],
        );
        // ... and many into few (merged).
        ch.put_all(Cf::Nodes, (50..300).map(|i| (key(i), b"b".to_vec())));
        ch.delete(Cf::Nodes, key(7));
        let got: BTreeMap<_, _> = all(&ch).into_iter().collect();
        assert_eq!(got.len(), 301);
        assert_eq!(got[&key(5)].as_deref(), Some(&b"a"[..]));
        assert_eq!(got[&key(500)].as_deref(), Some(&b"a"[..]));
        assert_eq!(got[&key(60)].as_deref(), Some(&b"b"[..]));
        assert_eq!(got[&key(49)].as_deref(), Some(&b"old"[..]));
        assert_eq!(got[&key(7)], None);
    }

    /// Runs and single changes in any order read as the same changes
    /// applied one by one to a map: the newest change of a key wins, in
    /// lookups, ranges and the whole iteration, through merges of runs
    /// and savepoint clones.
    #[test]
    fn runs_read_as_the_changes_applied_in_order() {
        let mut rng = crate::rng::Rng::new(7);
        let mut ch = Changes::default();
        let mut model: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        let mut saved = None;
        for step in 0..60u32 {
            match rng.below(4) {
                0 => {
                    // A run over a random stretch, sometimes out of order.
                    let (lo, n) = (
                        rng.below(20_000) as u32,
                        RUN_MIN as u32 + rng.below(3000) as u32,
                    );
                    let mut pairs: Vec<_> = (lo..lo + n)
                        .map(|i| (key(i), format!("r{step}.{i}").into_bytes()))
                        .collect();
                    if rng.below(2) == 0 {
                        pairs.reverse();
                        pairs.push((key(lo), b"last".to_vec()));
                    }
                    for (k, v) in &pairs {
                        model.insert(k.clone(), Some(v.clone()));
                    }
                    ch.put_all(Cf::Nodes, pairs);
                }
                1 => {
                    for _ in 0..50 {
                        let k = key(rng.below(25_000) as u32);
                        let v = format!("p{step}").into_bytes();
                        model.insert(k.clone(), Some(v.clone()));
                        ch.put(Cf::Nodes, k, v);
                    }
                }
                2 => {
                    for _ in 0..50 {
                        let k = key(rng.below(25_000) as u32);
                        model.insert(k.clone(), None);
                        ch.delete(Cf::Nodes, k);
                    }
                }
                _ => saved = Some((ch.clone(), model.clone())),
            }
            for _ in 0..200 {
                let k = key(rng.below(26_000) as u32);
                let want = model.get(&k).map(|v| v.as_deref());
                assert_eq!(ch.pending(Cf::Nodes, &k), want, "step {step}");
            }
            let (a, b) = (key(rng.below(26_000) as u32), key(rng.below(26_000) as u32));
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let got: Vec<_> = ch
                .range(Cf::Nodes, &lo, Some(&hi))
                .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
                .collect();
            let want: Vec<_> = model
                .range(lo.clone()..hi.clone())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(got, want, "step {step}");
            assert!(ch.cfs[Cf::Nodes as usize].runs.len() <= MAX_RUNS);
        }
        assert_eq!(all(&ch), model.into_iter().collect::<Vec<_>>());
        let (ch, model) = saved.expect("a savepoint was taken");
        assert_eq!(all(&ch), model.into_iter().collect::<Vec<_>>());
        assert!(ch.iter().all(|(cf, ..)| cf == Cf::Nodes));
    }

    #[test]
    fn a_builder_sorts_puts_out_of_order_the_last_winning() {
        let mut b = RunBuilder::default();
        for i in [5u32, 3, 9, 3, 1] {
            b.push(&key(i), &[u8::try_from(i).unwrap(), 0]);
        }
        b.push(&key(9), b"new");
        let mut ch = Changes::default();
        ch.put(Cf::Nodes, key(3), b"older".to_vec());
        ch.put_run(Cf::Nodes, b);
        let got: Vec<_> = all(&ch).into_iter().map(|(k, v)| (k, v.unwrap())).collect();
        assert_eq!(
            got,
            [
                (key(1), vec![1, 0]),
                (key(3), vec![3, 0]),
                (key(5), vec![5, 0]),
                (key(9), b"new".to_vec())
            ]
        );
    }
}
