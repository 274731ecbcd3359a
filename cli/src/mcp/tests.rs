//! In-process tests: rmcp's client over a `tokio::io::duplex` pipe against the server on
//! the embedded simulator, whose journal says what reached "IBKR".

use clap::Parser;
use ibkr_ext::Ibkr;
use ibkr_sim::{OrderOutcome as SimOutcome, RunningGateway};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

use super::{IbkrMcp, McpArgs};

const AAPL: i64 = 265598;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: McpArgs,
}

struct Harness {
    client: RunningService<RoleClient, ()>,
    sim: RunningGateway,
    audit: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// A server with `flags` on a fresh simulator holding `extra` accounts too.
async fn server(
    flags: &[&str],
    extra: &[&str],
) -> (
    IbkrMcp,
    RunningGateway,
    std::path::PathBuf,
    tempfile::TempDir,
) {
    // Pacing is the wire's subject, not the tools': unpaced, `pnl` (asked twice, 5 s apart
    // under IBKR's limit) takes milliseconds instead of 10 s.
    let mut builder = crate::sim::builder().limits(ibkr_sim::Limits::unlimited());
    for a in extra {
        builder = builder.extra_account(a);
    }
    let sim = builder.start().await.expect("simulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = dir.path().join("audit.jsonl");
    let mut argv = vec![
        "mcp".to_string(),
        "--audit".into(),
        audit.display().to_string(),
    ];
    argv.extend(flags.iter().map(|f| f.to_string()));
    let args = Cli::try_parse_from(argv).expect("flags").args;
    let ibkr = Ibkr::builder()
        .base_url(sim.base_url())
        .without_pacing()
        .build()
        .expect("client");
    let session = crate::context::Session {
        ibkr,
        sim: None,
        format: crate::args::OutputFormat::Json,
    };
    let mut shared = super::shared(&args, session).expect("server state");
    shared.flex = super::FlexSource::Sim {
        base: sim.flex_base_url().to_string(),
    };
    (IbkrMcp::new(shared), sim, audit, dir)
}

/// A server started with `flags`, and an rmcp client talking to it in-process.
async fn start(flags: &[&str], extra: &[&str]) -> Harness {
    let (server, sim, audit, dir) = server(flags, extra).await;
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = ().serve(client_io).await.expect("client");
    Harness {
        client,
        sim,
        audit,
        _dir: dir,
    }
}

impl Harness {
    async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let Value::Object(map) = args else {
            panic!("arguments are an object")
        };
        self.client
            .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(map))
            .await
            .unwrap_or_else(|e| panic!("{tool}: protocol error {e}"))
    }

    /// A tool's structured answer, which must not be an error.
    async fn ok(&self, tool: &str, args: Value) -> Value {
        let r = self.call(tool, args).await;
        let v = r.structured_content.clone().unwrap_or(Value::Null);
        assert_ne!(r.is_error, Some(true), "{tool} failed: {v}");
        v
    }

    /// A tool's structured error, which must be one.
    async fn err(&self, tool: &str, args: Value) -> Value {
        let r = self.call(tool, args).await;
        let v = r.structured_content.clone().unwrap_or(Value::Null);
        assert_eq!(r.is_error, Some(true), "{tool} should have failed: {v}");
        v
    }

    async fn tools(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .client
            .list_all_tools()
            .await
            .expect("tools")
            .into_iter()
            .map(|t| t.name.to_string())
            .collect();
        names.sort();
        names
    }

    fn orders_sent(&self) -> usize {
        self.sim.inspect().orders().len()
    }

    fn audit_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each audit line is JSON"))
            .collect()
    }
}

fn market(quantity: &str) -> Value {
    json!({"conid": AAPL, "side": "BUY", "quantity": quantity, "order_type": "MKT"})
}

const READ_TOOLS: &[&str] = &[
    "account_summary",
    "accounts",
    "alerts",
    "contract",
    "flex_statement",
    "history",
    "ledger",
    "option_chain",
    "order_status",
    "orders",
    "pnl",
    "positions",
    "preview_order",
    "quote",
    "resolve_conids",
    "scanner_params",
    "scanner_run",
    "session_status",
    "trades",
    "watchlists",
];

