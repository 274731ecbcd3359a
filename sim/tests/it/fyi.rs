//! FYI notifications: unread count, paging, marking read, settings and delivery options,
//! and IBKR's 1 request/s pacing on every `/fyi` path.

use crate::common::{sim, sim_with};
use ibkr_sim::{Gateway, Limits};
use serde_json::json;

#[tokio::test]
async fn marking_a_notification_read_lowers_the_unread_count() {
    let s = sim().await;
    assert_eq!(s.get("/fyi/unreadnumber").await.body["BN"], 3);
    let list = s.get("/fyi/notifications?max=10").await;
    let first = list.body[0]["ID"].as_str().unwrap().to_string();
    assert_eq!(list.body[0]["R"], 0);
    let more = s.get(&format!("/fyi/notifications/more?id={first}")).await;
    assert_eq!(more.body.as_array().unwrap().len(), 2);
    let read = s
        .put(&format!("/fyi/notifications/{first}"), json!({}))
        .await;
    assert_eq!(read.body["P"]["ID"], first);
    assert_eq!(s.get("/fyi/unreadnumber").await.body["BN"], 2);
    assert_eq!(
        s.put("/fyi/notifications/nope", json!({})).await.status,
        400
    );
    assert_eq!(
        s.get("/fyi/notifications").await.status,
        400,
        "max is required"
    );
}

#[tokio::test]
async fn settings_and_delivery_options_are_remembered() {
    let s = sim().await;
    let set = s.post("/fyi/settings/EA", json!({"enabled": false})).await;
    assert_eq!(set.body["V"], 1);
    let settings = s.get("/fyi/settings").await;
    let ea = settings
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["FC"] == "EA")
        .unwrap();
    assert_eq!(ea["A"], 0);
    assert_eq!(
        s.post("/fyi/settings/ZZ", json!({"enabled": true}))
            .await
            .status,
        400
    );
    s.put("/fyi/deliveryoptions/email?enabled=false", json!({}))
        .await;
    s.post(
        "/fyi/deliveryoptions/device",
        json!({"deviceId": "d1", "deviceName": "Phone", "uiName": "Phone", "enabled": true}),
    )
    .await;
    let options = s.get("/fyi/deliveryoptions").await;
    assert_eq!(options.body["M"], 0);
    assert_eq!(options.body["E"][0]["I"], "d1");
    assert_eq!(s.delete("/fyi/deliveryoptions/d1").await.status, 200);
    assert_eq!(s.delete("/fyi/deliveryoptions/d1").await.status, 400);
    assert_eq!(s.get("/fyi/disclaimer/EA").await.body["FC"], "EA");
}

#[tokio::test]
async fn fyi_paths_are_paced_at_one_request_per_second() {
    let s = sim_with(
        Gateway::builder()
            .plain_http()
            .brokerage_session(true)
            .limits(Limits::default()),
    )
    .await;
    assert_eq!(s.get("/fyi/unreadnumber").await.status, 200);
    assert_eq!(s.get("/fyi/unreadnumber").await.status, 429);
    assert_eq!(
        s.get("/fyi/settings").await.status,
        200,
        "each path has its own budget"
    );
}
