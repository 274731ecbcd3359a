//! The market scanner: IBKR's parameter tree, scans ranked by the scan type, the
//! 15-minute pacing of the parameters, IBKR's 400 for unknown codes.

use crate::common::{assert_shape, fixture, sim, sim_with};
use ibkr_sim::{Gateway, Limits};
use serde_json::{Value, json};

fn conids(body: &Value) -> Vec<u64> {
    body["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["con_id"].as_u64())
        .collect()
}

#[tokio::test]
async fn params_list_instruments_locations_scan_types_and_filters_like_ibkr() {
    let s = sim().await;
    let p = s.get("/iserver/scanner/params").await;
    assert_eq!(p.status, 200);
    assert_shape(
        &p.body,
        &fixture("responses/getScannerParams/spec_success.json"),
        &[],
    );
    let codes: Vec<&str> = p.body["scan_type_list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["code"].as_str())
        .collect();
    assert!(codes.contains(&"TOP_PERC_GAIN") && codes.contains(&"MOST_ACTIVE"));
    assert_eq!(p.body["instrument_list"][0]["type"], "STK");
    assert_eq!(
        p.body["location_tree"][0]["locations"][0]["type"],
        "STK.US.MAJOR"
    );
    let filters = p.body["filter_list"].to_string();
    assert!(filters.contains("priceAbove"));
}

#[tokio::test]
async fn params_are_limited_to_one_request_per_fifteen_minutes() {
    let s = sim_with(
        Gateway::builder()
            .plain_http()
            .brokerage_session(true)
            .limits(Limits::default()),
    )
    .await;
    assert_eq!(s.get("/iserver/scanner/params").await.status, 200);
    let again = s.get("/iserver/scanner/params").await;
    assert_eq!(again.status, 429);
    assert!(again.text.is_empty(), "IBKR's 429 has an empty body");
    assert_eq!(
        s.gw.inspect().throttled_by_path()["/iserver/scanner/params"],
        1
    );
}

#[tokio::test]
async fn top_gainers_are_ranked_by_percent_change() {
    let s = sim().await;
    // Make IBM jump 30 % and MSFT drop 30 %: first and last of the gainers.
    let before = s.warm(8314).await;
    let ibm: f64 = before.body[0]["31"]
        .as_str()
        .unwrap()
        .trim_start_matches(['C', 'H'])
        .parse()
        .unwrap();
    assert!(s.gw.control().set_last_price(8314, ibm * 1.3));
    let msft = s.warm(272093).await;
    let msft: f64 = msft.body[0]["31"]
        .as_str()
        .unwrap()
        .trim_start_matches(['C', 'H'])
        .parse()
        .unwrap();
    assert!(s.gw.control().set_last_price(272093, msft * 0.7));
    let run = s
        .post(
            "/iserver/scanner/run",
            json!({"instrument": "STK", "type": "TOP_PERC_GAIN", "location": "STK.US.MAJOR", "filter": []}),
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    let ids = conids(&run.body);
    assert_eq!(ids.first(), Some(&8314), "{}", run.text);
    assert_eq!(ids.last(), Some(&272093), "{}", run.text);
    assert!(
        run.body["contracts"][0]["scan_data"]
            .as_str()
            .unwrap()
            .starts_with('+')
    );
    assert_eq!(run.body["scan_data_column_name"], "Chg%");
    assert_shape(
        &run.body,
        &fixture("responses/runScanner/doc_cpapi_v1.json"),
        &[],
    );
    // The spec sample names the column on its first row only, as the simulator does.
    let first_row = json!({
        "contracts": [run.body["contracts"][0]],
        "scan_data_column_name": run.body["scan_data_column_name"],
    });
    assert_shape(
        &first_row,
        &fixture("responses/runScanner/spec_top_trade_count.json"),
        &[],
    );

    let losers = s
        .post(
            "/iserver/scanner/run",
            json!({"instrument": "STK", "type": "TOP_PERC_LOSE", "location": "STK.US.MAJOR"}),
        )
        .await;
    assert_eq!(conids(&losers.body).first(), Some(&272093));
}

#[tokio::test]
async fn locations_and_filters_narrow_the_scan() {
    let s = sim().await;
    let nyse = s
        .post(
            "/iserver/scanner/run",
            json!({"instrument": "STK", "type": "MOST_ACTIVE", "location": "STK.NYSE", "filter": []}),
        )
        .await;
    assert!(!conids(&nyse.body).is_empty());
    assert!(
        nyse.body["contracts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["listing_exchange"] == "NYSE")
    );
    let cheap = s
        .post(
            "/iserver/scanner/run",
            json!({"instrument": "STK", "type": "MOST_ACTIVE", "location": "STK.US.MAJOR",
                   "filter": [{"code": "priceBelow", "value": 50}]}),
        )
        .await;
    let all = s
        .post(
            "/iserver/scanner/run",
            json!({"instrument": "STK", "type": "MOST_ACTIVE", "location": "STK.US.MAJOR"}),
        )
        .await;
    assert!(conids(&cheap.body).len() < conids(&all.body).len());
    let etfs = s
        .post(
            "/iserver/scanner/run",
            json!({"instrument": "ETF.EQ.US", "type": "MOST_ACTIVE", "location": "STK.US.MAJOR"}),
        )
        .await;
    assert!(
        conids(&etfs.body).contains(&756733),
        "SPY is an ETF: {}",
        etfs.text
    );
}

#[tokio::test]
async fn hmds_scanner_returns_contract_ids_from_the_same_ranking() {
    let s = sim().await;
    let run = s
        .post(
            "/hmds/scanner/run",
            json!({"instrument": "STK", "location": "STK.US.MAJOR", "scanCode": "MOST_ACTIVE",
                   "secType": "STK", "filter": [], "maxItems": 5}),
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    assert_eq!(run.body["size"], 5);
    assert!(
        run.body["Contracts"]["Contract"][0]["contractID"]
            .as_u64()
            .is_some()
    );
}

#[tokio::test]
async fn unknown_codes_and_missing_fields_get_400() {
    let s = sim().await;
    for body in [
        json!({"instrument": "STK", "type": "NOPE", "location": "STK.US.MAJOR"}),
        json!({"instrument": "BOND", "type": "MOST_ACTIVE", "location": "STK.US.MAJOR"}),
        json!({"instrument": "STK", "type": "MOST_ACTIVE", "location": "MARS"}),
        json!({"instrument": "STK", "type": "MOST_ACTIVE", "location": "STK.US.MAJOR", "filter": [{"code": "nope", "value": 1}]}),
        json!({"instrument": "STK", "type": "MOST_ACTIVE", "location": "STK.US.MAJOR", "filter": [{"code": "priceAbove", "value": "x"}]}),
        json!({"type": "MOST_ACTIVE", "location": "STK.US.MAJOR"}),
    ] {
        let a = s.post("/iserver/scanner/run", body.clone()).await;
        assert_eq!(a.status, 400, "{body}: {}", a.text);
        assert_eq!(a.body["statusCode"], 400);
    }
    assert_eq!(
        s.send("POST", "/iserver/scanner/run", "garbage")
            .await
            .status,
        400
    );
}
