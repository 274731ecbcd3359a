//! Market data snapshots: named fields, parsed values, and IBKR's pre-flight handled.
//!
//! The first `/iserver/marketdata/snapshot` request for a contract only subscribes: it comes
//! back without fields. [`Ibkr::snapshot`] polls again (bounded) until every requested field
//! has arrived. Values arrive as IBKR formats them for display (`"C193.18"`, `"1,300"`,
//! `"2.5M"`); [`FieldValue`] keeps that text and gives the number with its flags.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ibkr_gen::trading::types::SnapshotRow;
use serde::Serialize;
use serde_json::Value;

use crate::Ibkr;
use crate::conid::Conid;
use crate::error::Result;

macro_rules! fields {
    ($($(#[$doc:meta])* $name:ident = $id:literal,)*) => {
        /// A snapshot field (IBKR's numeric field ids, by name).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[non_exhaustive]
        pub enum Field {
            $($(#[$doc])* $name,)*
            /// A field id without a name here.
            Other(u32),
        }

        impl Field {
            /// IBKR's field id.
            pub fn id(self) -> u32 {
                match self {
                    $(Field::$name => $id,)*
                    Field::Other(id) => id,
                }
            }

            /// The field with this id.
            pub fn from_id(id: u32) -> Field {
                match id {
                    $($id => Field::$name,)*
                    other => Field::Other(other),
                }
            }

            /// The field with this name (as the enum spells it, case-insensitive) or id.
            pub fn parse(s: &str) -> Option<Field> {
                let s = s.trim();
                if let Ok(id) = s.parse::<u32>() {
                    return Some(Field::from_id(id));
                }
                let wanted: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
                [$(Field::$name,)*].into_iter().find(|f| format!("{f:?}").to_lowercase() == wanted)
            }

            /// Every named field.
            pub fn all() -> &'static [Field] {
                &[$(Field::$name,)*]
            }
        }
    };
}

fields! {
    /// Last price (31); `C` prefix: previous close, `H` prefix: trading halted.
    LastPrice = 31,
    /// Symbol (55).
    Symbol = 55,
    /// Text (58).
    Text = 58,
    /// Today's high (70).
    High = 70,
    /// Today's low (71).
    Low = 71,
    /// Market value of the position (73).
    MarketValue = 73,
    /// Average price of the position (74).
    AvgPrice = 74,
    /// Unrealized P&L (75).
    UnrealizedPnl = 75,
    /// Daily P&L (78).
    DailyPnl = 78,
    /// Realized P&L (79).
    RealizedPnl = 79,
    /// Change since the previous close (82).
    Change = 82,
    /// Change since the previous close, percent (83).
    ChangePercent = 83,
    /// Bid (84).
    Bid = 84,
    /// Ask size (85).
    AskSize = 85,
    /// Ask (86).
    Ask = 86,
    /// Volume (87), with K/M suffixes.
    Volume = 87,
    /// Bid size (88).
    BidSize = 88,
    /// Exchange (6004).
    Exchange = 6004,
    /// Contract id (6008).
    Conid = 6008,
    /// Security type (6070).
    SecType = 6070,
    /// Market data availability (6509), e.g. `RpB`.
    Availability = 6509,
    /// Company name (7051).
    CompanyName = 7051,
    /// Ask exchange (7057).
    AskExchange = 7057,
    /// Last exchange (7058).
    LastExchange = 7058,
    /// Last size (7059).
    LastSize = 7059,
    /// Bid exchange (7068).
    BidExchange = 7068,
    /// Implied volatility of the underlying, percent (7283).
    ImpliedVolatility = 7283,
    /// Dividend yield, percent (7287).
    DividendYield = 7287,
    /// Market cap (7289).
    MarketCap = 7289,
    /// Price/earnings ratio (7290).
    PeRatio = 7290,
    /// Earnings per share (7291).
    Eps = 7291,
    /// 52-week high (7293).
    High52Week = 7293,
    /// 52-week low (7294).
    Low52Week = 7294,
    /// Today's open (7295).
    Open = 7295,
    /// Today's close (7296).
    Close = 7296,
    /// Mark price (7635).
    Mark = 7635,
    /// Prior close (7741).
    PriorClose = 7741,
    /// Volume as a plain number (7762).
    VolumeLong = 7762,
}

/// One field's value: IBKR's text, and the number in it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldValue {
    /// The value as IBKR sent it.
    pub raw: String,
    /// The number, with prefixes, thousands separators and K/M/B suffixes handled.
    pub number: Option<f64>,
    /// A `C` prefix: this is the previous close, not a trade today.
    pub prior_close: bool,
    /// An `H` prefix: trading is halted.
    pub halted: bool,
}

impl FieldValue {
    /// Read one value as IBKR sends it (a JSON string or number).
    pub fn parse(v: &Value) -> FieldValue {
        match v {
            Value::String(s) => FieldValue::from_text(s),
            other => FieldValue::from_text(&other.to_string()),
        }
    }

    /// Read one value from IBKR's text: the decoder REST snapshots and the stream share.
    pub fn from_text(raw: &str) -> FieldValue {
        let (number, prior_close, halted) = read_number(raw);
        FieldValue {
            raw: raw.to_string(),
            number,
            prior_close,
            halted,
        }
    }

    /// Replace the value with `raw` unless it is the same text; `true` if it changed.
    /// Reuses the text's allocation.
    pub fn update(&mut self, raw: &str) -> bool {
        if self.raw == raw {
            return false;
        }
        self.raw.clear();
        self.raw.push_str(raw);
        (self.number, self.prior_close, self.halted) = read_number(raw);
        true
    }
}

/// The number in IBKR's display text: `C`/`H` prefixes (prior close, halted), thousands
/// separators, a trailing `%`, and `K`/`M`/`B` multipliers. Allocates only when the text
/// has thousands separators.
fn read_number(raw: &str) -> (Option<f64>, bool, bool) {
    let mut text = raw.trim();
    let (mut prior_close, mut halted) = (false, false);
    let numeric_start =
        |rest: &str| rest.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.');
    if let Some(rest) = text.strip_prefix('C')
        && numeric_start(rest)
    {
        prior_close = true;
        text = rest;
    } else if let Some(rest) = text.strip_prefix('H')
        && numeric_start(rest)
    {
        halted = true;
        text = rest;
    }
    let text = text.trim_end_matches('%');
    let (digits, exponent) = match text.as_bytes().last() {
        Some(b'K' | b'k') => (&text[..text.len() - 1], 3),
        Some(b'M') => (&text[..text.len() - 1], 6),
        Some(b'B') => (&text[..text.len() - 1], 9),
        _ => (text, 0),
    };
    let digits = digits.trim();
    let number = if exponent > 0 || digits.contains(',') {
        // `8.31M` is read as `8.31e6`: exact, where 8.31 * 1e6 is not.
        let plain: String = digits.chars().filter(|c| *c != ',').collect();
        format!("{plain}e{exponent}").parse::<f64>().ok()
    } else {
        digits.parse::<f64>().ok()
    };
    (number, prior_close, halted)
}

/// Where the market data comes from (the first letter of field 6509).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DataKind {
    /// `R`: real time.
    RealTime,
    /// `D`: delayed.
    Delayed,
    /// `Z`: frozen.
    Frozen,
    /// `Y`: frozen and delayed.
    FrozenDelayed,
    /// `N`: not subscribed.
    NotSubscribed,
    /// Any other code IBKR sends (`O`, `i`, `v`, ...).
    Other(char),
}

/// Field 6509 decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Availability {
    /// The kind of data.
    pub kind: DataKind,
    /// `P`: a snapshot.
    pub snapshot: bool,
    /// `p`: consolidated.
    pub consolidated: bool,
    /// `B`: top of the book.
    pub book: bool,
    /// IBKR's code as sent.
    pub raw: String,
}

