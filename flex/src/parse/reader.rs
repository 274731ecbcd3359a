//! The streaming Flex reader: a pull parser over any `BufRead` that yields statements,
//! sections and rows one at a time, in memory bounded by one row.

use crate::parse::error::{ParseError, ParseErrorKind};
use crate::parse::lines::LineCounter;
use crate::parse::options::ParseOptions;
use crate::parse::row::{Row, RowRef};
use quick_xml::events::Event;
use std::io::BufRead;
use std::sync::Arc;

/// One step through a Flex document, borrowed from the reader until the next call.
#[derive(Debug)]
pub enum FlexEvent<'a> {
    /// The `<FlexQueryResponse>` root and its attributes (`queryName`, `type`).
    ReportStart(&'a Row),
    /// A `<FlexStatement>` begins; its attributes (`accountId`, `fromDate`, `toDate`,
    /// `period`, `whenGenerated`).
    StatementStart(&'a Row),
    /// A section container begins (`<Trades>`), also for an empty `<Trades/>`.
    SectionStart(&'a str),
    /// A data row. Rows of nested containers (`FxPositions>FxLots>FxLot`) are reported
    /// as rows of the outer section. Single-row sections (`AccountInformation`) have no
    /// `SectionStart`; their row's section is the element name.
    Row(RowRef<'a>),
    /// A section container ends.
    SectionEnd(&'a str),
    /// The current statement ends.
    StatementEnd,
}

/// What an open element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Report,
    Outside,
    Statement,
    Section,
    RowSection,
    Nested,
}

/// What the element just read turned into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Report,
    Statement,
    SectionStart,
    Row { in_statement: bool },
    SectionEnd,
    StatementEnd,
}

/// An event owed from an empty element (`<Trades/>`, `<FlexStatement .../>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owed {
    None,
    SectionEnd,
    StatementEnd,
}

/// A streaming reader of Flex XML.
///
/// [`FlexReader::next_event`] is zero-copy (rows borrow the reader's buffer);
/// [`FlexReader::rows`] is a plain `Iterator` of owned items for convenience.
///
/// ```
/// use ibkr_flex::{FlexEvent, FlexReader};
/// let xml = br#"<FlexQueryResponse><FlexStatements count="1">
///   <FlexStatement accountId="U1" fromDate="20250101" toDate="20250131">
///     <Trades><Trade symbol="AAPL" quantity="10"/><Order symbol="AAPL"/></Trades>
///   </FlexStatement></FlexStatements></FlexQueryResponse>"#;
/// let mut reader = FlexReader::new(&xml[..]);
/// let mut rows = Vec::new();
/// while let Some(event) = reader.next_event()? {
///     if let FlexEvent::Row(row) = event {
///         let symbol = row.get("symbol")?.unwrap_or_default().into_owned();
///         rows.push(format!("{} {} {}", row.section(), row.element(), symbol));
///     }
/// }
/// assert_eq!(rows, ["Trades Trade AAPL", "Trades Order AAPL"]);
/// # Ok::<(), ibkr_flex::ParseError>(())
/// ```
pub struct FlexReader<R: BufRead> {
    xml: quick_xml::Reader<LineCounter<R>>,
    buf: Vec<u8>,
    state: State,
}

/// Everything but the XML reader and its buffer (so both can be borrowed at once).
struct State {
    options: ParseOptions,
    stack: Vec<Frame>,
    section: String,
    header: Row,
    /// (line, column) of each attribute of `header`, in the same order.
    header_positions: Vec<(u64, u64)>,
    owed: Owed,
    seen_root: bool,
    root_closed: bool,
    finished: bool,
}

/// Where the last start tag sits in the buffer, to hand out a borrowed row.
struct TagSpan {
    start: usize,
    end: usize,
    name_len: usize,
    line: u64,
    column: u64,
}

impl<R: BufRead> FlexReader<R> {
    /// A reader with default (tolerant, auto-detecting) options.
    pub fn new(input: R) -> Self {
        Self::with_options(input, ParseOptions::default())
    }

    /// A reader with the given options.
    pub fn with_options(input: R, options: ParseOptions) -> Self {
        let mut xml = quick_xml::Reader::from_reader(LineCounter::new(input));
        let config = xml.config_mut();
        config.trim_text(true);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Self {
            xml,
            buf: Vec::with_capacity(4096),
            state: State {
                options,
                stack: Vec::with_capacity(8),
                section: String::new(),
                header: Row::default(),
                header_positions: Vec::new(),
                owed: Owed::None,
                seen_root: false,
                root_closed: false,
                finished: false,
            },
        }
    }

    /// The options in use.
    pub fn options(&self) -> &ParseOptions {
        &self.state.options
    }

    /// Turns the reader into an iterator of owned items (one allocation per row).
    pub fn rows(self) -> FlexRows<R> {
        FlexRows {
            reader: self,
            section: Arc::from(""),
        }
    }

    /// Where the first attribute with this name of the last report or statement header
    /// (`<FlexQueryResponse>`, `<FlexStatement>`) is: (line, column).
    pub(crate) fn header_position(&self, name: &str) -> Option<(u64, u64)> {
        let index = self
            .state
            .header
            .attributes()
            .iter()
            .position(|(n, _)| n == name)?;
        self.state.header_positions.get(index).copied()
    }

    fn error_at(&self, position: u64, kind: ParseErrorKind) -> ParseError {
        let (line, column) = self.xml.get_ref().line_column(position);
        ParseError { line, column, kind }
    }

    fn xml_error(&mut self, error: quick_xml::Error) -> ParseError {
        let position = self.xml.error_position();
        let kind = match &error {
            quick_xml::Error::Encoding(_) => ParseErrorKind::InvalidUtf8,
            quick_xml::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                ParseErrorKind::InvalidUtf8
            }
            quick_xml::Error::Io(io) => ParseErrorKind::Io(io.to_string()),
            quick_xml::Error::Syntax(_) if !self.state.stack.is_empty() => {
                ParseErrorKind::Truncated {
                    open: self.state.open_element_name(),
                }
            }
            other => ParseErrorKind::Xml(other.to_string()),
        };
        self.state.finished = true;
        self.error_at(position, kind)
    }

    /// The next event, or `None` at the end of the document. After an error, `None`.
    pub fn next_event(&mut self) -> Result<Option<FlexEvent<'_>>, ParseError> {
        let (step, span) = match std::mem::replace(&mut self.state.owed, Owed::None) {
            Owed::SectionEnd => (Step::SectionEnd, None),
            Owed::StatementEnd => (Step::StatementEnd, None),
            Owed::None if self.state.finished => return Ok(None),
            Owed::None => match self.advance()? {
                Some(found) => found,
                None => return Ok(None),
            },
        };
        let state = &self.state;
        Ok(Some(match step {
            Step::Report => FlexEvent::ReportStart(&state.header),
            Step::Statement => FlexEvent::StatementStart(&state.header),
            Step::SectionStart => FlexEvent::SectionStart(&state.section),
            Step::SectionEnd => FlexEvent::SectionEnd(&state.section),
            Step::StatementEnd => FlexEvent::StatementEnd,
            Step::Row { in_statement } => {
                let Some(span) = span else {
                    return Ok(None);
                };
                // quick-xml validated these bytes already; this cannot fail.
                let content =
                    std::str::from_utf8(&self.buf[span.start..span.end]).map_err(|_| {
                        ParseError {
                            line: span.line,
                            column: span.column,
                            kind: ParseErrorKind::InvalidUtf8,
                        }
                    })?;
                let (element, raw) = content.split_at(span.name_len);
                FlexEvent::Row(RowRef {
                    section: if in_statement {
                        &state.section
                    } else {
                        element
                    },
                    element,
                    raw,
                    in_statement,
                    line: span.line,
                    column: span.column,
                })
            }
        }))
    }

    /// Reads XML events until one means something to the caller.
    fn advance(&mut self) -> Result<Option<(Step, Option<TagSpan>)>, ParseError> {
        loop {
            self.buf.clear();
            let event = match self.xml.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(error) => return Err(self.xml_error(error)),
            };
            let step = match &event {
                Event::Start(tag) | Event::Empty(tag) => {
                    let empty = matches!(event, Event::Empty(_));
                    let content_len = tag.len();
                    let qname = tag.name();
                    let name = qname.as_ref();
                    let name_len = name.len();
                    let raw = tag.attributes_raw();
                    let tag_len = content_len as u64 + if empty { 3 } else { 2 };
                    let position = self.xml.buffer_position().saturating_sub(tag_len);
                    let (line, column) = self.xml.get_ref().line_column(position);
                    let step = self.state.on_start(name, raw, empty, line, column)?;
                    step.map(|step| (step, Some((content_len, name_len, empty, line, column))))
                }
                Event::End(_) => self.state.on_end().map(|step| (step, None)),
                Event::Eof => {
                    self.state.finished = true;
                    let position = self.xml.buffer_position();
                    if !self.state.stack.is_empty() {
                        let open = self.state.open_element_name();
                        return Err(self.error_at(position, ParseErrorKind::Truncated { open }));
                    }
                    if !self.state.seen_root {
                        let kind = if position == 0 {
                            ParseErrorKind::Empty
                        } else {
                            ParseErrorKind::NoElement
                        };
                        return Err(self.error_at(position, kind));
                    }
                    return Ok(None);
                }
                _ => None,
            };
            if let Some((step, tag)) = step {
                let span = tag.map(|(content_len, name_len, empty, line, column)| {
                    let end = self.buf.len().saturating_sub(if empty { 2 } else { 1 });
                    TagSpan {
                        start: end.saturating_sub(content_len),
                        end,
                        name_len,
                        line,
                        column,
                    }
                });
                return Ok(Some((step, span)));
            }
        }
    }
}

