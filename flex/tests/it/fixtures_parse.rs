//! Every fixture parses (or, if known to be malformed, fails with a clear, located error),
//! with row counts and key values checked against the files.

use chrono::NaiveDate;
use ibkr_flex::{
    AssetClass, BuySell, CashAction, FlexReport, GenericReport, ParseErrorKind, ParseOptions,
    TradeType,
};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::str::FromStr;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(name: &str) -> FlexReport {
    FlexReport::from_reader(fixture(name).as_slice()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// (file, statements, Trade rows, CashTransaction rows, ConversionRate rows,
/// OpenPosition rows): counted in the files with grep.
const COUNTS: &[(&str, usize, usize, usize, usize, usize)] = &[
    ("activity/gabbersepp_StatementOfFunds.xml", 1, 0, 0, 0, 0),
    ("activity/gabbersepp_TestForCoding.xml", 1, 15, 0, 0, 0),
    ("activity/ibflex_test_types_assembled.xml", 1, 2, 1, 1, 1),
    ("activity/pp_testIBFlexStatementFile01.xml", 1, 14, 7, 0, 0),
    ("activity/pp_testIBFlexStatementFile02.xml", 1, 9, 4, 0, 0),
    ("activity/pp_testIBFlexStatementFile03.xml", 1, 0, 2, 0, 0),
    ("activity/pp_testIBFlexStatementFile04.xml", 1, 1, 0, 0, 0),
    ("activity/pp_testIBFlexStatementFile06.xml", 1, 2, 2, 0, 0),
    ("activity/pp_testIBFlexStatementFile07.xml", 1, 1, 0, 0, 0),
    ("activity/pp_testIBFlexStatementFile08.xml", 1, 0, 3, 0, 0),
    ("activity/pp_testIBFlexStatementFile09.xml", 1, 2, 0, 0, 0),
    ("activity/pp_testIBFlexStatementFile11.xml", 1, 1, 0, 0, 0),
    ("activity/pp_testIBFlexStatementFile12.xml", 1, 4, 14, 0, 0),
    ("activity/pp_testIBFlexStatementFile13.xml", 1, 1, 0, 0, 0),
    ("activity/pp_testIBFlexStatementFile14.xml", 1, 8, 2, 720, 0),
    ("activity/pp_testIBFlexStatementFile15.xml", 1, 1, 2, 0, 0),
    ("activity/pp_testIBFlexStatementFile16.xml", 1, 2, 0, 0, 0),
    ("activity/pp_testIBFlexStatementFile17.xml", 1, 0, 3, 0, 13),
    ("activity/pp_testIBFlexStatementFile20.xml", 1, 1, 2, 2, 0),
    ("activity/pp_testIBFlexStatementFile23.xml", 1, 0, 2, 0, 0),
    ("activity/pp_testIBFlexStatementFile24.xml", 1, 0, 10, 0, 0),
    ("activity/pp_testIBFlexStatementFile25.xml", 1, 0, 4, 578, 0),
    ("activity/pp_testIBFlexStatementFile27.xml", 1, 1, 0, 0, 0),
    ("activity/pp_testIBFlexStatementFile29.xml", 3, 0, 5, 3, 0),
    (
        "synthetic_fixtures/ib-flex_activity_backfill.xml",
        3,
        6,
        4,
        9,
        11,
    ),
    (
        "synthetic_fixtures/ib-flex_activity_cash.xml",
        1,
        0,
        15,
        1,
        0,
    ),
    (
        "synthetic_fixtures/ib-flex_activity_corporate_actions.xml",
        1,
        0,
        2,
        1,
        0,
    ),
    (
        "synthetic_fixtures/ib-flex_activity_daily_portfolio.xml",
        1,
        3,
        3,
        3,
        5,
    ),
    (
        "synthetic_fixtures/ib-flex_activity_extended.xml",
        1,
        1,
        0,
        0,
        0,
    ),
    (
        "synthetic_fixtures/ib-flex_activity_options.xml",
        1,
        4,
        2,
        1,
        2,
    ),
    (
        "synthetic_fixtures/ib-flex_wild_crypto_transfer.xml",
        1,
        0,
        0,
        0,
        0,
    ),
    (
        "synthetic_fixtures/ib-flex_wild_lending_economics.xml",
        1,
        1,
        3,
        0,
        0,
    ),
    (
        "synthetic_fixtures/ib-flex_wild_stock_grant.xml",
        1,
        0,
        0,
        0,
        0,
    ),
    (
        "trade_confirm/gabbersepp_tradeconfirm_attribute_probes.xml",
        1,
        0,
        0,
        0,
        0,
    ),
];

#[test]
fn every_well_formed_fixture_parses_with_the_row_counts_of_the_file() {
    for &(name, statements, trades, cash, rates, positions) in COUNTS {
        let report = parse(name);
        assert_eq!(report.statements.len(), statements, "{name}: statements");
        let sum = |f: &dyn Fn(&ibkr_flex::FlexStatement) -> usize| -> usize {
            report.statements.iter().map(f).sum()
        };
        assert_eq!(sum(&|s| s.trades.len()), trades, "{name}: trades");
        assert_eq!(
            sum(&|s| s.cash_transactions.len()),
            cash,
            "{name}: cash transactions"
        );
        assert_eq!(
            sum(&|s| s.conversion_rates.len()),
            rates,
            "{name}: conversion rates"
        );
        assert_eq!(
            sum(&|s| s.open_positions.len()),
            positions,
            "{name}: open positions"
        );
    }
}

#[test]
fn every_fixture_in_the_folder_is_covered() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seen = 0;
    for dir in [
        "activity",
        "synthetic_fixtures",
        "trade_confirm",
        "web_service",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let name = format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy());
            let known = COUNTS.iter().any(|c| c.0 == name)
                || name == "synthetic_fixtures/ib-flex_activity_simple.xml"
                || name.starts_with("web_service/");
            assert!(known, "{name} has no test");
            seen += 1;
        }
    }
    assert_eq!(seen, COUNTS.len() + 1 + 4);
}

