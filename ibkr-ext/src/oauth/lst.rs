//! The live session token's arithmetic: the Diffie-Hellman challenge, the shared secret K
//! (with Java's sign byte), the token itself, its validation, and the two signatures
//! (RSA-SHA256 for the token request, HMAC-SHA256 for everything after).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rsa::BigUint;
use rsa::Pkcs1v15Encrypt;
use rsa::Pkcs1v15Sign;
use rsa::rand_core::RngCore as _;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::encode::percent_encode;
use super::keys::{DhGroup, PrivateKey};

type HmacSha1 = Hmac<Sha1>;
type HmacSha256 = Hmac<Sha256>;

/// Our half of one Diffie-Hellman exchange: the secret exponent `a` (wiped on drop) and
/// the challenge `A = g^a mod p` as lowercase hex.
pub(crate) struct DhExchange {
    a: BigUint,
    pub(crate) challenge: String,
}

impl Drop for DhExchange {
    fn drop(&mut self) {
        self.a.zeroize();
    }
}

impl DhExchange {
    /// A fresh random 256-bit exponent.
    pub(crate) fn random(group: &DhGroup) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rsa::rand_core::OsRng.fill_bytes(&mut bytes[..]);
        Self::from_exponent(group, BigUint::from_bytes_be(&bytes[..]))
    }

    /// A given exponent (the tests' vectors).
    pub(crate) fn from_exponent(group: &DhGroup, a: BigUint) -> Self {
        let challenge = group.generator.modpow(&a, &group.prime).to_str_radix(16);
        DhExchange { a, challenge }
    }

    /// K = B^a mod p as big-endian bytes, with one 0x00 in front when K's bit length is a
    /// multiple of 8 (Java's `BigInteger.toByteArray` sign byte). Refuses a B outside
    /// `2 .. p-2`, which would make K predictable.
    pub(crate) fn shared_secret(
        &self,
        group: &DhGroup,
        response_hex: &str,
    ) -> Result<Zeroizing<Vec<u8>>, String> {
        let b = BigUint::parse_bytes(response_hex.trim().as_bytes(), 16)
            .ok_or_else(|| "diffie_hellman_response is not hex".to_string())?;
        let one = BigUint::from(1u8);
        if b <= one || b >= &group.prime - &one {
            return Err("diffie_hellman_response is outside the group".to_string());
        }
        let mut k = b.modpow(&self.a, &group.prime);
        let bytes = java_bytes(&k);
        k.zeroize();
        Ok(bytes)
    }
}

/// The big-endian bytes Java's `BigInteger.toByteArray()` gives for a positive number.
pub(crate) fn java_bytes(k: &BigUint) -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new(k.to_bytes_be());
    if k.bits().is_multiple_of(8) {
        bytes.insert(0, 0);
    }
    bytes
}

/// `prepend`'s bytes: the hex text decoded.
fn prepend_bytes(prepend_hex: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let text = prepend_hex.trim();
    if !text.len().is_multiple_of(2) {
        return Err("the decrypted access token secret is not hex".to_string());
    }
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 2));
    for pair in text.as_bytes().chunks(2) {
        let hi = (pair[0] as char).to_digit(16);
        let lo = (pair[1] as char).to_digit(16);
        match (hi, lo) {
            (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
            _ => return Err("the decrypted access token secret is not hex".to_string()),
        }
    }
    Ok(out)
}

/// LST = base64(HMAC-SHA1(key = K, message = prepend's bytes)).
pub(crate) fn live_session_token(k: &[u8], prepend_hex: &str) -> Result<Zeroizing<String>, String> {
    let message = prepend_bytes(prepend_hex)?;
    let mut mac = <HmacSha1 as Mac>::new_from_slice(k).map_err(|e| e.to_string())?;
    mac.update(&message);
    let digest = Zeroizing::new(mac.finalize().into_bytes().to_vec());
    Ok(Zeroizing::new(STANDARD.encode(&digest[..])))
}

/// Whether `hex(HMAC-SHA1(key = base64-decoded LST, consumer key))` equals IBKR's
/// `live_session_token_signature`, compared in constant time.
pub(crate) fn token_signature_matches(
    lst_key: &[u8],
    consumer_key: &str,
    signature_hex: &str,
) -> bool {
    let Ok(expected) = prepend_bytes(signature_hex) else {
        return false;
    };
    let Ok(mut mac) = <HmacSha1 as Mac>::new_from_slice(lst_key) else {
        return false;
    };
    mac.update(consumer_key.as_bytes());
    mac.verify_slice(&expected).is_ok()
}

