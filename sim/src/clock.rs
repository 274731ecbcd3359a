//! Wall-clock helpers: epoch milliseconds and IBKR's date-time string formats.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A UTC date-time from epoch milliseconds (the epoch itself if out of range).
pub(crate) fn utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Whether US/Eastern is on daylight time at this instant (second Sunday of March to first
/// Sunday of November, 2 a.m. local; close enough for display strings).
fn eastern_dst(at: DateTime<Utc>) -> bool {
    let year = at.year();
    let nth_sunday = |month: u32, n: u32| -> Option<NaiveDate> {
        NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n as u8)
    };
    match (nth_sunday(3, 2), nth_sunday(11, 1)) {
        (Some(start), Some(end)) => {
            let start = start.and_hms_opt(7, 0, 0).map(|d| d.and_utc());
            let end = end.and_hms_opt(6, 0, 0).map(|d| d.and_utc());
            matches!((start, end), (Some(s), Some(e)) if at >= s && at < e)
        }
        _ => false,
    }
}

/// The instant shifted to US/Eastern wall-clock time, with its zone abbreviation.
pub(crate) fn eastern(at: DateTime<Utc>) -> (chrono::NaiveDateTime, &'static str) {
    if eastern_dst(at) {
        ((at - chrono::Duration::hours(4)).naive_utc(), "EDT")
    } else {
        ((at - chrono::Duration::hours(5)).naive_utc(), "EST")
    }
}
