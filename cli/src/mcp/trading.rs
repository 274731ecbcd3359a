//! The trading tools and `preview_order`, which hands out their confirmations.
//!
//! A placing call passes, in this order: the account guards (allowed, paper unless
//! `--live`), the confirmation (spent), the notional cap (with a fresh last price for a
//! market order), the order budget; then the SDK places the order inside its order lane,
//! answering IBKR's questions only as `--answer` says. Every call, refused or not, ends
//! with one audit line.

use ibkr_ext::orders::{OrderType, TimeInForce};
use ibkr_ext::prelude::*;
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::IbkrMcp;
use super::audit::Entry;
use super::confirm::{CONFIRMATION_TTL, OrderKind, Side as TicketSide, Ticket, Tif, Token};
use super::guards::Refusal;
use super::params::{Amount, Parameters};
use super::result::{ToolError, error_json, live_order_ids, outcome_json};
use super::tools::decimal_of_text;

/// One order, as the assistant writes it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketArgs {
    /// The account id (default: the server's default account; see accounts).
    #[serde(default)]
    pub account: Option<String>,
    /// A US stock symbol (resolved to its conid); give this or `conid`.
    #[serde(default)]
    pub symbol: Option<String>,
    /// The contract id; give this or `symbol`.
    #[serde(default)]
    pub conid: Option<i64>,
    /// BUY or SELL.
    pub side: TicketSide,
    /// How many shares or contracts, above 0 (a decimal; exact text such as "10" is best).
    pub quantity: Amount,
    /// MKT (market), LMT (limit at `price`), STP (stop at `price`), STP_LIMIT (stop at
    /// `stop_price`, then limit at `price`).
    pub order_type: OrderKind,
    /// The limit price (LMT, STP_LIMIT) or the stop price (STP), in the contract's currency.
    #[serde(default)]
    pub price: Option<Amount>,
    /// The stop price of a STP_LIMIT order.
    #[serde(default)]
    pub stop_price: Option<Amount>,
    /// DAY (default), GTC or IOC.
    #[serde(default)]
    pub tif: Option<Tif>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewArgs {
    /// The order to preview.
    pub ticket: TicketArgs,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceArgs {
    /// The order, exactly as previewed.
    pub ticket: TicketArgs,
    /// The `confirmation` preview_order returned for this exact ticket (one use, 5 minutes).
    pub confirmation: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyArgs {
    /// IBKR's id of the working order to change.
    pub order_id: String,
    /// The whole changed order (IBKR needs every field repeated), exactly as previewed.
    pub ticket: TicketArgs,
    /// The `confirmation` preview_order returned for the changed ticket.
    pub confirmation: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelArgs {
    /// IBKR's id of the working order.
    pub order_id: String,
    /// The order's account (default: the server's default account).
    #[serde(default)]
    pub account: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelAllArgs {
    /// The account whose working orders to cancel (default: the server's default account).
    #[serde(default)]
    pub account: Option<String>,
}

/// The SDK's order ticket for a checked [`Ticket`].
fn order_ticket(t: &Ticket) -> OrderTicket {
    let side = match t.side {
        TicketSide::Buy => Side::Buy,
        TicketSide::Sell => Side::Sell,
    };
    let ticket = OrderTicket::new(Conid(t.conid), side, t.quantity).tif(match t.tif {
        Tif::Day => TimeInForce::Day,
        Tif::Gtc => TimeInForce::Gtc,
        Tif::Ioc => TimeInForce::Ioc,
    });
    match (t.order_type, t.price, t.stop_price) {
        (OrderKind::Limit, Some(p), _) => ticket.limit(p),
        (OrderKind::Stop, Some(p), _) => ticket.stop(p),
        (OrderKind::StopLimit, Some(p), Some(s)) => ticket.stop_limit(s, p),
        _ => ticket.order_type(OrderType::Market),
    }
}

/// The price the notional cap multiplies: the limit or stop price (the higher of the two
/// for a stop limit); `None` for a market order.
fn cap_price(t: &Ticket) -> Option<Decimal> {
    match (t.price, t.stop_price) {
        (Some(p), Some(s)) => Some(p.max(s)),
        (p, s) => p.or(s),
    }
}

#[tool_router(router = trading_router, vis = "pub(crate)")]
impl IbkrMcp {
    #[tool(
        description = "Place an order. Needs the `confirmation` preview_order returned for this exact ticket (same account, conid, side, quantity, type, prices, TIF; one use; expires 5 minutes after the preview): show the user the preview and place only when they agree. Guards: allowed accounts, paper accounts only unless the server runs with --live, quantity × price (× last for MKT) at most the server's max notional, a cap on orders per server run. IBKR's order questions are never confirmed unless the server was started with --answer MSGID=yes: they come back as outcome unanswered_question with each messageId and text. Outcomes: placed (order ids), declined, unanswered_question, rejected, partly_placed, prompt, state_unknown (the order MAY be live: check orders before anything else).",
        annotations(
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn place_order(&self, Parameters(a): Parameters<PlaceArgs>) -> CallToolResult {
        self.submit("place_order", None, a.ticket, &a.confirmation)
            .await
    }

    #[tool(
        description = "Change a working order: give its order_id and the whole changed ticket (IBKR needs every field), with the `confirmation` preview_order returned for the changed ticket. The same guards and outcomes as place_order.",
        annotations(
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn modify_order(&self, Parameters(a): Parameters<ModifyArgs>) -> CallToolResult {
        self.submit("modify_order", Some(a.order_id), a.ticket, &a.confirmation)
            .await
    }

    #[tool(
        description = "Ask IBKR to cancel one working order (allowed, paper unless --live). The answer means the request was received, not that the order is cancelled yet: follow it with order_status.",
        annotations(
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn cancel_order(&self, Parameters(a): Parameters<CancelArgs>) -> CallToolResult {
        let ticket = json!({"order_id": a.order_id.trim(), "account": a.account});
        let r = self.cancel(a.account.as_deref(), a.order_id.trim()).await;
        self.audited("cancel_order", ticket, r)
    }
}

#[tool_router(router = cancel_all_router, vis = "pub(crate)")]
impl IbkrMcp {
    #[tool(
        description = "Ask IBKR to cancel EVERY working order of one account (allowed, paper unless --live). Only offered when the server runs with --allow-cancel-all. Follow it with orders.",
        annotations(
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn cancel_all_orders(&self, Parameters(a): Parameters<CancelAllArgs>) -> CallToolResult {
        let ticket = json!({"order_id": "-1", "account": a.account});
        let r = self.cancel(a.account.as_deref(), "-1").await;
        self.audited("cancel_all_orders", ticket, r)
    }
}

#[tool_router(router = preview_router, vis = "pub(crate)")]
impl IbkrMcp {
    #[tool(
        description = "What an order would do (IBKR's what-if: commission, equity and margin before and after), without placing it. Also returns the `confirmation` that place_order needs for this exact ticket (one use, expires in 5 minutes), or null with the reason when place_order would refuse it (trading off, account not allowed, a live account, above the max notional). Show the user the preview before placing.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn preview_order(&self, Parameters(a): Parameters<PreviewArgs>) -> CallToolResult {
        let asked = ticket_echo(&a.ticket);
        match self.preview(a.ticket).await {
            Ok((v, ticket)) => self.audited("preview_order", ticket, Ok(v)),
            Err(e) => self.audited("preview_order", asked, Err(e)),
        }
    }
}

/// The ticket as the assistant gave it, for the audit line of a call refused before the
/// ticket was checked.
fn ticket_echo(t: &TicketArgs) -> Value {
    json!({
        "account": t.account, "symbol": t.symbol, "conid": t.conid, "side": t.side,
        "quantity": t.quantity.0.to_string(), "order_type": t.order_type,
        "price": t.price.map(|p| p.0.to_string()), "stop_price": t.stop_price.map(|p| p.0.to_string()),
        "tif": t.tif,
    })
}

impl IbkrMcp {
    /// Check the arguments and settle the account and conid.
    async fn ticket(&self, a: TicketArgs) -> Result<Ticket, ToolError> {
        let quantity = a.quantity.0;
        if quantity <= Decimal::ZERO {
            return Err(
                Refusal::argument("quantity", format!("must be above 0, not {quantity}")).into(),
            );
        }
        let positive =
            |field: &'static str, p: Option<Amount>| -> Result<Option<Decimal>, Refusal> {
                match p {
                    Some(Amount(d)) if d <= Decimal::ZERO => Err(Refusal::argument(
                        field,
                        format!("must be above 0, not {d}"),
                    )),
                    other => Ok(other.map(|a| a.0)),
                }
            };
        let price = positive("price", a.price)?;
        let stop_price = positive("stop_price", a.stop_price)?;
        match (a.order_type, price, stop_price) {
            (OrderKind::Market, None, None)
            | (OrderKind::Limit | OrderKind::Stop, Some(_), None)
            | (OrderKind::StopLimit, Some(_), Some(_)) => {}
            (OrderKind::Market, _, _) => {
                return Err(
                    Refusal::argument("price", "a MKT order takes no price or stop_price").into(),
                );
            }
            (OrderKind::Limit | OrderKind::Stop, None, _) => {
                return Err(Refusal::argument("price", "LMT and STP orders need a price").into());
            }
            (OrderKind::Limit | OrderKind::Stop, Some(_), Some(_)) => {
                return Err(Refusal::argument(
                    "stop_price",
                    "only STP_LIMIT orders take a stop_price",
                )
                .into());
            }
            (OrderKind::StopLimit, _, _) => {
                return Err(Refusal::argument(
                    "stop_price",
                    "STP_LIMIT orders need both price (the limit) and stop_price",
                )
                .into());
            }
        }
        let account = self.account_for(a.account.as_deref()).await?;
        let conid = match (a.conid, a.symbol.as_deref()) {
            (Some(c), None) if c > 0 => c,
            (Some(c), None) => {
                return Err(Refusal::argument("conid", format!("{c} is not a conid")).into());
            }
            (None, Some(s)) => {
                let keyed = self.instruments(&[s.to_string()], &[]).await?;
                keyed.first().map(|(_, c)| c.0).ok_or_else(|| {
                    Refusal::argument("symbol", format!("{s:?} did not resolve to a conid"))
                })?
            }
            _ => return Err(Refusal::argument("symbol", "give either symbol or conid").into()),
        };
        Ok(Ticket {
            account,
            conid,
            side: a.side,
            quantity,
            order_type: a.order_type,
            price,
            stop_price,
            tif: a.tif.unwrap_or_default(),
        })
    }

    /// The order's notional in the account's currency: quantity × price, or × the last
    /// price for a market order (a fresh snapshot). A contract quoted in another currency
    /// is converted with the ledger's exchange rate.
    async fn notional(&self, t: &Ticket) -> Result<(Decimal, Option<String>), ToolError> {
        let ibkr = self.ibkr().with_account(&t.account);
        let price = match cap_price(t) {
            Some(p) => p,
            None => {
                let quotes = ibkr
                    .snapshot(&[Conid(t.conid)], &[Field::LastPrice])
                    .await?;
                quotes
                    .iter()
                    .find(|q| q.conid.0 == t.conid)
                    .and_then(|q| q.get(Field::LastPrice))
                    .and_then(|v| decimal_of_text(&v.raw))
                    .ok_or_else(|| {
                        Refusal::new(
                            "notional",
                            "no last price for this contract, so a market order cannot be checked against \
                             the max notional: use a limit order",
                        )
                    })?
            }
        };
        let contract = ibkr.contract(Conid(t.conid)).await?;
        let base = ibkr.summary().await?.currency;
        let quoted = Some(contract.currency.clone()).filter(|c| !c.is_empty());
        let rate = match (&quoted, &base) {
            (Some(q), Some(b)) if q != b => {
                let ledger = ibkr.ledger().await?;
                ledger
                    .iter()
                    .find(|l| &l.currency == q)
                    .and_then(|l| l.exchange_rate)
                    .ok_or_else(|| {
                        Refusal::new(
                            "notional",
                            format!("the contract trades in {q} and the ledger has no {q} to {b} rate to check the max notional"),
                        )
                    })?
            }
            _ => Decimal::ONE,
        };
        let notional = self.shared.guards.check_notional(
            t.quantity,
            price * rate,
            base.as_deref().or(quoted.as_deref()),
        )?;
        Ok((notional, base.or(quoted)))
    }

    async fn preview(&self, a: TicketArgs) -> Result<(Value, Value), ToolError> {
        let t = self.ticket(a).await?;
        let ticket_json = serde_json::to_value(&t).unwrap_or(Value::Null);
        self.ready().await?;
        let would_refuse: Option<Refusal> = if !self.shared.trading {
            Some(Refusal::new(
                "trading_disabled",
                "this server is read-only: place_order exists only when the user starts it with --trading",
            ))
        } else {
            self.shared.guards.check_trading_account(&t.account).err()
        };
        let (notional, currency, would_refuse) = match self.notional(&t).await {
            Ok((n, c)) => (Some(n), c, would_refuse),
            Err(ToolError::Refused(r)) => (None, None, would_refuse.or(Some(r))),
            Err(e) => return Err(e),
        };
        let preview = self
            .ibkr()
            .with_account(&t.account)
            .preview(order_ticket(&t))
            .await?;
        let confirmation = match &would_refuse {
            None => Some(self.shared.confirmations.issue(t.clone())?),
            Some(_) => None,
        };
        let next = match (&confirmation, &would_refuse) {
            (Some(_), _) => "show the user this preview; if they agree, call place_order with this exact ticket and the confirmation".to_string(),
            (None, Some(r)) => format!("place_order would refuse this ticket: {}", r.message),
            (None, None) => String::new(),
        };
        let v = json!({
            "ticket": ticket_json,
            "preview": serde_json::to_value(&preview).unwrap_or(Value::Null),
            "notional": notional.map(|n| n.to_string()),
            "notional_currency": currency,
            "max_notional": self.shared.guards.max_notional.normalize().to_string(),
            "confirmation": confirmation.as_ref().map(Token::reveal),
            "expires_in_seconds": confirmation.as_ref().map(|_| CONFIRMATION_TTL.as_secs()),
            "would_refuse": would_refuse.as_ref().map(Refusal::to_json),
            "next": next,
        });
        Ok((v, ticket_json))
    }

    /// place_order and modify_order: guards, confirmation, cap, budget, then IBKR.
    async fn submit(
        &self,
        tool: &'static str,
        order_id: Option<String>,
        a: TicketArgs,
        confirmation: &str,
    ) -> CallToolResult {
        let asked = ticket_echo(&a);
        let t = match self.ticket(a).await {
            Ok(t) => t,
            Err(e) => return self.audited(tool, asked, Err(e)),
        };
        let mut ticket_json = serde_json::to_value(&t).unwrap_or(Value::Null);
        if let Some(id) = &order_id {
            ticket_json["order_id"] = json!(id);
        }
        let checked = async {
            if let Some(id) = &order_id
                && (id.trim().is_empty() || !id.trim().chars().all(|c| c.is_ascii_digit()))
            {
                return Err(ToolError::from(Refusal::argument(
                    "order_id",
                    format!("{id:?} is not an IBKR order id"),
                )));
            }
            self.shared.guards.check_trading_account(&t.account)?;
            self.shared
                .confirmations
                .redeem(&Token::from_text(confirmation), &t)?;
            self.ready().await?;
            self.notional(&t).await?;
            self.shared.guards.take_order_slot()?;
            Ok(())
        }
        .await;
        if let Err(e) = checked {
            return self.audited(tool, ticket_json, Err(e));
        }
        let sdk_ticket = order_ticket(&t);
        let coid = sdk_ticket.client_order_id().to_string();
        let account = self.ibkr().account(&t.account);
        let orders = account.orders();
        let outcome = match &order_id {
            None => orders.place(sdk_ticket, &self.shared.answers).await,
            Some(id) => {
                orders
                    .modify(id.trim(), &sdk_ticket, &self.shared.answers)
                    .await
            }
        };
        let (result, outcome_word, order_ids, message) = match &outcome {
            Ok(o) => {
                let ids = live_order_ids(o);
                match outcome_json(o) {
                    Ok(v) => (CallToolResult::structured(v), "placed", ids, None),
                    Err(v) => {
                        let word = match o {
                            OrderOutcome::PartlySubmitted { .. } => "partly_placed",
                            OrderOutcome::Declined(DeclinedQuestion {
                                reason: DeclineReason::AnsweredNo,
                                ..
                            }) => "declined",
                            OrderOutcome::Declined(DeclinedQuestion {
                                reason: DeclineReason::Unanswered,
                                ..
                            }) => "unanswered_question",
                            OrderOutcome::Prompt(_) => "prompt",
                            _ => "unknown",
                        };
                        let msg = v["message"].as_str().map(String::from);
                        (CallToolResult::structured_error(v), word, ids, msg)
                    }
                }
            }
            Err(e) => (
                CallToolResult::structured_error(error_json(e)),
                super::result::error_kind(e),
                Vec::new(),
                Some(e.to_string()),
            ),
        };
        let mut result = result;
        self.write_audit(
            Entry {
                tool,
                outcome: outcome_word,
                ticket: ticket_json,
                order_ids,
                client_order_ids: vec![coid],
                message,
            },
            &mut result,
        );
        result
    }

    async fn cancel(&self, account: Option<&str>, order_id: &str) -> Result<Value, ToolError> {
        if order_id != "-1"
            && (order_id.is_empty() || !order_id.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(Refusal::argument(
                "order_id",
                format!("{order_id:?} is not an IBKR order id"),
            )
            .into());
        }
        let account = self.account_for(account).await?;
        self.shared.guards.check_trading_account(&account)?;
        self.ready().await?;
        let ack = self.ibkr().with_account(&account).cancel(order_id).await?;
        Ok(json!({
            "outcome": "cancel_requested",
            "account": account,
            "order_id": ack.order_id.unwrap_or_else(|| order_id.to_string()),
            "message": ack.message,
            "next": "IBKR received the request; follow the order with order_status or orders until it is Cancelled",
        }))
    }

    /// Answer a trading call and append its audit line.
    fn audited(
        &self,
        tool: &'static str,
        ticket: Value,
        r: Result<Value, ToolError>,
    ) -> CallToolResult {
        let (outcome, order_ids, message) = match &r {
            Ok(v) => (
                v["outcome"].as_str().unwrap_or("previewed").to_string(),
                v["order_id"]
                    .as_str()
                    .map(|s| vec![s.to_string()])
                    .unwrap_or_default(),
                None,
            ),
            Err(e) => (
                e.outcome().to_string(),
                Vec::new(),
                Some(
                    e.to_json()["message"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
            ),
        };
        let mut result = super::result::respond(r);
        self.write_audit(
            Entry {
                tool,
                outcome: &outcome,
                ticket,
                order_ids,
                client_order_ids: Vec::new(),
                message,
            },
            &mut result,
        );
        result
    }

    /// Append the audit line; a failed write is told in the result (and on stderr).
    pub(crate) fn write_audit(&self, entry: Entry<'_>, result: &mut CallToolResult) {
        if let Err(e) = self.shared.audit.record(entry) {
            let text = format!(
                "the audit line could not be written to {}: {e}",
                self.shared.audit.path().display()
            );
            note!("ibkr mcp: {text}");
            if let Some(Value::Object(o)) = result.structured_content.as_mut() {
                o.insert("audit_error".into(), json!(text));
            }
        }
    }
}
