//! How tolerant the parser is and which date format it expects.

use crate::parse::dates::DateFormat;

/// Parser settings. The default is tolerant and detects date formats by itself.
///
/// ```
/// use ibkr_flex::{DateFormat, ParseOptions};
/// let options = ParseOptions::default().date_format(DateFormat::DayFirst).strict(true);
/// assert!(options.is_strict());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    date_format: DateFormat,
    strict: bool,
}

impl ParseOptions {
    /// Sets the date format the query was configured with (default: detected per value).
    pub fn date_format(mut self, format: DateFormat) -> Self {
        self.date_format = format;
        self
    }

    /// In strict mode a value that does not parse as its typed attribute (say
    /// `quantity="abc"`) is an error. By default it is kept as an untyped attribute of the
    /// row instead, so nothing is lost and nothing fails.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The date format in use.
    pub fn get_date_format(&self) -> DateFormat {
        self.date_format
    }

    /// Whether unparseable values are errors.
    pub fn is_strict(&self) -> bool {
        self.strict
    }
}
