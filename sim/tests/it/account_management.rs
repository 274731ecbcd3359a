//! The read-only account-management API under `/gw/api/v1`, beside the gateway's `/v1/api`.

use crate::common::sim;

const ACCOUNT: &str = "DU1234567";

#[tokio::test]
async fn account_details_status_tasks_and_documents_are_served_under_gw_api() {
    let s = sim().await;
    let details = s
        .get_root(&format!("/gw/api/v1/accounts/{ACCOUNT}/details"))
        .await;
    assert_eq!(details.status, 200, "{}", details.text);
    assert_eq!(details.body["account"]["accountId"], ACCOUNT);
    assert_eq!(details.body["account"]["baseCurrency"], "USD");
    let status = s
        .get_root(&format!("/gw/api/v1/accounts/{ACCOUNT}/status"))
        .await;
    assert_eq!(status.body["status"], "O");
    let all = s
        .get_root("/gw/api/v1/accounts/status?startDate=2024-01-01&endDate=2030-01-01")
        .await;
    assert_eq!(all.body["total"], 1);
    let tasks = s
        .get_root(&format!(
            "/gw/api/v1/accounts/{ACCOUNT}/tasks?type=registration"
        ))
        .await;
    let forms: Vec<i64> = tasks.body["registrationTasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["formNumber"].as_i64())
        .collect();
    assert!(forms.contains(&5001), "{}", tasks.text);
    let pending = s
        .get_root(&format!("/gw/api/v1/accounts/{ACCOUNT}/tasks?type=pending"))
        .await;
    assert_eq!(pending.body["pendingTaskPresent"], false);
    let documents = s.get_root("/gw/api/v1/forms?formNo=5001").await;
    assert_eq!(documents.body["formDetails"][0]["formNumber"], 5001);
    assert_eq!(documents.body["formDetails"].as_array().unwrap().len(), 1);
    let confirmations = s
        .get_root(&format!(
            "/gw/api/v1/trade-confirmations/available?accountId={ACCOUNT}"
        ))
        .await;
    assert!(
        !confirmations.body["data"]["value"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn unknown_accounts_and_missing_dates_get_the_error_response_shape() {
    let s = sim().await;
    let unknown = s.get_root("/gw/api/v1/accounts/U0000000/details").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["hasError"], true);
    let no_dates = s.get_root("/gw/api/v1/accounts/status").await;
    assert_eq!(no_dates.status, 400);
    assert_eq!(no_dates.body["hasError"], true);
    let bad_type = s
        .get_root(&format!("/gw/api/v1/accounts/{ACCOUNT}/tasks?type=other"))
        .await;
    assert_eq!(bad_type.status, 400);
    let no_account = s.get_root("/gw/api/v1/statements/available").await;
    assert_eq!(no_account.status, 400);
}

#[tokio::test]
async fn the_account_opening_request_is_listed_and_its_status_is_completed() {
    let s = sim().await;
    let list = s
        .get_root("/gw/api/v1/requests?startDate=2024-01-01&endDate=2030-01-01")
        .await;
    let id = list.body["requestDetails"][0]["requestId"]
        .as_i64()
        .unwrap();
    assert_eq!(list.body["requestDetails"][0]["accountID"], ACCOUNT);
    let status = s
        .get_root(&format!("/gw/api/v1/requests/{id}/status?type=response"))
        .await;
    assert_eq!(status.body["status"], "C");
    assert_eq!(status.body["acctId"], ACCOUNT);
    let unknown = s
        .get_root("/gw/api/v1/requests/42/status?type=response")
        .await;
    assert_eq!(unknown.status, 404);
    let name = s
        .get_root("/gw/api/v1/validations/usernames/simuser1")
        .await;
    assert_eq!(name.body["isAvailable"], false);
    let free = s
        .get_root("/gw/api/v1/validations/usernames/newtrader7")
        .await;
    assert_eq!(free.body["isAvailable"], true);
}
