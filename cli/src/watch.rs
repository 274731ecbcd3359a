//! Live commands over the WebSocket: `watch` (a quote table updated in place, or NDJSON),
//! `orders --follow` and `pnl [--follow]`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use ibkr_ext::prelude::*;
use ibkr_ext::stream::{ConnectionEvent, StreamEvent, Streams, Subscription};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::context::{Session, conids_of, parse_duration, snapshot_fields};
use crate::failure::{self, Failure};

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// When to stop: after `count` updates, after `within`, or at Ctrl-C.
struct Stop {
    count: Option<u64>,
    deadline: Option<Instant>,
    seen: u64,
}

impl Stop {
    fn new(count: Option<u64>, within: Option<Duration>) -> Stop {
        Stop {
            count,
            deadline: within.map(|d| Instant::now() + d),
            seen: 0,
        }
    }

    fn counted(&mut self) -> bool {
        self.seen += 1;
        self.count.is_some_and(|n| self.seen >= n)
    }

    async fn deadline(&self) {
        match self.deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    }
}

/// The next event of `sub`, or `None` at the deadline or Ctrl-C.
async fn next_or_stop<T: Send + 'static>(
    sub: &mut Subscription<T>,
    stop: &Stop,
) -> Option<StreamEvent<T>> {
    tokio::select! {
        e = sub.next() => e,
        _ = stop.deadline() => None,
        _ = tokio::signal::ctrl_c() => None,
    }
}

fn streams(s: &Session) -> Result<Streams, Failure> {
    Ok(s.ibkr.stream()?)
}

/// Report what the stream says besides data: gaps and errors on stderr.
fn report<T>(event: &StreamEvent<T>) {
    match event {
        StreamEvent::Gap => note!("ibkr: reconnected; updates may have been missed"),
        StreamEvent::Lagged(n) => note!("ibkr: {n} updates dropped (output too slow)"),
        StreamEvent::Error(e) => note!("ibkr: {e}"),
        _ => {}
    }
}

/// `ibkr watch SYMBOL|CONID... [--fields F,..] [--count N] [--for DURATION]`.
pub async fn watch(
    s: &Session,
    items: &[String],
    fields: &[String],
    count: Option<u64>,
    within: Option<&str>,
) -> Result<(), Failure> {
    let within = within
        .map(parse_duration)
        .transpose()
        .map_err(|e| Failure::usage(format!("--for {e}")))?;
    let fields = snapshot_fields(fields)?;
    s.ibkr.ensure_brokerage_session().await?;
    let keyed = conids_of(&s.ibkr, items).await?;
    let conids: Vec<Conid> = keyed.iter().map(|(_, c)| *c).collect();
    let streams = streams(s)?;
    let mut quotes = streams.quotes(&conids, &fields);
    let mut stop = Stop::new(count, within);
    let mut table = Table::new(&keyed, &fields, std::io::stdout().is_terminal());
    if !s.json() && !table.in_place {
        say!("{}", table.header())?;
    }
    let mut failed: BTreeMap<i64, String> = BTreeMap::new();
    while let Some(event) = next_or_stop(&mut quotes, &stop).await {
        match event {
            StreamEvent::Data(update) => {
                let q = &update.quote;
                if s.json() {
                    let mut row = Map::new();
                    row.insert("conid".into(), json!(q.conid.0));
                    row.insert("t".into(), json!(now_text()));
                    for (k, v) in q.to_named_json(&fields) {
                        if k != "conid" {
                            row.insert(k, v);
                        }
                    }
                    say!("{}", Value::Object(row))?;
                } else {
                    table.update(q)?;
                }
                if stop.counted() {
                    break;
                }
            }
            StreamEvent::Error(e) => {
                note!("ibkr: {e}");
                if let Some(c) = e.topic.strip_prefix("smd+").and_then(|c| c.parse().ok()) {
                    failed.insert(c, e.to_string());
                }
                if conids.iter().all(|c| failed.contains_key(&c.0)) {
                    return Err(Failure::new(
                        failure::GENERAL,
                        "no instrument can be watched (see the errors above)",
                    ));
                }
            }
            other => report(&other),
        }
    }
    Ok(())
}

/// The `watch` table: one row per instrument, redrawn in place on a terminal, one line per
/// update otherwise.
struct Table {
    keys: Vec<(String, Conid)>,
    fields: Vec<Field>,
    rows: BTreeMap<i64, Vec<String>>,
    in_place: bool,
    drawn: usize,
}

impl Table {
    fn new(keys: &[(String, Conid)], fields: &[Field], in_place: bool) -> Table {
        Table {
            keys: keys.to_vec(),
            fields: fields.to_vec(),
            rows: BTreeMap::new(),
            in_place,
            drawn: 0,
        }
    }

    fn header(&self) -> String {
        let mut line = format!("{:<10} {:>10}", "", "conid");
        for f in &self.fields {
            line.push_str(&format!(" {:>14}", format!("{f:?}")));
        }
        line
    }

