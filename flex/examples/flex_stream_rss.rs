//! Streams every row of a Flex file (argv[1]) and reports the peak resident memory, to show
//! that streaming stays bounded by one row whatever the file size.
//!
//! `cargo run --release -p ibkr-flex --example flex_stream_rss -- target/bench-data/flex_100mb.xml`

use ibkr_flex::{FlexEvent, FlexReader};
use std::io::BufReader;

/// Peak resident set size in kB (VmHWM of /proc/self/status; Linux only).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: flex_stream_rss <file.xml>")?;
    let file = std::fs::File::open(&path)?;
    let mut reader = FlexReader::new(BufReader::with_capacity(64 * 1024, file));
    let (mut rows, mut attributes, mut statements) = (0u64, 0u64, 0u64);
    while let Some(event) = reader.next_event()? {
        match event {
            FlexEvent::Row(row) => {
                rows += 1;
                for attribute in row.attributes() {
                    attribute?;
                    attributes += 1;
                }
            }
            FlexEvent::StatementStart(_) => statements += 1,
            _ => {}
        }
    }
    println!("streamed {statements} statements, {rows} rows, {attributes} attributes");
    let peak = peak_rss_kb().ok_or("cannot read VmHWM from /proc/self/status")?;
    println!("FIGURE flex streaming peak RSS: {} MB", peak.div_ceil(1024));
    Ok(())
}
