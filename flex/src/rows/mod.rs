//! Typed rows: one struct per Flex row element, with the important attributes typed and
//! every other attribute kept in `extra`.

#[macro_use]
mod macros;
pub mod account;
pub mod cash;
pub mod enums;
pub mod events;
pub mod positions;
pub mod reference;
pub mod trades;

use crate::parse::attributes::AttributeList;
use crate::parse::error::{ParseError, ParseErrorKind, ParseWarning};
use crate::parse::options::ParseOptions;
use crate::parse::row::{Row, RowRef};

/// What the row modules need in scope for the declaration macros.
mod prelude {
    pub(crate) use super::enums::{
        AssetClass, BuySell, CashAction, LongShort, OpenClose, OptionAction, OrderType, PutCall,
        Reorg, TradeType, TransferDirection, TransferType,
    };
    pub(crate) use crate::parse::dates::FlexDateTime;
    pub(crate) use chrono::NaiveDate;
    pub(crate) use compact_str::CompactString;
    pub(crate) use rust_decimal::Decimal;
}

/// A typed row that can be read from a streamed [`RowRef`].
pub trait FromRow: Sized {
    /// Reads the row's attributes into the typed fields; warnings (tolerant mode) are
    /// logged with `tracing`.
    fn from_row(row: &RowRef<'_>, options: &ParseOptions) -> Result<Self, ParseError> {
        Self::from_row_with(row, options, &mut Vec::new())
    }

    /// Reads the row's attributes into the typed fields, adding a [`ParseWarning`] for
    /// each value accepted with a change (tolerant mode).
    fn from_row_with(
        row: &RowRef<'_>,
        options: &ParseOptions,
        warnings: &mut Vec<ParseWarning>,
    ) -> Result<Self, ParseError>;
}

/// A decimal with more digits than a `Decimal` holds: an error in strict mode; otherwise
/// the rounded value goes in the typed field, the exact text in `extra`, and a warning
/// says so.
#[cold]
pub(crate) fn keep_rounded(
    row: &RowRef<'_>,
    options: &ParseOptions,
    name: &str,
    value: &str,
    extra: &mut AttributeList,
    warnings: &mut Vec<ParseWarning>,
) -> Result<(), ParseError> {
    let error = row.error_at_attribute(
        name,
        ParseErrorKind::InexactValue {
            element: row.element().to_owned(),
            attribute: name.to_owned(),
            value: value.to_owned(),
        },
    );
    if options.is_strict() {
        return Err(error);
    }
    tracing::warn!("{error}; kept the exact text in the row's extra attributes");
    extra.push(name, value);
    warnings.push(error.into());
    Ok(())
}

/// A typed attribute whose value did not parse: an error in strict mode, otherwise kept
/// as an untyped attribute so nothing is lost.
#[cold]
pub(crate) fn keep_invalid(
    row: &RowRef<'_>,
    options: &ParseOptions,
    name: &str,
    value: &str,
    extra: &mut AttributeList,
) -> Result<(), ParseError> {
    if options.is_strict() {
        return Err(row.error(ParseErrorKind::InvalidValue {
            element: row.element().to_owned(),
            attribute: name.to_owned(),
            value: value.to_owned(),
        }));
    }
    tracing::debug!(
        element = row.element(),
        attribute = name,
        value,
        "kept an unparseable Flex value as text"
    );
    extra.push(name, value);
    Ok(())
}

pub use account::*;
pub use cash::*;
pub use events::*;
pub use positions::*;
pub use reference::*;
pub use trades::*;

