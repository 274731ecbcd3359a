//! Tests of the vocabularies: round trips, unknown values, and the recorded answers.

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
