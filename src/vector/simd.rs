//! Distance kernels: AVX-512 when the CPU has it, else AVX2 + FMA (detected
//! once at run time), a portable 8-lane loop otherwise. All give the same
//! results up to float rounding.

use std::sync::OnceLock;

type Kernel = fn(&[f32], &[f32]) -> f32;

struct Kernels {
    dot: Kernel,
    l2: Kernel,
    /// `Σ codes_i · q_i` over 8-bit codes and a 16-bit query.
    dot_codes: fn(&[u8], &[i16]) -> i32,
    /// One-bit codes against a bit-plane query (see [`bit_dot`]).
    bit_dot: fn(&[u64], &[u64]) -> (u32, u32),
}

fn kernels() -> &'static Kernels {
    static K: OnceLock<Kernels> = OnceLock::new();
    K.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        let bit_dot = if std::is_x86_feature_detected!("popcnt") {
            popcnt::bit_dot
        } else {
            portable::bit_dot
        };
        #[cfg(not(target_arch = "x86_64"))]
        let bit_dot = portable::bit_dot;
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") {
            return Kernels {
                dot: avx512::dot,
                l2: avx512::l2_squared,
                dot_codes: if std::is_x86_feature_detected!("avx2") {
                    avx2::dot_codes
                } else {
                    portable::dot_codes
                },
                bit_dot,
            };
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Kernels {
                dot: avx2::dot,
                l2: avx2::l2_squared,
                dot_codes: avx2::dot_codes,
                bit_dot,
            };
        }
        Kernels {
            dot: portable::dot,
            l2: portable::l2_squared,
            dot_codes: portable::dot_codes,
            bit_dot,
        }
    })
}

/// `Σ a_i b_i`. The slices must have the same length.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    (kernels().dot)(a, b)
}

/// `Σ (a_i - b_i)²`. The slices must have the same length.
#[inline]
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    (kernels().l2)(a, b)
}

/// `Σ codes_i · q_i`: the integer dot product of 8-bit codes with a query
/// of 16-bit weights. The slices must have the same length, and
/// `255 · Σ |q_i|` must fit an `i32` (the caller scales the query so).
#[inline]
pub fn dot_codes(codes: &[u8], q: &[i16]) -> i32 {
    (kernels().dot_codes)(codes, q)
}

/// One-bit codes against a query given as bit planes (`planes` holds
/// `planes.len() / code.len()` planes of `code.len()` words, plane `j`
/// weighing `2^j`): `(Σ_j 2^j · popcount(code & plane_j),
/// popcount(code))` — the dot product of the code's bits with the
/// query's integer levels, and the code's number of ones.
#[inline]
pub fn bit_dot(code: &[u64], planes: &[u64]) -> (u32, u32) {
    (kernels().bit_dot)(code, planes)
}

/// Asks the CPU to start loading the first `lines` cache lines of `bytes`.
#[inline]
pub fn prefetch_bytes(bytes: &[u8], lines: usize) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code, reason = "the prefetch intrinsic is an unsafe function")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address,
    // and SSE is part of the x86_64 baseline. `wrapping_add` keeps the
    // address computation itself defined.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = bytes.as_ptr().cast::<i8>();
        for l in 0..lines.min(bytes.len().div_ceil(64)) {
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64 * l));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (bytes, lines);
}

/// Asks the CPU to start loading `v`'s first cache lines.
#[inline]
pub fn prefetch(v: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code, reason = "the prefetch intrinsic is an unsafe function")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address,
    // and SSE is part of the x86_64 baseline.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = v.as_ptr().cast::<i8>();
        _mm_prefetch::<_MM_HINT_T0>(p);
        if v.len() > 16 {
            _mm_prefetch::<_MM_HINT_T0>(p.add(64));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// Asks the CPU to start loading the first cache line of `words` (a
/// neighbour list).
#[inline]
pub fn prefetch_words(words: &[std::sync::atomic::AtomicU32]) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code, reason = "the prefetch intrinsic is an unsafe function")]
    // SAFETY: as in `prefetch`: a hint that never faults.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(words.as_ptr().cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = words;
}

