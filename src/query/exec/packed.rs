//! Words packed in the narrowest lanes that hold them.

/// 64-bit words (integers, or floats by their bits) stored as their
/// zigzag-coded distance from the first one set, in the narrowest lane —
/// 1, 2, 4 or 8 bytes — that holds every distance: a column of years takes
/// a byte per relationship, not eight. A value that does not fit widens
/// the lanes (re-coding what they hold; at most three times). Slots pushed
/// or grown unset read as the first value: presence is the caller's.
#[derive(Clone, Debug)]
pub(crate) struct Packed {
    first: Option<u64>,
    lanes: Lanes,
}

#[derive(Clone, Debug)]
enum Lanes {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
}

/// Applies `$body` to the lane vector, whatever its width.
macro_rules! each_lane {
    ($lanes:expr, $v:ident => $body:expr) => {
        match $lanes {
            Lanes::U8($v) => $body,
            Lanes::U16($v) => $body,
            Lanes::U32($v) => $body,
            Lanes::U64($v) => $body,
        }
    };
}

fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

impl Lanes {
    /// Empty lanes of the narrowest width that holds `code`.
    fn holding(code: u64, capacity: usize) -> Lanes {
        if u8::try_from(code).is_ok() {
            Lanes::U8(Vec::with_capacity(capacity))
        } else if u16::try_from(code).is_ok() {
            Lanes::U16(Vec::with_capacity(capacity))
        } else if u32::try_from(code).is_ok() {
            Lanes::U32(Vec::with_capacity(capacity))
        } else {
            Lanes::U64(Vec::with_capacity(capacity))
        }
    }

    fn max(&self) -> u64 {
        match self {
            Lanes::U8(_) => u64::from(u8::MAX),
            Lanes::U16(_) => u64::from(u16::MAX),
            Lanes::U32(_) => u64::from(u32::MAX),
            Lanes::U64(_) => u64::MAX,
        }
    }

    fn len(&self) -> usize {
        each_lane!(self, v => v.len())
    }

    #[inline]
    fn get(&self, at: usize) -> u64 {
        match self {
            Lanes::U8(v) => u64::from(v[at]),
            Lanes::U16(v) => u64::from(v[at]),
            Lanes::U32(v) => u64::from(v[at]),
            Lanes::U64(v) => v[at],
        }
    }

    /// Stores `code` (which fits) at `at`, or pushes it when `at` is the
    /// length.
    /// (The caller widened the lanes to hold `code`.)
    fn put(&mut self, at: usize, code: u64) {
        macro_rules! put {
            ($v:ident, $t:ty) => {
                if at == $v.len() {
                    $v.push(code as $t)
                } else {
                    $v[at] = code as $t
                }
            };
        }
        match self {
            Lanes::U8(v) => put!(v, u8),
            Lanes::U16(v) => put!(v, u16),
            Lanes::U32(v) => put!(v, u32),
            Lanes::U64(v) => put!(v, u64),
        }
    }

    fn resize(&mut self, n: usize) {
        each_lane!(self, v => v.resize(n, 0));
    }

    #[cfg(test)]
    fn heap_bytes(&self) -> usize {
        each_lane!(self, v => std::mem::size_of_val(v.as_slice()))
    }
}

impl Packed {
    /// Room for `n` words, in single-byte lanes until a value needs more.
    pub fn with_capacity(n: usize) -> Packed {
        Packed {
            first: None,
            lanes: Lanes::U8(Vec::with_capacity(n)),
        }
    }

    /// `n` unset words in the lanes of `like`, with its first value: its
    /// words copied in never widen them.
    pub fn unset_like(like: &Packed, n: usize) -> Packed {
        let mut lanes = Lanes::holding(like.lanes.max(), n);
        lanes.resize(n);
        Packed {
            first: like.first,
            lanes,
        }
    }

    pub fn len(&self) -> usize {
        self.lanes.len()
    }

    /// The code of `v`, the lanes widened to hold it.
    fn code(&mut self, v: u64) -> u64 {
        let first = *self.first.get_or_insert(v);
        let code = zigzag(v.wrapping_sub(first) as i64);
        if code > self.lanes.max() {
            let mut wider = Lanes::holding(code, self.len().max(1));
            for at in 0..self.len() {
                wider.put(at, self.lanes.get(at));
            }
            self.lanes = wider;
        }
        code
    }

    pub fn push(&mut self, v: u64) {
        let code = self.code(v);
        let at = self.len();
        self.lanes.put(at, code);
    }

    /// Appends an unset slot.
    pub fn push_unset(&mut self) {
        let at = self.len();
        self.lanes.put(at, 0);
    }

    /// Sets word `at` (below the length) to `v`.
    pub fn set(&mut self, at: usize, v: u64) {
        let code = self.code(v);
        self.lanes.put(at, code);
    }

    /// Grows to `n` words, the new ones unset.
    pub fn grow(&mut self, n: usize) {
        if n > self.len() {
            self.lanes.resize(n);
        }
    }

    #[inline]
    pub fn get(&self, at: usize) -> u64 {
        self.first
            .unwrap_or(0)
            .wrapping_add(unzigzag(self.lanes.get(at)) as u64)
    }

    /// Bytes the lanes take.
    #[cfg(test)]
    pub fn heap_bytes(&self) -> usize {
        self.lanes.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_back_as_set_through_every_widening() {
        let words: Vec<u64> = [
            2019i64,
            2020,
            1990,
            2025,
            2019 + 300,
            -5,
            70_000,
            i64::MIN,
            i64::MAX,
        ]
        .iter()
        .map(|&i| i as u64)
        .chain([f64::to_bits(2.5), f64::to_bits(-0.0), u64::MAX])
        .collect();
        let mut p = Packed::with_capacity(4);
        let mut widths = Vec::new();
        for (i, &w) in words.iter().enumerate() {
            p.push(w);
            widths.push(p.heap_bytes() / p.len());
            for (j, &want) in words[..=i].iter().enumerate() {
                assert_eq!(p.get(j), want, "word {j} after pushing {i}");
            }
        }
        // Years fit a byte, then two, four and eight bytes as distances grow.
        assert_eq!(widths[..4], [1, 1, 1, 1]);
        assert_eq!(widths[4], 2);
        assert_eq!(*widths.last().unwrap(), 8);

        let mut q = Packed::unset_like(&p, words.len());
        for (at, &w) in words.iter().enumerate().rev() {
            q.set(at, w);
        }
        assert_eq!(
            (0..words.len()).map(|i| q.get(i)).collect::<Vec<_>>(),
            words
        );

        let mut r = Packed::with_capacity(0);
        r.push_unset();
        r.grow(3);
        r.set(2, 7);
        assert_eq!((r.len(), r.get(2), r.heap_bytes()), (3, 7, 3));
    }
}
