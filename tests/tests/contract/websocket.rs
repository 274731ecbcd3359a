//! Websocket: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::contract;

// ---- request and answer of the remaining operations, one test each ----

/// GET /ws
#[tokio::test]
async fn open_websocket_follows_its_contract() {
    contract("openWebsocket")
        .request("/ws")
        .query(&[
            ("bearer_token", "val-bearertoken"),
            ("oauth_token", "val-oauthtoken"),
        ])
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("api", "U1234567")
        .answers_empty(|c| async move {
            c.trading
                .open_websocket()
                .bearer_token("val-bearertoken")
                .oauth_token("val-oauthtoken")
                .connection("Upgrade")
                .upgrade("websocket")
                .api("U1234567")
                .send()
                .await
        })
        .await;
}
