//! The state one running simulator shares between its connections, handlers and handles.
//!
//! `Shared` is the aggregate: it holds each part's handle and imports the parts (`world`,
//! `ws`, `oauth`, `login`), never the reverse. Handlers take the narrow state they need
//! through axum's `FromRef` (the impls below); the parts lock with [`crate::lock`].
//!
//! Lock order, where two are held at once: `login` before `world`; `faults`, `pacer` and
//! `latency` are taken alone.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::FromRef;

use crate::faults::FaultBook;
use crate::lock::{Handle, Urls};
use crate::login::{LoginDesk, LoginRoom};
use crate::pacing::Pacer;
use crate::world::{World, WorldHandle};
use crate::ws::{Hub, SocketRoom};

/// Everything behind the running server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub world: WorldHandle,
    pub pacer: Mutex<Pacer>,
    pub faults: Mutex<FaultBook>,
    pub latency: Mutex<Duration>,
    pub urls: Arc<OnceLock<Urls>>,
    /// The WebSocket's switches and event channel.
    pub ws: Arc<Hub>,
    /// The simulated api.ibkr.com's OAuth state, when OAuth is on.
    pub oauth: Option<Arc<crate::oauth::Desk>>,
    /// `ips.allow` / `ips.deny`, applied per connection.
    pub access: crate::access::AccessList,
    /// The `upstream_unreachable` fault: proxied calls are held open, never answered.
    pub upstream_unreachable: AtomicBool,
    /// The login page's users, faults and logins waiting for a second factor.
    pub login: Handle<LoginDesk>,
}

impl Shared {
    /// What the WebSocket needs: the hub and the world.
    pub(crate) fn socket_room(&self) -> SocketRoom {
        SocketRoom {
            hub: Arc::clone(&self.ws),
            world: self.world.clone(),
        }
    }

    /// What the login page needs: its desk, the world, and the hub to wake sockets.
    pub(crate) fn login_room(&self) -> LoginRoom {
        LoginRoom {
            desk: self.login.clone(),
            world: self.world.clone(),
            hub: Arc::clone(&self.ws),
        }
    }
}

impl FromRef<Arc<Shared>> for Handle<World> {
    fn from_ref(shared: &Arc<Shared>) -> Self {
        shared.world.clone()
    }
}

impl FromRef<Arc<Shared>> for SocketRoom {
    fn from_ref(shared: &Arc<Shared>) -> Self {
        shared.socket_room()
    }
}

impl FromRef<Arc<Shared>> for LoginRoom {
    fn from_ref(shared: &Arc<Shared>) -> Self {
        shared.login_room()
    }
}
