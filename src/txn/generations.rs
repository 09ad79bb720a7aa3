//! Commit generations: which commit a snapshot shows, and which
//! generations open snapshots still need.
//!
//! Every commit that writes gets the next generation number. Before its
//! batch is written, the commit records the first storage sequence number
//! its writes can have (the store's latest sequence number plus one; only
//! the single writer writes). A snapshot's sequence number then says
//! exactly which commits it contains: every commit whose first sequence
//! number is at or below it. So a reader learns its generation without
//! ever waiting for a writer, whatever the timing of the two.
//!
//! Read transactions register while they are open, so a model can tell
//! which old state no snapshot can see any more (the *horizon*) and
//! reclaim it: the vector index keeps a deleted point findable for older
//! snapshots and unlinks it only once the horizon has passed its deletion.

use std::collections::{BTreeMap, VecDeque};

use parking_lot::Mutex;

/// How many recent commits are remembered for mapping snapshots to
/// generations. A snapshot is mapped right after it is taken, so only the
/// last one or two matter; a snapshot older than all of them is retaken.
const REMEMBERED: usize = 64;

/// The commit log and the registry of open readers.
#[derive(Debug)]
pub(crate) struct Generations {
    inner: Mutex<Log>,
}

#[derive(Debug)]
struct Log {
    /// The newest generation whose commit has returned (or is returning).
    published: u64,
    /// The generation the next commit gets (a failed commit burns its
    /// number, so numbers are never reused).
    next: u64,
    /// `(first sequence number, generation)` of recent commits, oldest
    /// first, with the state at open as generation 0 from sequence 0.
    commits: VecDeque<(u64, u64)>,
    /// Open readers, by the generation they registered at.
    readers: BTreeMap<u64, usize>,
}

impl Generations {
    /// The log of a database just opened: its state is generation 0.
    pub fn new() -> Generations {
        Generations {
            inner: Mutex::new(Log {
                published: 0,
                next: 1,
                commits: VecDeque::from([(0, 0)]),
                readers: BTreeMap::new(),
            }),
        }
    }

    /// Starts a commit whose writes get sequence numbers from `first_seq`
    /// on; returns its generation. Call [`publish`](Self::publish) or
    /// [`abandon`](Self::abandon) after the write.
    pub fn begin_commit(&self, first_seq: u64) -> u64 {
        let mut log = self.inner.lock();
        let g = log.next;
        log.next += 1;
        log.commits.push_back((first_seq, g));
        while log.commits.len() > REMEMBERED {
            log.commits.pop_front();
        }
        g
    }

    /// The commit of generation `g` failed: nothing of it was written.
    pub fn abandon(&self, g: u64) {
        self.inner.lock().commits.retain(|&(_, c)| c != g);
    }

    /// The commit of generation `g` is durable.
    pub fn publish(&self, g: u64) {
        let mut log = self.inner.lock();
        log.published = log.published.max(g);
    }

    /// The newest published generation.
    pub fn published(&self) -> u64 {
        self.inner.lock().published
    }

    /// The generation a snapshot with sequence number `seq` shows, or
    /// `None` when the log no longer reaches back that far (take a new
    /// snapshot).
    pub fn generation_of(&self, seq: u64) -> Option<u64> {
        let log = self.inner.lock();
        let (&(oldest, _), rest) = (log.commits.front()?, &log.commits);
        if seq < oldest && oldest > 0 {
            return None;
        }
        rest.iter()
            .rev()
            .find(|&&(first, _)| first <= seq)
            .map(|&(_, g)| g)
    }

    /// Registers a reader about to take a snapshot. Returns the generation
    /// it is registered at: a lower bound of the generation its snapshot
    /// will show, so nothing it can see is reclaimed.
    pub fn register(&self) -> u64 {
        let mut log = self.inner.lock();
        let g = log.published;
        *log.readers.entry(g).or_default() += 1;
        g
    }

    /// Ends a registration made by [`register`](Self::register).
    pub fn unregister(&self, registered: u64) {
        let mut log = self.inner.lock();
        if let Some(n) = log.readers.get_mut(&registered) {
            *n -= 1;
            if *n == 0 {
                log.readers.remove(&registered);
            }
        }
    }

    /// The oldest generation an open reader may show (the newest published
    /// one when no reader is open): state removed at or before it is
    /// invisible to every snapshot, now and later.
    pub fn horizon(&self) -> u64 {
        let log = self.inner.lock();
        log.readers
            .keys()
            .next()
            .copied()
            .unwrap_or(log.published)
            .min(log.published)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_map_to_the_commits_they_contain() {
        let g = Generations::new();
        assert_eq!(g.generation_of(0), Some(0));
        assert_eq!(g.generation_of(41), Some(0));
        // Commit 1 writes sequence numbers 42.., commit 2 fails, commit 3
        // writes 50...
        let c1 = g.begin_commit(42);
        assert_eq!(g.generation_of(41), Some(0), "taken before the write");
        assert_eq!(g.generation_of(42), Some(c1), "sees the write, unpublished");
        g.publish(c1);
        let c2 = g.begin_commit(50);
        g.abandon(c2);
        let c3 = g.begin_commit(50);
        g.publish(c3);
        assert_eq!((c1, c2, c3), (1, 2, 3));
        assert_eq!(g.generation_of(49), Some(1));
        assert_eq!(g.generation_of(50), Some(3));
        assert_eq!(g.published(), 3);
    }

    #[test]
    fn the_horizon_waits_for_the_oldest_reader() {
        let g = Generations::new();
        let c = g.begin_commit(10);
        g.publish(c);
        let old = g.register();
        for seq in [20, 30] {
            let c = g.begin_commit(seq);
            g.publish(c);
        }
        assert_eq!(g.horizon(), old);
        let newer = g.register();
        g.unregister(old);
        assert_eq!(g.horizon(), newer);
        g.unregister(newer);
        assert_eq!(g.horizon(), g.published());
    }

    #[test]
    fn a_snapshot_older_than_the_log_is_retaken() {
        let g = Generations::new();
        for i in 0..(REMEMBERED as u64 + 5) {
            let c = g.begin_commit(100 + i);
            g.publish(c);
        }
        assert_eq!(g.generation_of(99), None);
        assert_eq!(g.generation_of(1_000), Some(REMEMBERED as u64 + 5));
    }
}
