//! Truncated, garbage and non-UTF-8 input give a clear, located error and never panic.

use ibkr_flex::{FlexReader, FlexReport, GenericReport, ParseErrorKind};

fn activity() -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/activity/pp_testIBFlexStatementFile02.xml");
    std::fs::read(path).unwrap()
}

#[test]
fn a_truncated_download_names_where_it_stops() {
    let whole = activity();
    let cut = &whole[..whole.len() / 2];
    let error = FlexReport::from_reader(cut).unwrap_err();
    assert!(
        matches!(error.kind, ParseErrorKind::Truncated { .. }),
        "{error}"
    );
    let lines = cut.iter().filter(|b| **b == b'\n').count() as u64;
    assert!(
        error.line >= lines && error.line <= lines + 1,
        "{error} (input has {lines} newlines)"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("line {}, column", error.line))
    );
}

#[test]
fn every_truncation_point_is_an_error_not_a_panic() {
    let whole = activity();
    for end in (0..whole.len() - 30).step_by(97) {
        let result = FlexReport::from_reader(&whole[..end]);
        assert!(result.is_err(), "cut at {end} parsed");
    }
}

#[test]
fn garbage_is_rejected_with_a_location() {
    let error = FlexReport::from_reader(&b"hello, this is not XML"[..]).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::NoElement);
    let error = FlexReport::from_reader(&b"\n\n<html><body>oops</body></html>"[..]).unwrap_err();
    assert_eq!(
        error.kind,
        ParseErrorKind::NotAFlexReport {
            found: "html".into()
        }
    );
    assert_eq!((error.line, error.column), (3, 1));
    let error = FlexReport::from_reader(
        &b"<FlexQueryResponse><FlexStatements><FlexStatement a=\"1\"></Oops>"[..],
    )
    .unwrap_err();
    assert!(matches!(error.kind, ParseErrorKind::Xml(_)), "{error}");
    let error = FlexReport::from_reader(&b""[..]).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::Empty);
    let error = FlexReport::from_reader(&b"<FlexQueryResponse/><More/>"[..]).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::TrailingContent("More".into()));
}

#[test]
fn a_service_envelope_is_not_mistaken_for_a_statement() {
    let envelope = b"<FlexStatementResponse><Status>Warn</Status><ErrorCode>1019</ErrorCode></FlexStatementResponse>";
    let error = FlexReport::from_reader(&envelope[..]).unwrap_err();
    assert!(
        matches!(error.kind, ParseErrorKind::ServiceResponse { .. }),
        "{error}"
    );
}

#[test]
fn non_utf8_input_is_a_clear_error() {
    let mut bytes = activity();
    let at = bytes.windows(6).position(|w| w == b"ORACLE").unwrap();
    bytes[at] = 0xFF;
    let error = FlexReport::from_reader(bytes.as_slice()).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::InvalidUtf8, "{error}");
    let line = bytes[..at].iter().filter(|b| **b == b'\n').count() as u64 + 1;
    assert_eq!(error.line, line, "{error}");
    assert!(GenericReport::from_reader(bytes.as_slice()).is_err());
}

#[test]
fn the_reader_stops_after_an_error() {
    let mut reader = FlexReader::new(
        &b"<FlexQueryResponse><FlexStatement accountId=\"U1\"><Trades><Trade a=\"&bogus;\"/>"[..],
    );
    let mut errors = 0;
    for _ in 0..10 {
        match reader.next_event() {
            Ok(Some(ibkr_flex::FlexEvent::Row(row))) => {
                assert!(row.to_row().is_err());
                errors += 1;
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => errors += 1,
        }
    }
    assert_eq!(errors, 2, "a bad entity in the row, then the truncation");
}
