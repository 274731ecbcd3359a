//! [`OrderOutcome`]: what placing or modifying an order did, told as IBKR told it.
//!
//! An outcome is read from every item of every answer of the question loop. A group
//! (bracket, OCA) whose tickets did not all fare alike is [`OrderOutcome::PartlySubmitted`]:
//! live orders exist, and the user must know which. An order that was not placed because a
//! question was declined is [`OrderOutcome::Declined`], whoever declined it: the policy said
//! no, or nobody answered ([`DeclineReason`]); "not placed" is never split between `Ok` and
//! `Err`. When the wire failed after the order left, the outcome is not an outcome at all
//! but [`Error::OrderStateUnknown`].

use serde::Serialize;

use super::answer::{Item, OrderQuestion, ServerPrompt, SubmittedOrder};
use super::policy::Answer;
use crate::error::{Error, Result};
use crate::vocab::OrderStatus;

/// How placing (or modifying) an order ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OrderOutcome {
    /// IBKR accepted every ticket it answered about, and rejected none.
    Submitted {
        /// The (first) order id.
        order_id: String,
        /// Its status.
        status: OrderStatus,
        /// Every acknowledged order of the group.
        orders: Vec<SubmittedOrder>,
    },
    /// Some tickets are live and others are not: IBKR accepted `orders`, and rejected,
    /// prompted or had a question declined about the rest. Live orders exist: cancel them
    /// or keep them, but do not resend the group.
    PartlySubmitted {
        /// The orders IBKR accepted (they are working).
        orders: Vec<SubmittedOrder>,
        /// IBKR's reject texts.
        rejected: Vec<String>,
        /// Questions that were declined (by the policy, or because it did not cover them).
        declined: Vec<DeclinedQuestion>,
        /// A server prompt IBKR asked and nobody answered.
        prompt: Option<ServerPrompt>,
    },
    /// A question was declined, because the policy said no or because nobody answered it
    /// (see [`DeclinedQuestion::reason`]); IBKR was told `confirmed:false` and discarded the
    /// order. Nothing was placed.
    Declined(DeclinedQuestion),
    /// IBKR asks the user to choose (a server prompt); nothing was answered.
    Prompt(ServerPrompt),
}

impl OrderOutcome {
    /// The orders that are live after this outcome.
    pub fn live_orders(&self) -> &[SubmittedOrder] {
        match self {
            OrderOutcome::Submitted { orders, .. }
            | OrderOutcome::PartlySubmitted { orders, .. } => orders,
            _ => &[],
        }
    }
}

/// A question that was answered `confirmed:false`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeclinedQuestion {
    /// Its messageIds (`o163`, ...): add them to the policy to answer them next time.
    pub message_ids: Vec<String>,
    /// Its text.
    pub text: String,
    /// Who declined it.
    pub reason: DeclineReason,
}

/// Why a question was answered `confirmed:false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    /// The [`AnswerPolicy`](super::AnswerPolicy) said no to it.
    AnsweredNo,
    /// The policy does not cover it: nobody answered, so it was declined (never a silent
    /// yes). Add its messageId to the policy to answer it.
    Unanswered,
}

impl DeclineReason {
    fn of(answer: Answer) -> DeclineReason {
        match answer {
            Answer::No => DeclineReason::AnsweredNo,
            // A "yes" is never declined; anything the policy did not say no to was unanswered.
            Answer::Yes | Answer::Unanswered => DeclineReason::Unanswered,
        }
    }
}

/// Everything the loop has read so far.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    acks: Vec<SubmittedOrder>,
    rejects: Vec<String>,
    declined: Vec<DeclinedQuestion>,
    prompt: Option<ServerPrompt>,
}

impl Tally {
    /// Record the items of one answer; hand back its questions.
    pub(crate) fn read(&mut self, items: Vec<Item>) -> Vec<OrderQuestion> {
        let mut questions = Vec::new();
        for item in items {
            match item {
                Item::Ack(a) => self.acks.push(a),
                Item::Reject(r) => self.rejects.push(r),
                Item::Prompt(p) => self.prompt = Some(p),
                Item::Question(q) => questions.push(q),
            }
        }
        questions
    }

