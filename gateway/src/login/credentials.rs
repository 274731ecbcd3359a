//! [`Credentials`]: the username, the password and the TOTP secret, held as [`Secret`]s,
//! and the TOTP code.

use std::path::Path;

use ibkr_gen::Secret;
use serde::Deserialize;

use super::LoginError;

/// The environment variable holding the username.
pub const USERNAME_ENV: &str = "IBKR_USERNAME";
/// The environment variable holding the password.
pub const PASSWORD_ENV: &str = "IBKR_PASSWORD";
/// The environment variable holding the TOTP secret (base32), if any.
pub const TOTP_SECRET_ENV: &str = "IBKR_TOTP_SECRET";

/// What the login types: a username, a password and, for accounts with an authenticator
/// app as second factor, the TOTP secret (base32) the app was set up with.
///
/// Every field is a [`Secret`]: `Debug` shows `***`, and no error of this module quotes a
/// value.
///
/// ```
/// use ibkr_gateway::login::Credentials;
/// let c = Credentials::new("trader1", "hunter2", None);
/// assert!(!format!("{c:?}").contains("hunter2"));
/// ```
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The IBKR username.
    pub username: Secret,
    /// The password.
    pub password: Secret,
    /// The TOTP secret, base32, if the account's second factor is an authenticator app.
    pub totp_secret: Option<Secret>,
}

/// The credentials file's format.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    username: Secret,
    password: Secret,
    #[serde(default)]
    totp_secret: Option<Secret>,
}

impl Credentials {
    /// Credentials from values. The TOTP secret is checked when a code is made.
    pub fn new(
        username: impl Into<Secret>,
        password: impl Into<Secret>,
        totp_secret: Option<Secret>,
    ) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            totp_secret: totp_secret.filter(|s| !s.expose().trim().is_empty()),
        }
    }

    /// Read a TOML file with `username`, `password` and an optional `totp_secret` (base32):
    ///
    /// ```toml
    /// username = "trader1"
    /// password = "..."
    /// totp_secret = "JBSWY3DPEHPK3PXP"
    /// ```
    ///
    /// On Unix the file must be readable by its owner only (mode 0600): anything else is
    /// refused with an error naming the mode and the `chmod 600 FILE` fix. Errors never
    /// quote a value from the file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, LoginError> {
        let path = path.as_ref();
        let shown = path.display();
        let meta = std::fs::metadata(path)
            .map_err(|e| LoginError::Config(format!("credentials file {shown}: {e}")))?;
        if !meta.is_file() {
            return Err(LoginError::Config(format!(
                "credentials file {shown}: not a regular file"
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(LoginError::Config(format!(
                    "credentials file {shown} has mode {mode:04o}: others can read it; it must be 0600. \
                     Fix: chmod 600 {shown}"
                )));
            }
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoginError::Config(format!("credentials file {shown}: {e}")))?;
        let text = zeroize::Zeroizing::new(text);
        // toml's messages quote the offending line, which may hold a password: say where
        // only.
        let file: CredentialsFile = toml::from_str(&text).map_err(|e| {
            let place = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            LoginError::Config(format!(
                "credentials file {shown}: not valid{place}: it needs `username = \"...\"`, \
                 `password = \"...\"` and optionally `totp_secret = \"BASE32\"`, and nothing else"
            ))
        })?;
        let creds = Self::new(file.username, file.password, file.totp_secret);
        creds.validate(&format!("credentials file {shown}"))?;
        Ok(creds)
    }

    /// Read [`USERNAME_ENV`], [`PASSWORD_ENV`] and, if set, [`TOTP_SECRET_ENV`].
    pub fn from_env() -> Result<Self, LoginError> {
        let var = |name: &str| -> Result<Option<Secret>, LoginError> {
            match std::env::var(name) {
                Ok(v) if !v.is_empty() => Ok(Some(Secret::new(v))),
                Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(LoginError::Config(format!("{name} is not valid UTF-8")))
                }
            }
        };
        let missing = |name: &str| {
            LoginError::Config(format!(
                "{name} is not set: set {USERNAME_ENV} and {PASSWORD_ENV} (and {TOTP_SECRET_ENV} for TOTP), \
                 or use a credentials file"
            ))
        };
        let username = var(USERNAME_ENV)?.ok_or_else(|| missing(USERNAME_ENV))?;
        let password = var(PASSWORD_ENV)?.ok_or_else(|| missing(PASSWORD_ENV))?;
        let creds = Self::new(username, password, var(TOTP_SECRET_ENV)?);
        creds.validate("the environment")?;
        Ok(creds)
    }

    /// Check the values without quoting them.
    fn validate(&self, origin: &str) -> Result<(), LoginError> {
        if self.username.expose().trim().is_empty() {
            return Err(LoginError::Config(format!(
                "{origin}: the username is empty"
            )));
        }
        if self.password.is_empty() {
            return Err(LoginError::Config(format!(
                "{origin}: the password is empty"
            )));
        }
        if let Some(secret) = &self.totp_secret {
            totp(secret)
                .map_err(|why| LoginError::Config(format!("{origin}: totp_secret {why}")))?;
        }
        Ok(())
    }

    /// The TOTP code for `unix_time` (seconds), or `None` without a TOTP secret.
    pub fn totp_code_at(&self, unix_time: u64) -> Result<Option<Secret>, LoginError> {
        let Some(secret) = &self.totp_secret else {
            return Ok(None);
        };
        let totp = totp(secret).map_err(|why| LoginError::Config(format!("totp_secret {why}")))?;
        Ok(Some(Secret::new(totp.generate(unix_time).to_string())))
    }
}

/// A TOTP generator: RFC 6238, HMAC-SHA1, 30 s steps, 6 digits. The base32 may have
/// spaces, lower case and padding (as authenticator apps show it).
pub(crate) fn totp(secret: &Secret) -> Result<totp_rs::Totp, &'static str> {
    let cleaned: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
        secret
            .expose()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect::<String>()
            .trim_end_matches('=')
            .to_string(),
    );
    let key = totp_rs::Secret::try_from_base32(cleaned.as_str())
        .map_err(|_| "is not valid base32 (letters A-Z and digits 2-7)")?;
    if key.as_ref().len() < 10 {
        return Err("is too short (under 80 bits)");
    }
    Ok(totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(key)
        .build_noncompliant())
}

/// The TOTP code (6 digits) of a base32 `secret` at `unix_time`: RFC 6238 with SHA1 and
/// 30-second steps, as authenticator apps compute it.
///
/// ```
/// use ibkr_gen::Secret;
/// // RFC 6238 Appendix B's SHA1 key "12345678901234567890", in base32.
/// let secret = Secret::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
/// let code = ibkr_gateway::login::totp_code(&secret, 59).unwrap();
/// assert_eq!(code.expose(), "287082");
/// ```
pub fn totp_code(secret: &Secret, unix_time: u64) -> Result<Secret, LoginError> {
    let totp = totp(secret).map_err(|why| LoginError::Config(format!("totp_secret {why}")))?;
    Ok(Secret::new(totp.generate(unix_time).to_string()))
}
