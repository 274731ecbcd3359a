//! The `ibkr` command, run as a user runs it, against its embedded simulator (`--sim`):
//! every subcommand, the documented JSON schemas, exit codes and error lines.

use std::path::PathBuf;
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn ibkr() -> Command {
    let mut c = Command::cargo_bin("ibkr").unwrap();
    c.env_remove("IBKR_GATEWAY_URL")
        .env_remove("IBKR_FLEX_TOKEN")
        .env_remove("IBKR_ACCOUNT_ID")
        .timeout(Duration::from_secs(60));
    c
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../flex/tests/fixtures")
        .join(rel)
}

#[test]
fn conid_json_maps_symbols_to_conids() {
    let out = ibkr()
        .args(["--sim", "--json", "conid", "AAPL", "MSFT", "SPY"])
        .assert()
        .success();
    let v = json_of(&out.get_output().stdout);
    assert_eq!(
        v,
        serde_json::json!({"AAPL": 265598, "MSFT": 272093, "SPY": 756733})
    );
}

#[test]
fn conid_filters_pick_a_non_us_listing() {
    let out = ibkr()
        .args([
            "--sim",
            "--json",
            "conid",
            "AAPL",
            "--name-match",
            "APPLE",
            "--any-market",
            "--exchange",
            "AEQLIT",
        ])
        .assert()
        .success();
    assert_eq!(json_of(&out.get_output().stdout)["AAPL"], 532640894);
}

#[test]
fn an_ambiguous_symbol_fails_with_every_candidate() {
    ibkr()
        .args(["--sim", "conid", "ACME"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("ACME").and(predicate::str::contains("candidates")));
}

#[test]
fn status_and_accounts() {
    let out = ibkr()
        .args(["--sim", "--json", "status"])
        .assert()
        .success();
    let v = json_of(&out.get_output().stdout);
    assert_eq!(v["logged_in"], true);
    assert!(
        v["gateway"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let out = ibkr()
        .args(["--sim", "--json", "accounts"])
        .assert()
        .success();
    let v = json_of(&out.get_output().stdout);
    assert!(
        v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "DU1234567")
    );
}

#[test]
fn snapshot_json_has_numbers_per_field() {
    let out = ibkr()
        .args([
            "--sim",
            "--json",
            "snapshot",
            "AAPL",
            "272093",
            "--fields",
            "LastPrice,Bid,Ask",
        ])
        .assert()
        .success();
    let v = json_of(&out.get_output().stdout);
    assert_eq!(v["AAPL"]["conid"], 265598);
    assert!(v["AAPL"]["LastPrice"].as_f64().unwrap() > 0.0);
    assert!(v["272093"]["Bid"].as_f64().unwrap() <= v["272093"]["Ask"].as_f64().unwrap());
}

#[test]
fn history_json_follows_the_documented_schema() {
    let out = ibkr()
        .args([
            "--sim", "--json", "history", "AAPL", "MSFT", "--period", "1m", "--bar", "1d",
        ])
        .assert()
        .success();
    let v = json_of(&out.get_output().stdout);
    for sym in ["AAPL", "MSFT"] {
        let bars = v[sym].as_array().unwrap();
        assert!(bars.len() >= 15, "{sym}: {}", bars.len());
        let b = &bars[0];
        let keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["c", "h", "l", "o", "t", "v"]);
        let t = b["t"].as_str().unwrap();
        assert!(
            t.ends_with("Z") && chrono::DateTime::parse_from_rfc3339(t).is_ok(),
            "{t}"
        );
        assert!(b["l"].as_f64().unwrap() <= b["h"].as_f64().unwrap());
    }
}

#[test]
fn history_writes_one_csv_per_symbol() {
    let dir = tempfile::tempdir().unwrap();
    ibkr()
        .args([
            "--sim", "history", "AAPL", "SPY", "--period", "1w", "--bar", "1d", "--out",
        ])
        .arg(dir.path())
        .args(["--format", "csv"])
        .assert()
        .success();
    let csv = std::fs::read_to_string(dir.path().join("SPY.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("t,o,h,l,c,v"));
    assert!(lines.count() >= 3);
}

#[test]
fn order_place_refuses_without_yes() {
    ibkr()
        .args([
            "--sim",
            "order",
            "place",
            "--symbol",
            "AAPL",
            "--side",
            "BUY",
            "--quantity",
            "1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "refusing to place an order without --yes",
        ));
}

#[test]
fn an_unanswered_question_is_declined_and_exits_4_with_its_message_id() {
    ibkr()
        .args([
            "--sim",
            "order",
            "place",
            "--symbol",
            "AAPL",
            "--side",
            "BUY",
            "--quantity",
            "1",
            "--yes",
        ])
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("[o354]").and(predicate::str::contains("--answer o354=yes")),
        );
}

#[test]
fn a_declined_answer_exits_4() {
    ibkr()
        .args([
            "--sim",
            "order",
            "place",
            "--conid",
            "265598",
            "--side",
            "BUY",
            "--quantity",
            "1",
            "--yes",
            "--answer",
            "o354=no",
        ])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("declined"));
}

#[test]
fn an_answered_order_is_placed_with_the_documented_json() {
    let out = ibkr()
        .args([
            "--sim",
            "--json",
            "order",
            "place",
            "--symbol",
            "AAPL",
            "--side",
            "BUY",
            "--quantity",
            "1",
            "--type",
            "LMT",
            "--price",
            "100",
            "--tif",
            "GTC",
            "--answer",
            "o354=yes",
            "--answer",
            "o163=yes",
            "--yes",
        ])
        .assert()
        .success();
    let v = json_of(&out.get_output().stdout);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["order_id", "status"]);
    assert!(!v["order_id"].as_str().unwrap().is_empty());
}

