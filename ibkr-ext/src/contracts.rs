//! What a contract is and how it may be traded: details (`/iserver/contract/{conid}/info`),
//! trading rules (`/iserver/contract/rules`), and an option chain for one expiry month
//! (`/iserver/secdef/search` → `strikes` → `info`).

use futures::{StreamExt, TryStreamExt};
use ibkr_gen::trading::types;
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::portfolio::{conid_i32, money};
use crate::{Conid, Ibkr};

/// How many `secdef/info` calls of a chain are in flight at once (pacing still applies).
const CHAIN_CONCURRENCY: usize = 4;

/// What a contract is.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ContractDetails {
    /// The contract.
    pub conid: Conid,
    /// The symbol.
    pub symbol: String,
    /// The company or issuer.
    pub company: String,
    /// The instrument type (`STK`, `OPT`, `FUT`, ...).
    pub sec_type: String,
    /// The primary exchange.
    pub exchange: String,
    /// The currency it trades in.
    pub currency: String,
    /// Exchanges it trades on, comma-separated as IBKR sends them.
    pub valid_exchanges: String,
    /// The industry, for stocks.
    pub industry: Option<String>,
    /// The multiplier, for derivatives.
    pub multiplier: Option<String>,
    /// The expiry (`YYYYMMDD`), for derivatives.
    pub expiry: Option<String>,
    /// The strike, for options.
    pub strike: Option<Decimal>,
    /// `C` or `P`, for options.
    pub right: Option<String>,
}

/// How a contract may be traded, for a buy or a sell.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TradingRules {
    /// Order types IBKR accepts (`limit`, `market`, `stop`, ...).
    pub order_types: Vec<String>,
    /// Order types accepted outside regular trading hours.
    pub order_types_outside_rth: Vec<String>,
    /// Times in force (`DAY/o`, `GTC/o`, ...).
    pub tif_types: Vec<String>,
    /// The default order size.
    pub default_size: Option<i32>,
    /// The size increment.
    pub size_increment: Option<i32>,
    /// Whether the contract can be traded in fractions.
    pub fractional: bool,
    /// Accounts of the login allowed to trade it.
    pub accounts: Vec<String>,
}

/// One option of a chain.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OptionContract {
    /// The option's conid.
    pub conid: Conid,
    /// `C` or `P`.
    pub right: String,
    /// The strike.
    pub strike: Decimal,
    /// Its last trading day (`YYYYMMDD`).
    pub expiry: String,
    /// IBKR's description (`AAPL JAN 16 '27 250 Call`).
    pub description: String,
}

/// The options of one underlying expiring in one month.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OptionChain {
    /// The underlying.
    pub underlying: Conid,
    /// The underlying's symbol.
    pub symbol: String,
    /// The month asked for (`YYYYMM`).
    pub expiry_month: String,
    /// The strikes, ascending.
    pub strikes: Vec<Decimal>,
    /// Every call and put, by strike, then expiry, then right.
    pub options: Vec<OptionContract>,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// `202701` → `JAN27`, IBKR's month code.
fn month_code(expiry: &str) -> Result<String> {
    let e = expiry.trim();
    let bad = || Error::InvalidRequest {
        operation: "listStrikes",
        reason: format!("the expiry is a month as YYYYMM (202701), not {expiry:?}"),
    };
    if e.len() != 6 || !e.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let month: usize = e[4..].parse().map_err(|_| bad())?;
    let name = MONTHS.get(month.wrapping_sub(1)).ok_or_else(bad)?;
    Ok(format!("{name}{}", &e[2..4]))
}

/// `JAN27` → `202701`.
fn month_of_code(code: &str) -> Option<String> {
    let code = code.trim();
    let m = MONTHS.iter().position(|m| code.get(..3) == Some(*m))? + 1;
    let yy = code.get(3..5)?;
    Some(format!("20{yy}{m:02}"))
}

impl Ibkr {
    /// What a contract is.
    pub async fn contract(&self, conid: Conid) -> Result<ContractDetails> {
        let c = self
            .api()
            .get_contract_info()
            .conid(conid.to_string())
            .await?;
        Ok(ContractDetails {
            conid: c.con_id.map(|c| Conid(i64::from(c))).unwrap_or(conid),
            symbol: c.symbol.unwrap_or_default(),
            company: c.company_name.unwrap_or_default(),
            sec_type: c.instrument_type.unwrap_or_default(),
            exchange: c.exchange.unwrap_or_default(),
            currency: c.currency.unwrap_or_default(),
            valid_exchanges: c.valid_exchanges.unwrap_or_default(),
            industry: c.industry.filter(|s| !s.is_empty()),
            multiplier: c.multiplier.filter(|s| !s.is_empty()),
            expiry: c.maturity_date.filter(|s| !s.is_empty()),
            strike: match c.strike {
                Some(types::LooseScalar::Number(n)) => money(n).filter(|d| !d.is_zero()),
                Some(types::LooseScalar::String(s)) => {
                    s.trim().parse().ok().filter(|d: &Decimal| !d.is_zero())
                }
                None => None,
            },
            right: c.right.filter(|s| !s.is_empty() && s != "?"),
        })
    }

