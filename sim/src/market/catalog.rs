//! The simulator's instrument universe: stocks and ETFs with their listings, futures, options.
//!
//! Conids are IBKR's real ones where a source shows them; each row says where it comes from.
//! Rows marked `// synthetic conid` carry made-up ids (never send those to a real gateway).

use std::collections::HashMap;

/// Whether the simulated user has a market-data subscription for a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subscription {
    /// Real-time data (`6509` = `RpB`).
    Live,
    /// No subscription: the snapshot shows the previous close with the `C` prefix.
    None,
}

/// What kind of security a contract is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecType {
    /// A stock (ETFs are stocks too in `/trsrv/stocks`).
    Stock,
    /// A future.
    Future,
    /// An option on a stock.
    Option,
    /// An index (the underlying of a future).
    Index,
}

impl SecType {
    pub(crate) fn code(self) -> &'static str {
        match self {
            SecType::Stock => "STK",
            SecType::Future => "FUT",
            SecType::Option => "OPT",
            SecType::Index => "IND",
        }
    }
}

/// One row of `/trsrv/stocks`: an issuer's instrument under a symbol, with its listings.
#[derive(Debug)]
pub(crate) struct Company {
    pub symbol: &'static str,
    pub name: &'static str,
    pub chinese_name: Option<&'static str>,
    /// `(conid, exchange, isUS)`.
    pub listings: &'static [(u64, &'static str, bool)],
    /// Price in USD around which the seeded walk starts.
    pub ref_price: f64,
    pub sector: &'static str,
    pub group: &'static str,
    /// `COMMON`, `ETF`, `ADR` (the `type` field of `/trsrv/secdef`).
    pub kind: &'static str,
    pub has_options: bool,
}

// One call per table row keeps the table readable; the row has nine columns.
#[allow(clippy::too_many_arguments)]
const fn company(
    symbol: &'static str,
    name: &'static str,
    chinese_name: Option<&'static str>,
    listings: &'static [(u64, &'static str, bool)],
    ref_price: f64,
    sector: &'static str,
    group: &'static str,
    kind: &'static str,
    has_options: bool,
) -> Company {
    Company {
        symbol,
        name,
        chinese_name,
        listings,
        ref_price,
        sector,
        group,
        kind,
        has_options,
    }
}

const AAPL_CN: Option<&str> = Some("&#x82F9;&#x679C;&#x516C;&#x53F8;");
const MSFT_CN: Option<&str> = Some("&#x5FAE;&#x8F6F;&#x516C;&#x53F8;");
const IBM_CN: Option<&str> = Some("&#x56FD;&#x9645;&#x5546;&#x4E1A;&#x673A;&#x5668;");
const META_CN: Option<&str> =
    Some("Meta&#x5E73;&#x53F0;&#x80A1;&#x4EFD;&#x6709;&#x9650;&#x516C;&#x53F8;");
const GOOG_CN: Option<&str> = Some("Alphabet&#x516C;&#x53F8;");
const BBVA_CN: Option<&str> = Some("&#x897F;&#x73ED;&#x7259;&#x5BF9;&#x5916;&#x94F6;&#x884C;");
const SAN_CN: Option<&str> = Some("&#x6851;&#x5766;&#x5FB7;");

