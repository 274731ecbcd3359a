//! IBKR's closed vocabularies as types: [`Side`], [`OrderStatus`], and the history request's
//! [`Period`] and [`BarSize`].
//!
//! Each enum has an `Other(String)` variant for a value IBKR adds later, and follows one rule
//! for text in each direction:
//!
//! - **From the network** (`Deserialize`, and the decoders of REST answers and socket
//!   frames) a value never fails: IBKR's spellings become named variants (`BUY`, `B` and `Buy`
//!   are all [`Side::Buy`]; `Canceled` is [`OrderStatus::Cancelled`]) and anything else is kept,
//!   as sent, in `Other`.
//! - **From a person** ([`FromStr`], what the CLI's flags parse with) an unknown value is a
//!   [`VocabError`] naming what is accepted, so a typo (`1mon`) is caught before IBKR sees
//!   it. To send a value this crate does not know, build `Other` yourself.
//!
//! `Display` and `Serialize` write IBKR's spelling (`BUY`, `PreSubmitted`, `6m`, `5min`);
//! `Other` writes its text unchanged. The enums are not `#[non_exhaustive]`: a variant added
//! later would only move values out of `Other`, and a `match` that handles `Other` already
//! handles them.
//!
//! ```
//! use ibkr_ext::vocab::{BarSize, OrderStatus, Period, Side};
//!
//! assert_eq!("5y".parse::<Period>()?, Period::Years(5));
//! assert_eq!(BarSize::Min5.to_string(), "5min");
//! let status: OrderStatus = serde_json::from_str(r#""PreSubmitted""#).unwrap();
//! assert!(status.is_working() && !status.is_terminal());
//! let side: Side = serde_json::from_str(r#""B""#).unwrap();
//! assert_eq!(side, Side::Buy);
//! assert!("1mon".parse::<BarSize>().is_err());
//! # Ok::<(), ibkr_ext::vocab::VocabError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value a person gave that is not in IBKR's vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not {what}: use {expected}")]
pub struct VocabError {
    /// The text given.
    pub value: String,
    /// What it should have been (`a bar size`).
    pub what: &'static str,
    /// What is accepted.
    pub expected: &'static str,
}

/// `Display`, `Serialize` and a lenient `Deserialize` (through `from_ibkr`) for an enum whose
/// `as_str` gives IBKR's spelling.
macro_rules! text_serde {
    ($ty:ty) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.as_str())
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
                Ok(<$ty>::from_ibkr(&text))
            }
        }
    };
}

/// Buy or sell.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Buy (`BUY`; `B` in executions).
    Buy,
    /// Sell (`SELL`; `S` in executions).
    Sell,
    /// Any other side, as IBKR spells it.
    Other(String),
}

impl Side {
    /// IBKR's spelling in order bodies: `BUY`, `SELL`.
    pub fn as_str(&self) -> &str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
            Side::Other(s) => s,
        }
    }

    /// A side as IBKR sends it (`BUY`, `B`, `Buy`, ... in any case); never fails.
    pub fn from_ibkr(text: &str) -> Side {
        match text.trim().to_ascii_uppercase().as_str() {
            "BUY" | "B" | "BOT" => Side::Buy,
            "SELL" | "S" | "SLD" => Side::Sell,
            _ => Side::Other(text.to_string()),
        }
    }
}

text_serde!(Side);

impl FromStr for Side {
    type Err = VocabError;
    /// `buy`/`sell` (or `b`/`s`), any case.
    fn from_str(s: &str) -> Result<Side, VocabError> {
        match Side::from_ibkr(s) {
            Side::Other(_) => Err(VocabError {
                value: s.to_string(),
                what: "a side",
                expected: "BUY or SELL",
            }),
            side => Ok(side),
        }
    }
}

/// An order's status, as IBKR names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Not yet sent by the API (`ApiPending`).
    ApiPending,
    /// Sent, not yet acknowledged (`PendingSubmit`).
    PendingSubmit,
    /// A cancel was asked for and is not yet confirmed (`PendingCancel`).
    PendingCancel,
    /// Accepted and held until its conditions are met (`PreSubmitted`).
    PreSubmitted,
    /// Working at the destination (`Submitted`).
    Submitted,
    /// Cancelled by the API before it was sent (`ApiCancelled`).
    ApiCancelled,
    /// Cancelled (`Cancelled`; IBKR also writes `Canceled`).
    Cancelled,
    /// Completely filled (`Filled`).
    Filled,
    /// Rejected or held inactive by IBKR (`Inactive`).
    Inactive,
    /// Any other status, as IBKR spells it.
    Other(String),
}

