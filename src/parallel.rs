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
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| match h.join() {
                    Ok(state) => state,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    }
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