impl Availability {
    /// Decode `RpB`-style codes.
    pub fn parse(code: &str) -> Option<Availability> {
        let mut chars = code.trim().chars();
        let kind = match chars.next()? {
            'R' => DataKind::RealTime,
            'D' => DataKind::Delayed,
            'Z' => DataKind::Frozen,
            'Y' => DataKind::FrozenDelayed,
            'N' => DataKind::NotSubscribed,
            other => DataKind::Other(other),
        };
        let rest: String = chars.collect();
        Some(Availability {
            kind,
            snapshot: rest.contains('P'),
            consolidated: rest.contains('p'),
            book: rest.contains('B'),
            raw: code.to_string(),
        })
    }
}

/// One contract's snapshot.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quote {
    /// The contract.
    pub conid: Conid,
    /// When IBKR last updated it.
    pub updated: Option<DateTime<Utc>>,
    /// Field 6509, decoded.
    pub availability: Option<Availability>,
    /// Every field that arrived.
    pub fields: BTreeMap<Field, FieldValue>,
}

impl Quote {
    /// A field's value.
    pub fn get(&self, field: Field) -> Option<&FieldValue> {
        self.fields.get(&field)
    }

    /// A field's number.
    pub fn number(&self, field: Field) -> Option<f64> {
        self.get(field).and_then(|v| v.number)
    }