#[tokio::test]
async fn the_default_server_lists_the_read_tools_and_no_trading_tool() {
    let h = start(&[], &[]).await;
    assert_eq!(h.tools().await, READ_TOOLS);
    // A trading tool is not there to call: a protocol error, not a tool result.
    let e = h
        .client
        .call_tool(CallToolRequestParams::new("place_order"))
        .await
        .expect_err("no place_order without --trading");
    assert!(e.to_string().contains("tool not found"), "{e}");

    let t = start(&["--trading"], &[]).await.tools().await;
    for name in ["place_order", "modify_order", "cancel_order"] {
        assert!(t.contains(&name.to_string()), "{name} with --trading");
    }
    assert!(!t.contains(&"cancel_all_orders".to_string()));
    let t = start(&["--trading", "--allow-cancel-all"], &[])
        .await
        .tools()
        .await;
    assert!(t.contains(&"cancel_all_orders".to_string()));
}

#[tokio::test]
async fn every_read_tool_answers_on_the_simulator() {
    let h = start(&[], &[]).await;
    let accounts = h.ok("accounts", json!({})).await;
    assert_eq!(accounts["accounts"], json!(["DU1234567"]));
    assert_eq!(accounts["paper"]["DU1234567"], true);
    let status = h.ok("session_status", json!({})).await;
    assert_eq!(status["logged_in"], true);
    assert_eq!(status["server"]["trading"], false);

    let positions = h.ok("positions", json!({})).await;
    assert!(positions["positions"].is_array());
    let summary = h.ok("account_summary", json!({})).await;
    assert!(
        summary["net_liquidation"].is_string(),
        "money is decimal text: {summary}"
    );
    let ledger = h.ok("ledger", json!({})).await;
    assert!(!ledger["ledger"].as_array().expect("ledger").is_empty());
    assert!(h.ok("trades", json!({"days": 3})).await["trades"].is_array());
    assert!(h.ok("orders", json!({})).await["orders"].is_array());

    let conids = h
        .ok("resolve_conids", json!({"symbols": ["AAPL", "MSFT"]}))
        .await;
    assert_eq!(conids["conids"]["AAPL"], AAPL);
    let contract = h.ok("contract", json!({"item": "AAPL"})).await;
    assert_eq!(contract["conid"], AAPL);

    let e = h
        .err(
            "option_chain",
            json!({"symbol": "AAPL", "expiry": "199001"}),
        )
        .await;
    let month = e["message"]
        .as_str()
        .and_then(|m| m.split("months with options: ").nth(1))
        .and_then(|m| m.split(", ").nth(1))
        .expect("the error lists the months with options")
        .trim()
        .to_string();
    let chain = h
        .ok("option_chain", json!({"symbol": "AAPL", "expiry": month}))
        .await;
    assert!(chain["strikes"][0].is_string(), "strikes are decimal text");

    let quotes = h
        .ok("quote", json!({"symbols": ["AAPL"], "conids": [8314]}))
        .await;
    let q = &quotes["quotes"][0];
    assert_eq!(
        (q["conid"].clone(), q["symbol"].clone()),
        (json!(AAPL), json!("AAPL"))
    );
    for f in ["last", "bid", "ask"] {
        let text = q[f]
            .as_str()
            .unwrap_or_else(|| panic!("{f} is decimal text: {q}"));
        assert!(text.parse::<rust_decimal::Decimal>().is_ok(), "{f}: {text}");
    }
    assert_eq!(quotes["quotes"][1]["conid"], 8314);

    let history = h
        .ok(
            "history",
            json!({"symbols": ["AAPL"], "period": "1m", "bar": "1d"}),
        )
        .await;
    let bars = history["bars"]["AAPL"].as_array().expect("AAPL bars");
    assert!(!bars.is_empty() && bars[0]["c"].is_string(), "{}", bars[0]);

    let params = h
        .ok("scanner_params", json!({"kind": "scan_type", "limit": 5}))
        .await;
    assert!(
        params["params"]
            .as_array()
            .is_some_and(|p| !p.is_empty() && p.len() <= 5)
    );
    let scan = h
        .ok("scanner_run", json!({"scan_type": "MOST_ACTIVE"}))
        .await;
    assert!(scan["results"].as_array().is_some_and(|r| !r.is_empty()));
    assert!(h.ok("watchlists", json!({})).await["watchlists"].is_array());
    assert!(h.ok("alerts", json!({})).await["alerts"].is_array());

    let flex = h
        .ok(
            "flex_statement",
            json!({"query_id": crate::sim::SIM_FLEX_QUERY, "section": "Trades", "limit": 2}),
        )
        .await;
    assert!(
        !flex["statements"]
            .as_array()
            .expect("statements")
            .is_empty()
    );
    assert!(flex["rows"].as_array().is_some_and(|r| r.len() <= 2));

    let preview = h.ok("preview_order", json!({"ticket": market("1")})).await;
    assert!(preview["preview"].is_object());
    assert_eq!(
        preview["confirmation"],
        Value::Null,
        "read-only: no confirmation"
    );
    assert_eq!(preview["would_refuse"]["guard"], "trading_disabled");

    // An order status of an order that exists.
    let placed = {
        let t = start(&["--trading"], &[]).await;
        let p = t.ok("preview_order", json!({"ticket": market("1")})).await;
        let r = t
            .ok(
                "place_order",
                json!({"ticket": market("1"), "confirmation": p["confirmation"]}),
            )
            .await;
        let id = r["order_id"].as_str().expect("order id").to_string();
        let s = t.ok("order_status", json!({"order_id": id})).await;
        assert!(
            s.is_object() && !s.as_object().is_some_and(|o| o.is_empty()),
            "{s}"
        );
        id
    };
    assert!(!placed.is_empty());
    assert_eq!(h.orders_sent(), 0, "read tools place nothing");
}

