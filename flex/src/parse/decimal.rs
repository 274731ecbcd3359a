//! Decimal amounts as IB writes them (`-1,234.5`, `0.000012`, `1E-5`), parsed without allocating.

use rust_decimal::Decimal;
use std::str::FromStr;

/// Parses an amount; thousands separators (`,`) before the decimal point are accepted.
///
/// Returns `None` when the text is not a number.
#[inline]
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first()? {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let mut mantissa: u64 = 0;
    let mut scale: u32 = 0;
    let mut seen_dot = false;
    let mut seen_digit = false;
    let mut significant = 0u32;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                seen_digit = true;
                if mantissa != 0 || b != b'0' {
                    significant += 1;
                }
                if significant > 18 {
                    return parse_decimal_slow(text);
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                if seen_dot {
                    scale += 1;
                }
            }
            b',' if !seen_dot && seen_digit => {}
            b'.' if !seen_dot => seen_dot = true,
            _ => return parse_decimal_slow(text),
        }
    }
    if !seen_digit || scale > 28 {
        return if seen_digit {
            parse_decimal_slow(text)
        } else {
            None
        };
    }
    let value = i128::from(mantissa);
    Some(Decimal::from_i128_with_scale(
        if negative { -value } else { value },
        scale,
    ))
}

/// The rare cases: very long mantissas and scientific notation.
#[cold]
fn parse_decimal_slow(text: &str) -> Option<Decimal> {
    if text.trim_start_matches(['-', '+']).starts_with([',', '.']) && text.contains(',') {
        return None;
    }
    let cleaned: String = text.chars().filter(|c| *c != ',').collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        return None;
    }
    if trimmed.contains(['e', 'E']) {
        return Decimal::from_scientific(trimmed).ok();
    }
    Decimal::from_str(trimmed).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_decimal;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn plain_negative_and_fractional_amounts_parse_exactly() {
        assert_eq!(parse_decimal("123.45"), Some(d("123.45")));
        assert_eq!(parse_decimal("-0.000012"), Some(d("-0.000012")));
        assert_eq!(parse_decimal("+7"), Some(d("7")));
        assert_eq!(parse_decimal("0"), Some(Decimal::ZERO));
        assert_eq!(parse_decimal(".5"), Some(d("0.5")));
    }

    #[test]
    fn thousands_separators_are_accepted() {
        assert_eq!(parse_decimal("2,345,678.99"), Some(d("2345678.99")));
        assert_eq!(parse_decimal("-1,000"), Some(d("-1000")));
    }

    #[test]
    fn long_mantissas_and_scientific_notation_use_the_slow_path() {
        assert_eq!(
            parse_decimal("51.730909701123456789"),
            Some(d("51.730909701123456789"))
        );
        assert_eq!(parse_decimal("1E-5"), Some(d("0.00001")));
        assert_eq!(
            parse_decimal("1,234,567,890,123,456,789.5"),
            Some(d("1234567890123456789.5"))
        );
    }

    #[test]
    fn text_that_is_not_a_number_is_rejected() {
        for s in ["", "-", "abc", "1.2.3", "1-2", ",5", "12a"] {
            assert_eq!(parse_decimal(s), None, "{s:?}");
        }
    }
}
