//! Fuzzes every parser entry point with arbitrary bytes: none may panic, and a document
//! the typed parser accepts must be accepted by the generic and streaming views too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let typed = ibkr_flex::FlexReport::from_reader(data);
    let strict = ibkr_flex::FlexReport::from_reader_with(
        data,
        ibkr_flex::ParseOptions::default()
            .strict(true)
            .date_format(ibkr_flex::DateFormat::DayFirst),
    );
    let generic = ibkr_flex::GenericReport::from_reader(data);
    let streamed: Result<Vec<_>, _> = ibkr_flex::FlexReader::new(data).rows().collect();
    let filtered = ibkr_flex::FlexReport::from_reader_sections(
        data,
        ibkr_flex::ParseOptions::default(),
        &["Trades"],
    );
    if typed.is_ok() {
        assert!(
            generic.is_ok(),
            "typed parse accepted what the generic view rejected"
        );
        assert!(
            streamed.is_ok(),
            "typed parse accepted what the stream rejected"
        );
        assert!(
            filtered.is_ok(),
            "a section filter rejected what the typed parse accepted"
        );
    }
    if strict.is_ok() {
        assert!(typed.is_ok());
    }
    if let Ok(generic) = generic {
        let _ = serde_json::to_string(&generic);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ibkr_flex::parse::dates::parse_date_time(text, ibkr_flex::DateFormat::Auto);
        let read = ibkr_flex::parse::decimal::read_decimal(text);
        let parsed = ibkr_flex::parse::decimal::parse_decimal(text);
        match read {
            ibkr_flex::parse::decimal::DecimalRead::Exact(v)
            | ibkr_flex::parse::decimal::DecimalRead::Rounded(v) => assert_eq!(parsed, Some(v)),
            ibkr_flex::parse::decimal::DecimalRead::Invalid => assert_eq!(parsed, None),
        }
    }
});