/// Declares the typed row enum, the dispatch by element name and the statement's lists.
macro_rules! statement_rows {
    ( $( $ty:ident => $field:ident, )* ) => {
        /// Any typed row; `Other` for elements this version does not type.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum TypedRow {
            $(
                #[doc = concat!("A `", stringify!($ty), "` row.")]
                $ty($ty),
            )*
            /// A row of an element without a typed struct, kept generically.
            Other(Row),
        }

        impl TypedRow {
            /// Reads a streamed row into its typed struct, chosen by element name.
            pub fn from_row(row: &RowRef<'_>, options: &ParseOptions) -> Result<Self, ParseError> {
                Self::from_row_with(row, options, &mut Vec::new())
            }

            /// Like [`TypedRow::from_row`], adding a [`ParseWarning`] for each value
            /// accepted with a change (tolerant mode).
            pub fn from_row_with(
                row: &RowRef<'_>,
                options: &ParseOptions,
                warnings: &mut Vec<ParseWarning>,
            ) -> Result<Self, ParseError> {
                Ok(match row.element() {
                    $( $ty::ELEMENT => TypedRow::$ty($ty::from_row_with(row, options, warnings)?), )*
                    _ => TypedRow::Other(row.to_row()?),
                })
            }
        }

        /// The typed rows of one statement, one list per row element.
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct StatementRows {
            $(
                #[doc = concat!("Every `<", stringify!($ty), ">` row, in document order.")]
                pub $field: Vec<$ty>,
            )*
        }

        impl StatementRows {
            /// Reads a streamed row straight into the list of its element: a default row
            /// is pushed and filled where it lies (no `TypedRow` or returned struct in
            /// between, so a large row is never moved); gives back, generically, a row
            /// that has no list here. On an error the half-read row is removed.
            pub(crate) fn read(
                &mut self,
                row: &RowRef<'_>,
                options: &ParseOptions,
                warnings: &mut Vec<ParseWarning>,
            ) -> Result<Option<Row>, ParseError> {
                match row.element() {
                    $( $ty::ELEMENT => {
                        let list = &mut self.$field;
                        list.push($ty::default());
                        if let Some(last) = list.last_mut()
                            && let Err(error) = last.read_into(row, options, warnings)
                        {
                            list.pop();
                            return Err(error);
                        }
                    } )*
                    _ => return Ok(Some(row.to_row()?)),
                }
                Ok(None)
            }
        }
    };
}

statement_rows! {
    AccountInformation => account_information,
    ChangeInNav => change_in_nav,
    EquitySummaryByReportDateInBase => equity_summary_in_base,
    CashReportCurrency => cash_report,
    StatementOfFundsLine => stmt_funds,
    MtdYtdPerformanceSummaryUnderlying => mtd_ytd_performance_summary,
    MtmPerformanceSummaryUnderlying => mtm_performance_summary,
    FifoPerformanceSummaryUnderlying => fifo_performance_summary,
    ChangeInPositionValue => change_in_position_values,
    Trade => trades,
    Order => orders,
    SymbolSummary => symbol_summaries,
    AssetSummary => asset_summaries,
    Lot => lots,
    WashSale => wash_sales,
    TradeConfirm => trade_confirms,
    TradeTransfer => trade_transfers,
    FxTransaction => fx_transactions,
    OpenPosition => open_positions,
    FxLot => fx_positions,
    PriorPeriodPosition => prior_period_positions,
    NetStockPosition => net_stock_positions,
    SlbOpenContract => slb_open_contracts,
    CashTransaction => cash_transactions,
    InterestAccrualsCurrency => interest_accruals,
    TierInterestDetail => tier_interest_details,
    TransactionTax => transaction_taxes,
    SalesTax => sales_taxes,
    ClientFee => client_fees,
    DebitCardActivity => debit_card_activities,
    UnbundledCommissionDetail => unbundled_commission_details,
    ChangeInDividendAccrual => change_in_dividend_accruals,
    OpenDividendAccrual => open_dividend_accruals,
    HardToBorrowDetail => hard_to_borrow_details,
    SlbActivity => slb_activities,
    SlbFee => slb_fees,
    CorporateAction => corporate_actions,
    OptionEae => option_eae,
    Transfer => transfers,
    UnsettledTransfer => unsettled_transfers,
    StockGrantActivity => stock_grant_activities,
    SecurityInfo => securities_info,
    ConversionRate => conversion_rates,
}
