//! Rows of cash movements: cash transactions, interest, taxes and fees.

use super::prelude::*;

security_row! {
    /// A dividend, withholding tax, interest payment, fee, deposit or withdrawal
    /// (`<CashTransaction>`).
    CashTransaction = "CashTransaction" {
        date_time: FlexDateTime = "dateTime",
        settle_date: NaiveDate = "settleDate",
        report_date: NaiveDate = "reportDate",
        ex_date: NaiveDate = "exDate",
        amount: Decimal = "amount",
        kind: CashAction = "type",
        trade_id: CompactString = "tradeID",
        code: CompactString = "code",
        transaction_id: CompactString = "transactionID",
        action_id: CompactString = "actionID",
        client_reference: CompactString = "clientReference",
        level_of_detail: CompactString = "levelOfDetail",
    }
}

flex_row! {
    /// Interest accrued in one currency over the period (`<InterestAccrualsCurrency>`).
    InterestAccrualsCurrency = "InterestAccrualsCurrency" {
        account_id: CompactString = "accountId",
        acct_alias: CompactString = "acctAlias",
        model: CompactString = "model",
        currency: CompactString = "currency",
        from_date: NaiveDate = "fromDate",
        to_date: NaiveDate = "toDate",
        starting_accrual_balance: Decimal = "startingAccrualBalance",
        interest_accrued: Decimal = "interestAccrued",
        accrual_reversal: Decimal = "accrualReversal",
        fx_translation: Decimal = "fxTranslation",
        ending_accrual_balance: Decimal = "endingAccrualBalance",
    }
}

flex_row! {
    /// Interest per tier and day (`<TierInterestDetail>`).
    TierInterestDetail = "TierInterestDetail" {
        account_id: CompactString = "accountId",
        currency: CompactString = "currency",
        fx_rate_to_base: Decimal = "fxRateToBase",
        interest_type: CompactString = "interestType",
        report_date: NaiveDate = "reportDate",
        value_date: NaiveDate = "valueDate",
        tier_break: CompactString = "tierBreak",
        balance_threshold: Decimal = "balanceThreshold",
        total_principal: Decimal = "totalPrincipal",
        rate: Decimal = "rate",
        total_interest: Decimal = "totalInterest",
        code: CompactString = "code",
    }
}

security_row! {
    /// A transaction tax such as the French or Italian FTT (`<TransactionTax>`).
    TransactionTax = "TransactionTax" {
        date: FlexDateTime = "date",
        report_date: NaiveDate = "reportDate",
        tax_description: CompactString = "taxDescription",
        quantity: Decimal = "quantity",
        trade_price: Decimal = "tradePrice",
        tax_amount: Decimal = "taxAmount",
        trade_id: CompactString = "tradeId",
        source: CompactString = "source",
        code: CompactString = "code",
        level_of_detail: CompactString = "levelOfDetail",
    }
}

flex_row! {
    /// VAT or sales tax charged on fees (`<SalesTax>`).
    SalesTax = "SalesTax" {
        account_id: CompactString = "accountId",
        currency: CompactString = "currency",
        fx_rate_to_base: Decimal = "fxRateToBase",
        date: NaiveDate = "date",
        country: CompactString = "country",
        tax_type: CompactString = "taxType",
        payer: CompactString = "payer",
        tax_able_description: CompactString = "taxableDescription",
        taxable_amount: Decimal = "taxableAmount",
        tax_rate: Decimal = "taxRate",
        sales_tax: Decimal = "salesTax",
        transaction_id: CompactString = "transactionID",
        code: CompactString = "code",
    }
}

flex_row! {
    /// An advisor or client fee (`<ClientFee>`).
    ClientFee = "ClientFee" {
        account_id: CompactString = "accountId",
        currency: CompactString = "currency",
        fx_rate_to_base: Decimal = "fxRateToBase",
        fee_type: CompactString = "feeType",
        date: FlexDateTime = "date",
        description: CompactString = "description",
        revenue: Decimal = "revenue",
        expense: Decimal = "expense",
        net: Decimal = "net",
        trade_id: CompactString = "tradeID",
    }
}

security_row! {
    /// A purchase with the IB debit card (`<DebitCardActivity>`).
    DebitCardActivity = "DebitCardActivity" {
        status: CompactString = "status",
        transaction_date_time: FlexDateTime = "transactionDateTime",
        posted_date: NaiveDate = "postedDate",
        merchant_name_location: CompactString = "merchantNameLocation",
        amount: Decimal = "amount",
    }
}