/// Every stock and ETF the simulator knows, in `/trsrv/stocks` order per symbol.
pub(crate) const COMPANIES: &[Company] = &[
    // AAPL: all five rows and conids from GET_trsrv_stocks__ibind_fixture.json (ibind-anchor §2).
    company(
        "AAPL",
        "APPLE INC",
        AAPL_CN,
        &[
            (265598, "NASDAQ", true),
            (38708077, "MEXI", false),
            (273982664, "EBS", false),
        ],
        190.0,
        "Technology",
        "Computers",
        "COMMON",
        true,
    ),
    company(
        "AAPL",
        "LS 1X AAPL",
        None,
        &[(493546048, "LSEETF", false)],
        25.0,
        "Financial",
        "Exchange Traded Funds",
        "ETF",
        false,
    ),
    company(
        "AAPL",
        "APPLE INC-CDR",
        AAPL_CN,
        &[(532640894, "AEQLIT", false)],
        30.0,
        "Technology",
        "Computers",
        "COMMON",
        false,
    ),
    // MSFT: GET_trsrv_stocks__ibind_fixture.json.
    company(
        "MSFT",
        "MICROSOFT CORP",
        MSFT_CN,
        &[
            (272093, "NASDAQ", true),
            (38708990, "MEXI", false),
            (415569505, "EBS", false),
        ],
        415.0,
        "Technology",
        "Software",
        "COMMON",
        true,
    ),
    company(
        "MSFT",
        "LS 1X MSFT",
        None,
        &[(493546075, "LSEETF", false)],
        25.0,
        "Financial",
        "Exchange Traded Funds",
        "ETF",
        false,
    ),
    company(
        "MSFT",
        "MICROSOFT CORP-CDR",
        MSFT_CN,
        &[(518938052, "AEQLIT", false)],
        30.0,
        "Technology",
        "Software",
        "COMMON",
        false,
    ),
    // IBM: GET_trsrv_stocks__spec_IBM.json.
    company(
        "IBM",
        "INTL BUSINESS MACHINES CORP",
        IBM_CN,
        &[
            (8314, "NYSE", true),
            (1411277, "IBIS", false),
            (38709473, "MEXI", false),
            (41645598, "LSE", false),
        ],
        185.0,
        "Technology",
        "Computers",
        "COMMON",
        true,
    ),
    company(
        "IBM",
        "INTL BUSINESS MACHINES C-CDR",
        IBM_CN,
        &[(530091934, "AEQLIT", false)],
        28.0,
        "Technology",
        "Computers",
        "COMMON",
        false,
    ),
    // META, GOOG, BBVA, SAN, SCHW, HUBS, TEAM, CDN, CFC: GET_trsrv_stocks__ibind_fixture.json.
    company(
        "META",
        "META PLATFORMS INC-CLASS A",
        META_CN,
        &[(107113386, "NASDAQ", true), (114922621, "MEXI", false)],
        480.0,
        "Communications",
        "Internet",
        "COMMON",
        true,
    ),
    company(
        "META",
        "WT INDUS METALS ENHANCED",
        Some("WisdomTree&#x5DE5;&#x4E1A;&#x91D1;&#x5C5E;&#x589E;&#x5F3A;"),
        &[(355191857, "LSEETF", false), (355194893, "BVME.ETF", false)],
        12.0,
        "Financial",
        "Exchange Traded Funds",
        "ETF",
        false,
    ),
    company(
        "META",
        "META PLATFORMS INC-CDR",
        META_CN,
        &[(530091499, "AEQLIT", false)],
        30.0,
        "Communications",
        "Internet",
        "COMMON",
        false,
    ),
    company(
        "META",
        "METACON AB",
        None,
        &[(600541860, "SFB", false)],
        0.5,
        "Industrial",
        "Machinery",
        "COMMON",
        false,
    ),
    company(
        "GOOG",
        "ALPHABET INC-CL C",
        GOOG_CN,
        &[(208813720, "NASDAQ", true), (210810667, "MEXI", false)],
        170.0,
        "Communications",
        "Internet",
        "COMMON",
        true,
    ),
    company(
        "GOOG",
        "LS 1X GOOG",
        None,
        &[(493546022, "LSEETF", false)],
        20.0,
        "Financial",
        "Exchange Traded Funds",
        "ETF",
        false,
    ),
    company(
        "GOOG",
        "ALPHABET INC - CDR",
        GOOG_CN,
        &[(532638805, "AEQLIT", false)],
        25.0,
        "Communications",
        "Internet",
        "COMMON",
        false,
    ),
    company(
        "BBVA",
        "BANCO BILBAO VIZCAYA ARGENTA",
        BBVA_CN,
        &[(30314149, "BM", false), (38708792, "MEXI", false)],
        9.5,
        "Financial",
        "Banks",
        "COMMON",
        false,
    ),
    company(
        "BBVA",
        "BANCO BILBAO VIZCAYA-SP ADR",
        BBVA_CN,
        &[(4815, "NYSE", true)],
        10.0,
        "Financial",
        "Banks",
        "ADR",
        true,
    ),
    company(
        "SAN",
        "BANCO SANTANDER SA",
        SAN_CN,
        &[(38708867, "MEXI", false), (385055564, "WSE", false)],
        4.0,
        "Financial",
        "Banks",
        "COMMON",
        false,
    ),
    company(
        "SAN",
        "SANOFI",
        Some("&#x8D5B;&#x8BFA;&#x83F2;"),
        &[(29612249, "SBF", false)],
        95.0,
        "Consumer, Non-cyclical",
        "Pharmaceuticals",
        "COMMON",
        false,
    ),
    company(
        "SAN",
        "BANCO SANTANDER SA-SPON ADR",
        SAN_CN,
        &[(12442, "NYSE", true)],
        4.2,
        "Financial",
        "Banks",
        "ADR",
        true,
    ),
    company(
        "SAN",
        "SANTANDER UK PLC",
        Some(
            "&#x6851;&#x5766;&#x5FB7;&#x82F1;&#x56FD;&#x516C;&#x5171;&#x6709;&#x9650;&#x516C;&#x53F8;",
        ),
        &[(80993135, "LSE", false)],
        1.0,
        "Financial",
        "Banks",
        "COMMON",
        false,
    ),
    company(
        "SAN",
        "SAGALIO ENERGY LTD",
        None,
        &[(199284645, "ASX", false)],
        0.1,
        "Energy",
        "Oil&Gas",
        "COMMON",
        false,
    ),
    company(
        "SAN",
        "CONCORD GREEN ENERGY HOLDINGS",
        None,
        &[(221033380, "VALUE", false)],
        0.2,
        "Energy",
        "Energy-Alternate Sources",
        "COMMON",
        false,
    ),
    company(
        "SCHW",
        "SCHWAB (CHARLES) CORP",
        Some("&#x5609;&#x4FE1;&#x7406;&#x8D22;"),
        &[(11905, "NYSE", true), (174320486, "MEXI", false)],
        70.0,
        "Financial",
        "Diversified Finan Serv",
        "COMMON",
        true,
    ),
    company(
        "HUBS",
        "HUBSPOT INC",
        Some("HubSpot&#x516C;&#x53F8;"),
        &[(169544810, "NYSE", true)],
        600.0,
        "Technology",
        "Software",
        "COMMON",
        true,
    ),
    company(
        "TEAM",
        "TEAM TANKERS INTERNATIONAL L",
        Some("Team Tankers&#x56FD;&#x9645;&#x6709;&#x9650;&#x516C;&#x53F8;"),
        &[(251279169, "VALUE", false)],
        2.0,
        "Industrial",
        "Transportation",
        "COMMON",
        false,
    ),
    company(
        "TEAM",
        "TEAM PLC",
        None,
        &[(475655801, "LSE", false)],
        0.3,
        "Industrial",
        "Engineering&Construction",
        "COMMON",
        false,
    ),
    company(
        "TEAM",
        "ATLASSIAN CORP-CL A",
        None,
        &[(589316251, "NASDAQ", true)],
        200.0,
        "Technology",
        "Software",
        "COMMON",
        true,
    ),
    company(
        "TEAM",
        "CANADIAN NEXUS TEAM VENTURES",
        None,
        &[(638360210, "PURE", false)],
        0.05,
        "Financial",
        "Investment Companies",
        "COMMON",
        false,
    ),
    company(
        "CDN",
        "CDN MAVERICK CAPITAL CORP",
        None,
        &[(453310666, "PURE", false)],
        0.1,
        "Financial",
        "Investment Companies",
        "COMMON",
        false,
    ),
    company(
        "CFC",
        "UET UNITED ELECTRONIC TECHNO",
        None,
        &[(42001300, "IBIS", false)],
        8.0,
        "Technology",
        "Semiconductors",
        "COMMON",
        false,
    ),
    // SPY: GET_portfolio_{accountId}_positions_{pageId}.json and GET_iserver_account_orders__ibind_fixture_orders_array.json (ARCA).
    company(
        "SPY",
        "SPDR S&P 500 ETF TRUST",
        Some("SPDR&#x6807;&#x666E;500 ETF&#x4FE1;&#x6258;"),
        &[(756733, "ARCA", true)],
        520.0,
        "Financial",
        "Exchange Traded Funds",
        "ETF",
        true,
    ),
    // VOO: conid given in the simulator brief (IBKR's real conid).
    company(
        "VOO",
        "VANGUARD S&P 500 ETF",
        None,
        &[(136155102, "ARCA", true)],
        480.0,
        "Financial",
        "Exchange Traded Funds",
        "ETF",
        true,
    ),
    // TSLA: GET_portfolio_{accountId}_positions_{pageId}.json; POST_iserver_scanner_run__spec.json.
    company(
        "TSLA",
        "TESLA INC",
        None,
        &[(76792991, "NASDAQ", true)],
        250.0,
        "Consumer, Cyclical",
        "Auto Manufacturers",
        "COMMON",
        true,
    ),
    // AMD: POST_iserver_scanner_run.json.
    company(
        "AMD",
        "ADVANCED MICRO DEVICES",
        None,
        &[(4391, "NASDAQ", true)],
        160.0,
        "Technology",
        "Semiconductors",
        "COMMON",
        true,
    ),
    // MCD: GET_portfolio2_{accountId}_positions__doc_curlyquotes.txt.
    company(
        "MCD",
        "MCDONALD'S CORP",
        None,
        &[(9408, "NYSE", true)],
        260.0,
        "Consumer, Cyclical",
        "Retail",
        "COMMON",
        true,
    ),
    // IBKR: GET_iserver_secdef_search__name_true.json.
    company(
        "IBKR",
        "INTERACTIVE BROKERS GRO-CL A",
        None,
        &[(43645865, "NASDAQ", true)],
        110.0,
        "Financial",
        "Diversified Finan Serv",
        "COMMON",
        true,
    ),
    // ARCC: flex/activity/pp_testIBFlexStatementFile20.xml.
    company(
        "ARCC",
        "ARES CAPITAL CORP",
        None,
        &[(31400554, "NASDAQ", true)],
        20.0,
        "Financial",
        "Investment Companies",
        "COMMON",
        true,
    ),
    // AMC: flex/activity/pp_testIBFlexStatementFile17.xml.
    company(
        "AMC",
        "AMC ENTERTAINMENT HLDS-CL A",
        None,
        &[(140070600, "NYSE", true)],
        5.0,
        "Communications",
        "Media",
        "COMMON",
        true,
    ),
    // NVDA, AMZN (with MEXI/EBS), QQQ, IWM, GLD: conids as used in public third-party client code;
    // not in our fixtures.
    company(
        "NVDA",
        "NVIDIA CORP",
        None,
        &[(4815747, "NASDAQ", true)],
        120.0,
        "Technology",
        "Semiconductors",
        "COMMON",
        true,
    ),
    company(
        "AMZN",
        "AMAZON.COM INC",
        None,
        &[
            (3691937, "NASDAQ", true),
            (38708590, "MEXI", false),
            (305691292, "EBS", false),
        ],
        185.0,
        "Communications",
        "Internet",
        "COMMON",
        true,
    ),
    company(
        "QQQ",
        "INVESCO QQQ TRUST SERIES 1",
        None,
        &[(320227571, "NASDAQ", true)],
        440.0,
        "Financial",
        "Exchange Traded Funds",
        "ETF",
        true,
    ),
    company(
        "IWM",
        "ISHARES RUSSELL 2000 ETF",
        None,
        &[(9579970, "ARCA", true)],
        205.0,
        "Financial",
        "Exchange Traded Funds",
        "ETF",
        true,
    ),
    company(
        "GLD",
        "SPDR GOLD SHARES",
        None,
        &[(51529211, "ARCA", true)],
        215.0,
        "Financial",
        "Exchange Traded Funds",
        "ETF",
        true,
    ),
    // ACME: a deliberate same-symbol ambiguity between two US instruments, so a plain
    // US-filtered `/trsrv/stocks?symbols=ACME` query has two candidates.
    company(
        "ACME",
        "ACME UNITED CORP",
        None,
        &[(990000101, "NYSE", true)],
        40.0,
        "Consumer, Non-cyclical",
        "Housewares",
        "COMMON",
        false,
    ), // synthetic conid
    company(
        "ACME",
        "ACME BIOSCIENCES INC",
        None,
        &[(990000102, "NASDAQ", true)],
        12.0,
        "Consumer, Non-cyclical",
        "Biotechnology",
        "COMMON",
        false,
    ), // synthetic conid
];

