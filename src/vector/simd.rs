//! Distance kernels: AVX-512 when the CPU has it, else AVX2 + FMA (detected
//! once at run time), a portable 8-lane loop otherwise. All give the same
//! results up to float rounding; the integer kernels of the quantised walks
//! (8-bit codes: AVX-512 VNNI, AVX2; one-bit codes: AVX-512
//! VPOPCNTDQ, popcnt) give exactly the same results.

use std::sync::OnceLock;

type Kernel = fn(&[f32], &[f32]) -> f32;

struct Kernels {
    dot: Kernel,
    l2: Kernel,
    /// `Σ codes_i · q_i` over 8-bit codes and a 16-bit query.
    dot_codes: fn(&[u8], &[i16]) -> i32,
    /// One-bit codes against a bit-plane query (see [`bit_dot`]).
    bit_dot: fn(&[u64], &[u64]) -> (u32, u32),
    /// Which kernels these are, for reports.
    names: [&'static str; 3],
}

/// The environment variable that caps the instruction sets used, read
/// once per process: `portable`, `avx2` or `avx512`; unset or any other
/// value, the best the CPU has ([`describe`] tells what was chosen). For
/// comparing kernels, and for a CPU whose wide units slow it down.
pub const SIMD_ENV: &str = "QUIVER_SIMD";

/// The instruction-set levels, lowest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Portable,
    Avx2,
    Avx512,
}

fn kernels() -> &'static Kernels {
    static K: OnceLock<Kernels> = OnceLock::new();
    K.get_or_init(|| {
        let cap = match std::env::var(SIMD_ENV).as_deref() {
            Ok("portable") => Level::Portable,
            Ok("avx2") => Level::Avx2,
            _ => Level::Avx512,
        };
        choose(cap)
    })
}

