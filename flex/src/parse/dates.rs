//! Dates, times and date-times in every format a Flex query can be configured to emit.
//!
//! IB lets the query owner choose the date format (`yyyyMMdd` by default, `yyyy-MM-dd`,
//! `MM/dd/yyyy`, `MM/dd/yy`, `dd/MM/yyyy`, `dd-MMM-yy`), the time format (`HHmmss` or
//! `HH:mm:ss`) and the separator between them (`;` by default, `,`, `, `, space, `T` or
//! none). Values may carry a trailing UTC offset (`+05:00`, `-0400`, `Z`) or `EST`/`EDT`.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use std::fmt;

/// Which date format to accept.
///
/// [`DateFormat::Auto`] (the default) recognises every unambiguous format and reads
/// slashed dates month-first, as IB's US formats are. `dd/MM/yyyy` cannot be told apart
/// from `MM/dd/yyyy`, so it is only used when chosen explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DateFormat {
    /// Detect the format of each value; slashed dates are month-first.
    #[default]
    Auto,
    /// `yyyyMMdd` (IB's default), e.g. `20250911`.
    Compact,
    /// `yyyy-MM-dd`, e.g. `2025-09-11`.
    Iso,
    /// `MM/dd/yyyy` or `MM/dd/yy`, e.g. `09/11/2025`.
    MonthFirst,
    /// `dd/MM/yyyy` or `dd/MM/yy`, e.g. `11/09/2025` (opt-in: ambiguous).
    DayFirst,
    /// `dd-MMM-yy` or `dd-MMM-yyyy`, e.g. `11-Sep-25`.
    DayMonthName,
}

/// A Flex date-time: the wall-clock time IB wrote (US/Eastern unless the query says
/// otherwise) and the UTC offset, when the value carried one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlexDateTime {
    /// The date and time as written.
    pub local: NaiveDateTime,
    /// The offset written after the time, if any.
    pub offset: Option<FixedOffset>,
}

impl FlexDateTime {
    /// The date part.
    pub fn date(&self) -> NaiveDate {
        self.local.date()
    }
}

impl fmt::Display for FlexDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.local.format("%Y-%m-%dT%H:%M:%S"))?;
        if let Some(offset) = self.offset {
            write!(f, "{offset}")?;
        }
        Ok(())
    }
}

#[inline]
fn digit(b: u8) -> Option<u32> {
    b.is_ascii_digit().then(|| u32::from(b - b'0'))
}

#[inline]
fn number(bytes: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &b in bytes {
        n = n * 10 + digit(b)?;
    }
    Some(n)
}

