//! The state one running simulator shares between its connections, handlers and handles.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::faults::FaultBook;
use crate::pacing::Pacer;
use crate::world::World;

/// Where the simulator is reachable, known once the listener is bound.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    pub base: String,
    pub flex_base: String,
}

/// Everything behind the running server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub world: Mutex<World>,
    pub pacer: Mutex<Pacer>,
    pub faults: Mutex<FaultBook>,
    pub latency: Mutex<Duration>,
    pub urls: OnceLock<Urls>,
    /// The WebSocket's switches and event channel.
    pub ws: crate::ws::Hub,
    /// The simulated api.ibkr.com's OAuth state, when OAuth is on.
    pub oauth: Option<Arc<crate::oauth::Desk>>,
    /// `ips.allow` / `ips.deny`, applied per connection.
    pub access: crate::access::AccessList,
    /// The `upstream_unreachable` fault: proxied calls are held open, never answered.
    pub upstream_unreachable: AtomicBool,
    /// The login page's users, faults and logins waiting for a second factor.
    pub login: Mutex<crate::login::LoginDesk>,
}

/// Lock a mutex, recovering the data if a previous holder panicked (the simulator never
/// panics on input, but a poisoned lock must not take the whole server down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
