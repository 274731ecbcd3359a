//! The simulated WebSocket: the server speaks first, streams from the simulator's state, and
//! every quirk of `websocket.md` can be switched on.

use crate::common;

use std::time::Duration;

use crate::common::{Sim, sim};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{WebSocketStream, client_async};

const AAPL: u64 = 265598;

type Socket = WebSocketStream<TcpStream>;

/// The session id `/tickle` reports.
async fn session(s: &Sim) -> String {
    s.post_empty("/tickle").await.body["session"]
        .as_str()
        .expect("session")
        .to_string()
}

fn ws_url(s: &Sim) -> String {
    format!("{}/ws", s.gw.base_url().replacen("http://", "ws://", 1))
}

/// Open the socket, authenticating with `Cookie: api={"session":..}` when `cookie` is given.
async fn open(s: &Sim, cookie: Option<&str>) -> Result<Socket, tungstenite::Error> {
    let mut request = ws_url(s).into_client_request()?;
    if let Some(id) = cookie {
        let value = format!(r#"api={{"session":"{id}"}}"#);
        request
            .headers_mut()
            .insert("cookie", value.parse().expect("header"));
    }
    let tcp = TcpStream::connect(s.gw.addr()).await.expect("tcp");
    client_async(request, tcp).await.map(|(socket, _)| socket)
}

async fn open_ready(s: &Sim) -> Socket {
    let id = session(s).await;
    let mut socket = open(s, Some(&id)).await.expect("upgrade");
    next_matching(&mut socket, |v| {
        v["topic"] == "system" && v["success"].is_string()
    })
    .await;
    socket
}

async fn send(socket: &mut Socket, text: &str) {
    socket
        .send(Message::Text(text.to_string().into()))
        .await
        .expect("send");
}

/// The next JSON frame, or `None` after `within` without one.
async fn next_frame(socket: &mut Socket, within: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(within, socket.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                return Some(serde_json::from_str(t.as_str()).expect("JSON frame"));
            }
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// The first frame that `pick` accepts (within 5 s).
async fn next_matching(socket: &mut Socket, pick: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = next_frame(socket, left)
            .await
            .expect("a matching frame in time");
        if pick(&frame) {
            return frame;
        }
    }
}

/// Whether a frame matching `pick` arrives within `within`.
async fn arrives(socket: &mut Socket, within: Duration, pick: impl Fn(&Value) -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_frame(socket, left).await {
            Some(f) if pick(&f) => return true,
            Some(_) => continue,
            None => return false,
        }
    }
}

fn is_smd(v: &Value) -> bool {
    v["topic"] == format!("smd+{AAPL}")
}

const SMD: &str = r#"smd+265598+{"fields":["31","84","86","6509"]}"#;

