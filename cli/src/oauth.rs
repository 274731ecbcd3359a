//! The one-time OAuth key setup (`ibkr oauth1 keys DIR`, `ibkr oauth2 keys DIR`) with IBKR's
//! portal steps. Logging in with the keys (`--oauth1 FILE`, `--oauth2 FILE`) is
//! `context`'s (connecting is not a command).

use std::path::Path;
use std::time::Duration;

use ibkr_ext::oauth::setup;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::KeysCommand;
use crate::failure::Failure;

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
