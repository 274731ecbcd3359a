//! Streaming rows one at a time, and the generic JSON view the CLI prints.

use ibkr_flex::{FlexItem, FlexReader, GenericReport};

const TWO_ACCOUNTS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<FlexQueryResponse queryName="multi" type="AF">
<FlexStatements count="1">
<FlexStatement accountId="U1" fromDate="20250101" toDate="20250131" period="LastMonth" whenGenerated="20250201;010203">
<AccountInformation accountId="U1" currency="USD" name="A &amp; B"/>
<Trades>
<Trade symbol="AAPL" quantity="1,000" newAttribute="kept"/>
<Order symbol="AAPL" quantity="1,000"/>
<Lot symbol="AAPL" quantity="-5"/>
</Trades>
<CashTransactions>
<CashTransaction symbol="MSFT" amount="12.34" type="Dividends"/>
</CashTransactions>
<OpenPositions/>
<BrandNewSection><BrandNewRow x='1' y="2"/></BrandNewSection>
</FlexStatement>
<FlexStatement accountId="U2" fromDate="20250101" toDate="20250131" period="LastMonth" whenGenerated="20250201;010203">
<FxPositions><FxLots><FxLot fxCurrency="EUR" quantity="10"/></FxLots></FxPositions>
</FlexStatement>
</FlexStatements>
</FlexQueryResponse>"#;

#[test]
fn rows_stream_in_document_order_with_their_section() {
    let items: Vec<FlexItem> = FlexReader::new(TWO_ACCOUNTS.as_bytes())
        .rows()
        .collect::<Result<_, _>>()
        .unwrap();
    let rows: Vec<(String, String)> = items
        .iter()
        .filter_map(|item| match item {
            FlexItem::Row { section, row } => Some((section.to_string(), row.element().to_owned())),
            _ => None,
        })
        .collect();
    let expected = [
        ("AccountInformation", "AccountInformation"),
        ("Trades", "Trade"),
        ("Trades", "Order"),
        ("Trades", "Lot"),
        ("CashTransactions", "CashTransaction"),
        ("BrandNewSection", "BrandNewRow"),
        ("FxPositions", "FxLot"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(s, e)| (s.to_string(), e.to_string()))
        .collect();
    assert_eq!(rows, expected);
    let statements = items
        .iter()
        .filter(|i| matches!(i, FlexItem::StatementStart(_)))
        .count();
    assert_eq!(statements, 2);
    assert!(items.contains(&FlexItem::SectionStart("OpenPositions".into())));
}

#[test]
fn the_typed_report_keeps_unknown_attributes_and_sections() {
    let report: ibkr_flex::FlexReport = TWO_ACCOUNTS.parse().unwrap();
    let first = &report.statements[0];
    assert_eq!(
        first.trades[0].quantity,
        Some(rust_decimal::Decimal::from(1000))
    );
    assert_eq!(first.trades[0].extra.get("newAttribute"), Some("kept"));
    assert_eq!(first.account_information[0].name.as_deref(), Some("A & B"));
    assert_eq!(first.other_sections[0].name, "BrandNewSection");
    assert_eq!(first.other_sections[0].rows[0].get("y"), Some("2"));
    assert_eq!(
        report.statements[1].fx_positions[0].fx_currency.as_deref(),
        Some("EUR")
    );
}

#[test]
fn the_generic_json_lists_every_statement_section_and_row() {
    let report = GenericReport::from_reader(TWO_ACCOUNTS.as_bytes()).unwrap();
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    let text = serde_json::to_string(&report).unwrap();
    assert_eq!(json["queryName"], "multi");
    let statements = json["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[0]["accountId"], "U1");
    assert_eq!(statements[0]["fromDate"], "20250101");
    assert_eq!(statements[0]["toDate"], "20250131");
    let trades = statements[0]["sections"]["Trades"].as_array().unwrap();
    let kinds: Vec<_> = trades.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Trade", "Order", "Lot"]);
    assert_eq!(trades[0]["quantity"], "1,000", "values stay as written");
    assert_eq!(trades[0]["newAttribute"], "kept");
    let cash = &statements[0]["sections"]["CashTransactions"][0];
    assert_eq!(cash["type"], "CashTransaction");
    assert_eq!(cash["@type"], "Dividends");
    assert_eq!(
        statements[0]["sections"]["OpenPositions"],
        serde_json::json!([])
    );
    // Sections keep document order in the text.
    let order: Vec<usize> = [
        "\"AccountInformation\"",
        "\"Trades\"",
        "\"CashTransactions\"",
        "\"OpenPositions\"",
        "\"BrandNewSection\"",
    ]
    .iter()
    .map(|s| text.find(s).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}
