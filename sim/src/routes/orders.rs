//! Order endpoints: accounts, place/reply/modify/cancel/whatif, live orders, order status,
//! question suppression, trades and P&L.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};

use super::params::{self, json_body};
use super::reply;
use crate::clock::{now_ms, utc};
use crate::market::catalog::SecType;
use crate::market::format;
use crate::trading::book::{Order, OrderStatus, OrderType, Side};
use crate::trading::desk::{CancelAnswer, OrderAnswer, ReplyAnswer};
use crate::trading::ticket::Ticket;
use crate::world::World;
use crate::world::WorldHandle;

/// `GET /iserver/accounts` (GET_iserver_accounts.json).
pub(crate) async fn accounts(State(world): State<WorldHandle>) -> Response {
    let world = world.lock();
    let accounts = &world.settings.accounts;
    let props: serde_json::Map<String, Value> = accounts
        .iter()
        .map(|a| {
            (
                a.clone(),
                json!({
                    "hasChildAccounts": false,
                    "supportsCashQty": true,
                    "noFXConv": false,
                    "isProp": false,
                    "supportsFractions": true,
                    "allowCustomerTime": false,
                }),
            )
        })
        .collect();
    let aliases: serde_json::Map<String, Value> =
        accounts.iter().map(|a| (a.clone(), json!(a))).collect();
    let primary = world.primary_account();
    reply::ok(&json!({
        "accounts": accounts,
        "acctProps": props,
        "aliases": aliases,
        "allowFeatures": {
            "showGFIS": true,
            "showEUCostReport": false,
            "allowEventContract": true,
            "allowFXConv": true,
            "allowFinancialLens": false,
            "allowMTA": true,
            "allowTypeAhead": true,
            "allowEventTrading": true,
            "snapshotRefreshTimeout": 30,
            "liteUser": false,
            "showWebNews": true,
            "research": true,
            "debugPnl": true,
            "showTaxOpt": true,
            "showImpactDashboard": true,
            "allowDynAccount": super::accounts::dynamic_accounts_allowed(&world),
            "allowCrypto": false,
            "allowedAssetTypes": "STK,OPT,FUT,CASH",
        },
        "chartPeriods": {"STK": ["*"], "OPT": ["*"], "FUT": ["*"]},
        "groups": [],
        "profiles": [],
        "selectedAccount": world.selected_account,
        "serverInfo": {
            "serverName": "JifN19053",
            "serverVersion": "Build 10.25.0p, Dec 5, 2023 5:48:12 PM",
        },
        "sessionId": format!("{}.{}", &world.session.id[..7], &world.session.id[7..15]),
        "isFT": false,
        "isPaper": primary.starts_with('D'),
    }))
}

/// The gateway's order reject: `{"error": text}` with HTTP 200
/// (POST_iserver_account_{accountId}_orders__reject_200.json).
fn order_reject(text: &str) -> Response {
    reply::json(200, &json!({ "error": text }))
}

/// An order answer in the gateway's shapes (`client-portal-api.md` §3): a question is
/// `[{"id","message":[..],"isSuppressed":false,"messageIds":[..]}]`, acknowledgements are
/// `[{"order_id","order_status","encrypt_message"}]`, a reject is [`order_reject`].
fn order_answer(answer: OrderAnswer) -> Response {
    match answer {
        OrderAnswer::Question { reply_id, question } => reply::ok(&json!([{
            "id": reply_id,
            "message": [question.text],
            "isSuppressed": false,
            "messageIds": [question.message_id],
        }])),
        OrderAnswer::Accepted(acks) => {
            let acks: Vec<Value> = acks
                .iter()
                .map(|a| {
                    json!({
                        "order_id": a.order_id.to_string(),
                        "order_status": a.status.word(),
                        "encrypt_message": "1",
                    })
                })
                .collect();
            reply::ok(&Value::Array(acks))
        }
        OrderAnswer::Rejected(text) => order_reject(&text),
    }
}

