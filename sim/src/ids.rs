//! Seeded identifiers: order ids, reply ids, execution ids, session ids.
//!
//! Drawn from one ChaCha stream in request order, so the same seed and the same requests give
//! the same ids.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The id source of one simulator.
#[derive(Debug)]
pub(crate) struct IdMint {
    rng: ChaCha8Rng,
    next_order_id: u64,
}

impl IdMint {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x1D5_1D5);
        let next_order_id = 1_200_000_000 + rng.random_range(0..100_000_000u64);
        IdMint { rng, next_order_id }
    }

    /// A new order id (IBKR's are ten-digit numbers, e.g. 1210386759 in the ibind fixture).
    pub(crate) fn order_id(&mut self) -> u64 {
        let id = self.next_order_id;
        self.next_order_id += 1 + self.rng.random_range(0..7u64);
        id
    }

    /// A reply id in UUID form, like `99097238-9824-4830-84ef-46979aa22593` (spec example).
    pub(crate) fn reply_id(&mut self) -> String {
        let b: [u8; 16] = self.rng.random();
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-4{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// An execution id like `0000e0d5.6576fd38.01.01` (GET_iserver_account_trades.json).
    pub(crate) fn execution_id(&mut self) -> String {
        let a: u32 = self.rng.random_range(0..0x0010_0000);
        let b: u32 = self.rng.random();
        format!("{a:08x}.{b:08x}.01.01")
    }

    /// A 32-hex-digit session id, as `/tickle` reports (POST_tickle.json).
    pub(crate) fn session_id(&mut self) -> String {
        let b: [u8; 16] = self.rng.random();
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// A ten-digit Flex reference code (web_service/sendrequest_success.xml).
    pub(crate) fn reference_code(&mut self) -> String {
        self.rng
            .random_range(1_000_000_000u64..10_000_000_000)
            .to_string()
    }

    /// A trade id / transaction id for Flex rows.
    pub(crate) fn number(&mut self, low: u64, high: u64) -> u64 {
        self.rng.random_range(low..high)
    }
}
