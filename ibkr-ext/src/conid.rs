//! Contract ids, and turning stock symbols into them: [`StockQuery`].
//!
//! IBKR identifies every instrument by a contract id (conid). `/trsrv/stocks?symbols=A,B`
//! answers, per symbol, a list of instruments (issuers: "APPLE INC", "LS 1X AAPL", ...),
//! each with contracts on one or more exchanges. A query narrows that down to exactly one
//! instrument and one contract, with ibind's rules:
//! - `name_match`: a case-insensitive substring of the instrument's name;
//! - instrument conditions: exact matches on instrument fields;
//! - contract conditions: exact matches on a contract's fields; an instrument survives if at
//!   least one of its contracts passes them all, and only those contracts are kept;
//! - with no contract condition at all, the default `isUS == true` applies; a query turns it
//!   off with [`StockQuery::any_market`] (ibind #63: users outside the US could not).
//!
//! Anything but exactly one instrument and one contract is an error that names the symbol
//! and the query and lists every candidate, so the user can refine the query.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use ibkr_gen::trading::types::{StocksValueItem, StocksValueItemContractsItem};

use crate::Ibkr;
use crate::error::{Error, Result};

/// An IBKR contract id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Conid(pub i64);

impl fmt::Display for Conid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<i64> for Conid {
    fn from(v: i64) -> Self {
        Conid(v)
    }
}

impl Conid {
    /// A conid the generated types carry as a number or as text (`LooseId`).
    pub(crate) fn from_loose(id: &ibkr_gen::trading::types::LooseId) -> Option<Conid> {
        match id {
            ibkr_gen::trading::types::LooseId::Int64(n) => Some(Conid(*n)),
            ibkr_gen::trading::types::LooseId::String(s) => s.trim().parse().ok(),
        }
    }
}

impl std::str::FromStr for Conid {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        s.trim().parse().map(Conid)
    }
}

impl<'de> Deserialize<'de> for Conid {
    /// IBKR sends conids as numbers in some places and strings in others.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_i64()
                .map(Conid)
                .ok_or_else(|| serde::de::Error::custom("conid is not an integer")),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Conid)
                .map_err(|_| serde::de::Error::custom(format!("conid {s:?} is not a number"))),
            other => Err(serde::de::Error::custom(format!(
                "conid {other} is not a number"
            ))),
        }
    }
}

/// A condition on an instrument (the issuer-level entry of `/trsrv/stocks`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InstrumentCondition {
    /// `assetClass` equals this (e.g. `STK`).
    AssetClass(String),
    /// `name` equals this exactly (use [`StockQuery::name_match`] for a substring).
    Name(String),
    /// Any other field equals this string value.
    Field(String, String),
}

/// A condition on a contract (one listing of an instrument).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContractCondition {
    /// Listed on this exchange (e.g. `NASDAQ`, `AEQLIT`), compared case-insensitively.
    Exchange(String),
    /// `isUS` equals this.
    IsUs(bool),
    /// This contract id.
    Conid(Conid),
}

/// What to look for when turning a symbol into a conid.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StockQuery {
    symbol: String,
    name_match: Option<String>,
    instrument: Vec<InstrumentCondition>,
    contract: Option<Vec<ContractCondition>>,
}

impl StockQuery {
    /// A query for `symbol` with the default US filter.
    pub fn new(symbol: impl Into<String>) -> Self {
        Self {
            symbol: symbol.into().trim().to_uppercase(),
            name_match: None,
            instrument: Vec::new(),
            contract: None,
        }
    }

    /// The symbol.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// Keep instruments whose name contains `text`, ignoring case.
    pub fn name_match(mut self, text: impl Into<String>) -> Self {
        self.name_match = Some(text.into());
        self
    }

    /// Add an instrument condition.
    pub fn instrument(mut self, condition: InstrumentCondition) -> Self {
        self.instrument.push(condition);
        self
    }

    /// Keep instruments of this asset class (`STK`, ...).
    pub fn asset_class(self, class: impl Into<String>) -> Self {
        self.instrument(InstrumentCondition::AssetClass(class.into()))
    }

    /// Add a contract condition (this replaces the default US filter).
    pub fn contract(mut self, condition: ContractCondition) -> Self {
        self.contract.get_or_insert_with(Vec::new).push(condition);
        self
    }

    /// Keep contracts on this exchange.
    pub fn exchange(self, exchange: impl Into<String>) -> Self {
        self.contract(ContractCondition::Exchange(exchange.into()))
    }