/// On its own: IBKR paces P&L at one call per 5 seconds, and the first call of a session is
/// asked twice (IBKR answers it empty while it subscribes), so this one takes 10 s.
#[tokio::test]
async fn pnl_answers_per_allowed_account_partition() {
    let h = start(&["--account", "DU1234567"], &[]).await;
    let pnl = h.ok("pnl", json!({})).await;
    let rows = pnl["pnl"].as_array().expect("rows");
    assert!(!rows.is_empty(), "{pnl}");
    assert!(rows.iter().all(|r| r["account"] == "DU1234567"));
    assert!(
        rows[0]["net_liquidation"].is_string(),
        "decimal text: {pnl}"
    );
}

#[tokio::test]
async fn preview_then_place_places_exactly_one_order() {
    let h = start(&["--trading"], &[]).await;
    let preview = h.ok("preview_order", json!({"ticket": market("2")})).await;
    let token = preview["confirmation"]
        .as_str()
        .expect("a confirmation")
        .to_string();
    assert_eq!(preview["expires_in_seconds"], 300);
    assert_eq!(preview["ticket"]["quantity"], "2");
    assert_eq!(h.orders_sent(), 0, "a preview places nothing");

    let placed = h
        .ok(
            "place_order",
            json!({"ticket": market("2"), "confirmation": token}),
        )
        .await;
    assert_eq!(placed["outcome"], "placed");
    let orders = h.sim.inspect().orders();
    assert_eq!(orders.len(), 1, "exactly one order reached IBKR");
    assert_eq!(orders[0].outcome, SimOutcome::Confirmed);
    assert_eq!(
        (orders[0].conid, orders[0].quantity),
        (Some(AAPL as u64), 2.0)
    );
    assert_eq!(placed["order_id"].as_str(), orders[0].order_id.as_deref());
}

