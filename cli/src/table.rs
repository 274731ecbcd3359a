//! One way to print records: an aligned table for people, JSON or CSV for programs, all
//! three from the same JSON objects (so `--output json` and the table never disagree).

use serde_json::{Map, Value};

use crate::args::OutputFormat;
use crate::failure::Failure;
pub use crate::print::money as num;

fn emit(line: &str) -> Result<(), Failure> {
    say!("{line}")
}

/// A cell as text: money with its own digits, strings bare, numbers as JSON writes them,
/// null empty.
fn cell(v: Option<&Value>) -> String {
    if let Some(digits) = v.and_then(crate::print::money_digits) {
        return digits.to_string();
    }
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Some(other) => other.to_string(),
    }
}

/// A CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180).
pub fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Print `records` (JSON objects) under `key`: `{"key": [..]}` as JSON, else a table or
/// CSV of `columns` in order.
pub fn records(
    format: OutputFormat,
    key: &str,
    columns: &[&str],
    records: Vec<Value>,
) -> Result<(), Failure> {
    match format {
        OutputFormat::Json => {
            let mut top = Map::new();
            top.insert(key.to_string(), Value::Array(records));
            crate::print::json(&Value::Object(top))
        }
        OutputFormat::Csv => {
            emit(&columns.join(","))?;
            for r in &records {
                let row: Vec<String> = columns.iter().map(|c| csv_cell(&cell(r.get(*c)))).collect();
                emit(&row.join(","))?;
            }
            Ok(())
        }
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = records
                .iter()
                .map(|r| columns.iter().map(|c| cell(r.get(*c))).collect())
                .collect();
            let widths: Vec<usize> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    rows.iter()
                        .map(|r| r[i].chars().count())
                        .chain([c.len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: Vec<String>| {
                let padded: Vec<String> = cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect();
                emit(padded.join("  ").trim_end())
            };
            line(columns.iter().map(|c| c.to_uppercase()).collect())?;
            for r in rows {
                line(r)?;
            }
            Ok(())
        }
    }
}

/// Print one object: as JSON itself, else as `field value` lines (table) or a one-row CSV.
pub fn object(format: OutputFormat, fields: &[&str], object: Value) -> Result<(), Failure> {
    match format {
        OutputFormat::Json => crate::print::json(&object),
        OutputFormat::Csv => records(format, "", fields, vec![object]),
        OutputFormat::Table => {
            let width = fields.iter().map(|f| f.len()).max().unwrap_or(0);
            for f in fields {
                emit(&format!("{f:<width$}  {}", cell(object.get(*f))))?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn table_and_csv_cells_show_the_decimals_own_digits() {
        // f64 holds neither: 1234567890123456.78 becomes 1234567890123456.8 and
        // 0.12345678901234567891 becomes 0.12345678901234568.
        for text in ["1234567890123456.78", "0.12345678901234567891", "-10.50"] {
            let v = num(Some(Decimal::from_str(text).unwrap()));
            assert_eq!(cell(Some(&v)), text);
            assert_eq!(csv_cell(&cell(Some(&v))), text);
        }
        assert_eq!(cell(Some(&num(None))), "");
    }
}
