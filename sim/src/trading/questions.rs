//! Which order questions the gateway asks, and their real texts and message ids.
//!
//! Texts: o354 from POST_iserver_account_{accountId}_orders__spec_question_o354.json; o163 from
//! POST_iserver_account_{accountId}_orders__question.json; o383 and o451 from the spec's
//! `/iserver/questions/suppress` description; o10331 (new orders) and o0 (modifications) from
//! the same description and POST_iserver_account_{accountId}_order_{orderId}__question_o0.json.

use super::book::{OrderType, Side};
use super::precautions::Precautions;
use crate::market::catalog::Contract;
use crate::market::format;

/// One question: its message id and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Question {
    pub message_id: &'static str,
    pub text: String,
}

/// What the rules look at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Situation<'a> {
    pub contract: &'a Contract,
    pub side: Side,
    pub order_type: OrderType,
    pub quantity: f64,
    pub limit: Option<f64>,
    pub last: f64,
    /// Whether a snapshot was requested for this conid in this brokerage session.
    pub has_market_data: bool,
    pub modification: bool,
}

const O354: &str = "You are submitting an order without market data. We strongly recommend against this as it may result in erroneous and unexpected trades.\nAre you sure you want to submit this order?";
const STOP_WARNING: &str = "You are about to submit a stop order. Please be aware of the various stop order types available and the risks associated with each one.\nAre you sure you want to submit this order?";

/// `NASDAQ.NMS` for NASDAQ listings, as the question texts write it; the exchange otherwise.
fn listing(contract: &Contract) -> String {
    if contract.exchange == "NASDAQ" {
        "NASDAQ.NMS".to_string()
    } else {
        contract.exchange.clone()
    }
}

/// The questions for one order, in the order they are asked.
pub(crate) fn questions(s: &Situation<'_>, p: &Precautions) -> Vec<Question> {
    let mut out = Vec::new();
    let order_words = format!(
        "{} {} {} {}",
        s.side.word(),
        format::quantity(s.quantity),
        s.contract.symbol,
        listing(s.contract)
    );
    // o354: our rule is "no snapshot was ever requested for this conid in this session".
    if !s.has_market_data {
        out.push(Question {
            message_id: "o354",
            text: O354.to_string(),
        });
    }
    if let Some(limit) = s.limit
        && s.last > 0.0
        && ((limit - s.last) / s.last).abs() > p.price_percentage
    {
        out.push(Question {
                message_id: "o163",
                text: format!(
                    "The following order \"{order_words} @ {limit:?}\" price exceeds \nthe Percentage constraint of {}%.\nAre you sure you want to submit this order?",
                    format::quantity(p.price_percentage * 100.0)
                ),
            });
    }
    if s.quantity > p.size_limit {
        out.push(Question {
            message_id: "o383",
            text: format!(
                "The following order \"{order_words}\" size exceeds the Size Limit of {}.\nAre you sure you want to submit this order?",
                format::quantity(p.size_limit)
            ),
        });
    }
    let value = s.quantity * s.limit.unwrap_or(s.last);
    if value > p.value_limit {
        out.push(Question {
            message_id: "o451",
            text: format!(
                "The following order \"{order_words}\" value estimate of {} USD exceeds \nthe Total Value Limit of {} USD.\nAre you sure you want to submit this order?",
                format::money(value),
                format::thousands(p.value_limit as u64)
            ),
        });
    }
    if s.order_type.is_stop() {
        out.push(Question {
            message_id: if s.modification { "o0" } else { "o10331" },
            text: STOP_WARNING.to_string(),
        });
    }
    out
}
