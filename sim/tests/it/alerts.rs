//! Alerts are stateful per account: saved, listed, shown, activated, deleted; a price
//! condition that holds shows as triggered.

use crate::common::sim;
use serde_json::{Value, json};

const ACCOUNT: &str = "DU1234567";
const AAPL: u64 = 265598;

fn price_alert(above: f64) -> Value {
    json!({
        "alertName": "AAPL breakout",
        "alertMessage": "AAPL is above the line",
        "alertRepeatable": 0,
        "outsideRth": 1,
        "tif": "GTC",
        "conditions": [{"conidex": format!("{AAPL}@SMART"), "logicBind": "n", "operator": ">=",
                        "triggerMethod": "0", "type": 1, "value": format!("{above:.2}")}],
    })
}

#[tokio::test]
async fn an_alert_is_saved_listed_shown_deactivated_and_deleted() {
    let s = sim().await;
    let saved = s
        .post(
            &format!("/iserver/account/{ACCOUNT}/alert"),
            price_alert(10_000.0),
        )
        .await;
    assert_eq!(saved.body["success"], true);
    assert_eq!(saved.body["text"], "Submitted");
    let id = saved.body["order_id"].as_u64().unwrap();
    assert!(id < 1 << 31, "alert ids fit the spec's int32");

    let list = s.get(&format!("/iserver/account/{ACCOUNT}/alerts")).await;
    assert_eq!(list.body[0]["order_id"], id);
    assert_eq!(list.body[0]["alert_active"], 1);
    assert_eq!(list.body[0]["alert_triggered"], false);

    let shown = s.get(&format!("/iserver/account/alert/{id}?type=Q")).await;
    assert_eq!(shown.body["alert_name"], "AAPL breakout");
    assert_eq!(shown.body["conditions"][0]["conidex"], "265598@SMART");
    assert_eq!(
        shown.body["conditions"][0]["contract_description_1"],
        "AAPL"
    );
    assert_eq!(shown.body["condition_outside_rth"], 1);

    let off = s
        .post(
            &format!("/iserver/account/{ACCOUNT}/alert/activate"),
            json!({"alertId": id, "alertActive": 0}),
        )
        .await;
    assert_eq!(off.body["success"], true);
    let list = s.get(&format!("/iserver/account/{ACCOUNT}/alerts")).await;
    assert_eq!(list.body[0]["alert_active"], 0);

    let gone = s
        .delete(&format!("/iserver/account/{ACCOUNT}/alert/{id}"))
        .await;
    assert_eq!(gone.body["success"], true);
    let list = s.get(&format!("/iserver/account/{ACCOUNT}/alerts")).await;
    assert_eq!(list.body, json!([]));
    assert_eq!(
        s.get(&format!("/iserver/account/alert/{id}?type=Q"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn a_price_alert_shows_triggered_once_the_price_crosses() {
    let s = sim().await;
    let saved = s
        .post(
            &format!("/iserver/account/{ACCOUNT}/alert"),
            price_alert(250.0),
        )
        .await;
    let id = saved.body["order_id"].as_u64().unwrap();
    assert!(s.gw.control().set_last_price(AAPL, 200.0));
    let list = s.get(&format!("/iserver/account/{ACCOUNT}/alerts")).await;
    assert_eq!(list.body[0]["alert_triggered"], false);
    assert!(s.gw.control().set_last_price(AAPL, 260.0));
    let list = s.get(&format!("/iserver/account/{ACCOUNT}/alerts")).await;
    assert_eq!(list.body[0]["alert_triggered"], true);
    let shown = s.get(&format!("/iserver/account/alert/{id}?type=Q")).await;
    assert_eq!(shown.body["alert_triggered"], true);
}

#[tokio::test]
async fn modifying_with_an_alert_id_keeps_the_id() {
    let s = sim().await;
    let saved = s
        .post(
            &format!("/iserver/account/{ACCOUNT}/alert"),
            price_alert(300.0),
        )
        .await;
    let id = saved.body["order_id"].as_u64().unwrap();
    let mut changed = price_alert(310.0);
    changed["alertId"] = json!(id);
    changed["alertName"] = json!("renamed");
    let again = s
        .post(&format!("/iserver/account/{ACCOUNT}/alert"), changed)
        .await;
    assert_eq!(again.body["order_id"], id);
    let list = s.get(&format!("/iserver/account/{ACCOUNT}/alerts")).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["alert_name"], "renamed");
}

#[tokio::test]
async fn bad_alert_requests_get_400_never_500() {
    let s = sim().await;
    let base = format!("/iserver/account/{ACCOUNT}");
    let no_conditions = r#"{"alertName":"a","alertMessage":"m","alertRepeatable":0,"outsideRth":0,"tif":"GTC","conditions":[]}"#;
    let unknown_conid = r#"{"alertName":"a","alertMessage":"m","alertRepeatable":0,"outsideRth":0,"tif":"GTC","conditions":[{"conidex":"1@SMART","operator":">=","type":1,"value":"1"}]}"#;
    for (method, path, body) in [
        ("POST", format!("{base}/alert"), "[]"),
        ("POST", format!("{base}/alert"), no_conditions),
        ("POST", format!("{base}/alert"), unknown_conid),
        (
            "POST",
            "/iserver/account/U0000000/alert".to_string(),
            &price_alert(1.0).to_string(),
        ),
        ("GET", "/iserver/account/alert/42?type=Q".to_string(), ""),
        ("GET", "/iserver/account/alert/abc?type=Q".to_string(), ""),
        ("GET", "/iserver/account/alert/42".to_string(), ""),
        (
            "POST",
            format!("{base}/alert/activate"),
            r#"{"alertId":42,"alertActive":1}"#,
        ),
        (
            "POST",
            format!("{base}/alert/activate"),
            r#"{"alertActive":1}"#,
        ),
        ("DELETE", format!("{base}/alert/42"), ""),
        ("DELETE", format!("{base}/alert/x"), ""),
        ("GET", "/iserver/account/U0000000/alerts".to_string(), ""),
    ] {
        let a = s.send(method, &path, body).await;
        assert_eq!(a.status, 400, "{method} {path} {body}: {}", a.text);
        assert_eq!(a.body["statusCode"], 400, "{}", a.text);
    }
}

#[tokio::test]
async fn the_mobile_trading_assistant_alert_belongs_to_the_selected_account() {
    let s = sim().await;
    let mta = s.get("/iserver/account/mta").await;
    assert_eq!(mta.body["account"], ACCOUNT);
    assert_eq!(mta.body["alert_name"], "Mobile Trading Assistant");
}