    /// The last price.
    pub fn last(&self) -> Option<f64> {
        self.number(Field::LastPrice)
    }

    /// An empty quote for `conid`, to merge values into.
    pub fn new(conid: Conid) -> Quote {
        Quote {
            conid,
            updated: None,
            availability: None,
            fields: BTreeMap::new(),
        }
    }

    /// Merge one field as IBKR sends it (`id` is the numeric key, `raw` the value's text).
    /// Returns the field if its value changed. REST rows and stream frames both go through
    /// here, so both decode alike (prefixes, K/M volumes, 6509).
    pub fn merge_text(&mut self, id: u32, raw: &str) -> Option<Field> {
        if id == SERVER_ID_FIELD {
            // The server's subscription id (`6119`), not a market value.
            return None;
        }
        let field = Field::from_id(id);
        let changed = match self.fields.get_mut(&field) {
            Some(v) => v.update(raw),
            None => {
                self.fields.insert(field, FieldValue::from_text(raw));
                true
            }
        };
        if !changed {
            return None;
        }
        if field == Field::Availability {
            self.availability = Availability::parse(raw);
        }
        Some(field)
    }

    /// Set `updated` from IBKR's `_updated` (epoch milliseconds).
    pub fn set_updated_ms(&mut self, ms: i64) {
        self.updated = Utc.timestamp_millis_opt(ms).single();
    }

    /// Merge a REST snapshot row or a decoded stream frame given as JSON; returns the
    /// fields that changed.
    pub fn merge_row(&mut self, row: &serde_json::Map<String, Value>) -> Vec<Field> {
        let mut changed = Vec::new();
        for (k, v) in row {
            let Ok(id) = k.parse::<u32>() else { continue };
            let merged = match v {
                Value::String(s) => self.merge_text(id, s),
                Value::Null => None,
                other => self.merge_text(id, &other.to_string()),
            };
            changed.extend(merged);
        }
        if let Some(ms) = row.get("_updated").and_then(Value::as_i64) {
            self.set_updated_ms(ms);
        }
        changed
    }

    /// A quote from one row of the generated snapshot answer (numeric keys are fields).
    pub(crate) fn from_row(row: &SnapshotRow) -> Option<Quote> {
        let mut quote = Quote::new(Conid(row.conid?));
        quote.merge_row(&row.extra);
        if let Some(ms) = row.updated {
            quote.set_updated_ms(ms);
        }
        Some(quote)
    }

    /// The quote as the CLI's JSON shows it: `conid` and each field by name (`LastPrice`,
    /// `Bid`, ...), a number where the value is one, IBKR's text otherwise.
    pub fn to_named_json(&self, fields: &[Field]) -> serde_json::Map<String, Value> {
        let mut row = serde_json::Map::new();
        row.insert("conid".into(), Value::from(self.conid.0));
        for f in fields {
            let v = self
                .get(*f)
                .map(|v| {
                    v.number
                        .map(Value::from)
                        .unwrap_or_else(|| Value::from(v.raw.clone()))
                })
                .unwrap_or(Value::Null);
            row.insert(format!("{f:?}"), v);
        }
        row
    }
}

