//! The macros that declare typed rows: one line per typed attribute, everything else
//! kept in the row's `extra` attributes.

/// Declares a typed row: `Name = "Element" { field: Type = "attributeName", … }`.
macro_rules! flex_row {
    (
        $(#[$meta:meta])*
        $name:ident = $element:literal {
            $( $field:ident : $ty:ty = $attr:literal, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// Every field is optional (absent, `""`, `-`, `--` and `N/A` are `None`, and so is
        /// `MULTI` except in text fields); attributes not typed here stay reachable in `extra`.
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $(
                #[doc = concat!("The `", $attr, "` attribute.")]
                pub $field: Option<$ty>,
            )*
            /// Every attribute not typed above, any typed one whose value did not parse
            /// (tolerant mode), and the exact text of any decimal rounded to fit its
            /// field (tolerant mode, with a warning), as written, in document order.
            pub extra: $crate::AttributeList,
        }

        impl $name {
            /// The XML element name of this row.
            pub const ELEMENT: &'static str = $element;
        }

        impl $crate::rows::FromRow for $name {
            fn from_row_with(
                row: &$crate::RowRef<'_>,
                options: &$crate::ParseOptions,
                warnings: &mut Vec<$crate::ParseWarning>,
            ) -> Result<Self, $crate::ParseError> {
                let mut out = Self::default();
                out.read_into(row, options, warnings)?;
                Ok(out)
            }
        }

        impl $name {
            /// Reads the row's attributes into this (default) row, where it lies: a row
            /// read straight into its statement's list is not moved (a `Trade` is 1.6 KB).
            pub(crate) fn read_into(
                &mut self,
                row: &$crate::RowRef<'_>,
                options: &$crate::ParseOptions,
                warnings: &mut Vec<$crate::ParseWarning>,
            ) -> Result<(), $crate::ParseError> {
                use $crate::parse::value::{FlexRead, FlexValue, is_absent_for};
                let out = self;
                for item in row.raw_attributes() {
                    let (name, raw, special) = item?;
                    let value = row.value(raw, special)?;
                    let value: &str = &value;
                    match name {
                        $(
                            $attr => {
                                if !is_absent_for::<$ty>(value) {
                                    match <$ty as FlexValue>::read_flex(value, options) {
                                        FlexRead::Exact(parsed) => out.$field = Some(parsed),
                                        FlexRead::Rounded(parsed) => {
                                            $crate::rows::keep_rounded(row, options, name, value, &mut out.extra, warnings)?;
                                            out.$field = Some(parsed);
                                        }
                                        FlexRead::Invalid => $crate::rows::keep_invalid(row, options, name, value, &mut out.extra)?,
                                    }
                                }
                            }
                        )*
                        _ => out.extra.push(name, value),
                    }
                }
                Ok(())
            }
        }
    };
}

/// Declares a row that describes a security: the security attributes IB writes on most
/// rows come first, then the row's own.
macro_rules! security_row {
    (
        $(#[$meta:meta])*
        $name:ident = $element:literal { $($rest:tt)* }
    ) => {
        flex_row! {
            $(#[$meta])*
            $name = $element {
                account_id: CompactString = "accountId",
                acct_alias: CompactString = "acctAlias",
                model: CompactString = "model",
                currency: CompactString = "currency",
                fx_rate_to_base: Decimal = "fxRateToBase",
                asset_category: AssetClass = "assetCategory",
                sub_category: CompactString = "subCategory",
                symbol: CompactString = "symbol",
                description: CompactString = "description",
                conid: i64 = "conid",
                security_id: CompactString = "securityID",
                security_id_type: CompactString = "securityIDType",
                cusip: CompactString = "cusip",
                isin: CompactString = "isin",
                figi: CompactString = "figi",
                listing_exchange: CompactString = "listingExchange",
                underlying_conid: i64 = "underlyingConid",
                underlying_symbol: CompactString = "underlyingSymbol",
                underlying_security_id: CompactString = "underlyingSecurityID",
                underlying_listing_exchange: CompactString = "underlyingListingExchange",
                issuer: CompactString = "issuer",
                multiplier: Decimal = "multiplier",
                strike: Decimal = "strike",
                expiry: NaiveDate = "expiry",
                put_call: PutCall = "putCall",
                principal_adjust_factor: Decimal = "principalAdjustFactor",
                $($rest)*
            }
        }
    };
}

/// Declares one of the rows of the `Trades` section (they share IB's trade columns).
macro_rules! trade_row {
    ($(#[$meta:meta])* $name:ident = $element:literal) => {
        security_row! {
            $(#[$meta])*
            $name = $element {
                trade_id: CompactString = "tradeID",
                transaction_id: CompactString = "transactionID",
                ib_order_id: CompactString = "ibOrderID",
                ib_exec_id: CompactString = "ibExecID",
                brokerage_order_id: CompactString = "brokerageOrderID",
                order_reference: CompactString = "orderReference",
                exchange: CompactString = "exchange",
                report_date: NaiveDate = "reportDate",
                date_time: FlexDateTime = "dateTime",
                trade_date: NaiveDate = "tradeDate",
                settle_date_target: NaiveDate = "settleDateTarget",
                transaction_type: TradeType = "transactionType",
                quantity: Decimal = "quantity",
                trade_price: Decimal = "tradePrice",
                trade_money: Decimal = "tradeMoney",
                proceeds: Decimal = "proceeds",
                taxes: Decimal = "taxes",
                ib_commission: Decimal = "ibCommission",
                ib_commission_currency: CompactString = "ibCommissionCurrency",
                net_cash: Decimal = "netCash",
                net_cash_in_base: Decimal = "netCashInBase",
                close_price: Decimal = "closePrice",
                open_close_indicator: OpenClose = "openCloseIndicator",
                notes: CompactString = "notes",
                cost: Decimal = "cost",
                fifo_pnl_realized: Decimal = "fifoPnlRealized",
                capital_gains_pnl: Decimal = "capitalGainsPnl",
                fx_pnl: Decimal = "fxPnl",
                mtm_pnl: Decimal = "mtmPnl",
                orig_trade_price: Decimal = "origTradePrice",
                orig_trade_date: NaiveDate = "origTradeDate",
                orig_trade_id: CompactString = "origTradeID",
                orig_order_id: CompactString = "origOrderID",
                orig_transaction_id: CompactString = "origTransactionID",
                buy_sell: BuySell = "buySell",
                order_time: FlexDateTime = "orderTime",
                open_date_time: FlexDateTime = "openDateTime",
                holding_period_date_time: FlexDateTime = "holdingPeriodDateTime",
                when_realized: FlexDateTime = "whenRealized",
                when_reopened: FlexDateTime = "whenReopened",
                level_of_detail: CompactString = "levelOfDetail",
                order_type: OrderType = "orderType",
                is_api_order: bool = "isAPIOrder",
                accrued_int: Decimal = "accruedInt",
                change_in_price: Decimal = "changeInPrice",
                change_in_quantity: Decimal = "changeInQuantity",
                trader_id: CompactString = "traderID",
                ext_exec_id: CompactString = "extExecID",
                related_trade_id: CompactString = "relatedTradeID",
                position_action_id: CompactString = "positionActionID",
            }
        }

        impl $name {
            /// The codes of `notes` (`O;P` → `Opening`, `Partial`).
            pub fn codes(&self) -> impl Iterator<Item = $crate::Code> + '_ {
                $crate::rows::enums::split_codes(self.notes.as_deref().unwrap_or(""))
            }
        }
    };
}
