//! Portfolio endpoints: accounts, positions (two flavours), ledger and summary.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::orders::round2;
use super::reply;
use crate::clock::now_ms;
use crate::market::catalog::{Catalog, SecType};
use crate::trading::valuation::{self, Holding};
use crate::world::World;
use crate::world::WorldHandle;

pub(crate) fn account_json(id: &str) -> Value {
    json!({
        "PrepaidCrypto-P": false,
        "PrepaidCrypto-Z": false,
        "accountAlias": null,
        "accountId": id,
        "accountStatus": 1678852800000i64,
        "accountTitle": "Sim Trader",
        "accountVan": id,
        "acctCustType": "INDIVIDUAL",
        "brokerageAccess": true,
        "businessType": "INDEPENDENT",
        "category": "",
        "clearingStatus": "O",
        "covestor": false,
        "currency": "USD",
        "desc": id,
        "displayName": "Sim Trader",
        "faclient": false,
        "ibEntity": "IBLLC-US",
        "id": id,
        "noClientTrading": false,
        "parent": {
            "accountId": "",
            "isMChild": false,
            "isMParent": false,
            "isMultiplex": false,
            "mmc": [],
        },
        "trackVirtualFXPortfolio": false,
        "tradingType": "STKNOPT",
        "type": if id.starts_with('D') { "DEMO" } else { "INDIVIDUAL" },
    })
}

/// `GET /portfolio/accounts` (GET_portfolio_accounts.json).
pub(crate) async fn accounts(State(world): State<WorldHandle>) -> Response {
    let world = world.lock();
    let rows: Vec<Value> = world
        .settings
        .accounts
        .iter()
        .map(|a| account_json(a))
        .collect();
    reply::ok(&Value::Array(rows))
}

/// `GET /portfolio/subaccounts` (GET_portfolio_subaccounts.json).
pub(crate) async fn subaccounts(state: State<WorldHandle>) -> Response {
    accounts(state).await
}

fn unknown_account(account: &str) -> Response {
    reply::unknown_account(account)
}

/// One row of `/portfolio/{acct}/positions/{page}`: the fields of
/// GET_portfolio_{accountId}_positions_{pageId}.json plus those of the spec sample.
pub(crate) fn position_json(account: &str, h: &Holding) -> Value {
    let c = &h.contract;
    let company = Catalog::company_of(c.conid);
    let expiry = c.expiry.map(|e| e.to_string());
    let mult: f64 = c.multiplier.and_then(|m| m.parse().ok()).unwrap_or(0.0);
    json!({
        "acctId": account,
        "conid": c.conid,
        "contractDesc": c.symbol,
        "position": h.quantity,
        "mktPrice": h.last,
        "mktValue": round2(h.market_value),
        "currency": c.currency,
        "avgCost": h.avg_cost * if mult > 0.0 { mult } else { 1.0 },
        "avgPrice": h.avg_cost,
        "realizedPnl": round2(h.realized),
        "unrealizedPnl": round2(h.unrealized),
        "exchs": null,
        "expiry": expiry,
        "putOrCall": c.right.map(|r| r.to_string()),
        "multiplier": if mult > 0.0 { Value::from(mult) } else { Value::Null },
        "strike": c.strike.unwrap_or(0.0),
        "exerciseStyle": null,
        "conExchMap": [],
        "assetClass": c.sec_type.code(),
        "undConid": c.underlying.unwrap_or(0),
        "model": "",
        "allExchanges": c.exchange,
        "chineseName": company.and_then(|co| co.chinese_name),
        "countryCode": if c.is_us { "US" } else { "" },
        "displayRule": {
            "displayRuleStep": [{"decimalDigits": 2, "lowerEdge": 0.0, "wholeDigits": 4}],
            "magnification": 0,
        },
        "fullName": c.symbol,
        "group": c.group,
        "hasOptions": c.has_options,
        "incrementRules": [{"increment": 0.01, "lowerEdge": 0.0}],
        "isEventContract": false,
        "isUS": c.is_us,
        "lastTradingDay": expiry,
        "listingExchange": c.exchange,
        "name": c.company_name,
        "pageSize": 100,
        "sector": c.sector,
        "sectorGroup": c.group,
        "ticker": c.symbol,
        "time": 26,
        "type": if c.sec_type == SecType::Stock { c.kind } else { "" },
        "undComp": null,
        "undSym": null,
    })
}

pub(crate) fn holdings(world: &mut World, account: &str) -> Option<Vec<Holding>> {
    world.trading.book(account)?;
    Some(world.valuation(account).holdings)
}