#[tokio::test]
async fn a_reused_expired_or_mismatched_confirmation_places_nothing() {
    let h = start(&["--trading"], &[]).await;
    let token = |v: &Value| {
        v["confirmation"]
            .as_str()
            .expect("confirmation")
            .to_string()
    };

    // A different ticket (quantity 3 instead of 2): refused, and the token is spent.
    let t1 = token(&h.ok("preview_order", json!({"ticket": market("2")})).await);
    let e = h
        .err(
            "place_order",
            json!({"ticket": market("3"), "confirmation": t1}),
        )
        .await;
    assert_eq!(e["guard"], "confirmation");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("quantity")),
        "{e}"
    );
    let e = h
        .err(
            "place_order",
            json!({"ticket": market("2"), "confirmation": t1}),
        )
        .await;
    assert_eq!(
        e["guard"], "confirmation",
        "a token is spent by a mismatch: {e}"
    );

    // A made-up token.
    let e = h
        .err(
            "place_order",
            json!({"ticket": market("2"), "confirmation": "cf-0000"}),
        )
        .await;
    assert_eq!(e["guard"], "confirmation");

    // Expired: five minutes after the preview.
    let t2 = token(&h.ok("preview_order", json!({"ticket": market("2")})).await);
    tokio::time::pause();
    tokio::time::advance(super::confirm::CONFIRMATION_TTL).await;
    tokio::time::resume();
    let e = h
        .err(
            "place_order",
            json!({"ticket": market("2"), "confirmation": t2}),
        )
        .await;
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("expired")),
        "{e}"
    );

    assert_eq!(h.orders_sent(), 0, "nothing reached IBKR");
    assert_eq!(
        h.sim
            .inspect()
            .count("POST", "/iserver/account/DU1234567/orders"),
        0
    );

    // Reused after a placement: the second use places nothing more.
    let t3 = token(&h.ok("preview_order", json!({"ticket": market("1")})).await);
    h.ok(
        "place_order",
        json!({"ticket": market("1"), "confirmation": t3}),
    )
    .await;
    let e = h
        .err(
            "place_order",
            json!({"ticket": market("1"), "confirmation": t3}),
        )
        .await;
    assert_eq!(e["guard"], "confirmation");
    assert_eq!(h.orders_sent(), 1);
}

#[tokio::test]
async fn an_ibkr_question_goes_back_unanswered() {
    let h = start(&["--trading"], &[]).await;
    // A limit order on a contract never quoted in this session: IBKR asks o354 ("no market
    // data"), and the server must not confirm it.
    let ticket =
        json!({"conid": AAPL, "side": "BUY", "quantity": "1", "order_type": "LMT", "price": "150"});
    let p = h.ok("preview_order", json!({"ticket": ticket})).await;
    let e = h
        .err(
            "place_order",
            json!({"ticket": ticket, "confirmation": p["confirmation"]}),
        )
        .await;
    assert_eq!(e["error"], "unanswered_question", "{e}");
    assert_eq!(e["placed"], false);
    let q = &e["questions"][0];
    assert!(
        q["message_ids"]
            .as_array()
            .is_some_and(|ids| !ids.is_empty()),
        "{e}"
    );
    assert!(q["text"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(e["next"].as_str().is_some_and(|n| n.contains("--answer")));

    let inspect = h.sim.inspect();
    assert!(
        inspect.replies().iter().all(|r| !r.confirmed),
        "nothing confirmed"
    );
    assert!(inspect.confirmed_orders().is_empty());
    assert!(
        inspect
            .orders()
            .iter()
            .all(|o| o.outcome == SimOutcome::Discarded)
    );
}

#[tokio::test]
async fn the_server_answers_only_the_questions_it_was_told_to() {
    let h = start(
        &["--trading", "--answer", "o354=yes", "--answer", "o163=yes"],
        &[],
    )
    .await;
    let ticket =
        json!({"conid": AAPL, "side": "BUY", "quantity": "1", "order_type": "LMT", "price": "150"});
    let p = h.ok("preview_order", json!({"ticket": ticket})).await;
    let r = h
        .ok(
            "place_order",
            json!({"ticket": ticket, "confirmation": p["confirmation"]}),
        )
        .await;
    assert_eq!(r["outcome"], "placed");
    assert_eq!(h.sim.inspect().confirmed_orders().len(), 1);
}

#[tokio::test]
async fn other_accounts_are_refused_naming_the_allowed_ones() {
    let h = start(&["--trading", "--account", "DU1234567"], &["DU7654321"]).await;
    assert_eq!(
        h.ok("accounts", json!({})).await["accounts"],
        json!(["DU1234567"])
    );
    let e = h.err("positions", json!({"account": "DU7654321"})).await;
    assert_eq!(e["guard"], "account");
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("DU1234567")),
        "{e}"
    );
    let mut ticket = market("1");
    ticket["account"] = json!("DU7654321");
    let e = h.err("preview_order", json!({"ticket": ticket})).await;
    assert_eq!(e["guard"], "account");
    let e = h
        .err(
            "place_order",
            json!({"ticket": ticket, "confirmation": "cf-x"}),
        )
        .await;
    assert_eq!(e["guard"], "account");
    assert_eq!(h.orders_sent(), 0);
}