#[test]
fn order_preview_shows_the_margin_impact() {
    let out = ibkr()
        .args([
            "--sim",
            "--json",
            "order",
            "preview",
            "--conid",
            "265598",
            "--side",
            "BUY",
            "--quantity",
            "10",
        ])
        .assert()
        .success();
    let v = json_of(&out.get_output().stdout);
    assert!(v["amount"].is_object() && v["initial"].is_object(), "{v}");
}

#[test]
fn orders_and_cancel() {
    let out = ibkr()
        .args(["--sim", "--json", "orders"])
        .assert()
        .success();
    assert!(json_of(&out.get_output().stdout)["orders"].is_array());
    let out = ibkr()
        .args(["--sim", "--json", "cancel", "-1"])
        .assert()
        .success();
    assert!(json_of(&out.get_output().stdout)["message"].is_string());
}

#[test]
fn flex_parse_json_lists_every_statement_section_and_row_in_order() {
    // portfolio-performance File29: three statements although count="2".
    let out = ibkr()
        .args(["flex", "parse"])
        .arg(fixture("activity/pp_testIBFlexStatementFile29.xml"))
        .assert()
        .success();
    let v = json_of(&out.get_output().stdout);
    let statements = v["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 3);
    for st in statements {
        assert!(
            st["accountId"].is_string() && st["fromDate"].is_string() && st["toDate"].is_string()
        );
        for rows in st["sections"].as_object().unwrap().values() {
            assert!(
                rows.as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r["type"].is_string())
            );
        }
    }
    // Trades keep Trade and Order rows interleaved in document order (ibflex fixture).
    let out = ibkr()
        .args(["flex", "parse", "--section", "Trades"])
        .arg(fixture("activity/ibflex_test_types_assembled.xml"))
        .assert()
        .success();
    let v = json_of(&out.get_output().stdout);
    let types: Vec<&str> = v["statements"][0]["sections"]["Trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"Trade") && types.contains(&"Order"),
        "{types:?}"
    );
    assert_eq!(
        v["statements"][0]["sections"].as_object().unwrap().len(),
        1,
        "only the asked section"
    );
}

#[test]
fn flex_parse_csv_has_type_first() {
    let out = ibkr()
        .args(["flex", "parse", "--section", "Trades", "--format", "csv"])
        .arg(fixture("activity/pp_testIBFlexStatementFile07.xml"))
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("type,"));
    assert!(lines.next().unwrap().starts_with("Trade,"));
}

#[test]
fn flex_parse_of_a_broken_file_names_the_line() {
    ibkr()
        .args(["flex", "parse"])
        .arg(fixture("synthetic_fixtures/ib-flex_activity_simple.xml"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line"));
}

#[test]
fn flex_fetch_from_the_simulator_writes_the_statement() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("statement.xml");
    ibkr()
        .args(["--sim", "flex", "fetch", "--query", "123456", "--out"])
        .arg(&file)
        .assert()
        .success();
    let xml = std::fs::read_to_string(&file).unwrap();
    assert!(xml.contains("<FlexQueryResponse") && xml.contains("<Trade "));
}

#[test]
fn flex_fetch_takes_the_token_only_from_the_environment() {
    ibkr()
        .args(["flex", "fetch", "--query", "123456"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("IBKR_FLEX_TOKEN"));
}

#[test]
fn an_unreachable_gateway_is_one_clear_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = ibkr()
        .args([
            "--gateway",
            &format!("https://127.0.0.1:{port}/v1/api"),
            "status",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is the gateway running?"));
    assert_eq!(
        String::from_utf8_lossy(&out.get_output().stderr)
            .lines()
            .count(),
        1
    );
}

#[test]
fn the_tour_runs_end_to_end_on_the_simulator() {
    ibkr().arg("tour").assert().success().stdout(
        predicate::str::contains("AAPL  -> 265598")
            .and(predicate::str::contains("candidates"))
            .and(predicate::str::contains("20 symbols"))
            .and(predicate::str::contains("IBKR asked [o163]"))
            .and(predicate::str::contains("Submitted"))
            .and(predicate::str::contains("statement DU***4567")),
    );
}

#[test]
fn sim_serves_standalone() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("ibkr"))
        .args(["sim", "--http", "--port", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut up = false;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = up.then(|| {
        ibkr()
            .args([
                "--gateway",
                &format!("http://127.0.0.1:{port}/v1/api"),
                "--json",
                "conid",
                "IBM",
            ])
            .output()
            .unwrap()
    });
    child.kill().ok();
    child.wait().ok();
    let out = status.expect("the simulator listens");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out.stdout)["IBM"], 8314);
}
