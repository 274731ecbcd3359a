//! The parameter finder: values for each operation's parameters, found in the account's own
//! answers.
//!
//! The capture calls operations in [`ORDER`]: the ones whose answers name things (the
//! account, its positions' conids, a watchlist, an alert, an order, a notification, an option
//! month, an event contract, an allocation group, a model) come first, and [`learn`] keeps
//! what they name in [`Found`]. [`plan`] then fills each operation's path and query: by
//! parameter name for the common ones (`accountId` the account, `conid` the first conid,
//! `conids` all of them), from a short per-operation list for the rest, and a request body for
//! the reads sent as POST. An operation with a required parameter nothing named is skipped,
//! with the reason.

use serde_json::{Value, json};

use super::spec::Op;

/// The liquid symbol used when the account holds no position.
pub const FALLBACK_SYMBOLS: &[&str] = &["AAPL", "MSFT", "SPY"];

/// The operations whose answers name parameters of others, in the order they are called;
/// every other operation follows, by operationId.
pub const ORDER: &[&str] = &[
    "getAuthStatus",
    "getAccounts",
    "listPortfolioAccounts",
    "getPositions",
    "searchStocks",
    "searchContracts",
    "listWatchlists",
    "listAlerts",
    "getLiveOrders",
    "listNotifications",
    "listNotificationSettings",
    "getEventContractCategories",
    "listEventContractsForMarket",
    "listAllocationGroups",
    "listFaModels",
];

/// What the account's answers named so far.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub account: Option<String>,
    /// `allowDynAccount` of `/iserver/accounts` (others get 503 from the dynamic-account search).
    pub dynamic_accounts: bool,
    pub conids: Vec<String>,
    /// The symbol of the first conid (for the operations that take a symbol).
    pub symbol: Option<String>,
    pub watchlist: Option<String>,
    pub alert: Option<String>,
    pub order: Option<String>,
    pub notification: Option<String>,
    pub notification_type: Option<String>,
    pub option_month: Option<String>,
    pub event_underlying: Option<String>,
    pub event_contract: Option<String>,
    pub allocation_group: Option<String>,
    pub model: Option<String>,
}

/// One request, ready to send (path relative to the API root).
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Path parameters by name; `Ibkr::send_undecoded` encodes them into the template.
    pub path: Vec<(&'static str, String)>,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
}

/// Why an operation is not called.
pub type Skip = String;

fn need(v: &Option<String>, what: &str) -> Result<String, Skip> {
    v.clone()
        .ok_or_else(|| format!("no {what} in the account's answers"))
}

impl Found {
    fn account(&self) -> Result<String, Skip> {
        need(&self.account, "account id")
    }
    fn conid(&self) -> Result<String, Skip> {
        self.conids.first().cloned().ok_or_else(|| {
            "no conid (no position, and the fallback symbols did not resolve)".into()
        })
    }
    fn symbol(&self) -> String {
        self.symbol
            .clone()
            .unwrap_or_else(|| FALLBACK_SYMBOLS[0].to_string())
    }
}

/// A value for parameter `name` of `op`: from the per-operation list, else by name. `None`
/// when nothing supplies one (an optional parameter is then left out).
fn value(op: &str, name: &str, f: &Found) -> Option<Result<String, Skip>> {
    let fixed = |s: &str| Some(Ok(s.to_string()));
    match (op, name) {
        ("getAlert", "alertId") => Some(need(&f.alert, "alert")),
        ("getAlert", "type") => fixed("Q"),
        ("getOrderStatus", "orderId") => Some(need(&f.order, "live order")),
        ("searchDynamicAccounts", "searchPattern") if !f.dynamic_accounts => Some(Err(
            "the login has no dynamic accounts (allowDynAccount is false): IBKR answers 503".into(),
        )),
        ("searchDynamicAccounts", "searchPattern") => {
            Some(f.account().map(|a| a.chars().take(2).collect()))
        }
        ("listCurrencyPairs", "currency") => fixed("USD"),
        ("getExchangeRate", "source") => fixed("USD"),
        ("getExchangeRate", "target") => fixed("EUR"),
        ("getMarketDataHistory" | "getHmdsHistory", "period") => fixed("1w"),
        ("getMarketDataHistory" | "getHmdsHistory", "bar") => fixed("1d"),
        ("getSecdefInfo", "sectype") => fixed("STK"),
        ("searchContracts", "symbol") => Some(Ok(f.symbol())),
        ("listStrikes", "sectype") => fixed("OPT"),
        ("listStrikes", "month") => Some(need(&f.option_month, "option month")),
        ("getWatchlist", "id") => Some(need(&f.watchlist, "watchlist")),
        ("listWatchlists", "SC") => fixed("USER_WATCHLIST"),
        ("getPositions", "pageId") => fixed("0"),
        ("listNotifications", "max") => fixed("10"),
        ("listMoreNotifications", "id") => Some(need(&f.notification, "notification")),
        ("getNotificationDisclaimer", "typecode") => {
            Some(need(&f.notification_type, "notification type"))
        }
        (
            "getEventContractDetails" | "getEventContractRules" | "getEventContractSchedules",
            "conid",
        ) => Some(need(&f.event_contract, "event contract")),
        ("listEventContractsForMarket", "underlyingConid") => {
            Some(need(&f.event_underlying, "event-contract market"))
        }
        ("listConidsByExchange", "exchange") => fixed("AMEX"),
        ("searchFutures", "symbols") => fixed("ES"),
        ("getTradingScheduleBySymbol", "assetClass") => fixed("STK"),
        ("getTradingScheduleBySymbol" | "searchStocks", "symbol" | "symbols") => {
            Some(Ok(f.symbol()))
        }
        ("getBondFilters", _) => Some(Err(
            "needs a bond issuer id, which a stock account's answers never name".into(),
        )),
        (_, "accountId" | "accountid") => Some(f.account()),
        (_, "conid") => Some(f.conid()),
        (_, "conids") => Some(if f.conids.is_empty() {
            f.conid()
        } else {
            Ok(f.conids.join(","))
        }),
        _ => None,
    }
}