/// The prepend: hex of the access token secret, RSA PKCS#1 v1.5-decrypted with the private
/// encryption key.
pub(crate) fn decrypt_prepend(
    encryption_key: &PrivateKey,
    secret_b64: &str,
) -> Result<Zeroizing<String>, String> {
    let cipher = STANDARD.decode(secret_b64.trim()).map_err(|_| {
        "not base64: copy the access token secret exactly as IBKR's portal shows it".to_string()
    })?;
    let plain = Zeroizing::new(encryption_key.0.decrypt(Pkcs1v15Encrypt, &cipher).map_err(|_| {
        "does not decrypt with encryption_key (IBKR says \"No access secret key found\" for this): \
         check that encryption_key is the private half of the encryption key you uploaded, and that \
         the secret was copied whole; regenerate the access token if in doubt"
            .to_string()
    })?);
    let mut hex = Zeroizing::new(String::with_capacity(plain.len() * 2));
    for b in plain.iter() {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
    }
    Ok(hex)
}

/// pct(base64(RSA-SHA256 PKCS#1 v1.5 signature of `base_string`)).
pub(crate) fn rsa_sha256(key: &PrivateKey, base_string: &str) -> Result<String, String> {
    let digest = Sha256::digest(base_string.as_bytes());
    let signature = key
        .0
        .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .map_err(|e| format!("RSA signing failed: {e}"))?;
    Ok(percent_encode(&STANDARD.encode(signature)))
}

/// pct(base64(HMAC-SHA256(key = base64-decoded LST, `base_string`))).
pub(crate) fn hmac_sha256(lst_key: &[u8], base_string: &str) -> String {
    let mut mac = match <HmacSha256 as Mac>::new_from_slice(lst_key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(base_string.as_bytes());
    percent_encode(&STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Value {
        serde_json::from_str(include_str!("testdata/lst_vectors.json")).unwrap()
    }

    fn hex(v: &Value) -> BigUint {
        BigUint::parse_bytes(v.as_str().unwrap().as_bytes(), 16).unwrap()
    }

    fn group(v: &Value) -> DhGroup {
        DhGroup {
            prime: hex(&v["prime"]),
            generator: BigUint::from(v["generator"].as_u64().unwrap()),
        }
    }

    fn check_case(name: &str) {
        let v = vectors();
        let group = group(&v);
        let case = v["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap();
        let dh = DhExchange::from_exponent(&group, hex(&case["a"]));
        // The challenge follows from a: computed, then checked to be g^a mod p.
        assert_eq!(
            BigUint::parse_bytes(dh.challenge.as_bytes(), 16).unwrap(),
            group.generator.modpow(&hex(&case["a"]), &group.prime)
        );
        assert!(!dh.challenge.starts_with("0x") && dh.challenge == dh.challenge.to_lowercase());
        let b = case["b"].as_str().unwrap();
        let k = dh.shared_secret(&group, b).unwrap();
        let k_bits = case["k_bits"].as_u64().unwrap() as usize;
        assert_eq!(BigUint::from_bytes_be(&k).bits(), k_bits);
        assert_eq!(
            k[0] == 0,
            k_bits.is_multiple_of(8),
            "the sign byte is there exactly when needed"
        );
        let lst = live_session_token(&k, case["prepend"].as_str().unwrap()).unwrap();
        assert_eq!(lst.as_str(), case["lst"].as_str().unwrap());
        let key = STANDARD.decode(lst.as_str()).unwrap();
        let sig = case["lst_signature"].as_str().unwrap();
        assert!(token_signature_matches(&key, "TESTCONS", sig));
        assert!(!token_signature_matches(&key, "TESTCONT", sig));
    }

    #[test]
    fn the_ordinary_vector_gives_the_published_token_and_signature() {
        check_case("ordinary");
    }

    #[test]
    fn the_sign_byte_vector_needs_the_leading_zero() {
        check_case("sign byte");
        // Without the 0x00 the token differs: the bug that fails every second login.
        let v = vectors();
        let group = group(&v);
        let case = &v["cases"][1];
        let dh = DhExchange::from_exponent(&group, hex(&case["a"]));
        let k = dh
            .shared_secret(&group, case["b"].as_str().unwrap())
            .unwrap();
        let lst = live_session_token(&k[1..], case["prepend"].as_str().unwrap()).unwrap();
        assert_ne!(lst.as_str(), case["lst"].as_str().unwrap());
    }

    #[test]
    fn a_response_outside_the_group_is_refused() {
        let group = group(&vectors());
        let dh = DhExchange::random(&group);
        assert!(dh.shared_secret(&group, "1").is_err());
        assert!(dh.shared_secret(&group, "zz").is_err());
        let p_minus_1 = (&group.prime - BigUint::from(1u8)).to_str_radix(16);
        assert!(dh.shared_secret(&group, &p_minus_1).is_err());
    }

    #[test]
    fn a_signature_that_is_not_hex_never_matches() {
        assert!(!token_signature_matches(
            b"key",
            "TESTCONS",
            "not hex at all"
        ));
        assert!(!token_signature_matches(b"key", "TESTCONS", ""));
    }
}
