//! Rows of the `Trades` and `TradeConfirms` sections: executions, orders, summaries,
//! closed lots and wash sales, and trade confirmations.

use super::prelude::*;

trade_row! {
    /// One execution (`<Trade>`), the row most users want.
    Trade = "Trade"
}

trade_row! {
    /// An order summarising its executions (`<Order>`, level of detail `ORDER`).
    Order = "Order"
}

trade_row! {
    /// Trades summed per symbol (`<SymbolSummary>`).
    SymbolSummary = "SymbolSummary"
}

trade_row! {
    /// Trades summed per asset class (`<AssetSummary>`).
    AssetSummary = "AssetSummary"
}

trade_row! {
    /// A closed tax lot of a closing trade (`<Lot>`, level of detail `CLOSED_LOT`).
    Lot = "Lot"
}

trade_row! {
    /// A wash sale adjustment (`<WashSale>`).
    WashSale = "WashSale"
}

security_row! {
    /// A trade confirmation (`<TradeConfirm>`, in `TCF` reports and activity statements).
    TradeConfirm = "TradeConfirm" {
        trade_id: CompactString = "tradeID",
        order_id: CompactString = "orderID",
        exec_id: CompactString = "execID",
        brokerage_order_id: CompactString = "brokerageOrderID",
        order_reference: CompactString = "orderReference",
        exchange: CompactString = "exchange",
        report_date: NaiveDate = "reportDate",
        trade_date: NaiveDate = "tradeDate",
        settle_date: NaiveDate = "settleDate",
        date_time: FlexDateTime = "dateTime",
        order_time: FlexDateTime = "orderTime",
        transaction_type: TradeType = "transactionType",
        buy_sell: BuySell = "buySell",
        quantity: Decimal = "quantity",
        price: Decimal = "price",
        amount: Decimal = "amount",
        proceeds: Decimal = "proceeds",
        net_cash: Decimal = "netCash",
        commission: Decimal = "commission",
        commission_currency: CompactString = "commissionCurrency",
        tax: Decimal = "tax",
        accrued_interest: Decimal = "accruedInterest",
        order_type: OrderType = "orderType",
        code: CompactString = "code",
        level_of_detail: CompactString = "levelOfDetail",
        trader_id: CompactString = "traderID",
        is_api_order: bool = "isAPIOrder",
        allocated_to: CompactString = "allocatedTo",
    }
}

security_row! {
    /// A trade transferred from another broker (`<TradeTransfer>`).
    TradeTransfer = "TradeTransfer" {
        trade_id: CompactString = "tradeID",
        transaction_id: CompactString = "transactionID",
        report_date: NaiveDate = "reportDate",
        date_time: FlexDateTime = "dateTime",
        trade_date: NaiveDate = "tradeDate",
        transaction_type: TradeType = "transactionType",
        buy_sell: BuySell = "buySell",
        quantity: Decimal = "quantity",
        trade_price: Decimal = "tradePrice",
        proceeds: Decimal = "proceeds",
        net_cash: Decimal = "netCash",
        cost: Decimal = "cost",
        direction: TransferDirection = "direction",
        delivered_received: CompactString = "deliveredReceived",
        broker_name: CompactString = "brokerName",
        notes: CompactString = "notes",
        level_of_detail: CompactString = "levelOfDetail",
    }
}

flex_row! {
    /// A currency conversion (`<FxTransaction>`).
    FxTransaction = "FxTransaction" {
        account_id: CompactString = "accountId",
        acct_alias: CompactString = "acctAlias",
        model: CompactString = "model",
        asset_category: AssetClass = "assetCategory",
        report_date: NaiveDate = "reportDate",
        functional_currency: CompactString = "functionalCurrency",
        fx_currency: CompactString = "fxCurrency",
        activity_description: CompactString = "activityDescription",
        date_time: FlexDateTime = "dateTime",
        quantity: Decimal = "quantity",
        proceeds: Decimal = "proceeds",
        cost: Decimal = "cost",
        realized_pl: Decimal = "realizedPL",
        code: CompactString = "code",
        level_of_detail: CompactString = "levelOfDetail",
    }
}
