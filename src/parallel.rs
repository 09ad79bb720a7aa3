//! The crate's one way to spread work over the cores: a parallel for (and
//! map) over an index range, and a parallel fill of a table's rows, on
//! scoped threads, one per core. The vector engines, the projection
//! build and the embedder use it.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `f(state, i)` for every `i` in `range` on all cores, each thread
/// with its own `state` from `init`, at most one thread per `grain` items.
/// Items are handed out one at a time from a shared counter, so a slow
/// item does not hold up a whole share. Returns the threads' states (in
/// no particular order), for what they gathered.
pub fn for_each<S: Send>(
    range: std::ops::Range<usize>,
    grain: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize) + Sync,
) -> Vec<S> {
    let next = AtomicUsize::new(range.start);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(range.len().div_ceil(grain.max(1)))
        .max(1);
    let work = || {
        let mut state = init();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= range.end {
                break;
            }
            f(&mut state, i);
        }
        state
    };
    if threads == 1 {
        vec![work()]
    } else {
        // The calling thread works too (see `for_each_in`).
        std::thread::scope(|scope| {
            let work = &work;
            let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut states = vec![work()];
            states.extend(handles.into_iter().map(|h| match h.join() {
                Ok(state) => state,
                Err(panic) => std::panic::resume_unwind(panic),
            }));
            states
        })
    }
}

/// As [`for_each`], but each thread works in one of `states`, which the
/// caller keeps for the next call: scratch that is costly to allocate and
/// fault in (tables sized to a graph) is then allocated once, not once
/// per call. Uses at most `states.len()` threads (at least one state is
/// needed when the range is not empty).
pub fn for_each_in<S: Send>(
    states: &mut [S],
    range: std::ops::Range<usize>,
    grain: usize,
    f: impl Fn(&mut S, usize) + Sync,
) {
    let next = AtomicUsize::new(range.start);
    let threads = states.len().min(range.len().div_ceil(grain.max(1))).max(1);
    let work = |state: &mut S| {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= range.end {
                break;
            }
            f(state, i);
        }
    };
    match states {
        [] => assert!(range.is_empty(), "for_each_in needs a state"),
        [state, ..] if threads == 1 => work(state),
        _ => std::thread::scope(|scope| {
            // The calling thread works too, and starts at once: a new
            // thread can take milliseconds to be scheduled on a core that
            // was idle (a virtual machine's idle vCPU is halted), and
            // whatever it finds left is its share.
            let work = &work;
            let (mine, others) = states[..threads].split_at_mut(1);
            let handles: Vec<_> = others
                .iter_mut()
                .map(|state| scope.spawn(move || work(state)))
                .collect();
            work(&mut mine[0]);
            for h in handles {
                if let Err(panic) = h.join() {
                    std::panic::resume_unwind(panic);
                }
            }
        }),
    }
}

/// A value alone on its cache lines (128 bytes: two lines, as the
/// adjacent-line prefetcher pairs them): the threads' states of
/// [`for_each_in`] sit side by side in one slice, and a thread updating
/// its vectors' lengths would otherwise keep taking the line its
/// neighbour is writing.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Padded<T>(pub T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Padded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// The number of threads [`for_each`] and [`for_each_in`] run on: one per
/// core.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `f(part)` for each of `parts` (a thread each; the caller makes about
/// one part per core), the results in the parts' order.
pub fn each<T: Send, R: Send>(parts: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    if parts.len() <= 1 {
        return parts.into_iter().map(f).collect();
    }
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || f(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// `f(0..n)` computed on all cores (a contiguous share per thread), in
/// order.
pub fn map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    rows(&mut vec![(); n], 1, |i, _| f(i))
}

/// Fills `out`, rows of `stride` items, on all cores (a contiguous share
/// of rows per thread): `f(i, row)` writes row `i` and returns what the
/// caller keeps of it, in row order.
pub fn rows<T: Send, R: Send>(
    out: &mut [T],
    stride: usize,
    f: impl Fn(usize, &mut [T]) -> R + Sync,
) -> Vec<R> {
    let stride = stride.max(1);
    let n = out.len() / stride;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let share = n.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = out
            .chunks_mut(share * stride)
            .enumerate()
            .map(|(part, chunk)| {
                let f = &f;
                scope.spawn(move || {
                    chunk
                        .chunks_exact_mut(stride)
                        .enumerate()
                        .map(|(k, row)| f(part * share + k, row))
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| match p.join() {
                Ok(part) => part,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_visited_once() {
        let seen: Vec<AtomicUsize> = (0..10_000).map(|_| AtomicUsize::new(0)).collect();
        for_each(
            100..10_000,
            64,
            || (),
            |(), i| {
                seen[i].fetch_add(1, Ordering::Relaxed);
            },
        );
        assert!(seen[..100].iter().all(|s| s.load(Ordering::Relaxed) == 0));
        assert!(seen[100..].iter().all(|s| s.load(Ordering::Relaxed) == 1));
    }

    #[test]
    fn for_each_in_visits_every_item_once_and_keeps_the_states() {
        let mut states = vec![Vec::<usize>::new(); 3];
        for round in 0..2 {
            for_each_in(&mut states, 0..1000, 16, Vec::push);
            let mut all: Vec<usize> = states.iter().flatten().copied().collect();
            all.sort_unstable();
            // Kept from the last round: every item once more each round.
            let want: Vec<usize> = (0..1000)
                .flat_map(|i| std::iter::repeat_n(i, round + 1))
                .collect();
            assert_eq!(all, want);
        }
        // Fewer items than a grain: one thread, the first state.
        let mut states = vec![0usize; 2];
        for_each_in(&mut states, 5..7, 64, |n, _| *n += 1);
        assert_eq!(states, vec![2, 0]);
    }

    #[test]
    fn each_runs_every_part_and_keeps_the_order() {
        for n in [0, 1, 2, 5] {
            let mut cells = vec![0usize; n];
            let parts: Vec<(usize, &mut usize)> = cells.iter_mut().enumerate().collect();
            let back = each(parts, |(i, cell)| {
                *cell = i + 1;
                i * 3
            });
            assert_eq!(back, (0..n).map(|i| i * 3).collect::<Vec<_>>());
            assert_eq!(cells, (1..=n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn map_keeps_the_order() {
        for n in [0, 1, 2, 3, 1_001] {
            assert_eq!(map(n, |i| i * 2), (0..n).map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn rows_fills_every_row_with_its_number() {
        for n in [0, 1, 3, 1_001] {
            let mut table = vec![0usize; n * 3];
            let back = rows(&mut table, 3, |i, row| {
                row.fill(i);
                i * 2
            });
            assert_eq!(back, (0..n).map(|i| i * 2).collect::<Vec<_>>());
            assert!(table.chunks(3).enumerate().all(|(i, r)| r == [i, i, i]));
        }
    }
}
