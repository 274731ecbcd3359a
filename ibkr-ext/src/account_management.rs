//! The account-management API (`/gw/api`): account details and status, documents,
//! registration tasks, banking and reports, through the same session as trading.
//!
//! [`Ibkr::account_management`] gives the generated client of its 55 operations, sending
//! through this session's wire: the same lane, pacing, retries of idempotent calls only,
//! signing (OAuth 2.0 authenticates `/gw/api`), tracing and [`Secret`](crate::Secret)
//! rules. Send its calls with [`Ibkr::send`] to get this crate's [`Error`](crate::Error).
//!
//! ```no_run
//! # async fn demo(ibkr: ibkr_ext::Ibkr) -> ibkr_ext::Result<()> {
//! let admin = ibkr.account_management();
//! let details = ibkr.send(admin.get_account_details().account_id("U1234567")).await?;
//! let status = ibkr.send(admin.get_account_status().account_id("U1234567")).await?;
//! # let _ = (details, status); Ok(()) }
//! ```

use ibkr_gen::account_management;
use progenitor_client::ClientInfo as _;

use crate::Ibkr;

impl Ibkr {
    /// The account-management client of this session. Its base is the trading API's origin
    /// (`https://api.ibkr.com` for `https://api.ibkr.com/v1/api`), where IBKR serves
    /// `/gw/api`; it keeps the session alive like any other handle.
    pub fn account_management(&self) -> account_management::Client {
        let raw = self.raw();
        account_management::Client::new_with_client(
            self.login_url(),
            raw.client().clone(),
            raw.wire().clone(),
        )
    }
}
