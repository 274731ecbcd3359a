//! Confirmations: what `preview_order` hands out and `place_order` requires.
//!
//! A confirmation is 128 random bits from the operating system, bound to the exact
//! [`Ticket`] the preview showed (account, conid, side, quantity, type, prices, TIF). It is
//! used up by the first `place_order` that presents it, whether that call goes on to place
//! the order or not, and it expires [`CONFIRMATION_TTL`] after the preview (tokio's clock,
//! so tests can pause and advance it). A token that does not match its ticket, was already
//! used, has expired or was never issued is refused before anything reaches IBKR.
//!
//! [`Confirmations`] owns the pending tokens behind one mutex that is never held across an
//! `.await`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rand::TryRngCore;
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::time::Instant;

use super::guards::Refusal;

/// How long a confirmation stays valid after the preview.
pub const CONFIRMATION_TTL: Duration = Duration::from_secs(5 * 60);

/// Buy or sell, as tool arguments spell it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    Buy,
    Sell,
}

/// The order types the tools accept.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum OrderKind {
    /// Market.
    #[serde(rename = "MKT")]
    Market,
    /// Limit at `price`.
    #[serde(rename = "LMT")]
    Limit,
    /// Stop at `price`.
    #[serde(rename = "STP")]
    Stop,
    /// Stop at `stop_price`, then a limit at `price`.
    #[serde(rename = "STP_LIMIT")]
    StopLimit,
}

/// Time in force, as tool arguments spell it.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Tif {
    #[default]
    Day,
    Gtc,
    Ioc,
}

/// One order exactly as previewed and as placed: what a confirmation is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub account: String,
    pub conid: i64,
    pub side: Side,
    /// Exact decimal text in JSON.
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    pub order_type: OrderKind,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub price: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub stop_price: Option<Decimal>,
    pub tif: Tif,
}

/// A confirmation token. Its `Debug` never shows the value; it has no `Display`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

impl Token {
    /// The text handed to the assistant (only in a tool result, never in a log).
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn from_text(text: &str) -> Token {
        Token(text.trim().to_string())
    }
}

struct Pending {
    ticket: Ticket,
    expires: Instant,
}

/// The confirmations handed out and not yet used.
#[derive(Default)]
pub struct Confirmations {
    pending: Mutex<HashMap<Token, Pending>>,
}

impl Confirmations {
    /// A new token for `ticket`, valid for [`CONFIRMATION_TTL`].
    pub fn issue(&self, ticket: Ticket) -> Result<Token, Refusal> {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.try_fill_bytes(&mut bytes).map_err(|e| {
            Refusal::new(
                "confirmation",
                format!("no randomness for a confirmation: {e}"),
            )
        })?;
        let token = Token(format!(
            "cf-{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ));
        let now = Instant::now();
        let mut pending = self.lock();
        pending.retain(|_, p| p.expires > now);
        pending.insert(
            token.clone(),
            Pending {
                ticket,
                expires: now + CONFIRMATION_TTL,
            },
        );
        Ok(token)
    }

    /// Use `token` up for `ticket`: Ok only for an issued, unused, unexpired token bound to
    /// this exact ticket. The token is spent either way.
    pub fn redeem(&self, token: &Token, ticket: &Ticket) -> Result<(), Refusal> {
        let found = self.lock().remove(token);
        let Some(p) = found else {
            return Err(Refusal::new(
                "confirmation",
                "this confirmation is unknown or was already used (each one is good for one place_order); \
                 call preview_order again and show the user the new preview",
            ));
        };
        if Instant::now() >= p.expires {
            return Err(Refusal::new(
                "confirmation",
                format!(
                    "this confirmation expired ({} minutes after its preview); call preview_order again",
                    CONFIRMATION_TTL.as_secs() / 60
                ),
            ));
        }
        if &p.ticket != ticket {
            return Err(Refusal::new(
                "confirmation",
                format!(
                    "this confirmation was issued for a different ticket ({}); it is now used up. \
                     Call preview_order with the exact ticket to place",
                    differences(&p.ticket, ticket).join(", ")
                ),
            ));
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Token, Pending>> {
        // A panic while holding this lock cannot leave the map half-changed (single
        // insert/remove calls), so a poisoned lock is still consistent.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The fields in which `b` differs from `a`, as `field: previewed -> given`.
fn differences(a: &Ticket, b: &Ticket) -> Vec<String> {
    let (va, vb) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    );
    let mut out = Vec::new();
    if let (Some(oa), Some(ob)) = (va.as_object(), vb.as_object()) {
        for (k, x) in oa {
            let y = ob.get(k).cloned().unwrap_or_default();
            if x != &y {
                out.push(format!("{k}: previewed {x}, given {y}"));
            }
        }
    }
    if out.is_empty() {
        out.push("an equal amount written differently".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(q: i64) -> Ticket {
        Ticket {
            account: "DU1234567".into(),
            conid: 265598,
            side: Side::Buy,
            quantity: Decimal::from(q),
            order_type: OrderKind::Limit,
            price: Some(Decimal::new(19305, 2)),
            stop_price: None,
            tif: Tif::Day,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_is_good_once_for_its_ticket_until_it_expires() {
        let c = Confirmations::default();
        let t = c.issue(ticket(1)).unwrap();
        assert!(c.redeem(&t, &ticket(1)).is_ok());
        assert!(c.redeem(&t, &ticket(1)).is_err(), "reused");

        let t = c.issue(ticket(1)).unwrap();
        let e = c.redeem(&t, &ticket(2)).unwrap_err();
        assert!(e.message.contains("quantity"), "{}", e.message);
        assert!(c.redeem(&t, &ticket(1)).is_err(), "spent by the mismatch");

        let t = c.issue(ticket(1)).unwrap();
        tokio::time::advance(CONFIRMATION_TTL).await;
        assert!(
            c.redeem(&t, &ticket(1))
                .unwrap_err()
                .message
                .contains("expired")
        );
    }

    #[test]
    fn tokens_do_not_print() {
        let c = Confirmations::default();
        let t = c.issue(ticket(1)).unwrap();
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert_eq!(t.reveal().len(), 3 + 32);
    }
}
