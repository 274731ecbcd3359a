//! Headless login from the command line: `--oauth1 FILE` / `--oauth2 FILE`, and the
//! one-time key setup (`ibkr oauth1 keys DIR`, `ibkr oauth2 keys DIR`) with IBKR's portal
//! steps.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::Subcommand;
use ibkr_ext::oauth::{OAuth1Config, OAuth2Config, setup};
use ibkr_ext::{AuthMode, Ibkr, IbkrBuilder};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::Global;
use crate::failure::Failure;

/// `ibkr oauth1 ...` / `ibkr oauth2 ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write the key files IBKR's portal asks for into DIR and print the portal steps.
    Keys {
        /// The folder to write into (created if missing; existing keys are never overwritten).
        dir: PathBuf,
        /// OAuth 1.0a: bits of the Diffie-Hellman prime to generate (IBKR expects 2048).
        #[arg(long, default_value_t = 2048)]
        dh_bits: usize,
        /// OAuth 1.0a: use RFC 3526's published 2048-bit group instead of generating a prime.
        #[arg(long)]
        rfc3526: bool,
    },
}

/// The embedded simulator playing api.ibkr.com, and the OAuth 1.0a config of a throwaway
/// consumer it knows (`--sim-oauth`). The consumer's files are read and deleted at once.
pub async fn start_sim_oauth() -> Result<(ibkr_sim::RunningGateway, OAuth1Config), Failure> {
    let consumer = ibkr_sim::oauth::SimConsumer::generate()?;
    let dir = std::env::temp_dir().join(format!("ibkr-sim-oauth-{}", std::process::id()));
    let files = consumer.write_to(&dir)?;
    let config = OAuth1Config::from_file(&files.oauth1_config);
    let _ = std::fs::remove_dir_all(&dir);
    let gw = crate::commands::sim_builder()
        .oauth1(consumer.oauth1())
        .oauth2(consumer.oauth2())
        .start()
        .await?;
    Ok((gw, config?))
}

/// Whether `url` is http:// to a loopback host, or https://.
fn check_scheme(url: &str) -> Result<(), Failure> {
    let parsed =
        url::Url::parse(url).map_err(|e| Failure::usage(format!("--gateway {url}: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(Failure::usage(format!(
                    "--gateway {url}: OAuth over plain http:// is allowed to loopback only (127.0.0.1, localhost); use https://"
                )))
            }
        }
        other => Err(Failure::usage(format!(
            "--gateway {url}: unsupported scheme {other}"
        ))),
    }
}

/// Add the OAuth login the flags ask for (none: the gateway's browser login).
pub fn login(mut builder: IbkrBuilder, global: &Global) -> Result<IbkrBuilder, Failure> {
    let (oauth1, oauth2) = (&global.oauth1, &global.oauth2);
    if oauth1.is_none() && oauth2.is_none() {
        return Ok(builder);
    }
    if let Some(url) = &global.gateway {
        check_scheme(url)?;
    }
    if let Some(path) = oauth1 {
        builder = builder.oauth1(OAuth1Config::from_file(path)?);
    } else if let Some(path) = oauth2 {
        builder = builder.oauth2(OAuth2Config::from_file(path)?);
    }
    Ok(builder)
}

fn remaining(at: SystemTime) -> String {
    let left = at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
        .as_secs();
    format!("{}h{:02}m", left / 3600, (left % 3600) / 60)
}

/// The login's mode and token expiry, for `ibkr status` (text lines, or JSON fields).
pub fn auth_summary(ibkr: &Ibkr) -> (String, Option<u64>) {
    let mode = ibkr.auth_mode();
    let expiry = ibkr
        .token_expiry()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let text = match (mode, ibkr.token_expiry()) {
        (AuthMode::Gateway, _) => mode.to_string(),
        (_, Some(at)) => format!("{mode}, token expires in {}", remaining(at)),
        (_, None) => format!("{mode}, no token yet"),
    };
    (text, expiry)
}

