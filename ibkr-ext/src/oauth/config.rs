//! The two OAuth config files (TOML) and their environment-variable form.
//!
//! Key paths are relative to the config file's folder; PEM text may be given inline.
//! Every error names the config key at fault; none carries a key's or token's content.

use std::fmt;
use std::path::{Path, PathBuf};

use ibkr_gen::Secret;
use rsa::BigUint;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::ConfigError;
use super::keys::{self, DhGroup, PrivateKey};
use crate::{Error, Result};

/// The environment variable holding the path of an OAuth 1.0a config file.
pub const OAUTH1_CONFIG_ENV: &str = "IBKR_OAUTH1_CONFIG";
/// The environment variable holding the path of an OAuth 2.0 config file.
pub const OAUTH2_CONFIG_ENV: &str = "IBKR_OAUTH2_CONFIG";

/// What a first-party OAuth 1.0a consumer holds (from IBKR's portal, `/sso/Login?action=OAUTH`).
///
/// ```toml
/// consumer_key = "ABCDEFGHI"
/// access_token = "a1b2c3d4e5f60718293a"
/// access_token_secret = "coPZc+YOyFy7...=="   # base64, as the portal shows it
/// signature_key = "private_signature.pem"     # or the PEM text itself
/// encryption_key = "private_encryption.pem"
/// dh_params = "dhparam.pem"                   # or dh_prime = "f51d..." (hex)
/// # dh_generator = 2
/// # realm = "limited_poa"                      # "test_realm" for TESTCONS
/// ```
#[derive(Clone)]
pub struct OAuth1Config {
    pub(crate) consumer_key: Secret,
    pub(crate) access_token: Secret,
    /// The decrypted access token secret, as hex: the "prepend".
    pub(crate) prepend: Secret,
    pub(crate) signature_key: PrivateKey,
    pub(crate) dh: DhGroup,
    pub(crate) realm: String,
}

impl fmt::Debug for OAuth1Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth1Config")
            .field("consumer_key", &self.consumer_key)
            .field("access_token", &self.access_token)
            .field("access_token_secret", &self.prepend)
            .field("signature_key", &self.signature_key)
            .field("dh", &self.dh)
            .field("realm", &self.realm)
            .finish()
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OAuth1File {
    consumer_key: Option<String>,
    access_token: Option<Secret>,
    access_token_secret: Option<Secret>,
    signature_key: Option<Secret>,
    encryption_key: Option<Secret>,
    dh_prime: Option<String>,
    dh_params: Option<String>,
    dh_generator: Option<u32>,
    realm: Option<String>,
}

fn config_error(e: ConfigError) -> Error {
    Error::OAuthConfig {
        key: e.key,
        reason: e.reason,
    }
}

fn missing(key: &'static str, what: &str) -> Error {
    Error::OAuthConfig {
        key,
        reason: format!("missing: {what}"),
    }
}

/// Parse TOML without ever echoing the document (it holds secrets).
fn parse_toml<T: for<'de> Deserialize<'de>>(text: &str, file: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let message = e.message();
        // A type error quotes the value; say only that the type is wrong.
        let reason = if message.starts_with("invalid type") {
            "a value has the wrong type (every value is text, dh_generator a number)".to_string()
        } else {
            message.trim().to_string()
        };
        let key = if message.contains("unknown field") {
            "unknown key"
        } else {
            "file"
        };
        Error::OAuthConfig {
            key,
            reason: match line {
                Some(n) => format!("{file}, line {n}: {reason}"),
                None => format!("{file}: {reason}"),
            },
        }
    })
}

