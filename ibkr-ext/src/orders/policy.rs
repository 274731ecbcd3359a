//! [`AnswerPolicy`]: which of IBKR's order questions to confirm. Nothing is confirmed
//! unless the policy says so.

use std::collections::BTreeMap;

/// The message ids of IBKR's order questions (the list is in IBKR's `/iserver/questions/suppress`
/// documentation), for building an [`AnswerPolicy`].
pub mod questions {
    /// The price is more than 3% away from the market (o163).
    pub const PRICE_CONSTRAINT: &str = "o163";
    /// No market data for the contract (o354).
    pub const NO_MARKET_DATA: &str = "o354";
    /// The price does not fit the tick size (o382).
    pub const TICK_SIZE: &str = "o382";
    /// The size is over the size limit (o383).
    pub const SIZE_LIMIT: &str = "o383";
    /// The order will most likely trigger and fill immediately (o403).
    pub const TRIGGER_AND_FILL: &str = "o403";
    /// The order value is over the total value limit (o451).
    pub const VALUE_LIMIT: &str = "o451";
    /// Size modification over the limit (o10138).
    pub const SIZE_MODIFICATION_LIMIT: &str = "o10138";
    /// Market order risks (o10151).
    pub const MARKET_ORDER_RISK: &str = "o10151";
    /// The stop order will become active (o10152).
    pub const STOP_ORDER_ACTIVE: &str = "o10152";
    /// A mandatory cap price is applied (o10153).
    pub const MANDATORY_CAP_PRICE: &str = "o10153";
    /// Cash quantity details (o10164).
    pub const CASH_QUANTITY: &str = "o10164";
    /// Cash quantity orders are not guaranteed (o10223).
    pub const CASH_QUANTITY_ORDER: &str = "o10223";
    /// Stop order risks (o10331).
    pub const STOP_ORDER_RISK: &str = "o10331";
    /// The order is distributed over multiple accounts (p6).
    pub const MULTIPLE_ACCOUNTS: &str = "p6";
    /// A stop order warning when modifying (o0).
    pub const STOP_ORDER_WARNING: &str = "o0";
}

/// Which order questions to confirm, and which to decline. Nothing is confirmed unless
/// the policy says so.
///
/// ```
/// use ibkr_ext::orders::{AnswerPolicy, questions};
/// let policy = AnswerPolicy::new()
///     .yes(questions::PRICE_CONSTRAINT)
///     .no(questions::NO_MARKET_DATA)
///     .yes_to_text("will most likely trigger and fill immediately");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnswerPolicy {
    by_id: BTreeMap<String, bool>,
    by_text: Vec<(String, bool)>,
}

/// What the policy says about one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Confirm.
    Yes,
    /// Decline.
    No,
    /// The policy does not cover it.
    Unanswered,
}

impl AnswerPolicy {
    /// A policy that confirms nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Confirm the question with this messageId.
    pub fn yes(self, message_id: impl Into<String>) -> Self {
        self.answer(message_id, true)
    }

    /// Decline the question with this messageId.
    pub fn no(self, message_id: impl Into<String>) -> Self {
        self.answer(message_id, false)
    }

    /// Answer the question with this messageId.
    pub fn answer(mut self, message_id: impl Into<String>, yes: bool) -> Self {
        self.by_id.insert(message_id.into(), yes);
        self
    }

    /// Confirm questions whose text contains `fragment` (case-insensitive), for questions
    /// IBKR sends without a messageId you know.
    pub fn yes_to_text(mut self, fragment: impl Into<String>) -> Self {
        self.by_text.push((fragment.into().to_lowercase(), true));
        self
    }

    /// Decline questions whose text contains `fragment` (case-insensitive).
    pub fn no_to_text(mut self, fragment: impl Into<String>) -> Self {
        self.by_text.push((fragment.into().to_lowercase(), false));
        self
    }

    /// The answer to one question: by messageId first, then by text. A question with several
    /// messageIds is confirmed only when each is confirmed; any "no" declines it.
    pub fn decide(&self, message_ids: &[String], text: &str) -> Answer {
        let by_id: Vec<Option<bool>> = message_ids
            .iter()
            .map(|id| self.by_id.get(id).copied())
            .collect();
        if by_id.contains(&Some(false)) {
            return Answer::No;
        }
        if !by_id.is_empty() && by_id.iter().all(|a| *a == Some(true)) {
            return Answer::Yes;
        }
        let lower = text.to_lowercase();
        match self
            .by_text
            .iter()
            .find(|(f, _)| lower.contains(f.as_str()))
        {
            Some((_, true)) => Answer::Yes,
            Some((_, false)) => Answer::No,
            None => Answer::Unanswered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_matches_by_message_id_first_then_by_text() {
        let p = AnswerPolicy::new().yes("o163").no_to_text("market data");
        let q = |ids: &[&str], text: &str| {
            p.decide(&ids.iter().map(|s| s.to_string()).collect::<Vec<_>>(), text)
        };
        assert_eq!(
            q(&["o163"], "price exceeds the Percentage constraint of 3%"),
            Answer::Yes
        );
        assert_eq!(
            q(
                &["o354"],
                "You are submitting an order without market data."
            ),
            Answer::No
        );
        assert_eq!(
            q(&["o383"], "size exceeds the Size Limit of 500"),
            Answer::Unanswered
        );
        assert_eq!(q(&["o163", "o383"], "two questions"), Answer::Unanswered);
    }
}
