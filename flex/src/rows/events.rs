//! Rows of events that change holdings: corporate actions, option exercises/assignments/
//! expirations, transfers and stock grants.

use super::prelude::*;

security_row! {
    /// A split, merger, spin-off, delisting or other corporate action (`<CorporateAction>`).
    CorporateAction = "CorporateAction" {
        report_date: NaiveDate = "reportDate",
        date_time: FlexDateTime = "dateTime",
        pay_date: NaiveDate = "payDate",
        action_description: CompactString = "actionDescription",
        amount: Decimal = "amount",
        proceeds: Decimal = "proceeds",
        value: Decimal = "value",
        quantity: Decimal = "quantity",
        cost_basis: Decimal = "costBasis",
        fifo_pnl_realized: Decimal = "fifoPnlRealized",
        mtm_pnl: Decimal = "mtmPnl",
        code: CompactString = "code",
        kind: Reorg = "type",
        transaction_id: CompactString = "transactionID",
        action_id: CompactString = "actionID",
        level_of_detail: CompactString = "levelOfDetail",
    }
}

security_row! {
    /// An option exercise, assignment or expiration (`<OptionEAE>`).
    OptionEae = "OptionEAE" {
        date: NaiveDate = "date",
        transaction_type: OptionAction = "transactionType",
        quantity: Decimal = "quantity",
        trade_price: Decimal = "tradePrice",
        mark_price: Decimal = "markPrice",
        proceeds: Decimal = "proceeds",
        commisions_and_tax: Decimal = "commisionsAndTax",
        cost_basis: Decimal = "costBasis",
        realized_pnl: Decimal = "realizedPnl",
        fx_pnl: Decimal = "fxPnl",
        mtm_pnl: Decimal = "mtmPnl",
        trade_id: CompactString = "tradeID",
    }
}

security_row! {
    /// A position or cash transfer in or out of the account (`<Transfer>`).
    Transfer = "Transfer" {
        report_date: NaiveDate = "reportDate",
        date: NaiveDate = "date",
        date_time: FlexDateTime = "dateTime",
        settle_date: NaiveDate = "settleDate",
        kind: TransferType = "type",
        direction: TransferDirection = "direction",
        company: CompactString = "company",
        account: CompactString = "account",
        account_name: CompactString = "accountName",
        delivering_broker: CompactString = "deliveringBroker",
        quantity: Decimal = "quantity",
        transfer_price: Decimal = "transferPrice",
        position_amount: Decimal = "positionAmount",
        position_amount_in_base: Decimal = "positionAmountInBase",
        pnl_amount: Decimal = "pnlAmount",
        pnl_amount_in_base: Decimal = "pnlAmountInBase",
        fx_pnl: Decimal = "fxPnl",
        cash_transfer: Decimal = "cashTransfer",
        code: CompactString = "code",
        client_reference: CompactString = "clientReference",
        transaction_id: CompactString = "transactionID",
        level_of_detail: CompactString = "levelOfDetail",
    }
}

security_row! {
    /// A transfer that has not settled yet (`<UnsettledTransfer>`).
    UnsettledTransfer = "UnsettledTransfer" {
        direction: TransferDirection = "direction",
        trade_date: NaiveDate = "tradeDate",
        target_settlement: NaiveDate = "targetSettlement",
        contra: CompactString = "contra",
        quantity: Decimal = "quantity",
        trade_price: Decimal = "tradePrice",
        gross_amount: Decimal = "grossAmount",
        trade_id: CompactString = "tradeID",
    }
}

security_row! {
    /// A vesting or award of employee stock (`<StockGrantActivity>`).
    StockGrantActivity = "StockGrantActivity" {
        report_date: NaiveDate = "reportDate",
        award_date: NaiveDate = "awardDate",
        vesting_date: NaiveDate = "vestingDate",
        activity_description: CompactString = "activityDescription",
        quantity: Decimal = "quantity",
        price: Decimal = "price",
        value: Decimal = "value",
    }
}