#[tokio::test]
async fn the_server_speaks_first_system_sts_then_act() {
    let s = sim().await;
    let id = session(&s).await;
    let mut socket = open(&s, Some(&id)).await.expect("upgrade");
    let first = next_frame(&mut socket, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(first["topic"], "system");
    assert_eq!(first["success"], "simuser1");
    let sts = next_frame(&mut socket, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(sts["topic"], "sts");
    assert_eq!(sts["args"]["authenticated"], true);
    let act = next_frame(&mut socket, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(act["topic"], "act");
    assert_eq!(act["args"]["accounts"], json!(["DU1234567"]));
}

#[tokio::test]
async fn frames_sent_before_the_system_frame_are_dropped() {
    let s = sim().await;
    s.gw.control()
        .socket()
        .set_system_delay(Duration::from_millis(300));
    let id = session(&s).await;
    let mut socket = open(&s, Some(&id)).await.expect("upgrade");
    send(&mut socket, SMD).await;
    next_matching(&mut socket, |v| v["topic"] == "system").await;
    assert!(
        !arrives(&mut socket, Duration::from_millis(600), is_smd).await,
        "an early subscription is lost"
    );
    send(&mut socket, SMD).await;
    let quote = next_matching(&mut socket, is_smd).await;
    assert!(quote["31"].is_string());
    assert_eq!(quote["6509"], "RpB");
    assert_eq!(s.gw.control().socket().received(), vec![SMD, SMD]);
}

#[tokio::test]
async fn the_stream_agrees_with_the_rest_snapshot() {
    let s = sim().await;
    // One step on subscribing, then no more: only the REST snapshot moves the price.
    s.gw.control().socket().set_tick(Duration::from_secs(3600));
    let mut socket = open_ready(&s).await;
    send(&mut socket, SMD).await;
    next_matching(&mut socket, is_smd).await;
    let rest = s.warm(AAPL).await.body[0]["31"].clone();
    let streamed = next_matching(&mut socket, |v| is_smd(v) && v.get("31").is_some()).await;
    assert_eq!(streamed["31"], rest);
}

#[tokio::test]
async fn only_changed_fields_arrive_after_the_first_frame() {
    let s = sim().await;
    s.gw.control().socket().set_tick(Duration::from_secs(3600));
    let mut socket = open_ready(&s).await;
    send(&mut socket, SMD).await;
    let first = next_matching(&mut socket, is_smd).await;
    assert!(first.get("6509").is_some());
    assert!(s.gw.control().socket().set_last_price(AAPL, 123.45));
    let update = next_matching(&mut socket, is_smd).await;
    assert_eq!(update["31"], "123.45");
    assert!(
        update.get("6509").is_none(),
        "unchanged fields are not resent"
    );
}

#[tokio::test]
async fn an_unknown_conid_answers_invalid_conid() {
    let s = sim().await;
    let mut socket = open_ready(&s).await;
    send(&mut socket, r#"smd+1+{"fields":["31"]}"#).await;
    let error = next_matching(&mut socket, |v| v.get("error").is_some()).await;
    assert_eq!(error["error"], "invalid conid");
    assert_eq!(error["topic"], "smd+1");
}

#[tokio::test]
async fn market_data_expires_unless_renewed() {
    let s = sim().await;
    let control = s.gw.control().socket();
    control.set_tick(Duration::from_millis(50));
    control.set_md_expiry(Duration::from_millis(400));
    let mut socket = open_ready(&s).await;
    send(&mut socket, SMD).await;
    next_matching(&mut socket, is_smd).await;
    tokio::time::sleep(Duration::from_millis(450)).await;
    // Drain what was sent before the expiry.
    while next_frame(&mut socket, Duration::from_millis(100))
        .await
        .is_some()
    {}
    assert!(!arrives(&mut socket, Duration::from_millis(400), is_smd).await);
    send(&mut socket, SMD).await;
    assert!(
        arrives(&mut socket, Duration::from_secs(2), is_smd).await,
        "renewed"
    );
}

#[tokio::test]
async fn sor_is_refused_n_times_then_streams_orders_and_fills() {
    let s = sim().await;
    let control = s.gw.control().socket();
    control.refuse_sor(2);
    let mut socket = open_ready(&s).await;
    for _ in 0..2 {
        send(&mut socket, "sor+{}").await;
        let refused = next_matching(&mut socket, |v| v.get("error").is_some()).await;
        assert_eq!(
            refused,
            json!({"topic": "sor", "error": "unable to subscribe", "code": 500})
        );
    }
    send(&mut socket, "sor+{}").await;
    send(&mut socket, r#"str+{"realtimeUpdatesOnly":true,"days":1}"#).await;
    send(&mut socket, "spl+{}").await;
    send(&mut socket, "ssd+DU1234567+{}").await;
    next_matching(&mut socket, |v| v["topic"] == "ssd+DU1234567").await;
    s.warm(AAPL).await;
    let placed = s
        .place_confirming(json!({"conid": AAPL, "side": "BUY", "orderType": "MKT", "quantity": 3.0, "tif": "DAY"}))
        .await;
    assert_eq!(placed.status, 200, "{}", placed.text);
    // Placement and fill produce sor, str, spl and ssd (in whatever order the poll finds them).
    let mut seen = std::collections::BTreeMap::new();
    while seen.len() < 4 {
        let frame = next_matching(&mut socket, |v| {
            ["sor", "str", "spl", "ssd+DU1234567"].contains(&v["topic"].as_str().unwrap_or(""))
        })
        .await;
        seen.insert(frame["topic"].as_str().unwrap_or("").to_string(), frame);
    }
    assert_eq!(seen["sor"]["args"][0]["conid"], AAPL);
    assert_eq!(seen["str"]["args"][0]["size"], 3.0);
    assert_eq!(seen["str"]["args"][0]["side"], "B");
    assert!(seen["spl"]["args"]["DU1234567.Core"]["nl"].is_number());
    assert!(
        seen["ssd+DU1234567"]["args"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
}

#[tokio::test]
async fn a_rolled_session_keeps_heartbeats_but_kills_data_and_refuses_the_old_id() {
    let s = sim().await;
    let control = s.gw.control().socket();
    control.set_tick(Duration::from_millis(50));
    control.set_heartbeat(Duration::from_millis(100));
    let old = session(&s).await;
    let mut socket = open_ready(&s).await;
    send(&mut socket, SMD).await;
    next_matching(&mut socket, is_smd).await;
    control.roll_session();
    while next_frame(&mut socket, Duration::from_millis(100))
        .await
        .is_some_and(|v| is_smd(&v))
    {}
    assert!(
        arrives(&mut socket, Duration::from_secs(1), |v| v
            .get("hb")
            .is_some())
        .await
    );
    assert!(!arrives(&mut socket, Duration::from_millis(400), is_smd).await);
    let new = session(&s).await;
    assert_ne!(new, old);
    match open(&s, Some(&old)).await {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!(
            "the old session id must be refused, got {:?}",
            other.map(|_| ())
        ),
    }
    let mut fresh = open(&s, Some(&new)).await.expect("new session accepted");
    next_matching(&mut fresh, |v| v["topic"] == "system").await;
}

#[tokio::test]
async fn drop_closes_without_a_close_frame() {
    let s = sim().await;
    let mut socket = open_ready(&s).await;
    assert_eq!(s.gw.control().socket().open_connections(), 1);
    s.gw.control().socket().drop_connections();
    let end = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(_))) => return "close frame",
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return "dropped",
            }
        }
    })
    .await
    .expect("the socket ends");
    assert_eq!(end, "dropped");
}

#[tokio::test]
async fn silence_stops_every_frame_heartbeats_included() {
    let s = sim().await;
    let control = s.gw.control().socket();
    control.set_heartbeat(Duration::from_millis(50));
    let mut socket = open_ready(&s).await;
    assert!(
        arrives(&mut socket, Duration::from_secs(1), |v| v
            .get("hb")
            .is_some())
        .await
    );
    control.silence();
    while next_frame(&mut socket, Duration::from_millis(100))
        .await
        .is_some()
    {}
    send(&mut socket, "tic").await;
    assert!(
        next_frame(&mut socket, Duration::from_millis(500))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn without_a_cookie_the_server_waits_for_the_session() {
    let s = sim().await;
    let mut socket = open(&s, None).await.expect("upgrade");
    let first = next_frame(&mut socket, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(first, json!({"message": "waiting for session"}));
    let id = session(&s).await;
    send(&mut socket, &json!({"session": id}).to_string()).await;
    next_matching(&mut socket, |v| v["topic"] == "system").await;
}

#[tokio::test]
async fn tic_is_answered_and_unknown_topics_get_an_error() {
    let s = sim().await;
    let mut socket = open_ready(&s).await;
    send(&mut socket, "tic").await;
    let tic = next_matching(&mut socket, |v| v["topic"] == "tic").await;
    assert!(tic["lastAccessed"].is_i64());
    send(&mut socket, "zzz+{}").await;
    let error = next_matching(&mut socket, |v| v.get("error").is_some()).await;
    assert_eq!(error["error"], "unknown topic");
}

#[tokio::test]
async fn unsubscribing_stops_data_and_summary_confirms() {
    let s = sim().await;
    s.gw.control().socket().set_tick(Duration::from_millis(50));
    let mut socket = open_ready(&s).await;
    send(&mut socket, SMD).await;
    next_matching(&mut socket, is_smd).await;
    send(&mut socket, "umd+265598+{}").await;
    while next_frame(&mut socket, Duration::from_millis(150))
        .await
        .is_some()
    {}
    assert!(!arrives(&mut socket, Duration::from_millis(300), is_smd).await);
    send(&mut socket, "ssd+DU1234567+{}").await;
    send(&mut socket, "usd+DU1234567").await;
    let done = next_matching(&mut socket, |v| v.get("result").is_some()).await;
    assert_eq!(done["result"], "unsubscribed from summary");
}

#[tokio::test]
async fn history_answers_once_with_a_server_id_and_book_sends_rows() {
    let s = sim().await;
    let mut socket = open_ready(&s).await;
    send(
        &mut socket,
        r#"smh+265598+{"period":"1d","bar":"1h","outsideRth":false}"#,
    )
    .await;
    let bars = next_matching(&mut socket, |v| v["topic"] == "smh+265598").await;
    assert!(bars["serverId"].is_string());
    assert!(bars["data"].as_array().is_some_and(|d| !d.is_empty()));
    send(&mut socket, "sbd+DU1234567+265598").await;
    let book = next_matching(&mut socket, |v| v["topic"] == "sbd+DU1234567+265598").await;
    assert_eq!(book["data"].as_array().map(Vec::len), Some(10));
}

#[tokio::test]
async fn notifications_arrive_with_args_as_an_array() {
    let s = sim().await;
    let mut socket = open_ready(&s).await;
    s.gw.control()
        .socket()
        .notify("n1", "Warning", "CFD quotes reference the underlying");
    let ntf = next_matching(&mut socket, |v| v["topic"] == "ntf").await;
    assert_eq!(ntf["args"][0]["id"], "n1");
    s.gw.control().socket().prompt(42, "p12", "Are you sure?");
    let prompt = next_matching(&mut socket, |v| v["topic"] == "ntf").await;
    assert_eq!(prompt["args"][0]["prompt"], true);
    assert_eq!(prompt["args"][0]["messageId"], "p12");
}

#[tokio::test]
async fn shutting_the_simulator_down_closes_its_sockets() {
    let s = sim().await;
    let mut socket = open_ready(&s).await;
    s.gw.shutdown().await;
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the socket ends with the simulator");
}

#[tokio::test]
async fn sts_follows_the_brokerage_session() {
    let s = sim().await;
    let mut socket = open_ready(&s).await;
    next_matching(&mut socket, |v| v["topic"] == "act").await;
    s.gw.control().set_competing(true);
    let sts = next_matching(&mut socket, |v| v["topic"] == "sts").await;
    assert_eq!(sts["args"]["competing"], true);
    assert_eq!(sts["args"]["authenticated"], false);
}

/// IBKR's own timings on a paused clock: a market data stream ends 10 minutes after its
/// `smd` and a resent `smd` revives it.
#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_market_data_ends_after_ten_minutes() {
    let s = sim().await;
    let mut socket = open_ready(&s).await;
    send(&mut socket, SMD).await;
    next_matching(&mut socket, is_smd).await;
    // Still streaming after nine minutes.
    tokio::time::sleep(Duration::from_secs(9 * 60)).await;
    while next_frame(&mut socket, Duration::from_millis(10))
        .await
        .is_some()
    {}
    assert!(arrives(&mut socket, Duration::from_secs(5), is_smd).await);
    // Ended after ten.
    tokio::time::sleep(Duration::from_secs(60)).await;
    while next_frame(&mut socket, Duration::from_millis(10))
        .await
        .is_some()
    {}
    assert!(!arrives(&mut socket, Duration::from_secs(60), is_smd).await);
    send(&mut socket, SMD).await;
    assert!(
        arrives(&mut socket, Duration::from_secs(5), is_smd).await,
        "renewed"
    );
}

/// On a paused clock: a heartbeat every 10 s, as the gateway sends them.
#[tokio::test(start_paused = true)]
async fn on_a_paused_clock_heartbeats_come_every_ten_seconds() {
    let s = sim().await;
    let mut socket = open_ready(&s).await;
    let mut at = Vec::new();
    while at.len() < 3 {
        if let Some(v) = next_frame(&mut socket, Duration::from_secs(30)).await
            && v.get("hb").is_some()
        {
            at.push(tokio::time::Instant::now());
        }
    }
    for pair in at.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(9_900) && gap <= Duration::from_millis(10_200),
            "{gap:?}"
        );
    }
}

/// One price ladder per account: `ubd+<acct>` ends that account's ladder only, and a new
/// `sbd` on an account replaces its ladder.
#[tokio::test]
async fn books_are_one_per_account_and_ubd_ends_only_that_account() {
    let s = common::sim_with(
        ibkr_sim::Gateway::builder()
            .seed(7)
            .plain_http()
            .account("DU1234567")
            .extra_account("DU7654321")
            .brokerage_session(true)
            .limits(ibkr_sim::Limits::unlimited()),
    )
    .await;
    let socket_control = s.gw.control().socket();
    let mut socket = open_ready(&s).await;
    send(&mut socket, "sbd+DU1234567+265598").await;
    send(&mut socket, "sbd+DU7654321+265598").await;
    next_matching(&mut socket, |v| v["topic"] == "sbd+DU1234567+265598").await;
    next_matching(&mut socket, |v| v["topic"] == "sbd+DU7654321+265598").await;
    send(&mut socket, "ubd+DU1234567").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    while next_frame(&mut socket, Duration::from_millis(50))
        .await
        .is_some()
    {}
    assert!(socket_control.set_last_price(AAPL, 250.0));
    let mut topics = Vec::new();
    while let Some(v) = next_frame(&mut socket, Duration::from_millis(500)).await {
        if let Some(t) = v["topic"].as_str().filter(|t| t.starts_with("sbd")) {
            topics.push(t.to_string());
        }
    }
    assert_eq!(topics, ["sbd+DU7654321+265598"]);
}
