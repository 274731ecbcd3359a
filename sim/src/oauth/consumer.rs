//! A ready consumer: everything a user would get from IBKR's OAuth portals, made up on the
//! spot, and the files a client needs to log in with it (keys and TOML configs).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::rand_core::{OsRng, RngCore as _};
use rsa::{BigUint, Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};

use super::crypto::hex;
use super::{OAuth1Consumer, OAuth2Client};
use crate::error::SimError;

/// RFC 3526's 2048-bit MODP group (group 14): the consumer's DH prime, generator 2.
const GROUP14: &str = "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff";

/// A made-up OAuth 1.0a consumer and OAuth 2.0 client with their private keys.
#[derive(Clone)]
pub struct SimConsumer {
    consumer_key: String,
    access_token: String,
    prepend: Vec<u8>,
    access_token_secret: String,
    signature_key: RsaPrivateKey,
    encryption_key: RsaPrivateKey,
    oauth2_key: RsaPrivateKey,
}

impl std::fmt::Debug for SimConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConsumer")
            .field("consumer_key", &self.consumer_key)
            .finish_non_exhaustive()
    }
}

/// The files [`SimConsumer::write_to`] wrote.
#[derive(Debug, Clone)]
pub struct ConsumerFiles {
    /// The OAuth 1.0a client config (`ibkr --oauth1 FILE`).
    pub oauth1_config: PathBuf,
    /// The OAuth 2.0 client config (`ibkr --oauth2 FILE`).
    pub oauth2_config: PathBuf,
}

fn key_error(e: impl std::fmt::Display) -> SimError {
    SimError::OAuth(format!("key generation failed: {e}"))
}

fn rsa_key() -> Result<RsaPrivateKey, SimError> {
    RsaPrivateKey::new(&mut OsRng, 2048).map_err(key_error)
}

fn dh_params_pem(prime: &BigUint) -> String {
    // SEQUENCE { INTEGER p, INTEGER 2 }
    let mut p = prime.to_bytes_be();
    if p.first().is_some_and(|b| b & 0x80 != 0) {
        p.insert(0, 0);
    }
    let mut int_p = vec![0x02];
    push_len(p.len(), &mut int_p);
    int_p.extend(p);
    let body_len = int_p.len() + 3;
    let mut der = vec![0x30];
    push_len(body_len, &mut der);
    der.extend(int_p);
    der.extend([0x02, 0x01, 0x02]);
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN DH PARAMETERS-----\n{}\n-----END DH PARAMETERS-----\n",
        lines.join("\n")
    )
}

fn push_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
}

fn write(path: &Path, text: &str) -> Result<(), SimError> {
    std::fs::write(path, text)
        .map_err(|e| SimError::OAuth(format!("cannot write {}: {e}", path.display())))
}

impl SimConsumer {
    /// Make a consumer: three 2048-bit RSA keys (signature, encryption, OAuth 2.0), a
    /// 9-letter consumer key, an access token and its encrypted secret.
    pub fn generate() -> Result<Self, SimError> {
        let mut letters = [0u8; 9];
        OsRng.fill_bytes(&mut letters);
        let consumer_key: String = letters.iter().map(|b| (b'A' + b % 26) as char).collect();
        let mut token = [0u8; 10];
        OsRng.fill_bytes(&mut token);
        let mut prepend = vec![0u8; 20];
        OsRng.fill_bytes(&mut prepend);
        let signature_key = rsa_key()?;
        let encryption_key = rsa_key()?;
        let oauth2_key = rsa_key()?;
        let cipher = RsaPublicKey::from(&encryption_key)
            .encrypt(&mut OsRng, Pkcs1v15Encrypt, &prepend)
            .map_err(key_error)?;
        Ok(SimConsumer {
            consumer_key,
            access_token: hex(&token),
            prepend,
            access_token_secret: STANDARD.encode(cipher),
            signature_key,
            encryption_key,
            oauth2_key,
        })
    }

