//! The HTTP surface: every simulated endpoint, mounted behind the front desk.

// Request checks return the finished error `Response` as their `Err` so a handler can bail out
// with `?`-like matches; it is a cold path, so its size does not matter.
#![allow(clippy::result_large_err)]

mod account_management;
mod accounts;
mod alerts;
mod allocation;
mod contract_rules;
mod contracts;
mod fa_models;
mod flex;
mod forecast;
pub(crate) mod front_desk;
mod fyi;
mod marketdata;
mod orders;
mod params;
mod performance;
mod portfolio;
mod portfolio_views;
use crate::reply;
mod scanner;
mod session;
mod sso;

pub(crate) use sso::LOGIN_REDIRECT;
mod third_party_oauth;
mod watchlists;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::response::Response;
use axum::routing::{delete, get, post, put};

use crate::shared::Shared;

/// axum's own rejections (a path parameter that is not UTF-8, a query it cannot parse) are
/// plain text; the gateway answers every bad request in its JSON shape
/// (ERROR_400_no_bridge__ibind_issue44.json), so they are rewritten into it.
async fn ibkr_rejection(resp: Response) -> Response {
    let plain_text = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !resp.status().is_client_error() || !plain_text {
        return resp;
    }
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    reply::bad_request(status, &format!("Bad Request: {}", text.trim()))
}

/// Unknown paths: 404 in the gateway's bad-request shape.
async fn not_found() -> Response {
    reply::bad_request(404, "Not Found")
}

/// The gateway API under `/v1/api`.
fn gateway() -> Router<Arc<Shared>> {
    Router::new()
        // Session
        .route("/tickle", post(session::tickle).get(session::tickle))
        .route(
            "/oauth/request_token",
            post(third_party_oauth::request_token),
        )
        .route("/oauth/access_token", post(third_party_oauth::access_token))
        // The WebSocket (`sim/src/ws`)
        .route("/ws", get(crate::ws::upgrade))
        .route(
            "/iserver/auth/status",
            post(session::status).get(session::status),
        )
        .route("/iserver/auth/ssodh/init", post(session::ssodh_init))
        .route(
            "/iserver/reauthenticate",
            post(session::reauthenticate).get(session::reauthenticate),
        )
        .route("/logout", post(session::logout))
        .route("/sso/validate", get(session::validate))
        // Contracts
        .route("/trsrv/stocks", get(contracts::stocks))
        .route("/trsrv/secdef", get(contracts::secdef))
        .route("/trsrv/futures", get(contracts::futures))
        .route(
            "/iserver/secdef/search",
            get(contracts::search_get).post(contracts::search_post),
        )
        .route(
            "/iserver/contract/{conid}/info",
            get(contracts::contract_info),
        )
        .route("/iserver/secdef/strikes", get(contracts::strikes))
        .route("/iserver/secdef/info", get(contracts::secdef_info))
        // Market data
        .route("/iserver/marketdata/snapshot", get(marketdata::snapshot))
        .route("/iserver/marketdata/history", get(marketdata::history))
        .route("/hmds/history", get(marketdata::hmds_history))
        .route(
            "/iserver/marketdata/unsubscribe",
            post(marketdata::unsubscribe),
        )
        .route(
            "/iserver/marketdata/unsubscribeall",
            get(marketdata::unsubscribe_all),
        )
        // Orders and account
        .route("/iserver/accounts", get(orders::accounts))
        .route("/iserver/account/orders", get(orders::live_orders))
        .route(
            "/iserver/account/order/status/{order_id}",
            get(orders::order_status),
        )
        .route("/iserver/account/trades", get(orders::trades))
        .route("/iserver/account/pnl/partitioned", get(orders::pnl))
        .route(
            "/iserver/account/{account}/summary",
            get(orders::iserver_summary),
        )
        .route("/iserver/account/{account}/orders", post(orders::place))
        .route(
            "/iserver/account/{account}/orders/whatif",
            post(orders::whatif),
        )
        .route(
            "/iserver/account/{account}/order/{order_id}",
            post(orders::modify).delete(orders::cancel),
        )
        .route("/iserver/reply/{reply_id}", post(orders::reply_to_question))
        .route("/iserver/notification", post(orders::notification))
        .route("/iserver/questions/suppress", post(orders::suppress))
        .route(
            "/iserver/questions/suppress/reset",
            post(orders::suppress_reset),
        )
        // Portfolio
        .route("/portfolio/accounts", get(portfolio::accounts))
        .route("/portfolio/subaccounts", get(portfolio::subaccounts))
        .route(
            "/portfolio/{account}/positions/{page}",
            get(portfolio::positions),
        )
        .route(
            "/portfolio2/{account}/positions",
            get(portfolio::positions2),
        )
        .route("/portfolio/{account}/ledger", get(portfolio::ledger))
        .route("/portfolio/{account}/summary", get(portfolio::summary))
        .merge(accounts_and_reference())
        .merge(portfolio_and_performance())
        .merge(user_lists())
        .merge(advisors_and_events())
}

