//! The project's one random number generator.
//!
//! Every random draw in the harness (teachers, inputs, noise, initial weights, label noise,
//! subsets, tie-breaking) comes from [`Rng`], a xoshiro256** generator seeded through SplitMix64.
//! Streams are derived from the manifest seed and a textual tag with [`Rng::derive`], so that a
//! unit's randomness depends only on what it is (its tag), never on the order in which units run
//! or on how many threads run them. The algorithms are fixed here, not borrowed from a framework,
//! so results do not move when a dependency is upgraded.

use sha2::{Digest, Sha256};

/// xoshiro256** (Blackman & Vigna), seeded through SplitMix64.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
    /// The second normal deviate of the last polar-method pair.
    spare_normal: Option<f64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng {
            s,
            spare_normal: None,
        }
    }

    /// An independent stream for `tag` under `seed`: SHA-256 of both, first 8 bytes.
    pub fn derive(seed: u64, tag: &str) -> Self {
        Rng::new(derive_seed(seed, tag))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform on [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (Lemire's method, unbiased). `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        let mut m = (self.next_u64() as u128) * (n as u128);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = (self.next_u64() as u128) * (n as u128);
            }
        }
        (m >> 64) as u64
    }

    /// Standard normal deviate (Marsaglia's polar method).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some(v * f);
                return u * f;
            }
        }
    }

    /// A vector of `len` standard normal deviates.
    pub fn normals(&mut self, len: usize) -> Vec<f64> {
        (0..len).map(|_| self.normal()).collect()
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// A uniformly random permutation of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        self.shuffle(&mut p);
        p
    }
}

/// A 64-bit seed derived from a parent seed and a tag (SHA-256, first 8 bytes, little endian).
pub fn derive_seed(seed: u64, tag: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(tag.as_bytes());
    let digest = h.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::derive(7, "x").next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::derive(7, "x").next_u64(),
            Rng::derive(7, "y").next_u64()
        );
        assert_ne!(
            Rng::derive(7, "x").next_u64(),
            Rng::derive(8, "x").next_u64()
        );
    }

    #[test]
    fn normal_moments() {
        let mut r = Rng::new(1);
        let z = r.normals(200_000);
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        let var = z.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / z.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
    }

    #[test]
    fn below_is_in_range_and_covers() {
        let mut r = Rng::new(3);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[r.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
    }

    /// A generator whose next two outputs are `x` and `y`. xoshiro256** outputs rotl(s1·5, 7)·9,
    /// so s1 = rotr(x·9⁻¹, 7)·5⁻¹ (inverses mod 2^64); one step turns s1 into s1 ^ s2 ^ s0,
    /// so s0 = 0 and s2 = s1(x) ^ s1(y) make the second output `y`.
    fn outputs_begin(x: u64, y: u64) -> Rng {
        fn inverse(a: u64) -> u64 {
            // Newton's iteration doubles the correct low bits: 3 → 6 → … → 96.
            (0..5).fold(a, |z, _| {
                z.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(z)))
            })
        }
        let s1 = |x: u64| {
            x.wrapping_mul(inverse(9))
                .rotate_right(7)
                .wrapping_mul(inverse(5))
        };
        Rng {
            s: [0, s1(x), s1(x) ^ s1(y), 3],
            spare_normal: None,
        }
    }

    #[test]
    fn outputs_begin_emits_the_chosen_outputs() {
        for (x, y) in [(0, 1 << 63), (1 << 63, 1 << 63), (u64::MAX, 12_345)] {
            let mut r = outputs_begin(x, y);
            assert_eq!((r.next_u64(), r.next_u64()), (x, y));
        }
    }

    #[test]
    fn below_rejects_exactly_the_draws_whose_low_part_is_under_2_to_the_64_mod_n() {
        // n = 3: 2^64 mod 3 = 1, and x·3 mod 2^64 is the low part. x = 3⁻¹ gives 1, the bound
        // itself: accepted, x·3 = 2·2^64 + 1, so the answer is 2. x = 0 gives 0: rejected, the
        // answer comes from the second output, 12 345·3 < 2^64, so 0. x = 3⁻¹ + 1 and
        // 2^64 − 1 give 4 and 2^64 − 3, not below n: never in question.
        let third = 0xAAAA_AAAA_AAAA_AAAB_u64;
        assert_eq!(third.wrapping_mul(3), 1);
        for (x, answer, outputs_used) in [
            (third, 2, 1),
            (0, 0, 2),
            (third + 1, 2, 1),
            (u64::MAX, 2, 1),
        ] {
            let mut r = outputs_begin(x, 12_345);
            let mut reference = r.clone();
            assert_eq!(r.below(3), answer, "x = {x:#x}");
            for _ in 0..outputs_used {
                reference.next_u64();
            }
            assert_eq!(r.next_u64(), reference.next_u64(), "x = {x:#x}");
        }
    }

    #[test]
    fn normal_rejects_the_pairs_on_the_unit_circle_and_at_its_centre() {
        // uniform = 0.5 maps to 0 and uniform = 0 to −1: outputs 2^63, 2^63 give (u, v) = (0, 0)
        // (s = 0, where ln s / s is not a number); outputs 0, 2^63 give (−1, 0) (s = 1, where
        // the factor is 0). Both pairs are drawn again, from the next two outputs.
        let half = 1u64 << 63;
        assert_eq!(outputs_begin(half, 0).uniform(), 0.5);
        for (x, y) in [(half, half), (0, half)] {
            let mut r = outputs_begin(x, y);
            let mut reference = r.clone();
            reference.next_u64();
            reference.next_u64();
            // NaN (the mutant at s = 0) equals nothing, so this also asks for finite values.
            assert_eq!(
                (r.normal(), r.normal()),
                (reference.normal(), reference.normal()),
                "({x:#x}, {y:#x})"
            );
        }
    }

    #[test]
    fn shuffle_is_fisher_yates_over_below_i_plus_one() {
        // Durstenfeld's form: for i from the end down to 1, swap i with a uniform j in 0..=i.
        // (j in 0..i would be Sattolo's algorithm, which makes only cyclic permutations.)
        let (mut a, mut b) = (Rng::new(13), Rng::new(13));
        let mut got: Vec<usize> = (0..50).collect();
        a.shuffle(&mut got);
        let mut want: Vec<usize> = (0..50).collect();
        for i in (1..50).rev() {
            let j = b.below(i as u64 + 1) as usize;
            want.swap(i, j);
        }
        assert_eq!(got, want);
        assert_ne!(got, (0..50).collect::<Vec<_>>());
        // Some element stays in place somewhere across 20 shuffles of 5: Sattolo never does.
        let fixed = (0..20).any(|_| {
            let p = a.permutation(5);
            (0..5).any(|i| p[i] == i)
        });
        assert!(fixed);
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Rng::new(5).permutation(100);
        p.sort_unstable();
        assert_eq!(p, (0..100).collect::<Vec<_>>());
    }
}

