//! Account Management: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::contract;

// ---- request and answer of the remaining operations, one test each ----

/// POST /gw/api/v1/accounts/{accountId}/tasks
#[tokio::test]
async fn assign_account_tasks_follows_its_contract() {
    contract("assignAccountTasks")
        .request("/gw/api/v1/accounts/U1234567/tasks")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .assign_account_tasks()
                .account_id("U1234567")
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}

/// POST /gw/api/v1/accounts
#[tokio::test]
async fn create_account_follows_its_contract() {
    contract("createAccount")
        .request("/gw/api/v1/accounts")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .create_account()
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/accounts
#[tokio::test]
async fn get_account_application_follows_its_contract() {
    contract("getAccountApplication")
        .request("/gw/api/v1/accounts")
        .query(&[("accountId", "U1234567"), ("externalId", "val-externalid")])
        .answers(|c| async move {
            c.account_management
                .get_account_application()
                .account_id("U1234567")
                .external_id("val-externalid")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/accounts/{accountId}/details
#[tokio::test]
async fn get_account_details_follows_its_contract() {
    contract("getAccountDetails")
        .request("/gw/api/v1/accounts/U1234567/details")
        .answers(|c| async move {
            c.account_management
                .get_account_details()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/accounts/{accountId}/status
#[tokio::test]
async fn get_account_status_follows_its_contract() {
    contract("getAccountStatus")
        .request("/gw/api/v1/accounts/U1234567/status")
        .answers(|c| async move {
            c.account_management
                .get_account_status()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/accounts/{accountId}/kyc
#[tokio::test]
async fn get_kyc_url_follows_its_contract() {
    contract("getKycUrl")
        .request("/gw/api/v1/accounts/U1234567/kyc")
        .answers(|c| async move {
            c.account_management
                .get_kyc_url()
                .account_id("U1234567")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/accounts/{accountId}/login-messages
#[tokio::test]
async fn list_account_login_messages_follows_its_contract() {
    contract("listAccountLoginMessages")
        .request("/gw/api/v1/accounts/U1234567/login-messages")
        .query(&[("type", "val-type")])
        .answers(|c| async move {
            c.account_management
                .list_account_login_messages()
                .account_id("U1234567")
                .type_("val-type")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/accounts/status
#[tokio::test]
async fn list_account_statuses_follows_its_contract() {
    contract("listAccountStatuses")
        .request("/gw/api/v1/accounts/status")
        .query(&[
            ("endDate", "2024-01-02"),
            ("limit", "7"),
            ("offset", "7"),
            ("startDate", "2024-01-02"),
            ("status", "N"),
        ])
        .answers(|c| async move {
            c.account_management
                .list_account_statuses()
                .end_date(chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap())
                .limit(::std::num::NonZeroU32::new(7).unwrap())
                .offset(7)
                .start_date(chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap())
                .status("N")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/accounts/{accountId}/tasks
#[tokio::test]
async fn list_account_tasks_follows_its_contract() {
    contract("listAccountTasks")
        .request("/gw/api/v1/accounts/U1234567/tasks")
        .query(&[("type", "pending")])
        .answers(|c| async move {
            c.account_management
                .list_account_tasks()
                .account_id("U1234567")
                .type_("pending")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/accounts/login-messages
#[tokio::test]
async fn list_login_messages_follows_its_contract() {
    contract("listLoginMessages")
        .request("/gw/api/v1/accounts/login-messages")
        .query(&[
            ("endDate", "2024-01-02"),
            ("limit", "7"),
            ("offset", "7"),
            ("startDate", "2024-01-02"),
            ("status", "N"),
            ("type", "val-type"),
        ])
        .answers(|c| async move {
            c.account_management
                .list_login_messages()
                .end_date(chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap())
                .limit(::std::num::NonZeroU32::new(7).unwrap())
                .offset(7)
                .start_date(chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap())
                .status("N")
                .type_("val-type")
                .send()
                .await
        })
        .await;
}

/// POST /gw/api/v1/accounts/documents
#[tokio::test]
async fn submit_account_documents_follows_its_contract() {
    contract("submitAccountDocuments")
        .request("/gw/api/v1/accounts/documents")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .submit_account_documents()
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}

/// PATCH /gw/api/v1/accounts
#[tokio::test]
async fn update_account_follows_its_contract() {
    contract("updateAccount")
        .request("/gw/api/v1/accounts")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .update_account()
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}

/// PATCH /gw/api/v1/accounts/{accountId}/status
#[tokio::test]
async fn update_account_status_follows_its_contract() {
    contract("updateAccountStatus")
        .request("/gw/api/v1/accounts/U1234567/status")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .update_account_status()
                .account_id("U1234567")
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}

/// PATCH /gw/api/v1/accounts/{accountId}/tasks
#[tokio::test]
async fn update_account_tasks_follows_its_contract() {
    contract("updateAccountTasks")
        .request("/gw/api/v1/accounts/U1234567/tasks")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .update_account_tasks()
                .account_id("U1234567")
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}
