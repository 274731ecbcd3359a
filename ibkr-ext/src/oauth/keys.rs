//! Key material from a config file: RSA private keys and Diffie-Hellman parameters, given
//! inline as PEM text or as a path relative to the config file's folder.
//!
//! Nothing read here ever reaches an error message: errors name the config key, the file
//! and what kind of PEM was found, never its content.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{BigUint, RsaPrivateKey};
use zeroize::Zeroizing;

use super::ConfigError;

/// An RSA private key. Prints as `PrivateKey(***)`; wiped on drop (by `rsa`).
#[derive(Clone)]
pub(crate) struct PrivateKey(pub(crate) RsaPrivateKey);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(***)")
    }
}

/// A Diffie-Hellman group: the prime `p` and the generator `g`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DhGroup {
    pub(crate) prime: BigUint,
    pub(crate) generator: BigUint,
}

impl fmt::Debug for DhGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The group is public; its size is what a reader wants to see.
        write!(
            f,
            "DhGroup({}-bit prime, g = {})",
            self.prime.bits(),
            self.generator
        )
    }
}

/// Where a key's text came from, for error messages.
fn origin(value: &str, dir: &Path) -> Result<(Zeroizing<String>, Option<PathBuf>), String> {
    if value.contains("-----BEGIN") {
        return Ok((Zeroizing::new(value.to_string()), None));
    }
    let path = dir.join(value.trim());
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((Zeroizing::new(text), Some(path))),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The label of the first PEM block (`RSA PRIVATE KEY`, `PUBLIC KEY`, ...).
fn pem_label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &text[start..];
    let end = rest.find("-----")?;
    Some(rest[..end].trim())
}

/// An RSA private key from PEM text or a file (PKCS#1 `RSA PRIVATE KEY` or PKCS#8
/// `PRIVATE KEY`).
pub(crate) fn private_key(
    key: &'static str,
    value: &str,
    dir: &Path,
) -> Result<PrivateKey, ConfigError> {
    let fail = |reason: String| ConfigError { key, reason };
    let (text, path) = origin(value, dir).map_err(fail)?;
    let place = path
        .as_ref()
        .map(|p| format!("{}: ", p.display()))
        .unwrap_or_default();
    let label = pem_label(&text).ok_or_else(|| {
        fail(format!(
            "{place}no PEM block: expected an RSA private key (-----BEGIN PRIVATE KEY-----)"
        ))
    })?;
    let parsed = match label {
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(&text).map_err(|e| e.to_string()),
        "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_pem(&text).map_err(|e| e.to_string()),
        "ENCRYPTED PRIVATE KEY" => {
            return Err(fail(format!(
                "{place}the key is password-protected: decrypt it first (openssl pkey -in KEY -out PLAIN)"
            )));
        }
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {
            return Err(fail(format!(
                "{place}this is a public key: give the private half (the public one is what you upload to IBKR)"
            )));
        }
        other => {
            return Err(fail(format!(
                "{place}a PEM of kind {other:?}, expected an RSA private key"
            )));
        }
    };
    let key_value =
        parsed.map_err(|e| fail(format!("{place}not a valid RSA private key ({e})")))?;
    Ok(PrivateKey(key_value))
}

/// Parse a prime given as hex (`dh_prime`): colons, whitespace and a `0x` prefix are
/// allowed, as `openssl dhparam -text` prints them.
pub(crate) fn hex_prime(value: &str) -> Result<BigUint, ConfigError> {
    let fail = |reason: &str| ConfigError {
        key: "dh_prime",
        reason: reason.to_string(),
    };
    let trimmed = value.trim();
    let trimmed = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let digits: String = trimmed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    if digits.is_empty() {
        return Err(fail("empty: give the DH prime as hex"));
    }
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(fail(
            "not hex: give the prime as hex digits (openssl dhparam -in dhparam.pem -text), or use dh_params with the PEM file",
        ));
    }
    BigUint::parse_bytes(digits.as_bytes(), 16).ok_or_else(|| fail("not hex"))
}

