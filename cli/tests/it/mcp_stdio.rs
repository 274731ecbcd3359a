//! `ibkr --sim mcp` as an assistant starts it: the built binary over stdio, spoken to by
//! rmcp's client. stdout must carry nothing but the protocol.

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::json;

#[tokio::test]
async fn the_binary_serves_mcp_over_stdio_on_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ibkr"));
    cmd.args([
        "--sim",
        "mcp",
        "--trading",
        "--account",
        "DU1234567",
        "--audit",
    ])
    .arg(&audit)
    .env_remove("IBKR_LOG")
    .env_remove("IBKR_ACCOUNT_ID");
    let transport = TokioChildProcess::new(cmd).expect("spawn ibkr mcp");
    let client = ().serve(transport).await.expect("initialize");

    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("ibkr")
    );

    let tools: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(tools.contains(&"quote".to_string()) && tools.contains(&"place_order".to_string()));

    let quote = client
        .call_tool(
            CallToolRequestParams::new("quote")
                .with_arguments(json!({"symbols": ["AAPL"]}).as_object().unwrap().clone()),
        )
        .await
        .expect("tools/call");
    let v = quote.structured_content.expect("structured content");
    assert_eq!(v["quotes"][0]["conid"], 265598, "{v}");
    assert!(v["quotes"][0]["last"].is_string());

    // --account is the allow-list (and the default account): another one is refused.
    let refused = client
        .call_tool(
            CallToolRequestParams::new("positions")
                .with_arguments(json!({"account": "DU0000001"}).as_object().unwrap().clone()),
        )
        .await
        .expect("tools/call");
    assert_eq!(refused.is_error, Some(true));
    assert_eq!(refused.structured_content.unwrap()["guard"], "account");
    let accounts = client
        .call_tool(CallToolRequestParams::new("accounts"))
        .await
        .expect("tools/call");
    assert_eq!(accounts.structured_content.unwrap()["default"], "DU1234567");

    client.cancel().await.expect("close");
    assert!(audit.exists(), "the audit file is opened at start");
}