security_row! {
    /// Commission broken down by component (`<UnbundledCommissionDetail>`).
    UnbundledCommissionDetail = "UnbundledCommissionDetail" {
        date_time: FlexDateTime = "dateTime",
        exchange: CompactString = "exchange",
        buy_sell: BuySell = "buySell",
        quantity: Decimal = "quantity",
        price: Decimal = "price",
        amount: Decimal = "amount",
        total_commission: Decimal = "totalCommission",
        broker_execution_charge: Decimal = "brokerExecutionCharge",
        broker_clearing_charge: Decimal = "brokerClearingCharge",
        third_party_execution_charge: Decimal = "thirdPartyExecutionCharge",
        third_party_clearing_charge: Decimal = "thirdPartyClearingCharge",
        third_party_regulatory_charge: Decimal = "thirdPartyRegulatoryCharge",
        reg_finra_trading_activity_fee: Decimal = "regFINRATradingActivityFee",
        reg_section31_transaction_fee: Decimal = "regSection31TransactionFee",
        other: Decimal = "other",
        trade_id: CompactString = "tradeID",
        order_reference: CompactString = "orderReference",
    }
}

security_row! {
    /// A change in an accrued dividend (`<ChangeInDividendAccrual>`).
    ChangeInDividendAccrual = "ChangeInDividendAccrual" {
        date: NaiveDate = "date",
        ex_date: NaiveDate = "exDate",
        pay_date: NaiveDate = "payDate",
        quantity: Decimal = "quantity",
        tax: Decimal = "tax",
        fee: Decimal = "fee",
        gross_rate: Decimal = "grossRate",
        gross_amount: Decimal = "grossAmount",
        net_amount: Decimal = "netAmount",
        code: CompactString = "code",
        from_acct: CompactString = "fromAcct",
        to_acct: CompactString = "toAcct",
    }
}

security_row! {
    /// A dividend declared but not yet paid (`<OpenDividendAccrual>`).
    OpenDividendAccrual = "OpenDividendAccrual" {
        ex_date: NaiveDate = "exDate",
        pay_date: NaiveDate = "payDate",
        quantity: Decimal = "quantity",
        tax: Decimal = "tax",
        fee: Decimal = "fee",
        gross_rate: Decimal = "grossRate",
        gross_amount: Decimal = "grossAmount",
        net_amount: Decimal = "netAmount",
        code: CompactString = "code",
        from_acct: CompactString = "fromAcct",
        to_acct: CompactString = "toAcct",
    }
}

security_row! {
    /// A hard-to-borrow fee for a short position (`<HardToBorrowDetail>`).
    HardToBorrowDetail = "HardToBorrowDetail" {
        value_date: NaiveDate = "valueDate",
        quantity: Decimal = "quantity",
        price: Decimal = "price",
        value: Decimal = "value",
        borrow_fee_rate: Decimal = "borrowFeeRate",
        borrow_fee: Decimal = "borrowFee",
        code: CompactString = "code",
        from_acct: CompactString = "fromAcct",
        to_acct: CompactString = "toAcct",
    }
}

security_row! {
    /// A securities-lending event (`<SLBActivity>`).
    SlbActivity = "SLBActivity" {
        date: NaiveDate = "date",
        slb_transaction_id: CompactString = "slbTransactionId",
        activity_description: CompactString = "activityDescription",
        kind: CompactString = "type",
        exchange: CompactString = "exchange",
        quantity: Decimal = "quantity",
        fee_rate: Decimal = "feeRate",
        collateral_amount: Decimal = "collateralAmount",
        mark_quantity: Decimal = "markQuantity",
        mark_price_amount: Decimal = "markPriceAmount",
        mark_price_time: CompactString = "markPriceTime",
    }
}

security_row! {
    /// A securities-lending fee (`<SLBFee>`).
    SlbFee = "SLBFee" {
        value_date: NaiveDate = "valueDate",
        start_date: NaiveDate = "startDate",
        kind: CompactString = "type",
        exchange: CompactString = "exchange",
        quantity: Decimal = "quantity",
        collateral_amount: Decimal = "collateralAmount",
        fee_rate: Decimal = "feeRate",
        fee: Decimal = "fee",
        carry_charge: Decimal = "carryCharge",
        ticket_charge: Decimal = "ticketCharge",
        total_charges: Decimal = "totalCharges",
        market_fee_rate: Decimal = "marketFeeRate",
        gross_lend_fee: Decimal = "grossLendFee",
        net_lend_fee_rate: Decimal = "netLendFeeRate",
        net_lend_fee: Decimal = "netLendFee",
        code: CompactString = "code",
    }
}