/// Two-digit years as `strptime("%y")` reads them: 69–99 → 1900s, 00–68 → 2000s.
fn full_year(yy: u32) -> i32 {
    if yy >= 69 {
        1900 + yy as i32
    } else {
        2000 + yy as i32
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn month_by_name(name: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    if name.len() != 3 {
        return None;
    }
    let lower = [
        name[0].to_ascii_lowercase(),
        name[1].to_ascii_lowercase(),
        name[2].to_ascii_lowercase(),
    ];
    MONTHS
        .iter()
        .position(|m| **m == lower)
        .map(|i| i as u32 + 1)
}

fn compact(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 8 {
        return None;
    }
    ymd(number(&b[..4])? as i32, number(&b[4..6])?, number(&b[6..])?)
}

fn iso(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    ymd(number(&b[..4])? as i32, number(&b[5..7])?, number(&b[8..])?)
}

/// `aa/bb/yyyy` or `aa/bb/yy` → (aa, bb, year).
fn slashed(b: &[u8]) -> Option<(u32, u32, i32)> {
    if (b.len() != 10 && b.len() != 8) || b[2] != b'/' || b[5] != b'/' {
        return None;
    }
    let year = if b.len() == 10 {
        number(&b[6..])? as i32
    } else {
        full_year(number(&b[6..])?)
    };
    Some((number(&b[..2])?, number(&b[3..5])?, year))
}

fn day_month_name(b: &[u8]) -> Option<NaiveDate> {
    if (b.len() != 9 && b.len() != 11) || b[2] != b'-' || b[6] != b'-' {
        return None;
    }
    let year = if b.len() == 11 {
        number(&b[7..])? as i32
    } else {
        full_year(number(&b[7..])?)
    };
    ymd(year, month_by_name(&b[3..6])?, number(&b[..2])?)
}

/// Parses a date in the given format; `None` when it does not match.
pub fn parse_date(text: &str, format: DateFormat) -> Option<NaiveDate> {
    let b = text.as_bytes();
    match format {
        DateFormat::Auto => match b.len() {
            8 if b[2] == b'/' => slashed(b).and_then(|(m, d, y)| ymd(y, m, d)),
            8 => compact(b),
            10 if b[4] == b'-' => iso(b),
            10 => slashed(b).and_then(|(m, d, y)| ymd(y, m, d)),
            9 | 11 => day_month_name(b),
            _ => None,
        },
        DateFormat::Compact => compact(b),
        DateFormat::Iso => iso(b),
        DateFormat::MonthFirst => slashed(b).and_then(|(m, d, y)| ymd(y, m, d)),
        DateFormat::DayFirst => slashed(b).and_then(|(d, m, y)| ymd(y, m, d)),
        DateFormat::DayMonthName => day_month_name(b),
    }
}

/// Parses `HHmmss`, `HH:mm:ss` or `HH:mm`.
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let b = text.as_bytes();
    let (h, m, s) = match b.len() {
        6 => (number(&b[..2])?, number(&b[2..4])?, number(&b[4..])?),
        8 if b[2] == b':' && b[5] == b':' => {
            (number(&b[..2])?, number(&b[3..5])?, number(&b[6..])?)
        }
        5 if b[2] == b':' => (number(&b[..2])?, number(&b[3..])?, 0),
        4 => (number(&b[..2])?, number(&b[2..])?, 0),
        _ => return None,
    };
    NaiveTime::from_hms_opt(h, m, s)
}

/// Splits a trailing offset (`+05:00`, `-0400`, `Z`, ` EST`, ` EDT`) off a date-time.
fn split_offset(text: &str) -> (&str, Option<FixedOffset>) {
    let b = text.as_bytes();
    let n = b.len();
    if let Some(rest) = text.strip_suffix('Z') {
        return (rest, FixedOffset::east_opt(0));
    }
    for (suffix, hours) in [(" EST", -5), (" EDT", -4), (" UTC", 0), (" GMT", 0)] {
        if let Some(rest) = text.strip_suffix(suffix) {
            return (rest, FixedOffset::east_opt(hours * 3600));
        }
    }
    // `±hh:mm` or `±hhmm`, only after a time (so ISO dates' dashes are not mistaken).
    for (len, colon) in [(6usize, true), (5usize, false)] {
        if n > len + 6 {
            let tail = &b[n - len..];
            let sign = match tail[0] {
                b'+' => 1,
                b'-' => -1,
                _ => continue,
            };
            if !b[n - len - 1].is_ascii_digit() {
                continue;
            }
            let (hh, mm) = if colon {
                if tail[3] != b':' {
                    continue;
                }
                (number(&tail[1..3]), number(&tail[4..6]))
            } else {
                (number(&tail[1..3]), number(&tail[3..5]))
            };
            if let (Some(hh), Some(mm)) = (hh, mm) {
                let seconds = sign * (hh as i32 * 3600 + mm as i32 * 60);
                return (&text[..n - len], FixedOffset::east_opt(seconds));
            }
        }
    }
    (text, None)
}

/// Parses a date-time: a date, a separator (`;`, `,`, `, `, space, `T` or none), a time
/// and an optional offset. A bare date is read as midnight.
pub fn parse_date_time(text: &str, format: DateFormat) -> Option<FlexDateTime> {
    let (text, offset) = split_offset(text);
    let b = text.as_bytes();
    let make = |date: NaiveDate, time: NaiveTime| FlexDateTime {
        local: date.and_time(time),
        offset,
    };
    // The common case first: `yyyyMMdd;HHmmss`.
    if b.len() == 15
        && b[8] == b';'
        && let (Some(date), Some(time)) = (parse_date(&text[..8], format), parse_time(&text[9..]))
    {
        return Some(make(date, time));
    }
    for (i, &c) in b.iter().enumerate() {
        if matches!(c, b';' | b',' | b' ' | b'T') && i >= 8 {
            let Some(date) = parse_date(&text[..i], format) else {
                continue;
            };
            let rest = text[i + 1..].trim_start_matches([' ', ',']);
            return parse_time(rest).map(|time| make(date, time));
        }
    }
    if let Some(date) = parse_date(text, format) {
        return Some(make(date, NaiveTime::MIN));
    }
    // No separator: a date of known length followed directly by the time.
    for date_len in [8usize, 10, 9, 11] {
        if b.len() > date_len
            && text.is_char_boundary(date_len)
            && let (Some(date), Some(time)) = (
                parse_date(&text[..date_len], format),
                parse_time(&text[date_len..]),
            )
        {
            return Some(make(date, time));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn every_unambiguous_date_format_is_detected() {
        let want = date(2025, 9, 11);
        for s in [
            "20250911",
            "2025-09-11",
            "09/11/2025",
            "09/11/25",
            "11-Sep-25",
            "11-SEP-2025",
        ] {
            assert_eq!(parse_date(s, DateFormat::Auto), Some(want), "{s}");
        }
    }

    #[test]
    fn day_first_dates_are_read_only_when_chosen() {
        assert_eq!(
            parse_date("11/09/2025", DateFormat::DayFirst),
            Some(date(2025, 9, 11))
        );
        assert_eq!(
            parse_date("11/09/2025", DateFormat::Auto),
            Some(date(2025, 11, 9))
        );
        assert_eq!(parse_date("25/09/2025", DateFormat::Auto), None);
    }

    #[test]
    fn an_explicit_format_rejects_the_others() {
        assert_eq!(parse_date("2025-09-11", DateFormat::Compact), None);
        assert_eq!(parse_date("20250911", DateFormat::Iso), None);
    }

    #[test]
    fn two_digit_years_follow_strptime() {
        assert_eq!(
            parse_date("01/02/69", DateFormat::Auto),
            Some(date(1969, 1, 2))
        );
        assert_eq!(
            parse_date("01/02/68", DateFormat::Auto),
            Some(date(2068, 1, 2))
        );
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for s in ["20251301", "2025-02-30", "dasda", "2025091", "13/40/2025"] {
            assert_eq!(parse_date(s, DateFormat::Auto), None, "{s}");
        }
    }

    #[test]
    fn date_times_with_every_separator_parse() {
        let want = date(2025, 9, 11).and_hms_opt(17, 0, 5).unwrap();
        for s in [
            "20250911;170005",
            "20250911,170005",
            "20250911, 170005",
            "20250911 170005",
            "2025-09-11T17:00:05",
            "20250911170005",
            "2025-09-11;17:00:05",
            "09/11/2025, 17:00:05",
            "11-Sep-25 17:00:05",
        ] {
            let got = parse_date_time(s, DateFormat::Auto).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(got.local, want, "{s}");
            assert_eq!(got.offset, None, "{s}");
        }
    }

    #[test]
    fn a_trailing_offset_is_kept() {
        let got = parse_date_time("2025-09-11T17:00:05-04:00", DateFormat::Auto).unwrap();
        assert_eq!(got.offset, FixedOffset::east_opt(-4 * 3600));
        let got = parse_date_time("20250911;170005 EST", DateFormat::Auto).unwrap();
        assert_eq!(got.offset, FixedOffset::east_opt(-5 * 3600));
        let got = parse_date_time("20250911;170005+0530", DateFormat::Auto).unwrap();
        assert_eq!(got.offset, FixedOffset::east_opt(5 * 3600 + 30 * 60));
        assert_eq!(got.to_string(), "2025-09-11T17:00:05+05:30");
    }

    #[test]
    fn a_bare_date_is_midnight() {
        let got = parse_date_time("20250911", DateFormat::Auto).unwrap();
        assert_eq!(got.local, date(2025, 9, 11).and_hms_opt(0, 0, 0).unwrap());
    }

    #[test]
    fn times_parse_in_both_formats() {
        assert_eq!(parse_time("093001"), NaiveTime::from_hms_opt(9, 30, 1));
        assert_eq!(parse_time("09:30:01"), NaiveTime::from_hms_opt(9, 30, 1));
        assert_eq!(parse_time("25:00:00"), None);
    }
}