/// One futures contract month: `(conid, expirationDate, lastTradingDay)` as yyyymmdd numbers.
pub(crate) type FutureMonth = (u64, u32, u32);

/// A futures product with its underlying index and contract months.
#[derive(Debug)]
pub(crate) struct FutureChain {
    pub symbol: &'static str,
    pub name: &'static str,
    pub underlying_conid: u64,
    pub exchange: &'static str,
    pub multiplier: &'static str,
    pub ref_price: f64,
    pub months: &'static [FutureMonth],
}

/// Futures, every conid real. ES: 495512557 (Dec 2024) and 495512563 (Dec 2025) from
/// GET_trsrv_futures.json; the other months as public third-party TWS API captures record them
/// (`conId`, `localSymbol`, `lastTradeDateOrContractMonth`; ESZ6 = 515416632 with ltd 20261217
/// also in a recorded `/trsrv/futures` body of a public .NET client's tests). MES: 586139726
/// from GET_trsrv_futures__doc_elided.txt and 730283085 (Dec 2025) from a public paper-gateway
/// log; later MES months are not known, so none is invented. `ltd` is the day before expiry,
/// as in every recorded row.
pub(crate) const FUTURES: &[FutureChain] = &[
    FutureChain {
        symbol: "ES",
        name: "E-mini S&P 500",
        underlying_conid: 11004968,
        exchange: "CME",
        multiplier: "50",
        ref_price: 5300.0,
        months: &[
            (495512552, 20231215, 20231214),
            (495512557, 20241220, 20241219),
            (603558932, 20250321, 20250320),
            (620731015, 20250620, 20250619),
            (637533641, 20250919, 20250918),
            (495512563, 20251219, 20251218),
            (649180695, 20260320, 20260319),
            (649180678, 20260618, 20260617),
            (649180671, 20260918, 20260917),
            (515416632, 20261218, 20261217),
            (649180684, 20270319, 20270318),
            (649180661, 20270617, 20270616),
            (649180681, 20270917, 20270916),
            (586139767, 20271217, 20271216),
            (649180666, 20280317, 20280316),
            (649180690, 20280616, 20280615),
            (649180675, 20280915, 20280914),
            (654503299, 20281215, 20281214),
            (672387437, 20290316, 20290315),
            (691171642, 20290615, 20290614),
            (711280049, 20290921, 20290920),
        ],
    },
    FutureChain {
        symbol: "MES",
        name: "Micro E-mini S&P 500 Stock Price Index",
        underlying_conid: 362673777,
        exchange: "CME",
        multiplier: "5",
        ref_price: 5300.0,
        months: &[
            (586139726, 20231215, 20231215),
            (730283085, 20251219, 20251218),
        ],
    },
];