/// Known-answer vectors from the generators' reference code, not from this file: SplitMix64
/// (Vigna, `splitmix64.c`) from seed 1234567, xoshiro256** (Blackman & Vigna,
/// `xoshiro256starstar.c`) from the state {1, 2, 3, 4}; both reproduced independently with a
/// transcription of the reference C in Python. `derive_seed` against Python's `hashlib`.
#[cfg(test)]
mod known_answers {
    use super::*;

    #[test]
    fn splitmix64_reference_outputs() {
        let mut state = 1_234_567u64;
        let out: Vec<u64> = (0..5).map(|_| splitmix64(&mut state)).collect();
        assert_eq!(
            out,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn xoshiro256starstar_reference_outputs() {
        let mut r = Rng {
            s: [1, 2, 3, 4],
            spare_normal: None,
        };
        let out: Vec<u64> = (0..6).map(|_| r.next_u64()).collect();
        assert_eq!(
            out,
            [
                11_520,
                0,
                1_509_978_240,
                1_215_971_899_390_074_240,
                1_216_172_134_540_287_360,
                607_988_272_756_665_600,
            ]
        );
        // Seeded through SplitMix64: the state is its first four outputs.
        let mut r = Rng::new(1_234_567);
        let out: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(
            out,
            [
                3_504_822_795_582_309_479,
                1_819_558_768_956_484_042,
                1_250_851_346_055_027_673,
                16_940_231_675_099_994_102,
            ]
        );
    }

    #[test]
    fn derived_seeds_are_the_first_eight_bytes_of_sha256() {
        // python3: int.from_bytes(hashlib.sha256(seed.to_bytes(8, 'little') + tag).digest()[:8], 'little')
        assert_eq!(derive_seed(7, "x"), 13_800_249_467_288_379_339);
        assert_eq!(derive_seed(20_260_526, "teacher"), 641_412_481_427_677_417);
    }

    #[test]
    fn uniform_below_and_normal_follow_their_formulas() {
        // uniform: the top 53 bits over 2^53; below: Lemire's multiply-high.
        let mut a = Rng::new(9);
        let mut b = Rng::new(9);
        for _ in 0..100 {
            let x = a.next_u64();
            assert_eq!(b.uniform(), (x >> 11) as f64 / 9_007_199_254_740_992.0);
        }
        // 2^63 + 1 and 3·2^62 reject about a half and a quarter of the draws, so the retry path
        // runs; the other n (2^64 mod n ≤ 1000) practically never retry.
        let (mut a, mut b) = (Rng::new(10), Rng::new(10));
        let mut retries = 0;
        for n in [
            1u64,
            2,
            3,
            10,
            1000,
            u64::MAX / 3,
            (1 << 63) + 1,
            3 << 62,
            u64::MAX,
        ] {
            for _ in 0..200 {
                let got = b.below(n);
                let mut want;
                loop {
                    let m = a.next_u64() as u128 * n as u128;
                    want = (m >> 64) as u64;
                    // Lemire's rejection: retry while the low part is below 2^64 mod n.
                    if (m as u64) >= (u64::MAX - n + 1) % n {
                        break;
                    }
                    retries += 1;
                }
                assert_eq!(got, want, "n = {n}");
                assert!(got < n);
            }
        }
        assert!(retries > 100, "the retry path ran {retries} times");
        // Marsaglia's polar method: two deviates per accepted (u, v).
        let (mut a, mut b) = (Rng::new(11), Rng::new(11));
        let (z1, z2) = (b.normal(), b.normal());
        let (u, v) = loop {
            let u = 2.0 * a.uniform() - 1.0;
            let v = 2.0 * a.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                break (u, v);
            }
        };
        let s = u * u + v * v;
        let f = (-2.0 * s.ln() / s).sqrt();
        assert_eq!((z1, z2), (u * f, v * f));
    }
}