#[test]
fn generic_view_has_the_same_rows_in_document_order() {
    for &(name, statements, trades, ..) in COUNTS {
        let report = GenericReport::from_reader(fixture(name).as_slice()).unwrap();
        assert_eq!(report.statements.len(), statements, "{name}");
        let generic_trades: usize = report
            .statements
            .iter()
            .flat_map(|s| &s.sections)
            .flat_map(|s| &s.rows)
            .filter(|r| r.element() == "Trade")
            .count();
        assert_eq!(generic_trades, trades, "{name}");
    }
}

#[test]
fn a_real_swiss_statement_has_its_trade_cash_and_rates() {
    let report = parse("activity/pp_testIBFlexStatementFile14.xml");
    let statement = &report.statements[0];
    let trade = &statement.trades[0];
    assert_eq!(trade.symbol.as_deref(), Some("CHSPIz"));
    assert_eq!(trade.conid, Some(150029461));
    assert_eq!(trade.quantity, Some(dec("2")));
    assert_eq!(trade.trade_price, Some(dec("136.16")));
    assert_eq!(trade.trade_date, Some(date(2023, 2, 10)));
    assert_eq!(
        trade.date_time.unwrap().local,
        date(2023, 2, 10).and_hms_opt(7, 15, 26).unwrap()
    );
    assert_eq!(trade.transaction_type, Some(TradeType::ExchangeTrade));
    assert_eq!(trade.asset_category, Some(AssetClass::Stock));
    // Empty attributes are absent, not errors.
    assert_eq!(trade.strike, None);
    let cash = &statement.cash_transactions[0];
    assert_eq!(cash.amount, Some(dec("1500")));
    assert_eq!(cash.kind, Some(CashAction::DepositsWithdrawals));
    let rate = &statement.conversion_rates[0];
    assert_eq!(rate.from_currency.as_deref(), Some("MXN"));
    assert_eq!(rate.to_currency.as_deref(), Some("CHF"));
    assert_eq!(rate.rate, Some(dec("0.048833")));
    assert_eq!(rate.report_date, Some(date(2023, 2, 1)));
}

