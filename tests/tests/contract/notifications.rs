//! Notifications: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// DELETE /fyi/deliveryoptions/{deviceId}
#[tokio::test]
async fn delete_delivery_device_follows_its_contract() {
    contract("deleteDeliveryDevice")
        .request("/fyi/deliveryoptions/device-1")
        .answers_empty(|c| async move {
            c.trading
                .delete_delivery_device()
                .device_id("device-1")
                .send()
                .await
        })
        .await;
}

/// GET /fyi/deliveryoptions
#[tokio::test]
async fn get_delivery_options_follows_its_contract() {
    contract("getDeliveryOptions")
        .request("/fyi/deliveryoptions")
        .answers(|c| async move { c.trading.get_delivery_options().send().await })
        .await;
}

/// GET /fyi/disclaimer/{typecode}
#[tokio::test]
async fn get_notification_disclaimer_follows_its_contract() {
    contract("getNotificationDisclaimer")
        .request("/fyi/disclaimer/BA")
        .answers(|c| async move {
            c.trading
                .get_notification_disclaimer()
                .typecode("BA")
                .send()
                .await
        })
        .await;
}

/// GET /fyi/unreadnumber
#[tokio::test]
async fn get_unread_notification_count_follows_its_contract() {
    contract("getUnreadNotificationCount")
        .request("/fyi/unreadnumber")
        .answers(|c| async move { c.trading.get_unread_notification_count().send().await })
        .await;
}

/// GET /fyi/notifications/more
#[tokio::test]
async fn list_more_notifications_follows_its_contract() {
    contract("listMoreNotifications")
        .request("/fyi/notifications/more")
        .query(&[("id", "val-id")])
        .answers(|c| async move {
            c.trading
                .list_more_notifications()
                .id("val-id")
                .send()
                .await
        })
        .await;
}

/// GET /fyi/settings
#[tokio::test]
async fn list_notification_settings_follows_its_contract() {
    contract("listNotificationSettings")
        .request("/fyi/settings")
        .answers(|c| async move { c.trading.list_notification_settings().send().await })
        .await;
}

/// GET /fyi/notifications
#[tokio::test]
async fn list_notifications_follows_its_contract() {
    contract("listNotifications")
        .request("/fyi/notifications")
        .query(&[
            ("exclude", "val-exclude"),
            ("id", "val-id"),
            ("include", "val-include"),
            ("max", "7"),
        ])
        .answers(|c| async move {
            c.trading
                .list_notifications()
                .exclude("val-exclude")
                .id("val-id")
                .include("val-include")
                .max(7)
                .send()
                .await
        })
        .await;
}

/// PUT /fyi/disclaimer/{typecode}
#[tokio::test]
async fn mark_disclaimer_read_follows_its_contract() {
    contract("markDisclaimerRead")
        .request("/fyi/disclaimer/BA")
        .answers(|c| async move { c.trading.mark_disclaimer_read().typecode("BA").send().await })
        .await;
}

/// PUT /fyi/notifications/{notificationID}
#[tokio::test]
async fn mark_notification_read_follows_its_contract() {
    contract("markNotificationRead")
        .request("/fyi/notifications/987654")
        .answers(|c| async move {
            c.trading
                .mark_notification_read()
                .notification_id("987654")
                .send()
                .await
        })
        .await;
}

/// POST /fyi/deliveryoptions/device
#[tokio::test]
async fn set_device_delivery_follows_its_contract() {
    let body = json!({
        "deviceId": "x",
        "deviceName": "x",
        "enabled": true,
        "uiName": "x"
    });
    contract("setDeviceDelivery")
        .request("/fyi/deliveryoptions/device")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .set_device_delivery()
                    .body(
                        from_json::<ibkr_gen::trading::types::FyiEnableDeviceOption>(body.clone()),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// PUT /fyi/deliveryoptions/email
#[tokio::test]
async fn set_email_delivery_follows_its_contract() {
    contract("setEmailDelivery")
        .request("/fyi/deliveryoptions/email")
        .query(&[("enabled", "true")])
        .answers(|c| async move { c.trading.set_email_delivery().enabled(true).send().await })
        .await;
}

/// POST /fyi/settings/{typecode}
#[tokio::test]
async fn set_notification_setting_follows_its_contract() {
    let body = json!({
        "enabled": true
    });
    contract("setNotificationSetting")
        .request("/fyi/settings/BA")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .set_notification_setting()
                    .typecode("BA")
                    .body(from_json::<
                        ibkr_gen::trading::types::SetNotificationSettingBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}
