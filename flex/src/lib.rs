//! Interactive Brokers Flex Web Service client and a fast, tolerant, streaming Flex XML
//! parser.
//!
//! # Parse a statement
//!
//! ```
//! let xml = r#"<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="1">
//!   <FlexStatement accountId="U1" fromDate="20250101" toDate="20250131">
//!     <Trades><Trade symbol="AAPL" quantity="10" tradePrice="227.5" tradeDate="20250115"/></Trades>
//!   </FlexStatement></FlexStatements></FlexQueryResponse>"#;
//! let report: ibkr_flex::FlexReport = xml.parse()?;
//! assert_eq!(report.statements[0].trades[0].symbol.as_deref(), Some("AAPL"));
//! # Ok::<(), ibkr_flex::ParseError>(())
//! ```
//!
//! Three views of the same document, all built on the streaming [`FlexReader`]:
//! - [`FlexReport`]: typed rows ([`Trade`], [`CashTransaction`], …); unknown attributes stay
//!   in each row's `extra`, unknown elements in [`FlexStatement::other_sections`].
//! - [`GenericReport`]: lossless, every attribute as text in document order; its serde
//!   form is what `ibkr flex parse --format json` prints.
//! - [`FlexReader`]: a pull parser yielding statements, sections and rows one at a time in
//!   memory bounded by one row, for files of any size.
//!
//! # Fetch a statement
//!
//! ```no_run
//! # async fn run() -> Result<(), ibkr_flex::FlexError> {
//! use ibkr_flex::{FlexClient, FlexToken};
//! let client = FlexClient::new(FlexToken::new(std::env::var("IBKR_FLEX_TOKEN").unwrap_or_default()))?;
//! let download = client.fetch("123456").await?;
//! let report = download.parse()?;
//! println!("{} statements", report.statements.len());
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod client;
pub mod generic;
pub mod parse;
pub mod report;
pub mod rows;

/// The text type of typed row fields (`trade.symbol`, `trade.currency`, …): a string that
/// keeps up to 24 bytes inline, without a heap allocation. It derefs to `&str`
/// (`trade.symbol.as_deref()`), compares with `&str` and `String`, and converts into a
/// `String` (`.into()`).
pub use compact_str::CompactString;

pub use client::download::{FlexDownload, ReportFormat};
pub use client::error::FlexError;
pub use client::error_code::FlexErrorCode;
pub use client::policy::PollPolicy;
pub use client::progress::FlexProgress;
pub use client::request::FlexRequest;
pub use client::token::FlexToken;
pub use client::{FlexClient, FlexClientBuilder};
pub use generic::{GenericReport, GenericStatement, Section};
pub use parse::attributes::AttributeList;
pub use parse::dates::{DateFormat, FlexDateTime};
pub use parse::error::{ParseError, ParseErrorKind, ParseWarning};
pub use parse::options::ParseOptions;
pub use parse::reader::{FlexEvent, FlexItem, FlexReader, FlexRows};
pub use parse::row::{Row, RowRef};
pub use report::{FlexReport, FlexStatement};
pub use rows::enums::*;
pub use rows::*;
