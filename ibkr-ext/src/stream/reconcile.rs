//! What the handles want against what the socket has: [`reconcile`] is a pure function from
//! the two to the requests that close the gap; [`OnSocket::record`] notes each request sent.

use std::collections::{BTreeMap, BTreeSet};

use super::topic::{Request, Topic};

/// What the subscriptions want of the server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Desired {
    /// Conid → the union of the fields its subscriptions want.
    pub(crate) md: BTreeMap<i64, BTreeSet<u32>>,
    pub(crate) orders: bool,
    /// A refused `sor` waits for its priming and retry: it is not asked again meanwhile.
    pub(crate) orders_held: bool,
    pub(crate) pnl: bool,
    pub(crate) summaries: BTreeSet<String>,
    pub(crate) ledgers: BTreeSet<String>,
    /// The most days any trades subscription wants.
    pub(crate) trades: Option<u8>,
    pub(crate) books: BTreeSet<(String, i64)>,
    /// Subscription id → (conid, period, bar): each history subscription is its own stream.
    pub(crate) histories: BTreeMap<u64, (i64, String, String)>,
}

impl Desired {
    /// What the subscriptions `(id, topic)` want (`orders_held` is the caller's to set).
    pub(crate) fn of<'a>(subs: impl IntoIterator<Item = (u64, &'a Topic)>) -> Desired {
        let mut want = Desired::default();
        for (id, topic) in subs {
            match topic {
                Topic::Quotes { conids, fields } => {
                    for c in conids {
                        want.md
                            .entry(*c)
                            .or_default()
                            .extend(fields.iter().copied());
                    }
                }
                Topic::Orders => want.orders = true,
                Topic::Pnl => want.pnl = true,
                Topic::Summary(a) => {
                    want.summaries.insert(a.clone());
                }
                Topic::Ledger(a) => {
                    want.ledgers.insert(a.clone());
                }
                Topic::Trades(d) => want.trades = Some(want.trades.map_or(*d, |t| t.max(*d))),
                Topic::Book { account, conid } => {
                    want.books.insert((account.clone(), *conid));
                }
                Topic::History { conid, period, bar } => {
                    want.histories
                        .insert(id, (*conid, period.clone(), bar.clone()));
                }
                Topic::Notifications | Topic::Bulletins | Topic::Status => {}
            }
        }
        want
    }
}

/// What the server has been asked for on the current socket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct OnSocket {
    /// Conid → the fields asked for (fields are only ever added while subscribed).
    pub(crate) md: BTreeMap<i64, BTreeSet<u32>>,
    pub(crate) orders: bool,
    pub(crate) pnl: bool,
    pub(crate) summaries: BTreeSet<String>,
    pub(crate) ledgers: BTreeSet<String>,
    pub(crate) trades: Option<u8>,
    pub(crate) books: BTreeSet<(String, i64)>,
    /// Subscription id → (conid, the server's id once the first answer named it). An entry
    /// whose subscription was dropped before that stays until the answer comes, to end the
    /// server's stream with its id.
    pub(crate) histories: BTreeMap<u64, (i64, Option<String>)>,
}

impl OnSocket {
    /// Note that `request` was sent.
    pub(crate) fn record(&mut self, request: &Request) {
        match request {
            Request::Market { conid, fields } => {
                self.md.insert(*conid, fields.clone());
            }
            Request::EndMarket(c) => {
                self.md.remove(c);
            }
            Request::Orders => self.orders = true,
            Request::EndOrders => self.orders = false,
            Request::Pnl => self.pnl = true,
            Request::EndPnl => self.pnl = false,
            Request::Summary(a) => {
                self.summaries.insert(a.clone());
            }
            Request::EndSummary(a) => {
                self.summaries.remove(a);
            }
            Request::Ledger(a) => {
                self.ledgers.insert(a.clone());
            }
            Request::EndLedger(a) => {
                self.ledgers.remove(a);
            }
            Request::Trades { days } => self.trades = Some(*days),
            Request::EndTrades => self.trades = None,
            Request::Book { account, conid } => {
                self.books.insert((account.clone(), *conid));
            }
            Request::EndBook { account, conid } => {
                self.books.remove(&(account.clone(), *conid));
            }
            Request::History { id, conid, .. } => {
                self.histories.insert(*id, (*conid, None));
            }
            Request::EndHistory { id, .. } => {
                self.histories.remove(id);
            }
            Request::Tic => {}
        }
    }

