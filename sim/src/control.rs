//! Run-time switches: session drops, competing sessions, faults, latency, prices.

use std::sync::Arc;
use std::time::Duration;

use crate::faults::FaultRule;
use crate::lock::lock;
use crate::market::catalog::Contract;
use crate::shared::Shared;
use crate::world::World;

/// Changes the running simulator (from `RunningGateway::control()`).
#[derive(Debug, Clone)]
pub struct Control {
    shared: Arc<Shared>,
}

impl Control {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Control { shared }
    }

    /// Change the world, then tell the open sockets to look at it (they sleep until their
    /// next timer or a change).
    fn change<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let result = f(&mut self.shared.world.lock());
        self.shared.ws.world_changed();
        result
    }

    /// End the SSO session: every request answers 401 until [`Control::restore_session`] or a
    /// browser login at `/sso/Login`. This is also the regional midnight reset (and IBKR's
    /// nightly maintenance): the session is gone and `/tickle` answers 401, as the gateway
    /// does without a session.
    pub fn drop_session(&self) {
        self.change(|world| {
            world.session.logged_in = false;
            world.end_brokerage_session();
        });
    }

    /// Log back in (as the browser login would); the brokerage session must be opened again
    /// with `ssodh/init`.
    pub fn restore_session(&self) {
        self.change(|world| world.session.logged_in = true);
    }

    /// Another platform takes (`true`) or releases (`false`) the brokerage session. While
    /// competing, auth status shows `competing:true, authenticated:false` and `/iserver/*`
    /// answers no bridge until `ssodh/init` with `compete:true`.
    pub fn set_competing(&self, competing: bool) {
        self.change(|world| world.session.competing = competing);
    }

    /// Open or close the brokerage session directly.
    pub fn set_brokerage_session(&self, open: bool) {
        self.change(|world| {
            if open {
                if !world.session.brokerage || world.session.competing {
                    world.begin_brokerage_session();
                }
            } else {
                world.end_brokerage_session();
            }
        });
    }

    /// The simulated api.ibkr.com's OAuth fault hooks and counters (`None` without OAuth).
    pub fn oauth(&self) -> Option<crate::oauth::OAuthControl> {
        self.shared
            .oauth
            .clone()
            .map(|desk| crate::oauth::OAuthControl { desk })
    }

    /// IBKR unreachable from the gateway (`true`) or reachable again (`false`). While on,
    /// `GET /` still answers its `302`, but every new proxied call (`/v1/api/*` — tickle,
    /// auth status, everything —, `/gw/api/*`, `/sso/*`) is recorded and held open without
    /// an answer, as the real gateway does offline (`gateway.md` §3: one call held 590 s).
    /// Calls held while it was on stay unanswered after it goes off; new ones are served.
    pub fn upstream_unreachable(&self, on: bool) {
        self.shared
            .upstream_unreachable
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// The simulated login page's users and fault switches (see [`crate::login`]).
    pub fn login(&self) -> crate::login::LoginControl {
        crate::login::LoginControl {
            room: self.shared.login_room(),
        }
    }

    /// Switch a fault on.
    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.shared.faults).add(rule);
    }

    /// Switch every fault off.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Change the delay added to every request.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.shared.latency) = latency;
    }

    /// Set a conid's last price (resting orders are matched against it). Returns `false` for
    /// an unknown conid.
    pub fn set_last_price(&self, conid: u64, price: f64) -> bool {
        self.change(|world| {
            let Some(contract): Option<Contract> = world.contract(conid) else {
                return false;
            };
            world.quotes.set_last(conid, contract.ref_price, price);
            world.match_resting(conid);
            true
        })
    }

    /// The WebSocket's switches: quirks, drops, session rollover, notifications.
    pub fn socket(&self) -> crate::ws::SocketControl {
        crate::ws::SocketControl::new(self.shared.socket_room())
    }

    /// Halt or resume trading in a conid: a halted last price carries the `H` prefix and
    /// does not move.
    pub fn set_halted(&self, conid: u64, halted: bool) -> bool {
        self.change(|world| {
            let Some(contract) = world.contract(conid) else {
                return false;
            };
            world.quotes.get(conid, contract.ref_price).halted = halted;
            true
        })
    }
}