/// `GET /portfolio/{accountId}/positions/{pageId}`: 100 positions per page; later pages empty.
/// Served from the positions cache: taken on the first call, kept until
/// `POST /portfolio/{accountId}/positions/invalidate` (ibind-anchor §1 #64, cpapi-v1
/// "Invalidate Backend Portfolio Cache").
pub(crate) async fn positions(
    State(world): State<WorldHandle>,
    Path((account, page)): Path<(String, String)>,
) -> Response {
    let mut world = world.lock();
    let all = match world.positions_cache.get(&account) {
        Some(cached) => cached.clone(),
        None => {
            let Some(fresh) = holdings(&mut world, &account) else {
                return unknown_account(&account);
            };
            world.positions_cache.insert(account.clone(), fresh.clone());
            fresh
        }
    };
    let page: usize = page.trim().parse().unwrap_or(0);
    let rows: Vec<Value> = all
        .iter()
        .skip(page * 100)
        .take(100)
        .map(|h| position_json(&account, h))
        .collect();
    reply::ok(&Value::Array(rows))
}

/// `GET /portfolio2/{accountId}/positions` (GET_portfolio2_{accountId}_positions.json):
/// `conid` is a string here, `timestamp` in seconds.
pub(crate) async fn positions2(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let mut world = world.lock();
    let Some(all) = holdings(&mut world, &account) else {
        return unknown_account(&account);
    };
    let now_s = now_ms() / 1000;
    let rows: Vec<Value> = all
        .iter()
        .map(|h| {
            let c = &h.contract;
            json!({
                "assetClass": c.sec_type.code(),
                "avgCost": h.avg_cost,
                "avgPrice": h.avg_cost,
                "conid": c.conid.to_string(),
                "currency": c.currency,
                "description": c.symbol,
                "group": c.group,
                "isLastToLoq": false,
                "marketPrice": h.last,
                "marketValue": h.market_value,
                "model": "",
                "position": h.quantity,
                "realizedPnl": h.realized,
                "secType": c.sec_type.code(),
                "sector": c.sector,
                "timestamp": now_s,
                "unrealizedPnl": h.unrealized,
            })
        })
        .collect();
    reply::ok(&Value::Array(rows))
}

fn ledger_row(
    account: &str,
    currency: &str,
    v: &valuation::Valuation,
    end_of_bundle: bool,
) -> Value {
    let futures: f64 = v
        .holdings
        .iter()
        .filter(|h| h.contract.sec_type == SecType::Future)
        .map(|h| h.market_value)
        .sum();
    let options: f64 = v
        .holdings
        .iter()
        .filter(|h| h.contract.sec_type == SecType::Option)
        .map(|h| h.market_value)
        .sum();
    let stocks = v.market_value - futures - options;
    let mut row = json!({
        "commoditymarketvalue": 0.0,
        "futuremarketvalue": round2(futures),
        "settledcash": round2(v.cash),
        "exchangerate": 1,
        "sessionid": 1,
        "cashbalance": round2(v.cash),
        "corporatebondsmarketvalue": 0.0,
        "warrantsmarketvalue": 0.0,
        "netliquidationvalue": round2(v.net_liquidation),
        "interest": 0.0,
        "unrealizedpnl": round2(v.unrealized),
        "stockmarketvalue": round2(stocks),
        "moneyfunds": 0.0,
        "currency": currency,
        "realizedpnl": round2(v.realized_today),
        "funds": 0.0,
        "acctcode": account,
        "issueroptionsmarketvalue": 0.0,
        "key": "LedgerList",
        "timestamp": now_ms() / 1000,
        "severity": 0,
        "stockoptionmarketvalue": round2(options),
        "futuresonlypnl": 0.0,
        "tbondsmarketvalue": 0.0,
        "futureoptionmarketvalue": 0.0,
        "cashbalancefxsegment": 0.0,
        "secondkey": currency,
        "tbillsmarketvalue": 0.0,
        "dividends": 0.0,
        "cryptocurrencyvalue": 0.0,
    });
    if end_of_bundle && let Some(map) = row.as_object_mut() {
        map.insert("endofbundle".into(), json!(1));
    }
    row
}

/// `GET /portfolio/{accountId}/ledger` (GET_portfolio_{accountId}_ledger.json): USD and BASE.
pub(crate) async fn ledger(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let mut world = world.lock();
    if world.trading.book(&account).is_none() {
        return unknown_account(&account);
    }
    let v = world.valuation(&account);
    reply::ok(&json!({
        "USD": ledger_row(&account, "USD", &v, true),
        "BASE": ledger_row(&account, "BASE", &v, false),
    }))
}

/// Keys of `/portfolio/{accountId}/summary` whose entries carry text in `value`
/// (GET_portfolio_{accountId}_summary.json).
const TEXT_KEYS: &[(&str, &str)] = &[
    ("accountready", "true"),
    ("accounttype", "INDIVIDUAL"),
    ("columnprio-c", "2"),
    ("columnprio-s", "1"),
    ("daytradesremaining", "-1"),
    ("daytradesremainingt+1", "-1"),
    ("daytradesremainingt+2", "-1"),
    ("daytradesremainingt+3", "-1"),
    ("daytradesremainingt+4", "-1"),
    ("depositoncredithold", "null"),
    ("highestseverity", "null"),
    ("leverage-s", "0.0"),
    ("nlvandmargininreview", "false"),
    ("segmenttitle-c", "US Commodities"),
    ("segmenttitle-s", "US Securities"),
    ("tradingtype-s", "STKNOPT"),
    ("whatifpmenabled", "true"),
];