/// Account selection, account summary pages, contract rules and reference data.
fn accounts_and_reference() -> Router<Arc<Shared>> {
    Router::new()
        .route("/iserver/account", post(accounts::switch_account))
        .route("/iserver/dynaccount", post(accounts::set_dynamic_account))
        .route(
            "/iserver/account/search/{pattern}",
            get(accounts::search_dynamic_accounts),
        )
        .route(
            "/acesws/{account}/signatures-and-owners",
            get(accounts::signatures_and_owners),
        )
        .route(
            "/iserver/account/{account}/summary/available_funds",
            get(accounts::available_funds),
        )
        .route(
            "/iserver/account/{account}/summary/balances",
            get(accounts::balances),
        )
        .route(
            "/iserver/account/{account}/summary/margins",
            get(accounts::margins_page),
        )
        .route(
            "/iserver/account/{account}/summary/market_value",
            get(accounts::market_value),
        )
        .route("/iserver/contract/rules", post(contract_rules::rules))
        .route(
            "/iserver/contract/{conid}/info-and-rules",
            get(contract_rules::info_and_rules),
        )
        .route(
            "/iserver/contract/{conid}/algos",
            get(contract_rules::algos),
        )
        .route(
            "/trsrv/secdef/schedule",
            get(contract_rules::schedule_by_symbol),
        )
        .route(
            "/contract/trading-schedule",
            get(contract_rules::trading_schedule),
        )
        .route("/trsrv/all-conids", get(contract_rules::all_conids))
        .route(
            "/iserver/currency/pairs",
            get(contract_rules::currency_pairs),
        )
        .route("/iserver/exchangerate", get(contract_rules::exchange_rate))
        .route(
            "/iserver/secdef/bond-filters",
            get(contract_rules::bond_filters),
        )
        .route("/md/regsnapshot", get(marketdata::regulatory_snapshot))
}

/// Portfolio views beyond positions, and the portfolio analyst.
fn portfolio_and_performance() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/portfolio/subaccounts2",
            get(portfolio_views::subaccounts_paged),
        )
        .route("/portfolio/{account}/meta", get(portfolio_views::meta))
        .route(
            "/portfolio/{account}/allocation",
            get(portfolio_views::allocation),
        )
        .route(
            "/portfolio/allocation",
            post(portfolio_views::allocation_across),
        )
        .route(
            "/portfolio/{account}/combo/positions",
            get(portfolio_views::combo_positions),
        )
        .route(
            "/portfolio/{account}/position/{conid}",
            get(portfolio_views::account_position),
        )
        .route(
            "/portfolio/positions/{conid}",
            get(portfolio_views::positions_for_contract),
        )
        .route(
            "/portfolio/{account}/positions/invalidate",
            post(portfolio_views::invalidate_positions),
        )
        .route("/pa/performance", post(performance::performance))
        .route("/pa/allperiods", post(performance::all_periods))
        .route("/pa/summary", post(performance::summary))
        .route("/pa/transactions", post(performance::transactions))
}

/// Watchlists, alerts, the scanner and FYI notifications.
fn user_lists() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/iserver/watchlist",
            post(watchlists::create)
                .get(watchlists::show)
                .delete(watchlists::delete),
        )
        .route("/iserver/watchlists", get(watchlists::list))
        .route("/iserver/account/{account}/alert", post(alerts::save))
        .route(
            "/iserver/account/{account}/alert/activate",
            post(alerts::activate),
        )
        .route(
            "/iserver/account/{account}/alert/{alert_id}",
            delete(alerts::delete),
        )
        .route("/iserver/account/{account}/alerts", get(alerts::list))
        .route("/iserver/account/alert/{alert_id}", get(alerts::show))
        .route("/iserver/account/mta", get(alerts::mobile_trading_alert))
        .route("/iserver/scanner/params", get(scanner::params))
        .route("/iserver/scanner/run", post(scanner::run))
        .route("/hmds/scanner/params", get(scanner::hmds_params))
        .route("/hmds/scanner/run", post(scanner::hmds_run))
        .route("/fyi/unreadnumber", get(fyi::unread))
        .route("/fyi/notifications", get(fyi::notifications))
        .route("/fyi/notifications/more", get(fyi::more))
        .route("/fyi/notifications/{id}", put(fyi::mark_read))
        .route("/fyi/settings", get(fyi::settings))
        .route("/fyi/settings/{typecode}", post(fyi::set_setting))
        .route(
            "/fyi/disclaimer/{typecode}",
            get(fyi::disclaimer).put(fyi::mark_disclaimer_read),
        )
        .route("/fyi/deliveryoptions", get(fyi::delivery_options))
        .route("/fyi/deliveryoptions/email", put(fyi::set_email))
        .route("/fyi/deliveryoptions/device", post(fyi::set_device))
        .route(
            "/fyi/deliveryoptions/{device_id}",
            delete(fyi::delete_device),
        )
}

