//! A synthetic Flex activity statement of any size, for the Flex parser benchmark.
//!
//! Deterministic for a given seed; uses IB's default formats (`yyyyMMdd` dates,
//! `yyyyMMdd;HHmmss` date-times), realistic attribute names and values (notes like `O;P`,
//! thousands separators in some amounts). Only std: a splitmix64 PRNG inline.

use std::io::{self, Write};

/// splitmix64: tiny, fast, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const SYMBOLS: &[(&str, &str, u64, &str)] = &[
    ("AAPL", "APPLE INC", 265598, "US0378331005"),
    ("MSFT", "MICROSOFT CORP", 272093, "US5949181045"),
    ("NVDA", "NVIDIA CORP", 4815747, "US67066G1040"),
    ("AMZN", "AMAZON.COM INC", 3691937, "US0231351067"),
    ("GOOGL", "ALPHABET INC-CL A", 208813719, "US02079K3059"),
    ("TSLA", "TESLA INC", 76792991, "US88160R1014"),
    ("SPY", "SPDR S&amp;P 500 ETF TRUST", 756733, "US78462F1030"),
    ("VWRL", "VANGUARD FTSE ALL-WORLD", 128831206, "IE00B3RBWM25"),
    ("ASML", "ASML HOLDING NV", 117902840, "NL0010273215"),
    ("SAP", "SAP SE", 14204, "DE0007164600"),
];

/// A price with 2–4 decimals, written with a thousands separator above 1,000 when asked.
fn amount(rng: &mut Rng, max_cents: u64, separators: bool) -> String {
    let cents = rng.below(max_cents) + 1;
    let whole = cents / 100;
    let fraction = cents % 100;
    let digits = whole.to_string();
    let whole_text = if separators && digits.len() > 3 {
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        grouped
    } else {
        digits
    };
    format!("{whole_text}.{fraction:02}")
}

