//! The account commands of `ibkr` against its embedded simulator (`--sim`): positions,
//! summary, ledger, trades, watchlists, scanner, alerts, contracts, option chains, account
//! switching and completions; the JSON schemas, table and CSV output, and the one-line
//! errors (exit code 1) for bad input.

use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn ibkr() -> Command {
    let mut c = Command::cargo_bin("ibkr").expect("the ibkr binary");
    c.env_remove("IBKR_GATEWAY_URL")
        .env_remove("IBKR_ACCOUNT_ID")
        .env_remove("IBKR_OAUTH1_CONFIG")
        .env_remove("IBKR_OAUTH2_CONFIG")
        .timeout(Duration::from_secs(60));
    c
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

/// Run `args` against the simulator; it must succeed; its stdout as JSON.
fn json(args: &[&str]) -> Value {
    let out = ibkr().arg("--sim").args(args).assert().success();
    json_of(&out.get_output().stdout)
}

/// Run `args` against the simulator; it must fail with exit code 1 and one line on stderr,
/// which is returned.
fn fails(args: &[&str]) -> String {
    let out = ibkr().arg("--sim").args(args).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("ibkr: "), "{stderr}");
    stderr
}

#[test]
fn positions_json_has_the_documented_schema_with_numbers_as_numbers() {
    let v = json(&["positions", "--json"]);
    let positions = v["positions"].as_array().expect("positions array");
    assert!(!positions.is_empty());
    for p in positions {
        let mut keys: Vec<&str> = p
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "account",
                "avg_cost",
                "conid",
                "currency",
                "market_price",
                "market_value",
                "position",
                "symbol",
                "unrealized_pnl"
            ]
        );
        for n in [
            "conid",
            "position",
            "avg_cost",
            "market_price",
            "market_value",
            "unrealized_pnl",
        ] {
            assert!(p[n].is_number(), "{n} is a number: {p}");
        }
        assert_eq!(p["currency"], "USD");
    }
    // --output json is the same as --json.
    assert_eq!(json(&["positions", "--output", "json"]), v);
    // One contract, across the login's accounts.
    let conid = positions[0]["conid"].as_i64().expect("conid").to_string();
    let one = json(&["positions", "--conid", &conid, "--json"]);
    assert_eq!(one["positions"].as_array().map(Vec::len), Some(1));
}

#[test]
fn positions_print_a_table_by_default_and_csv_on_request() {
    ibkr()
        .args(["--sim", "positions"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "ACCOUNT    CONID   SYMBOL  POSITION",
        ))
        .stdout(predicate::str::contains("AAPL"));
    let out = ibkr()
        .args(["--sim", "positions", "--output", "csv"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "account,conid,symbol,position,avg_cost,market_price,market_value,unrealized_pnl,currency"
        )
    );
    assert!(lines.all(|l| l.split(',').count() == 9));
}

#[test]
fn summary_ledger_and_trades() {
    let s = json(&["summary", "--json"]);
    assert_eq!(s["account"], "DU1234567");
    assert!(
        s["net_liquidation"].as_f64().is_some_and(|n| n > 0.0),
        "{s}"
    );
    assert!(s["buying_power"].is_number() && s["maint_margin"].is_number());

    let l = json(&["ledger", "--json"]);
    assert_eq!(l["ledger"][0]["currency"], "BASE");
    assert!(l["ledger"][0]["cash"].is_number());

    let t = json(&["trades", "--days", "7", "--json"]);
    let trades = t["trades"].as_array().expect("trades");
    assert!(!trades.is_empty());
    assert!(
        trades
            .iter()
            .all(|t| t["size"].is_number() && t["price"].is_number())
    );
    fails(&["trades", "--days", "30"]);
}

#[test]
fn a_watchlist_is_created_with_symbols_and_conids() {
    let v = json(&[
        "watchlist",
        "create",
        "1001",
        "--name",
        "Tech",
        "aapl",
        "8314",
        "--json",
    ]);
    assert_eq!(v["id"], "1001");
    assert_eq!(v["name"], "Tech");
    assert_eq!(v["instruments"][0]["conid"], 265598);
    assert_eq!(v["instruments"][1]["symbol"], "IBM");
    assert_eq!(
        json(&["watchlist", "list", "--json"])["watchlists"],
        Value::Array(vec![])
    );
}