mod portable {
    /// `Σ term(a_i, b_i)` over eight lanes (which the compiler vectorises
    /// with whatever SIMD the target has).
    #[inline]
    fn sum(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
        let mut acc = [0f32; 8];
        let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
        let tail: f32 = ca
            .remainder()
            .iter()
            .zip(cb.remainder())
            .map(|(x, y)| term(*x, *y))
            .sum();
        for (x, y) in ca.zip(cb) {
            for i in 0..8 {
                acc[i] += term(x[i], y[i]);
            }
        }
        acc.iter().sum::<f32>() + tail
    }

    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        sum(a, b, |x, y| x * y)
    }

    pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        sum(a, b, |x, y| (x - y) * (x - y))
    }

    pub fn dot_codes(codes: &[u8], q: &[i16]) -> i32 {
        let mut acc = [0i32; 16];
        let (cc, cq) = (codes.chunks_exact(16), q.chunks_exact(16));
        let tail: i32 = cc
            .remainder()
            .iter()
            .zip(cq.remainder())
            .map(|(c, w)| i32::from(*c) * i32::from(*w))
            .sum();
        for (c, w) in cc.zip(cq) {
            for i in 0..16 {
                acc[i] += i32::from(c[i]) * i32::from(w[i]);
            }
        }
        acc.iter().sum::<i32>() + tail
    }

    #[inline]
    pub fn bit_dot(code: &[u64], planes: &[u64]) -> (u32, u32) {
        let mut weighted = 0;
        for (j, plane) in planes.chunks_exact(code.len().max(1)).enumerate() {
            let ones: u32 = code
                .iter()
                .zip(plane)
                .map(|(a, b)| (a & b).count_ones())
                .sum();
            weighted += ones << j;
        }
        (weighted, code.iter().map(|c| c.count_ones()).sum())
    }
}

/// [`bit_dot`] with the CPU's popcount instruction (the portable form
/// compiles to a dozen shifts and masks a word on the x86-64 baseline).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code, reason = "calling a target_feature function is unsafe")]
mod popcnt {
    #[target_feature(enable = "popcnt")]
    fn bit_dot_popcnt(code: &[u64], planes: &[u64]) -> (u32, u32) {
        super::portable::bit_dot(code, planes)
    }

    pub fn bit_dot(code: &[u64], planes: &[u64]) -> (u32, u32) {
        // SAFETY: chosen by `kernels()` only when the CPU has popcnt.
        unsafe { bit_dot_popcnt(code, planes) }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(
    unsafe_code,
    clippy::many_single_char_names,
    reason = "SIMD intrinsics are unsafe functions; kernels use the maths names"
)]
mod avx2 {
    use std::arch::x86_64::{
        __m256, _mm_add_epi32, _mm_add_ps, _mm_add_ss, _mm_cvtsi128_si32, _mm_cvtss_f32,
        _mm_loadu_si128, _mm_movehl_ps, _mm_shuffle_epi32, _mm_shuffle_ps, _mm256_add_epi32,
        _mm256_add_ps, _mm256_castps256_ps128, _mm256_castsi256_si128, _mm256_cvtepu8_epi16,
        _mm256_extractf128_ps, _mm256_extracti128_si256, _mm256_fmadd_ps, _mm256_loadu_ps,
        _mm256_loadu_si256, _mm256_madd_epi16, _mm256_setzero_ps, _mm256_setzero_si256,
        _mm256_sub_ps,
    };

    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps::<1>(v);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
        _mm_cvtss_f32(s)
    }

    /// `acc + x·y` (dot) or `acc + (x-y)²` (squared L2), lane-wise.
    #[target_feature(enable = "avx2,fma")]
    fn term<const L2: bool>(x: __m256, y: __m256, acc: __m256) -> __m256 {
        if L2 {
            let d = _mm256_sub_ps(x, y);
            _mm256_fmadd_ps(d, d, acc)
        } else {
            _mm256_fmadd_ps(x, y, acc)
        }
    }

