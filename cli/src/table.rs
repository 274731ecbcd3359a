//! One way to print records: an aligned table for people, JSON or CSV for programs, all
//! three from the same JSON objects (so `--output json` and the table never disagree).

use std::io::Write;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};

use crate::args::OutputFormat;

/// A money amount as a JSON number (`null` when absent).
pub fn num(d: Option<Decimal>) -> Value {
    d.and_then(|d| d.to_f64())
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// One line on stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
fn emit(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// A cell as text: strings bare, numbers as JSON writes them, null empty.
fn cell(v: Option<&Value>) -> String {
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

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Print `records` (JSON objects) under `key`: `{"key": [..]}` as JSON, else a table or
/// CSV of `columns` in order.
pub fn records(format: OutputFormat, key: &str, columns: &[&str], records: Vec<Value>) {
    match format {
        OutputFormat::Json => {
            let mut top = Map::new();
            top.insert(key.to_string(), Value::Array(records));
            crate::output::print_json(&Value::Object(top));
        }
        OutputFormat::Csv => {
            emit(&columns.join(","));
            for r in &records {
                let row: Vec<String> = columns.iter().map(|c| csv_cell(&cell(r.get(*c)))).collect();
                emit(&row.join(","));
            }
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
                emit(padded.join("  ").trim_end());
            };
            line(columns.iter().map(|c| c.to_uppercase()).collect());
            for r in rows {
                line(r);
            }
        }
    }
}

/// Print one object: as JSON itself, else as `field value` lines (table) or a one-row CSV.
pub fn object(format: OutputFormat, fields: &[&str], object: Value) {
    match format {
        OutputFormat::Json => crate::output::print_json(&object),
        OutputFormat::Csv => records(format, "", fields, vec![object]),
        OutputFormat::Table => {
            let width = fields.iter().map(|f| f.len()).max().unwrap_or(0);
            for f in fields {
                emit(&format!("{f:<width$}  {}", cell(object.get(*f))));
            }
        }
    }
}
