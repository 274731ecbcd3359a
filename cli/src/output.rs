//! What the commands print: text for people, and the documented JSON schemas for programs
//! (the README lists them; `tests/it/cli.rs` checks them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ibkr_ext::orders::{LiveOrder, OrderPreview};
use ibkr_ext::prelude::*;
use ibkr_ext::snapshot::Field;
use ibkr_flex::GenericReport;
use serde_json::{Map, Value, json};

use crate::args::FileFormat;
use crate::failure::Failure;
use crate::table::csv_cell;

/// `status --json`: `{"gateway": .., "logged_in": .., "authenticated": .., "competing": .., "connected": .., "message": ..}`
pub fn status(
    json: bool,
    gateway: &str,
    s: &SessionState,
    auth: (String, Option<u64>),
) -> Result<(), Failure> {
    if json {
        return crate::print::json(&json!({
            "gateway": gateway,
            "auth": auth.0,
            "token_expires": auth.1,
            "logged_in": s.logged_in,
            "authenticated": s.authenticated,
            "competing": s.competing,
            "connected": s.connected,
            "message": s.message,
        }));
    }
    {
        say!("gateway        {gateway}")?;
        say!("auth           {}", auth.0)?;
        say!("logged in      {}", yes_no(s.logged_in))?;
        say!(
            "brokerage      {}",
            if s.authenticated {
                "open"
            } else {
                "not open (commands open it when needed)"
            }
        )?;
        say!("connected      {}", yes_no(s.connected))?;
        say!("competing      {}", yes_no(s.competing))?;
        if let Some(m) = &s.message {
            say!("message        {m}")?;
        }
    }
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// `snapshot --json`: `{"AAPL": {"conid": 265598, "LastPrice": 193.18, "Bid": .., ...}}`,
/// numbers where the value is a number, IBKR's text otherwise.
pub fn snapshot(
    json: bool,
    keyed: &[(String, Conid)],
    fields: &[Field],
    quotes: &[Quote],
) -> Result<(), Failure> {
    let mut out = Map::new();
    for (key, conid) in keyed {
        let quote = quotes.iter().find(|q| q.conid == *conid);
        let mut row = Map::new();
        row.insert("conid".into(), json!(conid.0));
        for f in fields {
            let v = quote
                .and_then(|q| q.get(*f))
                .map(|v| crate::print::ibkr_number(&v.raw, v.number))
                .unwrap_or(Value::Null);
            row.insert(format!("{f:?}"), v);
        }
        out.insert(key.clone(), Value::Object(row));
    }
    if json {
        return crate::print::json(&Value::Object(out));
    }
    let header: Vec<String> = fields.iter().map(|f| format!("{f:?}")).collect();
    say!(
        "{:<8} {:>10} {}",
        "",
        "conid",
        header
            .iter()
            .map(|h| format!("{h:>14}"))
            .collect::<String>()
    )?;
    for (key, row) in &out {
        let cells: String = fields
            .iter()
            .map(|f| match &row[&format!("{f:?}")] {
                v if crate::print::money_digits(v).is_some() => {
                    format!("{:>14}", crate::print::money_digits(v).unwrap_or_default())
                }
                Value::Null => format!("{:>14}", "-"),
                Value::Number(n) => format!("{:>14}", n.to_string()),
                Value::String(s) => format!("{s:>14}"),
                other => format!("{other:>14}"),
            })
            .collect();
        say!("{key:<8} {:>10} {cells}", row["conid"])?;
    }
    Ok(())
}

fn bar_json(b: &Bar) -> Value {
    json!({
        "t": b.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "o": b.open, "h": b.high, "l": b.low, "c": b.close, "v": b.volume,
    })
}

/// `history --json`: `{"AAPL": [{"t": "2024-01-02T00:00:00Z", "o": .., "h": .., "l": .., "c": .., "v": ..}]}`
pub fn history(json: bool, all: &BTreeMap<String, Vec<Bar>>) -> Result<(), Failure> {
    if json {
        let v: Map<String, Value> = all
            .iter()
            .map(|(k, bars)| (k.clone(), Value::Array(bars.iter().map(bar_json).collect())))
            .collect();
        return crate::print::json(&Value::Object(v));
    }
    for (k, bars) in all {
        match (bars.first(), bars.last()) {
            (Some(first), Some(last)) => say!(
                "{k:<8} {:>4} bars  {} .. {}  close {:.2} -> {:.2} ({:+.1}%)",
                bars.len(),
                first.time.date_naive(),
                last.time.date_naive(),
                first.close,
                last.close,
                (last.close / first.close - 1.0) * 100.0
            )?,
            _ => say!("{k:<8}    0 bars")?,
        }
    }
    Ok(())
}

/// `history --out DIR`: one `SYMBOL.csv` (`t,o,h,l,c,v`) or `SYMBOL.json` per item.
pub fn write_history_files(
    dir: &Path,
    all: &BTreeMap<String, Vec<Bar>>,
    format: FileFormat,
) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)?;
    for (k, bars) in all {
        let (name, body) = match format {
            FileFormat::Csv => {
                let mut s = String::from("t,o,h,l,c,v\n");
                for b in bars {
                    s.push_str(&format!(
                        "{},{},{},{},{},{}\n",
                        b.time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        b.open,
                        b.high,
                        b.low,
                        b.close,
                        b.volume
                    ));
                }
                (format!("{k}.csv"), s)
            }
            FileFormat::Json => (
                format!("{k}.json"),
                serde_json::to_string_pretty(&Value::Array(bars.iter().map(bar_json).collect()))
                    .unwrap_or_default(),
            ),
        };
        std::fs::write(dir.join(&name), body)?;
        note!("wrote {}", dir.join(name).display());
    }
    Ok(())
}

