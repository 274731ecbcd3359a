//! Reading frames: the fast path for market data (`smd`), and the topic of everything else.
//!
//! An `smd` frame is read in one pass, borrowing keys and values from the frame, and merged
//! into the last known [`Quote`] of its conid through [`Quote::merge_text`], the decoder REST
//! snapshots use. Only changed values are written, reusing their text's allocation.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor,
};
use serde_json::{Map, Value};

use super::topic::{MARKET_PREFIX, WireTopic};
use crate::conid::Conid;
use crate::snapshot::{Field, Quote};

/// A frame that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed frame: {reason}")]
pub struct FrameError {
    /// What was wrong.
    pub reason: String,
    /// The topic, when it could still be found in the text.
    pub topic: Option<String>,
}

/// What [`QuoteMerger::apply`] did with a frame.
#[derive(Debug, PartialEq)]
pub enum Applied {
    /// A market data frame, merged: the conid and the fields that changed.
    Market {
        /// The contract.
        conid: Conid,
        /// Fields whose value changed.
        changed: Vec<Field>,
    },
    /// Not a market data update (another topic, or an `smd` error frame).
    Other,
}

/// The merged quotes of every conid seen on a socket: feed it frames, read merged quotes.
///
/// ```
/// use ibkr_ext::stream::internals::{Applied, QuoteMerger};
/// use ibkr_ext::{Conid, Field};
///
/// let mut quotes = QuoteMerger::default();
/// quotes.apply(r#"{"topic":"smd+265598","conid":265598,"31":"C193.18","87":"2.5M","6509":"RpB"}"#)?;
/// let applied = quotes.apply(r#"{"topic":"smd+265598","conid":265598,"31":"193.40"}"#)?;
/// assert_eq!(applied, Applied::Market { conid: Conid(265598), changed: vec![Field::LastPrice] });
/// let quote = quotes.quote(Conid(265598)).unwrap();
/// assert_eq!(quote.last(), Some(193.40));
/// assert_eq!(quote.number(Field::Volume), Some(2_500_000.0));
/// # Ok::<(), ibkr_ext::stream::internals::FrameError>(())
/// ```
#[derive(Debug, Default)]
pub struct QuoteMerger {
    quotes: HashMap<i64, Quote>,
}

impl QuoteMerger {
    /// Read one frame; merge it if it is market data.
    ///
    /// A frame that turns out malformed part-way leaves no quote behind for a conid it named
    /// first (fields merge as they are read: see `conid_hint`); fields it carried before the
    /// error may already be merged into a quote that existed.
    pub fn apply(&mut self, frame: &str) -> Result<Applied, FrameError> {
        let hint = conid_hint(frame);
        let fresh = hint.filter(|c| !self.quotes.contains_key(c));
        let mut de = serde_json::Deserializer::from_str(frame);
        let applied = FrameSeed { merger: self, hint }
            .deserialize(&mut de)
            .and_then(|p| de.end().map(|()| p));
        match applied {
            Ok(applied) => Ok(applied),
            Err(e) => {
                if let Some(c) = fresh {
                    self.quotes.remove(&c);
                }
                Err(FrameError {
                    reason: e.to_string(),
                    topic: topic_in_text(frame),
                })
            }
        }
    }

    /// The merged quote of a conid.
    pub fn quote(&self, conid: Conid) -> Option<&Quote> {
        self.quotes.get(&conid.0)
    }

    /// Forget a conid.
    pub fn remove(&mut self, conid: Conid) {
        self.quotes.remove(&conid.0);
    }

    /// Keep only the conids `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(Conid) -> bool) {
        self.quotes.retain(|c, _| keep(Conid(*c)));
    }

    /// How many conids have a merged quote.
    pub fn len(&self) -> usize {
        self.quotes.len()
    }

    /// Whether no conid has a merged quote.
    pub fn is_empty(&self) -> bool {
        self.quotes.is_empty()
    }
}

