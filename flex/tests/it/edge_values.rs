//! Edge values found by comparing against an independent parser (issue #26): each test
//! here failed before its fix. Nothing may change a value silently.

use ibkr_flex::{FlexEvent, FlexItem, FlexReader, FlexReport, GenericReport, ParseOptions};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A one-statement document with these rows inside `<Trades>` and this statement header.
fn document(header: &str, rows: &str) -> String {
    format!(
        "<FlexQueryResponse queryName=\"q\" type=\"AF\"><FlexStatements count=\"1\">\n\
         <FlexStatement accountId=\"U1\" {header}>\n\
         <Trades>\n{rows}\n</Trades>\n\
         </FlexStatement></FlexStatements></FlexQueryResponse>"
    )
}

fn tolerant(xml: &str) -> FlexReport {
    FlexReport::from_reader(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn strict(xml: &str) -> Result<FlexReport, ibkr_flex::ParseError> {
    FlexReport::from_reader_with(xml.as_bytes(), ParseOptions::default().strict(true))
}

const HEADER: &str = r#"fromDate="20250101" toDate="20250131" whenGenerated="20250201;010203""#;

// --- (a) more than 28 decimal places -------------------------------------------------

/// 29 decimal places: one more than `rust_decimal` holds.
const TOO_PRECISE: &str = "0.12345678901234567890123456789";

#[test]
fn more_than_28_decimal_places_are_never_rounded_silently() {
    let xml = document(
        HEADER,
        &format!(r#"<Trade symbol="AAPL" fxRateToBase="{TOO_PRECISE}" quantity="1.5"/>"#),
    );
    // Strict: an error naming the row's line.
    let error = strict(&xml).expect_err("strict mode must refuse a value it would round");
    assert_eq!(error.line, 4, "{error}");
    assert!(error.to_string().contains("fxRateToBase"), "{error}");
    assert!(error.to_string().contains(TOO_PRECISE), "{error}");

    // Tolerant: the exact text is kept beside the (rounded) value, and a warning says so.
    let report = tolerant(&xml);
    let trade = &report.statements[0].trades[0];
    assert_eq!(trade.extra.get("fxRateToBase"), Some(TOO_PRECISE));
    assert_eq!(
        trade.fx_rate_to_base,
        Some(Decimal::from_str("0.1234567890123456789012345679").unwrap())
    );
    assert_eq!(trade.quantity, Some(Decimal::from_str("1.5").unwrap()));
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = report.warnings[0].to_string();
    assert!(warning.starts_with("line 4, column "), "{warning}");
    assert!(warning.contains("fxRateToBase"), "{warning}");
}

#[test]
fn precise_values_that_fit_are_not_flagged() {
    // 28 places, and 29 places whose last digits are zeros (same value, nothing lost).
    let xml = document(
        HEADER,
        r#"<Trade fxRateToBase="0.1234567890123456789012345678" quantity="1.50000000000000000000000000000"/>"#,
    );
    let report = strict(&xml).unwrap();
    let trade = &report.statements[0].trades[0];
    assert_eq!(
        trade.fx_rate_to_base,
        Some(Decimal::from_str("0.1234567890123456789012345678").unwrap())
    );
    assert_eq!(trade.quantity, Some(Decimal::from_str("1.5").unwrap()));
    assert!(trade.extra.is_empty(), "{:?}", trade.extra);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

// --- (b) attribute-value normalisation ----------------------------------------------

/// Raw attribute text → what a conforming XML 1.0 parser reports (AVNormalize: each
/// literal tab, newline, CR or CRLF becomes one space; character references do not).
const NORMALISED: &[(&str, &str)] = &[
    ("APPLE\nINC", "APPLE INC"),
    ("A\tB", "A B"),
    ("A\r\nB", "A B"),
    ("A\rB", "A B"),
    ("\n  X &amp;\tY\n", "   X & Y "),
    ("keep&#10;this&#9;one", "keep\nthis\tone"),
];

#[test]
fn newlines_and_tabs_in_attribute_values_become_spaces_in_every_view() {
    for &(raw, want) in NORMALISED {
        // The reference: quick-xml's own attribute-value normalisation.
        let reference = quick_xml::events::attributes::Attribute {
            key: quick_xml::name::QName("description"),
            value: raw.into(),
        };
        assert_eq!(
            reference
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .unwrap(),
            want,
            "{raw:?}"
        );

        let xml = document(
            &format!("{HEADER} period=\"{raw}\""),
            &format!("<Trade symbol=\"AAPL\" description=\"{raw}\" newAttribute=\"{raw}\"/>"),
        );
        // Typed view: a typed field, an untyped one, the header.
        let report = tolerant(&xml);
        let statement = &report.statements[0];
        assert_eq!(
            statement.trades[0].description.as_deref(),
            Some(want),
            "{raw:?}"
        );
        assert_eq!(statement.trades[0].extra.get("newAttribute"), Some(want));
        assert_eq!(statement.period.as_deref(), Some(want), "{raw:?}");
        assert_eq!(statement.attributes.get("period"), Some(want), "{raw:?}");

        // Generic (raw text) view.
        let generic = GenericReport::from_reader(xml.as_bytes()).unwrap();
        let row = &generic.statements[0].section("Trades").unwrap().rows[0];
        assert_eq!(row.get("description"), Some(want), "{raw:?}");
        assert_eq!(generic.statements[0].attributes.get("period"), Some(want));

        // Streaming views: borrowed rows and owned items.
        let mut reader = FlexReader::new(xml.as_bytes());
        let mut seen = 0;
        while let Some(event) = reader.next_event().unwrap() {
            if let FlexEvent::Row(row) = event {
                assert_eq!(row.get("description").unwrap().as_deref(), Some(want));
                let all: Vec<_> = row.attributes().map(Result::unwrap).collect();
                assert_eq!(all[1].1, want, "{raw:?}");
                seen += 1;
            }
        }
        assert_eq!(seen, 1);
        let owned = FlexReader::new(xml.as_bytes())
            .rows()
            .find_map(|item| match item.unwrap() {
                FlexItem::Row { row, .. } => Some(row),
                _ => None,
            })
            .unwrap();
        assert_eq!(owned.get("description"), Some(want), "{raw:?}");
    }
}

// --- (c) MULTI ------------------------------------------------------------------------

#[test]
fn multi_is_no_value_only_in_placeholder_fields() {
    let xml = document(
        HEADER,
        r#"<Trade symbol="MULTI" description="MULTI" notes="MULTI" settleDateTarget="MULTI" tradeDate="MULTI" dateTime="MULTI" quantity="MULTI" conid="MULTI" isAPIOrder="MULTI"/>"#,
    );
    for report in [tolerant(&xml), strict(&xml).unwrap()] {
        let trade = &report.statements[0].trades[0];
        // Text columns: a symbol or description may really be `MULTI`.
        assert_eq!(trade.symbol.as_deref(), Some("MULTI"));
        assert_eq!(trade.description.as_deref(), Some("MULTI"));
        assert_eq!(trade.notes.as_deref(), Some("MULTI"));
        // Placeholder columns: `MULTI` means no value, and is not an invalid one.
        assert_eq!(trade.settle_date_target, None);
        assert_eq!(trade.trade_date, None);
        assert_eq!(trade.date_time, None);
        assert_eq!(trade.quantity, None);
        assert_eq!(trade.conid, None);
        assert_eq!(trade.is_api_order, None);
        assert!(trade.extra.is_empty(), "{:?}", trade.extra);
    }
}

// --- (d) a malformed header date ------------------------------------------------------

#[test]
fn a_malformed_header_date_is_an_error_in_strict_mode_naming_where() {
    for (attribute, header) in [
        (
            "fromDate",
            r#"fromDate="2025-13-45" toDate="20250131" whenGenerated="20250201;010203""#,
        ),
        (
            "toDate",
            r#"fromDate="20250101" toDate="yesterday" whenGenerated="20250201;010203""#,
        ),
        (
            "whenGenerated",
            r#"fromDate="20250101" toDate="20250131" whenGenerated="20250201;250203""#,
        ),
    ] {
        let xml = document(header, "<Trade symbol=\"AAPL\"/>");
        let error = strict(&xml).expect_err(attribute);
        assert_eq!(error.line, 2, "{error}");
        // The column of the attribute on the `<FlexStatement` line.
        let line = xml.lines().nth(1).unwrap();
        let column = line.find(&format!("{attribute}=")).unwrap() as u64 + 1;
        assert_eq!(error.column, column, "{error}");
        assert!(error.to_string().contains(attribute), "{error}");
    }
}

#[test]
fn a_malformed_header_date_is_none_with_a_warning_in_tolerant_mode() {
    let xml = document(
        r#"fromDate="2025-13-45" toDate="20250131" whenGenerated="20250201;010203""#,
        "<Trade symbol=\"AAPL\"/>",
    );
    let report = tolerant(&xml);
    let statement = &report.statements[0];
    assert_eq!(statement.from_date, None);
    assert_eq!(statement.attributes.get("fromDate"), Some("2025-13-45"));
    assert_eq!(
        statement.to_date,
        chrono::NaiveDate::from_ymd_opt(2025, 1, 31)
    );
    assert_eq!(statement.trades.len(), 1);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert_eq!(warning.line, 2);
    assert!(warning.to_string().contains("fromDate"), "{warning}");
}

// --- sanitised conids -----------------------------------------------------------------

#[test]
fn a_sanitised_conid_keeps_its_text_in_extra() {
    let xml = document(
        HEADER,
        r#"<Trade symbol="CAD" conid="XXXXXCAD" underlyingConid="XXXXX"/>"#,
    );
    let report = tolerant(&xml);
    let trade = &report.statements[0].trades[0];
    assert_eq!(trade.conid, None);
    assert_eq!(trade.extra.get("conid"), Some("XXXXXCAD"));
    assert_eq!(trade.underlying_conid, None);
    assert_eq!(trade.extra.get("underlyingConid"), Some("XXXXX"));
}

// --- a section filter -----------------------------------------------------------------

#[test]
fn a_section_filter_skips_the_other_sections_rows_entirely() {
    // `quantity="abc"` fails strict mode, so a strict parse that succeeds never read it.
    let xml = "<FlexQueryResponse><FlexStatements count=\"1\"><FlexStatement accountId=\"U1\">\
        <Trades><Trade symbol=\"AAPL\" quantity=\"abc\"/></Trades>\
        <CashTransactions><CashTransaction amount=\"1.5\" type=\"Dividends\"/></CashTransactions>\
        <AccountInformation accountId=\"U1\" currency=\"USD\"/>\
        </FlexStatement></FlexStatements></FlexQueryResponse>";
    let options = ParseOptions::default().strict(true);
    assert!(FlexReport::from_reader_with(xml.as_bytes(), options).is_err());
    let report = FlexReport::from_reader_sections(
        xml.as_bytes(),
        options,
        &["CashTransactions", "AccountInformation"],
    )
    .unwrap();
    let statement = &report.statements[0];
    assert!(statement.trades.is_empty());
    assert_eq!(statement.cash_transactions.len(), 1);
    assert_eq!(statement.account_information.len(), 1);
    assert_eq!(
        statement.section_names,
        ["Trades", "CashTransactions", "AccountInformation"]
    );
    assert_eq!(statement.account_id.as_deref(), Some("U1"));
}