    /// Keep contracts whose `isUS` is `is_us`.
    pub fn is_us(self, is_us: bool) -> Self {
        self.contract(ContractCondition::IsUs(is_us))
    }

    /// No default US filter: consider listings in every market.
    pub fn any_market(mut self) -> Self {
        self.contract.get_or_insert_with(Vec::new);
        self
    }

    /// The contract conditions in force (the default is `isUS == true`).
    fn contract_conditions(&self) -> Vec<ContractCondition> {
        self.contract
            .clone()
            .unwrap_or_else(|| vec![ContractCondition::IsUs(true)])
    }
}

impl From<&str> for StockQuery {
    fn from(symbol: &str) -> Self {
        StockQuery::new(symbol)
    }
}

impl From<String> for StockQuery {
    fn from(symbol: String) -> Self {
        StockQuery::new(symbol)
    }
}

impl fmt::Display for StockQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.symbol)?;
        let mut parts = Vec::new();
        if let Some(n) = &self.name_match {
            parts.push(format!("name contains {n:?}"));
        }
        for c in &self.instrument {
            parts.push(match c {
                InstrumentCondition::AssetClass(a) => format!("assetClass = {a}"),
                InstrumentCondition::Name(n) => format!("name = {n:?}"),
                InstrumentCondition::Field(k, v) => format!("{k} = {v:?}"),
            });
        }
        match &self.contract {
            None => parts.push("isUS = true (default)".into()),
            Some(cs) if cs.is_empty() => parts.push("any market".into()),
            Some(cs) => parts.extend(cs.iter().map(|c| match c {
                ContractCondition::Exchange(e) => format!("exchange = {e}"),
                ContractCondition::IsUs(b) => format!("isUS = {b}"),
                ContractCondition::Conid(c) => format!("conid = {c}"),
            })),
        }
        write!(f, " [{}]", parts.join(", "))
    }
}

/// One listing a query could have meant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The instrument's name (`APPLE INC`).
    pub name: String,
    /// The exchange of the listing.
    pub exchange: String,
    /// Its conid.
    pub conid: Conid,
    /// Whether it is a US listing.
    pub is_us: bool,
}

/// Why a symbol did not resolve to exactly one conid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveFailure {
    /// IBKR's answer has no entry for the symbol.
    UnknownSymbol,
    /// Nothing matched the query.
    NoMatch,
    /// More than one instrument or contract matched.
    Ambiguous {
        /// How many instruments matched.
        instruments: usize,
        /// How many contracts matched, across them.
        contracts: usize,
    },
}

/// The error for a query that did not resolve, listing every candidate.
pub(crate) fn resolve_error(
    query: &StockQuery,
    failure: ResolveFailure,
    candidates: Vec<Candidate>,
) -> Error {
    Error::Resolve {
        symbol: query.symbol.clone(),
        query: query.to_string(),
        failure,
        candidates,
    }
}

/// An instrument (issuer-level entry) and a contract of a `/trsrv/stocks` answer, as the
/// generated client decodes them.
type Instrument = StocksValueItem;
type Contract = StocksValueItemContractsItem;

/// The contract's conid; a contract without one cannot be chosen.
fn conid_of(c: &Contract) -> Option<Conid> {
    c.conid.map(|id| Conid(i64::from(id)))
}

