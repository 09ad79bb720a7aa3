//! Storage: the key-value layer under the graph and vector layers.
//!
//! * [`schema`] declares every column family, key layout and tuning.
//! * [`keys`] builds the order-preserving keys; [`codec`] encodes values.
//! * [`rocks`] is the only module that names `rocksdb`.
//!
//! Above this module everything reads through [`KvRead`] and writes through
//! [`Changes`], so a second backend would replace `rocks` alone. Long reads
//! that a caller may stop early go through [`Pages`]: a range read a page
//! at a time, resumed from a continuation key — the shape a remote store's
//! `scan(range, limit)` has too.

mod changes;
pub mod codec;
pub mod files;
pub mod keys;
pub mod rocks;
pub mod schema;

#[cfg(any(test, feature = "fuzzing"))]
use std::collections::BTreeMap;

pub use changes::{Changes, RunBuilder};
pub use rocks::{Snapshot, SstWriter, Store, StoreOptions};
pub use schema::Cf;

use crate::error::Result;

/// The storage reads made on one thread: point lookups, seeks (each scan
/// starts with one) and the entries scans passed. `PROFILE` reports them
/// per step. Reads made on helper threads (a projection built on every
/// core) are not counted; pending changes of a write transaction are not
/// storage reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reads {
    /// Point lookups by key.
    pub lookups: u64,
    /// Seeks: a scan's start, or a reused cursor moved to a new prefix.
    pub seeks: u64,
    /// Entries scans passed.
    pub entries: u64,
}

thread_local! {
    static READS: std::cell::Cell<Reads> = const {
        std::cell::Cell::new(Reads { lookups: 0, seeks: 0, entries: 0 })
    };
}

impl Reads {
    /// The reads this thread has made so far.
    #[must_use]
    pub fn now() -> Reads {
        READS.with(std::cell::Cell::get)
    }

    /// The reads made between `earlier` and `self`.
    #[must_use]
    pub fn since(self, earlier: Reads) -> Reads {
        Reads {
            lookups: self.lookups.saturating_sub(earlier.lookups),
            seeks: self.seeks.saturating_sub(earlier.seeks),
            entries: self.entries.saturating_sub(earlier.entries),
        }
    }

    /// The reads of `self` and `other` together.
    #[must_use]
    pub(crate) fn plus(self, other: Reads) -> Reads {
        Reads {
            lookups: self.lookups.saturating_add(other.lookups),
            seeks: self.seeks.saturating_add(other.seeks),
            entries: self.entries.saturating_add(other.entries),
        }
    }

    /// Counts reads made on this thread.
    pub(crate) fn count(lookups: u64, seeks: u64, entries: u64) {
        READS.with(|r| {
            let mut now = r.get();
            now.lookups += lookups;
            now.seeks += seeks;
            now.entries += entries;
            r.set(now);
        });
    }
}

/// A visitor over `(key, value)` pairs; returns `false` to stop the scan.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool> + 'a;

/// A reusable scanner over one column family: repeated prefix scans reuse
/// one storage iterator (a seek each) instead of creating one per scan.
pub trait Cursor {
    /// Calls `visit` for every key starting with `prefix`, in key order,
    /// until it returns `false`.
    fn scan(&mut self, prefix: &[u8], visit: &mut Visit<'_>) -> Result<()>;
}

/// The fallback cursor: one [`KvRead::scan`] per call.
struct ScanCursor<'a, K: KvRead + ?Sized> {
    kv: &'a K,
    cf: Cf,
}

impl<K: KvRead + ?Sized> Cursor for ScanCursor<'_, K> {
    fn scan(&mut self, prefix: &[u8], visit: &mut Visit<'_>) -> Result<()> {
        self.kv.scan(self.cf, prefix, visit)
    }
}

