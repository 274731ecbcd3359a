//! What every example shares: a client for the gateway at `$IBKR_GATEWAY_URL`, or, when it
//! is not set, for an embedded simulated gateway on 127.0.0.1 (nothing real is touched).

#![allow(dead_code)]

use ibkr_ext::{GATEWAY_URL_ENV, Ibkr};
use ibkr_sim::{Gateway, RunningGateway};

/// The error type of the examples.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A connected example: the client (with the account set), and the simulator when one runs.
pub struct Example {
    pub ibkr: Ibkr,
    pub account: String,
    pub sim: Option<RunningGateway>,
}

impl Example {
    /// Whether the example talks to the embedded simulator.
    pub fn on_sim(&self) -> bool {
        self.sim.is_some()
    }

    /// Whether the example may place real orders: always on the simulator; on a gateway
    /// only with `IBKR_EXAMPLES_PLACE_ORDERS=yes`.
    pub fn may_place_orders(&self) -> bool {
        self.on_sim() || std::env::var("IBKR_EXAMPLES_PLACE_ORDERS").as_deref() == Ok("yes")
    }
}

/// Connect, open the brokerage session and settle the account.
pub async fn connect() -> Result<Example, BoxError> {
    let (ibkr, sim) = match std::env::var(GATEWAY_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => (Ibkr::builder().base_url(url).build()?, None),
        _ => {
            let gw = Gateway::builder().seed(42).plain_http().start().await?;
            let ibkr = Ibkr::builder().base_url(gw.base_url()).build()?;
            (ibkr, Some(gw))
        }
    };
    ibkr.ensure_brokerage_session().await?;
    let account = ibkr.current_account().await?;
    Ok(Example {
        ibkr: ibkr.with_account(account.as_str()),
        account,
        sim,
    })
}