/// `ibkr oauth1 keys DIR`.
pub fn oauth1_keys(command: KeysCommand) -> Result<(), Failure> {
    let KeysCommand::Keys {
        dir,
        dh_bits,
        rfc3526,
    } = command;
    let source = if rfc3526 {
        setup::DhSource::Rfc3526Group14
    } else {
        setup::DhSource::Generate { bits: dh_bits }
    };
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    if !rfc3526 {
        spinner.set_message(format!(
            "searching a {dh_bits}-bit safe prime (a minute or more)"
        ));
        spinner.enable_steady_tick(Duration::from_millis(120));
    }
    let result = setup::write_oauth1_keys(&dir, source, &mut |tested| {
        spinner.set_message(format!(
            "searching a {dh_bits}-bit safe prime: {tested} candidates tested"
        ));
    });
    spinner.finish_and_clear();
    let files = result?;
    let show = |p: &Path| p.display().to_string();
    say!("Wrote the OAuth 1.0a keys into {}:", dir.display())?;
    say!(
        "  keep private: {}, {}",
        show(&files.private_signature),
        show(&files.private_encryption)
    )?;
    say!(
        "  upload:       {}, {}, {}",
        show(&files.public_signature),
        show(&files.public_encryption),
        show(&files.dh_params)
    )?;
    say!()?;
    say!(
        "In IBKR's OAuth self-service portal (/sso/Login?action=OAUTH, logged in as the account's user):"
    )?;
    say!("  1. Accept the OAuth disclosure, choose a 9-letter consumer key and save it.")?;
    say!(
        "  2. Public signing key:    upload {}",
        show(&files.public_signature)
    )?;
    say!(
        "  3. Public encryption key: upload {}",
        show(&files.public_encryption)
    )?;
    say!(
        "  4. Diffie-Hellman params: upload {}",
        show(&files.dh_params)
    )?;
    say!("  5. Generate the access token; copy the access token and its secret.")?;
    say!(
        "  6. Put the consumer key, access token and secret into {}",
        show(&files.config)
    )?;
    say!()?;
    say!("New consumer keys work only after IBKR's next server reset (after midnight New York,")?;
    say!("sometimes after the weekend): until then IBKR answers 401 Invalid Consumer.")?;
    say!("Then: ibkr --oauth1 {} status", show(&files.config))?;
    Ok(())
}

/// `ibkr oauth2 keys DIR`.
pub fn oauth2_keys(command: KeysCommand) -> Result<(), Failure> {
    let KeysCommand::Keys { dir, .. } = command;
    let files = setup::write_oauth2_keys(&dir)?;
    let show = |p: &Path| p.display().to_string();
    say!("Wrote the OAuth 2.0 key pair into {}:", dir.display())?;
    say!("  keep private: {}", show(&files.private_key))?;
    say!("  give IBKR:    {}", show(&files.public_key))?;
    say!()?;
    say!("OAuth 2.0 (private_key_jwt) is set up with IBKR for organisations and advisors:")?;
    say!(
        "  1. Send {} to IBKR API support with your client registration;",
        show(&files.public_key)
    )?;
    say!("     they give you a client_id and the key id (kid) they filed the key under.")?;
    say!("  2. Put client_id, client_key_id, the IBKR username and your public egress IP")?;
    say!("     into {}", show(&files.config))?;
    say!("Then: ibkr --oauth2 {} status", show(&files.config))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_for_loopback_only() {
        assert!(check_scheme("http://127.0.0.1:5000/v1/api").is_ok());
        assert!(check_scheme("http://localhost:5000/v1/api").is_ok());
        assert!(check_scheme("http://[::1]:5000/v1/api").is_ok());
        assert!(check_scheme("https://1.api.ibkr.com/v1/api").is_ok());
        assert!(check_scheme("http://api.ibkr.com/v1/api").is_err());
        assert!(check_scheme("http://10.0.0.5/v1/api").is_err());
    }
}
