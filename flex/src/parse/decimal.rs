//! Decimal amounts as IB writes them (`-1,234.5`, `0.000012`, `1E-5`), parsed without allocating.

use rust_decimal::Decimal;
use std::str::FromStr;

/// How a decimal text reads: exactly, only rounded, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalRead {
    /// The value, exactly as written.
    Exact(Decimal),
    /// The nearest `Decimal`: the text has more digits than a `Decimal` holds (28 decimal
    /// places, about 28 significant digits).
    Rounded(Decimal),
    /// The text is not a number (or is too large for a `Decimal`).
    Invalid,
}

/// Parses an amount; thousands separators (`,`) before the decimal point are accepted.
///
/// Returns `None` when the text is not a number. A value with more digits than a
/// `Decimal` holds comes back rounded: use [`read_decimal`] to tell.
#[inline]
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    match read_decimal(text) {
        DecimalRead::Exact(value) | DecimalRead::Rounded(value) => Some(value),
        DecimalRead::Invalid => None,
    }
}

/// Reads an amount like [`parse_decimal`], and says whether the value is exact.
#[inline]
pub fn read_decimal(text: &str) -> DecimalRead {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return DecimalRead::Invalid;
    };
    let (negative, digits) = match first {
        b'-' => (true, &bytes[1..]),
        b'+' => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    // The whole part (thousands separators after its first digit), then the fraction;
    // anything else (an exponent, a second dot, …) goes to the slow path.
    let n = digits.len();
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut i = 0;
    while i < n {
        let b = digits[i];
        let d = b.wrapping_sub(b'0');
        if d < 10 {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
            count += 1;
        } else if b != b',' || count == 0 {
            break;
        }
        i += 1;
    }
    let mut scale = 0usize;
    if i < n && digits[i] == b'.' {
        i += 1;
        let start = i;
        while i < n {
            let d = digits[i].wrapping_sub(b'0');
            if d >= 10 {
                break;
            }
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
            i += 1;
        }
        scale = i - start;
        count += scale;
    }
    if i != n {
        return read_decimal_slow(text);
    }
    if count == 0 {
        return DecimalRead::Invalid;
    }
    // More than 18 digits may not fit (the mantissa wrapped): the slow path reads them.
    if count > 18 || scale > 28 {
        return read_decimal_slow(text);
    }
    // At most 18 digits: the mantissa fits the low 64 of the 96 bits; scale <= 28.
    DecimalRead::Exact(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        0,
        negative,
        scale as u32,
    ))
}

/// The rare cases: very long mantissas, many decimal places and scientific notation.
#[cold]
fn read_decimal_slow(text: &str) -> DecimalRead {
    if text.trim_start_matches(['-', '+']).starts_with([',', '.']) && text.contains(',') {
        return DecimalRead::Invalid;
    }
    let cleaned: String = text.chars().filter(|c| *c != ',').collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        return DecimalRead::Invalid;
    }
    let value = if trimmed.contains(['e', 'E']) {
        Decimal::from_scientific(trimmed)
    } else {
        Decimal::from_str(trimmed)
    };
    let Ok(value) = value else {
        return DecimalRead::Invalid;
    };
    // rust_decimal rounds what it cannot hold: compare the digits it kept with the text's.
    if canonical(trimmed) == canonical(&value.to_string()) {
        DecimalRead::Exact(value)
    } else {
        DecimalRead::Rounded(value)
    }
}

/// A number's value as (negative, significant digits, power of ten): `-0012.3400` and
/// `-1.234e1` are both `(true, "1234", -2)`; zero is `(false, "", 0)`. `None` if the text
/// is not a plain or scientific number.
fn canonical(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, mut exponent) = match rest.find(['e', 'E']) {
        Some(e) => (&rest[..e], rest[e + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = whole.chars().chain(fraction.chars()).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    exponent -= fraction.len() as i64;
    while digits.ends_with('0') {
        digits.pop();
        exponent += 1;
    }
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some((false, String::new(), 0));
    }
    Some((negative, digits.to_owned(), exponent))
}

#[cfg(test)]
mod tests {
    use super::{DecimalRead, parse_decimal, read_decimal};
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
        assert_eq!(parse_decimal("-.5"), Some(d("-0.5")));
        assert_eq!(parse_decimal("7."), Some(d("7")));
        assert_eq!(parse_decimal("000000000000000000000012.5"), Some(d("12.5")));
        assert_eq!(
            parse_decimal("999999999999999999"),
            Some(d("999999999999999999"))
        );
        assert_eq!(
            parse_decimal("9999999999999999999"),
            Some(d("9999999999999999999"))
        );
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
        for s in ["", "-", ".", "-.", ",", "abc", "1.2.3", "1-2", ",5", "12a"] {
            assert_eq!(parse_decimal(s), None, "{s:?}");
        }
    }

    #[test]
    fn values_a_decimal_cannot_hold_are_reported_rounded() {
        // 29 decimal places: rust_decimal keeps 28.
        assert_eq!(
            read_decimal("0.12345678901234567890123456789"),
            DecimalRead::Rounded(d("0.1234567890123456789012345679"))
        );
        // 30 significant digits.
        assert!(matches!(
            read_decimal("12345678901234567890.1234567891"),
            DecimalRead::Rounded(_)
        ));
        assert!(matches!(
            read_decimal("1.23456789012345678901234567891e2"),
            DecimalRead::Rounded(_)
        ));
        // Trailing zeros past the 28th place change nothing.
        assert_eq!(
            read_decimal("-1.50000000000000000000000000000"),
            DecimalRead::Exact(d("-1.5"))
        );
        assert_eq!(
            read_decimal("0.1234567890123456789012345678"),
            DecimalRead::Exact(d("0.1234567890123456789012345678"))
        );
        assert_eq!(
            read_decimal("1,234,567,890,123,456,789.5"),
            DecimalRead::Exact(d("1234567890123456789.5"))
        );
        assert_eq!(read_decimal("1E-5"), DecimalRead::Exact(d("0.00001")));
        assert_eq!(read_decimal("12a"), DecimalRead::Invalid);
    }
}