/// Read `DH PARAMETERS` (PKCS#3: `SEQUENCE { INTEGER p, INTEGER g, ... }`) from PEM text
/// or a file.
pub(crate) fn dh_params(value: &str, dir: &Path) -> Result<DhGroup, ConfigError> {
    let key = "dh_params";
    let fail = |reason: String| ConfigError { key, reason };
    let (text, path) = origin(value, dir).map_err(fail)?;
    let place = path
        .as_ref()
        .map(|p| format!("{}: ", p.display()))
        .unwrap_or_default();
    match pem_label(&text) {
        Some("DH PARAMETERS") => {}
        Some(other) => {
            return Err(fail(format!(
                "{place}a PEM of kind {other:?}, expected DH PARAMETERS (openssl dhparam -out dhparam.pem 2048)"
            )));
        }
        None => return Err(fail(format!("{place}no PEM block: expected DH PARAMETERS"))),
    }
    let der = pem_body(&text).ok_or_else(|| fail(format!("{place}the PEM body is not base64")))?;
    let (prime, generator) = parse_dh_der(&der)
        .ok_or_else(|| fail(format!("{place}not a valid DH PARAMETERS structure")))?;
    if prime.bits() < 1024 {
        return Err(fail(format!(
            "{place}the prime has only {} bits; IBKR expects 2048",
            prime.bits()
        )));
    }
    Ok(DhGroup { prime, generator })
}

/// The base64 body of the first PEM block, decoded.
fn pem_body(text: &str) -> Option<Vec<u8>> {
    let start = text.find("-----BEGIN")?;
    let after_header = start + text[start..].find('\n')? + 1;
    let end = after_header + text[after_header..].find("-----END")?;
    let b64: String = text[after_header..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(b64).ok()
}

/// One DER element: (tag, content, rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// `SEQUENCE { INTEGER p, INTEGER g, [INTEGER privateValueLength] }`.
pub(crate) fn parse_dh_der(der: &[u8]) -> Option<(BigUint, BigUint)> {
    let (tag, seq, _) = der_element(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag_p, p, rest) = der_element(seq)?;
    let (tag_g, g, _) = der_element(rest)?;
    if tag_p != 0x02 || tag_g != 0x02 {
        return None;
    }
    Some((BigUint::from_bytes_be(p), BigUint::from_bytes_be(g)))
}

fn der_length(len: usize, out: &mut Vec<u8>) {
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

fn der_integer(n: &BigUint, out: &mut Vec<u8>) {
    let mut bytes = n.to_bytes_be();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    out.push(0x02);
    der_length(bytes.len(), out);
    out.extend(bytes);
}

/// `DH PARAMETERS` PEM text for a group, as `openssl dhparam` writes it.
pub(crate) fn dh_params_pem(group: &DhGroup) -> String {
    let mut body = Vec::new();
    der_integer(&group.prime, &mut body);
    der_integer(&group.generator, &mut body);
    let mut der = vec![0x30];
    der_length(body.len(), &mut der);
    der.extend(body);
    let b64 = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN DH PARAMETERS-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END DH PARAMETERS-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group14() -> BigUint {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("testdata/lst_vectors.json")).unwrap();
        BigUint::parse_bytes(v["prime"].as_str().unwrap().as_bytes(), 16).unwrap()
    }

    #[test]
    fn dh_parameters_round_trip_through_pem() {
        let group = DhGroup {
            prime: group14(),
            generator: BigUint::from(2u8),
        };
        let pem = dh_params_pem(&group);
        assert!(pem.starts_with("-----BEGIN DH PARAMETERS-----\n"));
        let back = dh_params(&pem, Path::new(".")).unwrap();
        assert_eq!(back, group);
    }

    #[test]
    fn a_prime_in_openssl_text_form_is_read() {
        assert_eq!(hex_prime("00:ff:\n  01").unwrap(), BigUint::from(0xff01u32));
        assert_eq!(hex_prime("0xFF").unwrap(), BigUint::from(0xffu32));
    }

    #[test]
    fn a_non_hex_prime_names_dh_prime() {
        let e = hex_prime("12zz").unwrap_err();
        assert_eq!(e.key, "dh_prime");
        assert!(e.reason.contains("not hex"), "{}", e.reason);
    }

    #[test]
    fn a_public_key_is_refused_as_the_private_half() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n";
        let e = private_key("signature_key", pem, Path::new(".")).unwrap_err();
        assert_eq!(e.key, "signature_key");
        assert!(e.reason.contains("public key"), "{}", e.reason);
    }

    #[test]
    fn a_missing_key_file_names_the_key_and_the_path() {
        let e =
            private_key("encryption_key", "nowhere.pem", Path::new("/nonexistent")).unwrap_err();
        assert_eq!(e.key, "encryption_key");
        assert!(
            e.reason.contains("/nonexistent/nowhere.pem"),
            "{}",
            e.reason
        );
    }

    #[test]
    fn dh_params_of_the_wrong_kind_are_refused() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n";
        let e = dh_params(pem, Path::new(".")).unwrap_err();
        assert_eq!(e.key, "dh_params");
        assert!(e.reason.contains("DH PARAMETERS"), "{}", e.reason);
    }
}
