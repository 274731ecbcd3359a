//! The frames the server sends, built from the world (shapes: fixtures `WS_*`, `websocket.md`).

use serde_json::{Map, Value, json};

use crate::clock::now_ms;
use crate::market::format;
use crate::trading::book::{Execution, Order, Side};
use crate::world::World;

/// The user name `system` greets with (the REST routes' simulated user).
const USER_NAME: &str = "simuser1";

/// `{"topic":"system","success":"<user>",..}`: the server is ready (WS_unsolicited).
pub(crate) fn system_ready() -> String {
    json!({"topic": "system", "success": USER_NAME, "isFT": false, "isPaper": true}).to_string()
}

/// `{"topic":"system","hb":<ms>}`.
pub(crate) fn heartbeat() -> String {
    json!({"topic": "system", "hb": now_ms()}).to_string()
}

/// `sts` with the authentication state (WS_sts.txt, with `websocket.md`'s fields).
pub(crate) fn status(world: &World) -> String {
    let authenticated = world.session.brokerage && !world.session.competing;
    json!({"topic": "sts", "args": {
        "authenticated": authenticated,
        "competing": world.session.competing,
        "message": "",
        "fail": "",
        "serverName": "JifN19053",
        "serverVersion": "Build 10.25.0p, Dec 5, 2023 5:48:12 PM",
        "username": USER_NAME,
    }})
    .to_string()
}

/// `act`: accounts and server information.
pub(crate) fn accounts(world: &World) -> String {
    json!({"topic": "act", "args": {
        "accounts": world.settings.accounts,
        "acctProps": {},
        "aliases": {},
        "allowFeatures": {"showGFIS": true, "allowCrypto": false},
        "selectedAccount": world.primary_account(),
        "serverInfo": {"serverName": "JifN19053", "serverVersion": "Build 10.25.0p"},
        "isPaper": true,
        "isFT": false,
    }})
    .to_string()
}

/// `{"topic":"tic","alive":true,"lastAccessed":<ms>}`.
pub(crate) fn tic_answer() -> String {
    json!({"topic": "tic", "alive": true, "lastAccessed": now_ms()}).to_string()
}

/// `{"message":"waiting for session"}` (WS_session_handshake).
pub(crate) fn waiting_for_session() -> String {
    json!({"message": "waiting for session"}).to_string()
}

/// An error frame naming its topic: `{"topic":..,"error":..,"code":..}`.
pub(crate) fn error(topic: &str, text: &str, code: u16) -> String {
    json!({"topic": topic, "error": text, "code": code}).to_string()
}

/// `{"result":"unsubscribed from <what>"}` (ibind `ibkr_ws_client.py`).
pub(crate) fn unsubscribed(what: &str) -> String {
    json!({"result": format!("unsubscribed from {what}")}).to_string()
}

/// `ntf` with `args` as an array, as live sends it (`websocket.md`, message shapes).
pub(crate) fn notification(id: &str, title: &str, text: &str) -> String {
    json!({"topic": "ntf", "args": [{"id": id, "title": title, "text": text, "url": ""}]})
        .to_string()
}

/// An order prompt in `ntf`.
pub(crate) fn prompt(order_id: u64, message_id: &str, text: &str) -> String {
    json!({"topic": "ntf", "args": [{
        "id": message_id, "messageId": message_id, "orderId": order_id, "prompt": true,
        "title": "Order prompt", "text": text, "options": ["Yes", "No"],
    }]})
    .to_string()
}

/// `blt`.
pub(crate) fn bulletin(id: &str, message: &str) -> String {
    json!({"topic": "blt", "args": [{"id": id, "message": message}]}).to_string()
}

/// One order as `sor` carries it (WS_sor_messages__gateway_doc.txt).
pub(crate) fn order(world: &World, o: &Order) -> Map<String, Value> {
    let contract = world.catalog.get(o.conid);
    let symbol = contract.map(|c| c.symbol.clone()).unwrap_or_default();
    let filled = format::quantity(o.filled);
    let size_and_fills = if o.remaining() > 0.0 {
        format!("{filled}/{}", format::quantity(o.remaining()))
    } else {
        filled
    };
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("acct", json!(o.account));
    put("conid", json!(o.conid));
    put("orderId", json!(o.id));
    put(
        "cashCcy",
        json!(contract.map(|c| c.currency).unwrap_or("USD")),
    );
    put("sizeAndFills", json!(size_and_fills));
    put("orderDesc", json!(o.description()));
    put("description1", json!(symbol));
    put("ticker", json!(symbol));
    put(
        "secType",
        json!(contract.map(|c| c.sec_type.code()).unwrap_or("STK")),
    );
    put("remainingQuantity", json!(o.remaining()));
    put("filledQuantity", json!(o.filled));
    put("totalSize", json!(o.quantity));
    put(
        "companyName",
        json!(contract.map(|c| c.company_name.clone()).unwrap_or_default()),
    );
    put("status", json!(o.status.word()));
    put("order_ccp_status", json!(o.status.word()));
    put("origOrderType", json!(o.order_type.upper()));
    put("orderType", json!(o.order_type.title()));
    put("side", json!(o.side.word()));
    put("timeInForce", json!(o.tif));
    put("lastExecutionTime_r", json!(o.last_ms));
    put(
        "price",
        match o.limit.or(o.stop) {
            Some(p) => json!(format!("{p:.2}")),
            None => json!(""),
        },
    );
    if o.filled > 0.0 {
        put("avgPrice", json!(format!("{:.2}", o.avg_price)));
    }
    if let Some(r) = &o.order_ref {
        put("order_ref", json!(r));
    }
    m
}