#[tokio::test]
async fn live_accounts_do_not_trade_without_live() {
    let h = start(&["--trading"], &["U7654321"]).await;
    let mut ticket = market("1");
    ticket["account"] = json!("U7654321");
    let p = h.ok("preview_order", json!({"ticket": ticket})).await;
    assert_eq!(p["confirmation"], Value::Null);
    assert_eq!(p["would_refuse"]["guard"], "live_account");
    let e = h
        .err(
            "place_order",
            json!({"ticket": ticket, "confirmation": "cf-x"}),
        )
        .await;
    assert_eq!(e["guard"], "live_account");
    assert!(e["message"].as_str().is_some_and(|m| m.contains("--live")));
    let e = h
        .err(
            "cancel_order",
            json!({"order_id": "1", "account": "U7654321"}),
        )
        .await;
    assert_eq!(e["guard"], "live_account");
    assert_eq!(h.orders_sent(), 0);
}

#[tokio::test]
async fn the_notional_cap_uses_the_price_or_the_last_price_at_placing() {
    let h = start(&["--trading", "--max-notional", "1000"], &[]).await;
    // A limit order above the cap gets no confirmation.
    let big = json!({"conid": AAPL, "side": "BUY", "quantity": "10", "order_type": "LMT", "price": "101"});
    let p = h.ok("preview_order", json!({"ticket": big})).await;
    assert_eq!(p["would_refuse"]["guard"], "notional");
    assert_eq!(p["notional"], Value::Null);
    assert_eq!(p["confirmation"], Value::Null);

    // A market order under the cap at preview, above it once the last price moves.
    h.sim.control().set_last_price(AAPL as u64, 150.0);
    let p = h.ok("preview_order", json!({"ticket": market("5")})).await;
    let notional: rust_decimal::Decimal =
        p["notional"].as_str().expect("notional").parse().unwrap();
    assert!(notional <= rust_decimal::Decimal::from(1000), "{notional}");
    h.sim.control().set_last_price(AAPL as u64, 250.0);
    let e = h
        .err(
            "place_order",
            json!({"ticket": market("5"), "confirmation": p["confirmation"]}),
        )
        .await;
    assert_eq!(e["guard"], "notional");
    assert_eq!(h.orders_sent(), 0);
}

#[tokio::test]
async fn the_order_budget_is_per_server_run() {
    let h = start(&["--trading", "--max-orders", "1"], &[]).await;
    for expected_ok in [true, false] {
        let p = h.ok("preview_order", json!({"ticket": market("1")})).await;
        let r = h
            .call(
                "place_order",
                json!({"ticket": market("1"), "confirmation": p["confirmation"]}),
            )
            .await;
        assert_eq!(r.is_error != Some(true), expected_ok);
        if !expected_ok {
            assert_eq!(r.structured_content.unwrap()["guard"], "max_orders");
        }
    }
    assert_eq!(h.orders_sent(), 1);
}

#[tokio::test]
async fn malformed_arguments_are_tool_errors_naming_the_field_and_the_server_goes_on() {
    let h = start(&["--trading"], &[]).await;
    let e = h.err("quote", json!({"symbols": "AAPL"})).await;
    assert_eq!(
        (e["error"].clone(), e["field"].clone()),
        (json!("invalid_argument"), json!("symbols"))
    );
    let e = h.err("quote", json!({"symbols": ["ZZZZQX"]})).await;
    assert_eq!(e["field"], "symbols", "an unknown symbol: {e}");
    let e = h.err("trades", json!({"days": "seven"})).await;
    assert_eq!(e["field"], "days");
    let e = h
        .err("preview_order", json!({"ticket": market("-5")}))
        .await;
    assert_eq!(e["field"], "quantity");
    let e = h
        .err(
            "preview_order",
            json!({"ticket": {"conid": AAPL, "side": "HOLD", "quantity": 1, "order_type": "MKT"}}),
        )
        .await;
    assert_eq!(e["field"], "ticket.side");
    let e = h
        .err(
            "place_order",
            json!({"ticket": market("1"), "confirmation": 12}),
        )
        .await;
    assert_eq!(e["field"], "confirmation");
    let e = h
        .err(
            "history",
            json!({"symbols": ["AAPL"], "period": "1y", "bar": "1min"}),
        )
        .await;
    assert_eq!(e["guard"], "history_bars");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains("5000")),
        "{e}"
    );
    // Still answering.
    assert_eq!(h.ok("session_status", json!({})).await["logged_in"], true);
    assert_eq!(h.orders_sent(), 0);
}

