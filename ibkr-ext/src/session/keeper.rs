//! The keeper: `POST /tickle` on a schedule, publishing what each answer says.

use std::time::Duration;

use ibkr_gen::trading;
use tokio::sync::watch;

use super::state::{KeeperConfig, SessionState, StateCell};

/// Tickle every `config.interval` through `client` until `stop` turns true (or its sender
/// is dropped), publishing state changes on `state`.
pub(super) fn spawn(
    client: trading::Client,
    config: KeeperConfig,
    state: StateCell,
    mut stop: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let interval = config.interval.max(Duration::from_millis(10));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
            if *stop.borrow() {
                break;
            }
            let next = match client.tickle().send().await {
                Ok(r) => SessionState::from(&*r),
                Err(ibkr_gen::Error::UnexpectedResponse(r)) if r.status() == 401 => {
                    SessionState::default()
                }
                Err(e) => {
                    // A gateway that is restarting or unreachable: keep the last state and
                    // try again on the next tick.
                    tracing::debug!(error = %crate::error::redact(&e.to_string()), "tickle failed");
                    continue;
                }
            };
            state.observe(next);
        }
        tracing::debug!("session keeper stopped");
    });
}
