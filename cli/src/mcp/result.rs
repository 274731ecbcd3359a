//! Tool results: structured content for answers, refusals, SDK errors and order outcomes,
//! each with the one-line "what to do next" the assistant should act on.
//!
//! Money is exact decimal text (`"193.05"`), never a float that was rounded on the way.

use ibkr_ext::Error;
use ibkr_ext::prelude::*;
use rmcp::model::CallToolResult;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::guards::Refusal;

/// Why a tool did not answer.
#[derive(Debug)]
pub enum ToolError {
    /// A guard or an argument check said no; nothing reached IBKR.
    Refused(Refusal),
    /// The SDK's error.
    Ibkr(Error),
    /// The SDK's error about one argument (a symbol that does not resolve).
    InField { field: &'static str, error: Error },
    /// Anything else (a Flex error, a file that does not parse): kind and text.
    Other { kind: &'static str, message: String },
}

impl From<Refusal> for ToolError {
    fn from(r: Refusal) -> Self {
        ToolError::Refused(r)
    }
}

impl From<Error> for ToolError {
    fn from(e: Error) -> Self {
        ToolError::Ibkr(e)
    }
}

impl ToolError {
    pub fn other(kind: &'static str, message: impl Into<String>) -> ToolError {
        ToolError::Other {
            kind,
            message: message.into(),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            ToolError::Refused(r) => r.to_json(),
            ToolError::Ibkr(e) => error_json(e),
            ToolError::InField { field, error } => {
                let mut v = error_json(error);
                v["field"] = json!(field);
                v
            }
            ToolError::Other { kind, message } => json!({
                "error": kind,
                "message": message,
            }),
        }
    }

    /// The outcome word for the audit line.
    pub fn outcome(&self) -> &'static str {
        match self {
            ToolError::Refused(_) => "refused",
            ToolError::Ibkr(e) | ToolError::InField { error: e, .. } => error_kind(e),
            ToolError::Other { .. } => "error",
        }
    }
}

/// A tool's answer: structured content, `isError` when it failed.
pub fn respond(r: Result<Value, ToolError>) -> CallToolResult {
    match r {
        Ok(v) => CallToolResult::structured(v),
        Err(e) => CallToolResult::structured_error(e.to_json()),
    }
}

/// Exact decimal text, or `null`.
pub fn dec(d: Option<Decimal>) -> Value {
    d.map(|d| Value::String(d.to_string()))
        .unwrap_or(Value::Null)
}

/// One word per SDK error, stable for assistants to branch on.
pub fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::NotAuthenticated { .. } => "not_authenticated",
        Error::NoBrokerageSession { .. } => "no_brokerage_session",
        Error::RateLimited { .. } => "rate_limited",
        Error::Api { .. } => "ibkr_error",
        Error::Decode { .. } => "unreadable_answer",
        Error::Transport { .. } => "gateway_unreachable",
        Error::AccessDenied { .. } => "gateway_refused_client",
        Error::UpstreamUnreachable { .. } => "ibkr_unreachable",
        Error::Timeout { .. } => "timeout",
        Error::InvalidRequest { .. } => "invalid_request",
        Error::NotFound { .. } => "not_found",
        Error::Resolve { .. } => "symbol_not_resolved",
        Error::OrderRejected { .. } => "rejected",
        Error::TooManyQuestions { .. } => "too_many_questions",
        Error::OrderStateUnknown { .. } => "state_unknown",
        Error::OutcomeUnknown { .. } => "outcome_unknown",
        Error::NotSigned { .. } | Error::OAuthConfig { .. } | Error::OAuth { .. } => "login_failed",
        Error::Config(_) => "configuration",
        _ => "error",
    }
}

/// What to do next, in one line, per SDK error.
fn next_step(e: &Error) -> String {
    match e {
        Error::NotAuthenticated { login_url, .. } => format!(
            "the gateway is not logged in: ask the user to log in at {login_url}, then call again"
        ),
        Error::NoBrokerageSession { .. } => {
            "another session (TWS, mobile) may have taken over: ask the user to close it or log in again".into()
        }
        Error::RateLimited { .. } => "wait a minute before calling this tool again".into(),
        Error::Transport { .. } | Error::UpstreamUnreachable { .. } | Error::AccessDenied { .. } => {
            "the gateway cannot be reached as configured: tell the user the message; retrying will not help".into()
        }
        Error::Resolve { .. } => {
            "pick a conid from the candidates, or narrow the symbol (exchange, name_match) with resolve_conids".into()
        }
        Error::OrderRejected { .. } => {
            "IBKR rejected the order and nothing is live: tell the user IBKR's reason; change the ticket only if the user asks".into()
        }
        Error::TooManyQuestions { .. } => {
            "nothing was placed; IBKR kept asking questions: tell the user".into()
        }
        Error::OrderStateUnknown { client_order_ids, .. } => format!(
            "the order MAY BE LIVE. Do not place it again. Call orders and look for client order id {} \
             (order_ref) to learn whether it exists, and tell the user",
            client_order_ids.join(", ")
        ),
        Error::OutcomeUnknown { .. } => {
            "the request may have taken effect: check (orders, order_status) before calling it again".into()
        }
        Error::InvalidRequest { .. } => "fix the arguments and call again".into(),
        Error::NotFound { .. } => "check the id or name (list them first) and call again".into(),
        _ => "tell the user the message".into(),
    }
}

