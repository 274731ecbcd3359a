//! Orders: [`OrderTicket`], and placing one through IBKR's question/reply loop.
//!
//! IBKR answers an order with questions ("price exceeds the Percentage constraint of 3%",
//! o163; "no market data", o354; ...) that must be confirmed before the order exists. This
//! module answers them only as the caller's [`AnswerPolicy`] says:
//! - every question of every item in each response is considered;
//! - a question is matched by its messageId first (`o163`), then by a text fragment;
//! - a "no" sends `confirmed:false` (IBKR discards the order) and returns
//!   [`OrderOutcome::Declined`];
//! - a question the policy does not cover also sends `confirmed:false` and returns
//!   [`Error::UnansweredQuestion`]: never a silent yes;
//! - at most 10 rounds;
//! - a server prompt (`prompt:true`, e.g. p12) is returned as [`OrderOutcome::Prompt`].
//!
//! IBKR cancels a pending question when any other request reaches the session before its
//! reply (ibind #35, #103). The whole loop therefore runs with the session to itself
//! ([`Ibkr::exclusive`]): requests from other tasks and clones, the keeper's tickles
//! included, wait until it finishes. Order POSTs are never retried.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::Method;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::Ibkr;
use crate::conid::Conid;
use crate::error::{Error, Result};
use crate::json_call::{json_number, json_text};

/// Most question rounds before giving up (declining what is pending).
pub const MAX_ROUNDS: usize = 10;

/// Buy or sell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl Side {
    fn wire(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

/// The order type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderType {
    /// Market (`MKT`).
    Market,
    /// Limit (`LMT`) at a price.
    Limit,
    /// Stop (`STP`): a market order once the stop price trades.
    Stop,
    /// Stop limit (`STOP_LIMIT`): a limit order once the stop price trades.
    StopLimit,
    /// Market on close (`MOC`).
    MarketOnClose,
    /// Limit on close (`LOC`).
    LimitOnClose,
    /// Any other IBKR order type, as IBKR spells it.
    Other(String),
}

impl OrderType {
    fn wire(&self) -> &str {
        match self {
            OrderType::Market => "MKT",
            OrderType::Limit => "LMT",
            OrderType::Stop => "STP",
            OrderType::StopLimit => "STOP_LIMIT",
            OrderType::MarketOnClose => "MOC",
            OrderType::LimitOnClose => "LOC",
            OrderType::Other(s) => s,
        }
    }
}

/// How long the order stays working.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeInForce {
    /// Today only.
    Day,
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// At the opening.
    Opg,
    /// Any other IBKR value.
    Other(String),
}

impl TimeInForce {
    fn wire(&self) -> &str {
        match self {
            TimeInForce::Day => "DAY",
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Opg => "OPG",
            TimeInForce::Other(s) => s,
        }
    }
}

/// How much to trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// A number of shares or contracts.
    Quantity(Decimal),
    /// An amount of cash (`cashQty`).
    Cash(Decimal),
}

/// One order, built in the trader's words.
///
/// ```
/// use ibkr_ext::orders::{OrderTicket, TimeInForce};
/// use rust_decimal::Decimal;
/// let ticket = OrderTicket::buy(265598, Decimal::from(10))
///     .limit(Decimal::new(19305, 2))       // 193.05
///     .tif(TimeInForce::Gtc)
///     .outside_rth(true);
/// assert_eq!(ticket.to_json()["orderType"], "LMT");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OrderTicket {
    conid: Conid,
    side: Side,
    size: Size,
    order_type: OrderType,
    tif: TimeInForce,
    price: Option<Decimal>,
    stop_price: Option<Decimal>,
    outside_rth: bool,
    coid: String,
    parent_coid: Option<String>,
    oca_group: bool,
    extra: Map<String, Value>,
}

static COID_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A client order id unique for 24 hours (IBKR's rule): time, process and a counter.
fn unique_coid() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let n = COID_SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!("ibkr-rs-{}-{}-{n}", now.as_millis(), std::process::id())
}

