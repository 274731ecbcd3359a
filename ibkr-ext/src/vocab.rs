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
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use serde::de::DeserializeOwned;
    use serde_json::Value;

    use super::*;

    /// Text -> value -> text, through serde and through `Display`/`FromStr`.
    fn round_trip<T>(values: &[T])
    where
        T: Serialize + DeserializeOwned + FromStr<Err = VocabError> + fmt::Display + PartialEq,
        T: fmt::Debug,
    {
        for v in values {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), v, "{json}");
            assert_eq!(&v.to_string().parse::<T>().unwrap(), v);
        }
    }

    #[test]
    fn every_named_value_round_trips() {
        round_trip(&[Side::Buy, Side::Sell]);
        round_trip(&OrderStatus::NAMED);
        round_trip(&BarSize::NAMED);
        round_trip(&[
            Period::Minutes(30),
            Period::Hours(8),
            Period::Days(1000),
            Period::Weeks(2),
            Period::Months(6),
            Period::Years(5),
        ]);
        assert_eq!(Period::Months(6).to_string(), "6m");
        assert_eq!(BarSize::Month1.to_string(), "1m");
        assert_eq!(serde_json::to_string(&Side::Sell).unwrap(), r#""SELL""#);
    }

    #[test]
    fn unknown_network_values_land_in_other_and_go_back_unchanged() {
        /// JSON text -> value -> JSON text.
        fn again<T: Serialize + DeserializeOwned>(json: &str) -> String {
            serde_json::to_string(&serde_json::from_str::<T>(json).unwrap()).unwrap()
        }
        assert_eq!(again::<Side>(r#""SSHORT""#), r#""SSHORT""#);
        assert_eq!(again::<OrderStatus>(r#""WarnState""#), r#""WarnState""#);
        assert_eq!(again::<Period>(r#""2q""#), r#""2q""#);
        assert_eq!(again::<BarSize>(r#""20secs""#), r#""20secs""#);
        assert_eq!(Side::from_ibkr("SSHORT"), Side::Other("SSHORT".into()));
        assert_eq!(
            OrderStatus::from_ibkr("WarnState"),
            OrderStatus::Other("WarnState".into())
        );
        assert_eq!(Period::from_ibkr("0d"), Period::Other("0d".into()));
        assert_eq!(BarSize::from_ibkr("7min"), BarSize::Other("7min".into()));
        let other = OrderStatus::Other("WarnState".into());
        assert!(!other.is_terminal() && !other.is_working());
    }

    #[test]
    fn a_person_gets_an_error_naming_what_is_accepted() {
        let e = "1mon".parse::<BarSize>().unwrap_err();
        assert!(e.to_string().contains("\"1mon\" is not a bar size"), "{e}");
        assert!(e.to_string().contains("5min"), "{e}");
        for bad in ["", "d", "0d", "5", "5q", "-1d"] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?}");
        }
        assert!("hold".parse::<Side>().is_err());
        assert!("Done".parse::<OrderStatus>().is_err());
        assert_eq!("buy".parse::<Side>(), Ok(Side::Buy));
        assert_eq!(" 1H ".parse::<BarSize>(), Ok(BarSize::Hour1));
    }

    #[test]
    fn ibkrs_spellings_of_one_value_are_one_variant() {
        for t in ["BUY", "B", "Buy", "buy"] {
            assert_eq!(Side::from_ibkr(t), Side::Buy, "{t}");
        }
        for t in ["SELL", "S", "Sell"] {
            assert_eq!(Side::from_ibkr(t), Side::Sell, "{t}");
        }
        assert_eq!(OrderStatus::from_ibkr("Canceled"), OrderStatus::Cancelled);
        assert_eq!(OrderStatus::from_ibkr("filled"), OrderStatus::Filled);
        assert!(OrderStatus::Filled.is_terminal() && !OrderStatus::Filled.is_working());
        assert!(OrderStatus::PendingCancel.is_working());
    }

    /// Every JSON file under `dir`, recursively (the `.txt` frames too: their values are read
    /// by pattern, as they are not all valid JSON).
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "json" || e == "txt") {
                out.push(path);
            }
        }
    }

    /// The string values of `keys` anywhere in the text of `file`.
    fn values_of(text: &str, keys: &[&str], out: &mut BTreeSet<String>) {
        for key in keys {
            let mark = format!("\"{key}\"");
            for (at, _) in text.match_indices(&mark) {
                let rest = text[at + mark.len()..].trim_start();
                let Some(rest) = rest.strip_prefix(':') else {
                    continue;
                };
                let rest = rest.trim_start();
                if let Some(rest) = rest.strip_prefix('"')
                    && let Some(end) = rest.find('"')
                {
                    out.insert(rest[..end].to_string());
                }
            }
        }
    }

    /// The recorded answers about orders and executions: the REST operations that carry a
    /// `side` or an order `status`, and the `sor` frames.
    fn order_recordings() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        for op in [
            "getLiveOrders",
            "getOrderStatus",
            "listTrades",
            "placeOrder",
            "modifyOrder",
            "replyToOrderQuestion",
        ] {
            for dir in ["../tests/fixtures/responses", "../tests/fixtures/excerpts"] {
                let dir = root.join(dir).join(op);
                if dir.is_dir() {
                    files(&dir, &mut paths);
                }
            }
        }
        let ws = root.join("tests/fixtures/ws");
        let mut frames = Vec::new();
        files(&ws, &mut frames);
        paths.extend(frames.into_iter().filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("sor"))
        }));
        paths
    }

    #[test]
    fn every_side_and_status_in_the_recordings_is_a_named_variant() {
        let (mut sides, mut statuses) = (BTreeSet::new(), BTreeSet::new());
        for p in order_recordings() {
            let text = std::fs::read_to_string(&p).unwrap();
            values_of(&text, &["side"], &mut sides);
            values_of(&text, &["status", "order_status"], &mut statuses);
        }
        assert!(sides.len() >= 4, "BUY, SELL, B, S at least: {sides:?}");
        for s in &sides {
            assert!(
                !matches!(Side::from_ibkr(s), Side::Other(_)),
                "recorded side {s:?} is not a named variant"
            );
        }
        assert!(statuses.len() >= 4, "recorded statuses: {statuses:?}");
        for s in &statuses {
            assert!(
                !matches!(OrderStatus::from_ibkr(s), OrderStatus::Other(_)),
                "recorded order status {s:?} is not a named variant"
            );
        }
    }

    #[test]
    fn recorded_history_periods_and_bars_are_named_variants() {
        // `timePeriod` of the recorded /iserver/marketdata/history answers.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        files(
            &root.join("../tests/fixtures/responses/getMarketDataHistory"),
            &mut paths,
        );
        let mut periods = BTreeSet::new();
        for p in &paths {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            if let Some(t) = v.get("timePeriod").and_then(Value::as_str) {
                periods.insert(t.to_string());
            }
        }
        assert!(!periods.is_empty(), "{paths:?}");
        for t in &periods {
            assert!(
                !matches!(Period::from_ibkr(t), Period::Other(_)),
                "recorded period {t:?}"
            );
        }
    }
}