/// An instrument field by its JSON name, for [`InstrumentCondition::Field`].
fn instrument_field(i: &Instrument, name: &str) -> Option<String> {
    match serde_json::to_value(i).ok()?.get(name)? {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A contract as an error lists it; `None` for a contract without a conid.
fn candidate(i: &Instrument, c: &Contract) -> Option<Candidate> {
    Some(Candidate {
        name: i.name.clone().unwrap_or_default(),
        exchange: c.exchange.clone().unwrap_or_default(),
        conid: conid_of(c)?,
        is_us: c.is_us.unwrap_or(false),
    })
}

/// Apply `query` to one symbol's entry of a `/trsrv/stocks` answer.
pub(crate) fn select(query: &StockQuery, entry: Option<&[Instrument]>) -> Result<Conid> {
    let Some(instruments) = entry else {
        return Err(resolve_error(
            query,
            ResolveFailure::UnknownSymbol,
            Vec::new(),
        ));
    };
    let everything: Vec<Candidate> = instruments
        .iter()
        .flat_map(|i| i.contracts.iter().filter_map(move |c| candidate(i, c)))
        .collect();
    if instruments.is_empty() {
        return Err(resolve_error(
            query,
            ResolveFailure::UnknownSymbol,
            everything,
        ));
    }
    let conditions = query.contract_conditions();
    let contract_ok = |c: &Contract| {
        conditions.iter().all(|cond| match cond {
            ContractCondition::Exchange(e) => c
                .exchange
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(e)),
            ContractCondition::IsUs(b) => c.is_us == Some(*b),
            ContractCondition::Conid(id) => conid_of(c) == Some(*id),
        })
    };
    let instrument_ok = |i: &Instrument| {
        let name = i.name.as_deref().unwrap_or_default();
        query
            .name_match
            .as_ref()
            .is_none_or(|m| name.to_uppercase().contains(&m.to_uppercase()))
            && query.instrument.iter().all(|cond| match cond {
                InstrumentCondition::AssetClass(a) => i.asset_class.as_deref() == Some(a.as_str()),
                InstrumentCondition::Name(n) => name == n,
                InstrumentCondition::Field(k, v) => {
                    instrument_field(i, k).as_deref() == Some(v.as_str())
                }
            })
    };
    let kept: Vec<(&Instrument, Vec<&Contract>)> = instruments
        .iter()
        .filter(|i| instrument_ok(i))
        .map(|i| {
            (
                i,
                i.contracts
                    .iter()
                    .filter(|c| conid_of(c).is_some() && contract_ok(c))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, cs)| !cs.is_empty())
        .collect();
    let contracts: usize = kept.iter().map(|(_, cs)| cs.len()).sum();
    match kept.as_slice() {
        [(i, cs)] if cs.len() == 1 => candidate(i, cs[0])
            .map(|c| c.conid)
            .ok_or_else(|| resolve_error(query, ResolveFailure::NoMatch, Vec::new())),
        [] => Err(resolve_error(query, ResolveFailure::NoMatch, everything)),
        _ => {
            let matched: Vec<Candidate> = kept
                .iter()
                .flat_map(|(i, cs)| cs.iter().filter_map(move |c| candidate(i, c)))
                .collect();
            Err(resolve_error(
                query,
                ResolveFailure::Ambiguous {
                    instruments: kept.len(),
                    contracts,
                },
                matched,
            ))
        }
    }
}

/// Symbols per `/trsrv/stocks` request.
const BATCH: usize = 50;

/// Resolved conids, remembered for a while.
pub(crate) struct ConidCache {
    ttl: Duration,
    entries: std::sync::Mutex<std::collections::HashMap<StockQuery, (Conid, Instant)>>,
}

impl ConidCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Default::default(),
        }
    }

    fn get(&self, q: &StockQuery) -> Option<Conid> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(q)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(c, _)| *c)
    }

    fn put(&self, q: StockQuery, conid: Conid) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.insert(q, (conid, Instant::now()));
    }
}

impl Ibkr {
    /// Resolve one query to its conid (see [`Ibkr::resolve_conids`]).
    pub async fn resolve_conid(&self, query: impl Into<StockQuery>) -> Result<Conid> {
        let query = query.into();
        let mut results = self.resolve_each(std::slice::from_ref(&query)).await?;
        results.pop().map(|(_, r)| r).unwrap_or_else(|| {
            Err(resolve_error(
                &query,
                ResolveFailure::UnknownSymbol,
                Vec::new(),
            ))
        })
    }

    /// Resolve every query to its conid, with one `/trsrv/stocks` request per batch of 50
    /// symbols; cached results are not asked again. Fails on the first query that does not
    /// resolve to exactly one contract (use [`Ibkr::resolve_each`] for per-query results).
    pub async fn resolve_conids(&self, queries: &[StockQuery]) -> Result<BTreeMap<String, Conid>> {
        let mut out = BTreeMap::new();
        for (q, r) in self.resolve_each(queries).await? {
            out.insert(q.symbol().to_string(), r?);
        }
        Ok(out)
    }