impl OrderTicket {
    /// A market order for `quantity` of `conid`, on `side`, good for the day.
    pub fn new(conid: impl Into<Conid>, side: Side, quantity: Decimal) -> Self {
        Self {
            conid: conid.into(),
            side,
            size: Size::Quantity(quantity),
            order_type: OrderType::Market,
            tif: TimeInForce::Day,
            price: None,
            stop_price: None,
            outside_rth: false,
            coid: unique_coid(),
            parent_coid: None,
            oca_group: false,
            extra: Map::new(),
        }
    }

    /// Buy `quantity` of `conid` at market, for the day.
    pub fn buy(conid: impl Into<Conid>, quantity: Decimal) -> Self {
        Self::new(conid, Side::Buy, quantity)
    }

    /// Sell `quantity` of `conid` at market, for the day.
    pub fn sell(conid: impl Into<Conid>, quantity: Decimal) -> Self {
        Self::new(conid, Side::Sell, quantity)
    }

    /// Trade an amount of cash instead of a quantity.
    pub fn cash_quantity(mut self, amount: Decimal) -> Self {
        self.size = Size::Cash(amount);
        self
    }

    /// A market order.
    pub fn market(mut self) -> Self {
        self.order_type = OrderType::Market;
        self.price = None;
        self
    }

    /// A limit order at `price`.
    pub fn limit(mut self, price: Decimal) -> Self {
        self.order_type = OrderType::Limit;
        self.price = Some(price);
        self
    }

    /// A stop order triggered at `stop`.
    pub fn stop(mut self, stop: Decimal) -> Self {
        self.order_type = OrderType::Stop;
        self.price = Some(stop);
        self.stop_price = None;
        self
    }

    /// A stop-limit order: at `stop`, a limit order at `limit`.
    pub fn stop_limit(mut self, stop: Decimal, limit: Decimal) -> Self {
        self.order_type = OrderType::StopLimit;
        self.price = Some(limit);
        self.stop_price = Some(stop);
        self
    }

    /// Any order type, with its price fields set separately.
    pub fn order_type(mut self, order_type: OrderType) -> Self {
        self.order_type = order_type;
        self
    }

    /// The time in force.
    pub fn tif(mut self, tif: TimeInForce) -> Self {
        self.tif = tif;
        self
    }

    /// Allow execution outside regular trading hours.
    pub fn outside_rth(mut self, yes: bool) -> Self {
        self.outside_rth = yes;
        self
    }

    /// Use this client order id instead of the generated, unique one.
    pub fn coid(mut self, coid: impl Into<String>) -> Self {
        self.coid = coid.into();
        self
    }

    /// Any other field of IBKR's order body, as IBKR names it (`manualIndicator`, ...).
    pub fn field(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    /// The client order id.
    pub fn client_order_id(&self) -> &str {
        &self.coid
    }

    /// The contract.
    pub fn conid(&self) -> Conid {
        self.conid
    }

    /// The side.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The order as IBKR's JSON body expects it (one element of `orders`).
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("conid".into(), json!(self.conid.0));
        o.insert("side".into(), json!(self.side.wire()));
        o.insert("orderType".into(), json!(self.order_type.wire()));
        o.insert("tif".into(), json!(self.tif.wire()));
        match self.size {
            Size::Quantity(q) => o.insert("quantity".into(), decimal(q)),
            Size::Cash(c) => o.insert("cashQty".into(), decimal(c)),
        };
        if let Some(p) = self.price {
            o.insert("price".into(), decimal(p));
        }
        if let Some(s) = self.stop_price {
            o.insert("auxPrice".into(), decimal(s));
        }
        if self.outside_rth {
            o.insert("outsideRTH".into(), json!(true));
        }
        o.insert("cOID".into(), json!(self.coid));
        if let Some(p) = &self.parent_coid {
            o.insert("parentId".into(), json!(p));
        }
        if self.oca_group {
            o.insert("isSingleGroup".into(), json!(true));
        }
        for (k, v) in &self.extra {
            o.insert(k.clone(), v.clone());
        }
        Value::Object(o)
    }
}