/// Read access to the key-value store: the live database, a snapshot, or a
/// write transaction's view (its uncommitted changes over the database).
pub trait KvRead: Sync {
    /// The value stored at `key`.
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Calls `visit` for every key in `start..end` (`None`: to the last
    /// key), in key order, until it returns `false`.
    fn scan_range(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()>;

    /// [`scan_range`](Self::scan_range) for a large range read once (a
    /// projection build): the backend may read ahead and bypass its cache.
    fn scan_bulk(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        self.scan_range(cf, start, end, visit)
    }

    /// Calls `visit` for every key starting with `prefix`, in key order,
    /// until it returns `false`.
    fn scan(&self, cf: Cf, prefix: &[u8], visit: &mut Visit<'_>) -> Result<()> {
        let end = keys::prefix_end(prefix);
        self.scan_range(cf, prefix, end.as_deref(), visit)
    }

    /// A cursor for many prefix scans of `cf` on this view.
    fn cursor(&self, cf: Cf) -> Result<Box<dyn Cursor + '_>> {
        Ok(Box::new(ScanCursor { kv: self, cf }))
    }

    /// Whether any key starts with `prefix`.
    fn any(&self, cf: Cf, prefix: &[u8]) -> Result<bool> {
        let mut found = false;
        self.scan(cf, prefix, &mut |_, _| {
            found = true;
            Ok(false)
        })?;
        Ok(found)
    }
}

/// A key range read lazily, a page at a time: the first page is small and
/// each next one twice as large (up to [`Pages::MAX_PAGE`]), so a caller
/// that stops after ten entries reads about a page of them, and a long read
/// costs one seek per page. Each page resumes from the key after the last
/// one read, so the view must not change under it (a snapshot, or a write
/// transaction the reader borrows).
pub struct Pages<'a> {
    kv: &'a dyn KvRead,
    cf: Cf,
    /// Where the next page starts; `None` once the range is exhausted.
    next: Option<Vec<u8>>,
    end: Option<Vec<u8>>,
    /// The current page: keys and values back to back in `buf`, with
    /// `(key end, value end)` offsets per entry.
    buf: Vec<u8>,
    spans: Vec<(usize, usize)>,
    at: usize,
    size: usize,
}

impl<'a> Pages<'a> {
    /// The first page's size.
    pub const FIRST_PAGE: usize = 16;
    /// The largest page.
    pub const MAX_PAGE: usize = 4096;

    /// The entries of `cf` in `start..end` (`None`: to the last key).
    pub fn range(kv: &'a dyn KvRead, cf: Cf, start: &[u8], end: Option<&[u8]>) -> Pages<'a> {
        Pages {
            kv,
            cf,
            next: Some(start.to_vec()),
            end: end.map(<[u8]>::to_vec),
            buf: Vec::new(),
            spans: Vec::new(),
            at: 0,
            size: Self::FIRST_PAGE,
        }
    }

    /// The entries of `cf` whose key starts with `prefix`.
    pub fn prefix(kv: &'a dyn KvRead, cf: Cf, prefix: &[u8]) -> Pages<'a> {
        let end = keys::prefix_end(prefix);
        Self::range(kv, cf, prefix, end.as_deref())
    }

    /// The next entry, `None` at the end of the range.
    pub fn next_entry(&mut self) -> Option<Result<(&[u8], &[u8])>> {
        if self.at == self.spans.len() {
            if let Err(e) = self.fill() {
                self.next = None;
                return Some(Err(e));
            }
            if self.spans.is_empty() {
                return None;
            }
        }
        let start = if self.at == 0 {
            0
        } else {
            self.spans[self.at - 1].1
        };
        let (key_end, value_end) = self.spans[self.at];
        self.at += 1;
        Some(Ok((
            &self.buf[start..key_end],
            &self.buf[key_end..value_end],
        )))
    }

    /// Reads the next page.
    fn fill(&mut self) -> Result<()> {
        self.buf.clear();
        self.spans.clear();
        self.at = 0;
        let Some(start) = self.next.take() else {
            return Ok(());
        };
        let (buf, spans, limit) = (&mut self.buf, &mut self.spans, self.size);
        let mut last: Option<Vec<u8>> = None;
        self.kv
            .scan_range(self.cf, &start, self.end.as_deref(), &mut |k, v| {
                if spans.len() == limit {
                    // One more exists: the next page starts right here.
                    last = Some(k.to_vec());
                    return Ok(false);
                }
                buf.extend_from_slice(k);
                let key_end = buf.len();
                buf.extend_from_slice(v);
                spans.push((key_end, buf.len()));
                Ok(true)
            })?;
        self.next = last;
        self.size = (self.size * 2).min(Self::MAX_PAGE);
        Ok(())
    }
}

/// A write transaction's view: its pending changes laid over a base.
pub struct Overlay<'a, B: KvRead + ?Sized> {
    base: &'a B,
    changes: Changes,
}

impl<'a, B: KvRead + ?Sized> Overlay<'a, B> {
    /// `base` with nothing pending yet.
    pub fn new(base: &'a B) -> Self {
        Overlay {
            base,
            changes: Changes::default(),
        }
    }

    /// The pending changes.
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// The pending changes, to add to.
    pub fn changes_mut(&mut self) -> &mut Changes {
        &mut self.changes
    }
}

impl<B: KvRead + ?Sized> KvRead for Overlay<'_, B> {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.changes.pending(cf, key) {
            Some(v) => Ok(v.map(<[u8]>::to_vec)),
            None => self.base.get(cf, key),
        }
    }

    fn scan_range(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        self.merged(cf, start, end, false, visit)
    }

    fn scan_bulk(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        self.merged(cf, start, end, true, visit)
    }
}

