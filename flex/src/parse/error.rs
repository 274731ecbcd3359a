//! Parse errors, each naming the line and column of the input where it happened.

/// Why a Flex document could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseError {
    /// 1-based line of the input.
    pub line: u64,
    /// 1-based column (in bytes) of the input.
    pub column: u64,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

/// What went wrong while reading a Flex document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input is empty (or only whitespace).
    #[error("the input is empty; expected a <FlexQueryResponse> document")]
    Empty,
    /// The input is not valid UTF-8.
    #[error("the input is not valid UTF-8 text (Flex XML is always UTF-8)")]
    InvalidUtf8,
    /// The input is not well-formed XML.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// An attribute value contains an `&` that does not start a valid entity.
    #[error("invalid entity in attribute value `{value}` (a raw `&` must be written `&amp;`)")]
    InvalidEntity {
        /// The raw attribute text.
        value: String,
    },
    /// The input ends before the document is complete (a truncated download?).
    #[error("the input ends inside <{open}>; the document is truncated")]
    Truncated {
        /// The innermost element left open.
        open: String,
    },
    /// The document's root is not `<FlexQueryResponse>`.
    #[error("expected a <FlexQueryResponse> document, found <{found}>")]
    NotAFlexReport {
        /// The root element found.
        found: String,
    },
    /// The input is a Flex Web Service envelope (an error or a pending reference), not a
    /// statement.
    #[error(
        "this is a Flex Web Service response (status {status}, error code {code}), not a statement"
    )]
    ServiceResponse {
        /// `Status` text of the envelope.
        status: String,
        /// `ErrorCode` text of the envelope (empty when there is none).
        code: String,
    },
    /// The input has no XML elements at all.
    #[error("no XML element found; expected a <FlexQueryResponse> document")]
    NoElement,
    /// More elements follow the end of the document.
    #[error("unexpected <{0}> after the end of the document")]
    TrailingContent(String),
    /// A typed attribute's value does not parse (strict mode only).
    #[error("<{element}> attribute {attribute}=\"{value}\" is not a valid value")]
    InvalidValue {
        /// Row element.
        element: String,
        /// Attribute name.
        attribute: String,
        /// The raw text.
        value: String,
    },
    /// A decimal value has more digits than a `Decimal` holds (28 decimal places, about
    /// 28 significant digits), so reading it would round it. An error in strict mode; in
    /// tolerant mode a [`ParseWarning`] with the rounded value in the typed field and the
    /// exact text in the row's `extra`.
    #[error(
        "<{element}> attribute {attribute}=\"{value}\" has more digits than a Decimal holds (28 decimal places); reading it would round it"
    )]
    InexactValue {
        /// Row element.
        element: String,
        /// Attribute name.
        attribute: String,
        /// The raw text.
        value: String,
    },
    /// Reading the input failed.
    #[error("reading the input failed: {0}")]
    Io(String),
}

/// Something the tolerant parser accepted but had to change or drop, and where: a value
/// rounded to fit a `Decimal`, or a statement header date that does not parse. In strict
/// mode each of these is a [`ParseError`] instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseWarning {
    /// 1-based line of the input.
    pub line: u64,
    /// 1-based column (in bytes) of the input.
    pub column: u64,
    /// What was accepted with a change.
    pub kind: ParseErrorKind,
}

impl From<ParseError> for ParseWarning {
    fn from(error: ParseError) -> Self {
        ParseWarning {
            line: error.line,
            column: error.column,
            kind: error.kind,
        }
    }
}
