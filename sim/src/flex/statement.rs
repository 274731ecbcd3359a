//! The Activity Flex statement built from the simulator's own trades, positions and cash.
//!
//! Layout and attribute names follow the real statements in flex/activity/
//! (pp_testIBFlexStatementFile20.xml for `Trade`, File17 for `OpenPosition`,
//! File20 for `CashTransaction`); IB default formats: dates `yyyyMMdd`, date-times
//! `yyyyMMdd;HHmmss` in US/Eastern.

use std::fmt::Write as _;

use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};

use crate::clock::{eastern, utc};
use crate::market::catalog::{Catalog, Contract};
use crate::trading::book::{Execution, Side};
use crate::trading::{Desk, Env, valuation};

/// ISINs of a few well-known listings (public identifiers); others are left empty.
fn isin(conid: u64) -> &'static str {
    match conid {
        265598 => "US0378331005",
        272093 => "US5949181045",
        756733 => "US78462F1030",
        8314 => "US4592001014",
        136155102 => "US9229083632",
        _ => "",
    }
}

/// Escape an attribute value.
fn esc(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Write `<Tag a="b" ... />` with escaped values.
fn element(out: &mut String, tag: &str, attrs: &[(&str, String)]) {
    let _ = write!(out, "<{tag}");
    for (k, v) in attrs {
        let _ = write!(out, " {k}=\"{}\"", esc(v));
    }
    out.push_str(" />\n");
}

fn date(ms: i64) -> String {
    eastern(utc(ms)).0.format("%Y%m%d").to_string()
}

fn date_time(ms: i64) -> String {
    eastern(utc(ms)).0.format("%Y%m%d;%H%M%S").to_string()
}

fn next_weekday(day: NaiveDate) -> NaiveDate {
    let mut d = day + Duration::days(1);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Duration::days(1);
    }
    d
}

fn num(x: f64) -> String {
    let rounded = (x * 1_000_000.0).round() / 1_000_000.0;
    if rounded == 0.0 {
        "0".to_string()
    } else {
        format!("{rounded}")
    }
}

/// The security attributes every row repeats.
fn security(c: &Contract) -> Vec<(&'static str, String)> {
    let expiry = c.expiry.map(|e| e.to_string()).unwrap_or_default();
    let isin = isin(c.conid);
    vec![
        ("currency", c.currency.to_string()),
        ("fxRateToBase", "1".to_string()),
        ("assetCategory", c.sec_type.code().to_string()),
        ("symbol", c.symbol.clone()),
        ("description", c.company_name.clone()),
        ("conid", c.conid.to_string()),
        ("securityID", isin.to_string()),
        (
            "securityIDType",
            if isin.is_empty() { "" } else { "ISIN" }.to_string(),
        ),
        (
            "cusip",
            if isin.is_empty() {
                String::new()
            } else {
                isin[2..11].to_string()
            },
        ),
        ("isin", isin.to_string()),
        ("listingExchange", c.exchange.clone()),
        (
            "underlyingConid",
            c.underlying.map(|u| u.to_string()).unwrap_or_default(),
        ),
        (
            "underlyingSymbol",
            if c.underlying.is_some() {
                c.symbol.clone()
            } else {
                String::new()
            },
        ),
        ("underlyingSecurityID", String::new()),
        ("underlyingListingExchange", String::new()),
        ("issuer", String::new()),
        ("multiplier", c.multiplier.unwrap_or("1").to_string()),
        ("strike", c.strike.map(num).unwrap_or_default()),
        ("expiry", expiry),
        (
            "putCall",
            c.right.map(|r| r.to_string()).unwrap_or_default(),
        ),
        ("principalAdjustFactor", String::new()),
    ]
}

fn account_attrs(account: &str) -> Vec<(&'static str, String)> {
    vec![
        ("accountId", account.to_string()),
        ("acctAlias", String::new()),
        ("model", String::new()),
    ]
}