    /// The consumer key (9 letters).
    pub fn consumer_key(&self) -> &str {
        &self.consumer_key
    }

    /// What the simulated api.ibkr.com knows of the OAuth 1.0a consumer
    /// (for [`GatewayBuilder::oauth1`](crate::GatewayBuilder::oauth1)).
    pub fn oauth1(&self) -> OAuth1Consumer {
        OAuth1Consumer {
            consumer_key: self.consumer_key.clone(),
            access_token: self.access_token.clone(),
            prepend: self.prepend.clone(),
            signature_key: RsaPublicKey::from(&self.signature_key),
            dh_prime: BigUint::parse_bytes(GROUP14.as_bytes(), 16).unwrap_or_default(),
            dh_generator: BigUint::from(2u8),
            realm: "limited_poa".to_string(),
        }
    }

    /// What the simulated api.ibkr.com knows of the OAuth 2.0 client
    /// (for [`GatewayBuilder::oauth2`](crate::GatewayBuilder::oauth2)).
    pub fn oauth2(&self) -> OAuth2Client {
        OAuth2Client {
            client_id: format!("sim-{}", self.consumer_key.to_ascii_lowercase()),
            client_key_id: "sim-key-1".to_string(),
            public_key: RsaPublicKey::from(&self.oauth2_key),
            username: "simtrader".to_string(),
            ip: "127.0.0.1".to_string(),
            token_lifetime: Duration::from_secs(86399),
        }
    }

    /// The client's OAuth 1.0a config (TOML), with key paths relative to its folder.
    pub fn oauth1_toml(&self) -> String {
        format!(
            "# A consumer of the simulated api.ibkr.com (ibkr-sim --oauth); not valid at IBKR.\n\
             consumer_key = \"{}\"\n\
             access_token = \"{}\"\n\
             access_token_secret = \"{}\"\n\
             signature_key = \"private_signature.pem\"\n\
             encryption_key = \"private_encryption.pem\"\n\
             dh_params = \"dhparam.pem\"\n\
             realm = \"limited_poa\"\n",
            self.consumer_key, self.access_token, self.access_token_secret
        )
    }

    /// The client's OAuth 2.0 config (TOML).
    pub fn oauth2_toml(&self) -> String {
        let c = self.oauth2();
        format!(
            "# A client of the simulated api.ibkr.com (ibkr-sim --oauth); not valid at IBKR.\n\
             client_id = \"{}\"\n\
             client_key_id = \"{}\"\n\
             private_key = \"private_key.pem\"\n\
             username = \"{}\"\n\
             ip = \"{}\"\n",
            c.client_id, c.client_key_id, c.username, c.ip
        )
    }

    /// Write the private keys, the DH parameters and both client configs into `dir`
    /// (created if missing; files of an earlier run are replaced).
    pub fn write_to(&self, dir: &Path) -> Result<ConsumerFiles, SimError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SimError::OAuth(format!("cannot create {}: {e}", dir.display())))?;
        let pem = |k: &RsaPrivateKey| {
            k.to_pkcs8_pem(LineEnding::LF)
                .map(|p| p.to_string())
                .map_err(key_error)
        };
        write(
            &dir.join("private_signature.pem"),
            &pem(&self.signature_key)?,
        )?;
        write(
            &dir.join("private_encryption.pem"),
            &pem(&self.encryption_key)?,
        )?;
        write(&dir.join("private_key.pem"), &pem(&self.oauth2_key)?)?;
        let prime = BigUint::parse_bytes(GROUP14.as_bytes(), 16).unwrap_or_default();
        write(&dir.join("dhparam.pem"), &dh_params_pem(&prime))?;
        let files = ConsumerFiles {
            oauth1_config: dir.join("ibkr-oauth1.toml"),
            oauth2_config: dir.join("ibkr-oauth2.toml"),
        };
        write(&files.oauth1_config, &self.oauth1_toml())?;
        write(&files.oauth2_config, &self.oauth2_toml())?;
        Ok(files)
    }
}