fn day(rng: &mut Rng) -> (u32, u32) {
    (1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
}

/// Writes one `FlexQueryResponse` with one `FlexStatement`: `trades` Trade rows (about
/// 1 KB each, ~45 attributes), plus CashTransactions, OpenPositions, SecuritiesInfo and
/// ConversionRates in proportion. 100,000 trades make about 100 MB.
pub fn write_activity_statement(out: &mut impl Write, trades: usize, seed: u64) -> io::Result<()> {
    let mut rng = Rng(seed);
    let account = "U1234567";
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<FlexQueryResponse queryName="Synthetic activity" type="AF">"#
    )?;
    writeln!(out, r#"<FlexStatements count="1">"#)?;
    writeln!(
        out,
        r#"<FlexStatement accountId="{account}" fromDate="20240101" toDate="20241231" period="LastYear" whenGenerated="20250102;080000">"#
    )?;
    writeln!(
        out,
        r#"<AccountInformation accountId="{account}" acctAlias="bench" model="" currency="USD" name="Jane Trader" accountType="Individual" customerType="Individual" dateOpened="20190315" dateFunded="20190320" dateClosed="" ibEntity="IBLLC-US" />"#
    )?;
    writeln!(out, "<Trades>")?;
    for i in 0..trades {
        let (symbol, description, conid, isin) = SYMBOLS[rng.below(SYMBOLS.len() as u64) as usize];
        let (month, dom) = day(&mut rng);
        let date = format!("2024{month:02}{dom:02}");
        let settle = format!("2024{month:02}{:02}", (dom + 2).min(28));
        let time = format!(
            "{:02}{:02}{:02}",
            9 + rng.below(7),
            rng.below(60),
            rng.below(60)
        );
        let buy = rng.below(2) == 0;
        let quantity = 1 + rng.below(500);
        let price = amount(&mut rng, 90_000, false);
        let money = amount(&mut rng, 500_000_000, true);
        let commission = format!("-{}.{:02}", rng.below(5), rng.below(100));
        let fifo = if buy {
            "0".to_owned()
        } else {
            format!(
                "{}{}",
                if rng.below(3) == 0 { "-" } else { "" },
                amount(&mut rng, 200_000, true)
            )
        };
        let notes = rng.pick(&["O", "C", "O;P", "C;P", "", "P"]);
        let open_close = if notes.starts_with('C') { "C" } else { "O" };
        let trade_id = 400_000_000 + i as u64;
        let exchange = rng.pick(&["NASDAQ", "ARCA", "IBKRATS", "ISLAND", "DARK", "NYSE"]);
        write!(
            out,
            r#"<Trade accountId="{account}" acctAlias="bench" model="" currency="USD" fxRateToBase="1" assetCategory="STK" subCategory="COMMON" symbol="{symbol}" description="{description}" conid="{conid}" securityID="{isin}" securityIDType="ISIN" isin="{isin}" listingExchange="NASDAQ" multiplier="1" strike="" expiry="" tradeID="{trade_id}" putCall="" reportDate="{date}" dateTime="{date};{time}" tradeDate="{date}" settleDateTarget="{settle}" transactionType="ExchTrade" exchange="{exchange}" quantity="{signed}{quantity}" tradePrice="{price}" tradeMoney="{money}" proceeds="{neg}{money}" taxes="0" ibCommission="{commission}" ibCommissionCurrency="USD" netCash="{neg}{money}" closePrice="{price}" openCloseIndicator="{open_close}" notes="{notes}" cost="{money}" fifoPnlRealized="{fifo}" mtmPnl="{mtm}" transactionID="{tx}" buySell="{side}" ibOrderID="{order}" ibExecID="0000e0d5.{exec:08x}.01.01" orderTime="{date};{time}" levelOfDetail="EXECUTION" orderType="LMT" isAPIOrder="N" />"#,
            signed = if buy { "" } else { "-" },
            neg = if buy { "-" } else { "" },
            mtm = amount(&mut rng, 50_000, false),
            tx = 20_000_000_000u64 + i as u64,
            side = if buy { "BUY" } else { "SELL" },
            order = 3_000_000_000u64 + i as u64 / 2,
            exec = rng.next() as u32,
        )?;
        out.write_all(b"\n")?;
    }
    writeln!(out, "</Trades>")?;
    writeln!(out, "<OpenPositions>")?;
    for _ in 0..(trades / 50).max(1) {
        let (symbol, description, conid, isin) = SYMBOLS[rng.below(SYMBOLS.len() as u64) as usize];
        writeln!(
            out,
            r#"<OpenPosition accountId="{account}" acctAlias="bench" model="" currency="USD" fxRateToBase="1" assetCategory="STK" symbol="{symbol}" description="{description}" conid="{conid}" securityID="{isin}" securityIDType="ISIN" cusip="" isin="{isin}" listingExchange="NASDAQ" multiplier="1" strike="" expiry="" putCall="" principalAdjustFactor="" reportDate="20241231" position="{pos}" markPrice="{mark}" positionValue="{value}" openPrice="{mark}" costBasisPrice="{mark}" costBasisMoney="{value}" percentOfNAV="1.25" fifoPnlUnrealized="{pnl}" side="Long" levelOfDetail="SUMMARY" openDateTime="" holdingPeriodDateTime="" code="" originatingOrderID="" accruedInt="0" />"#,
            pos = 1 + rng.below(2000),
            mark = amount(&mut rng, 90_000, false),
            value = amount(&mut rng, 900_000_000, true),
            pnl = amount(&mut rng, 10_000_000, true),
        )?;
    }
    writeln!(out, "</OpenPositions>")?;
    writeln!(out, "<CashTransactions>")?;
    for i in 0..(trades / 20).max(1) {
        let (symbol, description, conid, isin) = SYMBOLS[rng.below(SYMBOLS.len() as u64) as usize];
        let (month, dom) = day(&mut rng);
        let (kind, sign) = match rng.below(4) {
            0 => ("Withholding Tax", "-"),
            1 => ("Broker Interest Received", ""),
            2 => ("Other Fees", "-"),
            _ => ("Dividends", ""),
        };
        writeln!(
            out,
            r#"<CashTransaction accountId="{account}" acctAlias="bench" model="" currency="USD" fxRateToBase="1" assetCategory="STK" symbol="{symbol}" description="{description} CASH DIVIDEND USD 0.25 PER SHARE" conid="{conid}" securityID="{isin}" securityIDType="ISIN" cusip="" isin="{isin}" listingExchange="NASDAQ" multiplier="1" strike="" expiry="" putCall="" principalAdjustFactor="" dateTime="2024{month:02}{dom:02};202000" settleDate="2024{month:02}{dom:02}" amount="{sign}{amount}" type="{kind}" tradeID="" code="" transactionID="{tx}" reportDate="2024{month:02}{dom:02}" clientReference="" levelOfDetail="DETAIL" />"#,
            amount = amount(&mut rng, 500_000, true),
            tx = 30_000_000_000u64 + i as u64,
        )?;
    }
    writeln!(out, "</CashTransactions>")?;
    writeln!(out, "<SecuritiesInfo>")?;
    for (symbol, description, conid, isin) in SYMBOLS {
        writeln!(
            out,
            r#"<SecurityInfo assetCategory="STK" symbol="{symbol}" description="{description}" conid="{conid}" securityID="{isin}" securityIDType="ISIN" cusip="" isin="{isin}" listingExchange="NASDAQ" multiplier="1" type="COMMON" code="" />"#
        )?;
    }
    writeln!(out, "</SecuritiesInfo>")?;
    writeln!(out, "<ConversionRates>")?;
    let currencies = ["EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "HKD"];
    let days = (trades / 280).clamp(1, 365);
    for d in 0..days {
        let month = 1 + (d / 28) % 12;
        let dom = 1 + d % 28;
        for currency in currencies {
            writeln!(
                out,
                r#"<ConversionRate reportDate="2024{month:02}{dom:02}" fromCurrency="{currency}" toCurrency="USD" rate="{}.{:05}" />"#,
                rng.below(2),
                rng.below(100_000)
            )?;
        }
    }
    writeln!(out, "</ConversionRates>")?;
    writeln!(out, "</FlexStatement>")?;
    writeln!(out, "</FlexStatements>")?;
    writeln!(out, "</FlexQueryResponse>")?;
    Ok(())
}
