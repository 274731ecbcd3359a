//! What one order POST or reply answered, item by item, as IBKR sent it.
//!
//! IBKR answers `placeOrder`, `modifyOrder` and `replyToOrderQuestion` with HTTP 200 and one
//! of several shapes: a list of acknowledgements, a list of questions, `{"error": ...}`, a
//! server prompt (`prompt: true`), or a list that mixes them (a bracket whose parent was
//! accepted and whose child was rejected). Nothing is dropped: every item is kept.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::json_call::json_text;

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

/// Every item of one answer, in IBKR's order.
pub(crate) fn items(operation: &'static str, v: &Value) -> Result<Vec<Item>> {
    let decode_error = |reason: &str| Error::Decode {
        operation,
        status: 200,
        reason: reason.to_string(),
        excerpt: crate::error::excerpt(v.to_string().as_bytes()),
    };
    let list: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![v],
        _ => {
            return Err(decode_error(
                "an order answer is neither a list nor an object",
            ));
        }
    };
    if list.is_empty() {
        return Err(decode_error("IBKR answered an empty list"));
    }
    list.into_iter()
        .map(|item| {
            item_of(item).ok_or_else(|| {
                decode_error("an order answer item is neither a question, an acknowledgement, a reject nor a prompt")
            })
        })
        .collect()
}

fn item_of(item: &Value) -> Option<Item> {
    if let Some(e) = item.get("error").and_then(Value::as_str) {
        return Some(Item::Reject(e.to_string()));
    }
    if item.get("prompt").and_then(Value::as_bool) == Some(true) {
        return Some(Item::Prompt(ServerPrompt {
            message_id: json_text(item.get("messageId")),
            text: json_text(item.get("text")).unwrap_or_default(),
            options: texts(item.get("options")),
            order_id: json_text(item.get("orderId")),
            req_id: json_text(item.get("reqId")),
        }));
    }
    if let (Some(id), Some(message)) = (json_text(item.get("id")), item.get("message")) {
        let text = match message {
            Value::Array(_) => texts(Some(message)).join("\n"),
            other => json_text(Some(other)).unwrap_or_default(),
        };
        return Some(Item::Question(OrderQuestion {
            reply_id: id,
            message_ids: texts(item.get("messageIds")),
            text,
        }));
    }
    let order_id = json_text(item.get("order_id")).or_else(|| json_text(item.get("orderId")))?;
    Some(Item::Ack(SubmittedOrder {
        order_id,
        status: json_text(item.get("order_status"))
            .or_else(|| json_text(item.get("status")))
            .unwrap_or_default(),
        client_order_id: json_text(item.get("local_order_id")),
    }))
}

fn texts(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| json_text(Some(x))).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_four_real_answer_shapes_are_read() {
        // fixtures/cp: POST_iserver_account_{accountId}_orders{,__question,__reject_200,__spec_prompt_p12}.json
        let ack = json!([{"order_id": "1234567890", "order_status": "Submitted", "encrypt_message": "1"}]);
        assert!(
            matches!(&items("placeOrder", &ack).unwrap()[..], [Item::Ack(a)] if a.order_id == "1234567890")
        );
        let question = json!([{"id": "07a13a5a-4a48-44a5-bb25-5ab37b79186c", "message": ["The following order exceeds the price percentage limit"], "isSuppressed": false, "messageIds": ["o163"]}]);
        let [Item::Question(q)] = &items("placeOrder", &question).unwrap()[..] else {
            panic!("one question")
        };
        assert_eq!(q.message_ids, ["o163"]);
        let reject = json!({"error": "We cannot accept an order at the limit price you selected."});
        assert!(matches!(
            &items("placeOrder", &reject).unwrap()[..],
            [Item::Reject(_)]
        ));
        let prompt = json!({"messageId": "p12", "options": ["Yes", "No"], "orderId": 1, "prompt": true, "reqId": "22170", "text": "Price management", "type": "M"});
        let [Item::Prompt(p)] = &items("placeOrder", &prompt).unwrap()[..] else {
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
        let read = items("placeOrder", &mixed).unwrap();
        assert_eq!(read.len(), 2);
        assert!(
            matches!(&read[0], Item::Ack(a) if a.client_order_id.as_deref() == Some("parent-1"))
        );
        assert!(matches!(&read[1], Item::Reject(m) if m.contains("Child order rejected")));
    }

    #[test]
    fn an_unknown_item_is_a_decode_error_not_a_panic() {
        assert!(items("placeOrder", &json!([{"surprise": 1}])).is_err());
        assert!(items("placeOrder", &json!([])).is_err());
        assert!(items("placeOrder", &json!("text")).is_err());
    }
}