#[tokio::test]
async fn the_audit_file_has_one_line_per_trading_call() {
    let h = start(&["--trading", "--allow-cancel-all"], &[]).await;
    // Not a trading call; it also gives the limit price of an order that rests.
    let q = h.ok("quote", json!({"symbols": ["AAPL"]})).await;
    let last: rust_decimal::Decimal = q["quotes"][0]["last"].as_str().unwrap().parse().unwrap();
    let price = (last * rust_decimal::Decimal::new(98, 2))
        .round_dp(2)
        .to_string();
    let resting =
        json!({"conid": AAPL, "side": "BUY", "quantity": "1", "order_type": "LMT", "price": price});
    let p = h.ok("preview_order", json!({"ticket": resting})).await;
    let placed = h
        .ok(
            "place_order",
            json!({"ticket": resting, "confirmation": p["confirmation"]}),
        )
        .await;
    h.err(
        "place_order",
        json!({"ticket": resting, "confirmation": p["confirmation"]}),
    )
    .await;
    h.err("place_order", json!({"ticket": resting, "confirmation": 7}))
        .await;
    h.ok("cancel_order", json!({"order_id": placed["order_id"]}))
        .await;
    h.ok("cancel_all_orders", json!({})).await;

    let lines = h.audit_lines();
    let tools: Vec<&str> = lines
        .iter()
        .map(|l| l["tool"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        tools,
        [
            "preview_order",
            "place_order",
            "place_order",
            "place_order",
            "cancel_order",
            "cancel_all_orders"
        ]
    );
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        outcomes,
        [
            "previewed",
            "placed",
            "refused",
            "refused",
            "cancel_requested",
            "cancel_requested"
        ]
    );
    assert_eq!(lines[1]["order_ids"], json!([placed["order_id"]]));
    assert_eq!(lines[1]["ticket"]["quantity"], "1");
    assert!(
        lines[1]["client_order_ids"][0]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    assert!(lines.iter().all(|l| l["time"].is_string()));
    let text = std::fs::read_to_string(&h.audit).unwrap();
    assert!(
        !text.contains(p["confirmation"].as_str().unwrap()),
        "tokens stay out of the audit file"
    );
}

#[tokio::test]
async fn http_serves_loopback_and_a_public_bind_needs_the_bearer_token() {
    use std::net::SocketAddr;
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let public: SocketAddr = "0.0.0.0:8765".parse().unwrap();
    let token_file = std::path::Path::new("token");
    assert!(super::http::check_bind(loopback, false, None).is_ok());
    assert!(super::http::check_bind(public, false, None).is_err());
    assert!(super::http::check_bind(public, true, None).is_err());
    assert!(super::http::check_bind(public, true, Some(token_file)).is_ok());

    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}});
    ibkr_ext::raw_api::install_crypto_provider();
    let http = reqwest::Client::new();
    let post = |url: String, bearer: Option<&'static str>| {
        let mut r = http
            .post(url)
            .header("Accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(b) = bearer {
            r = r.bearer_auth(b);
        }
        r.send()
    };
    for token in [None, Some("0123456789abcdef-secret")] {
        let (server, _sim, _audit, _dir) = server(&[], &[]).await;
        let app = super::http::app(server, token.map(ibkr_ext::Secret::new));
        let listener = tokio::net::TcpListener::bind(loopback).await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        if token.is_some() {
            let none = post(url.clone(), None).await.unwrap();
            assert_eq!(none.status(), 401);
            let wrong = post(url.clone(), Some("0123456789abcdef-wrong!"))
                .await
                .unwrap();
            assert_eq!(wrong.status(), 401);
        }
        let ok = post(url, token).await.unwrap();
        assert_eq!(ok.status(), 200);
        let body = ok.text().await.unwrap();
        assert!(
            body.contains("\"serverInfo\"") && body.contains("\"ibkr\""),
            "{body}"
        );
    }
}
