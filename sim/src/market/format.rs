//! Number formats the gateway uses in its string-typed fields.
//!
//! Source: `client-portal-api.md` §2 (snapshot values are strings, `88` with thousands
//! separators, `87` with K/M suffixes) and GET_iserver_marketdata_snapshot__after_preflight.json.

/// `168.42` with exactly two decimals.
pub(crate) fn price(value: f64) -> String {
    format!("{value:.2}")
}

/// `1,300` style: an integer with thousands separators.
pub(crate) fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `1,977.60` style: two decimals with thousands separators (whatif amounts, question texts).
pub(crate) fn money(value: f64) -> String {
    let negative = value < 0.0;
    let cents = (value.abs() * 100.0).round() as u64;
    let sign = if negative { "-" } else { "" };
    format!("{sign}{}.{:02}", thousands(cents / 100), cents % 100)
}

/// `12.3M` / `845K` / `950` style volume, as field `87` shows it.
pub(crate) fn volume(value: u64) -> String {
    if value >= 1_000_000 {
        format!("{:.2}M", value as f64 / 1_000_000.0)
    } else if value >= 1_000 {
        format!("{:.1}K", value as f64 / 1_000.0)
    } else {
        value.to_string()
    }
}

/// A quantity as IBKR writes it in order texts: `5`, `2.5`.
pub(crate) fn quantity(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_real_samples() {
        assert_eq!(price(168.4200001), "168.42");
        assert_eq!(thousands(1300), "1,300");
        assert_eq!(thousands(200), "200");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(money(1977.6), "1,977.60");
        assert_eq!(volume(12_345_678), "12.35M");
        assert_eq!(volume(845_000), "845.0K");
        assert_eq!(quantity(5.0), "5");
    }
}