impl OrderStatus {
    const NAMED: [OrderStatus; 9] = [
        OrderStatus::ApiPending,
        OrderStatus::PendingSubmit,
        OrderStatus::PendingCancel,
        OrderStatus::PreSubmitted,
        OrderStatus::Submitted,
        OrderStatus::ApiCancelled,
        OrderStatus::Cancelled,
        OrderStatus::Filled,
        OrderStatus::Inactive,
    ];

    /// IBKR's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            OrderStatus::ApiPending => "ApiPending",
            OrderStatus::PendingSubmit => "PendingSubmit",
            OrderStatus::PendingCancel => "PendingCancel",
            OrderStatus::PreSubmitted => "PreSubmitted",
            OrderStatus::Submitted => "Submitted",
            OrderStatus::ApiCancelled => "ApiCancelled",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Filled => "Filled",
            OrderStatus::Inactive => "Inactive",
            OrderStatus::Other(s) => s,
        }
    }

    /// A status as IBKR sends it (any case; `Canceled` too); never fails.
    pub fn from_ibkr(text: &str) -> OrderStatus {
        let t = text.trim();
        if t.eq_ignore_ascii_case("Canceled") {
            return OrderStatus::Cancelled;
        }
        Self::NAMED
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(t))
            .unwrap_or_else(|| OrderStatus::Other(text.to_string()))
    }

    /// Final: IBKR sends nothing more for the order (`Filled`, `Cancelled`, `ApiCancelled`,
    /// `Inactive`).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Cancelled
                | OrderStatus::ApiCancelled
                | OrderStatus::Inactive
        )
    }

    /// Live or on its way: it may still fill (`ApiPending`, `PendingSubmit`, `PreSubmitted`,
    /// `Submitted`, and `PendingCancel` until the cancel is confirmed). An `Other` status is
    /// neither working nor terminal.
    pub fn is_working(&self) -> bool {
        matches!(
            self,
            OrderStatus::ApiPending
                | OrderStatus::PendingSubmit
                | OrderStatus::PendingCancel
                | OrderStatus::PreSubmitted
                | OrderStatus::Submitted
        )
    }
}

text_serde!(OrderStatus);

impl FromStr for OrderStatus {
    type Err = VocabError;
    /// One of IBKR's statuses, any case.
    fn from_str(s: &str) -> Result<OrderStatus, VocabError> {
        match OrderStatus::from_ibkr(s) {
            OrderStatus::Other(_) => Err(VocabError {
                value: s.to_string(),
                what: "an order status",
                expected: "ApiPending, PendingSubmit, PendingCancel, PreSubmitted, Submitted, \
                           ApiCancelled, Cancelled, Filled or Inactive",
            }),
            status => Ok(status),
        }
    }
}

/// How far back a history request goes: a count of one unit (`1d`, `2w`, `6m`, `5y`).
///
/// IBKR's units: `min` minutes, `h` hours, `d` days, `w` weeks, `m` months, `y` years.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    /// Minutes (`30min`).
    Minutes(u32),
    /// Hours (`8h`).
    Hours(u32),
    /// Days (`1d`).
    Days(u32),
    /// Weeks (`2w`).
    Weeks(u32),
    /// Months (`6m`).
    Months(u32),
    /// Years (`5y`).
    Years(u32),
    /// Any other period, as IBKR spells it.
    Other(String),
}

/// A count and a unit (`5min` -> (5, "min")), lower case; `None` without both or for 0.
fn count_and_unit(text: &str) -> Option<(u32, String)> {
    let t = text.trim().to_ascii_lowercase();
    let digits = t.find(|c: char| !c.is_ascii_digit())?;
    let n: u32 = t[..digits].parse().ok()?;
    (n > 0).then(|| (n, t[digits..].to_string()))
}

