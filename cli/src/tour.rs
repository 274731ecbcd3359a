//! `ibkr tour`: one minute through what the SDK does, against the embedded simulator (or a
//! real gateway when `IBKR_GATEWAY_URL` is set; order placement then needs `--yes`).

use std::time::Instant;

use futures::StreamExt;
use ibkr_ext::prelude::*;
use ibkr_ext::snapshot::Field;
use ibkr_flex::{FlexRequest, GenericReport};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::args::Global;
use crate::context;
use crate::failure::Failure;
use crate::sim::{SIM_FLEX_QUERY, SIM_FLEX_TOKEN};

/// The one order question the tour's order expects: IBKR's "price far from the market"
/// (o163). The tour answers yes to it and to nothing else.
const TOUR_QUESTION: &str = questions::PRICE_CONSTRAINT;

/// Twenty liquid US symbols the simulator knows with IBKR's real conids.
pub const TOUR_SYMBOLS: [&str; 20] = [
    "AAPL", "MSFT", "IBM", "META", "GOOG", "SPY", "VOO", "TSLA", "AMD", "MCD", "IBKR", "ARCC",
    "AMC", "NVDA", "AMZN", "QQQ", "IWM", "GLD", "SCHW", "HUBS",
];

fn step(n: u32, title: &str) -> Result<(), Failure> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        say!("\n\x1b[1m{n}. {title}\x1b[0m")
    } else {
        say!("\n{n}. {title}")
    }
}