/// The conid of a compact `smd` frame, read from its `"topic":"smd+<conid>"` before
/// parsing, so fields merge as they are read instead of being buffered until the conid
/// (usually last) arrives. (An unescaped `"topic":"` cannot occur inside a JSON string.)
fn conid_hint(frame: &str) -> Option<i64> {
    const MARK: &str = "\"topic\":\"";
    let rest = frame
        .match_indices(MARK)
        .find_map(|(at, _)| frame[at + MARK.len()..].strip_prefix(MARKET_PREFIX))?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    rest[..digits].parse().ok()
}

/// Find `"topic":"..."` in text that is not valid JSON, to name the topic in the error.
pub(crate) fn topic_in_text(text: &str) -> Option<String> {
    let at = text.find("\"topic\"")?;
    let rest = text[at + 7..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_string())
}

/// Text borrowed from the frame when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(Cow::Borrowed("")))
            }
        }
        d.deserialize_any(V)
    }
}

/// An integer sent as a number or as text (`conid`, `_updated`); anything else is `None`.
struct Int(Option<i64>);

impl<'de> de::Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                Ok(Int(i64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                Ok(Int((v.fract() == 0.0).then_some(v as i64)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                Ok(Int(v.trim().parse().ok()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Int, E> {
                Ok(Int(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Int, E> {
                Ok(Int(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Int, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Int(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Int, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Int(None))
            }
        }
        d.deserialize_any(V)
    }
}

struct FrameSeed<'m> {
    merger: &'m mut QuoteMerger,
    hint: Option<i64>,
}

