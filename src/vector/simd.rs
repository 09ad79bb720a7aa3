//! Distance kernels: AVX-512 when the CPU has it, else AVX2 + FMA (detected
//! once at run time), a portable 8-lane loop otherwise. All give the same
//! results up to float rounding.

use std::sync::OnceLock;

type Kernel = fn(&[f32], &[f32]) -> f32;

struct Kernels {
    dot: Kernel,
    l2: Kernel,
}

fn kernels() -> &'static Kernels {
    static K: OnceLock<Kernels> = OnceLock::new();
    K.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") {
            return Kernels {
                dot: avx512::dot,
                l2: avx512::l2_squared,
            };
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Kernels {
                dot: avx2::dot,
                l2: avx2::l2_squared,
            };
        }
        Kernels {
            dot: portable::dot,
            l2: portable::l2_squared,
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
}

#[cfg(target_arch = "x86_64")]
#[allow(
    unsafe_code,
    clippy::many_single_char_names,
    reason = "SIMD intrinsics are unsafe functions; kernels use the maths names"
)]
mod avx2 {
    use std::arch::x86_64::{
        __m256, _mm_add_ps, _mm_add_ss, _mm_cvtss_f32, _mm_movehl_ps, _mm_shuffle_ps,
        _mm256_add_ps, _mm256_castps256_ps128, _mm256_extractf128_ps, _mm256_fmadd_ps,
        _mm256_loadu_ps, _mm256_setzero_ps, _mm256_sub_ps,
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
}
