//! Banking: the request each operation sends and the answers it decodes.

use ibkr_contract_tests::{contract, from_json};
use serde_json::json;

// ---- request and answer of the remaining operations, one test each ----

/// POST /gw/api/v1/instructions/cancel
#[tokio::test]
async fn cancel_instruction_follows_its_contract() {
    let body = json!({
        "instruction": {
            "clientInstructionId": 1.5,
            "instructionId": 1.5,
            "reason": "x"
        },
        "instructionType": "CANCEL_INSTRUCTION"
    });
    contract("cancelInstruction")
        .request("/gw/api/v1/instructions/cancel")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .cancel_instruction()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::CancelInstructionBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/instructions/cancel:bulk
#[tokio::test]
async fn cancel_instructions_bulk_follows_its_contract() {
    let body = json!({
        "instructionType": "CANCEL_INSTRUCTION",
        "instructions": [
            "x"
        ]
    });
    contract("cancelInstructionsBulk")
        .request("/gw/api/v1/instructions/cancel:bulk")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .cancel_instructions_bulk()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::CancelInstructionsBulkBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// GET /gw/api/v1/client-instructions/{clientInstructionId}
#[tokio::test]
async fn get_client_instruction_status_follows_its_contract() {
    contract("getClientInstructionStatus")
        .request("/gw/api/v1/client-instructions/7")
        .query(&[("client-id", "val-clientid")])
        .answers(|c| async move {
            c.account_management
                .get_client_instruction_status()
                .client_instruction_id(7)
                .client_id("val-clientid")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/instruction-sets/{instructionSetId}
#[tokio::test]
async fn get_instruction_set_status_follows_its_contract() {
    contract("getInstructionSetStatus")
        .request("/gw/api/v1/instruction-sets/7")
        .query(&[("client-id", "val-clientid")])
        .answers(|c| async move {
            c.account_management
                .get_instruction_set_status()
                .instruction_set_id(7)
                .client_id("val-clientid")
                .send()
                .await
        })
        .await;
}

/// GET /gw/api/v1/instructions/{instructionId}
#[tokio::test]
async fn get_instruction_status_follows_its_contract() {
    contract("getInstructionStatus")
        .request("/gw/api/v1/instructions/7")
        .query(&[("client-id", "val-clientid")])
        .answers(|c| async move {
            c.account_management
                .get_instruction_status()
                .instruction_id(7)
                .client_id("val-clientid")
                .send()
                .await
        })
        .await;
}

/// POST /gw/api/v1/bank-instructions
#[tokio::test]
async fn manage_bank_instruction_follows_its_contract() {
    let body = json!({
        "instruction": {
            "accountId": "x",
            "bankInstructionCode": "USACH",
            "bankInstructionName": "x",
            "clientInstructionId": 1.5,
            "creditAmount1": 1.5,
            "creditAmount2": 1.5,
            "pendingInstructionId": 1.5
        },
        "instructionType": "ACH_INSTRUCTION"
    });
    contract("manageBankInstruction")
        .request("/gw/api/v1/bank-instructions")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .manage_bank_instruction()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::ManageBankInstructionBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/bank-instructions:bulk
#[tokio::test]
async fn manage_bank_instructions_bulk_follows_its_contract() {
    let body = json!({
        "instructionType": "ACH_INSTRUCTION",
        "instructions": [
            "x"
        ]
    });
    contract("manageBankInstructionsBulk")
        .request("/gw/api/v1/bank-instructions:bulk")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .manage_bank_instructions_bulk()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::ManageBankInstructionsBulkBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/bank-instructions/query
#[tokio::test]
async fn query_bank_instructions_follows_its_contract() {
    let body = json!({
        "instruction": {
            "accountId": "x",
            "bankInstructionMethod": "ACH",
            "clientInstructionId": 1.5
        },
        "instructionType": "QUERY_BANK_INSTRUCTION"
    });
    contract("queryBankInstructions")
        .request("/gw/api/v1/bank-instructions/query")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .query_bank_instructions()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::QueryBankInstructionsBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/external-cash-transfers/query
#[tokio::test]
async fn query_external_cash_transfers_follows_its_contract() {
    let body = json!({
        "instruction": {
            "accountId": "x",
            "bankAccountNumber": "x",
            "bankInstructionName": "x",
            "bankRoutingNumber": "x",
            "clientInstructionId": 1.5,
            "currency": "x"
        },
        "instructionType": "QUERY_WITHDRAWABLE_FUNDS"
    });
    contract("queryExternalCashTransfers")
        .request("/gw/api/v1/external-cash-transfers/query")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .query_external_cash_transfers()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::QueryExternalCashTransfersBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/instructions/query
#[tokio::test]
async fn query_instruction_history_follows_its_contract() {
    let body = json!({
        "instruction": {
            "accountId": "x",
            "clientInstructionId": 1.5,
            "transactionHistory": {
                "daysToGoBack": 1.5,
                "transactionType": "ALL"
            }
        },
        "instructionType": "QUERY_RECENT_INSTRUCTIONS"
    });
    contract("queryInstructionHistory")
        .request("/gw/api/v1/instructions/query")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .query_instruction_history()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::QueryInstructionHistoryBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/balances/query
#[tokio::test]
async fn query_withdrawable_cash_follows_its_contract() {
    let body = json!({
        "instruction": {
            "accountId": "x",
            "clientInstructionId": 1.5,
            "currency": "xxx"
        },
        "instructionType": "QUERY_WITHDRAWABLE_CASH_EQUITY"
    });
    contract("queryWithdrawableCash")
        .request("/gw/api/v1/balances/query")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .query_withdrawable_cash()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::QueryWithdrawableCashBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/external-cash-transfers
#[tokio::test]
async fn transfer_cash_externally_follows_its_contract() {
    let body = json!({
        "instruction": {
            "accountId": "x",
            "amount": 1.5,
            "bankInstructionMethod": "ACH",
            "bankInstructionName": "x",
            "clientInstructionId": 1.5,
            "currency": "x",
            "identifier": "x",
            "iraDepositDetail": {
                "fromIraType": "NONE",
                "iraContributionType": "ROLLOVER",
                "iraTaxYearType": "CURRENT"
            },
            "openBanking": {
                "plaidOptions": {
                    "completionRedirectUri": "x",
                    "isMobileApp": true,
                    "linkDisplayName": "x"
                },
                "serviceProvider": "PLAID"
            },
            "recurringInstructionDetail": {
                "endDate": "x",
                "frequency": "MONTHLY",
                "instructionName": "x",
                "startDate": "x"
            },
            "senderInstitutionName": "x",
            "sendingInstitution": "x",
            "specialInstruction": "x"
        },
        "instructionType": "DEPOSIT"
    });
    contract("transferCashExternally")
        .request("/gw/api/v1/external-cash-transfers")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .transfer_cash_externally()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TransferCashExternallyBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/external-cash-transfers:bulk
#[tokio::test]
async fn transfer_cash_externally_bulk_follows_its_contract() {
    let body = json!({
        "instructionType": "DEPOSIT",
        "instructions": [
            "x"
        ]
    });
    contract("transferCashExternallyBulk")
        .request("/gw/api/v1/external-cash-transfers:bulk")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .transfer_cash_externally_bulk()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TransferCashExternallyBulkBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/internal-cash-transfers
#[tokio::test]
async fn transfer_cash_internally_follows_its_contract() {
    let body = json!({
        "instruction": {
            "amount": 1.5,
            "clientInstructionId": 1.5,
            "clientNote": "x",
            "currency": "x",
            "dateTimeToOccur": "2024-01-02T03:04:05Z",
            "sourceAccountId": "x",
            "targetAccountId": "x"
        },
        "instructionType": "INTERNAL_CASH_TRANSFER"
    });
    contract("transferCashInternally")
        .request("/gw/api/v1/internal-cash-transfers")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .transfer_cash_internally()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TransferCashInternallyBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/internal-cash-transfers:bulk
#[tokio::test]
async fn transfer_cash_internally_bulk_follows_its_contract() {
    let body = json!({
        "instructionType": "INTERNAL_CASH_TRANSFER",
        "instructions": [
            "x"
        ]
    });
    contract("transferCashInternallyBulk")
        .request("/gw/api/v1/internal-cash-transfers:bulk")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .transfer_cash_internally_bulk()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TransferCashInternallyBulkBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/external-asset-transfers
#[tokio::test]
async fn transfer_positions_externally_follows_its_contract() {
    let body = json!({
        "instruction": {
            "accountId": "x",
            "clientInstructionId": 1.5,
            "contraBrokerAccountId": "x",
            "contraBrokerDtcCode": "x",
            "direction": "IN",
            "quantity": 1.5,
            "tradingInstrument": {
                "currency": "x",
                "conid": 1.5
            }
        },
        "instructionType": "DWAC"
    });
    contract("transferPositionsExternally")
        .request("/gw/api/v1/external-asset-transfers")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .transfer_positions_externally()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TransferPositionsExternallyBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/external-asset-transfers:bulk
#[tokio::test]
async fn transfer_positions_externally_bulk_follows_its_contract() {
    let body = json!({
        "instructionType": "DWAC",
        "instructions": [
            "x"
        ]
    });
    contract("transferPositionsExternallyBulk")
        .request("/gw/api/v1/external-asset-transfers:bulk")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .transfer_positions_externally_bulk()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TransferPositionsExternallyBulkBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/internal-asset-transfers
#[tokio::test]
async fn transfer_positions_internally_follows_its_contract() {
    let body = json!({
        "instruction": {
            "clientInstructionId": 1.5,
            "settleDate": "x",
            "sourceAccountId": "x",
            "targetAccountId": "x",
            "tradeDate": "x",
            "tradingInstrument": {
                "currency": "x",
                "conid": 1.5
            },
            "transferPrice": 1.5,
            "transferQuantity": 1.5
        },
        "instructionType": "INTERNAL_POSITION_TRANSFER"
    });
    contract("transferPositionsInternally")
        .request("/gw/api/v1/internal-asset-transfers")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .transfer_positions_internally()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TransferPositionsInternallyBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}

/// POST /gw/api/v1/internal-asset-transfers:bulk
#[tokio::test]
async fn transfer_positions_internally_bulk_follows_its_contract() {
    let body = json!({
        "instructionType": "INTERNAL_POSITION_TRANSFER",
        "instructions": [
            "x"
        ]
    });
    contract("transferPositionsInternallyBulk")
        .request("/gw/api/v1/internal-asset-transfers:bulk")
        .query(&[("client-id", "val-clientid")])
        .json(body.clone())
        .answers(|c| {
            let body = body.clone();
            async move {
                c.account_management
                    .transfer_positions_internally_bulk()
                    .client_id("val-clientid")
                    .body(from_json::<
                        ibkr_gen::account_management::types::TransferPositionsInternallyBulkBody,
                    >(body.clone()))
                    .send()
                    .await
            }
        })
        .await;
}