/// `POST /iserver/account/{accountId}/orders` `{"orders":[..]}`.
pub(crate) async fn place(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    let v = json_body(&body);
    let Some(list) = v.get("orders").and_then(Value::as_array) else {
        return reply::json(
            400,
            &json!({"error": "Bad Request: body must be {\"orders\":[...]}", "statusCode": 400}),
        );
    };
    let tickets = list.iter().map(Ticket::read).collect();
    let mut world = world.lock();
    let (desk, mut env) = world.trade();
    order_answer(desk.submit(&mut env, &account, tickets))
}

/// `{"current","change","after"}` of a what-if, in whole units with thousands separators.
fn triple(current: f64, change: f64) -> Value {
    let fmt = |v: f64| {
        let s = format::thousands(v.abs().round() as u64);
        if v < 0.0 { format!("-{s}") } else { s }
    };
    json!({
        "current": fmt(current),
        "change": fmt(change),
        "after": fmt(current + change),
    })
}

/// `POST /iserver/account/{accountId}/orders/whatif` (POST_iserver_account_{accountId}_orders_whatif.json):
/// the first order of `{"orders":[..]}`.
pub(crate) async fn whatif(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    let v = json_body(&body);
    let first = v
        .get("orders")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(Value::Null);
    let ticket = Ticket::read(&first);
    let result = {
        let mut world = world.lock();
        let (desk, mut env) = world.trade();
        desk.whatif(&mut env, &account, &ticket)
    };
    let w = match result {
        Ok(w) => w,
        Err(e) => {
            let empty = || json!({"current": "0", "change": "0", "after": "0"});
            return reply::ok(&json!({
                "amount": {"amount": "0.00 USD (0 Shares)", "commission": "0 USD", "total": "0.00 USD"},
                "equity": empty(), "initial": empty(), "maintenance": empty(), "position": empty(),
                "warn": null, "error": e,
            }));
        }
    };
    let currency = w.contract.currency;
    let warn = if w.has_market_data {
        Value::Null
    } else {
        json!(
            "21/You are trying to submit an order without having market data for this instrument. \nIB strongly recommends against this kind of blind trading which may result in \nerroneous or unexpected trades."
        )
    };
    reply::ok(&json!({
        "amount": {
            "amount": format!("{} {currency} ({} Shares)", format::money(w.notional), format::quantity(w.quantity)),
            "commission": format!("{} {currency}", format::quantity(w.commission)),
            "total": format!("{} {currency}", format::money(w.notional + w.commission)),
        },
        "equity": triple(w.equity, -w.commission),
        "initial": triple(w.holdings_value.abs() * 0.25, w.notional * 0.25),
        "maintenance": triple(w.holdings_value.abs() * 0.22, w.notional * 0.22),
        "position": {
            "current": format::quantity(w.held),
            "change": format::quantity(w.change),
            "after": format::quantity(w.held + w.change),
        },
        "warn": warn,
        "error": null,
    }))
}

/// `POST /iserver/reply/{replyId}` `{"confirmed":bool}`.
pub(crate) async fn reply_to_question(
    State(world): State<WorldHandle>,
    Path(reply_id): Path<String>,
    body: Bytes,
) -> Response {
    let confirmed = json_body(&body)
        .get("confirmed")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let answer = {
        let mut world = world.lock();
        let (desk, mut env) = world.trade();
        desk.reply(&mut env, &reply_id, confirmed)
    };
    match answer {
        // ibind #103 (ERROR_400_reply_id_not_found__ibind_issue103.json): HTTP 400.
        ReplyAnswer::UnknownReplyId => reply::json(
            400,
            &json!({ "error": format!("reply id not found: '{reply_id}'") }),
        ),
        // POST_iserver_reply_{replyId}__spec_error.json.
        ReplyAnswer::Declined => order_reject("Order not confirmed "),
        ReplyAnswer::Order(answer) => order_answer(answer),
    }
}