/// The JSON body of a read sent as POST, or `None` for an operation without one.
fn body(op: &str, f: &Found) -> Result<Option<Value>, Skip> {
    let accounts = || f.account().map(|a| json!([a]));
    let model = || need(&f.model, "model");
    Ok(Some(match op {
        "getFaModelPreset" | "listFaModels" => json!({"reqID": 1}),
        "getFaModelAccounts"
        | "getFaModelInvestedAccounts"
        | "getFaModelPositions"
        | "getFaModelSummary" => json!({"reqID": 1, "model": model()?}),
        "runHmdsScanner" => json!({
            "instrument": "STK", "location": "STK.US.MAJOR", "scanCode": "TOP_PERC_GAIN",
            "secType": "STK", "maxItems": 10
        }),
        "runScanner" => json!({
            "instrument": "STK", "location": "STK.US.MAJOR", "type": "TOP_PERC_GAIN", "filter": []
        }),
        "getAllocationGroup" => json!({"name": need(&f.allocation_group, "allocation group")?}),
        "getContractRules" => {
            json!({"conid": f.conid()?.parse::<u64>().unwrap_or(0), "isBuy": true})
        }
        "searchContractsPost" => json!({"symbol": f.symbol()}),
        "getPerformanceAllPeriods" | "getPerformanceSummary" | "getAllocationAcrossAccounts" => {
            json!({"acctIds": accounts()?})
        }
        "getPerformance" => json!({"acctIds": accounts()?, "period": "1M"}),
        "getTransactionHistory" => json!({
            "acctIds": accounts()?, "conids": [f.conid()?.parse::<u64>().unwrap_or(0)], "currency": "USD"
        }),
        _ => return Ok(None),
    }))
}

/// The request for `op`, or why it is skipped.
pub fn plan(op: &Op, f: &Found) -> Result<Call, Skip> {
    let mut path = Vec::new();
    let mut query = Vec::new();
    for (name, place, required) in op.parameters() {
        let v = match value(op.id(), name, f) {
            Some(v) => v?,
            None if required => {
                return Err(format!("no value for its required parameter `{name}`"));
            }
            None => continue,
        };
        match place {
            "path" => path.push((name, v)),
            "query" => query.push((name, v)),
            _ if required => {
                return Err(format!("needs the {place} parameter `{name}`"));
            }
            _ => {}
        }
    }
    let body = body(op.id(), f)?;
    if body.is_none() && op.node.get("requestBody").is_some() {
        return Err("takes a request body the capture has no value for".into());
    }
    Ok(Call { path, query, body })
}

/// The first value under `key`, depth first, anywhere in `v`.
fn first<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => m
            .get(key)
            .or_else(|| m.values().find_map(|x| first(x, key))),
        Value::Array(a) => a.iter().find_map(|x| first(x, key)),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first_text(v: &Value, key: &str) -> Option<String> {
    first(v, key).and_then(text)
}

/// Keep what the answer of `op` names. Names already found are kept (the first answer wins).
pub fn learn(op: &str, answer: &Value, f: &mut Found) {
    fn keep(slot: &mut Option<String>, v: Option<String>) {
        if slot.is_none() {
            *slot = v;
        }
    }
    match op {
        "getAccounts" => {
            f.dynamic_accounts = first(answer, "allowDynAccount") == Some(&Value::Bool(true));
            keep(
                &mut f.account,
                first_text(answer, "selectedAccount")
                    .or_else(|| answer.get("accounts").and_then(|a| a.get(0)).and_then(text)),
            )
        }
        "listPortfolioAccounts" => keep(&mut f.account, first_text(answer, "accountId")),
        "getPositions" if f.conids.is_empty() => {
            f.conids = answer
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("conid").and_then(text))
                .take(3)
                .collect();
            if let Some(first) = answer.as_array().and_then(|a| a.first()) {
                keep(&mut f.symbol, first.get("ticker").and_then(text));
            }
        }
        "searchStocks" => {
            if f.conids.is_empty()
                && let Some(conid) = first_text(answer, "conid")
            {
                f.conids.push(conid);
                keep(&mut f.symbol, Some(FALLBACK_SYMBOLS[0].to_string()));
            }
        }
        "searchContracts" => {
            let month = answer
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| {
                    c.get("sections")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .find(|s| s.get("secType").and_then(Value::as_str) == Some("OPT"))
                .and_then(|s| s.get("months").and_then(Value::as_str))
                .and_then(|m| m.split(';').next())
                .filter(|m| !m.is_empty())
                .map(String::from);
            keep(&mut f.option_month, month);
        }
        "listWatchlists" => keep(&mut f.watchlist, first_text(answer, "id")),
        "listAlerts" => keep(&mut f.alert, first_text(answer, "order_id")),
        "getLiveOrders" => keep(&mut f.order, first_text(answer, "orderId")),
        "listNotifications" => keep(&mut f.notification, first_text(answer, "ID")),
        "listNotificationSettings" => keep(&mut f.notification_type, first_text(answer, "FC")),
        "getEventContractCategories" => keep(&mut f.event_underlying, first_text(answer, "conid")),
        "listEventContractsForMarket" => keep(&mut f.event_contract, first_text(answer, "conid")),
        "listAllocationGroups" => keep(&mut f.allocation_group, first_text(answer, "name")),
        "listFaModels" => keep(&mut f.model, first_text(answer, "model")),
        _ => {}
    }
}