#[test]
fn a_2017_statement_keeps_book_trades_and_withholding_tax() {
    let report = parse("activity/pp_testIBFlexStatementFile02.xml");
    let statement = &report.statements[0];
    let trade = &statement.trades[0];
    assert_eq!(trade.symbol.as_deref(), Some("ORCL"));
    assert_eq!(trade.buy_sell, Some(BuySell::Buy));
    assert_eq!(trade.quantity, Some(dec("100")));
    assert_eq!(trade.trade_price, Some(dec("50")));
    assert_eq!(trade.trade_date, Some(date(2017, 9, 15)));
    assert_eq!(trade.exchange, None, "`--` is absent");
    // tradeTime is not typed: it stays reachable.
    assert_eq!(trade.extra.get("tradeTime"), Some("162000"));
    let tax = &statement.cash_transactions[0];
    assert_eq!(tax.amount, Some(dec("-2.85")));
    assert_eq!(tax.kind, Some(CashAction::WithholdingTax));
}

#[test]
fn iso_dates_and_mixed_trades_rows_are_typed() {
    let report = parse("activity/ibflex_test_types_assembled.xml");
    let statement = &report.statements[0];
    assert_eq!(statement.from_date, Some(date(2011, 1, 3)));
    let trade = &statement.trades[0];
    assert_eq!(trade.expiry, Some(date(2011, 9, 17)));
    assert_eq!(trade.trade_date, Some(date(2011, 8, 11)));
    assert_eq!(trade.asset_category, Some(AssetClass::Option));
    assert!(!statement.lots.is_empty());
    assert!(!statement.orders.is_empty() || !statement.symbol_summaries.is_empty());
    let account = &statement.account_information[0];
    assert_eq!(
        account.master_name.as_deref(),
        Some("Dewey Cheatham & Howe")
    );
    assert_eq!(account.date_opened, Some(date(2009, 6, 25)));
    assert!(
        !statement.fx_positions.is_empty(),
        "FxPositions>FxLots>FxLot is flattened"
    );
    assert_eq!(
        statement.equity_summary_in_base[0].total,
        Some(dec("40.1509097"))
    );
}

#[test]
fn whengenerated_with_a_space_separator_parses() {
    let report = parse("activity/pp_testIBFlexStatementFile01.xml");
    let when = report.statements[0].when_generated.unwrap();
    assert_eq!(when.local, date(2013, 1, 2).and_hms_opt(1, 25, 14).unwrap());
    assert_eq!(report.statements[0].trades[0].quantity, Some(dec("5000")));
}

#[test]
fn all_statements_are_returned_even_when_count_is_wrong() {
    let report = parse("activity/pp_testIBFlexStatementFile29.xml");
    assert_eq!(report.statements.len(), 3);
    let first = &report.statements[0].cash_transactions[0];
    assert_eq!(first.symbol.as_deref(), Some("HIDR"));
    assert_eq!(first.amount, Some(dec("18.15")));
    assert_eq!(
        report.statements[1].account_information[0]
            .currency
            .as_deref(),
        Some("GBP")
    );
}

#[test]
fn a_row_outside_any_statement_is_kept_not_fatal() {
    let report = parse("activity/pp_testIBFlexStatementFile12.xml");
    assert_eq!(report.rows_outside_statements.len(), 1);
    assert_eq!(
        report.rows_outside_statements[0].element(),
        "AccountInformation"
    );
    // conid="XXXXXCAD" is not a number: kept as text in tolerant mode.
    let trade = &report.statements[0].trades[0];
    assert_eq!(trade.conid, None);
    assert_eq!(trade.extra.get("conid"), Some("XXXXXCAD"));
}

