//! The order desk: placing, answering questions, modifying, cancelling and what-if.
//!
//! The flow follows `client-portal-api.md` §3: questions come back as
//! `[{"id","message":[..],"isSuppressed":false,"messageIds":[..]}]`, one at a time; each must be
//! answered through `/iserver/reply/{id}` before any other request; rejects are
//! `{"error":"..."}` with HTTP 200.

use std::collections::VecDeque;

use serde_json::{Value, json};

use crate::clock::now_ms;
use crate::journal::{OrderOutcome, OrderRecord, RecordedReply};
use crate::market::catalog::Contract;
use crate::market::format;
use crate::world::{PendingReply, PendingWork, World};

use super::book::{Order, OrderStatus, OrderType, Side};
use super::fills::{fill_order, match_resting};
use super::questions::{Question, Situation, questions};
use super::ticket::Ticket;

/// A desk answer: HTTP status and JSON body.
pub(crate) type Answer = (u16, Value);

/// A ticket that passed validation.
#[derive(Debug, Clone)]
struct Checked {
    contract: Contract,
    side: Side,
    order_type: OrderType,
    quantity: f64,
    limit: Option<f64>,
    stop: Option<f64>,
    last: f64,
}

/// `{"error": text}` with HTTP 200: the gateway's order reject
/// (POST_iserver_account_{accountId}_orders__reject_200.json).
fn reject(text: &str) -> Answer {
    (200, json!({ "error": text }))
}

/// Validate one ticket. Error texts are the simulator's own wording, except the limit-price
/// reject, which is IBKR's (POST_iserver_account_{accountId}_orders__reject_200.json).
fn check(world: &mut World, ticket: &Ticket) -> Result<Checked, String> {
    let conid = ticket
        .conid
        .ok_or_else(|| "Order is missing a contract id (conid)".to_string())?;
    let contract = world
        .contract(conid)
        .ok_or_else(|| format!("Contract {conid} is not valid"))?;
    let side = ticket
        .side()
        .ok_or_else(|| format!("Invalid side '{}': use BUY or SELL", ticket.side_text))?;
    let order_type = ticket
        .order_type()
        .ok_or_else(|| format!("Order type '{}' is not supported", ticket.order_type_text))?;
    let quantity = ticket.quantity.unwrap_or(0.0);
    if quantity <= 0.0 || !quantity.is_finite() {
        return Err("Order quantity must be greater than zero".to_string());
    }
    let (limit, stop) = match order_type {
        OrderType::Market => (None, None),
        OrderType::Limit => (Some(ticket.price), None),
        OrderType::Stop => (None, Some(ticket.price.or(ticket.aux_price))),
        OrderType::StopLimit => (Some(ticket.price), Some(ticket.aux_price)),
    };
    let limit = match limit {
        Some(None) => return Err("A limit price (price) is required for this order type".into()),
        Some(Some(p)) if p <= 0.0 => return Err("The limit price must be positive".into()),
        Some(Some(p)) => Some(p),
        None => None,
    };
    let stop = match stop {
        Some(None) => return Err("A stop price is required for this order type".into()),
        Some(Some(p)) => Some(p),
        None => None,
    };
    let last = world.last_price(&contract);
    if let Some(l) = limit {
        // Our rule for IBKR's disruptive-price reject: a limit more than 50 % through the market.
        let through = match side {
            Side::Buy => l > last * 1.5,
            Side::Sell => l < last * 0.5,
        };
        if through {
            return Err(format!(
                "We cannot accept an order at the limit price you selected. Please submit your order using a limit price that is closer to the current market price of {last:.2}.  Alternatively, you can convert your order to an Algorithmic Order (IBALGO)."
            ));
        }
    }
    Ok(Checked {
        contract,
        side,
        order_type,
        quantity,
        limit,
        stop,
        last,
    })
}

fn situation(world: &World, c: &Checked, modification: bool) -> Vec<Question> {
    let s = Situation {
        contract: &c.contract,
        side: c.side,
        order_type: c.order_type,
        quantity: c.quantity,
        // The percentage constraint applies to the order's price: the limit, else the stop.
        limit: c.limit.or(c.stop),
        last: c.last,
        has_market_data: world.md.ever_requested.contains(&c.contract.conid),
        modification,
    };
    questions(&s, &world.settings.precautions)
        .into_iter()
        .filter(|q| !world.suppressed.contains(q.message_id))
        .collect()
}

fn question_json(reply_id: &str, q: &Question) -> Value {
    json!([{
        "id": reply_id,
        "message": [q.text],
        "isSuppressed": false,
        "messageIds": [q.message_id],
    }])
}