impl State {
    fn open_element_name(&self) -> String {
        match self.stack.last() {
            Some(Frame::Report) => "FlexQueryResponse".to_owned(),
            Some(Frame::Statement) => "FlexStatement".to_owned(),
            Some(Frame::Section | Frame::RowSection) => self.section.clone(),
            _ => "an element".to_owned(),
        }
    }

    fn fill_header(
        &mut self,
        name: &str,
        raw: &str,
        line: u64,
        column: u64,
    ) -> Result<(), ParseError> {
        self.header = Row::new(name);
        self.header_positions.clear();
        let probe = RowRef {
            section: "",
            element: name,
            raw,
            in_statement: false,
            line,
            column,
        };
        for item in probe.raw_attributes() {
            let (attribute, value, special) = item?;
            self.header.push(attribute, &probe.value(value, special)?);
            let offset = attribute.as_ptr() as usize - raw.as_ptr() as usize;
            self.header_positions.push(probe.position_at(offset));
        }
        Ok(())
    }

    fn on_end(&mut self) -> Option<Step> {
        match self.stack.pop() {
            Some(Frame::Report) => {
                self.root_closed = true;
                None
            }
            Some(Frame::Statement) => Some(Step::StatementEnd),
            Some(Frame::Section) => Some(Step::SectionEnd),
            Some(Frame::RowSection) => {
                self.section.clear();
                None
            }
            _ => None,
        }
    }

