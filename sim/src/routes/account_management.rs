//! The read-only account-management operations under `/gw/api/v1` (IBKR's Account
//! Management API, served beside the gateway's `/v1/api`): account details, statuses,
//! registration and pending tasks, login messages, forms (the documents list), required
//! forms, available statements, tax documents and trade confirmations, and the HTTPS echo.
//!
//! Field names and shapes from `openapi/ibkr-account-management.json` (`AccountDetailsResponse`,
//! `AccountStatusResponse`, `AccountStatusBulkResponse`, `RegistrationTasksResponse`,
//! `PendingTasksResponse`, `LoginMessageResponse`, `FormFileResponse`, `RequiredFormsResponse`,
//! `GetAvailableStmtDatesResponse`, `GetAvailableTaxFormsResponse`, `EchoResponse`); errors
//! in its `ErrorResponse` shape (`{"hasError":true,"errorDescription":..}`). Status letters
//! as the spec's `status` enum (O = open). Values are the simulated user's.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Datelike, Duration, Utc};
use serde_json::{Value, json};

use super::params;
use super::reply;
use crate::world::WorldHandle;

/// The account-management error shape with this status.
fn gw_error(status: u16, text: &str) -> Response {
    reply::json(
        status,
        &json!({"hasError": true, "errorDescription": text, "error": null}),
    )
}

fn unknown_account(account: &str) -> Response {
    gw_error(404, &format!("Account {account} not found"))
}

fn known(world: &WorldHandle, account: &str) -> bool {
    world.lock().has_account(account)
}

/// The day the simulated accounts were opened.
fn opened() -> String {
    (Utc::now().date_naive() - Duration::days(400))
        .format("%Y-%m-%d")
        .to_string()
}

fn status_json(account: &str) -> Value {
    json!({
        "accountId": account,
        "adminAccountId": account,
        "masterAccountId": account,
        "dateOpened": opened(),
        "dateStarted": opened(),
        "dateClosed": null,
        "description": "Open",
        "state": "Approved",
        "status": "O",
        "message": null,
    })
}

/// `GET /gw/api/v1/accounts/{accountId}/details`.
pub(crate) async fn details(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    if !known(&world, &account) {
        return unknown_account(&account);
    }
    let address = json!({"street1": "1 Pickwick Plaza", "city": "Greenwich", "state": "CT", "postalCode": "06830", "country": "United States"});
    reply::ok(&json!({
        "hasError": false,
        "account": {
            "accountId": account,
            "accountTitle": "Sim Trader",
            "accountAlias": null,
            "applicantType": "INDIVIDUAL",
            "baseCurrency": "USD",
            "clearingStatus": "O",
            "clearingStatusDescription": "Open",
            "countryOfCorporation": "US",
            "dateOpened": opened(),
            "dateApproved": opened(),
            "dateBegun": opened(),
            "dateFunded": opened(),
            "emailAddress": "sim.trader@example.com",
            "margin": "Margin",
            "mainAccount": account,
            "masterAccountId": account,
            "optionLevel": 2,
            "primaryUser": crate::routes::session::USER_NAME,
            "processType": "NEW_ACCOUNT",
            "stateCode": "CT",
            "investmentObjectives": ["Growth", "Income"],
            "capabilities": {"US": ["STK", "OPT", "FUT", "CASH"]},
            "mailing": address,
            "registeredAddress": address,
            "tradeIntentionType": "SPECULATION",
            "usTaxPurposeType": "C",
        },
        "associatedPersons": [{
            "entityId": 100_000_001,
            "firstName": "Sim",
            "lastName": "Trader",
            "email": "sim.trader@example.com",
            "username": crate::routes::session::USER_NAME,
            "countryOfCitizenship": "US",
            "countryOfLegalResidence": "US",
            "userStatus": "A",
            "userStatusTrading": "A",
            "associations": ["AccountHolder"],
        }],
        "tradeBundles": ["US-Sec", "US-Fut"],
        "restrictions": [],
    }))
}

/// `GET /gw/api/v1/accounts/{accountId}/status`.
pub(crate) async fn status(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    if !known(&world, &account) {
        return unknown_account(&account);
    }
    reply::ok(&status_json(&account))
}

