//! The placeholder values IB writes where a Flex attribute has no value.

/// Whether a raw attribute value means "no value": `""`, `-`, `--`, `N/A` or `MULTI`
/// (IB writes `MULTI` in summary rows, e.g. `settleDateTarget="MULTI"`).
#[inline]
pub fn is_absent(value: &str) -> bool {
    match value.len() {
        0 => true,
        1 => value == "-",
        2 => value == "--",
        3 => value == "N/A",
        5 => value == "MULTI",
        _ => false,
    }
}

/// Whether a raw value means "no value" in a text column: `""`, `-`, `--` or `N/A`. Not
/// `MULTI`, which a description or a symbol may really be.
#[inline]
pub fn is_absent_text(value: &str) -> bool {
    match value.len() {
        0 => true,
        1 => value == "-",
        2 => value == "--",
        3 => value == "N/A",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{is_absent, is_absent_text};

    #[test]
    fn multi_is_a_real_value_in_text_columns() {
        assert!(!is_absent_text("MULTI"));
        for v in ["", "-", "--", "N/A"] {
            assert!(is_absent_text(v), "{v:?}");
        }
    }

    #[test]
    fn placeholders_count_as_absent_and_real_values_do_not() {
        for v in ["", "-", "--", "N/A", "MULTI"] {
            assert!(is_absent(v), "{v:?}");
        }
        for v in ["0", "-1", "NA", "MULTIPLE", " "] {
            assert!(!is_absent(v), "{v:?}");
        }
    }
}
