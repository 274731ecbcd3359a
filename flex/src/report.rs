//! The typed view of a whole Flex document: [`FlexReport`] with its [`FlexStatement`]s.

use crate::generic::Section;
use crate::parse::attributes::AttributeList;
use crate::parse::dates::{FlexDateTime, parse_date, parse_date_time};
use crate::parse::error::{ParseError, ParseErrorKind, ParseWarning};
use crate::parse::options::ParseOptions;
use crate::parse::reader::{FlexEvent, FlexReader};
use crate::parse::row::Row;
use crate::rows::StatementRows;
use crate::rows::enums::ReportKind;
use chrono::NaiveDate;
use std::io::BufRead;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;

/// A parsed Flex document (`<FlexQueryResponse>`): an activity statement (`AF`) or trade
/// confirmations (`TCF`), with one statement per account (or per day).
///
/// ```
/// let xml = r#"<FlexQueryResponse queryName="daily" type="AF"><FlexStatements count="1">
///   <FlexStatement accountId="U1234567" fromDate="20250911" toDate="20250911" period="LastBusinessDay" whenGenerated="20250912;083000">
///     <Trades>
///       <Trade symbol="AAPL" conid="265598" quantity="10" tradePrice="227.5" tradeDate="20250911" buySell="BUY" notes="O;P"/>
///     </Trades>
///     <CashTransactions>
///       <CashTransaction symbol="MSFT" amount="1,234.56" type="Dividends" dateTime="20250911;202000"/>
///     </CashTransactions>
///   </FlexStatement></FlexStatements></FlexQueryResponse>"#;
/// let report: ibkr_flex::FlexReport = xml.parse()?;
/// let statement = &report.statements[0];
/// assert_eq!(statement.account_id.as_deref(), Some("U1234567"));
/// let trade = &statement.trades[0];
/// assert_eq!(trade.symbol.as_deref(), Some("AAPL"));
/// assert_eq!(trade.quantity, Some(rust_decimal::Decimal::from(10)));
/// assert_eq!(trade.buy_sell, Some(ibkr_flex::BuySell::Buy));
/// assert_eq!(statement.cash_transactions[0].amount.unwrap().to_string(), "1234.56");
/// # Ok::<(), ibkr_flex::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct FlexReport {
    /// `queryName`.
    pub query_name: Option<String>,
    /// `type`: `AF` (activity) or `TCF` (trade confirmations).
    pub kind: Option<ReportKind>,
    /// All attributes of `<FlexQueryResponse>`.
    pub attributes: AttributeList,
    /// Every statement in document order (the `count` attribute is ignored).
    pub statements: Vec<FlexStatement>,
    /// Rows outside any statement (hand-edited files); kept rather than dropped.
    pub rows_outside_statements: Vec<Row>,
    /// What the tolerant parse accepted with a change, in document order: decimals
    /// rounded to fit (their exact text is in the row's `extra`) and statement header
    /// dates that do not parse (`None`; their text is in the statement's `attributes`).
    /// Always empty in strict mode, where each is an error.
    pub warnings: Vec<ParseWarning>,
}

/// One `<FlexStatement>`: a period of one account, with its typed rows.
///
/// The typed row lists (`trades`, `cash_transactions`, …) live in [`StatementRows`] and
/// are reachable directly (`statement.trades`) through `Deref`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct FlexStatement {
    /// `accountId`.
    pub account_id: Option<String>,
    /// `fromDate`.
    pub from_date: Option<NaiveDate>,
    /// `toDate`.
    pub to_date: Option<NaiveDate>,
    /// `period` (`LastBusinessDay`, `LastQuarter`, …).
    pub period: Option<String>,
    /// `whenGenerated`.
    pub when_generated: Option<FlexDateTime>,
    /// All attributes of `<FlexStatement>` as written.
    pub attributes: AttributeList,
    /// The names of the sections present, in document order (empty ones included).
    pub section_names: Vec<String>,
    /// The typed rows.
    pub rows: StatementRows,
    /// Rows of elements this version does not type, grouped by section, in document order.
    pub other_sections: Vec<Section>,
}

impl Deref for FlexStatement {
    type Target = StatementRows;

    fn deref(&self) -> &StatementRows {
        &self.rows
    }
}

impl DerefMut for FlexStatement {
    fn deref_mut(&mut self) -> &mut StatementRows {
        &mut self.rows
    }
}

impl FlexStatement {
    /// The statement of this header. Header dates that do not parse are `None`, and their
    /// names are returned beside the statement.
    fn from_header(header: &Row, options: &ParseOptions) -> (Self, Vec<&'static str>) {
        let text = |name: &str| {
            header
                .get(name)
                .filter(|v| !crate::parse::absent::is_absent_text(v))
        };
        let placeholder = |name: &str| {
            header
                .get(name)
                .filter(|v| !crate::parse::absent::is_absent(v))
        };
        let format = options.get_date_format();
        let mut invalid = Vec::new();
        let mut date = |name: &'static str| {
            let value = placeholder(name)?;
            let parsed = parse_date(value, format);
            if parsed.is_none() {
                invalid.push(name);
            }
            parsed
        };
        let from_date = date("fromDate");
        let to_date = date("toDate");
        let when_generated = placeholder("whenGenerated").and_then(|v| {
            let parsed = parse_date_time(v, format);
            if parsed.is_none() {
                invalid.push("whenGenerated");
            }
            parsed
        });
        let statement = FlexStatement {
            account_id: text("accountId").map(str::to_owned),
            from_date,
            to_date,
            period: text("period").map(str::to_owned),
            when_generated,
            attributes: header.attributes().clone(),
            ..FlexStatement::default()
        };
        (statement, invalid)
    }

    fn note_section(&mut self, name: &str) {
        if self.section_names.last().map(String::as_str) != Some(name)
            && !self.section_names.iter().any(|s| s == name)
        {
            self.section_names.push(name.to_owned());
        }
    }

    fn keep_other(&mut self, section: &str, row: Row) {
        match self
            .other_sections
            .iter_mut()
            .rev()
            .find(|s| s.name == section)
        {
            Some(existing) => existing.rows.push(row),
            None => self.other_sections.push(Section {
                name: section.to_owned(),
                rows: vec![row],
            }),
        }
    }
}