    /// `Σ a_i b_i` or `Σ (a_i - b_i)²`: four independent accumulators, so
    /// the FMA latency chain is a quarter as long as the vector.
    #[target_feature(enable = "avx2,fma")]
    fn sum<const L2: bool>(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let mut acc = [_mm256_setzero_ps(); 4];
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut i = 0;
        // SAFETY (all loads below): `i + 8 * lanes <= n` and both slices
        // hold at least `n` floats, so every 8-float unaligned load reads
        // inside them.
        while i + 32 <= n {
            for (k, acc) in acc.iter_mut().enumerate() {
                let at = i + 8 * k;
                let (x, y) = unsafe { (_mm256_loadu_ps(pa.add(at)), _mm256_loadu_ps(pb.add(at))) };
                *acc = term::<L2>(x, y, *acc);
            }
            i += 32;
        }
        while i + 8 <= n {
            let (x, y) = unsafe { (_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i))) };
            acc[0] = term::<L2>(x, y, acc[0]);
            i += 8;
        }
        let mut total = hsum(_mm256_add_ps(
            _mm256_add_ps(acc[0], acc[1]),
            _mm256_add_ps(acc[2], acc[3]),
        ));
        for j in i..n {
            total += if L2 {
                (a[j] - b[j]) * (a[j] - b[j])
            } else {
                a[j] * b[j]
            };
        }
        total
    }

    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: installed only after AVX2 and FMA were detected.
        unsafe { sum::<false>(a, b) }
    }

    pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: installed only after AVX2 and FMA were detected.
        unsafe { sum::<true>(a, b) }
    }

    /// 16 codes a step: widened to 16-bit lanes, multiplied by the query's
    /// 16-bit weights and summed in pairs into 32-bit lanes (`vpmaddwd`);
    /// two accumulators.
    #[target_feature(enable = "avx2")]
    fn sum_codes(codes: &[u8], q: &[i16]) -> i32 {
        let n = codes.len().min(q.len());
        let (pc, pq) = (codes.as_ptr(), q.as_ptr());
        let mut acc = [_mm256_setzero_si256(); 2];
        let mut i = 0;
        // SAFETY (all loads below): `i + 16 * k + 16 <= n`, and both slices
        // hold at least `n` elements: each load of 16 bytes or 16 `i16`s
        // reads inside them.
        while i + 32 <= n {
            for (k, acc) in acc.iter_mut().enumerate() {
                let at = i + 16 * k;
                let (c, w) = unsafe {
                    (
                        _mm256_cvtepu8_epi16(_mm_loadu_si128(pc.add(at).cast())),
                        _mm256_loadu_si256(pq.add(at).cast()),
                    )
                };
                *acc = _mm256_add_epi32(*acc, _mm256_madd_epi16(c, w));
            }
            i += 32;
        }
        if i + 16 <= n {
            let (c, w) = unsafe {
                (
                    _mm256_cvtepu8_epi16(_mm_loadu_si128(pc.add(i).cast())),
                    _mm256_loadu_si256(pq.add(i).cast()),
                )
            };
            acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(c, w));
            i += 16;
        }
        let v = _mm256_add_epi32(acc[0], acc[1]);
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        let mut total = _mm_cvtsi128_si32(s);
        for j in i..n {
            total += i32::from(codes[j]) * i32::from(q[j]);
        }
        total
    }

    pub fn dot_codes(codes: &[u8], q: &[i16]) -> i32 {
        // SAFETY: installed only after AVX2 was detected.
        unsafe { sum_codes(codes, q) }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(
    unsafe_code,
    clippy::many_single_char_names,
    reason = "SIMD intrinsics are unsafe functions; kernels use the maths names"
)]
mod avx512 {
    use std::arch::x86_64::{
        __m512, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_maskz_loadu_ps,
        _mm512_reduce_add_ps, _mm512_setzero_ps, _mm512_sub_ps,
    };

    /// `acc + x·y` (dot) or `acc + (x-y)²` (squared L2), lane-wise.
    #[target_feature(enable = "avx512f")]
    fn term<const L2: bool>(x: __m512, y: __m512, acc: __m512) -> __m512 {
        if L2 {
            let d = _mm512_sub_ps(x, y);
            _mm512_fmadd_ps(d, d, acc)
        } else {
            _mm512_fmadd_ps(x, y, acc)
        }
    }

