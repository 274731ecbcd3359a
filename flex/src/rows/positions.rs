//! Rows describing holdings: open positions, forex lots, prior-period and net positions.

use super::prelude::*;

security_row! {
    /// A position held at the end of the period (`<OpenPosition>`).
    OpenPosition = "OpenPosition" {
        report_date: NaiveDate = "reportDate",
        position: Decimal = "position",
        mark_price: Decimal = "markPrice",
        position_value: Decimal = "positionValue",
        open_price: Decimal = "openPrice",
        cost_basis_price: Decimal = "costBasisPrice",
        cost_basis_money: Decimal = "costBasisMoney",
        percent_of_nav: Decimal = "percentOfNAV",
        fifo_pnl_unrealized: Decimal = "fifoPnlUnrealized",
        side: LongShort = "side",
        level_of_detail: CompactString = "levelOfDetail",
        open_date_time: FlexDateTime = "openDateTime",
        holding_period_date_time: FlexDateTime = "holdingPeriodDateTime",
        originating_order_id: CompactString = "originatingOrderID",
        originating_transaction_id: CompactString = "originatingTransactionID",
        accrued_int: Decimal = "accruedInt",
        code: CompactString = "code",
    }
}

flex_row! {
    /// A lot of a foreign-currency cash balance (`<FxLot>` inside `FxPositions>FxLots`).
    FxLot = "FxLot" {
        account_id: CompactString = "accountId",
        acct_alias: CompactString = "acctAlias",
        model: CompactString = "model",
        asset_category: AssetClass = "assetCategory",
        report_date: NaiveDate = "reportDate",
        functional_currency: CompactString = "functionalCurrency",
        fx_currency: CompactString = "fxCurrency",
        quantity: Decimal = "quantity",
        cost_price: Decimal = "costPrice",
        cost_basis: Decimal = "costBasis",
        close_price: Decimal = "closePrice",
        value: Decimal = "value",
        unrealized_pl: Decimal = "unrealizedPL",
        code: CompactString = "code",
        lot_description: CompactString = "lotDescription",
        lot_open_date_time: FlexDateTime = "lotOpenDateTime",
        level_of_detail: CompactString = "levelOfDetail",
    }
}

security_row! {
    /// A position's value on an earlier day of the period (`<PriorPeriodPosition>`).
    PriorPeriodPosition = "PriorPeriodPosition" {
        date: NaiveDate = "date",
        price: Decimal = "price",
        prior_mtm_pnl: Decimal = "priorMtmPnl",
    }
}

security_row! {
    /// Shares held versus shares borrowed/lent (`<NetStockPosition>`).
    NetStockPosition = "NetStockPosition" {
        report_date: NaiveDate = "reportDate",
        shares_at_ib: Decimal = "sharesAtIb",
        shares_borrowed: Decimal = "sharesBorrowed",
        shares_lent: Decimal = "sharesLent",
        net_shares: Decimal = "netShares",
    }
}

security_row! {
    /// An open securities-lending contract (`<SLBOpenContract>`).
    SlbOpenContract = "SLBOpenContract" {
        date: NaiveDate = "date",
        transaction_id: CompactString = "transactionID",
        activity_description: CompactString = "activityDescription",
        quantity: Decimal = "quantity",
        collateral_amount: Decimal = "collateralAmount",
        mark_quantity: Decimal = "markQuantity",
        mark_price_amount: Decimal = "markPriceAmount",
    }
}
