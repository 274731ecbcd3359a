//! `ibkr watch`, `ibkr orders --follow` and `ibkr pnl` over the WebSocket: against `--sim`,
//! a plain `http://` loopback gateway (`ws://`) and an HTTPS one with a self-signed
//! certificate (`wss://`, the gateway's case).

use std::io::{BufRead, BufReader};
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

fn ibkr() -> Command {
    let mut c = Command::cargo_bin("ibkr").unwrap();
    c.env_remove("IBKR_GATEWAY_URL")
        .env_remove("IBKR_ACCOUNT_ID")
        .timeout(Duration::from_secs(60));
    c
}

fn lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn assert_update(v: &Value) {
    assert!(v["conid"].is_i64(), "{v}");
    let t = v["t"].as_str().expect("t");
    assert!(
        chrono::DateTime::parse_from_rfc3339(t).is_ok_and(|t| t.offset().local_minus_utc() == 0),
        "t is UTC RFC 3339: {t}"
    );
    for field in ["LastPrice", "Bid", "Ask"] {
        assert!(v[field].is_number(), "{field} in {v}");
    }
}

/// A simulator on its own runtime thread, like a gateway the CLI does not own.
struct Gateway {
    gw: ibkr_sim::RunningGateway,
    _runtime: tokio::runtime::Runtime,
}

fn gateway(plain_http: bool) -> Gateway {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let gw = runtime.block_on(async {
        let mut b = ibkr_sim::Gateway::builder().seed(3);
        if plain_http {
            b = b.plain_http();
        }
        b.start().await.unwrap()
    });
    Gateway {
        gw,
        _runtime: runtime,
    }
}

#[test]
fn watch_json_writes_one_merged_update_per_line() {
    let out = ibkr()
        .args(["--sim", "--json", "watch", "AAPL", "MSFT", "--count", "6"])
        .assert()
        .success();
    let updates = lines(&out.get_output().stdout);
    assert_eq!(updates.len(), 6);
    for u in &updates {
        assert_update(u);
    }
    let conids: std::collections::BTreeSet<i64> =
        updates.iter().filter_map(|u| u["conid"].as_i64()).collect();
    assert_eq!(conids, [265598, 272093].into_iter().collect());
}

#[test]
fn watch_prints_a_table_with_the_requested_fields() {
    let out = ibkr()
        .args([
            "--sim",
            "watch",
            "265598",
            "--fields",
            "LastPrice,Volume",
            "--count",
            "2",
        ])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let mut rows = text.lines();
    let header = rows.next().expect("a header");
    assert!(
        header.contains("LastPrice") && header.contains("Volume"),
        "{header}"
    );
    let row = rows.next().expect("a row");
    assert!(row.contains("265598"), "{row}");
}

#[test]
fn watch_stops_after_the_given_duration() {
    let started = std::time::Instant::now();
    ibkr()
        .args(["--sim", "--json", "watch", "AAPL", "--for", "1500ms"])
        .assert()
        .success();
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn watch_works_against_a_plain_http_loopback_gateway() {
    let g = gateway(true);
    let out = ibkr()
        .args([
            "--gateway",
            g.gw.base_url(),
            "--json",
            "watch",
            "AAPL",
            "--count",
            "2",
        ])
        .assert()
        .success();
    let updates = lines(&out.get_output().stdout);
    assert_eq!(updates.len(), 2);
    assert_update(&updates[0]);
}

#[test]
fn watch_works_against_an_https_gateway_with_a_self_signed_certificate() {
    let g = gateway(false);
    assert!(g.gw.base_url().starts_with("https://"));
    let out = ibkr()
        .args([
            "--gateway",
            g.gw.base_url(),
            "--json",
            "watch",
            "AAPL",
            "--count",
            "2",
        ])
        .assert()
        .success();
    assert_eq!(lines(&out.get_output().stdout).len(), 2);
}

#[test]
fn watch_of_an_unknown_conid_fails_naming_it() {
    let out = ibkr()
        .args(["--sim", "watch", "1", "--for", "20s"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("smd+1: invalid conid"), "{err}");
}

#[test]
fn a_bad_duration_is_a_usage_error() {
    ibkr()
        .args(["--sim", "watch", "AAPL", "--for", "soon"])
        .assert()
        .code(2);
}

#[test]
fn pnl_prints_one_update_per_partition() {
    let out = ibkr().args(["--sim", "--json", "pnl"]).assert().success();
    let updates = lines(&out.get_output().stdout);
    assert_eq!(updates.len(), 1);
    assert!(
        updates[0]["rows"]["DU1234567.Core"]["nl"].is_number(),
        "{}",
        updates[0]
    );
}

#[test]
fn orders_follow_streams_an_order_placed_by_another_client() {
    let g = gateway(true);
    let mut child = StdCommand::cargo_bin("ibkr")
        .unwrap()
        .env_remove("IBKR_GATEWAY_URL")
        .env_remove("IBKR_ACCOUNT_ID")
        .args([
            "--gateway",
            g.gw.base_url(),
            "--json",
            "orders",
            "--follow",
            "--count",
            "1",
            "--for",
            "40s",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Let the follower open its socket and subscribe.
    let control = g.gw.control().socket();
    for _ in 0..200 {
        if control.received().iter().any(|m| m == "sor+{}") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        control.received().iter().any(|m| m == "sor+{}"),
        "subscribed"
    );
    // Another client places an order.
    ibkr()
        .args([
            "--gateway",
            g.gw.base_url(),
            "order",
            "place",
            "--symbol",
            "AAPL",
            "--side",
            "BUY",
            "--quantity",
            "1",
            "--answer",
            "o354=yes",
            "--yes",
        ])
        .assert()
        .success();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .next()
        .expect("a line")
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["order"]["conid"], 265598, "{v}");
    assert!(v["orderId"].is_string());
    assert!(child.wait().unwrap().success());
}