fn read_file(path: &Path) -> Result<(Zeroizing<String>, PathBuf)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::OAuthConfig {
        key: "file",
        reason: format!("cannot read {}: {e}", path.display()),
    })?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok((Zeroizing::new(text), dir))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl OAuth1Config {
    /// Read a TOML config file; key paths in it are relative to its folder.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let (text, dir) = read_file(path)?;
        Self::from_toml(&text, &dir, &path.display().to_string())
    }

    /// The config from the environment: the file named by `IBKR_OAUTH1_CONFIG`, or else the
    /// keys one by one as `IBKR_OAUTH1_CONSUMER_KEY`, `IBKR_OAUTH1_ACCESS_TOKEN`,
    /// `IBKR_OAUTH1_ACCESS_TOKEN_SECRET`, `IBKR_OAUTH1_SIGNATURE_KEY`,
    /// `IBKR_OAUTH1_ENCRYPTION_KEY`, `IBKR_OAUTH1_DH_PRIME` or `IBKR_OAUTH1_DH_PARAMS`,
    /// `IBKR_OAUTH1_DH_GENERATOR`, `IBKR_OAUTH1_REALM` (paths relative to the working
    /// directory).
    pub fn from_env() -> Result<Self> {
        if let Some(path) = env(OAUTH1_CONFIG_ENV) {
            return Self::from_file(path);
        }
        let var = |key: &str| env(&format!("IBKR_OAUTH1_{}", key.to_ascii_uppercase()));
        let generator = match var("dh_generator") {
            Some(g) => Some(g.trim().parse::<u32>().map_err(|_| Error::OAuthConfig {
                key: "dh_generator",
                reason: "not a number (IBKR_OAUTH1_DH_GENERATOR)".into(),
            })?),
            None => None,
        };
        let file = OAuth1File {
            consumer_key: var("consumer_key"),
            access_token: var("access_token").map(Secret::new),
            access_token_secret: var("access_token_secret").map(Secret::new),
            signature_key: var("signature_key").map(Secret::new),
            encryption_key: var("encryption_key").map(Secret::new),
            dh_prime: var("dh_prime"),
            dh_params: var("dh_params"),
            dh_generator: generator,
            realm: var("realm"),
        };
        Self::from_parts(file, Path::new("."))
    }

    /// Parse TOML text; `dir` is where relative key paths start, `name` names the source
    /// in errors.
    pub fn from_toml(text: &str, dir: &Path, name: &str) -> Result<Self> {
        let file: OAuth1File = parse_toml(text, name)?;
        Self::from_parts(file, dir)
    }

    fn from_parts(file: OAuth1File, dir: &Path) -> Result<Self> {
        let consumer_key = file
            .consumer_key
            .map(|k| k.trim().to_string())
            .ok_or_else(|| {
                missing(
                    "consumer_key",
                    "the consumer key from IBKR's self-service portal",
                )
            })?;
        if consumer_key.is_empty() || !consumer_key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::OAuthConfig {
                key: "consumer_key",
                reason: "expected letters and digits (IBKR's consumer keys are 9 letters)".into(),
            });
        }
        let access_token = file.access_token.ok_or_else(|| {
            missing(
                "access_token",
                "the access token from IBKR's self-service portal",
            )
        })?;
        let secret = file.access_token_secret.ok_or_else(|| {
            missing(
                "access_token_secret",
                "the access token secret (base64) from IBKR's self-service portal",
            )
        })?;
        let signature_key = file.signature_key.ok_or_else(|| {
            missing(
                "signature_key",
                "the private signature key (PEM text or a path)",
            )
        })?;
        let encryption_key = file.encryption_key.ok_or_else(|| {
            missing(
                "encryption_key",
                "the private encryption key (PEM text or a path)",
            )
        })?;
        let signature_key = keys::private_key("signature_key", signature_key.expose(), dir)
            .map_err(config_error)?;
        let encryption_key = keys::private_key("encryption_key", encryption_key.expose(), dir)
            .map_err(config_error)?;
        let mut dh = match (file.dh_prime, file.dh_params) {
            (Some(_), Some(_)) => {
                return Err(Error::OAuthConfig {
                    key: "dh_prime",
                    reason: "give dh_prime or dh_params, not both".into(),
                });
            }
            (Some(prime), None) => DhGroup {
                prime: keys::hex_prime(&prime).map_err(config_error)?,
                generator: BigUint::from(2u8),
            },
            (None, Some(params)) => keys::dh_params(&params, dir).map_err(config_error)?,
            (None, None) => {
                return Err(missing(
                    "dh_prime",
                    "give dh_prime (hex) or dh_params (the dhparam.pem you uploaded)",
                ));
            }
        };
        if let Some(g) = file.dh_generator {
            if g < 2 {
                return Err(Error::OAuthConfig {
                    key: "dh_generator",
                    reason: "must be 2 or more".into(),
                });
            }
            dh.generator = BigUint::from(g);
        }
        let prepend =
            super::lst::decrypt_prepend(&encryption_key, secret.expose()).map_err(|reason| {
                Error::OAuthConfig {
                    key: "access_token_secret",
                    reason,
                }
            })?;
        Ok(OAuth1Config {
            consumer_key: Secret::new(consumer_key),
            access_token,
            prepend: Secret::new(prepend.as_str()),
            signature_key,
            dh,
            realm: file
                .realm
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "limited_poa".to_string()),
        })
    }

    /// The realm (`limited_poa`, or `test_realm` for IBKR's test consumer).
    pub fn realm(&self) -> &str {
        &self.realm
    }
}

