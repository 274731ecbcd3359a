//! The order desk: placing, answering questions, modifying, cancelling and what-if.
//!
//! The flow follows `client-portal-api.md` §3: questions come one at a time, each must be
//! answered (`/iserver/reply/{id}`) before the order goes on, and a reply id is good once.
//! Answers are domain values; `routes::orders` renders them in the gateway's shapes.

use std::collections::VecDeque;

use crate::clock::now_ms;
use crate::journal::{OrderOutcome, OrderRecord, RecordedReply};
use crate::market::catalog::Contract;

use super::book::{Order, OrderStatus, OrderType, Side, commission};
use super::questions::{Question, Situation, questions};
use super::ticket::Ticket;
use super::{Desk, Env, PendingReply, PendingWork};

/// One order the desk accepted, with its status at that moment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ack {
    pub order_id: u64,
    pub status: OrderStatus,
}

/// The desk's answer to a submission, a modification or a confirmed reply.
#[derive(Debug, Clone)]
pub(crate) enum OrderAnswer {
    /// The client must answer `question` through `reply_id` before the order goes on.
    Question {
        reply_id: String,
        question: Question,
    },
    /// The orders went live (or the modification took effect).
    Accepted(Vec<Ack>),
    /// Refused, with the reason.
    Rejected(String),
}

/// The desk's answer to a reply.
#[derive(Debug, Clone)]
pub(crate) enum ReplyAnswer {
    /// No pending question has this reply id (any more).
    UnknownReplyId,
    /// The client declined: the order is dropped.
    Declined,
    /// Confirmed: the next question, or the outcome.
    Order(OrderAnswer),
}

/// The desk's answer to a cancellation.
#[derive(Debug, Clone)]
pub(crate) enum CancelAnswer {
    /// `-1`: every live order of the account was cancelled.
    All,
    /// The order was cancelled.
    One { order_id: u64, conid: u64 },
    /// No such live order.
    Rejected(String),
}

/// What an order would do to the account (`/orders/whatif`).
#[derive(Debug, Clone)]
pub(crate) struct WhatIf {
    pub contract: Contract,
    pub quantity: f64,
    /// Quantity times the limit (or last) price.
    pub notional: f64,
    pub commission: f64,
    /// Cash plus the account's holdings at last prices, before the order.
    pub equity: f64,
    /// The account's holdings at last prices.
    pub holdings_value: f64,
    /// The position in this contract before the order.
    pub held: f64,
    /// The signed change of the position.
    pub change: f64,
    /// Whether market data was requested for the contract (question 21's warning otherwise).
    pub has_market_data: bool,
}

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