    fn on_start(
        &mut self,
        name: &str,
        raw: &str,
        empty: bool,
        line: u64,
        column: u64,
    ) -> Result<Option<Step>, ParseError> {
        let has_attributes = raw.bytes().any(|b| !b.is_ascii_whitespace());
        let fail = |state: &mut State, kind| {
            state.finished = true;
            Err(ParseError { line, column, kind })
        };
        if !self.seen_root {
            self.seen_root = true;
            if name == "FlexStatementResponse" {
                return fail(
                    self,
                    ParseErrorKind::ServiceResponse {
                        status: String::new(),
                        code: String::new(),
                    },
                );
            }
            if name != "FlexQueryResponse" {
                return fail(
                    self,
                    ParseErrorKind::NotAFlexReport {
                        found: name.to_owned(),
                    },
                );
            }
            self.fill_header(name, raw, line, column)?;
            if empty {
                self.root_closed = true;
            } else {
                self.stack.push(Frame::Report);
            }
            return Ok(Some(Step::Report));
        }
        if self.root_closed {
            return fail(self, ParseErrorKind::TrailingContent(name.to_owned()));
        }
        let in_statement = self.stack.contains(&Frame::Statement);
        if !in_statement {
            if name == "FlexStatement" {
                self.fill_header(name, raw, line, column)?;
                if empty {
                    self.owed = Owed::StatementEnd;
                } else {
                    self.stack.push(Frame::Statement);
                }
                return Ok(Some(Step::Statement));
            }
            if !has_attributes || name == "FlexStatements" {
                if !empty {
                    self.stack.push(Frame::Outside);
                }
                return Ok(None);
            }
            // A row outside any statement (seen in hand-edited files): kept, flagged.
            if !empty {
                self.stack.push(Frame::Nested);
            }
            return Ok(Some(Step::Row {
                in_statement: false,
            }));
        }
        if self.stack.last() == Some(&Frame::Statement) {
            self.section.clear();
            self.section.push_str(name);
            if has_attributes {
                if !empty {
                    self.stack.push(Frame::RowSection);
                }
                return Ok(Some(Step::Row { in_statement: true }));
            }
            if empty {
                self.owed = Owed::SectionEnd;
            } else {
                self.stack.push(Frame::Section);
            }
            return Ok(Some(Step::SectionStart));
        }
        if !empty {
            self.stack.push(Frame::Nested);
            if !has_attributes {
                // A nested container such as <FxLots>: its rows belong to the outer section.
                return Ok(None);
            }
        }
        Ok(Some(Step::Row { in_statement: true }))
    }
}

