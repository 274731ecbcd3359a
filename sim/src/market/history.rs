//! Historical bars: a seeded random walk laid on trading-session timestamps.
//!
//! Honours `period` and `bar` as IBKR spells them (`1min`, `5min`, `1h`, `1d`, `1w`, `1m`, `1y`)
//! and the 1000-point cap (`client-portal-api.md` §1, "Other limits"). Only the bars a request
//! asks for are generated, so nothing is precomputed at start.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use rand::Rng;

use super::walk::{normal, stream, tick_round};

/// The most bars one response carries.
pub(crate) const MAX_POINTS: usize = 1000;

/// A time unit in IBKR's period/bar syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// `5min`, `1h`, `2y`: a count and a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub count: u32,
    pub unit: Unit,
}

impl Span {
    /// Parse `5min`, `5mins`, `1h`, `2hrs`, `1d`, `1w`, `1m`, `1y` (case-insensitive).
    pub(crate) fn parse(text: &str) -> Option<Span> {
        let text = text.trim().to_ascii_lowercase();
        let split = text.find(|c: char| !c.is_ascii_digit())?;
        let (digits, unit) = text.split_at(split);
        let count: u32 = digits.parse().ok()?;
        if count == 0 {
            return None;
        }
        let unit = match unit {
            "min" | "mins" => Unit::Minute,
            "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
            "d" | "day" | "days" => Unit::Day,
            "w" | "week" | "weeks" => Unit::Week,
            "m" | "month" | "months" => Unit::Month,
            "y" | "year" | "years" => Unit::Year,
            _ => return None,
        };
        Some(Span { count, unit })
    }

    /// Bar length in seconds, as `barLength` reports it (a month bar is 2678400 s in
    /// GET_iserver_marketdata_history__ibind_fixture_AAPL.json).
    pub(crate) fn seconds(self) -> i64 {
        let unit = match self.unit {
            Unit::Minute => 60,
            Unit::Hour => 3600,
            Unit::Day => 86_400,
            Unit::Week => 604_800,
            Unit::Month => 2_678_400,
            Unit::Year => 31_536_000,
        };
        unit * i64::from(self.count)
    }

    fn intraday(self) -> bool {
        matches!(self.unit, Unit::Minute | Unit::Hour)
    }
}

/// One bar, as `data[]` carries it: `{o,h,l,c,v,t}` with `t` in epoch milliseconds.
/// It serializes itself: a year of bars built as `serde_json::Value` maps cost the simulator
/// more than the client spent on the whole request.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub(crate) struct Bar {
    pub t: i64,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    pub v: f64,
}

/// The trading session in UTC minutes after midnight (US/Eastern without daylight saving,
/// so 09:30–16:00 ET is 14:30–21:00 UTC in winter; we use the summer offset 13:30–20:00 UTC,
/// which matches the daily bar stamps 13:30 UTC in GET_iserver_marketdata_history__spec_last.json).
fn session_minutes(outside_rth: bool) -> (i64, i64) {
    if outside_rth {
        (8 * 60, 24 * 60)
    } else {
        (13 * 60 + 30, 20 * 60)
    }
}

fn is_weekday(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn at_minute(day: NaiveDate, minute: i64) -> DateTime<Utc> {
    let midnight = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default());
    midnight + Duration::minutes(minute)
}

/// The end of the most recent (or current) trading session at `now`.
fn market_end(now: DateTime<Utc>, outside_rth: bool) -> DateTime<Utc> {
    let (open, close) = session_minutes(outside_rth);
    let mut day = now.date_naive();
    loop {
        if is_weekday(day) {
            let start = at_minute(day, open);
            let end = at_minute(day, close);
            if now >= start {
                return now.min(end);
            }
        }
        day = day.pred_opt().unwrap_or(day);
    }
}

