//! Live quotes: each conid's last/bid/ask/volume, moved one seeded step per snapshot.
//!
//! Deterministic: the state of a conid depends only on the seed and on how many snapshots with
//! data were served for it.

use std::collections::HashMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::catalog::{Contract, Subscription};
use super::format;
use super::walk::{normal, opening_price, stream, tick_round};

/// One conid's quote.
#[derive(Debug, Clone)]
pub(crate) struct Quote {
    pub last: f64,
    pub prev_close: f64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub volume: u64,
    pub bid_size: u64,
    pub ask_size: u64,
    pub last_size: u64,
    pub halted: bool,
    rng: ChaCha8Rng,
}

impl Quote {
    fn new(seed: u64, conid: u64, ref_price: f64) -> Self {
        let last = opening_price(seed, conid, ref_price);
        let mut rng = stream(seed, conid, 2);
        let prev_close = tick_round(last * (1.0 + 0.01 * normal(&mut rng)));
        let open = tick_round((last + prev_close) / 2.0);
        Quote {
            last,
            prev_close,
            open,
            high: last.max(open).max(prev_close),
            low: last.min(open).min(prev_close),
            volume: rng.random_range(200_000..40_000_000),
            bid_size: 100 * rng.random_range(1..30u64),
            ask_size: 100 * rng.random_range(1..30u64),
            last_size: 100,
            halted: false,
            rng,
        }
    }

    /// The spread: a cent, or a tick for futures levels.
    fn half_spread(&self) -> f64 {
        if self.last >= 1000.0 { 0.25 } else { 0.01 }
    }

    pub(crate) fn bid(&self) -> f64 {
        tick_round(self.last - self.half_spread())
    }

    pub(crate) fn ask(&self) -> f64 {
        tick_round(self.last + self.half_spread())
    }

    /// One step of the random walk (about 0.1 % per step).
    fn step(&mut self) {
        if self.halted {
            return;
        }
        let change = 0.001 * normal(&mut self.rng);
        self.last = tick_round(self.last * change.exp());
        self.high = self.high.max(self.last);
        self.low = self.low.min(self.last);
        self.last_size = 100 * self.rng.random_range(1..10u64);
        self.volume += self.last_size * self.rng.random_range(1..50u64);
        self.bid_size = 100 * self.rng.random_range(1..30u64);
        self.ask_size = 100 * self.rng.random_range(1..30u64);
    }
}

/// All quotes of one simulator, created lazily on first use.
#[derive(Debug)]
pub(crate) struct Quotes {
    seed: u64,
    by_conid: HashMap<u64, Quote>,
}

impl Quotes {
    pub(crate) fn new(seed: u64) -> Self {
        Quotes {
            seed,
            by_conid: HashMap::new(),
        }
    }

    /// The current last price of a contract (its opening price if never quoted).
    pub(crate) fn last(&mut self, contract: &Contract) -> f64 {
        self.get(contract.conid, contract.ref_price).last
    }

    /// The quote for a conid (created at its opening price on first use).
    pub(crate) fn get(&mut self, conid: u64, ref_price: f64) -> &mut Quote {
        let seed = self.seed;
        self.by_conid
            .entry(conid)
            .or_insert_with(|| Quote::new(seed, conid, ref_price))
    }

    /// Move the conid's price one step and return the new quote.
    pub(crate) fn tick(&mut self, conid: u64, ref_price: f64) -> &Quote {
        let q = self.get(conid, ref_price);
        q.step();
        q
    }

    /// Force a last price (tests use this through `Control::set_last_price`).
    pub(crate) fn set_last(&mut self, conid: u64, ref_price: f64, last: f64) {
        let q = self.get(conid, ref_price);
        q.last = last;
        q.high = q.high.max(last);
        q.low = q.low.min(last);
    }
}

/// One snapshot field as the gateway formats it (cpapi-v1 "Market Data Fields";
/// formats from GET_iserver_marketdata_snapshot__after_preflight.json and
/// `client-portal-api.md` §2). Unknown field ids are left out.
pub(crate) fn field_value(field: &str, c: &Contract, q: &Quote) -> Option<String> {
    let value = match field {
        // Last: `C` prefix = previous close (no live data), `H` = halted.
        "31" => match (c.subscription, q.halted) {
            (Subscription::None, _) => format!("C{}", format::price(q.prev_close)),
            (_, true) => format!("H{}", format::price(q.last)),
            _ => format::price(q.last),
        },
        "55" => c.symbol.clone(),
        "70" => format::price(q.high),
        "71" => format::price(q.low),
        "82" => format::price(q.last - q.prev_close),
        "83" => format!("{:.2}", (q.last - q.prev_close) / q.prev_close * 100.0),
        "84" => format::price(q.bid()),
        "85" => format::thousands(q.ask_size),
        "86" => format::price(q.ask()),
        "87" => format::volume(q.volume),
        "88" => format::thousands(q.bid_size),
        "6008" => c.conid.to_string(),
        "6070" => c.sec_type.code().to_string(),
        "6509" => match c.subscription {
            Subscription::Live => "RpB".to_string(),
            Subscription::None => "N".to_string(),
        },
        "7051" => c.company_name.clone(),
        "7059" => q.last_size.to_string(),
        "7295" => format::price(q.open),
        "7296" | "7741" => format::price(q.prev_close),
        "7762" => q.volume.to_string(),
        _ => return None,
    };
    Some(value)
}