/// An owned item of [`FlexRows`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlexItem {
    /// The `<FlexQueryResponse>` root and its attributes.
    Report(Row),
    /// A statement begins, with its attributes.
    StatementStart(Row),
    /// A section container begins (rows of single-row sections come without it).
    SectionStart(String),
    /// A row and the name of its section.
    Row {
        /// Section name, shared between the rows of one section.
        section: Arc<str>,
        /// The row.
        row: Row,
    },
    /// A section container ends.
    SectionEnd,
    /// The statement ends.
    StatementEnd,
}

/// An iterator of owned [`FlexItem`]s over a streamed document; memory stays bounded by
/// one row. Stops after the first error.
pub struct FlexRows<R: BufRead> {
    reader: FlexReader<R>,
    section: Arc<str>,
}

impl<R: BufRead> Iterator for FlexRows<R> {
    type Item = Result<FlexItem, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let event = match self.reader.next_event() {
            Ok(Some(event)) => event,
            Ok(None) => return None,
            Err(error) => return Some(Err(error)),
        };
        Some(Ok(match event {
            FlexEvent::ReportStart(row) => FlexItem::Report(row.clone()),
            FlexEvent::StatementStart(row) => FlexItem::StatementStart(row.clone()),
            FlexEvent::SectionStart(name) => FlexItem::SectionStart(name.to_owned()),
            FlexEvent::SectionEnd(_) => FlexItem::SectionEnd,
            FlexEvent::StatementEnd => FlexItem::StatementEnd,
            FlexEvent::Row(row) => {
                if &*self.section != row.section() {
                    self.section = Arc::from(row.section());
                }
                match row.to_row() {
                    Ok(owned) => FlexItem::Row {
                        section: Arc::clone(&self.section),
                        row: owned,
                    },
                    Err(error) => return Some(Err(error)),
                }
            }
        }))
    }
}