/// The best kernels the CPU runs, at most at level `cap`.
fn choose(cap: Level) -> Kernels {
    let mut k = Kernels {
        dot: portable::dot,
        l2: portable::l2_squared,
        dot_codes: portable::dot_codes,
        bit_dot: portable::bit_dot,
        names: ["portable"; 3],
    };
    #[cfg(target_arch = "x86_64")]
    {
        let has = |f: bool, level: Level| f && level <= cap;
        if has(std::is_x86_feature_detected!("popcnt"), Level::Avx2) {
            (k.bit_dot, k.names[2]) = (popcnt::bit_dot, "popcnt");
        }
        if has(std::is_x86_feature_detected!("avx2"), Level::Avx2) {
            (k.dot_codes, k.names[1]) = (avx2::dot_codes, "avx2");
            if std::is_x86_feature_detected!("fma") {
                (k.dot, k.l2, k.names[0]) = (avx2::dot, avx2::l2_squared, "avx2+fma");
            }
        }
        if has(std::is_x86_feature_detected!("avx512f"), Level::Avx512) {
            (k.dot, k.l2, k.names[0]) = (avx512::dot, avx512::l2_squared, "avx512f");
        }
        if has(avx512::has_vnni(), Level::Avx512) {
            (k.dot_codes, k.names[1]) = (avx512::dot_codes_vnni, "avx512vnni");
        }
        if has(avx512::has_popcnt(), Level::Avx512) {
            (k.bit_dot, k.names[2]) = (avx512::bit_dot, "avx512vpopcntdq");
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = cap;
    k
}

/// The kernels in use: `f32 <name>, int8 <name>, one-bit <name>`.
#[must_use]
pub fn describe() -> String {
    let [f, int8, bits] = kernels().names;
    format!("f32 {f}, int8 {int8}, one-bit {bits}")
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
        __m512, __m512i, _mm256_loadu_si256, _mm256_maskz_loadu_epi8, _mm512_add_epi32,
        _mm512_add_epi64, _mm512_add_ps, _mm512_and_si512, _mm512_cvtepu8_epi16,
        _mm512_dpwssd_epi32, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_loadu_si512,
        _mm512_maskz_loadu_epi16, _mm512_maskz_loadu_epi64, _mm512_maskz_loadu_ps,
        _mm512_permutexvar_epi64, _mm512_popcnt_epi64, _mm512_reduce_add_epi32,
        _mm512_reduce_add_epi64, _mm512_reduce_add_ps, _mm512_set_epi64, _mm512_set1_epi64,
        _mm512_setzero_ps, _mm512_setzero_si512, _mm512_sllv_epi64, _mm512_srlv_epi64,
        _mm512_sub_ps,
    };

    /// AVX-512 VNNI, with BW (byte and word lanes) and VL (their 256-bit
    /// forms): the 8-bit code kernel, its multiply-adds in one instruction
    /// (`vpdpwssd`). Without VNNI the AVX2 kernel serves: `vpmaddwd` on
    /// 512 bits gained under 10 % over it in isolation.
    pub fn has_vnni() -> bool {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vl")
            && std::is_x86_feature_detected!("avx512vnni")
    }

    /// AVX-512 VPOPCNTDQ: popcount of eight words at once.
    pub fn has_popcnt() -> bool {
        std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vpopcntdq")
    }

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

    /// 32 codes and weights at `at`, the codes widened to 16-bit lanes;
    /// past `n` the lanes read as zero (a masked load), so they add
    /// nothing.
    ///
    /// # Safety
    /// `at < n`, both slices hold at least `n` elements, and the CPU has
    /// AVX-512 BW and VL.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    unsafe fn code_lanes(codes: &[u8], q: &[i16], at: usize, n: usize) -> (__m512i, __m512i) {
        let (pc, pq) = (codes.as_ptr(), q.as_ptr());
        let left = n - at;
        // SAFETY: the lanes read are `at..at + min(left, 32)`, inside both
        // slices (the caller's bounds); masked-off lanes are not read.
        unsafe {
            if left >= 32 {
                (
                    _mm512_cvtepu8_epi16(_mm256_loadu_si256(pc.add(at).cast())),
                    _mm512_loadu_si512(pq.add(at).cast()),
                )
            } else {
                let mask = (1u32 << left) - 1;
                (
                    _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(mask, pc.add(at).cast())),
                    _mm512_maskz_loadu_epi16(mask, pq.add(at).cast()),
                )
            }
        }
    }

    /// `Σ codes_i · q_i`, 32 codes a step, each pair of products added into
    /// its 32-bit lane by one `vpdpwssd`; two accumulators (64 codes a
    /// round), the last step masked.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
    fn sum_codes_vnni(codes: &[u8], q: &[i16]) -> i32 {
        let n = codes.len().min(q.len());
        let (mut a0, mut a1) = (_mm512_setzero_si512(), _mm512_setzero_si512());
        let mut at = 0;
        // SAFETY (every `code_lanes`): `at < n` (`at + 32 < n` for the
        // second); both slices hold `n` elements.
        while at + 64 <= n {
            let (c, w) = unsafe { code_lanes(codes, q, at, n) };
            a0 = _mm512_dpwssd_epi32(a0, c, w);
            let (c, w) = unsafe { code_lanes(codes, q, at + 32, n) };
            a1 = _mm512_dpwssd_epi32(a1, c, w);
            at += 64;
        }
        while at < n {
            let (c, w) = unsafe { code_lanes(codes, q, at, n) };
            a0 = _mm512_dpwssd_epi32(a0, c, w);
            at += 32;
        }
        _mm512_reduce_add_epi32(_mm512_add_epi32(a0, a1))
    }

    pub fn dot_codes_vnni(codes: &[u8], q: &[i16]) -> i32 {
        // SAFETY: installed only after AVX-512 BW, VL and VNNI were detected.
        unsafe { sum_codes_vnni(codes, q) }
    }

    /// Up to eight words from `at` (masked to the `n - at` left).
    ///
    /// # Safety
    /// `at < n`, `words` holds at least `n` words, AVX-512F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn words8(words: &[u64], at: usize, n: usize) -> __m512i {
        let left = n - at;
        let mask = if left >= 8 {
            u8::MAX
        } else {
            (1u8 << left) - 1
        };
        // SAFETY: lanes `at..at + min(left, 8)` lie inside `words`.
        unsafe { _mm512_maskz_loadu_epi64(mask, words.as_ptr().add(at).cast()) }
    }

    /// [`super::bit_dot`] with `vpopcntq`. A code of 1, 2 or 4 words (64,
    /// 128 or 256 dimensions) meets up to eight words of planes at a time:
    /// the code repeated across the register, each lane's count shifted by
    /// its plane's weight. Longer codes go eight words of one plane at a
    /// time.
    #[target_feature(enable = "avx512f,avx512vpopcntdq")]
    fn bit_dot_words(code: &[u64], planes: &[u64]) -> (u32, u32) {
        let w = code.len();
        if w == 0 {
            return (0, 0);
        }
        let mut weighted = _mm512_setzero_si512();
        let ones;
        if w < 8 && w.is_power_of_two() {
            let log_w = w.trailing_zeros();
            // The whole planes: `p · w` words.
            let total = (planes.len() >> log_w) << log_w;
            // SAFETY: `0 < w`, and `code` holds `w` words.
            let c = unsafe { words8(code, 0, w) };
            ones = _mm512_popcnt_epi64(c);
            let lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
            let c = _mm512_permutexvar_epi64(
                _mm512_and_si512(lane, _mm512_set1_epi64(i64::from(w as u8 - 1))),
                c,
            );
            let log_w = _mm512_set1_epi64(i64::from(log_w));
            let (mut at, mut at_lane) = (0, lane);
            while at < total {
                // Lane `l` is word `at + l` of the planes: plane
                // `(at + l) / w`, weighing `2^plane`; lanes past the planes
                // read as zero.
                // SAFETY: `at < total <= planes.len()`.
                let q = unsafe { words8(planes, at, total) };
                let shift = _mm512_srlv_epi64(at_lane, log_w);
                let counts = _mm512_popcnt_epi64(_mm512_and_si512(c, q));
                weighted = _mm512_add_epi64(weighted, _mm512_sllv_epi64(counts, shift));
                at += 8;
                at_lane = _mm512_add_epi64(at_lane, _mm512_set1_epi64(8));
            }
        } else {
            let p = planes.len() / w;
            let mut count = _mm512_setzero_si512();
            let mut at = 0;
            while at < w {
                // SAFETY: `at < w`; `code` holds `w` words and every plane
                // `j < p` holds `w` words from `j * w`.
                let c = unsafe { words8(code, at, w) };
                count = _mm512_add_epi64(count, _mm512_popcnt_epi64(c));
                for (j, weight) in (0..p).zip(0..) {
                    let q = unsafe { words8(&planes[j * w..], at, w) };
                    let counts = _mm512_popcnt_epi64(_mm512_and_si512(c, q));
                    weighted = _mm512_add_epi64(
                        weighted,
                        _mm512_sllv_epi64(counts, _mm512_set1_epi64(weight)),
                    );
                }
                at += 8;
            }
            ones = count;
        }
        (
            _mm512_reduce_add_epi64(weighted) as u32,
            _mm512_reduce_add_epi64(ones) as u32,
        )
    }

    pub fn bit_dot(code: &[u64], planes: &[u64]) -> (u32, u32) {
        // SAFETY: installed only after AVX-512F and VPOPCNTDQ were detected.
        unsafe { bit_dot_words(code, planes) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_keeps_the_kernels_at_or_below_its_level() {
        let portable = choose(Level::Portable);
        assert_eq!(portable.names, ["portable"; 3]);
        let avx2 = choose(Level::Avx2);
        assert!(
            avx2.names.iter().all(|n| !n.starts_with("avx512")),
            "{:?}",
            avx2.names
        );
        let best = choose(Level::Avx512);
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512vnni") && std::is_x86_feature_detected!("avx512bw")
        {
            assert_eq!(best.names[1], "avx512vnni");
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512vpopcntdq") {
            assert_eq!(best.names[2], "avx512vpopcntdq");
        }
        // Every level's kernels give the plain sums (exactly, for codes).
        let a: Vec<f32> = (0..385).map(|i| (i as f32 * 0.37).sin()).collect();
        let c: Vec<u8> = (0..385).map(|i| (i * 31 % 256) as u8).collect();
        let w: Vec<i16> = (0..385).map(|i| (i * 131 % 2001 - 1000) as i16).collect();
        let code = [0x0f0f_1234_5678_9abc_u64, u64::MAX];
        let planes = [1, 2, 3, 4, 5, 6, 7, u64::MAX];
        let want = (
            portable::dot(&a, &a),
            portable::dot_codes(&c, &w),
            portable::bit_dot(&code, &planes),
        );
        for k in [portable, avx2, best] {
            assert!(((k.dot)(&a, &a) - want.0).abs() < 1e-3, "{:?}", k.names);
            assert_eq!((k.dot_codes)(&c, &w), want.1, "{:?}", k.names);
            assert_eq!((k.bit_dot)(&code, &planes), want.2, "{:?}", k.names);
        }
    }

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
            #[cfg(target_arch = "x86_64")]
            if avx512::has_vnni() {
                cases.push(("avx512vnni", avx512::dot_codes_vnni(&c, &w)));
            }
            for (name, got) in cases {
                assert_eq!(i64::from(got), want, "{name} n={n}");
            }
        }
    }

    #[test]
    fn bit_kernels_match_plain_arithmetic() {
        let mut rng = crate::rng::Rng::new(0x1234_5678_9abc_def1);
        let mut next = move || rng.next_u64();
        // Every code length the one-bit walk makes (1, 2, 4, 8 words) and
        // others, with the walk's four planes and counts that do and do not
        // fill whole registers.
        for (words, levels) in [1, 2, 3, 4, 6, 8, 9, 16]
            .into_iter()
            .flat_map(|w| [(w, 4), (w, 1), (w, 3), (w, 5)])
        {
            let code: Vec<u64> = (0..words).map(|_| next()).collect();
            let mut planes: Vec<u64> = (0..levels * words).map(|_| next()).collect();
            planes[0] = u64::MAX;
            // Plain: each bit's query level, times the code's bit.
            let bit = |w: &[u64], i: usize| u32::from(w[i / 64] >> (i % 64) & 1 == 1);
            let mut want = (0, 0);
            for i in 0..64 * words {
                let level: u32 = (0..levels).map(|j| bit(&planes[j * words..], i) << j).sum();
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
            #[cfg(target_arch = "x86_64")]
            if avx512::has_popcnt() {
                cases.push(("avx512vpopcntdq", avx512::bit_dot(&code, &planes)));
            }
            for (name, got) in cases {
                assert_eq!(got, want, "{name} words={words} planes={levels}");
            }
        }
    }
}