fn ack(order_id: u64, status: OrderStatus) -> Value {
    json!({
        "order_id": order_id.to_string(),
        "order_status": status.word(),
        "encrypt_message": "1",
    })
}

fn record(world: &mut World, account: &str, t: &Ticket, modification: bool) -> usize {
    world.journal.orders.push(OrderRecord {
        modification,
        account: account.to_string(),
        conid: t.conid,
        side: t.side_text.clone(),
        order_type: t.order_type_text.clone(),
        quantity: t.quantity.unwrap_or(0.0),
        price: t.price,
        questions: Vec::new(),
        order_id: None,
        outcome: OrderOutcome::AwaitingReply,
    });
    world.journal.orders.len() - 1
}

fn account_known(world: &World, account: &str) -> bool {
    world.settings.accounts.iter().any(|a| a == account)
}

/// Ask the first of `qs` (questions remain), or run the work now.
fn ask_or_run(
    world: &mut World,
    work: PendingWork,
    mut qs: VecDeque<Question>,
    records: Vec<usize>,
) -> Answer {
    match qs.pop_front() {
        Some(q) => {
            let reply_id = world.ids.reply_id();
            for &i in &records {
                if let Some(r) = world.journal.orders.get_mut(i) {
                    r.questions.push(q.message_id.to_string());
                }
            }
            let body = question_json(&reply_id, &q);
            world.pending = Some(PendingReply {
                reply_id,
                work,
                remaining: qs,
                records,
            });
            (200, body)
        }
        None => run(world, work, &records),
    }
}

/// Carry out confirmed work and acknowledge it.
fn run(world: &mut World, work: PendingWork, records: &[usize]) -> Answer {
    match work {
        PendingWork::Place { account, tickets } => {
            let mut acks = Vec::new();
            for (n, ticket) in tickets.iter().enumerate() {
                let checked = match check(world, ticket) {
                    Ok(c) => c,
                    Err(e) => return reject(&e),
                };
                let (id, status) = place(world, &account, ticket, &checked);
                if let Some(r) = records
                    .get(n)
                    .and_then(|&i| world.journal.orders.get_mut(i))
                {
                    r.order_id = Some(id.to_string());
                    r.outcome = OrderOutcome::Confirmed;
                }
                acks.push(ack(id, status));
            }
            (200, Value::Array(acks))
        }
        PendingWork::Modify { order_id, ticket } => {
            let Some(index) = world.orders.iter().position(|o| o.id == order_id) else {
                return reject(&format!("OrderID {order_id} doesn't exist"));
            };
            let merged = merge(&world.orders[index], &ticket);
            let checked = match check(world, &merged) {
                Ok(c) => c,
                Err(e) => return reject(&e),
            };
            {
                let o = &mut world.orders[index];
                o.side = checked.side;
                o.order_type = checked.order_type;
                o.quantity = checked.quantity;
                o.limit = checked.limit;
                o.stop = checked.stop;
                o.tif = merged.tif.clone();
                o.last_ms = now_ms();
            }
            match_resting(world, checked.contract.conid);
            for &i in records {
                if let Some(r) = world.journal.orders.get_mut(i) {
                    r.order_id = Some(order_id.to_string());
                    r.outcome = OrderOutcome::Confirmed;
                }
            }
            let status = world.orders[index].status;
            (200, json!([ack(order_id, status)]))
        }
    }
}

/// A new order goes live: market orders fill at the last price, marketable limits fill,
/// the rest rest.
fn place(world: &mut World, account: &str, ticket: &Ticket, c: &Checked) -> (u64, OrderStatus) {
    let id = world.ids.order_id();
    let status = if c.order_type.is_stop() {
        OrderStatus::PreSubmitted
    } else {
        OrderStatus::Submitted
    };
    world.orders.push(Order {
        id,
        account: account.to_string(),
        conid: c.contract.conid,
        side: c.side,
        order_type: c.order_type,
        limit: c.limit,
        stop: c.stop,
        quantity: c.quantity,
        filled: 0.0,
        avg_price: 0.0,
        tif: ticket.tif.clone(),
        status,
        order_ref: ticket.order_ref.clone(),
        outside_rth: ticket.outside_rth,
        last_ms: now_ms(),
        triggered: false,
    });
    let index = world.orders.len() - 1;
    if c.order_type == OrderType::Market {
        fill_order(world, index, c.last);
    } else {
        match_resting(world, c.contract.conid);
    }
    // The acknowledgement reports the order as accepted; the fill shows in orders and trades.
    (id, status)
}

