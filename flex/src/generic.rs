//! The lossless, generic view of a Flex document: every statement, every section in
//! document order, every row with all its attributes as text. This is what
//! `ibkr flex parse --format json` prints.

use crate::parse::attributes::AttributeList;
use crate::parse::error::ParseError;
use crate::parse::options::ParseOptions;
use crate::parse::reader::{FlexEvent, FlexReader};
use crate::parse::row::Row;
use serde::ser::{SerializeMap, Serializer};
use std::io::BufRead;

/// A whole Flex document, untyped and lossless.
///
/// Serialises (serde) to the shape the CLI prints:
///
/// ```json
/// {"queryName": "..", "type": "AF",
///  "statements": [{"accountId": "U1", "fromDate": "20250101", "toDate": "20250131", ..,
///                  "sections": {"Trades": [{"type": "Trade", "symbol": "AAPL", ..},
///                                          {"type": "Order", ..}]}}]}
/// ```
///
/// The root's attributes come first, then `statements`; each statement has its attributes
/// (`accountId`, `fromDate` and `toDate` always, `null` when missing), then `sections`,
/// an object whose keys are the section names in document order and whose values are the
/// rows in document order (see [`Row`] for a row's shape). Rows found outside any
/// statement (hand-edited files) are listed under `"rowsOutsideStatements"` when present.
///
/// ```
/// let xml = r#"<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="1">
///   <FlexStatement accountId="U1" fromDate="20250101" toDate="20250131">
///     <Trades><Trade symbol="AAPL" quantity="10"/><Order symbol="AAPL"/></Trades>
///   </FlexStatement></FlexStatements></FlexQueryResponse>"#;
/// let report = ibkr_flex::GenericReport::from_reader(xml.as_bytes())?;
/// let json = serde_json::to_string(&report).unwrap();
/// assert_eq!(json, r#"{"queryName":"q","type":"AF","statements":[{"accountId":"U1","fromDate":"20250101","toDate":"20250131","sections":{"Trades":[{"type":"Trade","symbol":"AAPL","quantity":"10"},{"type":"Order","symbol":"AAPL"}]}}]}"#);
/// # Ok::<(), ibkr_flex::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenericReport {
    /// Attributes of `<FlexQueryResponse>` (`queryName`, `type`).
    pub attributes: AttributeList,
    /// Every statement, in document order (the `count` attribute is ignored).
    pub statements: Vec<GenericStatement>,
    /// Rows outside any statement, if the file has such (it should not).
    pub rows_outside_statements: Vec<Row>,
}

/// One `<FlexStatement>`, untyped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenericStatement {
    /// Attributes of `<FlexStatement>` in document order.
    pub attributes: AttributeList,
    /// Sections in document order, including empty ones.
    pub sections: Vec<Section>,
}

/// One section of a statement and its rows in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Section {
    /// The section name (`Trades`, `AccountInformation`, …).
    pub name: String,
    /// Rows in document order (a `Trades` section mixes `Trade`, `Order`, `Lot`, …).
    pub rows: Vec<Row>,
}

impl GenericStatement {
    /// The section with this name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    fn section_mut(&mut self, name: &str) -> &mut Section {
        // Rows usually go to the last section: check it first.
        let index = match self.sections.iter().rposition(|s| s.name == name) {
            Some(index) => index,
            None => {
                self.sections.push(Section {
                    name: name.to_owned(),
                    rows: Vec::new(),
                });
                self.sections.len() - 1
            }
        };
        &mut self.sections[index]
    }
}

impl GenericReport {
    /// Reads a whole document from a stream.
    pub fn from_reader(input: impl BufRead) -> Result<Self, ParseError> {
        Self::from_flex_reader(FlexReader::new(input))
    }

    /// Reads a whole document with the given options.
    pub fn from_reader_with(
        input: impl BufRead,
        options: ParseOptions,
    ) -> Result<Self, ParseError> {
        Self::from_flex_reader(FlexReader::with_options(input, options))
    }

    /// Reads the rest of a [`FlexReader`].
    pub fn from_flex_reader<R: BufRead>(mut reader: FlexReader<R>) -> Result<Self, ParseError> {
        let mut report = GenericReport::default();
        let mut current: Option<GenericStatement> = None;
        while let Some(event) = reader.next_event()? {
            match event {
                FlexEvent::ReportStart(row) => report.attributes = row.attributes().clone(),
                FlexEvent::StatementStart(row) => {
                    current = Some(GenericStatement {
                        attributes: row.attributes().clone(),
                        sections: Vec::new(),
                    });
                }
                FlexEvent::SectionStart(name) => {
                    if let Some(statement) = current.as_mut() {
                        statement.section_mut(name);
                    }
                }
                FlexEvent::Row(row) => match current.as_mut() {
                    Some(statement) if row.in_statement() => {
                        let owned = row.to_row()?;
                        statement.section_mut(row.section()).rows.push(owned);
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
        }
        Ok(report)
    }
}

impl serde::Serialize for GenericReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.attributes.serialize_into(&mut map)?;
        map.serialize_entry("statements", &self.statements)?;
        if !self.rows_outside_statements.is_empty() {
            map.serialize_entry("rowsOutsideStatements", &self.rows_outside_statements)?;
        }
        map.end()
    }
}

/// The sections of a statement as a JSON object in document order.
struct SectionsAsMap<'a>(&'a [Section]);

impl serde::Serialize for SectionsAsMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for section in self.0 {
            map.serialize_entry(&section.name, &section.rows)?;
        }
        map.end()
    }
}

impl serde::Serialize for GenericStatement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for key in ["accountId", "fromDate", "toDate"] {
            map.serialize_entry(key, &self.attributes.get(key))?;
        }
        for (name, value) in self.attributes.iter() {
            if !matches!(name, "accountId" | "fromDate" | "toDate" | "sections") {
                map.serialize_entry(name, value)?;
            }
        }
        map.serialize_entry("sections", &SectionsAsMap(&self.sections))?;
        map.end()
    }
}