/// Keys whose entries carry an amount, each also with `-c` (commodities, zero here) and `-s`
/// (securities) variants where the real sample has them.
const AMOUNT_KEYS: &[(&str, bool, bool)] = &[
    ("accruedcash", true, true),
    ("accrueddividend", true, true),
    ("availablefunds", true, true),
    ("availabletotrade", true, true),
    ("availabletowithdraw", true, true),
    ("billable", true, true),
    ("buyingpower", false, false),
    ("equitywithloanvalue", true, true),
    ("excessliquidity", true, true),
    ("fullavailablefunds", true, true),
    ("fullexcessliquidity", true, true),
    ("fullinitmarginreq", true, true),
    ("fullmaintmarginreq", true, true),
    ("grosspositionvalue", false, true),
    ("guarantee", true, true),
    ("indianstockhaircut", true, true),
    ("initmarginreq", true, true),
    ("lookaheadavailablefunds", true, true),
    ("lookaheadexcessliquidity", true, true),
    ("lookaheadinitmarginreq", true, true),
    ("lookaheadmaintmarginreq", true, true),
    ("maintmarginreq", true, true),
    ("netliquidation", true, true),
    ("netliquidationuncertainty", false, false),
    ("pasharesvalue", true, true),
    ("physicalcertificatevalue", true, true),
    ("postexpirationexcess", true, true),
    ("postexpirationmargin", true, true),
    ("previousdayequitywithloanvalue", false, true),
    ("regtequity", false, true),
    ("regtmargin", false, true),
    ("sma", false, true),
    ("totalcashvalue", true, true),
    ("totaldebitcardpendingcharges", true, true),
];

fn amount_of(key: &str, v: &valuation::Valuation) -> f64 {
    let gross = v.market_value.abs();
    let init = gross * 0.25;
    let maint = gross * 0.22;
    let nl = v.net_liquidation;
    match key {
        "availablefunds" | "fullavailablefunds" | "lookaheadavailablefunds" => nl - init,
        "availabletotrade" | "availabletowithdraw" => v.cash.max(0.0),
        "buyingpower" => (nl - init) * 4.0,
        "equitywithloanvalue"
        | "netliquidation"
        | "regtequity"
        | "previousdayequitywithloanvalue" => nl,
        "excessliquidity" | "fullexcessliquidity" | "lookaheadexcessliquidity" => nl - maint,
        "fullinitmarginreq" | "initmarginreq" | "lookaheadinitmarginreq" => init,
        "fullmaintmarginreq" | "maintmarginreq" | "lookaheadmaintmarginreq" => maint,
        "grosspositionvalue" => gross,
        "regtmargin" => gross * 0.5,
        "sma" => nl - init,
        "totalcashvalue" => v.cash,
        _ => 0.0,
    }
}

/// `GET /portfolio/{accountId}/summary` (GET_portfolio_{accountId}_summary.json): every key of
/// the real sample, each `{amount,currency,isNull,severity,timestamp,value}`.
pub(crate) async fn summary(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let mut world = world.lock();
    if world.trading.book(&account).is_none() {
        return unknown_account(&account);
    }
    let v = world.valuation(&account);
    let ts = now_ms();
    let entry = |amount: f64, currency: Option<&str>, value: Option<&str>| {
        json!({
            "amount": round2(amount),
            "currency": currency,
            "isNull": false,
            "severity": 0,
            "timestamp": ts,
            "value": value,
        })
    };
    let mut out = Map::new();
    out.insert("accountcode".into(), entry(0.0, None, Some(&account)));
    for (key, value) in TEXT_KEYS {
        out.insert((*key).into(), entry(0.0, None, Some(value)));
    }
    out.insert(
        "cushion".into(),
        entry(
            0.0,
            None,
            Some(&format!(
                "{:.6}",
                if v.net_liquidation > 0.0 {
                    1.0 - v.market_value.abs() * 0.22 / v.net_liquidation
                } else {
                    0.0
                }
            )),
        ),
    );
    out.insert(
        "daytradingstatus-s".into(),
        entry(
            0.0,
            None,
            Some(&format!(": : false: {:.2}: :false", v.net_liquidation)),
        ),
    );
    out.insert(
        "lookaheadnextchange".into(),
        entry(0.0, None, Some(&(ts / 1000 + 3600).to_string())),
    );
    for &(key, with_c, with_s) in AMOUNT_KEYS {
        let amount = amount_of(key, &v);
        out.insert(key.into(), entry(amount, Some("USD"), None));
        if with_c {
            out.insert(format!("{key}-c"), entry(0.0, Some("USD"), None));
        }
        if with_s {
            out.insert(format!("{key}-s"), entry(amount, Some("USD"), None));
        }
    }
    reply::ok(&Value::Object(out))
}
