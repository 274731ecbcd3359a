//! The simulated broker: order tickets, questions, fills, account books and valuations.
//!
//! Ownership: [`Desk`] owns the trading state (account books, orders, executions, cash
//! movements, the pending reply, suppressed questions); the world holds it as one field and
//! lends the rest of what a call needs (catalog, quotes, id mint, journal, which conids have
//! market data, the precautions) as an [`Env`] for that call (`World::trade`). Nothing here
//! imports the world. Desk answers are domain values ([`desk::OrderAnswer`] and friends);
//! `routes` renders them as HTTP.

use std::collections::{BTreeSet, HashSet, VecDeque};

use crate::ids::IdMint;
use crate::journal::{Journal, OrderOutcome};
use crate::market::catalog::{Catalog, Contract};
use crate::market::quotes::Quotes;

pub(crate) mod book;
pub(crate) mod desk;
pub(crate) mod fills;
pub(crate) mod precautions;
pub(crate) mod questions;
pub(crate) mod seeded_history;
pub(crate) mod ticket;
pub(crate) mod valuation;

use book::{AccountBook, CashMovement, Execution, Order};
use precautions::Precautions;
use questions::Question;
use ticket::Ticket;

/// What a pending reply id stands for.
#[derive(Debug, Clone)]
pub(crate) enum PendingWork {
    /// New orders for an account.
    Place {
        account: String,
        tickets: Vec<Ticket>,
    },
    /// A modification of a live order.
    Modify { order_id: u64, ticket: Ticket },
}

/// An order waiting for the client's answer to a question.
#[derive(Debug, Clone)]
pub(crate) struct PendingReply {
    pub reply_id: String,
    pub work: PendingWork,
    /// Questions still to ask after the current one.
    pub remaining: VecDeque<Question>,
    /// Indices of the journal's order records this submission created.
    pub records: Vec<usize>,
}

/// The trading state of the simulated accounts.
#[derive(Debug)]
pub(crate) struct Desk {
    pub books: Vec<AccountBook>,
    pub orders: Vec<Order>,
    pub executions: Vec<Execution>,
    pub cash_movements: Vec<CashMovement>,
    /// The order waiting for an answer to its question (one at a time, as on the gateway).
    pending: Option<PendingReply>,
    /// Question message ids suppressed in this brokerage session.
    pub suppressed: BTreeSet<String>,
}

/// What the desk borrows from the world for one call.
#[derive(Debug)]
pub(crate) struct Env<'a> {
    pub catalog: &'a Catalog,
    pub quotes: &'a mut Quotes,
    pub ids: &'a mut IdMint,
    pub journal: &'a mut Journal,
    /// Conids a snapshot was requested for in this brokerage session (question 21's rule).
    pub market_data: &'a HashSet<u64>,
    pub precautions: &'a Precautions,
}

impl Env<'_> {
    pub(crate) fn contract(&self, conid: u64) -> Option<Contract> {
        self.catalog.get(conid).cloned()
    }

    /// The current last price of a contract (its opening price if never quoted).
    pub(crate) fn last_price(&mut self, contract: &Contract) -> f64 {
        self.quotes.last(contract)
    }
}

impl Desk {
    /// Empty books for `accounts`.
    pub(crate) fn new(accounts: &[String]) -> Self {
        Desk {
            books: accounts.iter().map(|a| AccountBook::new(a)).collect(),
            orders: Vec::new(),
            executions: Vec::new(),
            cash_movements: Vec::new(),
            pending: None,
            suppressed: BTreeSet::new(),
        }
    }

    pub(crate) fn book(&self, account: &str) -> Option<&AccountBook> {
        self.books.iter().find(|b| b.id == account)
    }

    pub(crate) fn book_mut(&mut self, account: &str) -> Option<&mut AccountBook> {
        self.books.iter_mut().find(|b| b.id == account)
    }

    /// Whether `account` is one of the simulated accounts.
    pub(crate) fn has_account(&self, account: &str) -> bool {
        self.book(account).is_some()
    }

    /// A new brokerage session: suppressed questions and the pending reply belong to the old
    /// one.
    pub(crate) fn begin_session(&mut self, journal: &mut Journal) {
        self.suppressed.clear();
        self.drop_pending(journal, OrderOutcome::Invalidated);
    }

    /// Forget the pending reply (if any), marking its orders with `outcome`.
    pub(crate) fn drop_pending(&mut self, journal: &mut Journal, outcome: OrderOutcome) {
        if let Some(p) = self.pending.take() {
            for i in p.records {
                if let Some(r) = journal.orders.get_mut(i) {
                    r.outcome = outcome.clone();
                }
            }
        }
    }
}
