//! The crate's one random generator: xorshift64 (Marsaglia's 13/7/17),
//! seeded, so every use of it (HNSW levels, Cypher's `rand()`, sampled
//! calibration, test data) repeats for the same seed. Fast and small;
//! not for anything that must be unpredictable.

/// A xorshift64 generator. Its state is never zero (a zero seed is
/// replaced).
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator whose first state is `seed` (or a fixed odd constant
    /// for 0, which xorshift cannot leave).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// A generator for `seed` spread over the state first, so nearby
    /// seeds (0, 1, 2, …) start far apart.
    pub fn spread(seed: u64) -> Rng {
        Rng::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// Its state, to store and later resume from with [`Rng::new`].
    pub fn state(&self) -> u64 {
        self.0
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`0` for `n == 0`; modulo bias below 2^-40 for
    /// the `n` this crate uses).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A float in `[0, 1)`, from the top 53 bits.
    #[allow(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A float in `(0, 1)` (never 0: safe under `ln`), from the top 53
    /// bits.
    #[allow(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
    pub fn open_f64(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A float in `[0, 1)`, from the top 24 bits.
    #[allow(clippy::cast_precision_loss, reason = "24 bits fit an f32 exactly")]
    #[cfg_attr(not(test), allow(dead_code, reason = "test data draws it"))]
    pub fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A float in `(0, 1)` (never 0: safe under `ln`), from the top 24
    /// bits.
    #[allow(clippy::cast_precision_loss, reason = "24 bits fit an f32 exactly")]
    pub fn open_f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 + 0.5) / (1u64 << 24) as f32
    }

    /// A standard normal draw (Box–Muller, one of the pair).
    pub fn gauss_f32(&mut self) -> f32 {
        let (u, v) = (self.open_f32(), self.open_f32());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_for_a_seed_and_stays_in_range() {
        let (mut a, mut b) = (Rng::spread(7), Rng::spread(7));
        for _ in 0..1_000 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut resumed = Rng::new(a.state());
        assert_eq!(resumed.next_u64(), a.next_u64());
        for _ in 0..10_000 {
            assert!(a.below(10) < 10);
            assert!((0.0..1.0).contains(&a.f64()));
            assert!((0.0..1.0).contains(&a.f32()));
            let (u, v) = (a.open_f64(), a.open_f32());
            assert!(u > 0.0 && u < 1.0 && v > 0.0 && v < 1.0);
            assert!(a.gauss_f32().is_finite());
        }
        assert_eq!(Rng::new(0).below(0), 0);
        assert_ne!(Rng::spread(1).next_u64(), Rng::spread(2).next_u64());
    }

    #[test]
    fn normal_draws_have_the_moments_of_a_normal() {
        let mut r = Rng::new(42);
        let n = 100_000;
        let draws: Vec<f64> = (0..n).map(|_| f64::from(r.gauss_f32())).collect();
        let mean = draws.iter().sum::<f64>() / f64::from(n);
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / f64::from(n);
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.03, "{var}");
    }
}