impl<B: KvRead + ?Sized> Overlay<'_, B> {
    /// The base's scan (`bulk`: its bulk scan) merged with the pending
    /// changes: a pending key shadows the base key, a pending delete
    /// hides it.
    fn merged(
        &self,
        cf: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        bulk: bool,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        let mut pending = self.changes.range(cf, start, end).peekable();
        let mut stopped = false;
        let scan = if bulk { B::scan_bulk } else { B::scan_range };
        scan(self.base, cf, start, end, &mut |key, value| {
            while let Some(&(pk, pv)) = pending.peek() {
                if pk > key {
                    break;
                }
                pending.next();
                if pk == key {
                    // Shadowed: emit the pending version (if any) instead.
                    return match pv {
                        Some(v) => emit(visit, pk, v, &mut stopped),
                        None => Ok(true),
                    };
                }
                if let Some(v) = pv
                    && !emit(visit, pk, v, &mut stopped)?
                {
                    return Ok(false);
                }
            }
            emit(visit, key, value, &mut stopped)
        })?;
        if stopped {
            return Ok(());
        }
        for (pk, pv) in pending {
            if let Some(v) = pv
                && !visit(pk, v)?
            {
                break;
            }
        }
        Ok(())
    }
}

fn emit(visit: &mut Visit<'_>, key: &[u8], value: &[u8], stopped: &mut bool) -> Result<bool> {
    let go_on = visit(key, value)?;
    *stopped |= !go_on;
    Ok(go_on)
}

/// A store held in memory (one key space for every column family), for
/// the crate's tests and the fuzz targets.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) struct MemKv(pub BTreeMap<Vec<u8>, Vec<u8>>);

#[cfg(any(test, feature = "fuzzing"))]
impl KvRead for MemKv {
    fn get(&self, _: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }

    fn scan_range(
        &self,
        _: Cf,
        start: &[u8],
        end: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<()> {
        for (k, v) in self.0.range(start.to_vec()..) {
            if end.is_some_and(|e| k.as_slice() >= e) || !visit(k, v)? {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use MemKv as Mem;

    fn collect(kv: &dyn KvRead, prefix: &[u8], limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        kv.scan(Cf::Nodes, prefix, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            Ok(out.len() < limit)
        })
        .unwrap();
        out
    }

    #[test]
    fn overlay_scan_merges_in_key_order() {
        let base = Mem([(b"a1", b"x"), (b"a3", b"x"), (b"a5", b"x"), (b"b1", b"x")]
            .iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect());
        let mut ch = Changes::default();
        ch.put(Cf::Nodes, b"a0".to_vec(), b"new".to_vec());
        ch.put(Cf::Nodes, b"a3".to_vec(), b"upd".to_vec());
        ch.delete(Cf::Nodes, b"a5".to_vec());
        ch.put(Cf::Nodes, b"a9".to_vec(), b"new".to_vec());
        ch.put(Cf::Edges, b"a2".to_vec(), b"other cf".to_vec());
        let mut ov = Overlay::new(&base);
        *ov.changes_mut() = ch;
        let all = collect(&ov, b"a", usize::MAX);
        let keys: Vec<&[u8]> = all.iter().map(|(k, _)| k.as_slice()).collect();
        assert_eq!(keys, [&b"a0"[..], b"a1", b"a3", b"a9"]);
        assert_eq!(all[2].1, b"upd");
        // Early stop is honoured on both sides of the merge.
        for limit in 1..=4 {
            assert_eq!(collect(&ov, b"a", limit).len(), limit);
        }
        assert_eq!(ov.get(Cf::Nodes, b"a5").unwrap(), None);
        assert_eq!(ov.get(Cf::Nodes, b"b1").unwrap(), Some(b"x".to_vec()));
        assert!(!ov.any(Cf::Nodes, b"c").unwrap());
    }

    #[test]
    fn pages_read_a_range_lazily_and_completely() {
        let n = 5_000u32;
        let base = Mem((0..n)
            .map(|i| {
                (
                    i.to_be_bytes().to_vec(),
                    vec![u8::try_from(i % 251).unwrap()],
                )
            })
            .collect());
        let mut pages = Pages::range(&base, Cf::Nodes, &[], None);
        let mut seen = 0u32;
        while let Some(entry) = pages.next_entry() {
            let (k, v) = entry.unwrap();
            assert_eq!(k, seen.to_be_bytes());
            assert_eq!(v, [u8::try_from(seen % 251).unwrap()]);
            seen += 1;
        }
        assert_eq!(seen, n);
        // Stopping early has read one small page.
        let prefix = [0u8, 0];
        let mut pages = Pages::prefix(&base, Cf::Nodes, &prefix);
        for _ in 0..10 {
            pages.next_entry().unwrap().unwrap();
        }
        assert!(pages.spans.len() <= Pages::FIRST_PAGE);
    }
}
