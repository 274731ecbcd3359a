//! What one order POST or reply answered, item by item, as IBKR sent it.
//!
//! IBKR answers `placeOrder`, `modifyOrder` and `replyToOrderQuestion` with HTTP 200 and one
//! of several shapes: a list of acknowledgements, a list of questions, `{"error": ...}`, a
//! server prompt (`prompt: true`), or a list that mixes them (a bracket whose parent was
//! accepted and whose child was rejected). Nothing is dropped: every item is kept.

use ibkr_gen::trading::types::{OrderAnswer, OrderNotice, OrderReply};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::vocab::OrderStatus;

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
    /// Its status (`Submitted`, `PreSubmitted`, `Filled`, ...; `Other("")` when IBKR sent
    /// none).
    pub status: OrderStatus,
    /// The client order id IBKR echoed (`local_order_id`), when it did.
    pub client_order_id: Option<String>,
}

/// One item of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    Ack(SubmittedOrder),
    Question(OrderQuestion),
    Reject(String),
    Prompt(ServerPrompt),
}

/// Every item of one answer, in IBKR's order. The answer was decoded by the generated
/// [`OrderAnswer`] (the type the contract tests prove against IBKR's recorded answers); this
/// only tells its items apart.
pub(crate) fn items(operation: &'static str, answer: &OrderAnswer) -> Result<Vec<Item>> {
    let decode_error = |reason: &str| Error::Decode {
        operation,
        status: 200,
        reason: reason.to_string(),
        excerpt: crate::error::excerpt(
            serde_json::to_string(answer).unwrap_or_default().as_bytes(),
        ),
    };
    let read: Option<Vec<Item>> = match answer {
        OrderAnswer::Notice(notice) => notice_item(notice).map(|i| vec![i]),
        OrderAnswer::Replies(replies) if replies.is_empty() => {
            return Err(decode_error("IBKR answered an empty list"));
        }
        OrderAnswer::Replies(replies) => replies.iter().map(reply_item).collect(),
    };
    read.ok_or_else(|| {
        decode_error(
            "an order answer item is neither a question, an acknowledgement, a reject nor a prompt",
        )
    })
}

/// An object answer: `{"error": ...}` or a server prompt.
fn notice_item(notice: &OrderNotice) -> Option<Item> {
    if let Some(e) = &notice.error {
        return Some(Item::Reject(e.clone()));
    }
    if notice.prompt != Some(true) {
        return None;
    }
    Some(Item::Prompt(ServerPrompt {
        message_id: notice.message_id.clone(),
        text: notice.text.clone().unwrap_or_default(),
        options: notice.options.clone(),
        order_id: notice.order_id.map(|id| id.to_string()),
        req_id: notice.req_id.clone(),
    }))
}

/// One item of a list answer: a question (`id`), an acknowledgement (`order_id`) or the
/// reject of one order of a group (`error`).
fn reply_item(reply: &OrderReply) -> Option<Item> {
    if let Some(e) = &reply.error {
        return Some(Item::Reject(e.clone()));
    }
    if let Some(id) = &reply.id {
        return Some(Item::Question(OrderQuestion {
            reply_id: id.clone(),
            message_ids: reply.message_ids.clone(),
            text: reply.message.join("\n"),
        }));
    }
    Some(Item::Ack(SubmittedOrder {
        order_id: reply.order_id.clone()?,
        status: OrderStatus::from_ibkr(reply.order_status.as_deref().unwrap_or_default()),
        client_order_id: reply.local_order_id.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn read(v: Value) -> Result<Vec<Item>> {
        let answer: OrderAnswer = serde_json::from_value(v).expect("decodes as OrderAnswer");
        items("placeOrder", &answer)
    }

    #[test]
    fn the_four_real_answer_shapes_are_read() {
        // The shapes of tests/fixtures/responses/placeOrder/ (ack, question, reject, prompt).
        let ack = json!([{"order_id": "1234567890", "order_status": "Submitted", "encrypt_message": "1"}]);
        assert!(matches!(&read(ack).unwrap()[..], [Item::Ack(a)] if a.order_id == "1234567890"));
        let question = json!([{"id": "07a13a5a-4a48-44a5-bb25-5ab37b79186c", "message": ["The following order exceeds the price percentage limit"], "isSuppressed": false, "messageIds": ["o163"]}]);
        let [Item::Question(q)] = &read(question).unwrap()[..] else {
            panic!("one question")
        };
        assert_eq!(q.message_ids, ["o163"]);
        let reject = json!({"error": "We cannot accept an order at the limit price you selected."});
        assert!(matches!(&read(reject).unwrap()[..], [Item::Reject(_)]));
        let prompt = json!({"messageId": "p12", "options": ["Yes", "No"], "orderId": 1, "prompt": true, "reqId": "22170", "text": "Price management", "type": "M"});
        let [Item::Prompt(p)] = &read(prompt).unwrap()[..] else {
            panic!("one prompt")
        };
        assert_eq!(
            (p.message_id.as_deref(), p.req_id.as_deref()),
            (Some("p12"), Some("22170"))
        );
    }

    #[test]
    fn a_mixed_answer_keeps_every_item() {
        let mixed = json!([
            {"order_id": "111", "order_status": "PreSubmitted", "local_order_id": "parent-1"},
            {"error": "Child order rejected: price outside the allowed range"}
        ]);
        let read = read(mixed).unwrap();
        assert_eq!(read.len(), 2);
        assert!(
            matches!(&read[0], Item::Ack(a) if a.client_order_id.as_deref() == Some("parent-1"))
        );
        assert!(matches!(&read[1], Item::Reject(m) if m.contains("Child order rejected")));
    }

    #[test]
    fn an_unknown_item_is_a_decode_error_not_a_panic() {
        assert!(read(json!([{"surprise": 1}])).is_err());
        assert!(read(json!([])).is_err());
        assert!(read(json!({"surprise": 1})).is_err());
        // Not an answer shape at all: the generated type refuses it.
        assert!(serde_json::from_value::<OrderAnswer>(json!("text")).is_err());
    }
}
