//! Orders: [`OrderTicket`], and placing one through IBKR's question/reply loop.
//!
//! IBKR answers an order with questions ("price exceeds the Percentage constraint of 3%",
//! o163; "no market data", o354; ...) that must be confirmed before the order exists. This
//! module answers them only as the caller's [`AnswerPolicy`] says:
//! - every item of every answer is kept: acknowledgements, rejects, questions, prompts;
//! - every question of one answer is decided before the next answer is read, and each
//!   confirmed question's reply is read in turn, so a second question is never lost;
//! - a question is matched by its messageId first (`o163`), then by a text fragment;
//! - a "no" sends `confirmed:false` (IBKR discards the order) and returns
//!   [`OrderOutcome::Declined`] with [`DeclineReason::AnsweredNo`];
//! - a question the policy does not cover also sends `confirmed:false` and returns
//!   [`OrderOutcome::Declined`] with [`DeclineReason::Unanswered`]: never a silent yes;
//! - at most 10 rounds;
//! - a server prompt (`prompt:true`, e.g. p12) is returned as [`OrderOutcome::Prompt`];
//! - a group whose tickets fared differently is [`OrderOutcome::PartlySubmitted`];
//! - a timeout or broken connection after an order POST or a reply left gives
//!   [`Error::OrderStateUnknown`](crate::Error::OrderStateUnknown), never a retry: [`Ibkr::find_order`](crate::Ibkr::find_order) settles it.
//!
//! IBKR cancels a pending question when any other request reaches the session before its
//! reply (ibind #35, #103). The whole loop therefore runs with the session to itself
//! ([`Ibkr::exclusive`](crate::Ibkr::exclusive)): requests from other tasks and clones, the keeper's tickles
//! included, wait until it finishes. A `no bridge` inside the loop reopens the brokerage
//! session inside the same lane. Order POSTs are never retried.

mod answer;
mod live;
mod outcome;
mod place;
mod policy;
mod ticket;

pub use self::answer::{OrderQuestion, ServerPrompt, SubmittedOrder};
pub use self::live::{CancelAck, LiveOrder, OrderPreview};
pub use self::outcome::{DeclineReason, DeclinedQuestion, OrderOutcome};
pub use self::policy::{Answer, AnswerPolicy, questions};
pub use self::ticket::{OrderGroup, OrderTicket, OrderType, Side, Size, TimeInForce};

/// Most question rounds before giving up (declining what is pending).
pub const MAX_ROUNDS: usize = 10;

impl std::fmt::Display for OrderQuestion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.message_ids.join(","), self.text)
    }
}