/// FA allocation groups and models, and event contracts.
fn advisors_and_events() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/iserver/account/allocation/accounts",
            get(allocation::accounts),
        )
        .route(
            "/iserver/account/allocation/group",
            get(allocation::groups)
                .post(allocation::create)
                .put(allocation::modify),
        )
        .route(
            "/iserver/account/allocation/group/delete",
            post(allocation::delete),
        )
        .route(
            "/iserver/account/allocation/group/single",
            post(allocation::single),
        )
        .route(
            "/iserver/account/allocation/presets",
            get(allocation::presets).post(allocation::set_presets),
        )
        .route("/fa/model/list", post(fa_models::list))
        .route("/fa/model/save", post(fa_models::save))
        .route("/fa/model/summary", post(fa_models::summary))
        .route("/fa/model/positions", post(fa_models::positions))
        .route(
            "/fa/model/accounts-details",
            post(fa_models::accounts_details),
        )
        .route("/fa/model/invest-divest", post(fa_models::invest_divest))
        .route(
            "/fa/model/invest-divest-positions",
            post(fa_models::invested_accounts),
        )
        .route(
            "/fa/model/submit-transfers",
            post(fa_models::submit_transfers),
        )
        .route("/fa/fa-preset/get", post(fa_models::preset_get))
        .route("/fa/fa-preset/save", post(fa_models::preset_save))
        .route("/forecast/category/tree", get(forecast::category_tree))
        .route("/forecast/contract/market", get(forecast::market))
        .route("/forecast/contract/details", get(forecast::details))
        .route("/forecast/contract/rules", get(forecast::rules))
        .route("/forecast/contract/schedules", get(forecast::schedules))
}

/// The read-only account-management API under `/gw/api/v1`.
fn account_management() -> Router<Arc<Shared>> {
    use account_management as am;
    Router::new()
        .route("/accounts/status", get(am::statuses))
        .route("/accounts/login-messages", get(am::login_messages_all))
        .route("/accounts/{account}/details", get(am::details))
        .route("/accounts/{account}/status", get(am::status))
        .route("/accounts/{account}/tasks", get(am::tasks))
        .route(
            "/accounts/{account}/login-messages",
            get(am::account_login_messages),
        )
        .route("/forms", get(am::forms))
        .route("/forms/required-forms", get(am::required_forms))
        .route("/statements/available", get(am::statements_available))
        .route("/tax-documents/available", get(am::tax_documents_available))
        .route(
            "/trade-confirmations/available",
            get(am::trade_confirmations_available),
        )
        .route("/echo/https", get(am::echo))
        .route(
            "/enumerations/complex-asset-transfer",
            get(am::complex_asset_transfer_brokers),
        )
        .route("/enumerations/{kind}", get(am::enumerations))
        .route("/validations/usernames/{name}", get(am::username_available))
        .route("/requests", get(am::requests))
        .route("/requests/{id}/status", get(am::request_status))
        .route("/participating-banks", get(am::participating_banks))
        .route("/accounts/{account}/kyc", get(am::kyc))
}