/// Everything the simulator knows about one tradable or quotable conid.
#[derive(Debug, Clone)]
pub(crate) struct Contract {
    pub conid: u64,
    pub symbol: String,
    pub company_name: String,
    pub sec_type: SecType,
    /// Primary listing exchange (`NASDAQ`, `NYSE`, `ARCA`, `CME`, ...).
    pub exchange: String,
    pub is_us: bool,
    pub currency: &'static str,
    pub ref_price: f64,
    pub subscription: Subscription,
    pub sector: &'static str,
    pub group: &'static str,
    pub kind: &'static str,
    pub has_options: bool,
    /// Futures and options: the underlying conid.
    pub underlying: Option<u64>,
    /// Futures and options: expiry as yyyymmdd.
    pub expiry: Option<u32>,
    /// Options: strike.
    pub strike: Option<f64>,
    /// Options: `C` or `P`.
    pub right: Option<char>,
    pub multiplier: Option<&'static str>,
}

/// Currency and a rough USD conversion factor of a listing exchange.
fn exchange_currency(exchange: &str) -> (&'static str, f64) {
    match exchange {
        "MEXI" => ("MXN", 17.0),
        "EBS" => ("CHF", 0.9),
        "LSE" | "LSEETF" => ("GBP", 0.8),
        "AEQLIT" | "PURE" | "VALUE" => ("CAD", 1.35),
        "IBIS" | "BM" | "SBF" | "BVME.ETF" => ("EUR", 0.92),
        "SFB" => ("SEK", 10.5),
        "WSE" => ("PLN", 4.0),
        "ASX" => ("AUD", 1.5),
        _ => ("USD", 1.0),
    }
}

