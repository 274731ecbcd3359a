//! The coded values of Flex attributes (asset class, side, cash action, …) as tolerant
//! enums: a value IB adds tomorrow becomes `Other(text)`, never an error.

use crate::parse::options::ParseOptions;
use crate::parse::value::FlexValue;
use std::fmt;

macro_rules! flex_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* , )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, as written.
            Other(String),
        }

        impl $name {
            /// Reads a value as IB writes it; unknown values become `Other`.
            pub fn parse(text: &str) -> Self {
                match text {
                    $( $text $(| $alias)* => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }

            /// The value as IB writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(text) => text,
                }
            }
        }

        impl FlexValue for $name {
            #[inline]
            fn from_flex(text: &str, _: &ParseOptions) -> Option<Self> {
                Some(Self::parse(text))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

flex_enum! {
    /// The asset class of a security (`assetCategory`).
    AssetClass {
        /// Stock.
        Stock = "STK",
        /// Option.
        Option = "OPT",
        /// Future.
        Future = "FUT",
        /// Option on a future.
        FutureOption = "FOP",
        /// Cash / forex.
        Cash = "CASH",
        /// Bond.
        Bond = "BOND",
        /// Treasury bill.
        Bill = "BILL",
        /// Contract for difference.
        Cfd = "CFD",
        /// Forex CFD.
        ForexCfd = "FXCFD",
        /// Commodity.
        Commodity = "CMDTY",
        /// Crypto currency.
        Crypto = "CRYPTO",
        /// Mutual fund.
        Fund = "FUND",
        /// Warrant.
        Warrant = "WAR",
        /// Structured product.
        StructuredProduct = "IOPT",
        /// Single-stock future option.
        SingleStockFutureOption = "FSFOP",
        /// Single-stock option.
        SingleStockOption = "FSOPT",
        /// Index.
        Index = "IND",
        /// Event contract.
        EventContract = "EC",
    }
}

flex_enum! {
    /// The side of a trade (`buySell`).
    BuySell {
        /// A purchase.
        Buy = "BUY",
        /// A sale.
        Sell = "SELL",
        /// A cancelled purchase.
        CancelledBuy = "BUY (Ca.)",
        /// A cancelled sale.
        CancelledSell = "SELL (Ca.)",
    }
}

flex_enum! {
    /// Put or call (`putCall`).
    PutCall {
        /// A put.
        Put = "P" | "Put" | "PUT",
        /// A call.
        Call = "C" | "Call" | "CALL",
    }
}

flex_enum! {
    /// Whether a trade opened or closed a position (`openCloseIndicator`).
    OpenClose {
        /// Opening.
        Open = "O",
        /// Closing.
        Close = "C",
        /// Closed one position and opened the opposite one.
        CloseOpen = "C;O",
    }
}

flex_enum! {
    /// Long or short (`side`).
    LongShort {
        /// Long.
        Long = "Long",
        /// Short.
        Short = "Short",
    }
}

flex_enum! {
    /// The order type (`orderType`); several types joined by `;` mean several orders.
    OrderType {
        /// Limit.
        Limit = "LMT",
        /// Market.
        Market = "MKT",
        /// Stop.
        Stop = "STP",
        /// Stop limit.
        StopLimit = "STPLMT",
        /// Market on close.
        MarketOnClose = "MOC",
        /// Limit on close.
        LimitOnClose = "LOC",
        /// Market if touched.
        MarketIfTouched = "MIT",
        /// Limit if touched.
        LimitIfTouched = "LIT",
        /// Trailing stop.
        TrailingStop = "TRAIL",
        /// Trailing stop limit.
        TrailingStopLimit = "TRAILLMT",
        /// Relative / pegged to primary.
        Relative = "REL",
        /// Midprice.
        Midprice = "MIDPX",
        /// Market to limit.
        MarketToLimit = "MTL",
        /// Several order types (IB joins them with `;`).
        Multiple = "MULTIPLE",
    }
}

flex_enum! {
    /// How a trade came about (`transactionType`).
    TradeType {
        /// An exchange execution.
        ExchangeTrade = "ExchTrade",
        /// A booked trade (exercise, assignment, expiry, corporate action).
        BookTrade = "BookTrade",
        /// Delivery versus payment.
        DvpTrade = "DvpTrade",
        /// A fractional share trade.
        FractionalShare = "FracShare",
        /// A cancelled fractional share trade.
        FractionalShareCancel = "FracShareCancel",
        /// A cancelled trade.
        TradeCancel = "TradeCancel",
        /// A corrected trade.
        TradeCorrect = "TradeCorrect",
        /// An internal transfer.
        InternalTransfer = "InternalTransfer",
        /// An adjustment.
        Adjustment = "Adjustment",
    }
}

flex_enum! {
    /// The kind of a cash transaction (`type` of `CashTransaction`).
    CashAction {
        /// Deposits and withdrawals (also written `Deposits/Withdrawals`).
        DepositsWithdrawals = "Deposits & Withdrawals" | "Deposits/Withdrawals",
        /// Dividends.
        Dividends = "Dividends",
        /// Payment in lieu of dividends.
        PaymentInLieu = "Payment In Lieu Of Dividends",
        /// Withholding tax.
        WithholdingTax = "Withholding Tax",
        /// 871(m) withholding.
        Withholding871m = "871(m) Withholding",
        /// Broker interest paid.
        BrokerInterestPaid = "Broker Interest Paid",
        /// Broker interest received.
        BrokerInterestReceived = "Broker Interest Received",
        /// Bond interest paid.
        BondInterestPaid = "Bond Interest Paid",
        /// Bond interest received.
        BondInterestReceived = "Bond Interest Received",
        /// Bond interest (either direction).
        BondInterest = "Bond Interest",
        /// Other fees.
        OtherFees = "Other Fees",
        /// Commission adjustments.
        CommissionAdjustments = "Commission Adjustments",
        /// Price adjustments.
        PriceAdjustments = "Price Adjustments",
        /// Advisor fees.
        AdvisorFees = "Advisor Fees",
    }
}

flex_enum! {
    /// The kind of a corporate action (`type` of `CorporateAction`).
    Reorg {
        /// Bond conversion.
        BondConversion = "BC",
        /// Bond maturity.
        BondMaturity = "BM",
        /// Contract consolidation.
        ContractConsolidation = "CC",
        /// Contract spin-off.
        ContractSpinoff = "CS",
        /// Cash merger.
        CashMerger = "TC",
        /// Choice dividend.
        ChoiceDividend = "CD",
        /// Dividend rights issue.
        DividendRightsIssue = "DI",
        /// Delisted.
        Delisted = "DL",
        /// Delist worthless.
        DelistWorthless = "DW",
        /// Forward split.
        ForwardSplit = "FS",
        /// Issue change.
        IssueChange = "IC",
        /// Merged (acquisition for stock).
        Merged = "TO",
        /// Reverse split.
        ReverseSplit = "RS",
        /// Rights issue.
        RightsIssue = "RI",
        /// Spin-off.
        Spinoff = "SO",
        /// Stock dividend.
        StockDividend = "SD",
        /// Subscribe rights.
        SubscribeRights = "SR",
        /// Tender.
        Tender = "TI",
        /// Coupon payment.
        CouponPayment = "CP",
        /// Expire dividend right.
        ExpireDividendRight = "ED",
        /// Generic voluntary.
        GenericVoluntary = "GV",
        /// Partial call.
        PartialCall = "PC",
        /// Proxy vote.
        ProxyVote = "PV",
        /// Odd lot.
        OddLot = "OR",
        /// Asset purchase.
        AssetPurchase = "AP",
        /// Fee allocation.
        FeeAllocation = "FA",
        /// Hybrid (cash and stock) merger.
        HybridMerger = "HI",
        /// CUSIP or ISIN change.
        CusipChange = "CH",
        /// Bankruptcy.
        Bankruptcy = "BP",
        /// Deposit.
        Deposit = "DP",
        /// Exercise (rights or warrants).
        Exercise = "EX",
    }
}

flex_enum! {
    /// The kind of option event (`transactionType` of `OptionEAE`).
    OptionAction {
        /// Assignment.
        Assignment = "Assignment",
        /// Exercise.
        Exercise = "Exercise",
        /// Expiration.
        Expiration = "Expiration",
        /// The underlying purchase or sale it caused.
        Buy = "Buy",
        /// The underlying purchase or sale it caused.
        Sell = "Sell",
        /// A cash settlement.
        CashSettlement = "Cash Settlement",
    }
}

flex_enum! {
    /// The direction of a transfer (`direction`).
    TransferDirection {
        /// Into the account.
        In = "IN",
        /// Out of the account.
        Out = "OUT",
    }
}

flex_enum! {
    /// The kind of a transfer (`type` of `Transfer`).
    TransferType {
        /// Between IB accounts.
        Internal = "INTERNAL",
        /// ACATS (also written `ACAT`).
        Acats = "ACATS" | "ACAT",
        /// ATON.
        Aton = "ATON",
        /// Free of payment.
        FreeOfPayment = "FOP",
        /// Delivery versus payment.
        DeliveryVersusPayment = "DVP",
    }
}

flex_enum! {
    /// The kind of report (`type` of `FlexQueryResponse`).
    ReportKind {
        /// An activity statement.
        Activity = "AF",
        /// Trade confirmations.
        TradeConfirmation = "TCF",
    }
}

flex_enum! {
    /// One code from `notes` / `code` (`O;P` → `Opening`, `Partial`).
    Code {
        /// Assignment.
        Assignment = "A",
        /// Adjustment.
        Adjustment = "Adj",
        /// Allocation.
        Allocation = "Al",
        /// Automatic exercise (dividend related).
        AutoExercise = "Aex",
        /// Away trade.
        Away = "AFx",
        /// Trade at a better price than the NBBO.
        Broker = "B",
        /// Bust.
        Bust = "Bo",
        /// Closing.
        Closing = "C",
        /// Cancelled.
        Cancelled = "Ca",
        /// Complex position.
        ComplexPosition = "Co",
        /// Corrected.
        Corrected = "Cx",
        /// Cash delivery.
        CashDelivery = "CD",
        /// Debit card.
        DebitCard = "DC",
        /// Delivery.
        Delivery = "Del",
        /// Direct borrow.
        DirectBorrow = "DB",
        /// Exercise.
        Exercise = "Ex",
        /// Expired.
        Expired = "Ep",
        /// Fractional.
        Fractional = "FP",
        /// Fractional riskless principal.
        FractionalRiskless = "FPA",
        /// First in, first out.
        Fifo = "FIFO",
        /// Guaranteed.
        Guaranteed = "G",
        /// Highest cost.
        HighestCost = "HC",
        /// Investment transferred to a hard-to-borrow account.
        HardToBorrow = "HFI",
        /// Internal transfer.
        InternalTransfer = "I",
        /// Ib riskless principal.
        IbPrincipal = "IA",
        /// Interest or dividend accrual.
        Interest = "INV",
        /// Last in, first out.
        Lifo = "LI",
        /// Loan.
        Loan = "L",
        /// Long-term capital gain.
        LongTerm = "LT",
        /// Manual entry.
        Manual = "M",
        /// Max loss.
        MaxLoss = "ML",
        /// Maximise long-term gain.
        MaxLongTermGain = "MLG",
        /// Maximise short-term gain.
        MaxShortTermGain = "MSG",
        /// Opening.
        Opening = "O",
        /// Partial execution.
        Partial = "P",
        /// Price improvement.
        PriceImprovement = "PI",
        /// Post accrual.
        PostAccrual = "Po",
        /// Principal.
        Principal = "Pr",
        /// Reinvestment.
        Reinvestment = "Re",
        /// Redemption.
        Redemption = "Red",
        /// Reversal.
        Reversal = "Rev",
        /// Riskless principal.
        Riskless = "Ri",
        /// Short-term capital gain.
        ShortTerm = "ST",
        /// Specific lot.
        SpecificLot = "SL",
        /// Solicited by IB.
        SolicitedIb = "SI",
        /// Solicited otherwise.
        SolicitedOther = "SO",
        /// Short sale transaction.
        ShortSale = "SS",
        /// Transfer.
        Transfer = "T",
        /// Unvested.
        Unvested = "U",
        /// Wash sale.
        WashSale = "W",
    }
}

/// Splits a `notes` / `code` value into its codes (`;`-separated, else `,`).
pub fn split_codes(notes: &str) -> impl Iterator<Item = Code> + '_ {
    let separator = if notes.contains(';') { ';' } else { ',' };
    notes
        .split(separator)
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(Code::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_map_to_variants_and_round_trip() {
        assert_eq!(AssetClass::parse("STK"), AssetClass::Stock);
        assert_eq!(BuySell::parse("SELL (Ca.)"), BuySell::CancelledSell);
        assert_eq!(
            CashAction::parse("Deposits/Withdrawals"),
            CashAction::DepositsWithdrawals
        );
        assert_eq!(TransferType::parse("ACAT"), TransferType::Acats);
        assert_eq!(OpenClose::parse("C;O").as_str(), "C;O");
    }

    #[test]
    fn unknown_values_are_kept_as_other() {
        assert_eq!(
            TradeType::parse("Assignment"),
            TradeType::Other("Assignment".to_owned())
        );
        assert_eq!(AssetClass::parse("unknown").to_string(), "unknown");
    }

    #[test]
    fn notes_split_into_codes() {
        let codes: Vec<Code> = split_codes("O;P;XYZ").collect();
        assert_eq!(
            codes,
            [Code::Opening, Code::Partial, Code::Other("XYZ".into())]
        );
        let codes: Vec<Code> = split_codes("C,FPA").collect();
        assert_eq!(codes, [Code::Closing, Code::FractionalRiskless]);
    }
}
