//! The embedded simulator (`--sim`, `--sim-oauth`, `ibkr sim`, the tour without a gateway):
//! the only module that knows `ibkr-sim`, and the only place the `sim` cargo feature (on by
//! default) is looked at.
//!
//! Without the feature, [`Simulator`] is a type with no values and every function here that
//! would start one fails (exit 2) with a message that says how to get a build that
//! has it. The rest of the CLI compiles and reads the same either way.

use crate::args::SimGatewayArgs;

/// The simulator's Flex token and query (what `--sim` uses for `flex fetch`).
pub const SIM_FLEX_TOKEN: &str = "123456789012345678901234";
pub const SIM_FLEX_QUERY: &str = "123456";

#[cfg(feature = "sim")]
pub use with_sim::*;
#[cfg(not(feature = "sim"))]
pub use without_sim::*;

#[cfg(feature = "sim")]
mod with_sim {
    use std::path::PathBuf;
    use std::time::Duration;

    use ibkr_ext::oauth::OAuth1Config;
    use ibkr_sim::{FlexConfig, Gateway};

    use super::{SIM_FLEX_QUERY, SIM_FLEX_TOKEN, SimGatewayArgs};
    use crate::failure::{self, Failure};

    /// A running embedded simulator (kept alive as long as the value).
    pub type Simulator = ibkr_sim::RunningGateway;

    /// The embedded simulator's settings: plain HTTP on 127.0.0.1, IBKR's pacing rules, a
    /// Flex service that answers "in progress" once.
    pub fn builder() -> ibkr_sim::GatewayBuilder {
        Gateway::builder().seed(42).plain_http().flex(FlexConfig {
            token: SIM_FLEX_TOKEN.into(),
            query_id: SIM_FLEX_QUERY.into(),
            pending_polls: 1,
            min_interval: Duration::from_millis(200),
            ..FlexConfig::default()
        })
    }

    /// Start the embedded simulator (see [`builder`]).
    pub async fn start() -> Result<Simulator, Failure> {
        Ok(builder().start().await?)
    }

    /// The embedded simulator playing api.ibkr.com, and the OAuth 1.0a config of a
    /// throwaway consumer it knows (`--sim-oauth`). The consumer's files are read and
    /// deleted at once.
    pub async fn start_oauth() -> Result<(Simulator, OAuth1Config), Failure> {
        let consumer = ibkr_sim::oauth::SimConsumer::generate()?;
        let dir = std::env::temp_dir().join(format!("ibkr-sim-oauth-{}", std::process::id()));
        let files = consumer.write_to(&dir)?;
        let config = OAuth1Config::from_file(&files.oauth1_config);
        let _ = std::fs::remove_dir_all(&dir);
        let gw = builder()
            .oauth1(consumer.oauth1())
            .oauth2(consumer.oauth2())
            .start()
            .await?;
        Ok((gw, config?))
    }

    /// `ibkr sim`: serve the simulator standalone until Ctrl-C.
    pub async fn serve(
        port: u16,
        http: bool,
        seed: u64,
        oauth: Option<PathBuf>,
        gateway: SimGatewayArgs,
    ) -> Result<(), Failure> {
        let login_users = gateway
            .login_user
            .iter()
            .map(|spec| {
                ibkr_sim::LoginUser::parse_spec(spec)
                    .map_err(|e| Failure::usage(format!("--login-user {spec:?}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let options = ibkr_sim::ServeOptions {
            port,
            plain_http: http,
            seed,
            oauth_dir: oauth,
            deny: (!gateway.deny.is_empty()).then_some(gateway.deny),
            allow: gateway.allow,
            upstream_unreachable: gateway.upstream_unreachable,
            logged_in: !gateway.logged_out,
            login_users,
            ..Default::default()
        };
        ibkr_sim::serve_forever(options).await?;
        Ok(())
    }

    impl From<ibkr_sim::SimError> for Failure {
        fn from(e: ibkr_sim::SimError) -> Self {
            Failure::new(failure::GENERAL, format!("simulator: {e}"))
        }
    }
}

#[cfg(not(feature = "sim"))]
mod without_sim {
    use std::path::PathBuf;

    use ibkr_ext::oauth::OAuth1Config;

    use super::SimGatewayArgs;
    use crate::failure::{self, Failure};

    /// What a build without the simulator says when asked for it (exit 2).
    const UNAVAILABLE: &str = "this ibkr was built without the embedded simulator (cargo feature `sim`): \
    --sim, --sim-oauth, `ibkr sim` and the tour without a gateway need it; \
    install the default build with `cargo install --path cli`, or point --gateway / IBKR_GATEWAY_URL at a gateway";

    /// The failure for a simulator this build does not have.
    fn unavailable() -> Failure {
        Failure::new(failure::USAGE, UNAVAILABLE)
    }

    /// No simulator in this build: a type without values, so code that holds an
    /// `Option<Simulator>` reads the same with and without the feature.
    pub enum Simulator {}

    impl Simulator {
        pub fn base_url(&self) -> &str {
            match *self {}
        }

        pub fn flex_base_url(&self) -> &str {
            match *self {}
        }

        pub async fn shutdown(&self) {
            match *self {}
        }
    }

    pub async fn start() -> Result<Simulator, Failure> {
        Err(unavailable())
    }

    pub async fn start_oauth() -> Result<(Simulator, OAuth1Config), Failure> {
        Err(unavailable())
    }

    pub async fn serve(
        _port: u16,
        _http: bool,
        _seed: u64,
        _oauth: Option<PathBuf>,
        _gateway: SimGatewayArgs,
    ) -> Result<(), Failure> {
        Err(unavailable())
    }
}