/// The lookup tables built from the constant rows at start (cheap: about a hundred entries).
#[derive(Debug)]
pub(crate) struct Catalog {
    by_conid: HashMap<u64, Contract>,
}

impl Catalog {
    pub(crate) fn new() -> Self {
        let mut by_conid = HashMap::new();
        for c in COMPANIES {
            for &(conid, exchange, is_us) in c.listings {
                let (currency, fx) = exchange_currency(exchange);
                by_conid.insert(
                    conid,
                    Contract {
                        conid,
                        symbol: c.symbol.to_string(),
                        company_name: c.name.to_string(),
                        sec_type: SecType::Stock,
                        exchange: exchange.to_string(),
                        is_us,
                        currency,
                        ref_price: c.ref_price * fx,
                        // Our rule: the simulated user subscribes to US listings only.
                        subscription: if is_us {
                            Subscription::Live
                        } else {
                            Subscription::None
                        },
                        sector: c.sector,
                        group: c.group,
                        kind: c.kind,
                        has_options: c.has_options && is_us,
                        underlying: None,
                        expiry: None,
                        strike: None,
                        right: None,
                        multiplier: None,
                    },
                );
            }
        }
        for f in FUTURES {
            by_conid.insert(
                f.underlying_conid,
                Contract {
                    conid: f.underlying_conid,
                    symbol: f.symbol.to_string(),
                    company_name: f.name.to_string(),
                    sec_type: SecType::Index,
                    exchange: f.exchange.to_string(),
                    is_us: true,
                    currency: "USD",
                    ref_price: f.ref_price,
                    subscription: Subscription::Live,
                    sector: "",
                    group: "",
                    kind: "",
                    has_options: false,
                    underlying: None,
                    expiry: None,
                    strike: None,
                    right: None,
                    multiplier: None,
                },
            );
            for &(conid, expiry, _ltd) in f.months {
                by_conid.insert(
                    conid,
                    Contract {
                        conid,
                        symbol: f.symbol.to_string(),
                        company_name: f.name.to_string(),
                        sec_type: SecType::Future,
                        exchange: f.exchange.to_string(),
                        is_us: true,
                        currency: "USD",
                        ref_price: f.ref_price,
                        subscription: Subscription::Live,
                        sector: "",
                        group: "",
                        kind: "",
                        has_options: false,
                        underlying: Some(f.underlying_conid),
                        expiry: Some(expiry),
                        strike: None,
                        right: None,
                        multiplier: Some(f.multiplier),
                    },
                );
            }
        }
        Catalog { by_conid }
    }

