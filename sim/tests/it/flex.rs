//! The Flex Web Service: SendRequest/GetStatement, 1019, 1018, 1012/1015, the statement XML.

use std::time::Duration;

use crate::common::{Sim, fixture_text, sim_with};
use ibkr_sim::{FlexConfig, Gateway, Limits};

const TOKEN: &str = "tok-123";
const QUERY: &str = "987654";

fn flex_sim(pending: u32, interval_ms: u64) -> ibkr_sim::GatewayBuilder {
    Gateway::builder()
        .plain_http()
        .brokerage_session(true)
        .limits(Limits::unlimited())
        .flex(FlexConfig {
            token: TOKEN.into(),
            query_id: QUERY.into(),
            pending_polls: pending,
            expired_token: Some("old-token".into()),
            min_interval: Duration::from_millis(interval_ms),
            query_name: "sim query".into(),
        })
}

/// The text of `<Tag>` in an envelope.
fn tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].trim())
}

async fn send(s: &Sim) -> String {
    s.flex("SendRequest", &format!("t={TOKEN}&q={QUERY}&v=3"))
        .await
}

#[tokio::test]
async fn send_request_returns_a_reference_and_a_url_back_to_the_simulator() {
    let s = sim_with(flex_sim(0, 0)).await;
    let xml = send(&s).await;
    let real = fixture_text("flex/sendrequest_success.xml");
    assert!(real.starts_with("<FlexStatementResponse timestamp="));
    assert!(
        xml.starts_with("<FlexStatementResponse timestamp=\""),
        "{xml}"
    );
    assert_eq!(tag(&xml, "Status"), Some("Success"));
    let code = tag(&xml, "ReferenceCode").unwrap();
    assert_eq!(code.len(), 10);
    assert_eq!(
        tag(&xml, "Url"),
        Some(format!("{}/GetStatement", s.gw.flex_base_url()).as_str())
    );
}

#[tokio::test]
async fn statement_generation_answers_1019_for_the_first_polls() {
    let s = sim_with(flex_sim(2, 0)).await;
    let xml = send(&s).await;
    let code = tag(&xml, "ReferenceCode").unwrap().to_string();
    for _ in 0..2 {
        let poll = s
            .flex("GetStatement", &format!("t={TOKEN}&q={code}&v=3"))
            .await;
        assert_eq!(tag(&poll, "Status"), Some("Warn"));
        assert_eq!(tag(&poll, "ErrorCode"), Some("1019"));
        assert_eq!(
            tag(&poll, "ErrorMessage"),
            Some("Statement generation in progress. Please try again shortly.")
        );
    }
    let statement = s
        .flex("GetStatement", &format!("t={TOKEN}&q={code}&v=3"))
        .await;
    assert!(statement.starts_with("<FlexQueryResponse queryName=\"sim query\" type=\"AF\">"));
    let unknown = s
        .flex("GetStatement", &format!("t={TOKEN}&q=1111111111&v=3"))
        .await;
    assert_eq!(tag(&unknown, "ErrorCode"), Some("1017"));
}

#[tokio::test]
async fn polling_faster_than_the_limit_answers_1018() {
    let s = sim_with(flex_sim(5, 150)).await;
    let xml = send(&s).await;
    let code = tag(&xml, "ReferenceCode").unwrap().to_string();
    let fast = s
        .flex("GetStatement", &format!("t={TOKEN}&q={code}&v=3"))
        .await;
    assert_eq!(tag(&fast, "ErrorCode"), Some("1018"));
    assert_eq!(tag(&fast, "Status"), Some("Warn"));
    tokio::time::sleep(Duration::from_millis(170)).await;
    let slow = s
        .flex("GetStatement", &format!("t={TOKEN}&q={code}&v=3"))
        .await;
    assert_eq!(tag(&slow, "ErrorCode"), Some("1019"));
}

#[tokio::test]
async fn expired_and_invalid_tokens_and_queries_fail() {
    let s = sim_with(flex_sim(0, 0)).await;
    let expired = s
        .flex("SendRequest", &format!("t=old-token&q={QUERY}&v=3"))
        .await;
    assert_eq!(tag(&expired, "Status"), Some("Fail"));
    assert_eq!(tag(&expired, "ErrorCode"), Some("1012"));
    assert_eq!(tag(&expired, "ErrorMessage"), Some("Token has expired."));
    let real = fixture_text("flex/fail_1012_token_expired.xml");
    assert_eq!(tag(&real, "ErrorMessage"), tag(&expired, "ErrorMessage"));
    let invalid = s
        .flex("SendRequest", &format!("t=nope&q={QUERY}&v=3"))
        .await;
    assert_eq!(tag(&invalid, "ErrorCode"), Some("1015"));
    let query = s.flex("SendRequest", &format!("t={TOKEN}&q=1&v=3")).await;
    assert_eq!(tag(&query, "ErrorCode"), Some("1014"));
    let get = s.flex("GetStatement", "t=nope&q=1&v=3").await;
    assert_eq!(tag(&get, "ErrorCode"), Some("1015"));
}