/// A modify body repeats the order; fields it leaves out keep their old values.
fn merge(order: &Order, t: &Ticket) -> Ticket {
    let mut m = t.clone();
    if m.conid.is_none() {
        m.conid = Some(order.conid);
    }
    if m.side_text.is_empty() {
        m.side_text = order.side.word().to_string();
    }
    if m.order_type_text.is_empty() {
        m.order_type_text = order.order_type.code().to_string();
    }
    if m.quantity.is_none() {
        m.quantity = Some(order.quantity);
    }
    if m.price.is_none() {
        m.price = if order.order_type == OrderType::Stop {
            order.stop
        } else {
            order.limit
        };
    }
    if m.aux_price.is_none() && order.order_type == OrderType::StopLimit {
        m.aux_price = order.stop;
    }
    m
}

/// `POST /iserver/account/{accountId}/orders`.
pub(crate) fn submit(world: &mut World, account: &str, body: &Value) -> Answer {
    let Some(list) = body.get("orders").and_then(Value::as_array) else {
        return (
            400,
            json!({"error": "Bad Request: body must be {\"orders\":[...]}", "statusCode": 400}),
        );
    };
    let tickets: Vec<Ticket> = list.iter().map(Ticket::read).collect();
    let records: Vec<usize> = tickets
        .iter()
        .map(|t| record(world, account, t, false))
        .collect();
    let finish_reject = |world: &mut World, text: &str| {
        for &i in &records {
            if let Some(r) = world.journal.orders.get_mut(i) {
                r.outcome = OrderOutcome::Rejected(text.to_string());
            }
        }
        reject(text)
    };
    if !account_known(world, account) {
        return finish_reject(world, &format!("Account {account} is not valid"));
    }
    if tickets.is_empty() {
        return finish_reject(world, "No orders were submitted");
    }
    let mut asked: VecDeque<Question> = VecDeque::new();
    for t in &tickets {
        match check(world, t) {
            Ok(c) => {
                for q in situation(world, &c, false) {
                    if !asked.iter().any(|a| a.message_id == q.message_id) {
                        asked.push_back(q);
                    }
                }
            }
            Err(e) => return finish_reject(world, &e),
        }
    }
    let work = PendingWork::Place {
        account: account.to_string(),
        tickets,
    };
    ask_or_run(world, work, asked, records)
}

/// `POST /iserver/reply/{replyId}`.
pub(crate) fn reply(world: &mut World, reply_id: &str, confirmed: bool) -> Answer {
    let found = world
        .pending
        .as_ref()
        .is_some_and(|p| p.reply_id == reply_id);
    world.journal.replies.push(RecordedReply {
        reply_id: reply_id.to_string(),
        confirmed,
        accepted: found,
    });
    if !found {
        // ibind #103 (ERROR_400_reply_id_not_found__ibind_issue103.json): HTTP 400.
        return (
            400,
            json!({ "error": format!("reply id not found: '{reply_id}'") }),
        );
    }
    let Some(pending) = world.pending.take() else {
        return (
            400,
            json!({ "error": format!("reply id not found: '{reply_id}'") }),
        );
    };
    if !confirmed {
        for &i in &pending.records {
            if let Some(r) = world.journal.orders.get_mut(i) {
                r.outcome = OrderOutcome::Discarded;
            }
        }
        // POST_iserver_reply_{replyId}__spec_error.json.
        return (200, json!({ "error": "Order not confirmed " }));
    }
    ask_or_run(world, pending.work, pending.remaining, pending.records)
}

/// `POST /iserver/account/{accountId}/order/{orderId}`: the body is one order object.
pub(crate) fn modify(world: &mut World, account: &str, order_id: &str, body: &Value) -> Answer {
    let ticket = Ticket::read(body);
    let record_index = record(world, account, &ticket, true);
    let fail = |world: &mut World, text: String| {
        if let Some(r) = world.journal.orders.get_mut(record_index) {
            r.outcome = OrderOutcome::Rejected(text.clone());
        }
        reject(&text)
    };
    if !body.is_object() {
        return fail(
            world,
            "The modify body must be a single order object".into(),
        );
    }
    let existing = order_id.parse::<u64>().ok().and_then(|id| {
        world
            .orders
            .iter()
            .find(|o| o.id == id && o.account == account && o.status.is_live())
            .cloned()
    });
    let Some(order) = existing else {
        // POST_iserver_account_{accountId}_order_{orderId}__spec_error.json.
        return fail(world, format!("OrderID {order_id} doesn't exist"));
    };
    let merged = merge(&order, &ticket);
    let checked = match check(world, &merged) {
        Ok(c) => c,
        Err(e) => return fail(world, e),
    };
    let qs: VecDeque<Question> = situation(world, &checked, true).into();
    let work = PendingWork::Modify {
        order_id: order.id,
        ticket: merged,
    };
    ask_or_run(world, work, qs, vec![record_index])
}