impl<'de> DeserializeSeed<'de> for FrameSeed<'_> {
    type Value = Applied;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Applied, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FrameSeed<'_> {
    type Value = Applied;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Applied, A::Error> {
        let mut topic: Option<Text<'de>> = None;
        let mut conid: Option<i64> = None;
        let mut updated: Option<i64> = None;
        let mut error = false;
        let mut fields: Vec<(u32, Text<'de>)> = Vec::new();
        // With the conid known up front, fields merge as they are read.
        let hint = self.hint;
        let quotes = &mut self.merger.quotes;
        let created = hint.is_some_and(|c| !quotes.contains_key(&c));
        let mut target: Option<&mut Quote> =
            hint.map(|c| quotes.entry(c).or_insert_with(|| Quote::new(Conid(c))));
        let mut changed = Vec::new();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            let key = key.0;
            match key.as_ref() {
                "topic" => topic = Some(map.next_value()?),
                "conid" => conid = map.next_value::<Int>()?.0,
                "_updated" => updated = map.next_value::<Int>()?.0,
                "error" => {
                    error = true;
                    map.next_value::<IgnoredAny>()?;
                }
                k if k.as_bytes().first().is_some_and(u8::is_ascii_digit) => {
                    match k.parse::<u32>() {
                        Ok(id) => {
                            let value: Text<'de> = map.next_value()?;
                            match target.as_deref_mut() {
                                Some(quote) => changed.extend(quote.merge_text(id, &value.0)),
                                None => fields.push((id, value)),
                            }
                        }
                        Err(_) => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let rest = topic.as_ref().and_then(|t| t.0.strip_prefix(MARKET_PREFIX));
        let Some(rest) = rest.filter(|_| !error) else {
            // Not market data after all (an error frame): forget a quote made for it.
            if created && let Some(c) = hint {
                quotes.remove(&c);
            }
            return Ok(Applied::Other);
        };
        let conid = match hint
            .or(conid)
            .or_else(|| rest.split('@').next()?.parse().ok())
        {
            Some(c) => c,
            None => return Err(de::Error::custom("smd frame without a conid")),
        };
        let quote = match target {
            Some(q) => q,
            None => quotes
                .entry(conid)
                .or_insert_with(|| Quote::new(Conid(conid))),
        };
        for (id, value) in &fields {
            if let Some(f) = quote.merge_text(*id, &value.0) {
                changed.push(f);
            }
        }
        if let Some(ms) = updated {
            quote.set_updated_ms(ms);
        }
        Ok(Applied::Market {
            conid: Conid(conid),
            changed,
        })
    }
}

/// A frame that is not market data, by what the manager does with it.
#[derive(Debug)]
pub(crate) enum Frame {
    /// `{"topic":"system","success":..}`.
    SystemReady(Option<String>),
    /// `{"topic":"system","hb":..}` or any other system frame.
    System,
    /// `{"message":"waiting for session"}`.
    WaitingForSession,
    /// An error frame: `{"error":..,"code":..,"topic":..}`.
    Error {
        topic: Option<String>,
        text: String,
        code: Option<i64>,
    },
    /// A topic with its JSON (`sor`, `str`, `spl`, `ssd+..`, `sts`, `act`, `ntf`, ...).
    Topic { wire: WireTopic, body: Value },
    /// Anything else (`{"result":"unsubscribed from summary"}`, `tic` answers, topics the
    /// manager does not know, ...).
    Other,
}

/// Classify a frame that [`QuoteMerger::apply`] reported as [`Applied::Other`].
pub(crate) fn classify(text: &str) -> Result<Frame, FrameError> {
    let body: Value = serde_json::from_str(text).map_err(|e| FrameError {
        reason: e.to_string(),
        topic: topic_in_text(text),
    })?;
    let topic = body
        .get("topic")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(error) = body.get("error") {
        let text = match error {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let code = body.get("code").and_then(|c| match c {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
        return Ok(Frame::Error { topic, text, code });
    }
    match topic.as_deref().map(|t| (t, WireTopic::parse(t))) {
        Some((_, Some(WireTopic::System))) => Ok(match body.get("success") {
            Some(user) => Frame::SystemReady(user.as_str().map(str::to_string)),
            None => Frame::System,
        }),
        Some((_, Some(WireTopic::Tic | WireTopic::Echo))) => Ok(Frame::Other),
        Some((_, Some(wire))) => Ok(Frame::Topic { wire, body }),
        Some((name, None)) => {
            tracing::trace!(topic = name, "stream: frame of an unhandled topic");
            Ok(Frame::Other)
        }
        None => {
            let waiting = body
                .get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| m.contains("waiting for session"));
            Ok(if waiting {
                Frame::WaitingForSession
            } else {
                Frame::Other
            })
        }
    }
}

/// An object of a frame (`sor` order, `str` execution) decoded into `T`, the generated type
/// of the same object in REST answers, never failing on a value: the socket writes some
/// values in another JSON type than REST does (`"price": 372` where REST sends `"372.00"`),
/// so a value `T` refuses is read as text (a number) or as a number (numeric text), and is
/// otherwise left out. Returns `T` and IBKR's keys that were left out.
pub(crate) fn loose_object<T: DeserializeOwned + Default>(
    object: Map<String, Value>,
) -> (T, Vec<String>) {
    let object = Value::Object(object);
    if let Ok(t) = T::deserialize(&object) {
        return (t, Vec::new());
    }
    let Value::Object(fields) = object else {
        return (T::default(), Vec::new());
    };
    let reads = |k: &str, v: &Value| {
        let one = Value::Object(Map::from_iter([(k.to_string(), v.clone())]));
        T::deserialize(&one).is_ok()
    };
    let mut kept = Map::new();
    let mut dropped = Vec::new();
    for (k, v) in fields {
        let other = match &v {
            Value::Number(n) => Some(Value::String(n.to_string())),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| s.trim().parse::<f64>().ok().map(Value::from)),
            _ => None,
        };
        if reads(&k, &v) {
            kept.insert(k, v);
        } else if let Some(o) = other.filter(|o| reads(&k, o)) {
            kept.insert(k, o);
        } else {
            dropped.push(k);
        }
    }
    let t = T::deserialize(&Value::Object(kept)).unwrap_or_default();
    (t, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_malformed_part_way_leaves_no_quote_for_a_new_conid() {
        let mut merger = QuoteMerger::default();
        // Found by the `stream_frames` fuzz target: the fields merge before the error.
        assert!(
            merger
                .apply(r##"{"topic":"smd+265597","31":"1.5","#{"ted"}]}"##)
                .is_err()
        );
        assert!(
            merger
                .apply(r#"{"topic":"smd+265596","31":"1.5"} trailing"#)
                .is_err()
        );
        assert!(merger.is_empty());
        merger.apply(r#"{"topic":"smd+1","31":"1.5"}"#).unwrap();
        assert!(merger.apply(r##"{"topic":"smd+1","31":"2.5","#"##).is_err());
        assert_eq!(merger.len(), 1, "a quote that existed stays");
    }

    #[test]
    fn the_gateway_docs_smd_frame_is_merged() {
        // fixtures/cp/WS_smd_message__webapi_doc.json (IBKR's Web API documentation).
        let mut m = QuoteMerger::default();
        let frame = r#"{"31":"189.60","6119":"q2","6509":"RpB","7059":"100","84":"189.56","85":"500",
            "86":"189.61","88":"200","_updated":1712596911593,"conid":8314,"conidEx":"8314",
            "server_id":"q2","topic":"smd+8314"}"#;
        let Applied::Market { conid, changed } = m.apply(frame).unwrap() else {
            panic!("market data")
        };
        assert_eq!(conid, Conid(8314));
        assert!(changed.contains(&Field::LastPrice) && changed.contains(&Field::Availability));
        let q = m.quote(conid).unwrap();
        assert_eq!(q.last(), Some(189.60));
        assert_eq!(q.number(Field::AskSize), Some(500.0));
        assert!(q.availability.is_some());
        assert_eq!(q.updated.map(|t| t.timestamp_millis()), Some(1712596911593));
        // Same values again: nothing changed.
        let again = m.apply(frame).unwrap();
        assert_eq!(
            again,
            Applied::Market {
                conid,
                changed: vec![]
            }
        );
    }

    #[test]
    fn numeric_values_prefixes_and_suffixes_decode_like_rest() {
        let mut m = QuoteMerger::default();
        m.apply(r#"{"topic":"smd+1","conid":1,"83":0.04,"31":"H12.5","87":"37.4K","88":"1,300"}"#)
            .unwrap();
        let q = m.quote(Conid(1)).unwrap();
        assert_eq!(q.number(Field::ChangePercent), Some(0.04));
        assert!(q.get(Field::LastPrice).unwrap().halted);
        assert_eq!(q.number(Field::Volume), Some(37_400.0));
        assert_eq!(q.number(Field::BidSize), Some(1300.0));
    }

    #[test]
    fn other_topics_errors_and_garbage() {
        let mut m = QuoteMerger::default();
        assert_eq!(
            m.apply(r#"{"topic":"system","hb":1}"#).unwrap(),
            Applied::Other
        );
        assert_eq!(
            m.apply(r#"{"topic":"smd+1","error":"invalid conid"}"#)
                .unwrap(),
            Applied::Other
        );
        let err = m.apply(r#"{"topic":"smd+5","31":"1""#).unwrap_err();
        assert_eq!(err.topic.as_deref(), Some("smd+5"));
        assert!(m.apply("[1,2]").is_err());
        match classify(r#"{"topic":"smd+1","error":"invalid conid"}"#).unwrap() {
            Frame::Error { topic, text, .. } => {
                assert_eq!(
                    (topic.as_deref(), text.as_str()),
                    (Some("smd+1"), "invalid conid")
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(r#"{"message":"waiting for session"}"#).unwrap(),
            Frame::WaitingForSession
        ));
    }

    #[test]
    fn socket_values_in_another_json_type_than_rest_are_read_not_dropped() {
        use ibkr_gen::trading::types::LiveOrdersResponseOrdersItem as Item;
        // The gateway documentation's first `sor` frame sends `"price": 372`; REST sends text.
        let Value::Object(o) = serde_json::json!({"orderId": 922048212, "price": 372,
            "status": "Submitted", "totalSize": "100", "outsideRTH": "maybe"})
        else {
            unreachable!()
        };
        let (item, dropped) = loose_object::<Item>(o);
        assert_eq!(item.price.as_deref(), Some("372"));
        assert_eq!(item.order_id, Some(922048212));
        assert_eq!(item.status.as_deref(), Some("Submitted"));
        assert!(item.total_size.is_some());
        assert_eq!(
            dropped,
            ["outsideRTH"],
            "a value no type reads is left out, by name"
        );
    }
}