#[test]
fn unknown_enum_values_become_other() {
    let report = parse("synthetic_fixtures/ib-flex_activity_cash.xml");
    let kinds: Vec<_> = report.statements[0]
        .cash_transactions
        .iter()
        .filter_map(|c| c.kind.clone())
        .collect();
    assert!(kinds.contains(&CashAction::BondInterest), "{kinds:?}");
    let report = parse("synthetic_fixtures/ib-flex_activity_options.xml");
    let types: Vec<_> = report.statements[0]
        .trades
        .iter()
        .filter_map(|t| t.transaction_type.clone())
        .collect();
    assert!(
        types.contains(&TradeType::Other("Assignment".to_owned())),
        "{types:?}"
    );
}

#[test]
fn trade_confirmation_reports_are_supported() {
    let report = parse("trade_confirm/gabbersepp_tradeconfirm_attribute_probes.xml");
    assert_eq!(report.kind, Some(ibkr_flex::ReportKind::TradeConfirmation));
    let confirms = &report.statements[0].trade_confirms;
    assert_eq!(confirms.len(), 76);
    assert_eq!(confirms[9].symbol.as_deref(), Some("KO"));
    assert_eq!(confirms[11].conid, Some(8894));
    // currency='XYZ' is just text; assetCategory='unknown' is Other.
    assert_eq!(confirms[5].currency.as_deref(), Some("XYZ"));
    assert_eq!(
        confirms[8].asset_category,
        Some(AssetClass::Other("unknown".to_owned()))
    );
    // multiplier='abc' does not parse: kept as text.
    let abc = confirms
        .iter()
        .find(|c| c.extra.get("multiplier") == Some("abc"));
    assert!(abc.is_some_and(|c| c.multiplier.is_none()));
}

#[test]
fn strict_mode_rejects_unparseable_values_with_their_location() {
    let bytes = fixture("trade_confirm/gabbersepp_tradeconfirm_attribute_probes.xml");
    let error =
        FlexReport::from_reader_with(bytes.as_slice(), ParseOptions::default().strict(true))
            .unwrap_err();
    assert_eq!(error.line, 29);
    assert!(
        matches!(
            &error.kind,
            ParseErrorKind::InvalidValue { attribute, value, .. } if attribute == "multiplier" && value == "abc"
        ),
        "{error}"
    );
}

#[test]
fn a_raw_ampersand_is_a_clear_error_with_line_and_column() {
    let bytes = fixture("synthetic_fixtures/ib-flex_activity_simple.xml");
    let error = FlexReport::from_reader(bytes.as_slice()).unwrap_err();
    assert_eq!(error.line, 81);
    assert!(
        matches!(error.kind, ParseErrorKind::InvalidEntity { .. }),
        "{error}"
    );
    let line = String::from_utf8_lossy(&bytes)
        .lines()
        .nth(80)
        .unwrap()
        .to_owned();
    assert_eq!(
        &line[error.column as usize - 1..][..5],
        "Depos",
        "{error}: {line}"
    );
    let generic = GenericReport::from_reader(bytes.as_slice()).unwrap_err();
    assert_eq!(generic, error);
}

#[test]
fn an_empty_section_is_listed_without_rows() {
    let report = parse("activity/pp_testIBFlexStatementFile17.xml");
    let statement = &report.statements[0];
    assert_eq!(statement.section_names.len(), 44);
    assert!(
        statement
            .section_names
            .iter()
            .any(|s| s == "EquitySummaryInBase")
    );
    assert_eq!(statement.open_positions[0].symbol.as_deref(), Some("AMC"));
    assert_eq!(statement.open_positions[0].position, Some(dec("31")));
}
