//! One-time key setup: the RSA key pairs and Diffie-Hellman parameters a user uploads to
//! IBKR's OAuth portals, generated in pure Rust (no `openssl` needed).
//!
//! ```no_run
//! use ibkr_ext::oauth::setup;
//! # fn demo() -> ibkr_ext::Result<()> {
//! let files = setup::write_oauth1_keys("ibkr-keys".as_ref(), setup::DhSource::Generate { bits: 2048 }, &mut |tested| {
//!     eprint!("\rcandidates tested: {tested}");
//! })?;
//! println!("upload {} and {}", files.public_signature.display(), files.dh_params.display());
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use num_bigint_dig::prime::probably_prime;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::rand_core::{OsRng, RngCore as _};
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};

use super::keys::{DhGroup, dh_params_pem};
use crate::{Error, Result};

/// RFC 3526's 2048-bit MODP group (group 14), a published safe prime with generator 2.
pub const RFC3526_GROUP14_HEX: &str = "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff";

/// Where the Diffie-Hellman prime comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DhSource {
    /// Generate a fresh safe prime of this many bits (IBKR expects 2048; takes a while).
    Generate {
        /// Bits of the prime.
        bits: usize,
    },
    /// RFC 3526's published 2048-bit group (instant).
    Rfc3526Group14,
}

/// The files [`write_oauth1_keys`] wrote.
#[derive(Clone, Debug)]
pub struct OAuth1KeyFiles {
    /// Private signature key (keep; the config's `signature_key`).
    pub private_signature: PathBuf,
    /// Public signature key (upload to IBKR).
    pub public_signature: PathBuf,
    /// Private encryption key (keep; the config's `encryption_key`).
    pub private_encryption: PathBuf,
    /// Public encryption key (upload to IBKR).
    pub public_encryption: PathBuf,
    /// Diffie-Hellman parameters (upload to IBKR; the config's `dh_params`).
    pub dh_params: PathBuf,
    /// A config file to complete with what the portal shows.
    pub config: PathBuf,
}

/// The files [`write_oauth2_keys`] wrote.
#[derive(Clone, Debug)]
pub struct OAuth2KeyFiles {
    /// Private key (keep; the config's `private_key`).
    pub private_key: PathBuf,
    /// Public key (give IBKR, with its key id).
    pub public_key: PathBuf,
    /// A config file to complete.
    pub config: PathBuf,
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::OAuthConfig {
        key: "file",
        reason: format!("cannot write {}: {e}", path.display()),
    }
}

/// Write `text`; private files are readable by the owner only (on Unix). Existing files
/// are never overwritten: keys already uploaded must not change under the user.
fn write_new(path: &Path, text: &str, private: bool) -> Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::OAuthConfig {
                key: "file",
                reason: format!(
                    "{} exists: keys already made are not overwritten; choose another folder",
                    path.display()
                ),
            }
        } else {
            io_error(path, e)
        }
    })?;
    file.write_all(text.as_bytes())
        .map_err(|e| io_error(path, e))
}

/// A 2048-bit RSA key pair as (private PKCS#8 PEM, public SPKI PEM).
pub fn rsa_key_pair_pem(bits: usize) -> Result<(ibkr_gen::Secret, String)> {
    let key = RsaPrivateKey::new(&mut OsRng, bits).map_err(|e| Error::OAuthConfig {
        key: "key generation",
        reason: e.to_string(),
    })?;
    let private = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| Error::OAuthConfig {
            key: "key generation",
            reason: e.to_string(),
        })?;
    let public = RsaPublicKey::from(&key)
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| Error::OAuthConfig {
            key: "key generation",
            reason: e.to_string(),
        })?;
    Ok((ibkr_gen::Secret::new(private.as_str()), public))
}

/// Small odd primes for the sieve.
fn small_primes(limit: u32) -> Vec<u32> {
    let mut sieve = vec![true; limit as usize + 1];
    let mut primes = Vec::new();
    for n in 3..=limit {
        if sieve[n as usize] {
            if n != 3 {
                primes.push(n);
            }
            let mut m = n as usize * n as usize;
            while m <= limit as usize {
                sieve[m] = false;
                m += n as usize;
            }
        }
    }
    primes
}

