//! Option chains on stocks: months, strikes and contracts, generated on demand.
//!
//! All option conids are synthetic (derived from underlying, expiry, strike and right), since
//! real option conids change with every listing.

use chrono::{Datelike, Months, NaiveDate, Weekday};

use super::catalog::{Contract, SecType, Subscription};

const MONTH_CODES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// The monthly expiry (third Friday) of a month.
fn third_friday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Fri, 3)
}

/// The next `count` monthly expiries on or after `today`.
pub(crate) fn expiries(today: NaiveDate, count: usize) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(count);
    let mut first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    while out.len() < count {
        if let Some(friday) = third_friday(first.year(), first.month())
            && friday >= today
        {
            out.push(friday);
        }
        first = match first.checked_add_months(Months::new(1)) {
            Some(d) => d,
            None => break,
        };
    }
    out
}

/// `JAN27` style month code, as `sections[].months` and the `month` parameter use it.
pub(crate) fn month_code(day: NaiveDate) -> String {
    format!(
        "{}{:02}",
        MONTH_CODES[day.month0() as usize],
        day.year() % 100
    )
}

/// Parse `JAN27` into (year, month).
pub(crate) fn parse_month_code(code: &str) -> Option<(i32, u32)> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 5 {
        return None;
    }
    let month = MONTH_CODES.iter().position(|m| code.starts_with(m))? as u32 + 1;
    let year: i32 = code[3..].parse().ok()?;
    Some((2000 + year, month))
}

/// The expiry date for a month code.
pub(crate) fn expiry_of(code: &str) -> Option<NaiveDate> {
    let (year, month) = parse_month_code(code)?;
    third_friday(year, month)
}

/// Strike grid step for an underlying price.
fn strike_step(price: f64) -> f64 {
    if price < 25.0 {
        1.0
    } else if price < 200.0 {
        2.5
    } else if price < 1000.0 {
        5.0
    } else {
        25.0
    }
}

/// Strikes within ±20 % of the underlying's price.
pub(crate) fn strikes(underlying_price: f64) -> Vec<f64> {
    let step = strike_step(underlying_price);
    let low = ((underlying_price * 0.8) / step).ceil() as i64;
    let high = ((underlying_price * 1.2) / step).floor() as i64;
    (low..=high).map(|k| k as f64 * step).collect()
}

/// The synthetic conid of an option.
pub(crate) fn option_conid(underlying: u64, expiry: NaiveDate, strike: f64, right: char) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let key = format!("{underlying}|{expiry}|{:.3}|{right}", strike);
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    800_000_000 + h % 99_000_000 // synthetic conid
}

/// `JAN 15 '27 195 Put` style description (GET_iserver_secdef_info.json `desc2`).
pub(crate) fn describe(expiry: NaiveDate, strike: f64, right: char) -> String {
    let strike = if strike.fract() == 0.0 {
        format!("{}", strike as i64)
    } else {
        format!("{strike}")
    };
    format!(
        "{} {:02} '{:02} {} {}",
        MONTH_CODES[expiry.month0() as usize],
        expiry.day(),
        expiry.year() % 100,
        strike,
        if right == 'C' { "Call" } else { "Put" }
    )
}

/// A rough option price: intrinsic value plus time value.
fn option_price(underlying_price: f64, strike: f64, right: char, years: f64) -> f64 {
    let intrinsic = if right == 'C' {
        (underlying_price - strike).max(0.0)
    } else {
        (strike - underlying_price).max(0.0)
    };
    let time_value = 0.4
        * underlying_price
        * 0.25
        * years.max(1.0 / 365.0).sqrt()
        * (-((underlying_price - strike).abs() / underlying_price) * 5.0).exp();
    ((intrinsic + time_value) * 100.0).round() / 100.0
}

/// The contract for one option on `underlying`.
pub(crate) fn option_contract(
    underlying: &Contract,
    underlying_price: f64,
    expiry: NaiveDate,
    strike: f64,
    right: char,
    today: NaiveDate,
) -> Contract {
    let years = (expiry - today).num_days() as f64 / 365.0;
    Contract {
        conid: option_conid(underlying.conid, expiry, strike, right),
        symbol: underlying.symbol.clone(),
        company_name: underlying.company_name.clone(),
        sec_type: SecType::Option,
        exchange: "SMART".to_string(),
        is_us: true,
        currency: "USD",
        ref_price: option_price(underlying_price, strike, right, years).max(0.01),
        subscription: Subscription::Live,
        sector: underlying.sector,
        group: underlying.group,
        kind: "",
        has_options: false,
        underlying: Some(underlying.conid),
        expiry: Some((expiry.year() as u32) * 10_000 + expiry.month() * 100 + expiry.day()),
        strike: Some(strike),
        right: Some(right),
        multiplier: Some("100"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_codes_round_trip() {
        let d = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        assert_eq!(month_code(d), "JAN27");
        assert_eq!(expiry_of("JAN27"), Some(d));
        assert_eq!(describe(d, 195.0, 'P'), "JAN 15 '27 195 Put");
    }

    #[test]
    fn strikes_bracket_the_price() {
        let s = strikes(190.0);
        assert!(s.first().unwrap() >= &152.0 && s.last().unwrap() <= &228.0);
        assert!(s.contains(&190.0));
    }
}