    /// Resolve every query, returning each query's own result (the request itself can
    /// still fail as a whole).
    pub async fn resolve_each(
        &self,
        queries: &[StockQuery],
    ) -> Result<Vec<(StockQuery, Result<Conid>)>> {
        let cache = &self.owner().conids;
        let mut results: Vec<Option<Result<Conid>>> =
            queries.iter().map(|q| cache.get(q).map(Ok)).collect();
        let missing: Vec<usize> = (0..queries.len())
            .filter(|i| results[*i].is_none())
            .collect();
        let mut symbols: Vec<&str> = missing.iter().map(|&i| queries[i].symbol()).collect();
        symbols.sort();
        symbols.dedup();
        let mut answer: HashMap<String, Vec<Instrument>> = HashMap::new();
        for batch in symbols.chunks(BATCH) {
            let symbols: Vec<String> = batch.iter().map(|s| s.to_string()).collect();
            let part = self.api().search_stocks().symbols(symbols).await?;
            answer.extend(part.0);
        }
        for i in missing {
            let q = &queries[i];
            let entry = answer
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(q.symbol()))
                .map(|(_, v)| v.as_slice());
            let r = select(q, entry);
            if let Ok(c) = &r {
                cache.put(q.clone(), *c);
            }
            results[i] = Some(r);
        }
        Ok(queries
            .iter()
            .cloned()
            .zip(
                results
                    .into_iter()
                    .map(|r| r.expect("every query answered")),
            )
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ibind's recorded `/trsrv/stocks` answer for AAPL (ibind-anchor §2).
    fn aapl() -> Vec<Instrument> {
        serde_json::from_value(serde_json::json!([
            {"assetClass": "STK", "chineseName": "&#x82F9;&#x679C;&#x516C;&#x53F8;", "name": "APPLE INC",
             "contracts": [{"conid": 265598, "exchange": "NASDAQ", "isUS": true},
                           {"conid": 38708077, "exchange": "MEXI", "isUS": false},
                           {"conid": 273982664, "exchange": "EBS", "isUS": false}]},
            {"assetClass": "STK", "chineseName": null, "name": "LS 1X AAPL",
             "contracts": [{"conid": 493546048, "exchange": "LSEETF", "isUS": false}]},
            {"assetClass": "STK", "chineseName": "&#x82F9;&#x679C;&#x516C;&#x53F8;", "name": "APPLE INC-CDR",
             "contracts": [{"conid": 532640894, "exchange": "AEQLIT", "isUS": false}]}
        ]))
        .expect("decodes as the generated /trsrv/stocks entry")
    }

    #[test]
    fn plain_aapl_resolves_to_the_us_listing() {
        assert_eq!(
            select(&StockQuery::new("AAPL"), Some(&aapl())).unwrap(),
            Conid(265598)
        );
    }

    #[test]
    fn the_aeqlit_cdr_listing_resolves_with_exchange_and_name() {
        let q = StockQuery::new("AAPL")
            .name_match("APPLE")
            .is_us(false)
            .exchange("AEQLIT");
        assert_eq!(select(&q, Some(&aapl())).unwrap(), Conid(532640894));
    }

    #[test]
    fn non_us_apple_is_ambiguous_and_lists_every_candidate() {
        let q = StockQuery::new("AAPL").name_match("APPLE").is_us(false);
        let err = select(&q, Some(&aapl())).unwrap_err();
        let Error::Resolve {
            failure,
            candidates,
            symbol,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(symbol, "AAPL");
        assert_eq!(
            *failure,
            ResolveFailure::Ambiguous {
                instruments: 2,
                contracts: 3
            }
        );
        let conids: Vec<i64> = candidates.iter().map(|c| c.conid.0).collect();
        assert_eq!(conids, [38708077, 273982664, 532640894]);
        let text = err.to_string();
        assert!(
            text.contains("AAPL") && text.contains("APPLE INC-CDR") && text.contains("532640894"),
            "{text}"
        );
    }

    #[test]
    fn any_market_turns_the_default_us_filter_off() {
        let q = StockQuery::new("AAPL").name_match("LS 1X").any_market();
        assert_eq!(select(&q, Some(&aapl())).unwrap(), Conid(493546048));
        // With the default filter the same name finds nothing, and says so.
        let err = select(&StockQuery::new("AAPL").name_match("LS 1X"), Some(&aapl())).unwrap_err();
        assert!(matches!(
            err,
            Error::Resolve {
                failure: ResolveFailure::NoMatch,
                ..
            }
        ));
    }

    #[test]
    fn a_symbol_missing_from_the_answer_is_an_error() {
        let err = select(&StockQuery::new("NOPE"), None).unwrap_err();
        assert!(matches!(
            err,
            Error::Resolve {
                failure: ResolveFailure::UnknownSymbol,
                ..
            }
        ));
    }

    #[test]
    fn conids_arrive_as_numbers_or_strings() {
        let a: Conid = serde_json::from_str("265598").unwrap();
        let b: Conid = serde_json::from_str("\"265598\"").unwrap();
        assert_eq!(a, b);
    }
}