impl FlexReport {
    /// Parses a whole document from a stream with default options.
    pub fn from_reader(input: impl BufRead) -> Result<Self, ParseError> {
        Self::from_flex_reader(FlexReader::new(input))
    }

    /// Parses a whole document with the given options.
    pub fn from_reader_with(
        input: impl BufRead,
        options: ParseOptions,
    ) -> Result<Self, ParseError> {
        Self::from_flex_reader(FlexReader::with_options(input, options))
    }

    /// Parses only the rows of these sections (`Trades`, `CashTransactions`, …; a
    /// single-row section such as `AccountInformation` by its element name). The rows of
    /// every other section are skipped before any of their attributes is read, so they
    /// cost little more than the XML scan (and a malformed value there goes unnoticed).
    /// Statement headers and [`FlexStatement::section_names`] are read as usual.
    ///
    /// ```
    /// let xml = r#"<FlexQueryResponse><FlexStatements count="1"><FlexStatement accountId="U1">
    ///   <Trades><Trade symbol="AAPL" quantity="10"/></Trades>
    ///   <CashTransactions><CashTransaction amount="1.5" type="Dividends"/></CashTransactions>
    /// </FlexStatement></FlexStatements></FlexQueryResponse>"#;
    /// let options = ibkr_flex::ParseOptions::default();
    /// let report = ibkr_flex::FlexReport::from_reader_sections(xml.as_bytes(), options, &["Trades"])?;
    /// assert_eq!(report.statements[0].trades.len(), 1);
    /// assert!(report.statements[0].cash_transactions.is_empty());
    /// # Ok::<(), ibkr_flex::ParseError>(())
    /// ```
    pub fn from_reader_sections(
        input: impl BufRead,
        options: ParseOptions,
        sections: &[&str],
    ) -> Result<Self, ParseError> {
        Self::read(FlexReader::with_options(input, options), Some(sections))
    }

    /// Parses the rest of a [`FlexReader`] (the typed parse is built on the streaming one).
    pub fn from_flex_reader<R: BufRead>(reader: FlexReader<R>) -> Result<Self, ParseError> {
        Self::read(reader, None)
    }

    fn read<R: BufRead>(
        mut reader: FlexReader<R>,
        sections: Option<&[&str]>,
    ) -> Result<Self, ParseError> {
        let options = *reader.options();
        let mut report = FlexReport::default();
        let mut current: Option<FlexStatement> = None;
        let mut invalid_header: Vec<&'static str> = Vec::new();
        while let Some(event) = reader.next_event()? {
            match event {
                FlexEvent::ReportStart(row) => {
                    report.attributes = row.attributes().clone();
                    report.query_name = row.get("queryName").map(str::to_owned);
                    report.kind = row
                        .get("type")
                        .filter(|v| !v.is_empty())
                        .map(ReportKind::parse);
                }
                FlexEvent::StatementStart(row) => {
                    let (statement, invalid) = FlexStatement::from_header(row, &options);
                    current = Some(statement);
                    invalid_header = invalid;
                }
                FlexEvent::SectionStart(name) => {
                    if let Some(statement) = current.as_mut() {
                        statement.note_section(name);
                    }
                }
                FlexEvent::Row(row) => match current.as_mut() {
                    Some(statement)
                        if row.in_statement()
                            && sections.is_some_and(|s| !s.contains(&row.section())) =>
                    {
                        statement.note_section(row.section());
                    }
                    Some(statement) if row.in_statement() => {
                        statement.note_section(row.section());
                        let other = statement.rows.read(&row, &options, &mut report.warnings)?;
                        if let Some(other) = other {
                            statement.keep_other(row.section(), other);
                        }
                    }
                    _ => report.rows_outside_statements.push(row.to_row()?),
                },
                FlexEvent::SectionEnd(_) => {}
                FlexEvent::StatementEnd => {
                    if let Some(statement) = current.take() {
                        report.statements.push(statement);
                    }
                }
            }
            // A header date that does not parse (the event is done with, so the reader
            // can say where the attribute is).
            for name in invalid_header.drain(..) {
                let (line, column) = reader.header_position(name).unwrap_or((0, 0));
                let value = current
                    .as_ref()
                    .and_then(|s| s.attributes.get(name))
                    .unwrap_or_default()
                    .to_owned();
                let kind = ParseErrorKind::InvalidValue {
                    element: "FlexStatement".to_owned(),
                    attribute: name.to_owned(),
                    value,
                };
                if options.is_strict() {
                    return Err(ParseError { line, column, kind });
                }
                let warning = ParseWarning { line, column, kind };
                tracing::warn!("{warning}; the statement's {name} is None");
                report.warnings.push(warning);
            }
        }
        Ok(report)
    }
}

impl FromStr for FlexReport {
    type Err = ParseError;

    fn from_str(xml: &str) -> Result<Self, ParseError> {
        Self::from_reader(xml.as_bytes())
    }
}
