//! The simulator as api.ibkr.com with one consumer, and clients for it. Shared by the
//! integration tests (`oauth.rs`) and ibkr-ext's own OAuth unit tests
//! (`src/oauth/tests.rs`), each of which includes this file with `#[path]` and has
//! `Ibkr`, `IbkrBuilder`, `OAuth1Config` and `OAuth2Config` in scope.

use std::path::PathBuf;
use std::sync::OnceLock;

use ibkr_sim::oauth::{ConsumerFiles, OAuthControl, SimConsumer};
use ibkr_sim::{Gateway, Limits, RunningGateway};

use super::{Ibkr, IbkrBuilder, OAuth1Config, OAuth2Config};

/// One consumer for the whole test binary (RSA key generation takes a moment): the
/// simulator's half, the client's files, and the folder they are in.
pub(crate) fn consumer() -> &'static (SimConsumer, ConsumerFiles, PathBuf) {
    static CONSUMER: OnceLock<(SimConsumer, ConsumerFiles, PathBuf)> = OnceLock::new();
    CONSUMER.get_or_init(|| {
        let consumer = SimConsumer::generate().expect("consumer");
        let dir = std::env::temp_dir().join(format!("ibkr-ext-oauth-{}", std::process::id()));
        let files = consumer.write_to(&dir).expect("files");
        (consumer, files, dir)
    })
}

/// A simulator that knows the consumer over both protocols, and its OAuth fault hooks.
pub(crate) async fn gateway() -> (RunningGateway, OAuthControl) {
    let (c, _, _) = consumer();
    let gw = Gateway::builder()
        .plain_http()
        .limits(Limits::unlimited())
        .oauth1(c.oauth1())
        .oauth2(c.oauth2())
        .start()
        .await
        .expect("simulator");
    let control = gw.control().oauth().expect("OAuth is on");
    (gw, control)
}

pub(crate) fn oauth1_config() -> OAuth1Config {
    OAuth1Config::from_file(&consumer().1.oauth1_config).expect("config")
}

pub(crate) fn oauth2_config() -> OAuth2Config {
    OAuth2Config::from_file(&consumer().1.oauth2_config).expect("config")
}

pub(crate) fn oauth1_client(gw: &RunningGateway, config: OAuth1Config) -> Ibkr {
    client(gw, Ibkr::builder().oauth1(config))
}

pub(crate) fn oauth2_client(gw: &RunningGateway, config: OAuth2Config) -> Ibkr {
    client(gw, Ibkr::builder().oauth2(config))
}

fn client(gw: &RunningGateway, builder: IbkrBuilder) -> Ibkr {
    builder
        .base_url(gw.base_url())
        .without_keepalive()
        .without_pacing()
        .timeout(None)
        .build()
        .expect("client")
}