/// `6119`: the server id of a market data subscription, sent with every row.
const SERVER_ID_FIELD: u32 = 6119;

/// How often a snapshot is requested before returning what has arrived.
pub const SNAPSHOT_POLLS: usize = 6;

impl Ibkr {
    /// A snapshot of `fields` for each conid (at most 100 conids and 50 fields, IBKR's
    /// limits). Polls past IBKR's pre-flight until every field has arrived, at most
    /// [`SNAPSHOT_POLLS`] times; a field IBKR never sends is simply absent.
    pub async fn snapshot(&self, conids: &[Conid], fields: &[Field]) -> Result<Vec<Quote>> {
        let ids: Vec<i64> = conids.iter().map(|c| c.0).collect();
        let field_ids: Vec<String> = fields.iter().map(|f| f.id().to_string()).collect();
        let mut quotes = Vec::new();
        for poll in 0..SNAPSHOT_POLLS {
            if poll > 0 {
                tokio::time::sleep(Duration::from_millis(150 * poll as u64)).await;
            }
            let call = self
                .raw()
                .get_market_data_snapshot()
                .conids(ids.clone())
                .fields(field_ids.clone());
            let rows = self.send(call).await?;
            quotes = rows.iter().filter_map(Quote::from_row).collect();
            let complete = conids.iter().all(|c| {
                quotes
                    .iter()
                    .find(|q| q.conid == *c)
                    .is_some_and(|q| fields.iter().all(|f| q.fields.contains_key(f)))
            });
            if complete {
                break;
            }
        }
        Ok(quotes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_parsed_with_their_flags() {
        let v = FieldValue::parse(&json!("C193.18"));
        assert_eq!(
            (v.number, v.prior_close, v.halted),
            (Some(193.18), true, false)
        );
        assert!(FieldValue::parse(&json!("H12.5")).halted);
        assert_eq!(FieldValue::parse(&json!("1,300")).number, Some(1300.0));
        assert_eq!(FieldValue::parse(&json!("2.5M")).number, Some(2_500_000.0));
        assert_eq!(FieldValue::parse(&json!("37.4K")).number, Some(37_400.0));
        assert_eq!(FieldValue::parse(&json!("8.31M")).number, Some(8_310_000.0));
        assert_eq!(
            FieldValue::parse(&json!("1,234.5K")).number,
            Some(1_234_500.0)
        );
        assert_eq!(FieldValue::parse(&json!("-0.52%")).number, Some(-0.52));
        assert_eq!(FieldValue::parse(&json!(0.04)).number, Some(0.04));
        assert_eq!(FieldValue::parse(&json!("APPLE INC")).number, None);
    }

    #[test]
    fn a_real_snapshot_row_is_read() {
        // IBKR's documentation example (tests/fixtures/responses/getMarketDataSnapshot/).
        let row: SnapshotRow = serde_json::from_value(json!({"_updated": 1702334859712i64, "conidEx": "265598", "conid": 265598, "server_id": "q1",
                         "6119": "serverId", "31": "193.18", "84": "193.06", "86": "193.14", "6509": "RpB"}))
        .unwrap();
        let q = Quote::from_row(&row).unwrap();
        assert_eq!(q.conid, Conid(265598));
        assert_eq!(q.last(), Some(193.18));
        assert_eq!(q.number(Field::Bid), Some(193.06));
        assert_eq!(q.number(Field::Ask), Some(193.14));
        let a = q.availability.unwrap();
        assert_eq!(
            (a.kind, a.consolidated, a.book, a.snapshot),
            (DataKind::RealTime, true, true, false)
        );
        assert_eq!(q.updated.unwrap().timestamp_millis(), 1702334859712);
    }

    #[test]
    fn fields_by_name_and_id() {
        assert_eq!(Field::parse("LastPrice"), Some(Field::LastPrice));
        assert_eq!(Field::parse("last_price"), Some(Field::LastPrice));
        assert_eq!(Field::parse("86"), Some(Field::Ask));
        assert_eq!(Field::from_id(99999), Field::Other(99999));
        assert_eq!(Field::Volume.id(), 87);
    }
}
