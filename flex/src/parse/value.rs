//! Conversion of one raw attribute value into the type of a typed row field.

use crate::parse::dates::{FlexDateTime, parse_date, parse_date_time, parse_time};
use crate::parse::decimal::parse_decimal;
use crate::parse::options::ParseOptions;
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

/// A type a Flex attribute value can be read as. Absent values (`""`, `-`, `N/A`, …) never
/// reach this trait; `None` means "present but not readable as this type".
pub trait FlexValue: Sized {
    /// Reads the (unescaped) attribute text.
    fn from_flex(text: &str, options: &ParseOptions) -> Option<Self>;
}

impl FlexValue for String {
    #[inline]
    fn from_flex(text: &str, _: &ParseOptions) -> Option<Self> {
        Some(text.to_owned())
    }
}

impl FlexValue for Decimal {
    #[inline]
    fn from_flex(text: &str, _: &ParseOptions) -> Option<Self> {
        parse_decimal(text)
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