    fn cells(&self, q: &Quote) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| q.get(*f).map_or_else(|| "-".to_string(), |v| v.raw.clone()))
            .collect()
    }

    fn line(&self, key: &str, conid: Conid, cells: &[String]) -> String {
        let mut line = format!("{key:<10} {:>10}", conid.0);
        for c in cells {
            line.push_str(&format!(" {c:>14}"));
        }
        line
    }

    fn update(&mut self, q: &Quote) -> Result<(), Failure> {
        let cells = self.cells(q);
        let key = self
            .keys
            .iter()
            .find(|(_, c)| *c == q.conid)
            .map_or_else(|| q.conid.0.to_string(), |(k, _)| k.clone());
        if !self.in_place {
            return say!("{}", self.line(&key, q.conid, &cells));
        }
        self.rows.insert(q.conid.0, cells);
        self.redraw()
    }

    fn redraw(&mut self) -> Result<(), Failure> {
        let mut out = String::new();
        if self.drawn > 0 {
            // Back to the table's first line.
            out.push_str(&format!("\x1b[{}F", self.drawn));
        }
        out.push_str(&format!("\x1b[2K{}\n", self.header()));
        for (key, conid) in &self.keys {
            let cells = self
                .rows
                .get(&conid.0)
                .cloned()
                .unwrap_or_else(|| vec!["-".to_string(); self.fields.len()]);
            out.push_str(&format!("\x1b[2K{}\n", self.line(key, *conid, &cells)));
        }
        out.push_str(&format!(
            "\x1b[2K{}\n",
            Utc::now().format("updated %H:%M:%S%.3f UTC  (Ctrl-C to stop)")
        ));
        self.drawn = self.keys.len() + 2;
        crate::print::bytes(out.as_bytes())
    }
}

/// `ibkr orders --follow`: live orders now, then every change as it streams.
pub async fn follow_orders(
    s: &Session,
    count: Option<u64>,
    within: Option<&str>,
) -> Result<(), Failure> {
    let within = within
        .map(parse_duration)
        .transpose()
        .map_err(|e| Failure::usage(format!("--for {e}")))?;
    s.ibkr.ensure_brokerage_session().await?;
    let streams = streams(s)?;
    let mut status = streams.status();
    let mut orders = streams.orders();
    let mut stop = Stop::new(count, within);
    if !s.json() {
        say!("following orders (Ctrl-C to stop)")?;
    }
    loop {
        tokio::select! {
            e = next_or_stop(&mut orders, &stop) => {
                let Some(e) = e else { break };
                match e {
                    StreamEvent::Data(u) => {
                        if s.json() {
                            say!("{}", json!({"t": now_text(), "orderId": u.order_id, "changed": u.changed, "order": u.order}))?;
                        } else {
                            say!(
                                "{} {:>12} {:<6} {:<4} {:<12} filled {}/{}",
                                Utc::now().format("%H:%M:%S"),
                                u.order_id,
                                u.order.ticker.as_deref().unwrap_or("-"),
                                u.order.side.as_ref().map_or("-", |s| s.as_str()),
                                u.order.status.as_ref().map_or("-", |s| s.as_str()),
                                u.order.filled.map_or("-".into(), |f| f.to_string()),
                                u.order.total_size.map_or("-".into(), |v| v.to_string()),
                            )?;
                        }
                        if stop.counted() { break; }
                    }
                    other => report(&other),
                }
            }
            Some(StreamEvent::Data(ConnectionEvent::Disconnected { reason, retry_in })) = status.next() => {
                note!("ibkr: disconnected ({reason}); retrying in {retry_in:?}");
            }
        }
    }
    Ok(())
}

fn pnl_json(p: &ibkr_ext::stream::PnlUpdate) -> Value {
    let rows: Map<String, Value> = p
        .rows
        .iter()
        .map(|(k, r)| {
            (
                k.clone(),
                json!({"dpl": r.daily, "upl": r.unrealized, "nl": r.net_liquidation,
                       "uel": r.excess_liquidity, "mv": r.market_value}),
            )
        })
        .collect();
    json!({"t": now_text(), "rows": rows})
}

/// `ibkr pnl [--follow]`: the P&L of each account partition, once or as it streams.
pub async fn pnl(
    s: &Session,
    follow: bool,
    count: Option<u64>,
    within: Option<&str>,
) -> Result<(), Failure> {
    let within = within
        .map(parse_duration)
        .transpose()
        .map_err(|e| Failure::usage(format!("--for {e}")))?;
    s.ibkr.ensure_brokerage_session().await?;
    let streams = streams(s)?;
    let mut pnl = streams.pnl();
    let count = if follow { count } else { Some(1) };
    let within = within.or((!follow).then_some(Duration::from_secs(30)));
    let mut stop = Stop::new(count, within);
    while let Some(e) = next_or_stop(&mut pnl, &stop).await {
        match e {
            StreamEvent::Data(p) => {
                if s.json() {
                    say!("{}", pnl_json(&p))?;
                } else {
                    for (k, r) in &p.rows {
                        let n = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
                        say!(
                            "{} {k}: daily {} unrealized {} net liquidation {} market value {}",
                            Utc::now().format("%H:%M:%S"),
                            n(r.daily),
                            n(r.unrealized),
                            n(r.net_liquidation),
                            n(r.market_value)
                        )?;
                    }
                }
                if stop.counted() {
                    return Ok(());
                }
            }
            other => report(&other),
        }
    }
    if !follow && stop.seen == 0 {
        return Err(Failure::new(
            failure::GENERAL,
            "no P&L arrived within 30 s: is the brokerage session open (ibkr status)?",
        ));
    }
    Ok(())
}
