//! Market data: `conid` (symbols to conids), `snapshot` and `history`.

use std::collections::BTreeMap;

use futures::StreamExt;
use ibkr_ext::prelude::*;
use serde_json::json;

use crate::args::FileFormat;
use crate::context::{Session, conids_of, snapshot_fields};
use crate::failure::Failure;
use crate::output;

/// `ibkr conid`: one query per symbol, with the command line's filters.
pub fn query_for(
    symbol: &str,
    exchange: Option<&str>,
    name_match: Option<&str>,
    any_market: bool,
) -> StockQuery {
    let mut q = StockQuery::new(symbol);
    if let Some(n) = name_match {
        q = q.name_match(n);
    }
    if any_market {
        q = q.any_market();
    }
    if let Some(e) = exchange {
        q = q.exchange(e);
    }
    q
}

/// `ibkr conid`: every symbol resolved, or the first failure after printing the rest.
pub async fn conid(s: &Session, queries: &[StockQuery]) -> Result<(), Failure> {
    let results = s.ibkr.resolve_each(queries).await?;
    let mut resolved = BTreeMap::new();
    let mut first_error = None;
    for (q, r) in results {
        match r {
            Ok(c) => {
                resolved.insert(q.symbol().to_string(), c.0);
            }
            Err(e) => {
                if !s.json() {
                    note!("{e}");
                }
                first_error.get_or_insert(e);
            }
        }
    }
    if s.json() {
        crate::print::json(&json!(resolved))?;
    } else {
        for (sym, c) in &resolved {
            say!("{sym:<8} {c}")?;
        }
    }
    match first_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// `ibkr snapshot`.
pub async fn snapshot(s: &Session, items: &[String], fields: &[String]) -> Result<(), Failure> {
    s.ibkr.ensure_brokerage_session().await?;
    let fields = snapshot_fields(fields)?;
    let keyed = conids_of(&s.ibkr, items).await?;
    let conids: Vec<Conid> = keyed.iter().map(|(_, c)| *c).collect();
    let quotes = s.ibkr.snapshot(&conids, &fields).await?;
    output::snapshot(s.json(), &keyed, &fields, &quotes)?;
    Ok(())
}

/// `ibkr history`: many symbols in parallel, with a progress bar on stderr.
pub async fn history(
    s: &Session,
    items: &[String],
    period: Period,
    bar: BarSize,
    out: Option<&std::path::Path>,
    format: FileFormat,
) -> Result<(), Failure> {
    s.ibkr.ensure_brokerage_session().await?;
    let history_items: Vec<HistoryItem> = items
        .iter()
        .map(|i| match i.parse::<i64>() {
            Ok(n) => HistoryItem::Conid(Conid(n)),
            Err(_) => HistoryItem::Query(StockQuery::new(i.as_str())),
        })
        .collect();
    let bar_progress = indicatif::ProgressBar::new(history_items.len() as u64);
    bar_progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} history {pos}/{len} [{bar:30}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut stream = s.ibkr.history_many(history_items, period, bar);
    let mut all: BTreeMap<String, Vec<Bar>> = BTreeMap::new();
    let mut failed = Vec::new();
    while let Some((item, result)) = stream.next().await {
        bar_progress.inc(1);
        bar_progress.set_message(item.to_string());
        match result {
            Ok(bars) => {
                all.insert(item.to_string(), bars.bars);
            }
            Err(e) => failed.push((item.to_string(), e)),
        }
    }
    bar_progress.finish_and_clear();
    match out {
        Some(dir) => output::write_history_files(dir, &all, format)?,
        None => output::history(s.json(), &all)?,
    }
    if let Some((item, e)) = failed.into_iter().next() {
        return Err(Failure::from(e).prefixed(&item));
    }
    Ok(())
}

impl Failure {
    fn prefixed(mut self, what: &str) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}
