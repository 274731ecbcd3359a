//! Every topic name of the socket, in one place: what a subscription asks for ([`Topic`]),
//! the names frames carry ([`WireTopic`], parsed and formatted here), and the messages the
//! manager sends ([`Request`], formatted here). No other file spells a topic.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::json;

/// The prefix of a market data frame's topic (`smd+<conid>`), for the decoder's fast path.
pub(crate) const MARKET_PREFIX: &str = "smd+";

/// What a subscription asks of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Topic {
    Quotes {
        conids: Vec<i64>,
        fields: Vec<u32>,
    },
    Orders,
    Pnl,
    Summary(String),
    Ledger(String),
    Trades(u8),
    History {
        conid: i64,
        period: String,
        bar: String,
    },
    Book {
        account: String,
        conid: i64,
    },
    Notifications,
    Bulletins,
    Status,
}

impl Topic {
    /// The wire name of the subscription's topic, for errors (`smd+1,smd+2` for quotes of
    /// two conids; `status` for the status stream, which has no wire topic).
    pub(crate) fn name(&self) -> String {
        let one = |w: WireTopic| w.to_string();
        match self {
            Topic::Quotes { conids, .. } => conids
                .iter()
                .map(|c| one(WireTopic::Market(*c)))
                .collect::<Vec<_>>()
                .join(","),
            Topic::Orders => one(WireTopic::Orders),
            Topic::Pnl => one(WireTopic::Pnl),
            Topic::Summary(a) => one(WireTopic::Summary(a.clone())),
            Topic::Ledger(a) => one(WireTopic::Ledger(a.clone())),
            Topic::Trades(_) => one(WireTopic::Trades),
            Topic::History { conid, .. } => one(WireTopic::History(*conid)),
            Topic::Book { account, conid } => one(WireTopic::Book {
                account: account.clone(),
                conid: *conid,
            }),
            Topic::Notifications => one(WireTopic::Notifications),
            Topic::Bulletins => one(WireTopic::Bulletins),
            Topic::Status => "status".into(),
        }
    }

    /// Whether frames of `wire` are for this subscription.
    pub(crate) fn feeds_on(&self, wire: &WireTopic) -> bool {
        match (self, wire) {
            (Topic::Quotes { conids, .. }, WireTopic::Market(c)) => conids.contains(c),
            (Topic::Orders, WireTopic::Orders)
            | (Topic::Trades(_), WireTopic::Trades)
            | (Topic::Pnl, WireTopic::Pnl)
            | (Topic::Notifications, WireTopic::Notifications)
            | (Topic::Bulletins, WireTopic::Bulletins) => true,
            (Topic::Summary(a), WireTopic::Summary(b))
            | (Topic::Ledger(a), WireTopic::Ledger(b)) => a == b,
            (Topic::History { conid, .. }, WireTopic::History(c)) => conid == c,
            (
                Topic::Book { account, conid },
                WireTopic::Book {
                    account: a,
                    conid: c,
                },
            ) => account == a && conid == c,
            _ => false,
        }
    }
}

/// A topic as frames name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum WireTopic {
    /// `smd+<conid>` (a suffix such as `@SMART` after the conid is ignored).
    Market(i64),
    /// `sor`.
    Orders,
    /// `str`.
    Trades,
    /// `spl`.
    Pnl,
    /// `ssd+<account>`.
    Summary(String),
    /// `sld+<account>`.
    Ledger(String),
    /// `smh+<conid>`.
    History(i64),
    /// `sbd+<account>+<conid>`.
    Book { account: String, conid: i64 },
    /// `ntf`.
    Notifications,
    /// `blt`.
    Bulletins,
    /// `sts`: the brokerage session's state.
    SessionStatus,
    /// `act`: the session's accounts.
    Accounts,
    /// `system`: readiness and heartbeats.
    System,
    /// `tic`: the answer to ours.
    Tic,
    /// `ech`: an echo.
    Echo,
}

impl WireTopic {
    /// The topic a frame names, `None` for one the manager does not know (or a malformed
    /// argument, such as a conid that is not a number).
    pub(crate) fn parse(name: &str) -> Option<WireTopic> {
        let (head, rest) = name.split_once('+').unwrap_or((name, ""));
        let number = |s: &str| s.parse::<i64>().ok();
        Some(match head {
            "smd" => WireTopic::Market(number(rest.split('@').next()?)?),
            "sor" => WireTopic::Orders,
            "str" => WireTopic::Trades,
            "spl" => WireTopic::Pnl,
            "ssd" if !rest.is_empty() => WireTopic::Summary(rest.to_string()),
            "sld" if !rest.is_empty() => WireTopic::Ledger(rest.to_string()),
            "smh" => WireTopic::History(number(rest)?),
            "sbd" => {
                let (account, conid) = rest.split_once('+')?;
                WireTopic::Book {
                    account: account.to_string(),
                    conid: number(conid)?,
                }
            }
            "ntf" => WireTopic::Notifications,
            "blt" => WireTopic::Bulletins,
            "sts" => WireTopic::SessionStatus,
            "act" => WireTopic::Accounts,
            "system" => WireTopic::System,
            "tic" => WireTopic::Tic,
            "ech" => WireTopic::Echo,
            _ => return None,
        })
    }
}