/// Attribute names of the first `<tag .../>` element in `xml`.
fn attributes(xml: &str, element: &str) -> Vec<String> {
    let start = xml
        .find(&format!("<{element} "))
        .unwrap_or_else(|| panic!("no <{element}>"));
    let end = xml[start..].find("/>").unwrap() + start;
    xml[start..end]
        .split('"')
        .step_by(2)
        .filter_map(|chunk| chunk.trim().strip_suffix('='))
        .map(|name| name.split_whitespace().last().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn the_statement_holds_seeded_and_new_trades_positions_and_cash_in_ib_format() {
    let s = sim_with(flex_sim(0, 0)).await;
    s.warm(265598).await;
    s.place(serde_json::json!({"conid": 265598, "side": "BUY", "orderType": "MKT", "quantity": 3, "tif": "DAY"}))
        .await;
    let xml = send(&s).await;
    let code = tag(&xml, "ReferenceCode").unwrap().to_string();
    let st = s
        .flex("GetStatement", &format!("t={TOKEN}&q={code}&v=3"))
        .await;
    for section in [
        "<FlexStatements count=\"1\">",
        "<FlexStatement accountId=\"DU1234567\"",
        "<AccountInformation ",
        "<Trades>",
        "<OpenPositions>",
        "<CashTransactions>",
        "<ConversionRates>",
        "</FlexQueryResponse>",
    ] {
        assert!(st.contains(section), "missing {section}");
    }
    assert_eq!(
        st.matches("<Trade ").count(),
        6,
        "5 seeded trades and the new one"
    );
    assert!(st.contains("quantity=\"3\""));
    assert!(st.contains("type=\"Deposits/Withdrawals\""));
    assert!(st.contains("type=\"Dividends\""));
    // whenGenerated is yyyyMMdd;HHmmss.
    let when = st.split("whenGenerated=\"").nth(1).unwrap();
    assert_eq!(&when[8..9], ";");
    assert!(when[..8].chars().all(|c| c.is_ascii_digit()));
    // Every attribute the simulator writes exists in IBKR's real rows.
    let reals = [
        fixture_text("flex/pp_testIBFlexStatementFile17.xml"),
        fixture_text("flex/pp_testIBFlexStatementFile20.xml"),
        fixture_text("flex/pp_testIBFlexStatementFile27.xml"),
    ];
    for element in [
        "Trade",
        "OpenPosition",
        "CashTransaction",
        "AccountInformation",
        "ConversionRate",
    ] {
        let known: Vec<String> = reals
            .iter()
            .filter(|r| r.contains(&format!("<{element} ")))
            .flat_map(|r| attributes(r, element))
            .collect();
        for a in attributes(&st, element) {
            assert!(
                known.contains(&a),
                "{element}@{a} is not in the real sample"
            );
        }
    }
}

#[tokio::test]
async fn the_legacy_servlet_answers_1001() {
    let s = sim_with(flex_sim(0, 0)).await;
    let base = s.gw.base_url().replace("/v1/api", "");
    let url = format!(
        "{base}/Universal/servlet/FlexStatementService.SendRequest?t={TOKEN}&q={QUERY}&v=3"
    );
    let xml = s.http.get(url).send().await.unwrap().text().await.unwrap();
    assert_eq!(tag(&xml, "ErrorCode"), Some("1001"));
}

/// `(conid, value of attr)` for every `<element ...>` row of a statement.
fn rows(xml: &str, element: &str, attr: &str) -> Vec<(u64, f64)> {
    let open = format!("<{element} ");
    xml.split(&open)
        .skip(1)
        .filter_map(|row| {
            let row = &row[..row.find("/>").unwrap_or(row.len())];
            let value = |name: &str| {
                let key = format!(" {name}=\"");
                let at = row.find(&key)? + key.len();
                let end = row[at..].find('"')? + at;
                Some(row[at..end].to_string())
            };
            Some((value("conid")?.parse().ok()?, value(attr)?.parse().ok()?))
        })
        .collect()
}

#[tokio::test]
async fn the_statement_agrees_with_the_trades_and_positions_the_gateway_shows() {
    let s = sim_with(flex_sim(0, 0)).await;
    let xml = send(&s).await;
    let code = tag(&xml, "ReferenceCode").unwrap().to_string();
    let st = s
        .flex("GetStatement", &format!("t={TOKEN}&q={code}&v=3"))
        .await;
    // Trades: the same executions `/iserver/account/trades?days=7` lists.
    let mut flex_trades = rows(&st, "Trade", "quantity");
    let trades = s.get("/iserver/account/trades?days=7").await;
    let mut gateway_trades: Vec<(u64, f64)> = trades
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let sign = if t["side"] == "B" { 1.0 } else { -1.0 };
            (
                t["conid"].as_u64().unwrap(),
                sign * t["size"].as_f64().unwrap(),
            )
        })
        .collect();
    flex_trades.sort_by(|a, b| a.partial_cmp(b).unwrap());
    gateway_trades.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(flex_trades, gateway_trades);
    // Open positions: the same as `/portfolio/{acct}/positions`.
    let mut flex_positions = rows(&st, "OpenPosition", "position");
    let positions = s.get("/portfolio/DU1234567/positions/0").await;
    let mut gateway_positions: Vec<(u64, f64)> = positions
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["conid"].as_u64().unwrap(),
                p["position"].as_f64().unwrap(),
            )
        })
        .collect();
    flex_positions.sort_by(|a, b| a.partial_cmp(b).unwrap());
    gateway_positions.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(flex_positions, gateway_positions);
    assert!(!flex_positions.is_empty());
}
