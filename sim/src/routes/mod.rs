//! The HTTP surface: every simulated endpoint, mounted behind the front desk.

mod contracts;
mod flex;
pub(crate) mod front_desk;
mod marketdata;
mod orders;
mod params;
mod portfolio;
pub(crate) mod reply;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};

use crate::shared::Shared;

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
}

/// The whole server: gateway, Flex service, front desk.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let flex_service = Router::new()
        .route("/SendRequest", get(flex::send_request))
        .route("/GetStatement", get(flex::get_statement));
    Router::new()
        .nest("/v1/api", gateway())
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
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            front_desk::front_desk,
        ))
        .with_state(shared)
}