fn decimal(d: Decimal) -> Value {
    // IBKR takes JSON numbers; a Decimal's exact text is a valid JSON number.
    serde_json::from_str(&d.normalize().to_string()).unwrap_or_else(|_| json!(d.to_string()))
}

/// One or more tickets submitted together: a single order, a bracket, or an OCA group.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderGroup {
    tickets: Vec<OrderTicket>,
}

impl OrderGroup {
    /// A bracket: the parent, then a take-profit and a stop-loss that only work once the
    /// parent fills (their `parentId` is the parent's `cOID`).
    pub fn bracket(parent: OrderTicket, take_profit: OrderTicket, stop_loss: OrderTicket) -> Self {
        let coid = parent.coid.clone();
        let children = [take_profit, stop_loss].map(|mut t| {
            t.parent_coid = Some(coid.clone());
            t
        });
        let mut tickets = vec![parent];
        tickets.extend(children);
        Self { tickets }
    }

    /// One-cancels-all: when one of them fills, IBKR cancels the others.
    pub fn one_cancels_all(tickets: Vec<OrderTicket>) -> Self {
        let tickets = tickets
            .into_iter()
            .map(|mut t| {
                t.oca_group = true;
                t
            })
            .collect();
        Self { tickets }
    }

    /// The tickets in submission order.
    pub fn tickets(&self) -> &[OrderTicket] {
        &self.tickets
    }

    fn body(&self) -> Value {
        json!({"orders": self.tickets.iter().map(OrderTicket::to_json).collect::<Vec<_>>()})
    }
}

impl From<OrderTicket> for OrderGroup {
    fn from(t: OrderTicket) -> Self {
        Self { tickets: vec![t] }
    }
}

/// The message ids of IBKR's order questions (the list is in IBKR's `/iserver/questions/suppress`
/// documentation), for building an [`AnswerPolicy`].
pub mod questions {
    /// The price is more than 3% away from the market (o163).
    pub const PRICE_CONSTRAINT: &str = "o163";
    /// No market data for the contract (o354).
    pub const NO_MARKET_DATA: &str = "o354";
    /// The price does not fit the tick size (o382).
    pub const TICK_SIZE: &str = "o382";
    /// The size is over the size limit (o383).
    pub const SIZE_LIMIT: &str = "o383";
    /// The order will most likely trigger and fill immediately (o403).
    pub const TRIGGER_AND_FILL: &str = "o403";
    /// The order value is over the total value limit (o451).
    pub const VALUE_LIMIT: &str = "o451";
    /// Size modification over the limit (o10138).
    pub const SIZE_MODIFICATION_LIMIT: &str = "o10138";
    /// Market order risks (o10151).
    pub const MARKET_ORDER_RISK: &str = "o10151";
    /// The stop order will become active (o10152).
    pub const STOP_ORDER_ACTIVE: &str = "o10152";
    /// A mandatory cap price is applied (o10153).
    pub const MANDATORY_CAP_PRICE: &str = "o10153";
    /// Cash quantity details (o10164).
    pub const CASH_QUANTITY: &str = "o10164";
    /// Cash quantity orders are not guaranteed (o10223).
    pub const CASH_QUANTITY_ORDER: &str = "o10223";
    /// Stop order risks (o10331).
    pub const STOP_ORDER_RISK: &str = "o10331";
    /// The order is distributed over multiple accounts (p6).
    pub const MULTIPLE_ACCOUNTS: &str = "p6";
    /// A stop order warning when modifying (o0).
    pub const STOP_ORDER_WARNING: &str = "o0";
}

/// Which order questions to confirm, and which to decline. Nothing is confirmed unless
/// the policy says so.
///
/// ```
/// use ibkr_ext::orders::{AnswerPolicy, questions};
/// let policy = AnswerPolicy::new()
///     .yes(questions::PRICE_CONSTRAINT)
///     .no(questions::NO_MARKET_DATA)
///     .yes_to_text("will most likely trigger and fill immediately");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnswerPolicy {
    by_id: BTreeMap<String, bool>,
    by_text: Vec<(String, bool)>,
}

/// What the policy says about one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Confirm.
    Yes,
    /// Decline.
    No,
    /// The policy does not cover it.
    Unanswered,
}