/// What an OAuth 2.0 (private_key_jwt) client holds.
///
/// ```toml
/// client_id = "my-client"
/// client_key_id = "main"               # the kid of the uploaded public key
/// private_key = "private_key.pem"      # or the PEM text itself
/// username = "trader1"                 # the IBKR username the session is for
/// ip = "203.0.113.7"                   # your public egress IP (IBKR checks it)
/// ```
#[derive(Clone)]
pub struct OAuth2Config {
    pub(crate) client_id: String,
    pub(crate) client_key_id: String,
    pub(crate) private_key: PrivateKey,
    pub(crate) username: String,
    pub(crate) ip: Option<String>,
}

impl fmt::Debug for OAuth2Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Config")
            .field("client_id", &self.client_id)
            .field("client_key_id", &self.client_key_id)
            .field("private_key", &self.private_key)
            .field("username", &self.username)
            .field("ip", &self.ip)
            .finish()
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OAuth2File {
    client_id: Option<String>,
    client_key_id: Option<String>,
    private_key: Option<Secret>,
    username: Option<String>,
    ip: Option<String>,
}

impl OAuth2Config {
    /// Read a TOML config file; the key path in it is relative to its folder.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let (text, dir) = read_file(path)?;
        Self::from_toml(&text, &dir, &path.display().to_string())
    }

    /// The config from the environment: the file named by `IBKR_OAUTH2_CONFIG`, or else
    /// `IBKR_OAUTH2_CLIENT_ID`, `IBKR_OAUTH2_CLIENT_KEY_ID`, `IBKR_OAUTH2_PRIVATE_KEY`,
    /// `IBKR_OAUTH2_USERNAME` and `IBKR_OAUTH2_IP`.
    pub fn from_env() -> Result<Self> {
        if let Some(path) = env(OAUTH2_CONFIG_ENV) {
            return Self::from_file(path);
        }
        let var = |key: &str| env(&format!("IBKR_OAUTH2_{}", key.to_ascii_uppercase()));
        let file = OAuth2File {
            client_id: var("client_id"),
            client_key_id: var("client_key_id"),
            private_key: var("private_key").map(Secret::new),
            username: var("username"),
            ip: var("ip"),
        };
        Self::from_parts(file, Path::new("."))
    }

    /// Parse TOML text; `dir` is where a relative key path starts, `name` names the source.
    pub fn from_toml(text: &str, dir: &Path, name: &str) -> Result<Self> {
        let file: OAuth2File = parse_toml(text, name)?;
        Self::from_parts(file, dir)
    }

    fn from_parts(file: OAuth2File, dir: &Path) -> Result<Self> {
        let nonempty = |v: Option<String>, key: &'static str, what: &str| {
            v.map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| missing(key, what))
        };
        let client_id = nonempty(file.client_id, "client_id", "the client id IBKR registered")?;
        let client_key_id = nonempty(
            file.client_key_id,
            "client_key_id",
            "the key id (kid) of the public key you gave IBKR",
        )?;
        let username = nonempty(
            file.username,
            "username",
            "the IBKR username to open the session for",
        )?;
        let private_key = file
            .private_key
            .ok_or_else(|| missing("private_key", "the private key (PEM text or a path)"))?;
        let private_key =
            keys::private_key("private_key", private_key.expose(), dir).map_err(config_error)?;
        let ip = match file
            .ip
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
        {
            Some(ip) => {
                ip.parse::<std::net::IpAddr>()
                    .map_err(|_| Error::OAuthConfig {
                        key: "ip",
                        reason: "not an IP address (give your public egress IP, e.g. 203.0.113.7)"
                            .into(),
                    })?;
                Some(ip)
            }
            None => None,
        };
        Ok(OAuth2Config {
            client_id,
            client_key_id,
            private_key,
            username,
            ip,
        })
    }
}