/// The start of the requested period, counting back from `end`.
fn period_start(end: DateTime<Utc>, period: Span) -> DateTime<Utc> {
    let n = i64::from(period.count);
    match period.unit {
        Unit::Minute => end - Duration::minutes(n),
        Unit::Hour => end - Duration::hours(n),
        Unit::Day => {
            // n trading days, counting the session `end` belongs to.
            let mut day = end.date_naive();
            let mut left = n;
            loop {
                if is_weekday(day) {
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
                day = day.pred_opt().unwrap_or(day);
            }
            at_minute(day, 0)
        }
        Unit::Week => end - Duration::days(7 * n),
        Unit::Month => end - Duration::days(30 * n),
        Unit::Year => end - Duration::days(365 * n),
    }
}

/// Bar start times from newest to oldest, within `[start, end]`, at most `MAX_POINTS`.
fn bar_times(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    bar: Span,
    outside_rth: bool,
) -> Vec<DateTime<Utc>> {
    let mut times = Vec::new();
    let mut day = end.date_naive();
    let first_day = start.date_naive();
    match bar.unit {
        Unit::Minute | Unit::Hour => {
            let (open, close) = session_minutes(outside_rth);
            let step = bar.seconds() / 60;
            while day >= first_day && times.len() < MAX_POINTS {
                if is_weekday(day) {
                    let mut m = open + ((close - open - 1) / step) * step;
                    while m >= open && times.len() < MAX_POINTS {
                        let t = at_minute(day, m);
                        if t >= start && t < end {
                            times.push(t);
                        }
                        m -= step;
                    }
                }
                day = match day.pred_opt() {
                    Some(d) => d,
                    None => break,
                };
            }
        }
        Unit::Day => {
            let mut skip = 0;
            while day >= first_day && times.len() < MAX_POINTS {
                if is_weekday(day) {
                    if skip == 0 {
                        times.push(at_minute(day, 13 * 60 + 30));
                    }
                    skip = (skip + 1) % bar.count;
                }
                day = match day.pred_opt() {
                    Some(d) => d,
                    None => break,
                };
            }
        }
        Unit::Week => {
            let mut monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
            while monday + Duration::days(4) >= first_day && times.len() < MAX_POINTS {
                times.push(at_minute(monday, 13 * 60 + 30));
                monday -= Duration::days(7 * i64::from(bar.count));
            }
        }
        Unit::Month | Unit::Year => {
            let step = if bar.unit == Unit::Year { 12 } else { 1 } * bar.count;
            let mut first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
            loop {
                let last_of_month = first
                    .checked_add_months(chrono::Months::new(1))
                    .and_then(|d| d.pred_opt())
                    .unwrap_or(first);
                if last_of_month < first_day || times.len() >= MAX_POINTS {
                    break;
                }
                times.push(at_minute(first, 0));
                first = match first.checked_sub_months(chrono::Months::new(step)) {
                    Some(d) => d,
                    None => break,
                };
            }
        }
    }
    times
}

/// A history request after parsing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HistoryAsk {
    pub period: Span,
    pub bar: Span,
    pub outside_rth: bool,
}

/// Generate the bars for one conid, oldest first. `anchor` is the price the newest bar closes at.
pub(crate) fn bars(
    seed: u64,
    conid: u64,
    anchor: f64,
    ask: HistoryAsk,
    now: DateTime<Utc>,
) -> Vec<Bar> {
    let outside_rth = ask.outside_rth && ask.bar.intraday();
    let end = market_end(now, outside_rth);
    let start = period_start(end, ask.period);
    let times = bar_times(start, end, ask.bar, outside_rth);
    let mut rng = stream(seed, conid, 100 + ask.bar.seconds() as u64);
    let sigma = 0.015
        * (ask.bar.seconds() as f64 / 86_400.0)
            .sqrt()
            .clamp(0.05, 6.0);
    let mut close = anchor;
    let mut out = Vec::with_capacity(times.len());
    for t in times {
        let open = tick_round(close * (sigma * normal(&mut rng)).exp());
        let wick_up = 1.0 + (sigma * 0.5 * normal(&mut rng)).abs();
        let wick_down = 1.0 - (sigma * 0.5 * normal(&mut rng)).abs().min(0.5);
        let high = tick_round(open.max(close) * wick_up);
        let low = tick_round(open.min(close) * wick_down);
        let volume = (rng.random_range(5_000.0..400_000.0) * (sigma / 0.015).max(0.05) * 100.0)
            .round()
            / 100.0;
        out.push(Bar {
            t: t.timestamp_millis(),
            o: open,
            h: high,
            l: low,
            c: close,
            v: volume,
        });
        // The bar before this one closed near where this one opened.
        close = tick_round(open * (0.002 * normal(&mut rng)).exp());
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(period: &str, bar: &str) -> HistoryAsk {
        HistoryAsk {
            period: Span::parse(period).unwrap(),
            bar: Span::parse(bar).unwrap(),
            outside_rth: false,
        }
    }

    #[test]
    fn parses_ibkr_spans() {
        assert_eq!(Span::parse("5min").unwrap().seconds(), 300);
        assert_eq!(Span::parse("1h").unwrap().seconds(), 3600);
        assert_eq!(Span::parse("1m").unwrap().unit, Unit::Month);
        assert_eq!(Span::parse("2y").unwrap().count, 2);
        assert!(Span::parse("x").is_none());
        assert!(Span::parse("0d").is_none());
    }

    #[test]
    fn a_year_of_daily_bars_is_about_252_sessions() {
        let now = Utc.with_ymd_and_hms(2026, 3, 11, 18, 0, 0).unwrap();
        let b = bars(1, 265598, 190.0, ask("1y", "1d"), now);
        assert!((250..=263).contains(&b.len()), "{}", b.len());
        assert!(b.windows(2).all(|w| w[0].t < w[1].t));
        assert_eq!(b.last().unwrap().c, 190.0);
        assert!(b.iter().all(|x| x.l <= x.o.min(x.c) && x.h >= x.o.max(x.c)));
    }

    #[test]
    fn minute_bars_are_capped_at_1000() {
        let now = Utc.with_ymd_and_hms(2026, 3, 11, 18, 0, 0).unwrap();
        assert_eq!(
            bars(1, 8314, 185.0, ask("1m", "1min"), now).len(),
            MAX_POINTS
        );
        assert_eq!(bars(1, 8314, 185.0, ask("1d", "1h"), now).len(), 5);
    }
}
