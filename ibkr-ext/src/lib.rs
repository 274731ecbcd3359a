//! The Interactive Brokers Web API client that Rust traders hold.
//!
//! [`Ibkr`] wraps the generated client of every operation ([`Ibkr::raw`]) with what the raw
//! API leaves to you: configuration, TLS trust for the local gateway, a session keeper,
//! client-side pacing that keeps you out of IBKR's penalty box, brokerage-session recovery,
//! and one typed [`Error`] that says what to do next.
//!
//! ```no_run
//! use ibkr_ext::prelude::*;
//!
//! # async fn demo() -> ibkr_ext::Result<()> {
//! let ibkr = Ibkr::gateway()?;                      // https://localhost:5000/v1/api or $IBKR_GATEWAY_URL
//! ibkr.ensure_brokerage_session().await?;           // ssodh/init when /iserver says "no bridge"
//! let mut session = ibkr.session();                 // the keeper tickles every 60 s
//! let accounts = ibkr.api().get_accounts().await?;
//! println!("{:?} (healthy: {})", accounts.accounts, session.borrow_and_update().is_healthy());
//! # Ok(()) }
//! ```
//!
//! Secrets never leave: errors, `Debug` output and logs mask session ids, tokens, cookies
//! and account numbers (`U***1234`).

#![warn(missing_docs)]

pub mod account;
pub mod account_management;
pub mod alerts;
mod builder;
mod client;
pub mod conid;
pub mod contracts;
pub mod error;
mod exclusive;
pub mod handle;
pub mod history;
pub mod oauth;
pub mod orders;
pub mod portfolio;
pub mod scanner;
pub mod session;
pub mod snapshot;
pub mod stream;
pub mod tls;
mod undecoded;
pub mod vocab;
pub mod watchlists;

pub use account::{AccountSummary, LedgerEntry};
pub use builder::IbkrBuilder;
pub use client::{DEFAULT_GATEWAY_URL, GATEWAY_URL_ENV, Ibkr};
pub use conid::{Conid, ContractCondition, InstrumentCondition, StockQuery};
pub use error::{Error, Result};
pub use handle::Account;
pub use history::{Bar, Bars, HistoryItem};
/// The generated client underneath ([`Ibkr::api`], [`Ibkr::raw`]): its types are named after
/// IBKR's OpenAPI document and may be renamed when the document is regenerated, so they are
/// reached through this path, not re-exported beside this crate's own types.
pub use ibkr_gen as raw_api;
pub use ibkr_gen::Secret;
pub use ibkr_gen::wire::{Rate, RetryPolicy};
pub use oauth::AuthMode;
pub use orders::{
    AnswerPolicy, DeclineReason, DeclinedQuestion, LiveOrder, OrderGroup, OrderOutcome,
    OrderTicket, TimeInForce,
};
pub use portfolio::{PnlRow, Position, Trade};
pub use session::{KeeperConfig, SessionState};
pub use snapshot::{Field, Quote};
pub use stream::{StreamEvent, Streams, Subscription};
pub use vocab::{BarSize, OrderStatus, Period, Side};

/// Everything a typical program needs: `use ibkr_ext::prelude::*;`.
pub mod prelude {
    pub use crate::orders::{OrderType, questions};
    pub use crate::stream::{
        ConnectionEvent, OrderUpdate, QuoteUpdate, StreamConfig, StreamError, StreamErrorKind,
        StreamEvent, Streams, Subscription,
    };
    pub use crate::{
        AnswerPolicy, Bar, BarSize, Bars, Conid, DeclineReason, DeclinedQuestion, Error, Field,
        HistoryItem, Ibkr, IbkrBuilder, OrderGroup, OrderOutcome, OrderStatus, OrderTicket, Period,
        Quote, Result, SessionState, Side, StockQuery, TimeInForce, Trade,
    };
}

/// The README's Rust examples, compiled as doctests so they stay true to the code.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
