//! Watchlists: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// POST /iserver/watchlist
#[tokio::test]
async fn create_watchlist_follows_its_contract() {
    let body = json!({
        "id": "x",
        "name": "x",
        "rows": [
            "x"
        ]
    });
    contract("createWatchlist")
        .request("/iserver/watchlist")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .create_watchlist()
                    .body(from_json::<ibkr_gen::trading::types::CreateWatchlistBody>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}

/// DELETE /iserver/watchlist
#[tokio::test]
async fn delete_watchlist_follows_its_contract() {
    contract("deleteWatchlist")
        .request("/iserver/watchlist")
        .query(&[("id", "val-id")])
        .answers(|c| async move { c.trading.delete_watchlist().id("val-id").send().await })
        .await;
}

/// GET /iserver/watchlist
#[tokio::test]
async fn get_watchlist_follows_its_contract() {
    contract("getWatchlist")
        .request("/iserver/watchlist")
        .query(&[("id", "val-id")])
        .answers(|c| async move { c.trading.get_watchlist().id("val-id").send().await })
        .await;
}

/// GET /iserver/watchlists
#[tokio::test]
async fn list_watchlists_follows_its_contract() {
    contract("listWatchlists")
        .request("/iserver/watchlists")
        .query(&[("SC", "USER_WATCHLIST")])
        .answers(|c| async move {
            c.trading
                .list_watchlists()
                .sc("USER_WATCHLIST")
                .send()
                .await
        })
        .await;
}