impl AnswerPolicy {
    /// A policy that confirms nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Confirm the question with this messageId.
    pub fn yes(self, message_id: impl Into<String>) -> Self {
        self.answer(message_id, true)
    }

    /// Decline the question with this messageId.
    pub fn no(self, message_id: impl Into<String>) -> Self {
        self.answer(message_id, false)
    }

    /// Answer the question with this messageId.
    pub fn answer(mut self, message_id: impl Into<String>, yes: bool) -> Self {
        self.by_id.insert(message_id.into(), yes);
        self
    }

    /// Confirm questions whose text contains `fragment` (case-insensitive), for questions
    /// IBKR sends without a messageId you know.
    pub fn yes_to_text(mut self, fragment: impl Into<String>) -> Self {
        self.by_text.push((fragment.into().to_lowercase(), true));
        self
    }

    /// Decline questions whose text contains `fragment` (case-insensitive).
    pub fn no_to_text(mut self, fragment: impl Into<String>) -> Self {
        self.by_text.push((fragment.into().to_lowercase(), false));
        self
    }

    /// The answer to one question: by messageId first, then by text. A question with several
    /// messageIds is confirmed only when each is confirmed; any "no" declines it.
    pub fn decide(&self, message_ids: &[String], text: &str) -> Answer {
        let by_id: Vec<Option<bool>> = message_ids
            .iter()
            .map(|id| self.by_id.get(id).copied())
            .collect();
        if by_id.contains(&Some(false)) {
            return Answer::No;
        }
        if !by_id.is_empty() && by_id.iter().all(|a| *a == Some(true)) {
            return Answer::Yes;
        }
        let lower = text.to_lowercase();
        match self
            .by_text
            .iter()
            .find(|(f, _)| lower.contains(f.as_str()))
        {
            Some((_, true)) => Answer::Yes,
            Some((_, false)) => Answer::No,
            None => Answer::Unanswered,
        }
    }
}

/// One question IBKR asked about an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderQuestion {
    /// The reply id (single use).
    pub reply_id: String,
    /// The messageIds (`o163`, ...).
    pub message_ids: Vec<String>,
    /// The question's text.
    pub text: String,
}

/// A server prompt (`prompt: true`, e.g. p12), answered through `/iserver/notification`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerPrompt {
    /// The prompt's messageId (`p12`).
    pub message_id: Option<String>,
    /// Its text.
    pub text: String,
    /// The options the user may choose from.
    pub options: Vec<String>,
    /// The order it is about.
    pub order_id: Option<String>,
    /// The request id to answer with.
    pub req_id: Option<String>,
}

/// One order IBKR acknowledged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubmittedOrder {
    /// IBKR's order id.
    pub order_id: String,
    /// Its status (`Submitted`, `PreSubmitted`, `Filled`, ...).
    pub status: String,
}

/// How placing an order ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OrderOutcome {
    /// IBKR accepted the order (the first of a group; all of them in `orders`).
    Submitted {
        /// The (first) order id.
        order_id: String,
        /// Its status.
        status: String,
        /// Every acknowledged order of the group.
        orders: Vec<SubmittedOrder>,
    },
    /// The policy declined a question; IBKR was told `confirmed:false` and discarded the order.
    Declined {
        /// The declined question's messageIds.
        message_ids: Vec<String>,
        /// Its text.
        text: String,
    },
    /// IBKR asks the user to choose (a server prompt); nothing was answered.
    Prompt(ServerPrompt),
}

/// What one order POST or reply answered.
#[derive(Debug)]
enum Reply {
    Acks(Vec<SubmittedOrder>),
    Questions(Vec<OrderQuestion>),
    Reject(String),
    Prompt(ServerPrompt),
}

