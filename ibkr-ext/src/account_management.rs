//! The account-management API (`/gw/api`): account details and status, documents,
//! registration tasks, banking and reports, through the same session as trading.
//!
//! [`Ibkr::account_management`](crate::Ibkr::account_management) gives its 55 operations
//! as calls, like [`Ibkr::api`](crate::Ibkr::api) for trading: they send through this
//! session's wire (the same lane, pacing, retries of idempotent calls only, signing:
//! OAuth 2.0 authenticates `/gw/api`, tracing and [`Secret`](crate::Secret) rules) and end
//! in this crate's [`Error`](crate::Error).
//!
//! ```no_run
//! # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
//! let admin = ibkr.account_management();
//! let details = admin.get_account_details().account_id("U1234567").await?;
//! let status = admin.get_account_status().account_id("U1234567").await?;
//! # let _ = (details, status); Ok(()) }
//! ```
