//! Alerts: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// POST /iserver/account/{accountId}/alert/activate
#[tokio::test]
async fn activate_alert_follows_its_contract() {
    let body = json!({
        "alertActive": 1,
        "alertId": 1
    });
    contract("activateAlert")
        .request("/iserver/account/U1234567/alert/activate")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .activate_alert()
                    .account_id("U1234567")
                    .body(
                        from_json::<ibkr_gen::trading::types::AlertActivationRequest>(body.clone()),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// DELETE /iserver/account/{accountId}/alert/{alertId}
#[tokio::test]
async fn delete_alert_follows_its_contract() {
    let body = json!({});
    contract("deleteAlert")
        .request("/iserver/account/U1234567/alert/9876")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .delete_alert()
                    .account_id("U1234567")
                    .alert_id("9876")
                    .body(from_json::<serde_json::Map<String, serde_json::Value>>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}

/// GET /iserver/account/alert/{alertId}
#[tokio::test]
async fn get_alert_follows_its_contract() {
    contract("getAlert")
        .request("/iserver/account/alert/9876")
        .query(&[("type", "Q")])
        .answers(|c| async move { c.trading.get_alert().alert_id(9876).type_("Q").send().await })
        .await;
}

/// GET /iserver/account/mta
#[tokio::test]
async fn get_mobile_trading_alert_follows_its_contract() {
    contract("getMobileTradingAlert")
        .request("/iserver/account/mta")
        .answers(|c| async move { c.trading.get_mobile_trading_alert().send().await })
        .await;
}

/// GET /iserver/account/{accountId}/alerts
#[tokio::test]
async fn list_alerts_follows_its_contract() {
    contract("listAlerts")
        .request("/iserver/account/U1234567/alerts")
        .answers(|c| async move { c.trading.list_alerts().account_id("U1234567").send().await })
        .await;
}

/// POST /iserver/account/{accountId}/alert
#[tokio::test]
async fn save_alert_follows_its_contract() {
    let body = json!({
        "alertMessage": "x",
        "alertName": "x",
        "alertRepeatable": 0,
        "conditions": [
            "x"
        ],
        "email": "x",
        "expireTime": "x",
        "iTWSOrdersOnly": 1,
        "orderId": 1,
        "outsideRth": 0,
        "sendMessage": 0,
        "showPopup": 1,
        "tif": "GTC"
    });
    contract("saveAlert")
        .request("/iserver/account/U1234567/alert")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .save_alert()
                    .account_id("U1234567")
                    .body(from_json::<ibkr_gen::trading::types::AlertCreationRequest>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}
