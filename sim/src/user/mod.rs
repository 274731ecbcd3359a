//! What the logged-in user keeps on the server beside orders and positions: watchlists,
//! price alerts, FA allocation groups and FYI notifications.

pub(crate) mod alerts;
pub(crate) mod allocation;
pub(crate) mod notifications;
pub(crate) mod watchlists;

/// All of it, behind the world's lock.
#[derive(Debug)]
pub(crate) struct UserState {
    pub watchlists: watchlists::Watchlists,
    pub alerts: alerts::AlertBook,
    pub allocation: allocation::AllocationBook,
    pub fyi: notifications::Fyi,
    /// The `MID` counter of the watchlist answers (IBKR numbers its messages).
    pub message_id: u64,
}

impl UserState {
    pub(crate) fn new(accounts: &[String]) -> Self {
        UserState {
            watchlists: watchlists::Watchlists::default(),
            alerts: alerts::AlertBook::default(),
            allocation: allocation::AllocationBook::new(accounts),
            fyi: notifications::Fyi::seeded(),
            message_id: 1,
        }
    }

    /// The next `MID` as IBKR writes it (a string).
    pub(crate) fn next_mid(&mut self) -> String {
        self.message_id += 1;
        self.message_id.to_string()
    }
}
