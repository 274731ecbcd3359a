//! Contract lookup: `/trsrv/stocks`, `/trsrv/secdef`, `/trsrv/futures`, `/iserver/secdef/*`,
//! `/iserver/contract/{conid}/info`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use serde_json::{Map, Value, json};

use super::params::{self, json_body, text_field};
use super::reply;
use crate::market::catalog::{Catalog, Contract, FUTURES, SecType};
use crate::market::options;
use crate::world::World;
use crate::world::WorldHandle;

/// `valid_exchanges` of a US stock (GET_iserver_contract_{conid}_info.json).
const STOCK_EXCHANGES: &str = "SMART,AMEX,NYSE,CBOE,PHLX,ISE,CHX,ARCA,ISLAND,DRCTEDGE,BEX,BATS,EDGEA,JEFFALGO,BYX,IEX,EDGX,FOXRIVER,PEARL,NYSENAT,LTSE,MEMX,TPLUS1,IBEOS,OVERNIGHT,PSX";
/// `validExchanges` of a US option (GET_iserver_secdef_info.json).
const OPTION_EXCHANGES: &str = "SMART,AMEX,CBOE,PHLX,PSE,ISE,BOX,BATS,NASDAQOM,CBOE2,NASDAQBX,MIAX,GEMINI,EDGX,MERCURY,PEARL,EMERALD,MEMX,IBUSOPT";
/// Option exchanges as `/iserver/secdef/search` sections list them (GET_iserver_secdef_search.json).
const OPTION_SECTION_EXCHANGES: &str = "SMART;AMEX;BATS;BOX;CBOE;CBOE2;EDGX;EMERALD;GEMINI;IBUSOPT;ISE;MEMX;MERCURY;MIAX;NASDAQBX;NASDAQOM;PEARL;PHLX;PSE";

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn yyyymmdd(d: NaiveDate) -> u32 {
    use chrono::Datelike;
    (d.year() as u32) * 10_000 + d.month() * 100 + d.day()
}

