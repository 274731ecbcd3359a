//! The one way the CLI writes: every byte a command prints goes through this module.
//!
//! - [`say!`](crate::say) writes one line on stdout, [`json`] a JSON document, [`bytes`]
//!   raw bytes (a Flex statement, a completion script).
//! - [`note!`](crate::note) writes one line on stderr: progress, hints, warnings.
//!
//! **A closed stdout is not an error.** When the reader goes away (`ibkr history … | head`),
//! the next write fails with `BrokenPipe`; this module turns that into
//! [`Failure::closed_pipe`], which commands propagate with `?` like any other failure, so
//! a long command stops at once instead of computing output nobody reads. `main` then
//! exits 0 without a word. Any other write error (a full disk) is exit 1 with its message.
//! Writes to stderr never fail a command: stderr is where a failure would be reported.
//!
//! **Money is exact.** [`money`] puts a decimal into a JSON [`Value`] so that [`json`]
//! writes it as a JSON number with the decimal's own digits (`12345678901234.56`, never
//! the `f64` neighbour) and the table and CSV writers show the same digits. The value
//! carries its digits as a string behind a private-use marker character; only this
//! module's writers know the marker, so such a value must not leave the CLI's printers.

use std::io::Write;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::failure::Failure;

/// One line on stdout, `format!` style; evaluates to `Result<(), Failure>`.
#[macro_export]
macro_rules! say {
    () => {
        $crate::print::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::print::line(format_args!($($arg)*))
    };
}

/// One line on stderr, `format!` style; a write error is ignored.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::print::note_line(format_args!($($arg)*))
    };
}

/// What a failed write to stdout means for the command.
fn stdout_failure(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::closed_pipe()
    } else {
        Failure::new(
            crate::failure::GENERAL,
            format!("cannot write the output: {e}"),
        )
    }
}

/// One line on stdout (see [`say!`](crate::say)).
pub fn line(args: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(stdout_failure)
}

/// Raw bytes on stdout, flushed.
pub fn bytes(data: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(data)
        .and_then(|()| out.flush())
        .map_err(stdout_failure)
}

/// One line on stderr (see [`note!`](crate::note)).
pub fn note_line(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// A JSON document on stdout, pretty-printed, money exact.
pub fn json(v: &Value) -> Result<(), Failure> {
    let mut text = String::new();
    write_pretty(&mut text, v, 0);
    text.push('\n');
    bytes(text.as_bytes())
}

/// Marks a string in a [`Value`] as a decimal's digits (see the module doc).
const MONEY: char = '\u{F8FF}';

/// A decimal as a JSON value that [`json`] writes as an exact number (`null` when absent).
pub fn money(d: Option<Decimal>) -> Value {
    match d {
        // IBKR's trailing zeros ("10.50") are part of the figure, so no `normalize`; but
        // never `-0`.
        Some(d) if d.is_zero() => Value::String(format!("{MONEY}{}", Decimal::new(0, d.scale()))),
        Some(d) => Value::String(format!("{MONEY}{d}")),
        None => Value::Null,
    }
}

/// A market-data value: IBKR's digits exactly when its text is a decimal (after a `C`
/// prior-close or `H` halted mark and thousands separators), else the number the SDK read
/// from it (`1.2M`), else the text itself.
pub fn ibkr_number(raw: &str, parsed: Option<f64>) -> Value {
    let digits = raw.trim().trim_start_matches(['C', 'H']).replace(',', "");
    match (
        digits.parse::<Decimal>(),
        parsed.and_then(serde_json::Number::from_f64),
    ) {
        (Ok(d), _) => money(Some(d)),
        (Err(_), Some(n)) => Value::Number(n),
        (Err(_), None) => Value::String(raw.to_string()),
    }
}

/// The digits of a value made by [`money`].
pub fn money_digits(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => s.strip_prefix(MONEY),
        _ => None,
    }
}

/// `serde_json::to_string_pretty`'s layout, with money written bare.
fn write_pretty(out: &mut String, v: &Value, depth: usize) {
    let indent = |out: &mut String, depth: usize| {
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, depth + 1);
                write_pretty(out, item, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (k, item)) in map.iter().enumerate() {
                indent(out, depth + 1);
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                write_pretty(out, item, depth + 1);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push('}');
        }
        other => match money_digits(other) {
            Some(digits) => out.push_str(digits),
            None => out.push_str(&other.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use serde_json::json;

    use super::*;

    fn pretty(v: &Value) -> String {
        let mut s = String::new();
        write_pretty(&mut s, v, 0);
        s
    }

    #[test]
    fn money_keeps_the_digits_f64_cannot_hold() {
        for text in [
            "12345678901234.56",
            "0.3",
            "-0.000000001",
            "10.50",
            "79228162514264337593543950335",
        ] {
            let d = Decimal::from_str(text).unwrap();
            let doc = pretty(&json!({"amount": money(Some(d))}));
            assert_eq!(doc, format!("{{\n  \"amount\": {text}\n}}"));
            // It is valid JSON, and a reader that keeps digits gets them back.
            let back: Value = serde_json::from_str(&doc).unwrap();
            assert!(back["amount"].is_number(), "{doc}");
        }
        let sum = Decimal::from_str("0.1").unwrap() + Decimal::from_str("0.2").unwrap();
        assert_eq!(pretty(&money(Some(sum))), "0.3");
        assert_eq!(pretty(&money(None)), "null");
    }

    #[test]
    fn layout_is_serde_jsons_pretty_layout() {
        let v = json!({"a": [1, {"b": null, "c": "x\"y"}, []], "d": {}, "e": [true]});
        assert_eq!(pretty(&v), serde_json::to_string_pretty(&v).unwrap());
    }

    #[test]
    fn market_data_numbers_keep_ibkrs_digits() {
        assert_eq!(
            pretty(&ibkr_number("12345678901234.56", Some(1.0))),
            "12345678901234.56"
        );
        assert_eq!(pretty(&ibkr_number("C193.10", Some(193.1))), "193.10");
        assert_eq!(pretty(&ibkr_number("1,234.5", Some(1234.5))), "1234.5");
        assert_eq!(pretty(&ibkr_number("1.2M", Some(1_200_000.0))), "1200000.0");
        assert_eq!(pretty(&ibkr_number("n/a", None)), "\"n/a\"");
    }
}