fn parse_reply(operation: &'static str, v: &Value) -> Result<Reply> {
    let decode_error = |reason: &str| Error::Decode {
        operation,
        status: 200,
        reason: reason.to_string(),
        excerpt: crate::error::excerpt(v.to_string().as_bytes()),
    };
    let items: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(o) => {
            if let Some(e) = o.get("error").and_then(Value::as_str) {
                return Ok(Reply::Reject(e.to_string()));
            }
            if o.get("prompt").and_then(Value::as_bool) == Some(true) {
                return Ok(Reply::Prompt(ServerPrompt {
                    message_id: json_text(o.get("messageId")),
                    text: json_text(o.get("text")).unwrap_or_default(),
                    options: o
                        .get("options")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(|x| json_text(Some(x))).collect())
                        .unwrap_or_default(),
                    order_id: json_text(o.get("orderId")),
                    req_id: json_text(o.get("reqId")),
                }));
            }
            vec![v]
        }
        _ => {
            return Err(decode_error(
                "an order answer is neither a list nor an object",
            ));
        }
    };
    if items.is_empty() {
        return Err(decode_error("IBKR answered an empty list"));
    }
    let mut questions = Vec::new();
    let mut acks = Vec::new();
    for item in items {
        if let Some(e) = item.get("error").and_then(Value::as_str) {
            return Ok(Reply::Reject(e.to_string()));
        }
        let message = item.get("message");
        if let (Some(id), Some(message)) = (json_text(item.get("id")), message) {
            let text = match message {
                Value::Array(lines) => lines
                    .iter()
                    .filter_map(|l| json_text(Some(l)))
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => json_text(Some(other)).unwrap_or_default(),
            };
            let message_ids = item
                .get("messageIds")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|x| json_text(Some(x))).collect())
                .unwrap_or_default();
            questions.push(OrderQuestion {
                reply_id: id,
                message_ids,
                text,
            });
        } else if let Some(order_id) =
            json_text(item.get("order_id")).or_else(|| json_text(item.get("orderId")))
        {
            acks.push(SubmittedOrder {
                order_id,
                status: json_text(item.get("order_status"))
                    .or_else(|| json_text(item.get("status")))
                    .unwrap_or_default(),
            });
        } else {
            return Err(decode_error(
                "an order answer item is neither a question nor an acknowledgement",
            ));
        }
    }
    Ok(if questions.is_empty() {
        Reply::Acks(acks)
    } else {
        Reply::Questions(questions)
    })
}

/// A working or recently finished order, from `GET /iserver/account/orders`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiveOrder {
    /// IBKR's order id.
    pub order_id: String,
    /// The account.
    pub account: Option<String>,
    /// The contract.
    pub conid: Option<Conid>,
    /// The symbol.
    pub ticker: Option<String>,
    /// `BUY` or `SELL`.
    pub side: Option<String>,
    /// Total size.
    pub total_size: Option<f64>,
    /// Filled so far.
    pub filled: Option<f64>,
    /// The order type as IBKR names it (`Limit`, `Market`, ...).
    pub order_type: Option<String>,
    /// The limit or stop price, as IBKR formats it.
    pub price: Option<String>,
    /// The status (`Submitted`, `PreSubmitted`, `Filled`, `Cancelled`, ...).
    pub status: Option<String>,
    /// Every field IBKR sent, as it sent it.
    pub raw: Value,
}

impl LiveOrder {
    fn from_json(v: &Value) -> Option<LiveOrder> {
        Some(LiveOrder {
            order_id: json_text(v.get("orderId"))?,
            account: json_text(v.get("acct")).or_else(|| json_text(v.get("account"))),
            conid: v
                .get("conid")
                .and_then(|c| serde_json::from_value(c.clone()).ok()),
            ticker: json_text(v.get("ticker")),
            side: json_text(v.get("side")),
            total_size: json_number(v.get("totalSize")),
            filled: json_number(v.get("filledQuantity")),
            order_type: json_text(v.get("orderType")),
            price: json_text(v.get("price")),
            status: json_text(v.get("status")),
            raw: v.clone(),
        })
    }
}

/// What `DELETE .../order/{id}` answered: the request was received, not that the order is
/// cancelled yet (watch its status).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CancelAck {
    /// IBKR's message (`Request was submitted`).
    pub message: String,
    /// The order id.
    pub order_id: Option<String>,
}

