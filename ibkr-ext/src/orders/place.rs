//! Placing and modifying orders: the question/reply loop, inside the order lane.

use std::collections::VecDeque;

use ibkr_gen::RawCall;
use ibkr_gen::trading::builder::{ModifyOrder, PlaceOrder};
use ibkr_gen::trading::types::{
    OrderAnswer, OrdersSubmissionRequest, ReplyToOrderQuestionBody, SingleOrderSubmissionRequest,
};

use super::MAX_ROUNDS;
use super::answer::{self, OrderQuestion};
use super::outcome::{OrderOutcome, Tally};
use super::policy::{Answer, AnswerPolicy};
use super::ticket::{OrderGroup, OrderTicket};
use crate::Ibkr;
use crate::error::{Error, Result};

impl Ibkr {
    /// Place an order (or a bracket/OCA group) for the default account, answering IBKR's
    /// questions only as `policy` says. See the module documentation for the rules; for
    /// another account, `ibkr.account(id).orders().place(..)`.
    pub async fn place(
        &self,
        order: impl Into<OrderGroup>,
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        let account = self.require_account(PlaceOrder::OPERATION)?;
        let group = order.into();
        let coids: Vec<String> = group
            .tickets()
            .iter()
            .map(|t| t.client_order_id().to_string())
            .collect();
        let submission = Submission::Place {
            account: account.to_string(),
            body: group.wire_body(),
        };
        self.submit(submission, &coids, policy).await
    }

    /// Change a working order: `ticket` must repeat every field of the original (IBKR's
    /// rule), with the changes. Questions are answered as in [`Ibkr::place`].
    pub async fn modify(
        &self,
        order_id: &str,
        ticket: &OrderTicket,
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        let account = self.require_account(ModifyOrder::OPERATION)?.to_string();
        let coids = [ticket.client_order_id().to_string()];
        let submission = Submission::Modify {
            account,
            order_id: order_id.to_string(),
            body: ticket.wire_body(),
        };
        self.submit(submission, &coids, policy).await
    }

    /// Send an order body and run the question loop, all inside the order lane.
    async fn submit(
        &self,
        submission: Submission,
        coids: &[String],
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        self.ready_for_orders().await?;
        let unknown = |e: Error| e.order_state_unknown(coids);
        let operation = submission.operation();
        self.exclusive(|lane| async move {
            let first = submission.send(&lane).await.map_err(unknown)?;
            lane.answer_loop(operation, first, policy)
                .await
                .map_err(unknown)
        })
        .await
    }

    /// Orders are never repeated after `no bridge`, so open the brokerage session first
    /// unless the session is known to be authenticated.
    async fn ready_for_orders(&self) -> Result<()> {
        if !self.core().current().authenticated {
            self.ensure_brokerage_session().await?;
        }
        Ok(())
    }

    async fn reply(&self, reply_id: &str, confirmed: bool) -> Result<OrderAnswer> {
        let body = ReplyToOrderQuestionBody {
            confirmed: Some(confirmed),
        };
        self.api()
            .reply_to_order_question()
            .reply_id(reply_id)
            .body(body)
            .await
    }

    /// Read every answer; decide every question of one answer before reading the next.
    async fn answer_loop(
        &self,
        operation: &'static str,
        first: OrderAnswer,
        policy: &AnswerPolicy,
    ) -> Result<OrderOutcome> {
        let mut tally = Tally::default();
        let mut answers = VecDeque::from([first]);
        let mut rounds = 0usize;
        while let Some(answer) = answers.pop_front() {
            let questions = tally.read(answer::items(operation, &answer)?);
            if questions.is_empty() {
                continue;
            }
            let decisions: Vec<Answer> = questions
                .iter()
                .map(|q| policy.decide(&q.message_ids, &q.text))
                .collect();
            if let Some(i) = decisions.iter().position(|d| *d != Answer::Yes) {
                tracing::info!(message_ids = ?questions[i].message_ids, "order question declined");
                tally.declined(&questions[i], decisions[i]);
                self.decline_all(&questions).await;
                continue;
            }
            rounds += 1;
            if rounds > MAX_ROUNDS {
                self.decline_all(&questions).await;
                if tally.has_live_orders() {
                    tally.declined(&questions[0], Answer::Unanswered);
                    return tally.finish(operation);
                }
                return Err(Error::TooManyQuestions { rounds: MAX_ROUNDS });
            }
            for q in &questions {
                tracing::info!(message_ids = ?q.message_ids, "order question confirmed by policy");
                answers.push_back(self.reply(&q.reply_id, true).await?);
            }
        }
        tally.finish(operation)
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

/// An order request, sent through its generated builder: the builder percent-encodes the
/// account and order ids into the path, so no argument can point the request elsewhere.
enum Submission {
    Place {
        account: String,
        body: OrdersSubmissionRequest,
    },
    Modify {
        account: String,
        order_id: String,
        body: SingleOrderSubmissionRequest,
    },
}

impl Submission {
    fn operation(&self) -> &'static str {
        match self {
            Submission::Place { .. } => PlaceOrder::OPERATION,
            Submission::Modify { .. } => ModifyOrder::OPERATION,
        }
    }

    async fn send(self, lane: &Ibkr) -> Result<OrderAnswer> {
        let raw = lane.raw();
        match self {
            Submission::Place { account, body } => {
                lane.send(raw.place_order().account_id(account).body(body))
                    .await
            }
            Submission::Modify {
                account,
                order_id,
                body,
            } => {
                lane.send(
                    raw.modify_order()
                        .account_id(account)
                        .order_id(order_id)
                        .body(body),
                )
                .await
            }
        }
    }
}
