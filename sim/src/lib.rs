//! A simulated IBKR Client Portal Gateway and Flex Web Service on loopback.
//!
//! It behaves like the real gateway, quirks included (no bridge before `ssodh/init`, the
//! snapshot pre-flight, order questions and single-use reply ids, pacing 429s, the hmds
//! first-call 404, Flex 1019/1018), so SDK tests, examples and trading bots can run without
//! a real account. The [`reference`](mod@reference) module lists every endpoint and every modelled quirk with
//! its source.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ibkr_sim::SimError> {
//! let gw = ibkr_sim::Gateway::builder()
//!     .seed(42)
//!     .plain_http()
//!     .brokerage_session(true)
//!     .start()
//!     .await?;
//! println!("point your client at {}", gw.base_url());
//! // ... run the client ...
//! assert_eq!(gw.inspect().throttled(), 0);
//! gw.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Beyond the API, it plays the gateway itself: its IP allow-list
//! ([`GatewayBuilder::allow`], [`GatewayBuilder::deny`]; `404 Access Denied` for a refused
//! client), IBKR unreachable behind it ([`GatewayBuilder::upstream_unreachable`],
//! [`Control::upstream_unreachable`]: proxied calls held open), the `GET /` redirect, and
//! IBKR's browser login page at `/sso/Login` ([`login`]: users with a paper/live mode and a
//! TOTP or push second factor, [`GatewayBuilder::logged_in`] to start without a session, the
//! journal in [`Inspector::logins`], fault switches in [`Control::login`]).
#![warn(missing_docs)]
#![recursion_limit = "256"]

mod access;
mod builder;
mod clock;
mod control;
mod error;
mod faults;
mod flex;
mod ids;
mod inspect;
mod journal;
mod limits;
mod lock;
pub mod login;
mod market;
pub mod oauth;
mod pacing;
mod pattern;
pub mod reference;
mod reply;
mod routes;
mod running;
mod serve;
mod server;
mod shared;
mod tls;
mod trading;
mod user;
mod world;
mod ws;

pub use builder::{Gateway, GatewayBuilder};
pub use control::Control;
pub use error::SimError;
pub use faults::{Fault, FaultRule};
pub use flex::config::FlexConfig;
pub use inspect::Inspector;
pub use journal::{
    OrderOutcome, OrderRecord, RecordedReply, RecordedRequest, RefusedRequest, STANDALONE_JOURNAL,
};
pub use limits::{EndpointLimit, Limits, Rate};
pub use login::{LoginAttempt, LoginControl, LoginFaults, LoginOutcome, LoginUser, SecondFactor};
pub use running::RunningGateway;
pub use serve::{ServeOptions, serve_forever, serve_until};
pub use trading::precautions::Precautions;
pub use ws::{SocketControl, SocketSettings};
