//! Account selection and the account-level `/iserver` views: switch account, dynamic
//! accounts, signatures and owners, and the four summary sub-pages.
//!
//! Shapes: cpapi-v1 "Switch Account" (`{"set":true,"acctId":..}`), "Search Dynamic Account",
//! "Signatures and Owners", "Account Summary" sub-pages (amounts as `"1,214,906 USD"` strings);
//! field names from the spec's `setAccountResponse`, `dynAccountSearchResponse`,
//! `signatureAndOwners`, `availableFundsResponse`, `summaryOfAccountBalancesResponse`,
//! `summaryOfAccountMarginResponse`, `summaryMarketValueResponse`.

use axum::extract::{Path, State};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::params::{object_body, required_text};
use super::reply;
use crate::market::catalog::SecType;
use crate::trading::valuation::Valuation;
use crate::world::World;
use crate::world::WorldHandle;

/// Whether the user may use dynamic accounts: advisors and multi-account users
/// (`allowDynAccount` of `/iserver/accounts`); others get 503 (ibind-anchor §1 #3).
pub(crate) fn dynamic_accounts_allowed(world: &World) -> bool {
    world.settings.accounts.len() > 1
}

fn select(world: &WorldHandle, body: &[u8]) -> Response {
    let v = match object_body(body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let account = match required_text(&v, "acctId") {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let mut world = world.lock();
    if !world.has_account(&account) {
        return reply::unknown_account(&account);
    }
    world.selected_account = account.clone();
    world.account_chosen = true;
    reply::ok(&json!({"set": true, "acctId": account}))
}

/// `POST /iserver/account {"acctId"}`: later `/iserver` calls act on that account.
pub(crate) async fn switch_account(State(world): State<WorldHandle>, body: Bytes) -> Response {
    select(&world, &body)
}

/// `POST /iserver/dynaccount {"acctId"}`: the same for dynamic-account users.
pub(crate) async fn set_dynamic_account(State(world): State<WorldHandle>, body: Bytes) -> Response {
    if !dynamic_accounts_allowed(&world.lock()) {
        return reply::empty(503);
    }
    select(&world, &body)
}

/// `GET /iserver/account/search/{pattern}`: accounts whose id contains the pattern.
pub(crate) async fn search_dynamic_accounts(
    State(world): State<WorldHandle>,
    Path(pattern): Path<String>,
) -> Response {
    let world = world.lock();
    if !dynamic_accounts_allowed(&world) {
        return reply::empty(503);
    }
    let wanted = pattern.trim().to_ascii_uppercase();
    let matched: Vec<Value> = world
        .settings
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.to_ascii_uppercase().contains(&wanted))
        .map(|(i, a)| json!({"accountId": a, "alias": a, "allocationId": (i + 1).to_string()}))
        .collect();
    reply::ok(&json!({"pattern": pattern, "matchedAccounts": matched}))
}

/// `GET /acesws/{accountId}/signatures-and-owners`.
pub(crate) async fn signatures_and_owners(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let world = world.lock();
    if !world.has_account(&account) {
        return reply::unknown_account(&account);
    }
    reply::ok(&json!({
        "accountId": account,
        "users": [{
            "roleId": "OWNER",
            "hasRightCodeInd": true,
            "userName": crate::routes::session::USER_NAME,
            "entity": {
                "firstName": "Sim",
                "lastName": "Trader",
                "entityType": "INDIVIDUAL",
                "entityName": "Sim Trader",
            },
        }],
        "applicant": {"signatures": ["Sim Trader"]},
    }))
}

/// `1,214,906 USD`: whole units with thousands separators and the currency, as the summary
/// sub-pages write amounts.
fn usd(amount: f64) -> String {
    let rounded = amount.round();
    let sign = if rounded < 0.0 { "-" } else { "" };
    format!(
        "{sign}{} USD",
        crate::market::format::thousands(rounded.abs() as u64)
    )
}

fn valued(world: &WorldHandle, account: &str) -> Result<Valuation, Response> {
    let mut world = world.lock();
    if !world.has_account(account) {
        return Err(reply::unknown_account(account));
    }
    Ok(world.valuation(account))
}

/// Initial and maintenance margin of a valuation (the simulator's Reg T style rule:
/// 25 % and 22 % of gross position value, as `/iserver/account/{acct}/summary` uses).
fn margins(v: &Valuation) -> (f64, f64) {
    let gross = v.market_value.abs();
    (gross * 0.25, gross * 0.22)
}

fn market_value_of(v: &Valuation, sec_type: SecType) -> f64 {
    v.holdings
        .iter()
        .filter(|h| h.contract.sec_type == sec_type)
        .map(|h| h.market_value)
        .sum()
}

/// `GET /iserver/account/{accountId}/summary/available_funds`.
pub(crate) async fn available_funds(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let v = match valued(&world, &account) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let (init, maint) = margins(&v);
    let available = v.net_liquidation - init;
    let excess = v.net_liquidation - maint;
    let leverage = if v.net_liquidation > 0.0 {
        format!("{:.2}", v.market_value.abs() / v.net_liquidation)
    } else {
        "n/a".to_string()
    };
    let zero = usd(0.0);
    reply::ok(&json!({
        "total": {
            "current_available": usd(available),
            "current_excess": usd(excess),
            "Prdctd Pst-xpry Excss": zero,
            "Lk Ahd Avlbl Fnds": usd(available),
            "Lk Ahd Excss Lqdty": usd(excess),
            "Lk Ahd Nxt Chng": "@ 16:00:00",
            "overnight_available": usd(available),
            "overnight_excess": usd(excess),
            "buying_power": usd(available * 4.0),
            "leverage": leverage,
            "day_trades_left": "Unlimited",
        },
        "Crypto at Paxos": {
            "current_available": zero, "current_excess": zero, "Prdctd Pst-xpry Excss": zero,
            "Lk Ahd Avlbl Fnds": zero, "overnight_available": zero, "overnight_excess": zero,
        },
        "commodities": {
            "current_available": zero, "current_excess": zero, "Prdctd Pst-xpry Excss": zero,
            "Lk Ahd Avlbl Fnds": zero, "overnight_available": zero, "overnight_excess": zero,
        },
        "securities": {
            "current_available": usd(available),
            "current_excess": usd(excess),
            "Prdctd Pst-xpry Excss": zero,
            "Lk Ahd Avlbl Fnds": usd(available),
            "Lk Ahd Excss Lqdty": usd(excess),
            "overnight_available": usd(available),
            "overnight_excess": usd(excess),
            "leverage": leverage,
            "SMA": usd(available),
        },
    }))
}

/// `GET /iserver/account/{accountId}/summary/balances`.
pub(crate) async fn balances(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let v = match valued(&world, &account) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let zero = usd(0.0);
    let gross = usd(v.market_value.abs());
    reply::ok(&json!({
        "total": {
            "net_liquidation": usd(v.net_liquidation),
            "Nt Lqdtn Uncrtnty": zero,
            "equity_with_loan": usd(v.net_liquidation),
            "Prvs Dy Eqty Wth Ln Vl": usd(v.net_liquidation - v.daily_pnl),
            "sec_gross_pos_val": gross,
            "cash": usd(v.cash),
            "MTD Interest": zero,
            "Pndng Dbt Crd Chrgs": zero,
        },
        "commodities": {
            "net_liquidation": zero, "equity_with_loan": zero, "cash": zero,
            "MTD Interest": zero, "Pndng Dbt Crd Chrgs": zero,
        },
        "securities": {
            "net_liquidation": usd(v.net_liquidation),
            "equity_with_loan": usd(v.net_liquidation),
            "Prvs Dy Eqty Wth Ln Vl": usd(v.net_liquidation - v.daily_pnl),
            "sec_gross_pos_val": gross,
            "cash": usd(v.cash),
            "MTD Interest": zero,
            "Pndng Dbt Crd Chrgs": zero,
        },
    }))
}

/// `GET /iserver/account/{accountId}/summary/margins`.
pub(crate) async fn margins_page(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let v = match valued(&world, &account) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let (init, maint) = margins(&v);
    let page = |init: f64, maint: f64| {
        json!({
            "current_initial": usd(init),
            "Prdctd Pst-xpry Mrgn @ Opn": usd(0.0),
            "current_maint": usd(maint),
            "projected_liquidity_inital_margin": usd(init),
            "Prjctd Lk Ahd Mntnnc Mrgn": usd(maint),
            "projected_overnight_initial_margin": usd(init),
            "Prjctd Ovrnght Mntnnc Mrgn": usd(maint),
        })
    };
    let mut commodities = page(0.0, 0.0);
    if let Some(map) = commodities.as_object_mut() {
        map.insert("RegT Margin".into(), json!(usd(0.0)));
    }
    reply::ok(&json!({
        "total": page(init, maint),
        "Crypto at Paxos": page(0.0, 0.0),
        "commodities": commodities,
        "securities": page(init, maint),
    }))
}

/// `GET /iserver/account/{accountId}/summary/market_value`: one entry per currency, and the
/// total in the base currency.
pub(crate) async fn market_value(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let v = match valued(&world, &account) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let stock = market_value_of(&v, SecType::Stock);
    let options = market_value_of(&v, SecType::Option);
    let futures = market_value_of(&v, SecType::Future);
    let realized: f64 = v.holdings.iter().map(|h| h.realized).sum();
    let row = |rate: &str| {
        json!({
            "total_cash": usd(v.cash),
            "settled_cash": usd(v.cash),
            "MTD Interest": usd(0.0),
            "stock": usd(stock),
            "options": usd(options),
            "futures": usd(futures),
            "future_options": usd(0.0),
            "funds": usd(0.0),
            "dividends_receivable": usd(0.0),
            "mutual_funds": usd(0.0),
            "money_market": usd(0.0),
            "bonds": usd(0.0),
            "Govt Bonds": usd(0.0),
            "t_bills": usd(0.0),
            "warrants": usd(0.0),
            "issuer_option": usd(0.0),
            "commodity": usd(0.0),
            "Notional CFD": usd(0.0),
            "cfd": usd(0.0),
            "Cryptocurrency": usd(0.0),
            "net_liquidation": usd(v.net_liquidation),
            "unrealized_pnl": usd(v.unrealized),
            "realized_pnl": usd(realized),
            "Exchange Rate": rate,
        })
    };
    reply::ok(&json!({
        "USD": row("1.00"),
        "Total (in USD)": row("1.00"),
    }))
}
