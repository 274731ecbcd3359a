//! One data row of a Flex statement, generically: its element name and every attribute
//! as text, in document order. Borrowed while streaming ([`RowRef`]), owned otherwise ([`Row`]).

use crate::parse::attributes::AttributeList;
use crate::parse::error::{ParseError, ParseErrorKind};
use crate::parse::scan::{AttributeScanner, normalise_value};
use serde::ser::{SerializeMap, Serializer};
use std::borrow::Cow;

/// A row with all its attributes as text, in document order. Lossless: nothing is dropped.
///
/// Serialises (serde) as one JSON object: `"type"` holds the element name, then every
/// attribute in document order. An attribute literally named `type` (as on
/// `CashTransaction`) is written as `"@type"`, so the element name is never overwritten
/// (XML names cannot contain `@`, so this cannot collide).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    element: String,
    attributes: AttributeList,
}

impl Row {
    /// A row of this element with no attributes yet.
    pub fn new(element: impl Into<String>) -> Self {
        Self {
            element: element.into(),
            attributes: AttributeList::new(),
        }
    }

    /// The element name, e.g. `Trade`, `Order` or `CashTransaction`.
    pub fn element(&self) -> &str {
        &self.element
    }

    /// The first value of this attribute (normalised and unescaped).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes.get(name)
    }

    /// All attributes in document order.
    pub fn attributes(&self) -> &AttributeList {
        &self.attributes
    }

    /// Appends an attribute.
    pub fn push(&mut self, name: &str, value: &str) {
        self.attributes.push(name, value);
    }
}

impl serde::Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.attributes.len() + 1))?;
        map.serialize_entry("type", &self.element)?;
        for (name, value) in self.attributes.iter() {
            if name == "type" {
                map.serialize_entry("@type", value)?;
            } else {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

/// A row borrowed from the reader's buffer while streaming: valid until the next event.
/// Attribute values are normalised and unescaped lazily, and only allocate when they
/// contain `&`, a tab, a newline or a carriage return.
#[derive(Debug, Clone, Copy)]
pub struct RowRef<'a> {
    pub(crate) section: &'a str,
    pub(crate) element: &'a str,
    pub(crate) raw: &'a str,
    pub(crate) in_statement: bool,
    pub(crate) line: u64,
    pub(crate) column: u64,
}

impl<'a> RowRef<'a> {
    /// The section the row belongs to (`Trades`, `CashTransactions`, …). A single-row
    /// section such as `AccountInformation` or `ChangeInNAV` is named after its element.
    pub fn section(&self) -> &'a str {
        self.section
    }

    /// The element name, e.g. `Trade`.
    pub fn element(&self) -> &'a str {
        self.element
    }

    /// Whether the row is inside a `FlexStatement` (rows outside one are kept, but odd).
    pub fn in_statement(&self) -> bool {
        self.in_statement
    }

    /// 1-based line where the row starts.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// 1-based column where the row starts.
    pub fn column(&self) -> u64 {
        self.column
    }

    /// The attributes in document order as `(name, raw value, whether the value needs
    /// normalising)`, values still escaped.
    pub(crate) fn raw_attributes(
        &self,
    ) -> impl Iterator<Item = Result<(&'a str, &'a str, bool), ParseError>> + '_ {
        AttributeScanner::new(self.raw).map(move |item| {
            item.map_err(|e| self.error_at(e.offset, ParseErrorKind::Xml(e.message)))
        })
    }

    /// The attributes in document order as `(name, value)`, each value normalised (a
    /// tab, newline or CRLF is a space, as XML requires) and unescaped.
    pub fn attributes(
        &self,
    ) -> impl Iterator<Item = Result<(&'a str, Cow<'a, str>), ParseError>> + '_ {
        self.raw_attributes().map(move |item| {
            let (name, raw, special) = item?;
            Ok((name, self.value(raw, special)?))
        })
    }

    /// The normalised, unescaped value of the first attribute with this name.
    pub fn get(&self, name: &str) -> Result<Option<Cow<'a, str>>, ParseError> {
        for item in self.raw_attributes() {
            let (n, raw, special) = item?;
            if n == name {
                return self.value(raw, special).map(Some);
            }
        }
        Ok(None)
    }

    /// Copies the row into an owned, generic [`Row`].
    pub fn to_row(&self) -> Result<Row, ParseError> {
        let mut row = Row::new(self.element);
        for item in self.raw_attributes() {
            let (name, raw, special) = item?;
            row.push(name, &self.value(raw, special)?);
        }
        Ok(row)
    }

    /// The value of a raw attribute the scanner flagged (`special`) or not.
    #[inline]
    pub(crate) fn value(&self, raw: &'a str, special: bool) -> Result<Cow<'a, str>, ParseError> {
        if special {
            self.unescape(raw)
        } else {
            Ok(Cow::Borrowed(raw))
        }
    }

    /// Normalises and unescapes a raw value of this row.
    pub(crate) fn unescape(&self, raw: &'a str) -> Result<Cow<'a, str>, ParseError> {
        normalise_value(raw).map_err(|_| {
            let offset = raw.as_ptr() as usize - self.raw.as_ptr() as usize;
            self.error_at(
                offset,
                ParseErrorKind::InvalidEntity {
                    value: raw.to_owned(),
                },
            )
        })
    }

    /// An error at this byte offset of the attribute text.
    pub(crate) fn error_at(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        let (line, column) = self.position_at(offset);
        ParseError { line, column, kind }
    }

    /// An error at this attribute, given its name as the scanner returned it (a slice of
    /// this row's text).
    pub(crate) fn error_at_attribute(&self, name: &str, kind: ParseErrorKind) -> ParseError {
        let offset = (name.as_ptr() as usize).wrapping_sub(self.raw.as_ptr() as usize);
        self.error_at(offset.min(self.raw.len()), kind)
    }

    /// 1-based (line, column) of this byte offset of the attribute text.
    pub(crate) fn position_at(&self, offset: usize) -> (u64, u64) {
        let before = &self.raw.as_bytes()[..offset.min(self.raw.len())];
        let newlines = memchr::memchr_iter(b'\n', before).count() as u64;
        let column = match memchr::memrchr(b'\n', before) {
            Some(nl) => (offset - nl) as u64,
            // `<` + element name + the offset into the attribute text.
            None => self.column + 1 + self.element.len() as u64 + offset as u64,
        };
        (self.line + newlines, column)
    }

    /// An error about the whole row.
    pub(crate) fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            line: self.line,
            column: self.column,
            kind,
        }
    }
}
