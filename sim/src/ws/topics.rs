//! What a client sends over the socket, parsed: `TOPIC+ARG+{JSON}` (`websocket.md`, "Topics").

use serde_json::Value;

/// One client message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    /// `tic`: the session ping.
    Tic,
    /// `ech+hb`: echoed back (gw-doc).
    Echo(String),
    /// `{"session":"<id>"}` after `waiting for session`.
    Session(String),
    /// `smd+<conid>[@exchange]+{"fields":[..]}`.
    SubscribeMarket { conid: String, fields: Vec<String> },
    /// `umd+<conid>+{}`.
    UnsubscribeMarket { conid: String },
    /// `smh+<conid>+{"period","bar","outsideRth","source",..}`.
    SubscribeHistory { conid: String, args: Value },
    /// `umh+<serverId>`.
    UnsubscribeHistory { server_id: String },
    /// `sbd+<acct>+<conid>[+<exchange>]`.
    SubscribeBook { account: String, conid: String },
    /// `ubd+<acct>`.
    UnsubscribeBook { account: String },
    /// `sor+{}` or `sor+{"filters":[..]}`.
    SubscribeOrders { filters: Vec<String> },
    /// `uor+{}`.
    UnsubscribeOrders,
    /// `str+{"realtimeUpdatesOnly":..,"days":..}`.
    SubscribeTrades { realtime_only: bool, days: i64 },
    /// `utr`.
    UnsubscribeTrades,
    /// `spl+{}`.
    SubscribePnl,
    /// `upl+{}` (or `upl{}` as cpapi-v1 prints it).
    UnsubscribePnl,
    /// `ssd+<acct>[+{..}]`.
    SubscribeSummary { account: String },
    /// `usd+<acct>`.
    UnsubscribeSummary { account: String },
    /// `sld+<acct>[+{..}]`.
    SubscribeLedger { account: String },
    /// `uld+<acct>`.
    UnsubscribeLedger { account: String },
    /// Anything else.
    Unknown(String),
}

fn json_arg(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t.trim()).ok())
        .unwrap_or(Value::Null)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Parse one text frame.
pub(crate) fn parse(text: &str) -> Command {
    let text = text.trim();
    if text == "tic" {
        return Command::Tic;
    }
    if text.starts_with('{') {
        let v = json_arg(Some(text));
        return match v.get("session").and_then(Value::as_str) {
            Some(id) => Command::Session(id.to_string()),
            None => Command::Unknown(text.to_string()),
        };
    }
    let mut parts = text.splitn(3, '+');
    let topic = parts.next().unwrap_or_default();
    let first = parts.next();
    let rest = parts.next();
    let word = |t: Option<&str>| t.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let unknown = || Command::Unknown(text.to_string());
    match topic {
        "ech" => Command::Echo(text.to_string()),
        "smd" => match word(first) {
            Some(conid) => Command::SubscribeMarket {
                conid,
                fields: strings(&json_arg(rest), "fields"),
            },
            None => unknown(),
        },
        "umd" => word(first).map_or_else(unknown, |conid| Command::UnsubscribeMarket { conid }),
        "smh" => match word(first) {
            Some(conid) => Command::SubscribeHistory {
                conid,
                args: json_arg(rest),
            },
            None => unknown(),
        },
        "umh" => word(first).map_or_else(unknown, |server_id| Command::UnsubscribeHistory {
            server_id,
        }),
        "sbd" => match (word(first), word(rest)) {
            (Some(account), Some(conid)) => Command::SubscribeBook {
                account,
                // `<conid>[+<exchange>]`
                conid: conid.split('+').next().unwrap_or_default().to_string(),
            },
            _ => unknown(),
        },
        "ubd" => word(first).map_or_else(unknown, |account| Command::UnsubscribeBook { account }),
        "sor" => Command::SubscribeOrders {
            filters: strings(&json_arg(first), "filters"),
        },
        "uor" => Command::UnsubscribeOrders,
        "str" => {
            let v = json_arg(first);
            Command::SubscribeTrades {
                realtime_only: v
                    .get("realtimeUpdatesOnly")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                days: v
                    .get("days")
                    .and_then(Value::as_i64)
                    .unwrap_or(1)
                    .clamp(1, 7),
            }
        }
        "utr" => Command::UnsubscribeTrades,
        "spl" => Command::SubscribePnl,
        "upl" | "upl{}" => Command::UnsubscribePnl,
        "ssd" => word(first).map_or_else(unknown, |account| Command::SubscribeSummary { account }),
        "usd" => {
            word(first).map_or_else(unknown, |account| Command::UnsubscribeSummary { account })
        }
        "sld" => word(first).map_or_else(unknown, |account| Command::SubscribeLedger { account }),
        "uld" => word(first).map_or_else(unknown, |account| Command::UnsubscribeLedger { account }),
        _ => unknown(),
    }
}

/// The numeric conid of `265598` or `265598@SMART`.
pub(crate) fn conid_number(text: &str) -> Option<u64> {
    text.split('@').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_topics_parse() {
        assert_eq!(parse("tic"), Command::Tic);
        assert_eq!(
            parse(r#"smd+265598+{"fields":["31","84"]}"#),
            Command::SubscribeMarket {
                conid: "265598".into(),
                fields: vec!["31".into(), "84".into()]
            }
        );
        assert_eq!(
            parse("umd+265598+{}"),
            Command::UnsubscribeMarket {
                conid: "265598".into()
            }
        );
        assert_eq!(
            parse(r#"sor+{"filters":["Submitted"]}"#),
            Command::SubscribeOrders {
                filters: vec!["Submitted".into()]
            }
        );
        assert_eq!(
            parse(r#"str+{"realtimeUpdatesOnly":true,"days":3}"#),
            Command::SubscribeTrades {
                realtime_only: true,
                days: 3
            }
        );
        assert_eq!(parse("upl{}"), Command::UnsubscribePnl);
        assert_eq!(
            parse("sbd+DU1+265598+SMART"),
            Command::SubscribeBook {
                account: "DU1".into(),
                conid: "265598".into()
            }
        );
        assert_eq!(
            parse(r#"{"session":"abc"}"#),
            Command::Session("abc".into())
        );
        assert!(matches!(parse("smd"), Command::Unknown(_)));
        assert!(matches!(parse("zzz+1"), Command::Unknown(_)));
        assert_eq!(conid_number("265598@SMART"), Some(265598));
    }
}