/// A safe prime `p = 2q + 1` (q prime) of `bits` bits with `p ≡ 23 (mod 24)`, so that
/// generator 2 generates the subgroup of order q (as `openssl dhparam -2` makes them).
/// `progress` is called with the number of candidates that passed the sieve and were
/// tested so far.
pub fn safe_prime(bits: usize, progress: &mut dyn FnMut(u64)) -> String {
    let bits = bits.max(64);
    // q ≡ 11 (mod 12): p = 2q + 1 ≡ 23 (mod 24); both odd and not divisible by 3.
    let primes = small_primes(1 << 16);
    let two = BigUint::from(2u8);
    let mut tested = 0u64;
    loop {
        let mut bytes = vec![0u8; bits.div_ceil(8)];
        OsRng.fill_bytes(&mut bytes);
        let mut q = BigUint::from_bytes_be(&bytes) >> (bytes.len() * 8 - (bits - 1));
        q |= BigUint::from(3u8) << (bits - 3);
        let rem = (&q % 12u32).to_u32_digit();
        q += BigUint::from((11 + 12 - rem) % 12);
        let residues: Vec<u32> = primes.iter().map(|&s| (&q % s).to_u32_digit()).collect();
        // Walk q, q + 12, q + 24, ... for a while before picking a new start.
        for step in 0..(1u32 << 20) {
            let delta = step as u64 * 12;
            let composite = primes.iter().zip(&residues).any(|(&s, &r)| {
                let qm = ((r as u64 + delta) % s as u64) as u32;
                qm == 0 || (2 * qm as u64 + 1).is_multiple_of(s as u64)
            });
            if composite {
                continue;
            }
            tested += 1;
            progress(tested);
            let candidate_q = &q + BigUint::from(delta);
            let p = &candidate_q * &two + 1u32;
            // Cheap Fermat tests first, then the full probabilistic tests.
            if two.modpow(&(&candidate_q - 1u32), &candidate_q) != BigUint::from(1u8) {
                continue;
            }
            if two.modpow(&(&p - 1u32), &p) != BigUint::from(1u8) {
                continue;
            }
            if probably_prime(&candidate_q, 20) && probably_prime(&p, 20) && p.bits() == bits {
                return p.to_str_radix(16);
            }
        }
    }
}

trait ToU32 {
    fn to_u32_digit(&self) -> u32;
}

impl ToU32 for BigUint {
    fn to_u32_digit(&self) -> u32 {
        self.to_bytes_be()
            .iter()
            .fold(0u64, |acc, &b| ((acc << 8) | b as u64) & 0xffff_ffff) as u32
    }
}

/// `DH PARAMETERS` PEM for a prime given as hex, generator 2.
pub fn dh_params_pem_for(prime_hex: &str) -> Result<String> {
    let prime =
        BigUint::parse_bytes(prime_hex.as_bytes(), 16).ok_or_else(|| Error::OAuthConfig {
            key: "dh_prime",
            reason: "not hex".into(),
        })?;
    Ok(dh_params_pem(&DhGroup {
        prime,
        generator: BigUint::from(2u8),
    }))
}

