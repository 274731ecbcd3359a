//! One parse of a Flex file, for profilers (`valgrind --tool=callgrind`, `perf`): the
//! typed parse, the streaming reader, or the bare quick-xml scan the benchmark compares
//! against (the same loop as `benches/flex_parse.rs`).
//!
//! `cargo run --release -p ibkr-flex --example flex_profile -- typed|filtered|timed|stream|raw FILE`

use std::hint::black_box;

/// Every attribute of every tag, normalised and unescaped: the benchmark's baseline.
fn raw_scan(xml: &str) -> usize {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut total = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(tag) | Event::Empty(tag)) => {
                for attribute in tag.attributes().with_checks(false) {
                    let attribute = attribute.expect("attribute");
                    let value = attribute
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .expect("unescape");
                    total += value.len();
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(error) => panic!("raw scan failed at {}: {error}", reader.error_position()),
        }
    }
    total
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(path)) = (args.get(1), args.get(2)) else {
        return Err("usage: flex_profile typed|filtered|timed|stream|raw FILE".into());
    };
    let bytes = std::fs::read(path)?;
    match mode.as_str() {
        "typed" => {
            let report = ibkr_flex::FlexReport::from_reader(bytes.as_slice())?;
            let trades: usize = report.statements.iter().map(|s| s.trades.len()).sum();
            println!("{trades} trades");
            black_box(report);
        }
        "filtered" => {
            // A section filter: the Trades rows (most of the file) are never read.
            let report = ibkr_flex::FlexReport::from_reader_sections(
                bytes.as_slice(),
                ibkr_flex::ParseOptions::default(),
                &["CashTransactions"],
            )?;
            let rows: usize = report
                .statements
                .iter()
                .map(|s| s.cash_transactions.len())
                .sum();
            println!("{rows} cash transactions");
            black_box(report);
        }
        "timed" => {
            // Where the wall time of a typed parse goes: parsing, and dropping the report.
            println!(
                "size of Trade: {} bytes",
                std::mem::size_of::<ibkr_flex::Trade>()
            );
            for _ in 0..5 {
                let start = std::time::Instant::now();
                let report = ibkr_flex::FlexReport::from_reader(bytes.as_slice())?;
                let parsed = start.elapsed();
                drop(black_box(report));
                let dropped = start.elapsed() - parsed;
                let start = std::time::Instant::now();
                black_box(raw_scan(std::str::from_utf8(&bytes)?));
                let raw = start.elapsed();
                println!("parse {parsed:?}, drop {dropped:?}, raw scan {raw:?}");
            }
        }
        "stream" => {
            let mut reader = ibkr_flex::FlexReader::new(bytes.as_slice());
            let mut attributes = 0usize;
            while let Some(event) = reader.next_event()? {
                if let ibkr_flex::FlexEvent::Row(row) = event {
                    for attribute in row.attributes() {
                        black_box(attribute?);
                        attributes += 1;
                    }
                }
            }
            println!("{attributes} attributes");
        }
        "raw" => println!("{} bytes of values", raw_scan(std::str::from_utf8(&bytes)?)),
        other => return Err(format!("unknown mode {other}").into()),
    }
    Ok(())
}