/// Validate one ticket. Error texts are the simulator's own wording, except the limit-price
/// reject, which is IBKR's (POST_iserver_account_{accountId}_orders__reject_200.json).
fn check(env: &mut Env<'_>, ticket: &Ticket) -> Result<Checked, String> {
    let conid = ticket
        .conid
        .ok_or_else(|| "Order is missing a contract id (conid)".to_string())?;
    let contract = env
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
    let last = env.last_price(&contract);
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

fn record(env: &mut Env<'_>, account: &str, t: &Ticket, modification: bool) -> usize {
    env.journal.orders.push(OrderRecord {
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
    env.journal.orders.len() - 1
}

/// Mark the journal's order records `records` with `outcome`.
fn mark(env: &mut Env<'_>, records: &[usize], outcome: &OrderOutcome) {
    for &i in records {
        if let Some(r) = env.journal.orders.get_mut(i) {
            r.outcome = outcome.clone();
        }
    }
}

/// Mark `records` rejected and say why.
fn rejected(env: &mut Env<'_>, records: &[usize], text: String) -> OrderAnswer {
    mark(env, records, &OrderOutcome::Rejected(text.clone()));
    OrderAnswer::Rejected(text)
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

impl Desk {
    fn situation(&self, env: &Env<'_>, c: &Checked, modification: bool) -> Vec<Question> {
        let s = Situation {
            contract: &c.contract,
            side: c.side,
            order_type: c.order_type,
            quantity: c.quantity,
            // The percentage constraint applies to the order's price: the limit, else the stop.
            limit: c.limit.or(c.stop),
            last: c.last,
            has_market_data: env.market_data.contains(&c.contract.conid),
            modification,
        };
        questions(&s, env.precautions)
            .into_iter()
            .filter(|q| !self.suppressed.contains(q.message_id))
            .collect()
    }

    /// Ask the first of `qs` (questions remain), or run the work now.
    fn ask_or_run(
        &mut self,
        env: &mut Env<'_>,
        work: PendingWork,
        mut qs: VecDeque<Question>,
        records: Vec<usize>,
    ) -> OrderAnswer {
        match qs.pop_front() {
            Some(question) => {
                let reply_id = env.ids.reply_id();
                for &i in &records {
                    if let Some(r) = env.journal.orders.get_mut(i) {
                        r.questions.push(question.message_id.to_string());
                    }
                }
                self.pending = Some(PendingReply {
                    reply_id: reply_id.clone(),
                    work,
                    remaining: qs,
                    records,
                });
                OrderAnswer::Question { reply_id, question }
            }
            None => self.run(env, work, &records),
        }
    }

    /// Carry out confirmed work and acknowledge it.
    fn run(&mut self, env: &mut Env<'_>, work: PendingWork, records: &[usize]) -> OrderAnswer {
        match work {
            PendingWork::Place { account, tickets } => {
                let mut acks = Vec::new();
                for (n, ticket) in tickets.iter().enumerate() {
                    let checked = match check(env, ticket) {
                        Ok(c) => c,
                        Err(e) => return OrderAnswer::Rejected(e),
                    };
                    let ack = self.place(env, &account, ticket, &checked);
                    if let Some(r) = records.get(n).and_then(|&i| env.journal.orders.get_mut(i)) {
                        r.order_id = Some(ack.order_id.to_string());
                        r.outcome = OrderOutcome::Confirmed;
                    }
                    acks.push(ack);
                }
                OrderAnswer::Accepted(acks)
            }
            PendingWork::Modify { order_id, ticket } => {
                let Some(index) = self.orders.iter().position(|o| o.id == order_id) else {
                    return OrderAnswer::Rejected(format!("OrderID {order_id} doesn't exist"));
                };
                let merged = merge(&self.orders[index], &ticket);
                let checked = match check(env, &merged) {
                    Ok(c) => c,
                    Err(e) => return OrderAnswer::Rejected(e),
                };
                {
                    let o = &mut self.orders[index];
                    o.side = checked.side;
                    o.order_type = checked.order_type;
                    o.quantity = checked.quantity;
                    o.limit = checked.limit;
                    o.stop = checked.stop;
                    o.tif = merged.tif.clone();
                    o.last_ms = now_ms();
                }
                self.match_resting(env, checked.contract.conid);
                for &i in records {
                    if let Some(r) = env.journal.orders.get_mut(i) {
                        r.order_id = Some(order_id.to_string());
                        r.outcome = OrderOutcome::Confirmed;
                    }
                }
                let status = self.orders[index].status;
                OrderAnswer::Accepted(vec![Ack { order_id, status }])
            }
        }
    }

    /// A new order goes live: market orders fill at the last price, marketable limits fill,
    /// the rest rest.
    fn place(&mut self, env: &mut Env<'_>, account: &str, ticket: &Ticket, c: &Checked) -> Ack {
        let id = env.ids.order_id();
        let status = if c.order_type.is_stop() {
            OrderStatus::PreSubmitted
        } else {
            OrderStatus::Submitted
        };
        self.orders.push(Order {
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
        let index = self.orders.len() - 1;
        if c.order_type == OrderType::Market {
            self.fill_order(env, index, c.last);
        } else {
            self.match_resting(env, c.contract.conid);
        }
        // The acknowledgement reports the order as accepted; the fill shows in orders and trades.
        Ack {
            order_id: id,
            status,
        }
    }

    /// New orders for `account` (`POST /iserver/account/{accountId}/orders`).
    pub(crate) fn submit(
        &mut self,
        env: &mut Env<'_>,
        account: &str,
        tickets: Vec<Ticket>,
    ) -> OrderAnswer {
        let records: Vec<usize> = tickets
            .iter()
            .map(|t| record(env, account, t, false))
            .collect();
        if !self.has_account(account) {
            return rejected(env, &records, format!("Account {account} is not valid"));
        }
        if tickets.is_empty() {
            return rejected(env, &records, "No orders were submitted".to_string());
        }
        let mut asked: VecDeque<Question> = VecDeque::new();
        for t in &tickets {
            match check(env, t) {
                Ok(c) => {
                    for q in self.situation(env, &c, false) {
                        if !asked.iter().any(|a| a.message_id == q.message_id) {
                            asked.push_back(q);
                        }
                    }
                }
                Err(e) => return rejected(env, &records, e),
            }
        }
        let work = PendingWork::Place {
            account: account.to_string(),
            tickets,
        };
        self.ask_or_run(env, work, asked, records)
    }

    /// The client's answer to the pending question (`POST /iserver/reply/{replyId}`).
    pub(crate) fn reply(
        &mut self,
        env: &mut Env<'_>,
        reply_id: &str,
        confirmed: bool,
    ) -> ReplyAnswer {
        let pending = match self.pending.take() {
            Some(p) if p.reply_id == reply_id => Some(p),
            other => {
                self.pending = other;
                None
            }
        };
        env.journal.replies.push(RecordedReply {
            reply_id: reply_id.to_string(),
            confirmed,
            accepted: pending.is_some(),
        });
        let Some(pending) = pending else {
            return ReplyAnswer::UnknownReplyId;
        };
        if !confirmed {
            mark(env, &pending.records, &OrderOutcome::Discarded);
            return ReplyAnswer::Declined;
        }
        ReplyAnswer::Order(self.ask_or_run(env, pending.work, pending.remaining, pending.records))
    }

    /// A modification of a live order (`POST /iserver/account/{accountId}/order/{orderId}`);
    /// `one_order` says whether the body was a single order object (else it is refused, after
    /// being journaled).
    pub(crate) fn modify(
        &mut self,
        env: &mut Env<'_>,
        account: &str,
        order_id: &str,
        ticket: &Ticket,
        one_order: bool,
    ) -> OrderAnswer {
        let records = vec![record(env, account, ticket, true)];
        if !one_order {
            return rejected(
                env,
                &records,
                "The modify body must be a single order object".into(),
            );
        }
        let existing = order_id.parse::<u64>().ok().and_then(|id| {
            self.orders
                .iter()
                .find(|o| o.id == id && o.account == account && o.status.is_live())
                .cloned()
        });
        let Some(order) = existing else {
            // POST_iserver_account_{accountId}_order_{orderId}__spec_error.json.
            return rejected(env, &records, format!("OrderID {order_id} doesn't exist"));
        };
        let merged = merge(&order, ticket);
        let checked = match check(env, &merged) {
            Ok(c) => c,
            Err(e) => return rejected(env, &records, e),
        };
        let qs: VecDeque<Question> = self.situation(env, &checked, true).into();
        let work = PendingWork::Modify {
            order_id: order.id,
            ticket: merged,
        };
        self.ask_or_run(env, work, qs, records)
    }

    /// Cancel a live order of `account`; `-1` cancels every live order
    /// (`DELETE /iserver/account/{accountId}/order/{orderId}`).
    pub(crate) fn cancel(&mut self, account: &str, order_id: &str) -> CancelAnswer {
        let now = now_ms();
        if order_id.trim() == "-1" {
            for o in self
                .orders
                .iter_mut()
                .filter(|o| o.account == account && o.status.is_live())
            {
                o.status = OrderStatus::Cancelled;
                o.last_ms = now;
            }
            return CancelAnswer::All;
        }
        let found = order_id.parse::<u64>().ok().and_then(|id| {
            self.orders
                .iter_mut()
                .find(|o| o.id == id && o.account == account && o.status.is_live())
        });
        match found {
            Some(o) => {
                o.status = OrderStatus::Cancelled;
                o.last_ms = now;
                CancelAnswer::One {
                    order_id: o.id,
                    conid: o.conid,
                }
            }
            None => CancelAnswer::Rejected(format!("OrderID {order_id} doesn't exist")),
        }
    }

    /// What `ticket` would do to `account` (`POST /iserver/account/{accountId}/orders/whatif`).
    pub(crate) fn whatif(
        &mut self,
        env: &mut Env<'_>,
        account: &str,
        ticket: &Ticket,
    ) -> Result<WhatIf, String> {
        if !self.has_account(account) {
            return Err(format!("Account {account} is not valid"));
        }
        let c = check(env, ticket)?;
        let price = c.limit.unwrap_or(c.last);
        let notional = c.quantity * price;
        let fee = commission(c.quantity);
        let (cash, held) = {
            let book = self.book(account);
            let held = book
                .and_then(|b| b.positions.get(&c.contract.conid))
                .map(|p| p.quantity)
                .unwrap_or(0.0);
            (book.map(|b| b.cash).unwrap_or(0.0), held)
        };
        let holdings_value = self.stock_value(env, account);
        Ok(WhatIf {
            has_market_data: env.market_data.contains(&c.contract.conid),
            quantity: c.quantity,
            notional,
            commission: fee,
            equity: cash + holdings_value,
            holdings_value,
            held,
            change: c.side.sign() * c.quantity,
            contract: c.contract,
        })
    }

    /// Market value of an account's positions at current last prices (no ticking).
    fn stock_value(&self, env: &mut Env<'_>, account: &str) -> f64 {
        let held: Vec<(u64, f64)> = self
            .book(account)
            .map(|b| b.positions.iter().map(|(&c, p)| (c, p.quantity)).collect())
            .unwrap_or_default();
        held.into_iter()
            .filter_map(|(conid, qty)| {
                let contract = env.contract(conid)?;
                let mult: f64 = contract
                    .multiplier
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(1.0);
                Some(qty * env.last_price(&contract) * mult)
            })
            .sum()
    }
}