fn trade_row(out: &mut String, catalog: &Catalog, e: &Execution, tx: u64) {
    let Some(c) = catalog.get(e.conid) else {
        return;
    };
    let quantity = e.side.sign() * e.size;
    let trade_money = quantity * e.price;
    let proceeds = -trade_money;
    let net_cash = proceeds - e.commission;
    let cost = match e.side {
        Side::Buy => -net_cash,
        Side::Sell => -(e.size * e.price - e.realized),
    };
    let trade_date = eastern(utc(e.time_ms)).0.date();
    let mut attrs = account_attrs(&e.account);
    attrs.extend(security(c));
    attrs.extend([
        ("tradeID", (tx / 3).to_string()),
        ("reportDate", date(e.time_ms)),
        ("dateTime", date_time(e.time_ms)),
        ("tradeDate", trade_date.format("%Y%m%d").to_string()),
        (
            "settleDateTarget",
            next_weekday(trade_date).format("%Y%m%d").to_string(),
        ),
        ("transactionType", "ExchTrade".to_string()),
        ("exchange", e.venue.clone()),
        ("quantity", num(quantity)),
        ("tradePrice", num(e.price)),
        ("tradeMoney", num(trade_money)),
        ("proceeds", num(proceeds)),
        ("taxes", "0".to_string()),
        ("ibCommission", num(-e.commission)),
        ("ibCommissionCurrency", c.currency.to_string()),
        ("netCash", num(net_cash)),
        ("closePrice", num(e.price)),
        (
            "openCloseIndicator",
            if e.realized != 0.0 || e.side == Side::Sell {
                "C"
            } else {
                "O"
            }
            .to_string(),
        ),
        ("notes", String::new()),
        ("cost", num(cost)),
        ("fifoPnlRealized", num(e.realized)),
        ("fxPnl", "0".to_string()),
        ("mtmPnl", "0".to_string()),
        ("origTradePrice", "0".to_string()),
        ("origTradeDate", String::new()),
        ("origTradeID", String::new()),
        ("origOrderID", "0".to_string()),
        ("clearingFirmID", String::new()),
        ("transactionID", tx.to_string()),
        ("buySell", e.side.word().to_string()),
        ("ibOrderID", e.order_id.to_string()),
        ("ibExecID", e.id.clone()),
        ("brokerageOrderID", String::new()),
        ("orderReference", e.order_ref.clone().unwrap_or_default()),
        ("volatilityOrderLink", String::new()),
        ("exchOrderId", "N/A".to_string()),
        ("extExecID", String::new()),
        ("orderTime", date_time(e.time_ms)),
        ("openDateTime", String::new()),
        ("holdingPeriodDateTime", String::new()),
        ("whenRealized", String::new()),
        ("whenReopened", String::new()),
        ("levelOfDetail", "EXECUTION".to_string()),
        ("changeInPrice", "0".to_string()),
        ("changeInQuantity", "0".to_string()),
        ("orderType", e.order_type.code().to_string()),
        ("traderID", String::new()),
        ("isAPIOrder", "Y".to_string()),
    ]);
    element(out, "Trade", &attrs);
}