impl Period {
    /// IBKR's spelling (`6m`).
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        let (n, unit) = match self {
            Period::Minutes(n) => (n, "min"),
            Period::Hours(n) => (n, "h"),
            Period::Days(n) => (n, "d"),
            Period::Weeks(n) => (n, "w"),
            Period::Months(n) => (n, "m"),
            Period::Years(n) => (n, "y"),
            Period::Other(s) => return s.as_str().into(),
        };
        format!("{n}{unit}").into()
    }

    /// A period as IBKR writes it (`1d`, `6m`, ...); never fails.
    pub fn from_ibkr(text: &str) -> Period {
        let named = count_and_unit(text).and_then(|(n, unit)| {
            Some(match unit.as_str() {
                "min" => Period::Minutes(n),
                "h" => Period::Hours(n),
                "d" => Period::Days(n),
                "w" => Period::Weeks(n),
                "m" => Period::Months(n),
                "y" => Period::Years(n),
                _ => return None,
            })
        });
        named.unwrap_or_else(|| Period::Other(text.to_string()))
    }
}

text_serde!(Period);

impl FromStr for Period {
    type Err = VocabError;
    /// A positive count and one of IBKR's units: `30min`, `8h`, `1d`, `2w`, `6m`, `5y`.
    fn from_str(s: &str) -> Result<Period, VocabError> {
        match Period::from_ibkr(s) {
            Period::Other(_) => Err(VocabError {
                value: s.to_string(),
                what: "a period",
                expected: "a count and a unit: 30min, 8h, 1d, 2w, 6m (months), 5y",
            }),
            period => Ok(period),
        }
    }
}

/// The length of one bar of history: IBKR's set (`1min` to `1m`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BarSize {
    /// `1min`.
    Min1,
    /// `2min`.
    Min2,
    /// `3min`.
    Min3,
    /// `5min`.
    Min5,
    /// `10min`.
    Min10,
    /// `15min`.
    Min15,
    /// `30min`.
    Min30,
    /// `1h`.
    Hour1,
    /// `2h`.
    Hour2,
    /// `3h`.
    Hour3,
    /// `4h`.
    Hour4,
    /// `8h`.
    Hour8,
    /// `1d`.
    Day1,
    /// `1w`.
    Week1,
    /// `1m` (a month).
    Month1,
    /// Any other bar size, as IBKR spells it.
    Other(String),
}

impl BarSize {
    const NAMED: [BarSize; 15] = [
        BarSize::Min1,
        BarSize::Min2,
        BarSize::Min3,
        BarSize::Min5,
        BarSize::Min10,
        BarSize::Min15,
        BarSize::Min30,
        BarSize::Hour1,
        BarSize::Hour2,
        BarSize::Hour3,
        BarSize::Hour4,
        BarSize::Hour8,
        BarSize::Day1,
        BarSize::Week1,
        BarSize::Month1,
    ];

    /// IBKR's spelling (`5min`).
    pub fn as_str(&self) -> &str {
        match self {
            BarSize::Min1 => "1min",
            BarSize::Min2 => "2min",
            BarSize::Min3 => "3min",
            BarSize::Min5 => "5min",
            BarSize::Min10 => "10min",
            BarSize::Min15 => "15min",
            BarSize::Min30 => "30min",
            BarSize::Hour1 => "1h",
            BarSize::Hour2 => "2h",
            BarSize::Hour3 => "3h",
            BarSize::Hour4 => "4h",
            BarSize::Hour8 => "8h",
            BarSize::Day1 => "1d",
            BarSize::Week1 => "1w",
            BarSize::Month1 => "1m",
            BarSize::Other(s) => s,
        }
    }

    /// A bar size as IBKR writes it (any case); never fails.
    pub fn from_ibkr(text: &str) -> BarSize {
        let t = text.trim();
        Self::NAMED
            .into_iter()
            .find(|b| b.as_str().eq_ignore_ascii_case(t))
            .unwrap_or_else(|| BarSize::Other(text.to_string()))
    }
}

text_serde!(BarSize);

impl FromStr for BarSize {
    type Err = VocabError;
    /// One of IBKR's bar sizes, any case.
    fn from_str(s: &str) -> Result<BarSize, VocabError> {
        match BarSize::from_ibkr(s) {
            BarSize::Other(_) => Err(VocabError {
                value: s.to_string(),
                what: "a bar size",
                expected: "1min, 2min, 3min, 5min, 10min, 15min, 30min, 1h, 2h, 3h, 4h, 8h, 1d, 1w or 1m (a month)",
            }),
            bar => Ok(bar),
        }
    }
}

#[cfg(test)]
mod tests;
