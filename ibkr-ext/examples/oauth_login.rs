//! A headless OAuth 1.0a login, against the simulator playing api.ibkr.com: it writes a
//! ready consumer (keys and a config file), the client does the live session token
//! handshake and signs every request.
//!
//! `cargo run -p ibkr-ext --example oauth_login`. With your own consumer, load your
//! config with `OAuth1Config::from_file` and drop the simulator.

use ibkr_ext::oauth::OAuth1Config;
use ibkr_ext::{AuthMode, Ibkr};
use ibkr_sim::Gateway;
use ibkr_sim::oauth::SimConsumer;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let consumer = SimConsumer::generate()?;
    let dir = std::env::temp_dir().join(format!("ibkr-oauth-example-{}", std::process::id()));
    let files = consumer.write_to(&dir)?;
    let sim = Gateway::builder()
        .plain_http()
        .oauth1(consumer.oauth1())
        .start()
        .await?;

    let config = OAuth1Config::from_file(&files.oauth1_config)?;
    let ibkr = Ibkr::builder()
        .oauth1(config)
        .base_url(sim.base_url())
        .build()?;
    ibkr.login().await?;
    assert_eq!(ibkr.auth_mode(), AuthMode::OAuth1);
    println!("logged in with {:?}", ibkr.auth_mode());
    ibkr.ensure_brokerage_session().await?;
    let accounts = ibkr.accounts().await?;
    println!("accounts: {accounts:?}");
    ibkr.logout().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