/// `GET /trsrv/stocks?symbols=A,B` (GET_trsrv_stocks.json; ibind-anchor §2).
pub(crate) async fn stocks(Query(q): Query<params::Query>) -> Response {
    let symbols = params::list(&q, "symbols");
    if symbols.is_empty() {
        return reply::bad_request(400, "Bad Request: symbols is required");
    }
    let mut out = Map::new();
    for symbol in symbols {
        let rows: Vec<Value> = Catalog::companies(&symbol)
            .map(|c| {
                json!({
                    "name": c.name,
                    "chineseName": c.chinese_name,
                    "assetClass": "STK",
                    "contracts": c.listings.iter().map(|&(conid, exchange, is_us)| json!({
                        "conid": conid, "exchange": exchange, "isUS": is_us,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        out.insert(symbol.to_ascii_uppercase(), Value::Array(rows));
    }
    reply::ok(&Value::Object(out))
}

fn secdef_row(c: &Contract) -> Value {
    let company = Catalog::company_of(c.conid);
    let expiry = c.expiry.map(|e| e.to_string());
    json!({
        "conid": c.conid,
        "currency": c.currency,
        "time": 43,
        "chineseName": company.and_then(|co| co.chinese_name),
        "allExchanges": if c.sec_type == SecType::Option { OPTION_EXCHANGES } else { STOCK_EXCHANGES },
        "listingExchange": c.exchange,
        "countryCode": if c.is_us { "US" } else { "" },
        "name": c.company_name,
        "assetClass": c.sec_type.code(),
        "expiry": expiry,
        "lastTradingDay": expiry,
        "group": c.group,
        "putOrCall": c.right.map(|r| r.to_string()),
        "sector": c.sector,
        "sectorGroup": c.group,
        "strike": c.strike.map(|s| format!("{s}")).unwrap_or_else(|| "0".to_string()),
        "ticker": c.symbol,
        "undConid": c.underlying.unwrap_or(0),
        "multiplier": c.multiplier.and_then(|m| m.parse::<f64>().ok()).unwrap_or(0.0),
        "type": if c.sec_type == SecType::Stock { c.kind } else { "" },
        "hasOptions": c.has_options,
        "fullName": c.symbol,
        "isUS": c.is_us,
        "incrementRules": [{"lowerEdge": 0.0, "increment": 0.01}],
        "displayRule": {
            "magnification": 0,
            "displayRuleStep": [{"decimalDigits": 2, "lowerEdge": 0.0, "wholeDigits": 4}],
        },
        "isEventContract": false,
        "pageSize": 100,
    })
}

/// `GET /trsrv/secdef?conids=1,2` (GET_trsrv_secdef.json); unknown conids are left out.
pub(crate) async fn secdef(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let conids = params::list(&q, "conids");
    if conids.is_empty() {
        return reply::bad_request(400, "Bad Request: conids is required");
    }
    let world = world.lock();
    let rows: Vec<Value> = conids
        .iter()
        .filter_map(|c| c.parse::<u64>().ok())
        .filter_map(|c| world.catalog.get(c))
        .map(secdef_row)
        .collect();
    reply::ok(&json!({ "secdef": rows }))
}

/// `GET /trsrv/futures?symbols=ES` (GET_trsrv_futures.json): contracts not yet expired.
pub(crate) async fn futures(Query(q): Query<params::Query>) -> Response {
    let symbols = params::list(&q, "symbols");
    if symbols.is_empty() {
        return reply::bad_request(400, "Bad Request: symbols is required");
    }
    let today = yyyymmdd(today());
    let mut out = Map::new();
    for symbol in symbols {
        let rows: Vec<Value> = Catalog::future_chain(&symbol)
            .map(|f| {
                f.months
                    .iter()
                    .filter(|m| m.1 >= today)
                    .map(|&(conid, expiry, ltd)| {
                        json!({
                            "symbol": f.symbol,
                            "conid": conid,
                            "underlyingConid": f.underlying_conid,
                            "expirationDate": expiry,
                            "ltd": ltd,
                            "shortFuturesCutOff": ltd,
                            "longFuturesCutOff": ltd,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(symbol.to_ascii_uppercase(), Value::Array(rows));
    }
    reply::ok(&Value::Object(out))
}

struct SearchAsk {
    symbol: String,
    by_name: bool,
    sec_type: Option<String>,
}

fn search_results(world: &mut World, ask: &SearchAsk) -> Vec<Value> {
    let mut out = Vec::new();
    let wanted = ask.symbol.trim().to_ascii_uppercase();
    if wanted.is_empty() {
        return out;
    }
    let sec_type = ask.sec_type.as_deref().map(str::to_ascii_uppercase);
    if ask.by_name {
        // GET_iserver_secdef_search__name_true.json: one row per matching company listing.
        for c in crate::market::catalog::COMPANIES
            .iter()
            .filter(|c| c.name.contains(&wanted))
        {
            if let Some(&(conid, exchange, _)) = c.listings.first() {
                out.push(json!({
                    "conid": conid.to_string(),
                    "companyHeader": format!("{} {} ({}) ", c.symbol, c.name, exchange),
                    "companyName": format!("{} ({})", c.name, exchange),
                    "symbol": c.symbol,
                    "description": null,
                    "restricted": null,
                    "sections": [],
                    "secType": "STK",
                }));
            }
        }
        return out;
    }
    let wants = |t: &str| sec_type.as_deref().is_none_or(|s| s == t);
    if wants("STK") {
        let expiries = options::expiries(today(), 8);
        for c in Catalog::companies(&wanted) {
            for (i, &(conid, exchange, is_us)) in c.listings.iter().enumerate() {
                let primary = i == 0;
                let optionable = primary && is_us && c.has_options;
                let mut sections = vec![json!({"secType": "STK"})];
                if optionable {
                    sections.push(json!({
                        "secType": "OPT",
                        "months": expiries.iter().map(|d| options::month_code(*d)).collect::<Vec<_>>().join(";"),
                        "exchange": OPTION_SECTION_EXCHANGES,
                    }));
                }
                if optionable {
                    world.md.searched.insert(conid);
                }
                out.push(json!({
                    "conid": conid.to_string(),
                    "companyHeader": format!("{} - {}", c.name, exchange),
                    "companyName": c.name,
                    "symbol": c.symbol,
                    "description": exchange,
                    "restricted": null,
                    "fop": null,
                    "opt": if optionable {
                        Value::String(expiries.iter().map(|d| format!("{}", yyyymmdd(*d))).collect::<Vec<_>>().join(";"))
                    } else { Value::Null },
                    "war": null,
                    "sections": sections,
                }));
            }
        }
    }
    if let Some(f) = Catalog::future_chain(&wanted)
        && (wants("IND") || wants("FUT") || sec_type.as_deref() == Some("STK"))
    {
        let today = yyyymmdd(today());
        let months: Vec<String> = f
            .months
            .iter()
            .filter(|m| m.1 >= today)
            .filter_map(|m| {
                NaiveDate::parse_from_str(&m.1.to_string(), "%Y%m%d")
                    .ok()
                    .map(options::month_code)
            })
            .collect();
        if sec_type.as_deref() != Some("STK") {
            out.push(json!({
                "conid": f.underlying_conid.to_string(),
                "companyHeader": format!("{} - {}", f.name, f.exchange),
                "companyName": f.name,
                "symbol": f.symbol,
                "description": f.exchange,
                "restricted": null,
                "fop": null,
                "opt": null,
                "war": null,
                "sections": [
                    {"secType": "IND", "exchange": f.exchange},
                    {"secType": "FUT", "months": months.join(";"), "exchange": f.exchange},
                ],
            }));
        }
    }
    out
}

/// `GET /iserver/secdef/search?symbol=&name=&secType=` (GET_iserver_secdef_search.json).
pub(crate) async fn search_get(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let ask = SearchAsk {
        symbol: q.get("symbol").cloned().unwrap_or_default(),
        by_name: params::flag(&q, "name").unwrap_or(false),
        sec_type: q.get("secType").cloned(),
    };
    search(&world, ask)
}

/// `POST /iserver/secdef/search {"symbol","name","secType"}`.
pub(crate) async fn search_post(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = json_body(&body);
    let ask = SearchAsk {
        symbol: text_field(&v, "symbol").unwrap_or_default(),
        by_name: v.get("name").and_then(Value::as_bool).unwrap_or(false),
        sec_type: text_field(&v, "secType"),
    };
    search(&world, ask)
}

fn search(world: &WorldHandle, ask: SearchAsk) -> Response {
    if ask.symbol.trim().is_empty() {
        return reply::bad_request(400, "Bad Request: symbol is required");
    }
    let mut world = world.lock();
    let rows = search_results(&mut world, &ask);
    reply::ok(&Value::Array(rows))
}

/// `GET /iserver/contract/{conid}/info` (GET_iserver_contract_{conid}_info.json).
pub(crate) async fn contract_info(
    State(world): State<WorldHandle>,
    Path(conid): Path<String>,
) -> Response {
    let world = world.lock();
    match conid
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|id| world.catalog.get(id))
    {
        Some(c) => reply::ok(&info_json(c)),
        None => unknown_conid(&conid),
    }
}

/// 400 for a conid the catalog does not hold.
pub(crate) fn unknown_conid(conid: &str) -> Response {
    reply::bad_request(400, &format!("Bad Request: unknown conid {conid}"))
}

/// The contract-info object (GET_iserver_contract_{conid}_info.json).
pub(crate) fn info_json(c: &Contract) -> Value {
    let expiry = c.expiry.map(|e| e.to_string());
    let mut body = json!({
        "cfi_code": "",
        "symbol": c.symbol,
        "cusip": null,
        "expiry_full": expiry,
        "con_id": c.conid,
        "maturity_date": expiry,
        "industry": c.group,
        "instrument_type": c.sec_type.code(),
        "trading_class": match c.sec_type { SecType::Stock if c.exchange == "NASDAQ" => "NMS".to_string(), _ => c.symbol.clone() },
        "valid_exchanges": if c.sec_type == SecType::Option { OPTION_EXCHANGES } else { STOCK_EXCHANGES },
        "allow_sell_long": false,
        "is_zero_commission_security": false,
        "local_symbol": c.symbol,
        "contract_clarification_type": null,
        "classifier": null,
        "currency": c.currency,
        "text": null,
        "underlying_con_id": c.underlying.unwrap_or(0),
        "r_t_h": c.sec_type == SecType::Stock,
        "multiplier": c.multiplier,
        "underlying_issuer": null,
        "contract_month": expiry.as_ref().map(|e| e[..6].to_string()),
        "company_name": c.company_name,
        "smart_available": true,
        "exchange": if c.sec_type == SecType::Future { c.exchange.as_str() } else { "SMART" },
        "category": c.group,
    });
    if let (Some(right), Some(strike), Some(map)) = (c.right, c.strike, body.as_object_mut()) {
        map.insert(
            "right".into(),
            json!(if right == 'C' { "CALL" } else { "PUT" }),
        );
        map.insert("strike".into(), json!(format!("{strike}")));
    }
    body
}

/// `GET /iserver/secdef/strikes?conid=&sectype=OPT&month=JAN27` (GET_iserver_secdef_strikes.json).
/// Empty arrays unless `/iserver/secdef/search` ran for the underlying first
/// (`client-portal-api.md` §2, "Strikes").
pub(crate) async fn strikes(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let Some(conid) = q.get("conid").and_then(|c| c.trim().parse::<u64>().ok()) else {
        return reply::bad_request(400, "Bad Request: conid is required");
    };
    let Some(month) = q.get("month") else {
        return reply::bad_request(400, "Bad Request: month is required");
    };
    let mut world = world.lock();
    let empty = json!({"call": [], "put": []});
    if !world.md.searched.contains(&conid) || options::expiry_of(month).is_none() {
        return reply::ok(&empty);
    }
    let Some(underlying) = world.contract(conid) else {
        return reply::ok(&empty);
    };
    let price = world.last_price(&underlying);
    let grid = options::strikes(price);
    reply::ok(&json!({"call": grid, "put": grid}))
}

fn right_of(text: Option<&String>) -> Option<char> {
    match text?.trim().to_ascii_uppercase().as_str() {
        "C" | "CALL" => Some('C'),
        "P" | "PUT" => Some('P'),
        _ => None,
    }
}

fn option_info(c: &Contract) -> Value {
    let expiry = c.expiry.unwrap_or(0);
    let date = NaiveDate::parse_from_str(&expiry.to_string(), "%Y%m%d").unwrap_or_default();
    let right = c.right.unwrap_or('C');
    let strike = c.strike.unwrap_or(0.0);
    json!({
        "conid": c.conid,
        "symbol": c.symbol,
        "secType": "OPT",
        "exchange": "SMART",
        "listingExchange": null,
        "right": right.to_string(),
        "strike": strike,
        "currency": c.currency,
        "cusip": null,
        "coupon": "No Coupon",
        "desc1": c.symbol,
        "desc2": options::describe(date, strike, right),
        "maturityDate": expiry.to_string(),
        "multiplier": "100",
        "tradingClass": c.symbol,
        "validExchanges": OPTION_EXCHANGES,
    })
}

/// `GET /iserver/secdef/info?conid=&sectype=&month=&strike=&right=` (GET_iserver_secdef_info.json):
/// options (generated on demand, synthetic conids), futures of a month, or the stock itself.
pub(crate) async fn secdef_info(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let Some(conid) = q.get("conid").and_then(|c| c.trim().parse::<u64>().ok()) else {
        return reply::bad_request(400, "Bad Request: conid is required");
    };
    let sec_type = q
        .get("sectype")
        .or_else(|| q.get("secType"))
        .map(|s| s.to_ascii_uppercase())
        .unwrap_or_else(|| "STK".to_string());
    let mut world = world.lock();
    let Some(underlying) = world.contract(conid) else {
        return reply::bad_request(400, &format!("Bad Request: unknown conid {conid}"));
    };
    match sec_type.as_str() {
        "OPT" => {
            let Some(expiry) = q.get("month").and_then(|m| options::expiry_of(m)) else {
                return reply::bad_request(400, "Bad Request: month is required for OPT");
            };
            let price = world.last_price(&underlying);
            let strikes: Vec<f64> = match q.get("strike").and_then(|s| s.trim().parse().ok()) {
                Some(s) => vec![s],
                None => options::strikes(price),
            };
            let rights: Vec<char> = match right_of(q.get("right")) {
                Some(r) => vec![r],
                None => vec!['C', 'P'],
            };
            let mut rows = Vec::new();
            for strike in strikes {
                for &right in &rights {
                    let c = options::option_contract(
                        &underlying,
                        price,
                        expiry,
                        strike,
                        right,
                        today(),
                    );
                    rows.push(option_info(&c));
                    world.catalog.insert(c);
                }
            }
            reply::ok(&Value::Array(rows))
        }
        "FUT" => {
            let chain = FUTURES
                .iter()
                .find(|f| f.underlying_conid == conid || f.symbol == underlying.symbol);
            let month = q.get("month").and_then(|m| options::parse_month_code(m));
            let rows: Vec<Value> = chain
                .map(|f| {
                    f.months
                        .iter()
                        .filter(|m| month.is_none_or(|(y, mo)| m.1 / 100 == (y as u32) * 100 + mo))
                        .map(|&(id, expiry, _)| {
                            json!({
                                "conid": id,
                                "symbol": f.symbol,
                                "secType": "FUT",
                                "exchange": f.exchange,
                                "listingExchange": f.exchange,
                                "right": "?",
                                "strike": 0.0,
                                "currency": "USD",
                                "cusip": null,
                                "coupon": "No Coupon",
                                "desc1": f.symbol,
                                "desc2": NaiveDate::parse_from_str(&expiry.to_string(), "%Y%m%d").map(|d| d.format("%b%y").to_string().to_ascii_uppercase()).unwrap_or_default(),
                                "maturityDate": expiry.to_string(),
                                "multiplier": f.multiplier,
                                "tradingClass": f.symbol,
                                "validExchanges": f.exchange,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            reply::ok(&Value::Array(rows))
        }
        _ => reply::ok(&json!([{
            "conid": underlying.conid,
            "symbol": underlying.symbol,
            "ticker": underlying.symbol,
            "companyName": underlying.company_name,
            "secType": underlying.sec_type.code(),
            "exchange": "SMART",
            "listingExchange": underlying.exchange,
            "right": "?",
            "strike": 0.0,
            "currency": underlying.currency,
            "cusip": null,
            "coupon": "No Coupon",
            "desc1": underlying.symbol,
            "desc2": "",
            "maturityDate": null,
            "multiplier": "",
            "priceRendering": null,
            "tradingClass": underlying.symbol,
            "validExchanges": STOCK_EXCHANGES,
        }])),
    }
}