/// The whole server: gateway, Flex service, front desk.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let flex_service = Router::new()
        .route("/SendRequest", get(flex::send_request))
        .route("/GetStatement", get(flex::get_statement));
    Router::new()
        .route("/", get(sso::root))
        .route("/sso/Login", get(sso::login_page).post(sso::login_submit))
        .route("/sso/Login/push", get(sso::push_status))
        .nest("/v1/api", gateway())
        .nest("/gw/api/v1", account_management())
        .nest("/AccountManagement/FlexWebService", flex_service)
        .route(
            "/Universal/servlet/FlexStatementService.SendRequest",
            get(flex::legacy),
        )
        .route(
            "/Universal/servlet/FlexStatementService.GetStatement",
            get(flex::legacy),
        )
        .fallback(not_found)
        .layer(middleware::map_response(ibkr_rejection))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            front_desk::front_desk,
        ))
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    //! The reference table (`reference.rs`, "# Endpoints") and the router agree: both lists
    //! are read from the source, the router's from the `.route(..)` and `.nest(..)` calls in
    //! this file.

    use std::collections::BTreeSet;

    /// Every string literal following `marker` (e.g. `.route(`) in `source`.
    fn literals_after(source: &str, marker: &str) -> Vec<String> {
        source
            .split(marker)
            .skip(1)
            .filter_map(|rest| {
                let rest = rest.trim_start().strip_prefix('"')?;
                rest.split_once('"').map(|(lit, _)| lit.to_string())
            })
            .collect()
    }

    /// A path with every `{param}` written `{}`, so `{acct}` and `{account}` compare equal.
    fn normalise(path: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for ch in path.chars() {
            match ch {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                _ if !in_param => out.push(ch),
                _ => {}
            }
        }
        out
    }

    /// Expand the table's shorthands: `{a,b}` alternatives and an optional `[/x]`.
    fn expand(path: &str) -> Vec<String> {
        if let Some(open) = path.find('[')
            && let Some(close) = path[open..].find(']').map(|c| open + c)
        {
            let (head, tail) = (&path[..open], &path[close + 1..]);
            let with = format!("{head}{}{tail}", &path[open + 1..close]);
            let without = format!("{head}{tail}");
            return [with, without].iter().flat_map(|p| expand(p)).collect();
        }
        let mut start = 0;
        while let Some(open) = path[start..].find('{').map(|o| start + o) {
            let Some(close) = path[open..].find('}').map(|c| open + c) else {
                break;
            };
            let inner = &path[open + 1..close];
            if inner.contains(',') {
                return inner
                    .split(',')
                    .flat_map(|alt| {
                        expand(&format!("{}{alt}{}", &path[..open], &path[close + 1..]))
                    })
                    .collect();
            }
            start = close + 1;
        }
        vec![path.to_string()]
    }

    fn router_paths() -> (BTreeSet<String>, BTreeSet<String>) {
        let source = include_str!("mod.rs");
        let source = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        let routes = literals_after(source, ".route(")
            .iter()
            .map(|p| normalise(p))
            .collect();
        let nests = literals_after(source, ".nest(").into_iter().collect();
        (routes, nests)
    }

    fn reference_paths(nests: &BTreeSet<String>) -> BTreeSet<String> {
        let doc = include_str!("../reference.rs");
        let start = doc.find("//! # Endpoints").expect("an Endpoints section");
        let end = doc.find("//! # Modelled quirks").expect("a quirks section");
        let mut paths = BTreeSet::new();
        for (n, token) in doc[start..end].split('`').enumerate() {
            if n % 2 == 0 {
                continue;
            }
            let token = token
                .trim_start_matches(|c: char| c.is_ascii_uppercase() || c == ' ')
                .split('?')
                .next()
                .unwrap_or_default();
            if !token.starts_with('/') || nests.contains(token) {
                continue;
            }
            // Account management is written with its prefix once, then relative.
            let token = token.strip_prefix("/gw/api/v1").unwrap_or(token);
            paths.extend(expand(token).iter().map(|p| normalise(p)));
        }
        paths
    }

    /// `/fyi/*` in the table stands for every route under `/fyi/`.
    fn covers(row: &str, route: &str) -> bool {
        match row.strip_suffix('*') {
            Some(prefix) => route.starts_with(prefix),
            None => row == route,
        }
    }

    #[test]
    fn every_route_has_its_row_and_every_row_its_route() {
        let (routes, nests) = router_paths();
        let rows = reference_paths(&nests);
        assert!(routes.len() > 100, "{} routes read", routes.len());
        let unlisted: Vec<&String> = routes
            .iter()
            .filter(|r| !rows.iter().any(|row| covers(row, r)))
            .collect();
        let unrouted: Vec<&String> = rows
            .iter()
            .filter(|row| !routes.iter().any(|r| covers(row, r)))
            .collect();
        assert!(
            unlisted.is_empty() && unrouted.is_empty(),
            "routes without a row in reference.rs: {unlisted:?}\nrows without a route: {unrouted:?}"
        );
    }
}