/// The complete statement for `account`.
pub(crate) fn build(desk: &Desk, env: &mut Env<'_>, account: &str, query_name: &str) -> String {
    let now = Utc::now();
    let now_ms = now.timestamp_millis();
    let today = eastern(now).0.date();
    let from = today - Duration::days(365);
    let valuation = valuation::value(desk, env, account);
    let mut out = String::with_capacity(16 * 1024);
    let _ = writeln!(
        out,
        "<FlexQueryResponse queryName=\"{}\" type=\"AF\">\n<FlexStatements count=\"1\">",
        esc(query_name)
    );
    let _ = writeln!(
        out,
        "<FlexStatement accountId=\"{}\" fromDate=\"{}\" toDate=\"{}\" period=\"Last365CalendarDays\" whenGenerated=\"{}\">",
        esc(account),
        from.format("%Y%m%d"),
        today.format("%Y%m%d"),
        date_time(now_ms)
    );
    let opened = desk
        .cash_movements
        .iter()
        .filter(|m| m.account == account)
        .map(|m| m.time_ms)
        .min()
        .unwrap_or(now_ms);
    let mut info = account_attrs(account);
    info.extend([
        ("currency", "USD".to_string()),
        ("name", "Sim Trader".to_string()),
        ("accountType", "Individual".to_string()),
        ("customerType", "Individual".to_string()),
        ("accountCapabilities", "Margin".to_string()),
        ("tradingPermissions", "Stocks,Options,Futures".to_string()),
        ("dateOpened", date(opened)),
        ("dateFunded", date(opened)),
        ("dateClosed", String::new()),
        ("masterName", String::new()),
        ("ibEntity", "IBLLC-US".to_string()),
    ]);
    element(&mut out, "AccountInformation", &info);

    out.push_str("<Trades>\n");
    let base_tx: u64 = 5_000_000_000;
    for (n, e) in desk
        .executions
        .iter()
        .filter(|e| e.account == account)
        .enumerate()
    {
        trade_row(&mut out, env.catalog, e, base_tx + 7 * n as u64);
    }
    out.push_str("</Trades>\n");

    out.push_str("<OpenPositions>\n");
    let nav = valuation.net_liquidation;
    for h in &valuation.holdings {
        let mut attrs = account_attrs(account);
        attrs.extend(security(&h.contract));
        attrs.extend([
            ("reportDate", today.format("%Y%m%d").to_string()),
            ("position", num(h.quantity)),
            ("markPrice", num(h.last)),
            ("positionValue", num(h.market_value)),
            ("openPrice", num(h.avg_cost)),
            ("costBasisPrice", num(h.avg_cost)),
            ("costBasisMoney", num(h.avg_cost * h.quantity)),
            (
                "percentOfNAV",
                if nav > 0.0 {
                    format!("{:.2}", h.market_value / nav * 100.0)
                } else {
                    String::new()
                },
            ),
            ("fifoPnlUnrealized", num(h.unrealized)),
            (
                "side",
                if h.quantity >= 0.0 { "Long" } else { "Short" }.to_string(),
            ),
            ("levelOfDetail", "SUMMARY".to_string()),
            ("openDateTime", date_time(h.opened_ms)),
            ("holdingPeriodDateTime", date_time(h.opened_ms)),
            ("vestingDate", String::new()),
            ("code", String::new()),
            ("originatingOrderID", String::new()),
            ("originatingTransactionID", String::new()),
            ("accruedInt", String::new()),
        ]);
        element(&mut out, "OpenPosition", &attrs);
    }
    out.push_str("</OpenPositions>\n");

    out.push_str("<CashTransactions>\n");
    for (n, m) in desk
        .cash_movements
        .iter()
        .filter(|m| m.account == account)
        .enumerate()
    {
        let mut attrs = account_attrs(account);
        match m.conid.and_then(|c| env.catalog.get(c)) {
            Some(c) => attrs.extend(security(c)),
            None => attrs.extend([
                ("currency", "USD".to_string()),
                ("fxRateToBase", "1".to_string()),
                ("assetCategory", String::new()),
                ("symbol", String::new()),
                ("description", String::new()),
                ("conid", String::new()),
            ]),
        }
        // `description` of the row is the cash description, not the security's.
        attrs.retain(|(k, _)| *k != "description");
        attrs.extend([
            ("description", m.description.clone()),
            ("dateTime", date_time(m.time_ms)),
            ("amount", num(m.amount)),
            ("type", m.kind.to_string()),
            ("tradeID", String::new()),
            ("code", String::new()),
            (
                "transactionID",
                (base_tx + 1_000_000 + n as u64).to_string(),
            ),
            ("reportDate", date(m.time_ms)),
            ("clientReference", String::new()),
        ]);
        element(&mut out, "CashTransaction", &attrs);
    }
    out.push_str("</CashTransactions>\n");

    out.push_str("<ConversionRates>\n");
    for (from_ccy, rate) in [
        ("EUR", "1.0823"),
        ("GBP", "1.2671"),
        ("CHF", "1.1102"),
        ("CAD", "0.7388"),
        ("MXN", "0.0584"),
    ] {
        element(
            &mut out,
            "ConversionRate",
            &[
                ("reportDate", today.format("%Y%m%d").to_string()),
                ("fromCurrency", from_ccy.to_string()),
                ("toCurrency", "USD".to_string()),
                ("rate", rate.to_string()),
            ],
        );
    }
    out.push_str("</ConversionRates>\n");
    out.push_str("</FlexStatement>\n</FlexStatements>\n</FlexQueryResponse>\n");
    out
}
