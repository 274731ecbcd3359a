//! Seeded randomness for prices: one ChaCha stream per (seed, conid, purpose).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A reproducible random stream for one instrument and one purpose (quotes, history bars, ...).
pub(crate) fn stream(seed: u64, conid: u64, purpose: u64) -> ChaCha8Rng {
    let mixed = seed
        ^ conid.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ purpose.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    ChaCha8Rng::seed_from_u64(mixed)
}

/// A standard normal draw (Box–Muller), so no extra distribution crate is needed.
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The price an instrument opens the simulation at: its reference price nudged by the seed.
pub(crate) fn opening_price(seed: u64, conid: u64, ref_price: f64) -> f64 {
    let mut rng = stream(seed, conid, 1);
    let nudge: f64 = rng.random_range(-0.05..0.05);
    tick_round(ref_price * (1.0 + nudge))
}

/// Round to the instrument's tick: a cent, or 0.25 for index futures levels above 1,000.
pub(crate) fn tick_round(price: f64) -> f64 {
    if price >= 1000.0 {
        (price * 4.0).round() / 4.0
    } else if price >= 1.0 {
        (price * 100.0).round() / 100.0
    } else {
        ((price * 10_000.0).round() / 10_000.0).max(0.0001)
    }
}
