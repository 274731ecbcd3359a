//! Conversion of one raw attribute value into the type of a typed row field.

use crate::parse::dates::{FlexDateTime, parse_date, parse_date_time, parse_time};
use crate::parse::decimal::{DecimalRead, parse_decimal, read_decimal};
use crate::parse::options::ParseOptions;
use chrono::{NaiveDate, NaiveTime};
use compact_str::CompactString;
use rust_decimal::Decimal;

/// How a present attribute value reads as a typed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlexRead<T> {
    /// The value, exactly as written.
    Exact(T),
    /// The nearest value the type holds (a decimal with more than 28 decimal places).
    Rounded(T),
    /// Not readable as this type.
    Invalid,
}

/// A type a Flex attribute value can be read as. Absent values (`""`, `-`, `N/A`, …) never
/// reach this trait; `None` means "present but not readable as this type".
pub trait FlexValue: Sized {
    /// Whether `MULTI` means "no value" in a column of this type. IB writes `MULTI` as a
    /// placeholder in summary rows, in dates, times, amounts and codes; only a text column
    /// (a description, a symbol) can really hold the word.
    const MULTI_IS_ABSENT: bool = true;

    /// Reads the (unescaped) attribute text.
    fn from_flex(text: &str, options: &ParseOptions) -> Option<Self>;

    /// Reads the text and says whether the value is exact (by default, a value read is).
    #[inline]
    fn read_flex(text: &str, options: &ParseOptions) -> FlexRead<Self> {
        match Self::from_flex(text, options) {
            Some(value) => FlexRead::Exact(value),
            None => FlexRead::Invalid,
        }
    }
}

/// Whether this raw value means "no value" in a column of type `T`.
#[inline]
pub fn is_absent_for<T: FlexValue>(value: &str) -> bool {
    if T::MULTI_IS_ABSENT {
        crate::parse::absent::is_absent(value)
    } else {
        crate::parse::absent::is_absent_text(value)
    }
}

impl FlexValue for String {
    const MULTI_IS_ABSENT: bool = false;

    #[inline]
    fn from_flex(text: &str, _: &ParseOptions) -> Option<Self> {
        Some(text.to_owned())
    }
}

/// Text fields of typed rows: up to 24 bytes are stored inline, so most values (an
/// account id, a currency, a symbol, an ISIN, an exchange) cost no allocation.
impl FlexValue for CompactString {
    const MULTI_IS_ABSENT: bool = false;

    #[inline]
    fn from_flex(text: &str, _: &ParseOptions) -> Option<Self> {
        Some(CompactString::new(text))
    }
}

impl FlexValue for Decimal {
    #[inline]
    fn from_flex(text: &str, _: &ParseOptions) -> Option<Self> {
        parse_decimal(text)
    }

    #[inline]
    fn read_flex(text: &str, _: &ParseOptions) -> FlexRead<Self> {
        match read_decimal(text) {
            DecimalRead::Exact(value) => FlexRead::Exact(value),
            DecimalRead::Rounded(value) => FlexRead::Rounded(value),
            DecimalRead::Invalid => FlexRead::Invalid,
        }
    }
}

impl FlexValue for i64 {
    #[inline]
    fn from_flex(text: &str, _: &ParseOptions) -> Option<Self> {
        text.parse().ok()
    }
}

impl FlexValue for bool {
    #[inline]
    fn from_flex(text: &str, _: &ParseOptions) -> Option<Self> {
        match text {
            "Y" | "Yes" | "YES" | "y" | "true" | "True" | "TRUE" | "1" => Some(true),
            "N" | "No" | "NO" | "n" | "false" | "False" | "FALSE" | "0" => Some(false),
            _ => None,
        }
    }
}

impl FlexValue for NaiveDate {
    #[inline]
    fn from_flex(text: &str, options: &ParseOptions) -> Option<Self> {
        parse_date(text, options.get_date_format())
    }
}

impl FlexValue for NaiveTime {
    #[inline]
    fn from_flex(text: &str, _: &ParseOptions) -> Option<Self> {
        parse_time(text)
    }
}

impl FlexValue for FlexDateTime {
    #[inline]
    fn from_flex(text: &str, options: &ParseOptions) -> Option<Self> {
        parse_date_time(text, options.get_date_format())
    }
}
