//! Account-level rows: the account's details and its summaries (NAV change, equity,
//! cash report, statement of funds, performance summaries).

use super::prelude::*;

flex_row! {
    /// The account holder and account details (`<AccountInformation>`).
    AccountInformation = "AccountInformation" {
        account_id: CompactString = "accountId",
        acct_alias: CompactString = "acctAlias",
        model: CompactString = "model",
        currency: CompactString = "currency",
        name: CompactString = "name",
        account_type: CompactString = "accountType",
        customer_type: CompactString = "customerType",
        account_capabilities: CompactString = "accountCapabilities",
        trading_permissions: CompactString = "tradingPermissions",
        registered_rep_name: CompactString = "registeredRepName",
        date_opened: NaiveDate = "dateOpened",
        date_funded: NaiveDate = "dateFunded",
        date_closed: NaiveDate = "dateClosed",
        last_traded_date: NaiveDate = "lastTradedDate",
        street: CompactString = "street",
        street2: CompactString = "street2",
        city: CompactString = "city",
        state: CompactString = "state",
        country: CompactString = "country",
        postal_code: CompactString = "postalCode",
        primary_email: CompactString = "primaryEmail",
        master_name: CompactString = "masterName",
        ib_entity: CompactString = "ibEntity",
    }
}

flex_row! {
    /// How the net asset value changed over the period (`<ChangeInNAV>`).
    ChangeInNav = "ChangeInNAV" {
        account_id: CompactString = "accountId",
        acct_alias: CompactString = "acctAlias",
        model: CompactString = "model",
        currency: CompactString = "currency",
        from_date: NaiveDate = "fromDate",
        to_date: NaiveDate = "toDate",
        starting_value: Decimal = "startingValue",
        mtm: Decimal = "mtm",
        realized: Decimal = "realized",
        change_in_unrealized: Decimal = "changeInUnrealized",
        cost_adjustments: Decimal = "costAdjustments",
        transferred_pnl_adjustments: Decimal = "transferredPnlAdjustments",
        deposits_withdrawals: Decimal = "depositsWithdrawals",
        internal_cash_transfers: Decimal = "internalCashTransfers",
        asset_transfers: Decimal = "assetTransfers",
        dividends: Decimal = "dividends",
        withholding_tax: Decimal = "withholdingTax",
        change_in_dividend_accruals: Decimal = "changeInDividendAccruals",
        interest: Decimal = "interest",
        change_in_interest_accruals: Decimal = "changeInInterestAccruals",
        advisor_fees: Decimal = "advisorFees",
        client_fees: Decimal = "clientFees",
        other_fees: Decimal = "otherFees",
        commissions: Decimal = "commissions",
        transaction_tax: Decimal = "transactionTax",
        sales_tax: Decimal = "salesTax",
        corporate_action_proceeds: Decimal = "corporateActionProceeds",
        net_fx_trading: Decimal = "netFxTrading",
        fx_translation: Decimal = "fxTranslation",
        linking_adjustments: Decimal = "linkingAdjustments",
        other: Decimal = "other",
        ending_value: Decimal = "endingValue",
        twr: Decimal = "twr",
    }
}

flex_row! {
    /// Account equity by asset class on one report date, in base currency
    /// (`<EquitySummaryByReportDateInBase>` in `EquitySummaryInBase`).
    EquitySummaryByReportDateInBase = "EquitySummaryByReportDateInBase" {
        account_id: CompactString = "accountId",
        acct_alias: CompactString = "acctAlias",
        model: CompactString = "model",
        currency: CompactString = "currency",
        report_date: NaiveDate = "reportDate",
        cash: Decimal = "cash",
        cash_long: Decimal = "cashLong",
        cash_short: Decimal = "cashShort",
        stock: Decimal = "stock",
        stock_long: Decimal = "stockLong",
        stock_short: Decimal = "stockShort",
        options: Decimal = "options",
        commodities: Decimal = "commodities",
        bonds: Decimal = "bonds",
        notes: Decimal = "notes",
        funds: Decimal = "funds",
        crypto: Decimal = "crypto",
        interest_accruals: Decimal = "interestAccruals",
        dividend_accruals: Decimal = "dividendAccruals",
        margin_financing_charge_accruals: Decimal = "marginFinancingChargeAccruals",
        total: Decimal = "total",
        total_long: Decimal = "totalLong",
        total_short: Decimal = "totalShort",
    }
}

flex_row! {
    /// Cash balances and flows in one currency (`<CashReportCurrency>` in `CashReport`).
    CashReportCurrency = "CashReportCurrency" {
        account_id: CompactString = "accountId",
        acct_alias: CompactString = "acctAlias",
        model: CompactString = "model",
        currency: CompactString = "currency",
        level_of_detail: CompactString = "levelOfDetail",
        from_date: NaiveDate = "fromDate",
        to_date: NaiveDate = "toDate",
        starting_cash: Decimal = "startingCash",
        commissions: Decimal = "commissions",
        deposits: Decimal = "deposits",
        withdrawals: Decimal = "withdrawals",
        deposit_withdrawals: Decimal = "depositWithdrawals",
        dividends: Decimal = "dividends",
        payment_in_lieu: Decimal = "paymentInLieu",
        broker_interest: Decimal = "brokerInterest",
        bond_interest: Decimal = "bondInterest",
        withholding_tax: Decimal = "withholdingTax",
        net_trades_sales: Decimal = "netTradesSales",
        net_trades_purchases: Decimal = "netTradesPurchases",
        other_fees: Decimal = "otherFees",
        transaction_tax: Decimal = "transactionTax",
        internal_transfers: Decimal = "internalTransfers",
        account_transfers: Decimal = "accountTransfers",
        fx_translation_gain_loss: Decimal = "fxTranslationGainLoss",
        ending_cash: Decimal = "endingCash",
        ending_settled_cash: Decimal = "endingSettledCash",
    }
}