pub fn preview(json: bool, p: &OrderPreview) -> Result<(), Failure> {
    if json {
        return crate::print::json(&serde_json::to_value(p).unwrap_or(Value::Null));
    }
    for (label, m) in [
        ("amount", &p.amount),
        ("equity", &p.equity),
        ("initial", &p.initial),
        ("maintenance", &p.maintenance),
    ] {
        let parts: Vec<String> = m
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string())
                )
            })
            .collect();
        say!("{label:<12} {}", parts.join("  "))?;
    }
    if let Some(w) = &p.warning {
        say!("warning      {w}")?;
    }
    if let Some(e) = &p.error {
        say!("error        {e}")?;
    }
    Ok(())
}

/// `orders --json`: `{"orders": [..]}`, each order as the SDK decodes it (`order_id`,
/// `ticker`, `side`, `total_size`, `status`, ...).
pub fn orders(json: bool, orders: &[LiveOrder]) -> Result<(), Failure> {
    if json {
        return crate::print::json(&json!({ "orders": orders }));
    }
    if orders.is_empty() {
        say!("no live orders")?;
    }
    fn or_blank<T: std::fmt::Display>(v: Option<&T>) -> String {
        v.map(ToString::to_string).unwrap_or_default()
    }
    for o in orders {
        say!(
            "{:>12}  {:<6} {:<5} {:>8} {:<8} {}",
            o.order_id,
            or_blank(o.ticker.as_ref()),
            or_blank(o.side.as_ref()),
            or_blank(o.total_size.as_ref()),
            or_blank(o.order_type.as_ref()),
            or_blank(o.status.as_ref())
        )?;
    }
    Ok(())
}

/// `flex parse`: JSON is `{"statements": [{"accountId": .., "fromDate": .., "toDate": ..,
/// "sections": {"Trades": [{"type": "Trade", ..attributes..}]}}]}` with every statement, and
/// every section's rows in document order; CSV is one section's rows with a header of every
/// attribute seen, `type` first.
pub fn flex(
    report: &GenericReport,
    section: Option<&str>,
    format: FileFormat,
) -> Result<(), Failure> {
    match format {
        FileFormat::Json => {
            let mut v = serde_json::to_value(report)
                .map_err(|e| Failure::new(crate::failure::GENERAL, e.to_string()))?;
            if let Some(name) = section
                && let Some(statements) = v.get_mut("statements").and_then(Value::as_array_mut)
            {
                for st in statements {
                    if let Some(sections) = st.get_mut("sections").and_then(Value::as_object_mut) {
                        sections.retain(|k, _| k == name);
                    }
                }
            }
            crate::print::json(&v)
        }
        FileFormat::Csv => {
            let name = section.ok_or_else(|| {
                Failure::usage("--format csv needs --section (e.g. --section Trades)")
            })?;
            let rows: Vec<&ibkr_flex::Row> = report
                .statements
                .iter()
                .filter_map(|s| s.section(name))
                .flat_map(|s| s.rows.iter())
                .collect();
            let mut columns: Vec<String> = Vec::new();
            let mut seen = BTreeSet::new();
            for r in &rows {
                for (k, _) in r.attributes().iter() {
                    if seen.insert(k.to_string()) {
                        columns.push(k.to_string());
                    }
                }
            }
            let header: Vec<String> = std::iter::once("type".to_string())
                .chain(columns.iter().cloned())
                .map(|h| csv_cell(&h))
                .collect();
            say!("{}", header.join(","))?;
            for r in rows {
                let cells: Vec<String> = std::iter::once(csv_cell(r.element()))
                    .chain(columns.iter().map(|c| csv_cell(r.get(c).unwrap_or(""))))
                    .collect();
                say!("{}", cells.join(","))?;
            }
            Ok(())
        }
    }
}