/// An SDK error as structured content.
pub fn error_json(e: &Error) -> Value {
    let mut v = json!({
        "error": error_kind(e),
        "message": e.to_string(),
        "next": next_step(e),
    });
    match e {
        Error::OrderStateUnknown {
            client_order_ids, ..
        } => {
            v["placed"] = json!("unknown");
            v["client_order_ids"] = json!(client_order_ids);
        }
        Error::OrderRejected { message, .. } => {
            v["placed"] = json!(false);
            v["reason"] = json!(message);
        }
        Error::TooManyQuestions { .. } => v["placed"] = json!(false),
        Error::Resolve {
            symbol, candidates, ..
        } => {
            v["field_value"] = json!(symbol);
            v["candidates"] = candidates
                .iter()
                .map(|c| json!({"conid": c.conid.0, "name": c.name, "exchange": c.exchange, "is_us": c.is_us}))
                .collect();
        }
        _ => {}
    }
    v
}

/// An order outcome: `Ok` when every ticket is live, `Err` (a tool error) otherwise.
pub fn outcome_json(o: &OrderOutcome) -> Result<Value, Value> {
    let orders = |list: &[ibkr_ext::orders::SubmittedOrder]| -> Value {
        list.iter()
            .map(|o| json!({"order_id": o.order_id, "status": o.status, "client_order_id": o.client_order_id}))
            .collect()
    };
    match o {
        OrderOutcome::Submitted {
            order_id,
            status,
            orders: list,
        } => Ok(json!({
            "outcome": "placed",
            "placed": true,
            "order_id": order_id,
            "status": status,
            "orders": orders(list),
            "next": format!("the order is live: follow it with order_status {order_id}; cancel_order cancels it"),
        })),
        OrderOutcome::PartlySubmitted {
            orders: list,
            rejected,
            declined,
            prompt,
        } => Err(json!({
            "error": "partly_placed",
            "outcome": "partly_placed",
            "placed": "partly",
            "live_orders": orders(list),
            "rejected": rejected,
            "declined": declined.iter().map(|d| json!({"message_ids": d.message_ids, "text": d.text, "by_policy": d.reason == DeclineReason::AnsweredNo})).collect::<Vec<_>>(),
            "prompt": prompt.as_ref().map(prompt_json),
            "message": "the order group was PARTLY placed: some orders are live, the rest are not",
            "next": "tell the user which orders are live; cancel them with cancel_order or keep them, but never resend the group",
        })),
        OrderOutcome::Declined(DeclinedQuestion {
            message_ids,
            text,
            reason: DeclineReason::AnsweredNo,
        }) => Err(json!({
            "error": "declined",
            "outcome": "declined",
            "placed": false,
            "questions": [{"message_ids": message_ids, "text": text}],
            "message": "IBKR asked a question that this server's --answer declines; the order was discarded",
            "next": "nothing was placed; tell the user the question and that the server declines it",
        })),
        OrderOutcome::Declined(DeclinedQuestion {
            message_ids,
            text,
            reason: DeclineReason::Unanswered,
        }) => Err(json!({
            "error": "unanswered_question",
            "outcome": "unanswered_question",
            "placed": false,
            "questions": [{"message_ids": message_ids, "text": text}],
            "message": format!(
                "IBKR asked [{}] and no --answer covers it, so the order was declined (confirmed:false) and discarded",
                message_ids.join(",")
            ),
            "next": format!(
                "nothing was placed. Show the user IBKR's question. This server never answers questions itself: \
                 only the user can, by restarting it with --answer {}=yes; then preview and place again",
                message_ids.first().map(String::as_str).unwrap_or("MSGID")
            ),
        })),
        OrderOutcome::Prompt(p) => Err(json!({
            "error": "prompt",
            "outcome": "prompt",
            "placed": false,
            "prompt": prompt_json(p),
            "message": "IBKR asks the user to choose; nothing was answered",
            "next": "show the user IBKR's prompt and its options; nothing was placed",
        })),
        // OrderOutcome is non-exhaustive in spirit: anything new is reported, never hidden.
        #[allow(unreachable_patterns)]
        other => Err(json!({
            "error": "unknown_outcome",
            "placed": "unknown",
            "message": format!("{other:?}"),
            "next": "check orders before doing anything else",
        })),
    }
}

fn prompt_json(p: &ibkr_ext::orders::ServerPrompt) -> Value {
    json!({"message_id": p.message_id, "text": p.text, "options": p.options, "order_id": p.order_id})
}

/// A ticket's order ids for the audit line: the live orders of an outcome.
pub fn live_order_ids(o: &OrderOutcome) -> Vec<String> {
    o.live_orders().iter().map(|s| s.order_id.clone()).collect()
}