security_row! {
    /// One line of the statement of funds: a cash movement and the running balance
    /// (`<StatementOfFundsLine>` in `StmtFunds`).
    StatementOfFundsLine = "StatementOfFundsLine" {
        report_date: NaiveDate = "reportDate",
        date: FlexDateTime = "date",
        settle_date: NaiveDate = "settleDate",
        activity_code: CompactString = "activityCode",
        activity_description: CompactString = "activityDescription",
        trade_id: CompactString = "tradeID",
        order_id: CompactString = "orderID",
        buy_sell: BuySell = "buySell",
        trade_quantity: Decimal = "tradeQuantity",
        trade_price: Decimal = "tradePrice",
        trade_gross: Decimal = "tradeGross",
        trade_commission: Decimal = "tradeCommission",
        trade_tax: Decimal = "tradeTax",
        debit: Decimal = "debit",
        credit: Decimal = "credit",
        amount: Decimal = "amount",
        trade_code: CompactString = "tradeCode",
        balance: Decimal = "balance",
        level_of_detail: CompactString = "levelOfDetail",
        transaction_id: CompactString = "transactionID",
        action_id: CompactString = "actionID",
    }
}

security_row! {
    /// Month- and year-to-date performance of one underlying
    /// (`<MTDYTDPerformanceSummaryUnderlying>`).
    MtdYtdPerformanceSummaryUnderlying = "MTDYTDPerformanceSummaryUnderlying" {
        report_date: NaiveDate = "reportDate",
        mtm_mtd: Decimal = "mtmMTD",
        mtm_ytd: Decimal = "mtmYTD",
        real_st_mtd: Decimal = "realSTMTD",
        real_st_ytd: Decimal = "realSTYTD",
        real_lt_mtd: Decimal = "realLTMTD",
        real_lt_ytd: Decimal = "realLTYTD",
    }
}

security_row! {
    /// Mark-to-market performance of one underlying (`<MTMPerformanceSummaryUnderlying>`).
    MtmPerformanceSummaryUnderlying = "MTMPerformanceSummaryUnderlying" {
        report_date: NaiveDate = "reportDate",
        prev_close_quantity: Decimal = "prevCloseQuantity",
        prev_close_price: Decimal = "prevClosePrice",
        close_quantity: Decimal = "closeQuantity",
        close_price: Decimal = "closePrice",
        transaction_mtm_pnl: Decimal = "transactionMtmPnl",
        prior_open_mtm_pnl: Decimal = "priorOpenMtmPnl",
        commissions: Decimal = "commissions",
        other: Decimal = "other",
        total: Decimal = "total",
        code: CompactString = "code",
    }
}

security_row! {
    /// Realised and unrealised FIFO performance of one underlying
    /// (`<FIFOPerformanceSummaryUnderlying>`).
    FifoPerformanceSummaryUnderlying = "FIFOPerformanceSummaryUnderlying" {
        report_date: NaiveDate = "reportDate",
        cost_adj: Decimal = "costAdj",
        realized_short_term_profit: Decimal = "realizedSTProfit",
        realized_short_term_loss: Decimal = "realizedSTLoss",
        realized_long_term_profit: Decimal = "realizedLTProfit",
        realized_long_term_loss: Decimal = "realizedLTLoss",
        total_realized_pnl: Decimal = "totalRealizedPnl",
        unrealized_profit: Decimal = "unrealizedProfit",
        unrealized_loss: Decimal = "unrealizedLoss",
        total_unrealized_pnl: Decimal = "totalUnrealizedPnl",
        total_fifo_pnl: Decimal = "totalFifoPnl",
        code: CompactString = "code",
    }
}

flex_row! {
    /// How position values changed per asset class (`<ChangeInPositionValue>`).
    ChangeInPositionValue = "ChangeInPositionValue" {
        account_id: CompactString = "accountId",
        acct_alias: CompactString = "acctAlias",
        model: CompactString = "model",
        asset_category: AssetClass = "assetCategory",
        currency: CompactString = "currency",
        prior_period_value: Decimal = "priorPeriodValue",
        transactions: Decimal = "transactions",
        mtm_prior_period_positions: Decimal = "mtmPriorPeriodPositions",
        mtm_transactions: Decimal = "mtmTransactions",
        corporate_actions: Decimal = "corporateActions",
        account_transfers: Decimal = "accountTransfers",
        fx_translation_pnl: Decimal = "fxTranslationPnl",
        future_price_adjustments: Decimal = "futurePriceAdjustments",
        settled_cash: Decimal = "settledCash",
        end_of_period_value: Decimal = "endOfPeriodValue",
        other: Decimal = "other",
    }
}