    /// Every `smd` again (market data streams end after 10 minutes: quirk 3).
    pub(crate) fn renew_market_data(&self) -> Vec<Request> {
        self.md
            .iter()
            .map(|(conid, fields)| Request::Market {
                conid: *conid,
                fields: fields.clone(),
            })
            .collect()
    }
}

/// The requests that take the socket from `have` to `want`, in this order: new histories,
/// market data (new conids or added fields, then dropped conids), orders, P&L, summaries,
/// ledgers, trades, books (an account's old ladder ends before its new one starts: `ubd`
/// names no contract), ended histories.
pub(crate) fn reconcile(want: &Desired, have: &OnSocket) -> Vec<Request> {
    let mut out = Vec::new();
    for (id, (conid, period, bar)) in &want.histories {
        if !have.histories.contains_key(id) {
            out.push(Request::History {
                id: *id,
                conid: *conid,
                period: period.clone(),
                bar: bar.clone(),
            });
        }
    }
    for (conid, fields) in &want.md {
        match have.md.get(conid) {
            Some(sent) if fields.is_subset(sent) => {}
            sent => out.push(Request::Market {
                conid: *conid,
                fields: sent.into_iter().flatten().chain(fields).copied().collect(),
            }),
        }
    }
    for conid in have.md.keys().filter(|c| !want.md.contains_key(c)) {
        out.push(Request::EndMarket(*conid));
    }
    if want.orders && !have.orders && !want.orders_held {
        out.push(Request::Orders);
    } else if !want.orders && have.orders {
        out.push(Request::EndOrders);
    }
    match (want.pnl, have.pnl) {
        (true, false) => out.push(Request::Pnl),
        (false, true) => out.push(Request::EndPnl),
        _ => {}
    }
    out.extend((want.summaries.difference(&have.summaries)).map(|a| Request::Summary(a.clone())));
    out.extend(
        (have.summaries.difference(&want.summaries)).map(|a| Request::EndSummary(a.clone())),
    );
    out.extend((want.ledgers.difference(&have.ledgers)).map(|a| Request::Ledger(a.clone())));
    out.extend((have.ledgers.difference(&want.ledgers)).map(|a| Request::EndLedger(a.clone())));
    if want.trades != have.trades {
        out.push(match want.trades {
            Some(days) => Request::Trades { days },
            None => Request::EndTrades,
        });
    }
    for (account, conid) in have.books.difference(&want.books) {
        out.push(Request::EndBook {
            account: account.clone(),
            conid: *conid,
        });
    }
    for (account, conid) in want.books.difference(&have.books) {
        out.push(Request::Book {
            account: account.clone(),
            conid: *conid,
        });
    }
    for (id, (_, server_id)) in &have.histories {
        if let (false, Some(server_id)) = (want.histories.contains_key(id), server_id) {
            out.push(Request::EndHistory {
                id: *id,
                server_id: server_id.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(f: &[u32]) -> BTreeSet<u32> {
        f.iter().copied().collect()
    }

    fn accounts(a: &[&str]) -> BTreeSet<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// Each row: what is wanted, what the socket has, what reconcile sends (as text).
    #[test]
    fn reconcile_sends_exactly_the_difference() {
        let md = |c: i64, f: &[u32]| (c, fields(f));
        let table: Vec<(&str, Desired, OnSocket, Vec<&str>)> = vec![
            (
                "nothing wanted, nothing held",
                Desired::default(),
                OnSocket::default(),
                vec![],
            ),
            (
                "a new conid",
                Desired {
                    md: [md(1, &[31, 84])].into(),
                    ..Desired::default()
                },
                OnSocket::default(),
                vec![r#"smd+1+{"fields":["31","84"]}"#],
            ),
            (
                "a conid already asked for with these fields",
                Desired {
                    md: [md(1, &[31])].into(),
                    ..Desired::default()
                },
                OnSocket {
                    md: [md(1, &[31, 84])].into(),
                    ..OnSocket::default()
                },
                vec![],
            ),
            (
                "an added field asks again with the union",
                Desired {
                    md: [md(1, &[86])].into(),
                    ..Desired::default()
                },
                OnSocket {
                    md: [md(1, &[31])].into(),
                    ..OnSocket::default()
                },
                vec![r#"smd+1+{"fields":["31","86"]}"#],
            ),
            (
                "a conid asked for without fields is not asked again",
                Desired {
                    md: [md(1, &[])].into(),
                    ..Desired::default()
                },
                OnSocket {
                    md: [md(1, &[])].into(),
                    ..OnSocket::default()
                },
                vec![],
            ),
            (
                "dropped conids, orders, P&L, accounts and trades end",
                Desired::default(),
                OnSocket {
                    md: [md(1, &[31]), md(2, &[31])].into(),
                    orders: true,
                    pnl: true,
                    summaries: accounts(&["DU1"]),
                    ledgers: accounts(&["DU1"]),
                    trades: Some(7),
                    ..OnSocket::default()
                },
                vec![
                    "umd+1+{}", "umd+2+{}", "uor+{}", "upl+{}", "usd+DU1", "uld+DU1", "utr",
                ],
            ),
            (
                "orders, P&L, accounts and trades start",
                Desired {
                    orders: true,
                    pnl: true,
                    summaries: accounts(&["DU1", "DU2"]),
                    ledgers: accounts(&["DU2"]),
                    trades: Some(3),
                    ..Desired::default()
                },
                OnSocket {
                    summaries: accounts(&["DU1"]),
                    ..OnSocket::default()
                },
                vec![
                    "sor+{}",
                    "spl+{}",
                    "ssd+DU2+{}",
                    "sld+DU2+{}",
                    r#"str+{"days":3,"realtimeUpdatesOnly":false}"#,
                ],
            ),
            (
                "a refused sor waiting for its retry is not asked again",
                Desired {
                    orders: true,
                    orders_held: true,
                    ..Desired::default()
                },
                OnSocket::default(),
                vec![],
            ),
            (
                "more days of trades ask again",
                Desired {
                    trades: Some(7),
                    ..Desired::default()
                },
                OnSocket {
                    trades: Some(1),
                    ..OnSocket::default()
                },
                vec![r#"str+{"days":7,"realtimeUpdatesOnly":false}"#],
            ),
            (
                "an account's old ladder ends before its new one",
                Desired {
                    books: [("DU1".to_string(), 2)].into(),
                    ..Desired::default()
                },
                OnSocket {
                    books: [("DU1".to_string(), 1)].into(),
                    ..OnSocket::default()
                },
                vec!["ubd+DU1", "sbd+DU1+2"],
            ),
            (
                "histories: a new one starts; a dropped one ends by its server id, or waits for it",
                Desired {
                    histories: [(3, (8314, "1d".to_string(), "1h".to_string()))].into(),
                    ..Desired::default()
                },
                OnSocket {
                    histories: [(1, (8314, Some("42".to_string()))), (2, (8314, None))].into(),
                    ..OnSocket::default()
                },
                vec![
                    r#"smh+8314+{"bar":"1h","format":"%o/%c/%h/%l/%v","outsideRth":false,"period":"1d","source":"trades"}"#,
                    "umh+42",
                ],
            ),
        ];
        for (what, want, have, expected) in table {
            let sent: Vec<String> = reconcile(&want, &have)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(sent, expected, "{what}");
        }
    }

    /// Recording what reconcile asks for brings the socket to what is wanted: a second pass
    /// sends nothing.
    #[test]
    fn recorded_requests_leave_nothing_to_send() {
        let topics = [
            Topic::Quotes {
                conids: vec![1, 2],
                fields: vec![31],
            },
            Topic::Quotes {
                conids: vec![2],
                fields: vec![84],
            },
            Topic::Orders,
            Topic::Pnl,
            Topic::Summary("DU1".into()),
            Topic::Ledger("DU1".into()),
            Topic::Trades(2),
            Topic::Trades(5),
            Topic::Book {
                account: "DU1".into(),
                conid: 8314,
            },
            Topic::History {
                conid: 8314,
                period: "1d".into(),
                bar: "1min".into(),
            },
            Topic::Status,
        ];
        let want = Desired::of(topics.iter().enumerate().map(|(i, t)| (i as u64, t)));
        assert_eq!(want.md[&2], fields(&[31, 84]));
        assert_eq!(want.trades, Some(5));
        let mut have = OnSocket::default();
        let first = reconcile(&want, &have);
        assert_eq!(first.len(), 9, "{first:?}");
        for r in &first {
            have.record(r);
        }
        assert_eq!(reconcile(&want, &have), vec![]);
        // The server names the history's id (subscription 9); then everything is dropped,
        // and each ends.
        have.histories.insert(9, (8314, Some("7".into())));
        let ended = reconcile(&Desired::default(), &have);
        assert_eq!(ended.len(), 9, "{ended:?}");
        for r in &ended {
            have.record(r);
        }
        assert_eq!(have, OnSocket::default());
    }
}
