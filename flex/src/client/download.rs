//! A downloaded statement: its bytes and format, ready to parse.

use crate::generic::GenericReport;
use crate::parse::error::ParseError;
use crate::parse::options::ParseOptions;
use crate::report::FlexReport;

/// The format of a downloaded report (as configured on the query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportFormat {
    /// Flex XML (`<FlexQueryResponse>`).
    Xml,
    /// CSV or text.
    Text,
}

/// A statement as returned by GetStatement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlexDownload {
    body: Vec<u8>,
    format: ReportFormat,
}

impl FlexDownload {
    pub(crate) fn new(body: Vec<u8>, format: ReportFormat) -> Self {
        Self { body, format }
    }

    /// The format.
    pub fn format(&self) -> ReportFormat {
        self.format
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The raw bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.body
    }

    /// Parses the XML into typed rows.
    pub fn parse(&self) -> Result<FlexReport, ParseError> {
        FlexReport::from_reader(self.body.as_slice())
    }

    /// Parses the XML into typed rows with options.
    pub fn parse_with(&self, options: ParseOptions) -> Result<FlexReport, ParseError> {
        FlexReport::from_reader_with(self.body.as_slice(), options)
    }

    /// Parses the XML into the lossless generic view.
    pub fn parse_generic(&self) -> Result<GenericReport, ParseError> {
        GenericReport::from_reader(self.body.as_slice())
    }
}