    /// As the AVX2 `sum`, sixteen lanes wide: four accumulators over 64
    /// floats a step, then 16 at a time, then one masked load for the
    /// rest (masked-off lanes read as zero and add nothing).
    #[target_feature(enable = "avx512f")]
    fn sum<const L2: bool>(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let mut acc = [_mm512_setzero_ps(); 4];
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut i = 0;
        // SAFETY (all loads below): `i + 16 * lanes <= n`, or the load is
        // masked to the `n - i` floats left, and both slices hold at least
        // `n` floats; masked-off lanes are not read.
        while i + 64 <= n {
            for (k, acc) in acc.iter_mut().enumerate() {
                let at = i + 16 * k;
                let (x, y) = unsafe { (_mm512_loadu_ps(pa.add(at)), _mm512_loadu_ps(pb.add(at))) };
                *acc = term::<L2>(x, y, *acc);
            }
            i += 64;
        }
        while i + 16 <= n {
            let (x, y) = unsafe { (_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i))) };
            acc[1] = term::<L2>(x, y, acc[1]);
            i += 16;
        }
        if i < n {
            let mask = (1u16 << (n - i)) - 1;
            let (x, y) = unsafe {
                (
                    _mm512_maskz_loadu_ps(mask, pa.add(i)),
                    _mm512_maskz_loadu_ps(mask, pb.add(i)),
                )
            };
            acc[2] = term::<L2>(x, y, acc[2]);
        }
        _mm512_reduce_add_ps(_mm512_add_ps(
            _mm512_add_ps(acc[0], acc[1]),
            _mm512_add_ps(acc[2], acc[3]),
        ))
    }

    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: installed only after AVX-512F was detected.
        unsafe { sum::<false>(a, b) }
    }

    pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: installed only after AVX-512F was detected.
        unsafe { sum::<true>(a, b) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_the_plain_sums() {
        for n in [
            0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 64, 65, 80, 128, 384, 385,
        ] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let d: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let l: f32 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
            let mut cases = vec![
                ("dot", dot(&a, &b), d),
                ("portable dot", portable::dot(&a, &b), d),
                ("l2", l2_squared(&a, &b), l),
                ("portable l2", portable::l2_squared(&a, &b), l),
            ];
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                cases.push(("avx2 dot", avx2::dot(&a, &b), d));
                cases.push(("avx2 l2", avx2::l2_squared(&a, &b), l));
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx512f") {
                cases.push(("avx512 dot", avx512::dot(&a, &b), d));
                cases.push(("avx512 l2", avx512::l2_squared(&a, &b), l));
            }
            for (name, got, want) in cases {
                assert!(
                    (got - want).abs() <= 1e-4 * want.abs().max(1.0),
                    "{name} n={n}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn code_kernels_match_plain_integer_arithmetic() {
        for n in [0usize, 1, 15, 16, 17, 31, 32, 33, 48, 100, 384, 385, 1000] {
            // Extremes included: codes 0 and 255, weights as large as the
            // contract allows (±32767 for short vectors).
            let top =
                (i32::MAX / (255 * i32::try_from(n.max(1)).unwrap())).min(i32::from(i16::MAX));
            let c: Vec<u8> = (0..n).map(|i| (i * 97 % 256) as u8).collect();
            let w: Vec<i16> = (0..n)
                .map(|i| match i % 5 {
                    0 => top as i16,
                    1 => -top as i16,
                    _ => ((i32::try_from(i).unwrap() * 7919) % (2 * top + 1) - top) as i16,
                })
                .collect();
            let want: i64 = c
                .iter()
                .zip(&w)
                .map(|(a, b)| i64::from(*a) * i64::from(*b))
                .sum();
            let mut cases = vec![
                ("dispatched", dot_codes(&c, &w)),
                ("portable", portable::dot_codes(&c, &w)),
            ];
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                cases.push(("avx2", avx2::dot_codes(&c, &w)));
            }
            for (name, got) in cases {
                assert_eq!(i64::from(got), want, "{name} n={n}");
            }
        }
    }

    #[test]
    fn bit_kernels_match_plain_arithmetic() {
        let mut x = 0x1234_5678_9abc_def1_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for words in [1, 2, 6, 8] {
            let code: Vec<u64> = (0..words).map(|_| next()).collect();
            let mut planes: Vec<u64> = (0..4 * words).map(|_| next()).collect();
            planes[0] = u64::MAX;
            // Plain: each bit's query level, times the code's bit.
            let bit = |w: &[u64], i: usize| u32::from(w[i / 64] >> (i % 64) & 1 == 1);
            let mut want = (0, 0);
            for i in 0..64 * words {
                let level: u32 = (0..4).map(|j| bit(&planes[j * words..], i) << j).sum();
                want.0 += bit(&code, i) * level;
                want.1 += bit(&code, i);
            }
            let mut cases = vec![
                ("dispatched", bit_dot(&code, &planes)),
                ("portable", portable::bit_dot(&code, &planes)),
            ];
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("popcnt") {
                cases.push(("popcnt", popcnt::bit_dot(&code, &planes)));
            }
            for (name, got) in cases {
                assert_eq!(got, want, "{name} words={words}");
            }
        }
    }
}
