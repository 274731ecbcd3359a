//! FA Allocation: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// POST /iserver/account/allocation/group
#[tokio::test]
async fn create_allocation_group_follows_its_contract() {
    let body = json!({
        "accounts": [
            "x"
        ],
        "default_method": "x",
        "name": "x"
    });
    contract("createAllocationGroup")
        .request("/iserver/account/allocation/group")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .create_allocation_group()
                    .body(from_json::<
                        ibkr_gen::trading::types::CreateAllocationGroupBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /iserver/account/allocation/group/delete
#[tokio::test]
async fn delete_allocation_group_follows_its_contract() {
    let body = json!({
        "name": "x"
    });
    contract("deleteAllocationGroup")
        .request("/iserver/account/allocation/group/delete")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .delete_allocation_group()
                    .body(from_json::<
                        ibkr_gen::trading::types::DeleteAllocationGroupBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /iserver/account/allocation/group/single
#[tokio::test]
async fn get_allocation_group_follows_its_contract() {
    let body = json!({
        "name": "x"
    });
    contract("getAllocationGroup")
        .request("/iserver/account/allocation/group/single")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_allocation_group()
                    .body(
                        from_json::<ibkr_gen::trading::types::GetAllocationGroupBody>(body.clone()),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// GET /iserver/account/allocation/presets
#[tokio::test]
async fn get_allocation_presets_follows_its_contract() {
    contract("getAllocationPresets")
        .request("/iserver/account/allocation/presets")
        .answers(|c| async move { c.trading.get_allocation_presets().send().await })
        .await;
}

/// POST /fa/model/accounts-details
#[tokio::test]
async fn get_fa_model_accounts_follows_its_contract() {
    let body = json!({
        "calcPnls": true,
        "model": "x",
        "reqID": 1
    });
    contract("getFaModelAccounts")
        .request("/fa/model/accounts-details")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_fa_model_accounts()
                    .body(
                        from_json::<ibkr_gen::trading::types::GetFaModelAccountsBody>(body.clone()),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /fa/model/invest-divest-positions
#[tokio::test]
async fn get_fa_model_invested_accounts_follows_its_contract() {
    let body = json!({
        "model": "x",
        "reqID": 1,
        "subscriptionStatus": 1
    });
    contract("getFaModelInvestedAccounts")
        .request("/fa/model/invest-divest-positions")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_fa_model_invested_accounts()
                    .body(from_json::<
                        ibkr_gen::trading::types::GetFaModelInvestedAccountsBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /fa/model/positions
#[tokio::test]
async fn get_fa_model_positions_follows_its_contract() {
    let body = json!({
        "limit": 1,
        "model": "x",
        "reqID": 1,
        "sortDirection": "ASC",
        "sortField": "actl",
        "subscriptionKey": "x"
    });
    contract("getFaModelPositions")
        .request("/fa/model/positions")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_fa_model_positions()
                    .body(
                        from_json::<ibkr_gen::trading::types::GetFaModelPositionsBody>(
                            body.clone(),
                        ),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /fa/fa-preset/get
#[tokio::test]
async fn get_fa_model_preset_follows_its_contract() {
    let body = json!({
        "reqID": 1,
        "subscriptionKey": "x"
    });
    contract("getFaModelPreset")
        .request("/fa/fa-preset/get")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_fa_model_preset()
                    .body(from_json::<ibkr_gen::trading::types::GetFaModelPresetBody>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /fa/model/summary
#[tokio::test]
async fn get_fa_model_summary_follows_its_contract() {
    let body = json!({
        "model": "x",
        "reqID": 1,
        "subscriptionKey": "x"
    });
    contract("getFaModelSummary")
        .request("/fa/model/summary")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .get_fa_model_summary()
                    .body(
                        from_json::<ibkr_gen::trading::types::GetFaModelSummaryBody>(body.clone()),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /fa/model/invest-divest
#[tokio::test]
async fn invest_divest_fa_model_follows_its_contract() {
    let body = json!({
        "accountList": [
            "x"
        ],
        "model": "x",
        "reqID": 1,
        "subscriptionKey": "x"
    });
    contract("investDivestFaModel")
        .request("/fa/model/invest-divest")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .invest_divest_fa_model()
                    .body(
                        from_json::<ibkr_gen::trading::types::InvestDivestFaModelBody>(
                            body.clone(),
                        ),
                    )
                    .send()
                    .await
            }
        })
        .await;
}

/// GET /iserver/account/allocation/accounts
#[tokio::test]
async fn list_allocatable_accounts_follows_its_contract() {
    contract("listAllocatableAccounts")
        .request("/iserver/account/allocation/accounts")
        .answers(|c| async move { c.trading.list_allocatable_accounts().send().await })
        .await;
}

/// GET /iserver/account/allocation/group
#[tokio::test]
async fn list_allocation_groups_follows_its_contract() {
    contract("listAllocationGroups")
        .request("/iserver/account/allocation/group")
        .answers(|c| async move { c.trading.list_allocation_groups().send().await })
        .await;
}

/// POST /fa/model/list
#[tokio::test]
async fn list_fa_models_follows_its_contract() {
    let body = json!({
        "reqID": 1,
        "subscriptionKey": "x"
    });
    contract("listFaModels")
        .request("/fa/model/list")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .list_fa_models()
                    .body(from_json::<ibkr_gen::trading::types::ListFaModelsBody>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}

/// PUT /iserver/account/allocation/group
#[tokio::test]
async fn modify_allocation_group_follows_its_contract() {
    let body = json!({
        "accounts": [
            "x"
        ],
        "default_method": "x",
        "name": "x",
        "prev_name": "x"
    });
    contract("modifyAllocationGroup")
        .request("/iserver/account/allocation/group")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .modify_allocation_group()
                    .body(from_json::<
                        ibkr_gen::trading::types::ModifyAllocationGroupBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /fa/model/save
#[tokio::test]
async fn save_fa_model_follows_its_contract() {
    let body = json!({
        "cashTargets": [
            "x"
        ],
        "desc": "x",
        "isStatic": true,
        "model": "x",
        "positionTargets": [
            "x"
        ],
        "reqID": 1
    });
    contract("saveFaModel")
        .request("/fa/model/save")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .save_fa_model()
                    .body(from_json::<ibkr_gen::trading::types::SaveFaModelBody>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /fa/fa-preset/save
#[tokio::test]
async fn save_fa_model_preset_follows_its_contract() {
    let body = json!({
        "avoidNegativeCashInCore": true,
        "cashQtyEstimateFactor": 1,
        "closeDivestCorePosition": true,
        "fullyInvestExistingLongPositions": true,
        "keepModelOpen": true,
        "preferCrossWithIndependent": true,
        "preferTransferFromIndependent": true,
        "reqID": 1,
        "roundAllocExchBoardLot": true,
        "subscriptionStatus": 1,
        "useNonBaseCcy": true,
        "useToleranceRange": true
    });
    contract("saveFaModelPreset")
        .request("/fa/fa-preset/save")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .save_fa_model_preset()
                    .body(from_json::<ibkr_gen::trading::types::ModelPresetsResponse>(
                        body.clone(),
                    ))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /iserver/account/allocation/presets
#[tokio::test]
async fn set_allocation_presets_follows_its_contract() {
    let body = json!({
        "default_method_for_all": "x",
        "group_auto_close_positions": true,
        "group_proportional_allocation": true,
        "profiles_auto_close_positions": true,
        "strict_credit_check": true
    });
    contract("setAllocationPresets")
        .request("/iserver/account/allocation/presets")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .set_allocation_presets()
                    .body(from_json::<ibkr_gen::trading::types::Presets>(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /fa/model/submit-transfers
#[tokio::test]
async fn submit_fa_model_transfers_follows_its_contract() {
    let body = json!({
        "fpOrderId": 1,
        "reqID": 1
    });
    contract("submitFaModelTransfers")
        .request("/fa/model/submit-transfers")
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.trading
                    .submit_fa_model_transfers()
                    .body(from_json::<
                        ibkr_gen::trading::types::SubmitFaModelTransfersBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}