    pub(crate) fn get(&self, conid: u64) -> Option<&Contract> {
        self.by_conid.get(&conid)
    }

    /// Register a generated option contract (see `options.rs`).
    pub(crate) fn insert(&mut self, contract: Contract) {
        self.by_conid.entry(contract.conid).or_insert(contract);
    }

    /// The `/trsrv/stocks` rows for a symbol (case-insensitive), in table order.
    pub(crate) fn companies(symbol: &str) -> impl Iterator<Item = &'static Company> {
        let wanted = symbol.trim().to_ascii_uppercase();
        COMPANIES.iter().filter(move |c| c.symbol == wanted)
    }

    /// The futures chain for a symbol, if any.
    pub(crate) fn future_chain(symbol: &str) -> Option<&'static FutureChain> {
        let wanted = symbol.trim().to_ascii_uppercase();
        FUTURES.iter().find(|f| f.symbol == wanted)
    }

    /// The company row a stock conid belongs to.
    pub(crate) fn company_of(conid: u64) -> Option<&'static Company> {
        COMPANIES
            .iter()
            .find(|c| c.listings.iter().any(|&(id, _, _)| id == conid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn universe_has_at_least_twenty_us_stocks_and_unique_conids() {
        let us = COMPANIES
            .iter()
            .filter(|c| c.listings.iter().any(|l| l.2))
            .count();
        assert!(us >= 20, "{us}");
        let mut seen = std::collections::HashSet::new();
        for c in COMPANIES {
            for l in c.listings {
                assert!(seen.insert(l.0), "duplicate conid {}", l.0);
            }
        }
    }
}