/// `GET /gw/api/v1/accounts/status?startDate=&endDate=&status=&limit=&offset=`.
pub(crate) async fn statuses(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    for name in ["startDate", "endDate"] {
        if q.get(name).is_none_or(|v| v.trim().is_empty()) {
            return gw_error(400, &format!("{name} is required"));
        }
    }
    let limit: usize = q.get("limit").and_then(|v| v.parse().ok()).unwrap_or(100);
    let offset: usize = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let world = world.lock();
    let wanted = q.get("status").map(|s| s.trim().to_ascii_uppercase());
    let all: Vec<Value> = world
        .settings
        .accounts
        .iter()
        .map(|a| status_json(a))
        .filter(|s| wanted.as_deref().is_none_or(|w| s["status"] == w))
        .collect();
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    reply::ok(&json!({"accounts": page, "limit": limit, "offset": offset, "total": total}))
}

/// `GET /gw/api/v1/accounts/{accountId}/tasks?type=pending|registration`.
pub(crate) async fn tasks(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
    Query(q): Query<params::Query>,
) -> Response {
    if !known(&world, &account) {
        return unknown_account(&account);
    }
    let kind = q.get("type").map(String::as_str).unwrap_or("registration");
    let opened = opened();
    match kind {
        "registration" => reply::ok(&json!({
            "accountId": account,
            "status": "O",
            "state": "Approved",
            "description": "Open",
            "hasError": false,
            "registrationTaskPresent": true,
            "registrationTasks": [
                {"formNumber": 5001, "formName": "Customer Agreement", "action": "SIGN", "isCompleted": true, "isDeclined": false, "isRequiredForApproval": true, "state": "Completed", "dateCompleted": opened},
                {"formNumber": 3203, "formName": "W-9", "action": "SIGN", "isCompleted": true, "isDeclined": false, "isRequiredForApproval": true, "state": "Completed", "dateCompleted": opened},
                {"formNumber": 8001, "formName": "Proof of Identity and Date of Birth", "action": "UPLOAD", "isCompleted": true, "isDeclined": false, "isRequiredForApproval": true, "state": "Completed", "dateCompleted": opened},
            ],
        })),
        "pending" => reply::ok(&json!({
            "accountId": account,
            "status": "O",
            "state": "Approved",
            "description": "Open",
            "hasError": false,
            "pendingTaskPresent": false,
            "pendingTasks": [],
        })),
        other => gw_error(400, &format!("unknown task type {other}")),
    }
}

fn login_messages(account: &str) -> Value {
    json!({
        "accountId": account,
        "clearingStatus": "O",
        "clearingStatusDescription": "Open",
        "loginMessagePresent": false,
        "loginMessages": [],
    })
}

/// `GET /gw/api/v1/accounts/{accountId}/login-messages`.
pub(crate) async fn account_login_messages(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    if !known(&world, &account) {
        return unknown_account(&account);
    }
    reply::ok(&login_messages(&account))
}

/// `GET /gw/api/v1/accounts/login-messages?startDate=&endDate=`.
pub(crate) async fn login_messages_all(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    for name in ["startDate", "endDate"] {
        if q.get(name).is_none_or(|v| v.trim().is_empty()) {
            return gw_error(400, &format!("{name} is required"));
        }
    }
    let world = world.lock();
    reply::ok(&login_messages(world.primary_account()))
}

/// The forms the simulated user signed at account opening: (number, name, file name).
const FORMS: &[(i64, &str, &str)] = &[
    (5001, "Customer Agreement", "Form5001.pdf"),
    (3203, "W-9", "Form3203.pdf"),
    (3024, "Margin Agreement", "Form3024.pdf"),
    (4154, "Option Agreement", "Form4154.pdf"),
];

/// `GET /gw/api/v1/forms?formNo=&projection=`: the documents list.
pub(crate) async fn forms(Query(q): Query<params::Query>) -> Response {
    let wanted: Vec<i64> = params::list(&q, "formNo")
        .iter()
        .filter_map(|f| f.parse().ok())
        .collect();
    let language = q
        .get("language")
        .cloned()
        .unwrap_or_else(|| "en".to_string());
    let rows: Vec<Value> = FORMS
        .iter()
        .filter(|f| wanted.is_empty() || wanted.contains(&f.0))
        .map(|&(number, name, file)| {
            json!({
                "formNumber": number,
                "formName": name,
                "fileName": file,
                "language": language,
                "type": "PDF",
                "action": "SIGN",
                "apiSupportedTask": true,
                "dateModified": "2023-06-01",
                "fileLength": 182_044 + number,
                "sha1Checksum": format!("{:040x}", number as u64 * 2_654_435_761),
                "hasError": false,
            })
        })
        .collect();
    reply::ok(&json!({
        "hasError": false,
        "timestamp": Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "formDetails": rows,
    }))
}