/// `POST /iserver/account/{accountId}/order/{orderId}` (body: one order object).
pub(crate) async fn modify(
    State(world): State<WorldHandle>,
    Path((account, order_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let v = json_body(&body);
    let ticket = Ticket::read(&v);
    let mut world = world.lock();
    let (desk, mut env) = world.trade();
    order_answer(desk.modify(&mut env, &account, &order_id, &ticket, v.is_object()))
}

/// `DELETE /iserver/account/{accountId}/order/{orderId}`.
pub(crate) async fn cancel(
    State(world): State<WorldHandle>,
    Path((account, order_id)): Path<(String, String)>,
) -> Response {
    match world.lock().trading.cancel(&account, &order_id) {
        CancelAnswer::All => reply::ok(
            &json!({"msg": "Request was submitted", "order_id": -1, "conid": -1, "account": account}),
        ),
        // DELETE_iserver_account_{accountId}_order_{orderId}.json.
        CancelAnswer::One { order_id, conid } => reply::ok(
            &json!({"msg": "Request was submitted", "order_id": order_id, "conid": conid, "account": account}),
        ),
        // DELETE_iserver_account_{accountId}_order_{orderId}__error.json.
        CancelAnswer::Rejected(text) => order_reject(&text),
    }
}

/// `POST /iserver/notification`: answers a server prompt with the plain text `Success`
/// (POST_iserver_notification__doc_plaintext.txt).
/// The body must carry `orderId`, `reqId` and `text` (`client-portal-api.md` §3), else 400.
pub(crate) async fn notification(body: Bytes) -> Response {
    let v = match params::object_body(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    for field in ["orderId", "reqId", "text"] {
        if params::text_field(&v, field).is_none() {
            return reply::missing(field);
        }
    }
    let mut resp = axum::response::Response::new(axum::body::Body::from("Success"));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain;charset=utf-8"),
    );
    resp
}

/// `POST /iserver/questions/suppress {"messageIds":[..]}` → `{"status":"submitted"}`.
pub(crate) async fn suppress(State(world): State<WorldHandle>, body: Bytes) -> Response {
    let v = json_body(&body);
    let Some(ids) = v.get("messageIds").and_then(Value::as_array) else {
        return reply::bad_request(400, "Bad Request: messageIds is required");
    };
    let mut world = world.lock();
    for id in ids.iter().filter_map(Value::as_str) {
        world.trading.suppressed.insert(id.to_string());
    }
    reply::ok(&json!({"status": "submitted"}))
}

/// `POST /iserver/questions/suppress/reset` → `{"status":"submitted"}`.
pub(crate) async fn suppress_reset(State(world): State<WorldHandle>) -> Response {
    world.lock().trading.suppressed.clear();
    reply::ok(&json!({"status": "submitted"}))
}

/// `231211180049` style (yyMMddHHmmss, UTC).
fn compact_time(ms: i64) -> String {
    utc(ms).format("%y%m%d%H%M%S").to_string()
}

fn size_and_fills(o: &Order) -> String {
    let q = crate::market::format::quantity(o.quantity);
    if o.status == OrderStatus::Filled {
        q
    } else {
        format!("{}/{q}", crate::market::format::quantity(o.filled))
    }
}

fn listing_exchange(exchange: &str) -> String {
    if exchange == "NASDAQ" {
        "NASDAQ.NMS".to_string()
    } else {
        exchange.to_string()
    }
}

/// One live-orders row (GET_iserver_account_orders.json, price/outsideRTH from the ibind fixture).
fn live_order_json(world: &World, o: &Order) -> Value {
    let contract = world.catalog.get(o.conid);
    let symbol = contract.map(|c| c.symbol.clone()).unwrap_or_default();
    let mut row = json!({
        "acct": o.account,
        "conidex": o.conid.to_string(),
        "conid": o.conid,
        "account": o.account,
        "orderId": o.id,
        "cashCcy": contract.map(|c| c.currency).unwrap_or("USD"),
        "sizeAndFills": size_and_fills(o),
        "orderDesc": o.description(),
        "description1": symbol,
        "ticker": symbol,
        "secType": contract.map(|c| c.sec_type.code()).unwrap_or("STK"),
        "listingExchange": contract.map(|c| listing_exchange(&c.exchange)).unwrap_or_default(),
        "remainingQuantity": o.remaining(),
        "filledQuantity": o.filled,
        "totalSize": o.quantity,
        "companyName": contract.map(|c| c.company_name.clone()).unwrap_or_default(),
        "status": o.status.word(),
        "order_ccp_status": o.status.word(),
        "origOrderType": o.order_type.upper(),
        "supportsTaxOpt": "1",
        "lastExecutionTime": compact_time(o.last_ms),
        "orderType": o.order_type.title(),
        "bgColor": "#FFFFFF",
        "fgColor": "#000000",
        "timeInForce": o.tif,
        "lastExecutionTime_r": o.last_ms,
        "side": o.side.word(),
        "outsideRTH": o.outside_rth,
    });
    if let Some(map) = row.as_object_mut() {
        if o.filled > 0.0 {
            map.insert("avgPrice".into(), json!(format!("{:.2}", o.avg_price)));
        }
        if let Some(p) = o.limit.or(o.stop) {
            map.insert("price".into(), json!(format!("{p:.2}")));
        }
        if let Some(r) = &o.order_ref {
            map.insert("order_ref".into(), json!(r));
        }
    }
    row
}

/// `GET /iserver/account/orders?filters=&force=` → `{"orders":[..],"snapshot":true}`.
pub(crate) async fn live_orders(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let filters: Vec<String> = params::list(&q, "filters")
        .into_iter()
        .map(|f| f.to_ascii_lowercase())
        .collect();
    let world = world.lock();
    // The selected account's orders unless `accountId` names another (ibind-anchor §1 #6, #44).
    let wanted_account = q
        .get("accountId")
        .cloned()
        .unwrap_or_else(|| world.selected_account.clone());
    let orders: Vec<Value> = world
        .trading
        .orders
        .iter()
        .filter(|o| o.account == wanted_account)
        .filter(|o| filters.is_empty() || filters.contains(&o.status.word().to_ascii_lowercase()))
        .map(|o| live_order_json(&world, o))
        .collect();
    reply::ok(&json!({"orders": orders, "snapshot": true}))
}

/// `GET /iserver/account/order/status/{orderId}` (GET_iserver_account_order_status_{orderId}.json).
/// Unknown ids answer 503, as for orders the gateway has nothing cached for, and so does every
/// id for a multi-account user who has not switched account in this brokerage session
/// (`client-portal-api.md` §2, "Order status").
pub(crate) async fn order_status(
    State(world): State<WorldHandle>,
    Path(order_id): Path<String>,
) -> Response {
    let world = world.lock();
    if world.settings.accounts.len() > 1 && !world.account_chosen {
        return reply::empty(503);
    }
    let Some(o) = order_id
        .parse::<u64>()
        .ok()
        .and_then(|id| world.trading.orders.iter().find(|o| o.id == id))
    else {
        return reply::empty(503);
    };
    let contract = world.catalog.get(o.conid);
    let symbol = contract.map(|c| c.symbol.clone()).unwrap_or_default();
    let (ccp, description) = match o.status {
        OrderStatus::Filled => ("2", "Order Filled"),
        OrderStatus::Cancelled => ("4", "Order Cancelled"),
        OrderStatus::PreSubmitted | OrderStatus::Submitted => ("0", "Order Submitted"),
    };
    let mut body = json!({
        "sub_type": null,
        "request_id": "209",
        "server_id": "0",
        "order_id": o.id,
        "conidex": o.conid.to_string(),
        "conid": o.conid,
        "symbol": symbol,
        "side": o.side.letter(),
        "contract_description_1": symbol,
        "listing_exchange": contract.map(|c| listing_exchange(&c.exchange)).unwrap_or_default(),
        "option_acct": "c",
        "company_name": contract.map(|c| c.company_name.clone()).unwrap_or_default(),
        "size": format!("{:.1}", o.remaining()),
        "total_size": format!("{:.1}", o.quantity),
        "currency": contract.map(|c| c.currency).unwrap_or("USD"),
        "account": o.account,
        "order_type": o.order_type.upper(),
        "cum_fill": format!("{:.1}", o.filled),
        "order_status": o.status.word(),
        "order_ccp_status": ccp,
        "order_status_description": description,
        "tif": o.tif,
        "fg_color": "#FFFFFF",
        "bg_color": "#000000",
        "order_not_editable": !o.status.is_live(),
        "editable_fields": "",
        "cannot_cancel_order": !o.status.is_live(),
        "deactivate_order": false,
        "sec_type": contract.map(|c| c.sec_type.code()).unwrap_or("STK"),
        "available_chart_periods": "#R|1",
        "order_description": o.description(),
        "order_description_with_contract": o.description_with(Some(&symbol)),
        "alert_active": 1,
        "child_order_type": "0",
        "order_clearing_account": o.account,
        "size_and_fills": size_and_fills(o),
        "exit_strategy_display_price": format!("{:.2}", o.limit.or(o.stop).unwrap_or(o.avg_price)),
        "exit_strategy_chart_description": o.description(),
        "exit_strategy_tool_availability": "1",
        "allowed_duplicate_opposite": true,
        "order_time": compact_time(o.last_ms),
        "outside_rth": o.outside_rth,
    });
    if let Some(map) = body.as_object_mut() {
        if o.filled > 0.0 {
            map.insert("average_price".into(), json!(format!("{:.2}", o.avg_price)));
        }
        if (o.order_type == OrderType::Limit || o.order_type == OrderType::StopLimit)
            && let Some(p) = o.limit
        {
            map.insert("limit_price".into(), json!(format!("{p:.2}")));
        }
        if let Some(s) = o.stop {
            map.insert("stop_price".into(), json!(format!("{s:.2}")));
        }
    }
    reply::ok(&body)
}

/// `GET /iserver/account/trades?days=&accountId=` (GET_iserver_account_trades.json): the
/// selected account's executions (seeded and new) within the last `days` days (default 1,
/// at most 7: cpapi-v1 "Trades").
pub(crate) async fn trades(
    State(world): State<WorldHandle>,
    Query(q): Query<params::Query>,
) -> Response {
    let days: i64 = q
        .get("days")
        .and_then(|d| d.trim().parse().ok())
        .unwrap_or(1)
        .clamp(1, 7);
    let since = now_ms() - days * 86_400_000;
    let world = world.lock();
    let account = q
        .get("accountId")
        .cloned()
        .unwrap_or_else(|| world.selected_account.clone());
    let rows: Vec<Value> = world
        .trading.executions
        .iter()
        .filter(|e| e.time_ms >= since)
        .filter(|e| e.account == account)
        .map(|e| {
            let c = world.catalog.get(e.conid);
            let symbol = c.map(|c| c.symbol.clone()).unwrap_or_default();
            let verb = if e.side == Side::Buy { "Bot" } else { "Sold" };
            let gross = e.size * e.price;
            let net = if e.side == Side::Buy { gross + e.commission } else { gross - e.commission };
            json!({
                "execution_id": e.id,
                "symbol": symbol,
                "supports_tax_opt": "1",
                "side": e.side.letter(),
                "order_description": format!("{verb} {} @ {:.2} on {}", crate::market::format::quantity(e.size), e.price, e.venue),
                "trade_time": utc(e.time_ms).format("%Y%m%d-%H:%M:%S").to_string(),
                "trade_time_r": e.time_ms,
                "size": e.size,
                "price": format!("{:.2}", e.price),
                "order_ref": e.order_ref.clone().unwrap_or_default(),
                "submitter": "simuser1",
                "exchange": e.venue,
                "commission": format!("{:.2}", e.commission),
                "net_amount": (net * 100.0).round() / 100.0,
                "account": e.account,
                "accountCode": e.account,
                "account_allocation_name": e.account,
                "company_name": c.map(|c| c.company_name.clone()).unwrap_or_default(),
                "contract_description_1": symbol,
                "sec_type": c.map(|c| c.sec_type.code()).unwrap_or("STK"),
                "listing_exchange": c.map(|c| listing_exchange(&c.exchange)).unwrap_or_default(),
                "conid": e.conid,
                "conidEx": e.conid.to_string(),
                "clearing_id": "IB",
                "clearing_name": "IB",
                "liquidation_trade": "0",
                "is_event_trading": "0",
                "order_id": e.order_id,
            })
        })
        .collect();
    reply::ok(&Value::Array(rows))
}

/// `GET /iserver/account/pnl/partitioned` (GET_iserver_account_pnl_partitioned.json); the
/// first call of a brokerage session answers `{"upnl":{}}`
/// (GET_iserver_account_pnl_partitioned__spec_initial_empty.json).
pub(crate) async fn pnl(State(world): State<WorldHandle>) -> Response {
    let mut world = world.lock();
    if !world.md.pnl_warm {
        world.md.pnl_warm = true;
        return reply::ok(&json!({"upnl": {}}));
    }
    // The selected account's P&L (cpapi-v1: partitioned by account and model).
    let accounts = vec![world.selected_account.clone()];
    let mut upnl = serde_json::Map::new();
    for a in accounts {
        let v = world.valuation(&a);
        upnl.insert(
            format!("{a}.Core"),
            json!({
                "rowType": 1,
                "dpl": round2(v.daily_pnl),
                "nl": round2(v.net_liquidation),
                "upl": round2(v.unrealized),
                "el": round2(v.net_liquidation - v.market_value.abs() * 0.25),
                "mv": round2(v.market_value),
            }),
        );
    }
    reply::ok(&json!({"upnl": upnl}))
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `GET /iserver/account/{accountId}/summary` (the spec's `accountSummaryResponse` example).
pub(crate) async fn iserver_summary(
    State(world): State<WorldHandle>,
    Path(account): Path<String>,
) -> Response {
    let mut world = world.lock();
    if world.trading.book(&account).is_none() {
        return reply::bad_request(400, &format!("Bad Request: unknown account {account}"));
    }
    let v = world.valuation(&account);
    let init = v.market_value.abs() * 0.25;
    let maint = v.market_value.abs() * 0.22;
    let futures_value: f64 = v
        .holdings
        .iter()
        .filter(|h| h.contract.sec_type == SecType::Future)
        .map(|h| h.market_value)
        .sum();
    reply::ok(&json!({
        "SMA": round2(v.net_liquidation - init),
        // Non-empty, as for a real account (the spec example's `""` is an advisor's
        // aggregate): the type `/portfolio/{acct}/summary` reports as `accounttype`.
        "accountType": "INDIVIDUAL",
        "accruedInterest": 0.0,
        "availableFunds": round2(v.net_liquidation - init),
        "balance": round2(v.cash),
        "buyingPower": round2((v.net_liquidation - init) * 4.0),
        "cashBalances": [
            {"balance": round2(v.cash), "currency": "USD", "settledCash": round2(v.cash)},
            {"balance": round2(v.cash), "currency": "Total (in USD)", "settledCash": round2(v.cash)},
        ],
        "equityWithLoanValue": round2(v.net_liquidation),
        "excessLiquidity": round2(v.net_liquidation - maint),
        "initialMargin": round2(init),
        "maintenanceMargin": round2(maint),
        "netLiquidationValue": round2(v.net_liquidation),
        "regTLoan": 0.0,
        "regTMargin": round2(init * 2.0),
        "securitiesGVP": round2(v.market_value.abs() - futures_value.abs()),
        // The clearing status `/portfolio/accounts` reports (`O` = open).
        "status": "O",
        "totalCashValue": round2(v.cash),
    }))
}