    /// How a contract may be traded: for a buy (`is_buy`) or a sell.
    pub async fn contract_rules(&self, conid: Conid, is_buy: bool) -> Result<TradingRules> {
        let body = types::GetContractRulesBody {
            conid: conid_i32("getContractRules", conid)?,
            is_buy,
            modify_order: false,
            order_id: None,
        };
        let r = self.api().get_contract_rules().body(body).await?;
        if let Some(e) = r.error.filter(|e| !e.is_empty()) {
            return Err(Error::NotFound {
                operation: "getContractRules",
                what: format!("conid {conid}: {e}"),
            });
        }
        Ok(TradingRules {
            order_types: r.order_types,
            order_types_outside_rth: r.order_types_outside,
            tif_types: r.tif_types,
            default_size: r.default_size,
            size_increment: r.size_increment,
            fractional: !r.fraq_types.is_empty(),
            accounts: r.can_trade_acct_ids,
        })
    }

    /// The option chain of a stock for one expiry month (`YYYYMM`): every strike, every
    /// call and put. A month without options is [`Error::NotFound`], naming the months that
    /// have some.
    ///
    /// ```no_run
    /// # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
    /// let chain = ibkr.chain("AAPL", "202701").await?;
    /// for o in chain.options.iter().filter(|o| o.right == "C") {
    ///     println!("{} {} {}", o.strike, o.expiry, o.conid);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn chain(&self, symbol: &str, expiry: &str) -> Result<OptionChain> {
        let symbol = symbol.trim().to_uppercase();
        let code = month_code(expiry)?;
        if symbol.is_empty() {
            return Err(Error::InvalidRequest {
                operation: "searchContracts",
                reason: "no symbol".into(),
            });
        }
        let found = self
            .api()
            .search_contracts()
            .symbol(symbol.as_str())
            .sec_type(types::SearchContractsSecType::Stk)
            .await?;
        let listing = found
            .iter()
            .filter(|i| {
                i.symbol
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(&symbol))
            })
            .find_map(|i| {
                let conid: i64 = i.conid.as_deref()?.trim().parse().ok()?;
                let months = i
                    .sections
                    .iter()
                    .find(|s| s.sec_type.as_deref() == Some("OPT"))?
                    .months
                    .clone()
                    .unwrap_or_default();
                Some((Conid(conid), months))
            })
            .ok_or_else(|| Error::NotFound {
                operation: "searchContracts",
                what: format!("{symbol}: IBKR lists no stock with options under this symbol"),
            })?;
        let (underlying, months) = listing;
        let months: Vec<&str> = months.split(';').filter(|m| !m.is_empty()).collect();
        let no_options = || Error::NotFound {
            operation: "listStrikes",
            what: format!(
                "{symbol} has no options expiring in {}; months with options: {}",
                expiry.trim(),
                months
                    .iter()
                    .filter_map(|m| month_of_code(m))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        if !months.contains(&code.as_str()) {
            return Err(no_options());
        }
        let strikes = self
            .api()
            .list_strikes()
            .conid(underlying.to_string())
            .sectype(types::ListStrikesSectype::Opt)
            .month(code.as_str())
            .await?;
        let mut all: Vec<f64> = strikes
            .call
            .iter()
            .chain(strikes.put.iter())
            .copied()
            .filter(|s| s.is_finite())
            .collect();
        all.sort_by(f64::total_cmp);
        all.dedup();
        if all.is_empty() {
            return Err(no_options());
        }
        let rows: Vec<Vec<types::SecDefInfoResponse>> = futures::stream::iter(all.iter().copied())
            .map(|strike| {
                let code = code.clone();
                async move {
                    let r = self
                        .api()
                        .get_secdef_info()
                        .conid(underlying.to_string())
                        .sectype("OPT")
                        .month(code)
                        .strike(strike)
                        .await?;
                    Ok::<_, Error>(match r {
                        types::GetSecdefInfoResponse::Array(v) => v,
                        types::GetSecdefInfoResponse::SecDefInfoResponse(one) => vec![one],
                    })
                }
            })
            .buffered(CHAIN_CONCURRENCY)
            .try_collect()
            .await?;
        let mut options: Vec<OptionContract> = rows
            .into_iter()
            .flatten()
            .filter_map(|r| {
                Some(OptionContract {
                    conid: Conid(i64::from(r.conid?)),
                    right: r.right.unwrap_or_default(),
                    strike: money(r.strike?)?,
                    expiry: r.maturity_date.unwrap_or_default(),
                    description: [r.desc1, r.desc2]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                })
            })
            .collect();
        options
            .sort_by(|a, b| (a.strike, &a.expiry, &a.right).cmp(&(b.strike, &b.expiry, &b.right)));
        options.dedup_by_key(|o| o.conid);
        if options.is_empty() {
            return Err(no_options());
        }
        Ok(OptionChain {
            underlying,
            symbol,
            expiry_month: expiry.trim().to_string(),
            strikes: all.into_iter().filter_map(money).collect(),
            options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_month_becomes_ibkrs_month_code_and_back() {
        assert_eq!(month_code("202701").ok().as_deref(), Some("JAN27"));
        assert_eq!(month_code("202612").ok().as_deref(), Some("DEC26"));
        assert_eq!(month_of_code("JAN27").as_deref(), Some("202701"));
        for bad in ["2027", "202713", "202700", "2027-01", "JAN27"] {
            assert!(month_code(bad).is_err(), "{bad}");
        }
    }
}
