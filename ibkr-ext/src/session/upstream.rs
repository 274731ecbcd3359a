//! The upstream watchdog: tells "the gateway is up but cannot reach IBKR" from a slow call.
//!
//! The Client Portal Gateway proxies `/v1/api` to IBKR. When it cannot reach IBKR (no
//! network, no DNS), it never answers a proxied call: the real gateway held one open for
//! 590 s. Its own routes still answer (`GET /` redirects to the login page at once).
//!
//! So when a repeatable call has had no answer for [`STALL_AFTER`], the watchdog probes,
//! once for every caller waiting at that moment (single flight, the verdict cached for
//! [`VERDICT_TTL`]):
//! - `POST /tickle`, a proxied call, with a [`PROBE_TIMEOUT`];
//! - `GET /`, a local route, with the same timeout.
//!
//! Only "tickle unanswered, root answered" is a verdict: the call fails with
//! [`Error::UpstreamUnreachable`] about [`STALL_AFTER`] + [`PROBE_TIMEOUT`] after it was
//! sent, well inside the 30 s request timeout. A tickle that answers (with any status) means
//! IBKR is reachable and the call is merely slow: it keeps its own timeout. Calls that must
//! not be repeated (orders, replies) are never abandoned early: they keep their timeout and
//! report an unknown outcome, as before.
//!
//! **Locks.** `verdict` is a leaf: it is held only while the probe's two requests run, and
//! they go straight to the HTTP client (no lane, no pacing, no signing), so it never waits
//! on another lock of the session.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;

/// How long a repeatable call waits for its answer before the watchdog probes.
pub const STALL_AFTER: Duration = Duration::from_secs(12);
/// The probe requests' timeout.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a verdict stands for later stalled calls.
const VERDICT_TTL: Duration = Duration::from_secs(5);

/// What the probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    /// IBKR answered a proxied call.
    Reachable,
    /// The gateway answers, IBKR does not.
    Unreachable,
    /// The gateway itself does not answer: no verdict about IBKR.
    GatewayQuiet,
}

/// The watchdog of one gateway session.
pub(crate) struct UpstreamWatch {
    /// A client with the session's TLS trust and local address, which follows no redirect.
    http: reqwest::Client,
    tickle_url: String,
    root_url: String,
    stall_after: Duration,
    verdict: tokio::sync::Mutex<Option<(Instant, Reach)>>,
}

impl UpstreamWatch {
    pub(crate) fn new(
        http: reqwest::Client,
        base_url: &str,
        login_url: &str,
        stall_after: Duration,
    ) -> Self {
        Self {
            http,
            tickle_url: format!("{base_url}/tickle"),
            root_url: format!("{login_url}/"),
            stall_after,
            verdict: tokio::sync::Mutex::new(None),
        }
    }

    /// Await `call`; when `operation` may be repeated and the call stalls while the
    /// gateway is cut off from IBKR, give up on it with [`Error::UpstreamUnreachable`].
    pub(crate) async fn guard<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = T>,
    ) -> Result<T, Error> {
        let repeatable = ibkr_gen::operations::find(operation).is_some_and(|o| o.idempotent);
        if !repeatable {
            return Ok(call.await);
        }
        let started = Instant::now();
        tokio::select! {
            biased;
            answer = call => Ok(answer),
            () = self.until_cut_off() => Err(Error::UpstreamUnreachable {
                operation,
                gateway: self.root_url.trim_end_matches('/').to_string(),
                waited: started.elapsed(),
            }),
        }
    }

    /// Returns once the gateway is found cut off from IBKR; pends forever otherwise.
    async fn until_cut_off(&self) {
        tokio::time::sleep(self.stall_after).await;
        loop {
            match self.reach().await {
                Reach::Unreachable => return,
                // IBKR answers (the call is slow) or the gateway is quiet (the call's own
                // timeout will say so): probe again later, in case that changes.
                Reach::Reachable | Reach::GatewayQuiet => {
                    tokio::time::sleep(self.stall_after).await;
                }
            }
        }
    }

    async fn reach(&self) -> Reach {
        let mut verdict = self.verdict.lock().await;
        if let Some((at, reach)) = *verdict
            && at.elapsed() < VERDICT_TTL
        {
            return reach;
        }
        let tickle = self
            .http
            .post(&self.tickle_url)
            .timeout(PROBE_TIMEOUT)
            .send();
        let root = self.http.get(&self.root_url).timeout(PROBE_TIMEOUT).send();
        let (tickle, root) = tokio::join!(tickle, root);
        let reach = match (tickle, root) {
            (Ok(_), _) => Reach::Reachable,
            (Err(_), Ok(_)) => Reach::Unreachable,
            (Err(_), Err(_)) => Reach::GatewayQuiet,
        };
        tracing::debug!(?reach, "gateway upstream probe");
        *verdict = Some((Instant::now(), reach));
        reach
    }
}