/// `GET /gw/api/v1/forms/required-forms?...`: the forms an application of that kind needs.
pub(crate) async fn required_forms(Query(q): Query<params::Query>) -> Response {
    let mut forms = vec!["5001", "3203", "8001"];
    if q.get("accountType")
        .is_some_and(|t| t.eq_ignore_ascii_case("margin"))
    {
        forms.push("3024");
    }
    if params::list(&q, "tradingPermissions")
        .iter()
        .any(|p| p.contains("OPT"))
    {
        forms.push("4154");
    }
    reply::ok(&json!({"hasError": false, "forms": forms}))
}

fn account_query(world: &WorldHandle, q: &params::Query) -> Result<String, Response> {
    let Some(account) = q.get("accountId").cloned() else {
        return Err(gw_error(400, "accountId is required"));
    };
    if !known(world, &account) {
        return Err(unknown_account(&account));
    }
    Ok(account)
}

/// `GET /gw/api/v1/statements/available?accountId=`.
pub(crate) async fn statements_available(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    if let Err(resp) = account_query(&world, &q) {
        return resp;
    }
    let today = Utc::now().date_naive();
    let monthly: Vec<String> = (1..=6)
        .map(|m| {
            let first = today.with_day(1).unwrap_or(today);
            (first - Duration::days(28 * m)).format("%Y%m").to_string()
        })
        .collect();
    reply::ok(&json!({
        "data": {
            "dataType": "Statements",
            "value": {
                "annual": [(today.year() - 1).to_string()],
                "monthly": monthly,
                "daily": {
                    "startDate": opened().replace('-', ""),
                    "endDate": (today - Duration::days(1)).format("%Y%m%d").to_string(),
                },
            },
        }
    }))
}

/// `GET /gw/api/v1/tax-documents/available?accountId=&year=`.
pub(crate) async fn tax_documents_available(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    if let Err(resp) = account_query(&world, &q) {
        return resp;
    }
    let Some(year) = q.get("year").and_then(|y| y.trim().parse::<i32>().ok()) else {
        return gw_error(400, "year is required");
    };
    let forms = if year < Utc::now().year() {
        json!([
            {"taxFormName": "1099", "formats": ["PDF", "CSV"], "isForm": true},
            {"taxFormName": "Realized Summary", "formats": ["PDF", "CSV"], "isForm": false},
        ])
    } else {
        json!([])
    };
    reply::ok(&json!({"data": {"dataType": "TaxForms", "value": {"forms": forms}}}))
}

/// `GET /gw/api/v1/trade-confirmations/available?accountId=`: the days with executions.
pub(crate) async fn trade_confirmations_available(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let account = match account_query(&world, &q) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let world = world.lock();
    let mut days: Vec<String> = world
        .trading
        .executions
        .iter()
        .filter(|e| e.account == account)
        .map(|e| crate::clock::utc(e.time_ms).format("%Y%m%d").to_string())
        .collect();
    days.sort();
    days.dedup();
    reply::ok(&json!({"data": {"dataType": "TradeConfirmations", "value": days}}))
}

/// `GET /gw/api/v1/echo/https`: the request echoed.
pub(crate) async fn echo(Query(q): Query<params::Query>) -> Response {
    let query: serde_json::Map<String, Value> =
        q.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    reply::ok(&json!({"requestMethod": "GET", "securityPolicy": "HTTPS", "queryParameters": query}))
}

/// `GET /gw/api/v1/enumerations/{type}`: IBKR's lookup lists; the simulator fills
/// `exchange-bundles` and `market-data` (its own subscriptions) and answers an empty list for
/// the other types the spec's `EnumerationType` names.
pub(crate) async fn enumerations(
    Path(kind): Path<String>,
    Query(q): Query<params::Query>,
) -> Response {
    const TYPES: &[&str] = &[
        "exchange-bundles",
        "business-and-occupation",
        "employee-track",
        "fin-info-ranges",
        "acats",
        "aton",
        "market-data",
        "edd-avt",
        "prohibited-country",
        "employee-plans",
        "questionnaires",
        "security-questions",
        "quiz-questions",
        "wire-instructions",
        "product-country-bundles",
    ];
    if !TYPES.contains(&kind.as_str()) {
        return gw_error(400, &format!("unknown enumeration type {kind}"));
    }
    let data = match kind.as_str() {
        "exchange-bundles" => json!([
            {"exchangeBundle": "US-Sec", "description": "US Securities Snapshot and Futures Value Bundle"},
            {"exchangeBundle": "US-Fut", "description": "US Futures Value Bundle"},
        ]),
        "market-data" => json!([
            {"code": "NYSE", "description": "NYSE (Network A/CTA)", "subscribed": true},
            {"code": "NASDAQ", "description": "NASDAQ (Network C/UTP)", "subscribed": true},
            {"code": "ARCA", "description": "NYSE American, BATS, ARCA, IEX, and Regional Exchanges (Network B)", "subscribed": true},
        ]),
        _ => json!([]),
    };
    reply::ok(&json!({
        "enumerationsType": kind,
        "formNumber": q.get("form-number"),
        "jsonData": data,
    }))
}