impl fmt::Display for WireTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireTopic::Market(c) => write!(f, "{MARKET_PREFIX}{c}"),
            WireTopic::Orders => f.write_str("sor"),
            WireTopic::Trades => f.write_str("str"),
            WireTopic::Pnl => f.write_str("spl"),
            WireTopic::Summary(a) => write!(f, "ssd+{a}"),
            WireTopic::Ledger(a) => write!(f, "sld+{a}"),
            WireTopic::History(c) => write!(f, "smh+{c}"),
            WireTopic::Book { account, conid } => write!(f, "sbd+{account}+{conid}"),
            WireTopic::Notifications => f.write_str("ntf"),
            WireTopic::Bulletins => f.write_str("blt"),
            WireTopic::SessionStatus => f.write_str("sts"),
            WireTopic::Accounts => f.write_str("act"),
            WireTopic::System => f.write_str("system"),
            WireTopic::Tic => f.write_str("tic"),
            WireTopic::Echo => f.write_str("ech"),
        }
    }
}

/// A message the manager sends; `Display` is its text on the socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// `smd+<conid>+{"fields":[..]}`: subscribe market data (or add fields).
    Market { conid: i64, fields: BTreeSet<u32> },
    /// `umd+<conid>+{}`.
    EndMarket(i64),
    /// `sor+{}`.
    Orders,
    /// `uor+{}`.
    EndOrders,
    /// `spl+{}`.
    Pnl,
    /// `upl+{}`.
    EndPnl,
    /// `ssd+<account>+{}`.
    Summary(String),
    /// `usd+<account>`.
    EndSummary(String),
    /// `sld+<account>+{}`.
    Ledger(String),
    /// `uld+<account>`.
    EndLedger(String),
    /// `str+{"realtimeUpdatesOnly":false,"days":<days>}`.
    Trades { days: u8 },
    /// `utr`.
    EndTrades,
    /// `sbd+<account>+<conid>`.
    Book { account: String, conid: i64 },
    /// `ubd+<account>`: ends the account's ladder (it names no contract; `conid` is the
    /// one the manager asked for, to record).
    EndBook { account: String, conid: i64 },
    /// `smh+<conid>+{..}`: streaming history for subscription `id`.
    History {
        id: u64,
        conid: i64,
        period: String,
        bar: String,
    },
    /// `umh+<server id>`: end subscription `id`'s history.
    EndHistory { id: u64, server_id: String },
    /// `tic`: the heartbeat.
    Tic,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Market { conid, fields } => {
                let fields: Vec<String> = fields.iter().map(u32::to_string).collect();
                let args = json!({ "fields": fields });
                write!(f, "{}+{args}", WireTopic::Market(*conid))
            }
            Request::EndMarket(c) => write!(f, "umd+{c}+{{}}"),
            Request::Orders => write!(f, "{}+{{}}", WireTopic::Orders),
            Request::EndOrders => f.write_str("uor+{}"),
            Request::Pnl => write!(f, "{}+{{}}", WireTopic::Pnl),
            Request::EndPnl => f.write_str("upl+{}"),
            Request::Summary(a) => write!(f, "{}+{{}}", WireTopic::Summary(a.clone())),
            Request::EndSummary(a) => write!(f, "usd+{a}"),
            Request::Ledger(a) => write!(f, "{}+{{}}", WireTopic::Ledger(a.clone())),
            Request::EndLedger(a) => write!(f, "uld+{a}"),
            Request::Trades { days } => {
                let args = json!({"realtimeUpdatesOnly": false, "days": days});
                write!(f, "{}+{args}", WireTopic::Trades)
            }
            Request::EndTrades => f.write_str("utr"),
            Request::Book { account, conid } => write!(
                f,
                "{}",
                WireTopic::Book {
                    account: account.clone(),
                    conid: *conid
                }
            ),
            Request::EndBook { account, .. } => write!(f, "ubd+{account}"),
            Request::History {
                conid, period, bar, ..
            } => {
                let args = json!({"period": period, "bar": bar, "outsideRth": false, "source": "trades", "format": "%o/%c/%h/%l/%v"});
                write!(f, "{}+{args}", WireTopic::History(*conid))
            }
            Request::EndHistory { server_id, .. } => write!(f, "umh+{server_id}"),
            Request::Tic => write!(f, "{}", WireTopic::Tic),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_topic_parses_back_from_its_name() {
        let all = [
            WireTopic::Market(265598),
            WireTopic::Orders,
            WireTopic::Trades,
            WireTopic::Pnl,
            WireTopic::Summary("DU1234567".into()),
            WireTopic::Ledger("DU1234567".into()),
            WireTopic::History(265598),
            WireTopic::Book {
                account: "DU1234567".into(),
                conid: 8314,
            },
            WireTopic::Notifications,
            WireTopic::Bulletins,
            WireTopic::SessionStatus,
            WireTopic::Accounts,
            WireTopic::System,
            WireTopic::Tic,
            WireTopic::Echo,
        ];
        for topic in all {
            assert_eq!(WireTopic::parse(&topic.to_string()), Some(topic));
        }
    }

    #[test]
    fn names_the_manager_does_not_know_or_cannot_read_parse_to_none() {
        assert_eq!(
            WireTopic::parse("smd+265598@SMART"),
            Some(WireTopic::Market(265598))
        );
        for name in [
            "",
            "xyz",
            "smd+",
            "smd+abc",
            "smh+x",
            "sbd+DU1",
            "sbd+DU1+x",
            "ssd",
        ] {
            assert_eq!(WireTopic::parse(name), None, "{name:?}");
        }
    }

    #[test]
    fn requests_are_the_documented_messages() {
        let fields: BTreeSet<u32> = [31, 84].into_iter().collect();
        let table = [
            (
                Request::Market {
                    conid: 265598,
                    fields,
                },
                r#"smd+265598+{"fields":["31","84"]}"#,
            ),
            (Request::EndMarket(265598), "umd+265598+{}"),
            (Request::Orders, "sor+{}"),
            (Request::EndOrders, "uor+{}"),
            (Request::Pnl, "spl+{}"),
            (Request::EndPnl, "upl+{}"),
            (Request::Summary("DU1".into()), "ssd+DU1+{}"),
            (Request::EndSummary("DU1".into()), "usd+DU1"),
            (Request::Ledger("DU1".into()), "sld+DU1+{}"),
            (Request::EndLedger("DU1".into()), "uld+DU1"),
            (
                Request::Trades { days: 3 },
                r#"str+{"days":3,"realtimeUpdatesOnly":false}"#,
            ),
            (Request::EndTrades, "utr"),
            (
                Request::Book {
                    account: "DU1".into(),
                    conid: 8314,
                },
                "sbd+DU1+8314",
            ),
            (
                Request::EndBook {
                    account: "DU1".into(),
                    conid: 8314,
                },
                "ubd+DU1",
            ),
            (
                Request::History {
                    id: 1,
                    conid: 8314,
                    period: "1d".into(),
                    bar: "1min".into(),
                },
                r#"smh+8314+{"bar":"1min","format":"%o/%c/%h/%l/%v","outsideRth":false,"period":"1d","source":"trades"}"#,
            ),
            (
                Request::EndHistory {
                    id: 1,
                    server_id: "42".into(),
                },
                "umh+42",
            ),
            (Request::Tic, "tic"),
        ];
        for (request, text) in table {
            assert_eq!(request.to_string(), text);
        }
    }

    #[test]
    fn a_subscription_feeds_on_its_own_topics_only() {
        let quotes = Topic::Quotes {
            conids: vec![1, 2],
            fields: vec![31],
        };
        assert!(quotes.feeds_on(&WireTopic::Market(2)));
        assert!(!quotes.feeds_on(&WireTopic::Market(3)));
        let book = Topic::Book {
            account: "DU1".into(),
            conid: 8314,
        };
        assert!(book.feeds_on(&WireTopic::Book {
            account: "DU1".into(),
            conid: 8314
        }));
        assert!(!book.feeds_on(&WireTopic::Book {
            account: "DU1".into(),
            conid: 1
        }));
        assert!(!Topic::Summary("DU1".into()).feeds_on(&WireTopic::Ledger("DU1".into())));
        assert!(!Topic::Status.feeds_on(&WireTopic::SessionStatus));
        assert_eq!(quotes.name(), "smd+1,smd+2");
        assert_eq!(book.name(), "sbd+DU1+8314");
    }
}