#[test]
fn unknown_watchlist_ids_are_one_line_errors() {
    let e = fails(&["watchlist", "show", "999"]);
    assert!(e.contains("no watchlist with id \"999\""), "{e}");
    fails(&["watchlist", "delete", "999"]);
}

#[test]
fn scanner_params_and_runs() {
    let p = json(&["scanner", "params", "--json"]);
    assert!(
        p["params"]
            .as_array()
            .expect("params")
            .iter()
            .any(|c| c["kind"] == "scan_type" && c["code"] == "TOP_PERC_GAIN")
    );
    let r = json(&["scanner", "run", "MOST_ACTIVE", "--json"]);
    let results = r["results"].as_array().expect("results");
    assert!(!results.is_empty());
    assert_eq!(results[0]["rank"], 1);
    assert!(results[0]["conid"].is_number());
    let e = fails(&[
        "scanner",
        "run",
        "MOST_ACTIVE",
        "--filter",
        "priceBelow=0.01",
    ]);
    assert!(e.contains("found no contracts"), "{e}");
    ibkr()
        .args([
            "--sim",
            "scanner",
            "run",
            "MOST_ACTIVE",
            "--filter",
            "cheap",
        ])
        .assert()
        .code(2);
}

#[test]
fn alerts_are_created_and_unknown_ids_refused() {
    let created = json(&["alert", "create", "AAPL", "--above", "300", "--json"]);
    assert!(created["id"].is_number(), "{created}");
    assert_eq!(created["name"], "AAPL >= 300");
    assert_eq!(
        json(&["alert", "list", "--json"])["alerts"],
        Value::Array(vec![])
    );
    let e = fails(&["alert", "delete", "12345"]);
    assert!(e.contains("no alert 12345"), "{e}");
}

#[test]
fn contract_by_symbol_or_conid() {
    let by_symbol = json(&["contract", "AAPL", "--json"]);
    assert_eq!(by_symbol["conid"], 265598);
    assert_eq!(by_symbol["company"], "APPLE INC");
    assert!(
        by_symbol["order_types"]
            .as_str()
            .is_some_and(|t| t.contains("limit"))
    );
    assert_eq!(json(&["contract", "265598", "--json"])["symbol"], "AAPL");
}

#[test]
fn an_option_chain_for_a_month_with_options_and_an_error_for_one_without() {
    let e = fails(&["chain", "AAPL", "--expiry", "199001"]);
    let months = e
        .split("months with options: ")
        .nth(1)
        .expect("the error lists the months with options");
    let month = months.split(", ").nth(1).expect("two months").trim();
    let v = json(&["chain", "AAPL", "--expiry", month, "--json"]);
    assert_eq!(v["underlying"], 265598);
    assert!(v["strikes"].as_array().is_some_and(|s| s.len() > 5));
    let options = v["options"].as_array().expect("options");
    assert!(options.iter().any(|o| o["right"] == "C"));
    assert!(options.iter().all(|o| o["strike"].is_number()));
    ibkr()
        .args(["--sim", "chain", "AAPL", "--expiry", "2027-01"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("YYYYMM"));
}

#[test]
fn switching_accounts() {
    let v = json(&["accounts", "switch", "DU1234567", "--json"]);
    assert_eq!(v["selected"], "DU1234567");
    let e = fails(&["accounts", "switch", "U0000000"]);
    assert!(e.contains("has no account"), "{e}");
    // Plain `accounts` still lists them.
    assert!(json(&["accounts", "--json"])["accounts"].is_array());
}

#[test]
fn completions_for_a_shell() {
    ibkr()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_ibkr()"))
        .stdout(predicate::str::contains("positions"));
    ibkr().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn a_snapshot_of_a_padded_lowercase_symbol_does_not_panic() {
    let out = ibkr()
        .args(["--sim", "--json", "snapshot", " aapl", "MSFT "])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("265598") && text.contains("272093"), "{text}");
    ibkr()
        .args(["--sim", "snapshot", " "])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("neither a symbol nor a conid"));
}