/// What `whatif` says an order would do to the account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderPreview {
    /// Commission and total amounts (IBKR's strings, by key).
    pub amount: BTreeMap<String, Value>,
    /// Equity before/after.
    pub equity: BTreeMap<String, Value>,
    /// Initial margin before/after.
    pub initial: BTreeMap<String, Value>,
    /// Maintenance margin before/after.
    pub maintenance: BTreeMap<String, Value>,
    /// IBKR's warning, if any.
    pub warning: Option<String>,
    /// IBKR's error, if any.
    pub error: Option<String>,
}

fn object_map(v: Option<&Value>) -> BTreeMap<String, Value> {
    v.and_then(Value::as_object)
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

impl Ibkr {
    fn order_account<'a>(
        &'a self,
        account: Option<&'a str>,
        operation: &'static str,
    ) -> Result<&'a str> {
        match account {
            Some(a) => Ok(a),
            None => self.require_account(operation),
        }
    }

    /// Place an order (or a bracket/OCA group) for the default account, answering IBKR's
    /// questions only as `policy` says. See the module documentation for the rules.
    pub async fn place(
        &self,
        order: impl Into<OrderGroup>,
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        let account = self.order_account(None, "placeOrder")?.to_string();
        self.place_for(&account, order, policy).await
    }

    /// [`Ibkr::place`] for a given account.
    pub async fn place_for(
        &self,
        account: &str,
        order: impl Into<OrderGroup>,
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        let body = order.into().body();
        let path = format!("/iserver/account/{account}/orders");
        self.ready_for_orders().await?;
        self.exclusive(async {
            let first: Value = self
                .json_call("placeOrder", Method::POST, &path, &[], Some(&body))
                .await?;
            self.answer_loop("placeOrder", first, policy).await
        })
        .await
    }

    /// Change a working order: `ticket` must repeat every field of the original (IBKR's
    /// rule), with the changes. Questions are answered as in [`Ibkr::place`].
    pub async fn modify(
        &self,
        order_id: &str,
        ticket: &OrderTicket,
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        let account = self.order_account(None, "modifyOrder")?.to_string();
        let path = format!("/iserver/account/{account}/order/{order_id}");
        let body = ticket.to_json();
        self.ready_for_orders().await?;
        self.exclusive(async {
            let first: Value = self
                .json_call("modifyOrder", Method::POST, &path, &[], Some(&body))
                .await?;
            self.answer_loop("modifyOrder", first, policy).await
        })
        .await
    }

    /// The session's live orders (IBKR keeps them for the day). IBKR paces this call at one
    /// per 5 seconds; the client waits rather than be refused.
    pub async fn live_orders(&self) -> Result<Vec<LiveOrder>> {
        let v: Value = self
            .json_call(
                "getLiveOrders",
                Method::GET,
                "/iserver/account/orders",
                &[],
                None,
            )
            .await?;
        Ok(v.get("orders")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(LiveOrder::from_json).collect())
            .unwrap_or_default())
    }

    /// Ask IBKR to cancel a working order of the default account (`-1` cancels all).
    pub async fn cancel(&self, order_id: &str) -> Result<CancelAck> {
        let account = self.order_account(None, "cancelOrder")?.to_string();
        let path = format!("/iserver/account/{account}/order/{order_id}");
        let v: Value = self
            .json_call("cancelOrder", Method::DELETE, &path, &[], None)
            .await?;
        if let Some(e) = v.get("error").and_then(Value::as_str) {
            return Err(Error::Api {
                operation: "cancelOrder",
                status: 200,
                message: Some(e.to_string()),
                excerpt: crate::error::excerpt(v.to_string().as_bytes()),
            });
        }
        Ok(CancelAck {
            message: json_text(v.get("msg")).unwrap_or_default(),
            order_id: json_text(v.get("order_id")),
        })
    }

    /// What the order would cost and do to margin, without placing it (`whatif`).
    pub async fn preview(&self, order: impl Into<OrderGroup>) -> Result<OrderPreview> {
        let account = self.order_account(None, "previewOrder")?.to_string();
        let path = format!("/iserver/account/{account}/orders/whatif");
        let body = order.into().body();
        let v: Value = self
            .json_call("previewOrder", Method::POST, &path, &[], Some(&body))
            .await?;
        Ok(OrderPreview {
            amount: object_map(v.get("amount")),
            equity: object_map(v.get("equity")),
            initial: object_map(v.get("initial")),
            maintenance: object_map(v.get("maintenance")),
            warning: json_text(v.get("warn")).filter(|s| !s.is_empty()),
            error: json_text(v.get("error")).filter(|s| !s.is_empty()),
        })
    }

    /// Tell IBKR not to ask these questions again for the rest of the brokerage session.
    pub async fn suppress(&self, message_ids: &[&str]) -> Result<()> {
        let body = json!({"messageIds": message_ids});
        let _: Value = self
            .json_call(
                "suppressOrderQuestions",
                Method::POST,
                "/iserver/questions/suppress",
                &[],
                Some(&body),
            )
            .await?;
        Ok(())
    }

    /// Orders are never repeated after `no bridge`, so open the brokerage session first
    /// unless the session is known to be authenticated.
    async fn ready_for_orders(&self) -> Result<()> {
        if !self.inner.session.borrow().authenticated {
            self.ensure_brokerage_session().await?;
        }
        Ok(())
    }

    async fn reply(&self, reply_id: &str, confirmed: bool) -> Result<Value> {
        let path = format!("/iserver/reply/{reply_id}");
        let body = json!({"confirmed": confirmed});
        self.json_call(
            "replyToOrderQuestion",
            Method::POST,
            &path,
            &[],
            Some(&body),
        )
        .await
    }

    async fn answer_loop(
        &self,
        operation: &'static str,
        mut answer: Value,
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        for _ in 0..MAX_ROUNDS {
            match parse_reply(operation, &answer)? {
                Reply::Acks(orders) => {
                    let first = orders.first().cloned().ok_or_else(|| Error::Decode {
                        operation,
                        status: 200,
                        reason: "no order in the acknowledgement".into(),
                        excerpt: String::new(),
                    })?;
                    return Ok(OrderOutcome::Submitted {
                        order_id: first.order_id,
                        status: first.status,
                        orders,
                    });
                }
                Reply::Reject(message) => return Err(Error::OrderRejected { operation, message }),
                Reply::Prompt(prompt) => return Ok(OrderOutcome::Prompt(prompt)),
                Reply::Questions(questions) => {
                    let decisions: Vec<Answer> = questions
                        .iter()
                        .map(|q| policy.decide(&q.message_ids, &q.text))
                        .collect();
                    if let Some(i) = decisions.iter().position(|d| *d != Answer::Yes) {
                        self.decline_all(&questions).await;
                        let q = &questions[i];
                        tracing::info!(message_ids = ?q.message_ids, "order question declined");
                        return if decisions[i] == Answer::No {
                            Ok(OrderOutcome::Declined {
                                message_ids: q.message_ids.clone(),
                                text: q.text.clone(),
                            })
                        } else {
                            Err(Error::UnansweredQuestion {
                                message_ids: q.message_ids.clone(),
                                text: q.text.clone(),
                            })
                        };
                    }
                    for q in &questions {
                        tracing::info!(message_ids = ?q.message_ids, "order question confirmed by policy");
                        answer = self.reply(&q.reply_id, true).await?;
                    }
                }
            }
        }
        if let Ok(Reply::Questions(pending)) = parse_reply(operation, &answer) {
            self.decline_all(&pending).await;
        }
        Err(Error::TooManyQuestions { rounds: MAX_ROUNDS })
    }

    /// Send `confirmed:false` for each pending question, so IBKR discards the order.
    async fn decline_all(&self, questions: &[OrderQuestion]) {
        for q in questions {
            if let Err(e) = self.reply(&q.reply_id, false).await {
                tracing::warn!(error = %e, "declining an order question failed");
            }
        }
    }
}