/// `DELETE /iserver/account/{accountId}/order/{orderId}`; `-1` cancels every live order.
pub(crate) fn cancel(world: &mut World, account: &str, order_id: &str) -> Answer {
    let now = now_ms();
    if order_id.trim() == "-1" {
        for o in world
            .orders
            .iter_mut()
            .filter(|o| o.account == account && o.status.is_live())
        {
            o.status = OrderStatus::Cancelled;
            o.last_ms = now;
        }
        return (
            200,
            json!({"msg": "Request was submitted", "order_id": -1, "conid": -1, "account": account}),
        );
    }
    let found = order_id.parse::<u64>().ok().and_then(|id| {
        world
            .orders
            .iter_mut()
            .find(|o| o.id == id && o.account == account && o.status.is_live())
    });
    match found {
        Some(o) => {
            o.status = OrderStatus::Cancelled;
            o.last_ms = now;
            // DELETE_iserver_account_{accountId}_order_{orderId}.json.
            (
                200,
                json!({"msg": "Request was submitted", "order_id": o.id, "conid": o.conid, "account": account}),
            )
        }
        // DELETE_iserver_account_{accountId}_order_{orderId}__error.json.
        None => reject(&format!("OrderID {order_id} doesn't exist")),
    }
}

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

/// `POST /iserver/account/{accountId}/orders/whatif` (POST_iserver_account_{accountId}_orders_whatif.json).
pub(crate) fn whatif(world: &mut World, account: &str, body: &Value) -> Answer {
    let first = body
        .get("orders")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(Value::Null);
    let ticket = Ticket::read(&first);
    let empty = || json!({"current": "0", "change": "0", "after": "0"});
    let checked = if account_known(world, account) {
        check(world, &ticket)
    } else {
        Err(format!("Account {account} is not valid"))
    };
    let c = match checked {
        Ok(c) => c,
        Err(e) => {
            return (
                200,
                json!({
                    "amount": {"amount": "0.00 USD (0 Shares)", "commission": "0 USD", "total": "0.00 USD"},
                    "equity": empty(), "initial": empty(), "maintenance": empty(), "position": empty(),
                    "warn": null, "error": e,
                }),
            );
        }
    };
    let price = c.limit.unwrap_or(c.last);
    let notional = c.quantity * price;
    let fee = super::book::commission(c.quantity);
    let (cash, held) = {
        let book = world.book(account);
        let held = book
            .and_then(|b| b.positions.get(&c.contract.conid))
            .map(|p| p.quantity)
            .unwrap_or(0.0);
        (book.map(|b| b.cash).unwrap_or(0.0), held)
    };
    let holdings_value = stock_value(world, account);
    let equity = cash + holdings_value;
    let signed = c.side.sign() * c.quantity;
    let warn = if world.md.ever_requested.contains(&c.contract.conid) {
        Value::Null
    } else {
        json!(
            "21/You are trying to submit an order without having market data for this instrument. \nIB strongly recommends against this kind of blind trading which may result in \nerroneous or unexpected trades."
        )
    };
    (
        200,
        json!({
            "amount": {
                "amount": format!("{} {} ({} Shares)", format::money(notional), c.contract.currency, format::quantity(c.quantity)),
                "commission": format!("{} {}", format::quantity(fee), c.contract.currency),
                "total": format!("{} {}", format::money(notional + fee), c.contract.currency),
            },
            "equity": triple(equity, -fee),
            "initial": triple(holdings_value.abs() * 0.25, notional * 0.25),
            "maintenance": triple(holdings_value.abs() * 0.22, notional * 0.22),
            "position": {
                "current": format::quantity(held),
                "change": format::quantity(signed),
                "after": format::quantity(held + signed),
            },
            "warn": warn,
            "error": null,
        }),
    )
}

/// Market value of an account's positions at current last prices (no ticking).
pub(crate) fn stock_value(world: &mut World, account: &str) -> f64 {
    let held: Vec<(u64, f64)> = world
        .book(account)
        .map(|b| b.positions.iter().map(|(&c, p)| (c, p.quantity)).collect())
        .unwrap_or_default();
    held.into_iter()
        .filter_map(|(conid, qty)| {
            let contract = world.contract(conid)?;
            let mult: f64 = contract
                .multiplier
                .and_then(|m| m.parse().ok())
                .unwrap_or(1.0);
            Some(qty * world.last_price(&contract) * mult)
        })
        .sum()
}