/// `GET /gw/api/v1/validations/usernames/{username}`: the simulated user's name is taken;
/// a name of 6-20 letters and digits is otherwise available.
pub(crate) async fn username_available(Path(name): Path<String>) -> Response {
    let valid = (6..=20).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric());
    let taken = name.eq_ignore_ascii_case(crate::routes::session::USER_NAME);
    let suggestions: Vec<String> = if taken {
        (1..=3).map(|i| format!("{name}{i}")).collect()
    } else {
        Vec::new()
    };
    reply::ok(&json!({
        "hasError": false,
        "isValid": valid,
        "isAvailable": valid && !taken,
        "suggestedUserName": suggestions,
    }))
}

/// `GET /gw/api/v1/requests?startDate=&endDate=`: the account-opening request of each account.
pub(crate) async fn requests(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    for name in ["startDate", "endDate"] {
        if q.get(name).is_none_or(|v| v.trim().is_empty()) {
            return gw_error(400, &format!("{name} is required"));
        }
    }
    let world = world.lock();
    let rows: Vec<Value> = world
        .settings
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            json!({
                "requestId": 100_000_001 + i as i64,
                "accountID": a,
                "requestType": "ACCOUNT_OPEN",
                "dateSubmitted": opened(),
                "status": "C",
            })
        })
        .collect();
    let total = rows.len();
    reply::ok(&json!({"requestDetails": rows, "limit": 100, "offset": 0, "total": total}))
}

/// `GET /gw/api/v1/enumerations/complex-asset-transfer?instructionType=`: brokers that accept
/// complex asset transfers (a short list of well-known US brokers).
pub(crate) async fn complex_asset_transfer_brokers(Query(q): Query<params::Query>) -> Response {
    let Some(kind) = q.get("instructionType").filter(|t| !t.trim().is_empty()) else {
        return gw_error(400, "instructionType is required");
    };
    reply::ok(&json!({
        "instructionType": kind,
        "brokers": ["Charles Schwab & Co., Inc.", "Fidelity Brokerage Services LLC", "E*TRADE Securities LLC"],
    }))
}

/// `GET /gw/api/v1/requests/{requestId}/status?type=response|update`: the account-opening
/// requests `/requests` lists (ids 100000001 and up), completed.
pub(crate) async fn request_status(
    State(world): State<WorldHandle>,
    Path(id): Path<String>,
    Query(q): Query<params::Query>,
) -> Response {
    if !matches!(
        q.get("type").map(String::as_str),
        Some("response" | "update")
    ) {
        return gw_error(400, "type must be response or update");
    }
    let world = world.lock();
    let index = id
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(100_000_001));
    let Some(account) = index.and_then(|i| world.settings.accounts.get(i)) else {
        return gw_error(404, &format!("Request {id} not found"));
    };
    reply::ok(&json!({
        "requestId": id.trim(),
        "acctId": account,
        "requestType": "ACCOUNT_OPEN",
        "status": "C",
        "message": "Completed",
    }))
}

/// `GET /gw/api/v1/participating-banks?type=`: banks that take part in a transfer scheme.
pub(crate) async fn participating_banks(Query(q): Query<params::Query>) -> Response {
    let Some(kind) = q.get("type").filter(|t| !t.trim().is_empty()) else {
        return gw_error(400, "type is required");
    };
    reply::ok(&json!({
        "type": kind,
        "participatingBanks": [
            {"institutionName": "JPMORGAN CHASE BANK, N.A.", "BIC": "CHASUS33", "clearingCode": "021000021"},
            {"institutionName": "BANK OF AMERICA, N.A.", "BIC": "BOFAUS3N", "clearingCode": "026009593"},
        ],
    }))
}

/// `GET /gw/api/v1/accounts/{accountId}/kyc`: the identity check was done at opening.
pub(crate) async fn kyc(State(world): State<WorldHandle>, Path(account): Path<String>) -> Response {
    if !known(&world, &account) {
        return unknown_account(&account);
    }
    reply::ok(&json!({
        "hasError": false,
        "entityId": 100_000_001,
        "externalId": account,
        "state": "COMPLETED",
        "startDate": opened(),
        "expiryDate": null,
        "url": null,
    }))
}