pub async fn run(g: &Global, yes: bool) -> Result<(), Failure> {
    let use_sim = g.sim || g.gateway.is_none();
    let s = context::connect(g, use_sim).await?;
    let started = Instant::now();
    match &s.sim {
        Some(gw) => say!(
            "Touring the embedded simulator at {} (set IBKR_GATEWAY_URL to tour your own gateway).",
            gw.base_url()
        )?,
        None => say!("Touring the gateway at {}.", s.ibkr.base_url())?,
    }

    step(1, "Session")?;
    // `ready` opens the brokerage session; the state it published is the session's.
    let (ibkr, account) = context::ready(&s).await?;
    let state = ibkr.session().borrow().clone();
    say!(
        "   logged in, brokerage session open: authenticated={} connected={} competing={}",
        state.authenticated,
        state.connected,
        state.competing
    )?;
    say!("   account {}", mask(&account))?;

    step(
        2,
        "Stock symbols to conids (one /trsrv/stocks request per batch)",
    )?;
    let resolved = ibkr
        .resolve_conids(&[
            StockQuery::new("AAPL"),
            StockQuery::new("MSFT"),
            StockQuery::new("SPY"),
        ])
        .await?;
    for (sym, c) in &resolved {
        say!("   {sym:<5} -> {c}")?;
    }
    let cdr = StockQuery::new("AAPL")
        .name_match("APPLE")
        .is_us(false)
        .exchange("AEQLIT");
    say!("   {cdr} -> {}", ibkr.resolve_conid(cdr.clone()).await?)?;
    let ambiguous = StockQuery::new("AAPL").name_match("APPLE").is_us(false);
    match ibkr.resolve_conid(ambiguous).await {
        Ok(c) => say!("   (expected an ambiguity, got {c})")?,
        Err(e) => {
            say!("   an ambiguous query is an error that lists every candidate:")?;
            for line in e.to_string().lines() {
                say!("     {line}")?;
            }
        }
    }

    step(3, "A year of daily history for 20 symbols, 5 at a time")?;
    let t = Instant::now();
    let progress = indicatif::ProgressBar::new(TOUR_SYMBOLS.len() as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template("   {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut stream = ibkr.history_many(TOUR_SYMBOLS, Period::Years(1), BarSize::Day1);
    let mut moves: Vec<(String, usize, f64)> = Vec::new();
    let mut failures = Vec::new();
    while let Some((item, result)) = stream.next().await {
        progress.inc(1);
        progress.set_message(item.to_string());
        match result {
            Ok(b) => {
                if let (Some(first), Some(last)) = (b.bars.first(), b.bars.last()) {
                    moves.push((
                        item.to_string(),
                        b.bars.len(),
                        (last.close / first.close - 1.0) * 100.0,
                    ));
                }
            }
            Err(e) => failures.push(format!("{item}: {e}")),
        }
    }
    progress.finish_and_clear();
    moves.sort_by(|a, b| b.2.total_cmp(&a.2));
    let bars: usize = moves.iter().map(|m| m.1).sum();
    say!(
        "   {} symbols, {bars} bars in {:.1} s; best {} {:+.1}%, worst {} {:+.1}%",
        moves.len(),
        t.elapsed().as_secs_f64(),
        moves.first().map(|m| m.0.as_str()).unwrap_or("-"),
        moves.first().map(|m| m.2).unwrap_or(0.0),
        moves.last().map(|m| m.0.as_str()).unwrap_or("-"),
        moves.last().map(|m| m.2).unwrap_or(0.0),
    )?;
    for f in &failures {
        say!("   failed: {f}")?;
    }

    step(
        4,
        "A snapshot (the first request only subscribes; the SDK polls past it)",
    )?;
    let aapl = resolved["AAPL"];
    let msft = resolved["MSFT"];
    let quotes = ibkr
        .snapshot(
            &[aapl, msft],
            &[
                Field::LastPrice,
                Field::Bid,
                Field::Ask,
                Field::Volume,
                Field::Availability,
            ],
        )
        .await?;
    for q in &quotes {
        say!(
            "   {:<9} last {:>9} bid {:>9} ask {:>9} volume {:>12} data {}",
            q.conid.to_string(),
            fmt(q.last()),
            fmt(q.number(Field::Bid)),
            fmt(q.number(Field::Ask)),
            fmt(q.number(Field::Volume)),
            q.availability
                .as_ref()
                .map(|a| format!("{:?}", a.kind))
                .unwrap_or_default()
        )?;
    }

    step(5, "An order that IBKR asks a question about")?;
    if s.sim.is_none() && !yes {
        say!(
            "   skipped against a real gateway: rerun with --yes to place (and then cancel) a 1-share limit order 20% below the market"
        )?;
    } else {
        let last = quotes
            .iter()
            .find(|q| q.conid == aapl)
            .and_then(|q| q.last())
            .unwrap_or(100.0);
        let limit = Decimal::from_f64(last * 0.8)
            .unwrap_or(Decimal::ONE_HUNDRED)
            .round_dp(2);
        let ticket = OrderTicket::buy(aapl, Decimal::ONE).limit(limit);
        say!("   buy 1 AAPL, limit {limit} (20% below {last:.2}), with no answers given:")?;
        match ibkr.place(ticket.clone(), &AnswerPolicy::new()).await {
            Ok(OrderOutcome::Declined(DeclinedQuestion {
                message_ids,
                text,
                reason: DeclineReason::Unanswered,
            })) => {
                say!(
                    "   IBKR asked [{}]: {}",
                    message_ids.join(","),
                    context::one_line(&text)
                )?;
                say!(
                    "   -> declined on the wire (confirmed:false): nothing is ever confirmed silently"
                )?;
                let unexpected = unexpected_questions(&message_ids);
                if !unexpected.is_empty() {
                    say!(
                        "   the tour answers only {TOUR_QUESTION} (a limit price far from the market); IBKR also asked [{}], so the order stays declined",
                        unexpected.join(",")
                    )?;
                } else {
                    // Only the question this step expects: anything else IBKR asks is declined.
                    let policy = AnswerPolicy::new().yes(TOUR_QUESTION);
                    say!("   placing again, answering yes to {TOUR_QUESTION} only:")?;
                    match ibkr
                        .place(ticket.coid(format!("tour-{}", std::process::id())), &policy)
                        .await?
                    {
                        OrderOutcome::Submitted {
                            order_id, status, ..
                        } => {
                            say!("   order {order_id}: {status}")?;
                            let ack = ibkr.cancel(&order_id).await?;
                            say!("   cancelled: {}", ack.message)?;
                        }
                        other => say!("   {other:?}")?,
                    }
                }
            }
            Ok(OrderOutcome::Submitted {
                order_id, status, ..
            }) => {
                say!("   no question this time; order {order_id}: {status}")?;
                ibkr.cancel(&order_id).await?;
            }
            Ok(other) => say!("   {other:?}")?,
            Err(e) => return Err(e.into()),
        }
    }

    step(6, "A Flex statement, fetched and parsed")?;
    let flex = match &s.sim {
        Some(gw) => Some((
            SIM_FLEX_TOKEN.to_string(),
            SIM_FLEX_QUERY.to_string(),
            Some(gw.flex_base_url().to_string()),
        )),
        None => match (
            std::env::var("IBKR_FLEX_TOKEN"),
            std::env::var("IBKR_FLEX_QUERY"),
        ) {
            (Ok(t), Ok(q)) if !t.is_empty() && !q.is_empty() => Some((t, q, None)),
            _ => None,
        },
    };
    match flex {
        None => say!("   skipped: set IBKR_FLEX_TOKEN and IBKR_FLEX_QUERY to fetch one of yours")?,
        Some((token, query, base)) => {
            let client = context::flex_client(token, base.as_deref(), s.sim.is_some())?;
            let download = client.fetch(FlexRequest::new(query)).await?;
            let report = GenericReport::from_reader(download.bytes())?;
            for st in &report.statements {
                let attr = |k: &str| st.attributes.get(k).unwrap_or("?").to_string();
                let sections: Vec<String> = st
                    .sections
                    .iter()
                    .map(|s| format!("{} {}", s.name, s.rows.len()))
                    .collect();
                say!(
                    "   statement {} {}..{}: {}",
                    mask(&attr("accountId")),
                    attr("fromDate"),
                    attr("toDate"),
                    sections.join(", ")
                )?;
            }
            let typed = download.parse()?;
            if let Some(t) = typed.statements.first().and_then(|s| s.trades.first()) {
                say!(
                    "   first trade: {} {} {} @ {}",
                    t.trade_date.map(|d| d.to_string()).unwrap_or_default(),
                    t.symbol.as_deref().unwrap_or("?"),
                    t.quantity.map(|q| q.to_string()).unwrap_or_default(),
                    t.trade_price.map(|p| p.to_string()).unwrap_or_default()
                )?;
            }
        }
    }

    say!(
        "\nDone in {:.1} s. Next: `ibkr --help`, and the README for the library.",
        started.elapsed().as_secs_f64()
    )?;
    if let Some(gw) = &s.sim {
        gw.shutdown().await;
    }
    Ok(())
}

fn fmt(v: Option<f64>) -> String {
    v.map(|n| {
        if n.abs() >= 1e5 {
            format!("{n:.0}")
        } else {
            format!("{n:.2}")
        }
    })
    .unwrap_or_else(|| "-".into())
}

fn mask(account: &str) -> String {
    ibkr_ext::raw_api::wire::mask_accounts(account)
}

/// The questions of `message_ids` the tour does not expect (anything but o163): the tour
/// declines the order when there is one.
fn unexpected_questions(message_ids: &[String]) -> Vec<&str> {
    message_ids
        .iter()
        .map(String::as_str)
        .filter(|id| *id != TOUR_QUESTION)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tour_answers_only_the_price_question() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(unexpected_questions(&ids(&["o163"])).is_empty());
        assert_eq!(unexpected_questions(&ids(&["o163", "o354"])), ["o354"]);
        assert_eq!(unexpected_questions(&ids(&["o10331"])), ["o10331"]);
    }
}