/// One execution as `str` carries it (the REST trades row's keys).
pub(crate) fn execution(world: &World, e: &Execution) -> Value {
    let c = world.catalog.get(e.conid);
    let symbol = c.map(|c| c.symbol.clone()).unwrap_or_default();
    let gross = e.size * e.price;
    let net = if e.side == Side::Buy {
        gross + e.commission
    } else {
        gross - e.commission
    };
    json!({
        "execution_id": e.id,
        "symbol": symbol,
        "side": e.side.letter(),
        "size": e.size,
        "price": format!("{:.2}", e.price),
        "trade_time_r": e.time_ms,
        "commission": format!("{:.2}", e.commission),
        "net_amount": (net * 100.0).round() / 100.0,
        "account": e.account,
        "conid": e.conid,
        "order_id": e.order_id,
        "order_ref": e.order_ref.clone().unwrap_or_default(),
        "exchange": e.venue,
        "sec_type": c.map(|c| c.sec_type.code()).unwrap_or("STK"),
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The `spl` row of an account (WS_spl_message: rowType, dpl, nl, upl, uel, mv).
pub(crate) fn pnl_row(world: &mut World, account: &str) -> Value {
    let v = world.valuation(account);
    json!({
        "rowType": 1,
        "dpl": round2(v.daily_pnl),
        "nl": round2(v.net_liquidation),
        "upl": round2(v.unrealized),
        "uel": round2(v.net_liquidation - v.market_value.abs() * 0.25),
        "mv": round2(v.market_value),
    })
}

/// Account summary values by key (the REST summary's keys, lower case).
pub(crate) fn summary_values(world: &mut World, account: &str) -> Vec<(String, f64)> {
    let v = world.valuation(account);
    let init = v.market_value.abs() * 0.25;
    let maint = v.market_value.abs() * 0.22;
    vec![
        ("netliquidation".into(), round2(v.net_liquidation)),
        ("totalcashvalue".into(), round2(v.cash)),
        ("grosspositionvalue".into(), round2(v.market_value.abs())),
        ("availablefunds".into(), round2(v.net_liquidation - init)),
        ("excessliquidity".into(), round2(v.net_liquidation - maint)),
        (
            "buyingpower".into(),
            round2((v.net_liquidation - init) * 4.0),
        ),
        ("initmarginreq".into(), round2(init)),
        ("maintmarginreq".into(), round2(maint)),
        ("unrealizedpnl".into(), round2(v.unrealized)),
        ("realizedpnl".into(), round2(v.realized_today)),
    ]
}

/// `ssd` rows for the changed keys.
pub(crate) fn summary(account: &str, rows: &[(String, f64)]) -> String {
    let now = now_ms();
    let args: Vec<Value> = rows
        .iter()
        .map(|(k, v)| {
            json!({"key": k, "currency": "USD", "monetaryValue": v, "value": null,
                   "severity": 0, "timestamp": now})
        })
        .collect();
    json!({"topic": format!("ssd+{account}"), "args": args}).to_string()
}

/// `sld` with one `LedgerListBASE` and one `LedgerListUSD` row.
pub(crate) fn ledger(account: &str, rows: &[(String, f64)]) -> String {
    let get = |k: &str| rows.iter().find(|(n, _)| n == k).map_or(0.0, |(_, v)| *v);
    let row = |key: &str, ccy: &str| {
        json!({
            "key": key, "acctCode": account, "currency": ccy, "secondKey": ccy,
            "cashbalance": get("totalcashvalue"),
            "netliquidationvalue": get("netliquidation"),
            "stockmarketvalue": get("grosspositionvalue"),
            "unrealizedpnl": get("unrealizedpnl"),
            "realizedpnl": get("realizedpnl"),
            "exchangerate": 1, "timestamp": now_ms() / 1000,
        })
    };
    json!({"topic": format!("sld+{account}"), "args": [row("LedgerListBASE", "BASE"), row("LedgerListUSD", "USD")]})
        .to_string()
}

/// `sbd` price ladder around bid and ask: five asks above, five bids below.
pub(crate) fn book(account: &str, conid: u64, bid: f64, ask: f64, step: f64) -> String {
    let mut data = Vec::new();
    let mut row = 0;
    for i in (0..5).rev() {
        data.push(json!({"row": row, "focus": 0,
            "price": format::price(ask + step * i as f64), "ask": format!("{}", 100 * (i + 1))}));
        row += 1;
    }
    for i in 0..5 {
        data.push(json!({"row": row, "focus": if i == 0 { 1 } else { 0 },
            "price": format::price(bid - step * i as f64), "bid": format!("{}", 100 * (i + 1))}));
        row += 1;
    }
    json!({"topic": format!("sbd+{account}+{conid}"), "data": data}).to_string()
}