/// Write the OAuth 1.0a key files into `dir` (created if missing): two RSA key pairs
/// (signature, encryption), the DH parameters and a config file to complete.
pub fn write_oauth1_keys(
    dir: &Path,
    dh: DhSource,
    progress: &mut dyn FnMut(u64),
) -> Result<OAuth1KeyFiles> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let files = OAuth1KeyFiles {
        private_signature: dir.join("private_signature.pem"),
        public_signature: dir.join("public_signature.pem"),
        private_encryption: dir.join("private_encryption.pem"),
        public_encryption: dir.join("public_encryption.pem"),
        dh_params: dir.join("dhparam.pem"),
        config: dir.join("ibkr-oauth1.toml"),
    };
    for path in [
        &files.private_signature,
        &files.private_encryption,
        &files.dh_params,
        &files.config,
    ] {
        if path.exists() {
            return Err(Error::OAuthConfig {
                key: "file",
                reason: format!(
                    "{} exists: keys already made are not overwritten; choose another folder",
                    path.display()
                ),
            });
        }
    }
    let prime = match dh {
        DhSource::Generate { bits } => safe_prime(bits, progress),
        DhSource::Rfc3526Group14 => RFC3526_GROUP14_HEX.to_string(),
    };
    let (sig_private, sig_public) = rsa_key_pair_pem(2048)?;
    let (enc_private, enc_public) = rsa_key_pair_pem(2048)?;
    write_new(&files.private_signature, sig_private.expose(), true)?;
    write_new(&files.public_signature, &sig_public, false)?;
    write_new(&files.private_encryption, enc_private.expose(), true)?;
    write_new(&files.public_encryption, &enc_public, false)?;
    write_new(&files.dh_params, &dh_params_pem_for(&prime)?, false)?;
    let config = "# OAuth 1.0a consumer: fill in the three values IBKR's portal shows.\n\
                  consumer_key = \"\"          # the 9-letter key you chose in the portal\n\
                  access_token = \"\"          # shown after you generate the access token\n\
                  access_token_secret = \"\"   # shown with it (base64)\n\
                  signature_key = \"private_signature.pem\"\n\
                  encryption_key = \"private_encryption.pem\"\n\
                  dh_params = \"dhparam.pem\"\n\
                  realm = \"limited_poa\"\n";
    write_new(&files.config, config, true)?;
    Ok(files)
}

/// Write the OAuth 2.0 key files into `dir`: an RSA key pair and a config file to complete.
pub fn write_oauth2_keys(dir: &Path) -> Result<OAuth2KeyFiles> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let files = OAuth2KeyFiles {
        private_key: dir.join("private_key.pem"),
        public_key: dir.join("public_key.pem"),
        config: dir.join("ibkr-oauth2.toml"),
    };
    let (private, public) = rsa_key_pair_pem(2048)?;
    write_new(&files.private_key, private.expose(), true)?;
    write_new(&files.public_key, &public, false)?;
    let config = "# OAuth 2.0 (private_key_jwt) client: fill in what IBKR registered.\n\
                  client_id = \"\"\n\
                  client_key_id = \"\"   # the key id (kid) IBKR has for public_key.pem\n\
                  private_key = \"private_key.pem\"\n\
                  username = \"\"        # the IBKR username sessions are opened for\n\
                  # ip = \"203.0.113.7\" # your public egress IP; IBKR checks it\n";
    write_new(&files.config, config, true)?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_safe_prime_is_safe_and_suits_generator_two() {
        let mut calls = 0;
        let hex = safe_prime(256, &mut |_| calls += 1);
        let p = BigUint::parse_bytes(hex.as_bytes(), 16).unwrap();
        assert_eq!(p.bits(), 256);
        assert!(probably_prime(&p, 20));
        let q = (&p - 1u32) >> 1;
        assert!(probably_prime(&q, 20));
        assert_eq!((&p % 24u32).to_u32_digit(), 23);
        assert!(calls > 0, "progress was reported");
    }

    #[test]
    fn the_rfc3526_group_is_a_safe_prime() {
        let p = BigUint::parse_bytes(RFC3526_GROUP14_HEX.as_bytes(), 16).unwrap();
        assert_eq!(p.bits(), 2048);
        assert!(probably_prime(&p, 5));
        assert!(probably_prime(&((&p - 1u32) >> 1), 5));
    }
}

#[cfg(test)]
mod timing {
    /// `IBKR_BITS=2048 cargo test --release -p ibkr-ext --lib oauth::setup::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    fn safe_prime_generation_time() {
        let bits = std::env::var("IBKR_BITS")
            .ok()
            .and_then(|b| b.parse().ok())
            .unwrap_or(1024);
        let start = std::time::Instant::now();
        let mut tested = 0;
        super::safe_prime(bits, &mut |n| tested = n);
        println!(
            "{bits}-bit safe prime: {:.1} s, {tested} candidates tested",
            start.elapsed().as_secs_f64()
        );
    }
}