impl fmt::Display for OrderQuestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.message_ids.join(","), self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_serialise_to_ibkrs_order_body() {
        let t = OrderTicket::buy(265598, Decimal::from(5))
            .stop_limit(Decimal::new(1900, 1), Decimal::new(1895, 1))
            .tif(TimeInForce::Gtc)
            .coid("my-1");
        assert_eq!(
            t.to_json(),
            json!({"conid": 265598, "side": "BUY", "orderType": "STOP_LIMIT", "tif": "GTC", "quantity": 5,
                   "price": 189.5, "auxPrice": 190, "cOID": "my-1"})
        );
        let cash = OrderTicket::sell(8314, Decimal::ZERO).cash_quantity(Decimal::new(100050, 2));
        assert_eq!(cash.to_json()["cashQty"], json!(1000.5));
        assert!(cash.to_json().get("quantity").is_none());
    }

    #[test]
    fn client_order_ids_are_unique() {
        let a = OrderTicket::buy(1, Decimal::ONE);
        let b = OrderTicket::buy(1, Decimal::ONE);
        assert_ne!(a.client_order_id(), b.client_order_id());
    }

    #[test]
    fn a_bracket_links_children_to_the_parent() {
        let parent = OrderTicket::buy(265598, Decimal::ONE)
            .limit(Decimal::from(190))
            .coid("p");
        let g = OrderGroup::bracket(
            parent,
            OrderTicket::sell(265598, Decimal::ONE).limit(Decimal::from(200)),
            OrderTicket::sell(265598, Decimal::ONE).stop(Decimal::from(180)),
        );
        let body = g.body();
        assert_eq!(body["orders"][1]["parentId"], "p");
        assert_eq!(body["orders"][2]["parentId"], "p");
        assert!(body["orders"][0].get("parentId").is_none());
        let oca = OrderGroup::one_cancels_all(vec![
            OrderTicket::buy(1, Decimal::ONE),
            OrderTicket::buy(2, Decimal::ONE),
        ]);
        assert!(
            oca.body()["orders"]
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["isSingleGroup"] == true)
        );
    }

    #[test]
    fn the_policy_matches_by_message_id_first_then_by_text() {
        let p = AnswerPolicy::new().yes("o163").no_to_text("market data");
        let q = |ids: &[&str], text: &str| {
            p.decide(&ids.iter().map(|s| s.to_string()).collect::<Vec<_>>(), text)
        };
        assert_eq!(
            q(&["o163"], "price exceeds the Percentage constraint of 3%"),
            Answer::Yes
        );
        assert_eq!(
            q(
                &["o354"],
                "You are submitting an order without market data."
            ),
            Answer::No
        );
        assert_eq!(
            q(&["o383"], "size exceeds the Size Limit of 500"),
            Answer::Unanswered
        );
        assert_eq!(q(&["o163", "o383"], "two questions"), Answer::Unanswered);
    }

    #[test]
    fn the_four_real_answer_shapes_are_read() {
        // fixtures/cp: POST_iserver_account_{accountId}_orders{,__question,__reject_200,__spec_prompt_p12}.json
        let ack = json!([{"order_id": "1234567890", "order_status": "Submitted", "encrypt_message": "1"}]);
        assert!(
            matches!(parse_reply("placeOrder", &ack).unwrap(), Reply::Acks(a) if a[0].order_id == "1234567890")
        );
        let question = json!([{"id": "07a13a5a-4a48-44a5-bb25-5ab37b79186c", "message": ["The following order exceeds the price percentage limit"], "isSuppressed": false, "messageIds": ["o163"]}]);
        let Reply::Questions(qs) = parse_reply("placeOrder", &question).unwrap() else {
            panic!()
        };
        assert_eq!(qs[0].message_ids, ["o163"]);
        let reject = json!({"error": "We cannot accept an order at the limit price you selected."});
        assert!(matches!(
            parse_reply("placeOrder", &reject).unwrap(),
            Reply::Reject(_)
        ));
        let prompt = json!({"messageId": "p12", "options": ["Yes", "No"], "orderId": 1, "prompt": true, "reqId": "22170", "text": "Price management", "type": "M"});
        let Reply::Prompt(p) = parse_reply("placeOrder", &prompt).unwrap() else {
            panic!()
        };
        assert_eq!(
            (p.message_id.as_deref(), p.req_id.as_deref()),
            (Some("p12"), Some("22170"))
        );
    }
}
