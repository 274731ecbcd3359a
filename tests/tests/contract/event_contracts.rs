//! Event Contracts: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::contract;

// ---- request and answer of the remaining operations, one test each ----

/// GET /forecast/category/tree
#[tokio::test]
async fn get_event_contract_categories_follows_its_contract() {
    contract("getEventContractCategories")
        .request("/forecast/category/tree")
        .answers(|c| async move { c.trading.get_event_contract_categories().send().await })
        .await;
}

/// GET /forecast/contract/details
#[tokio::test]
async fn get_event_contract_details_follows_its_contract() {
    contract("getEventContractDetails")
        .request("/forecast/contract/details")
        .query(&[("conid", "265598")])
        .answers(|c| async move {
            c.trading
                .get_event_contract_details()
                .conid("265598")
                .send()
                .await
        })
        .await;
}

/// GET /forecast/contract/rules
#[tokio::test]
async fn get_event_contract_rules_follows_its_contract() {
    contract("getEventContractRules")
        .request("/forecast/contract/rules")
        .query(&[("conid", "265598")])
        .answers(|c| async move {
            c.trading
                .get_event_contract_rules()
                .conid("265598")
                .send()
                .await
        })
        .await;
}

/// GET /forecast/contract/schedules
#[tokio::test]
async fn get_event_contract_schedules_follows_its_contract() {
    contract("getEventContractSchedules")
        .request("/forecast/contract/schedules")
        .query(&[("conid", "265598")])
        .answers(|c| async move {
            c.trading
                .get_event_contract_schedules()
                .conid("265598")
                .send()
                .await
        })
        .await;
}

/// GET /forecast/contract/market
#[tokio::test]
async fn list_event_contracts_for_market_follows_its_contract() {
    contract("listEventContractsForMarket")
        .request("/forecast/contract/market")
        .query(&[
            ("exchange", "SMART"),
            ("underlyingConid", "val-underlyingconid"),
        ])
        .answers(|c| async move {
            c.trading
                .list_event_contracts_for_market()
                .exchange("SMART")
                .underlying_conid("val-underlyingconid")
                .send()
                .await
        })
        .await;
}