    pub(crate) fn declined(&mut self, q: &OrderQuestion, answer: Answer) {
        self.declined.push(DeclinedQuestion {
            message_ids: q.message_ids.clone(),
            text: q.text.clone(),
            reason: DeclineReason::of(answer),
        });
    }

    /// The outcome once no question is pending.
    pub(crate) fn finish(self, operation: &'static str) -> Result<OrderOutcome> {
        let Tally {
            acks,
            rejects,
            mut declined,
            prompt,
        } = self;
        if !acks.is_empty() {
            if rejects.is_empty() && declined.is_empty() && prompt.is_none() {
                let first = &acks[0];
                return Ok(OrderOutcome::Submitted {
                    order_id: first.order_id.clone(),
                    status: first.status.clone(),
                    orders: acks,
                });
            }
            return Ok(OrderOutcome::PartlySubmitted {
                orders: acks,
                rejected: rejects,
                declined,
                prompt,
            });
        }
        if !rejects.is_empty() {
            return Err(Error::OrderRejected {
                operation,
                message: rejects.join("; "),
            });
        }
        if let Some(p) = prompt {
            return Ok(OrderOutcome::Prompt(p));
        }
        if !declined.is_empty() {
            return Ok(OrderOutcome::Declined(declined.swap_remove(0)));
        }
        Err(Error::Decode {
            operation,
            status: 200,
            reason: "IBKR's answers held no acknowledgement, reject, question or prompt".into(),
            excerpt: String::new(),
        })
    }

    pub(crate) fn has_live_orders(&self) -> bool {
        !self.acks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(id: &str) -> Item {
        Item::Ack(SubmittedOrder {
            order_id: id.into(),
            status: OrderStatus::PreSubmitted,
            client_order_id: None,
        })
    }

    #[test]
    fn an_accepted_parent_with_a_rejected_child_is_partly_submitted() {
        let mut t = Tally::default();
        t.read(vec![ack("1"), Item::Reject("child rejected".into())]);
        let outcome = t.finish("placeOrder").unwrap();
        let OrderOutcome::PartlySubmitted {
            orders, rejected, ..
        } = &outcome
        else {
            panic!("{outcome:?}")
        };
        assert_eq!(orders[0].order_id, "1");
        assert_eq!(rejected, &["child rejected"]);
        assert_eq!(outcome.live_orders().len(), 1);
    }

    fn question(id: &str) -> OrderQuestion {
        OrderQuestion {
            reply_id: format!("reply-{id}"),
            message_ids: vec![id.into()],
            text: format!("question {id}"),
        }
    }

    #[test]
    fn a_declined_question_is_an_outcome_that_says_who_declined_it() {
        for (answer, reason) in [
            (Answer::No, DeclineReason::AnsweredNo),
            (Answer::Unanswered, DeclineReason::Unanswered),
        ] {
            let mut t = Tally::default();
            let q = t.read(vec![Item::Question(question("o354"))]);
            t.declined(&q[0], answer);
            assert_eq!(
                t.finish("placeOrder").unwrap(),
                OrderOutcome::Declined(DeclinedQuestion {
                    message_ids: vec!["o354".into()],
                    text: "question o354".into(),
                    reason,
                })
            );
        }
    }

    #[test]
    fn only_rejects_is_a_rejection_and_only_acks_is_a_submission() {
        let mut t = Tally::default();
        t.read(vec![Item::Reject("no".into())]);
        assert!(matches!(
            t.finish("placeOrder"),
            Err(Error::OrderRejected { .. })
        ));
        let mut t = Tally::default();
        t.read(vec![ack("1"), ack("2")]);
        assert!(matches!(
            t.finish("placeOrder"),
            Ok(OrderOutcome::Submitted { orders, .. }) if orders.len() == 2
        ));
    }
}
