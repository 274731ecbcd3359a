//! Utilities: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::contract;

// ---- request and answer of the remaining operations, one test each ----

/// GET /gw/api/v1/validations/usernames/{username}
#[tokio::test]
async fn check_username_available_follows_its_contract() {
    contract("checkUsernameAvailable")
        .request("/gw/api/v1/validations/usernames/username-1")
        .answers(|c| async move {
            c.account_management
                .check_username_available()
                .username("username-1")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/echo/https
#[tokio::test]
async fn echo_https_follows_its_contract() {
    contract("echoHttps")
        .request("/gw/api/v1/echo/https")
        .answers(|c| async move { c.account_management.echo_https().send().await })
        .await;
}

/// POST /gw/api/v1/echo/signed-jwt
#[tokio::test]
async fn echo_signed_jwt_follows_its_contract() {
    contract("echoSignedJwt")
        .request("/gw/api/v1/echo/signed-jwt")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .echo_signed_jwt()
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/enumerations/{enumerationType}
#[tokio::test]
async fn get_enumerations_follows_its_contract() {
    contract("getEnumerations")
        .request("/gw/api/v1/enumerations/exchange-bundles")
        .query(&[
            ("accountId", "U1234567"),
            ("currency", "USD"),
            ("form-number", "val-formnumber"),
            ("ibEntity", "val-ibentity"),
            ("language", "en"),
            ("mdStatusNonPro", "val-mdstatusnonpro"),
            ("userName", "val-username"),
        ])
        .answers(|c| async move {
            c.account_management
                .get_enumerations()
                .enumeration_type("exchange-bundles")
                .account_id("U1234567")
                .currency("USD")
                .form_number("val-formnumber")
                .ib_entity("val-ibentity")
                .language("en")
                .md_status_non_pro("val-mdstatusnonpro")
                .user_name("val-username")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/forms
#[tokio::test]
async fn get_forms_follows_its_contract() {
    contract("getForms")
        .request("/gw/api/v1/forms")
        .query(&[
            ("formNo", "1,2"),
            ("fromDate", "val-fromdate"),
            ("getDocs", "val-getdocs"),
            ("language", "val-language"),
            ("projection", "PAYLOAD"),
            ("toDate", "val-todate"),
        ])
        .answers(|c| async move {
            c.account_management
                .get_forms()
                .form_no(vec![1i32, 2i32])
                .from_date("val-fromdate")
                .get_docs("val-getdocs")
                .language("val-language")
                .projection("PAYLOAD")
                .to_date("val-todate")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/requests/{requestId}/status
#[tokio::test]
async fn get_request_status_follows_its_contract() {
    contract("getRequestStatus")
        .request("/gw/api/v1/requests/7/status")
        .query(&[("type", "response")])
        .answers(|c| async move {
            c.account_management
                .get_request_status()
                .request_id(7)
                .type_("response")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/enumerations/complex-asset-transfer
#[tokio::test]
async fn list_complex_asset_transfer_brokers_follows_its_contract() {
    contract("listComplexAssetTransferBrokers")
        .request("/gw/api/v1/enumerations/complex-asset-transfer")
        .query(&[
            ("client-id", "val-clientid"),
            ("instructionType", "val-instructiontype"),
        ])
        .answers(|c| async move {
            c.account_management
                .list_complex_asset_transfer_brokers()
                .client_id("val-clientid")
                .instruction_type("val-instructiontype")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/participating-banks
#[tokio::test]
async fn list_participating_banks_follows_its_contract() {
    contract("listParticipatingBanks")
        .request("/gw/api/v1/participating-banks")
        .query(&[("client-id", "val-clientid"), ("type", "val-type")])
        .answers(|c| async move {
            c.account_management
                .list_participating_banks()
                .client_id("val-clientid")
                .type_("val-type")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/requests
#[tokio::test]
async fn list_requests_follows_its_contract() {
    contract("listRequests")
        .request("/gw/api/v1/requests")
        .query(&[
            ("endDate", "2024-01-02"),
            ("limit", "7"),
            ("offset", "7"),
            ("startDate", "2024-01-02"),
            ("status", "N"),
        ])
        .answers(|c| async move {
            c.account_management
                .list_requests()
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

/// GET /gw/api/v1/forms/required-forms
#[tokio::test]
async fn list_required_forms_follows_its_contract() {
    contract("listRequiredForms")
        .request("/gw/api/v1/forms/required-forms")
        .query(&[
            ("accountType", "val-accounttype"),
            ("additionalAccount", "true"),
            ("additionalApplicant", "true"),
            ("applicantType", "val-applicanttype"),
            ("capability", "capability1,capability2"),
            ("faTradingAccount", "true"),
            ("ira", "true"),
            ("iraType", "val-iratype"),
            ("mifidCategory", "val-mifidcategory"),
            ("processType", "val-processtype"),
            ("requestedFCBP", "true"),
            ("requestedSYEP", "true"),
            ("residenceCountry", "val-residencecountry"),
            (
                "tradingPermissions",
                "tradingpermissions1,tradingpermissions2",
            ),
        ])
        .answers(|c| async move {
            c.account_management
                .list_required_forms()
                .account_type("val-accounttype")
                .additional_account(true)
                .additional_applicant(true)
                .applicant_type("val-applicanttype")
                .capability(vec!["capability1".to_string(), "capability2".to_string()])
                .fa_trading_account(true)
                .ira(true)
                .ira_type("val-iratype")
                .mifid_category("val-mifidcategory")
                .process_type("val-processtype")
                .requested_fcbp(true)
                .requested_syep(true)
                .residence_country("val-residencecountry")
                .trading_permissions(vec![
                    "tradingpermissions1".to_string(),
                    "tradingpermissions2".to_string(),
                ])
                .send()
                .await
        })
        .await;
}

/// PATCH /gw/api/v1/requests/{requestId}/status
#[tokio::test]
async fn update_request_status_follows_its_contract() {
    contract("updateRequestStatus")
        .request("/gw/api/v1/requests/7/status")
        .text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
        .answers(|c| async move {
            c.account_management
                .update_request_status()
                .request_id(7)
                .body("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJVMTIzNDU2NyJ9.c2lnbmVk")
                .send()
                .await
        })
        .await;
}
