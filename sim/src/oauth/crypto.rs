//! The server side of OAuth's cryptography, written independently of the client's:
//! percent-encoding, base strings, the `Authorization: OAuth` header, signature checks,
//! the DH response and the live session token, JWS (RS256) verification.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// RFC 3986 unreserved characters stay, everything else is `%XX`.
pub(crate) fn pct(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `%XX` back to bytes (invalid escapes are kept as text).
pub(crate) fn pct_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let digit = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (digit(bytes[i + 1]), digit(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parameters of `Authorization: OAuth realm="...", k="v", ...` (realm included).
pub(crate) fn parse_oauth_header(value: &str) -> Option<BTreeMap<String, String>> {
    let rest = value.trim().strip_prefix("OAuth ")?;
    let mut params = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        let v = v.trim().strip_prefix('"')?.strip_suffix('"')?;
        params.insert(k.trim().to_string(), v.to_string());
    }
    Some(params)
}

/// `METHOD&pct(url)&pct(sorted k=v&...)` over every parameter except realm and the signature.
pub(crate) fn base_string(method: &str, url: &str, params: &BTreeMap<String, String>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "realm" && k.as_str() != "oauth_signature")
        .map(|(k, v)| (pct(k), pct(v)))
        .collect();
    pairs.sort();
    let joined = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        pct(url),
        pct(&joined)
    )
}

/// Whether `signature` (as sent: percent-encoded base64) is RSA-SHA256 over `text`.
pub(crate) fn rsa_sha256_valid(key: &RsaPublicKey, text: &str, signature: &str) -> bool {
    let Ok(raw) = STANDARD.decode(pct_decode(signature)) else {
        return false;
    };
    key.verify(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(text.as_bytes()),
        &raw,
    )
    .is_ok()
}

/// Whether `signature` (percent-encoded base64) is HMAC-SHA256(key, text), in constant time.
pub(crate) fn hmac_sha256_valid(key: &[u8], text: &str, signature: &str) -> bool {
    let Ok(raw) = STANDARD.decode(pct_decode(signature)) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return false;
    };
    mac.update(text.as_bytes());
    mac.verify_slice(&raw).is_ok()
}

/// HMAC-SHA1.
pub(crate) fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
        // HMAC accepts keys of every length.
        unreachable!("HMAC takes any key length")
    });
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// K as Java's `BigInteger.toByteArray()` gives it: a 0x00 in front when the bit length
/// is a multiple of 8.
pub(crate) fn java_bytes(k: &BigUint) -> Vec<u8> {
    let mut bytes = k.to_bytes_be();
    if k.bits().is_multiple_of(8) {
        bytes.insert(0, 0);
    }
    bytes
}

/// A verified JWS's (header, claims), or why it was refused.
pub(crate) fn verify_rs256(
    token: &str,
    key: &RsaPublicKey,
) -> Result<(serde_json::Value, serde_json::Value), &'static str> {
    let mut parts = token.trim().split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a compact JWS");
    };
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("unreadable JWS header")?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("RS256") {
        return Err("alg must be RS256");
    }
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| "unreadable signature")?;
    let signed = &token.trim()[..h.len() + 1 + c.len()];
    key.verify(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(signed.as_bytes()),
        &signature,
    )
    .map_err(|_| "invalid signature")?;
    let claims: serde_json::Value = URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("unreadable JWS claims")?;
    Ok((header, claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_parses_and_the_base_string_leaves_out_realm_and_signature() {
        let p = parse_oauth_header(
            "OAuth realm=\"limited_poa\", oauth_token=\"a1b2c3d4e5f60718293a\", oauth_timestamp=\"1714489440\", \
             oauth_signature_method=\"HMAC-SHA256\", oauth_signature=\"x%2B\", oauth_nonce=\"b2490f57a3b0\", \
             oauth_consumer_key=\"TESTCONS\"",
        )
        .unwrap();
        assert_eq!(p["realm"], "limited_poa");
        assert_eq!(pct_decode(&p["oauth_signature"]), "x+");
        assert_eq!(
            base_string("GET", "https://api.ibkr.com/v1/api/portfolio/accounts", &p),
            "GET&https%3A%2F%2Fapi.ibkr.com%2Fv1%2Fapi%2Fportfolio%2Faccounts&oauth_consumer_key%3DTESTCONS%26oauth_nonce%3Db2490f57a3b0%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1714489440%26oauth_token%3Da1b2c3d4e5f60718293a"
        );
    }

    #[test]
    fn the_sign_byte_is_added_only_on_a_byte_boundary() {
        assert_eq!(java_bytes(&BigUint::from(0x80u32)), vec![0, 0x80]);
        assert_eq!(java_bytes(&BigUint::from(0x7fu32)), vec![0x7f]);
    }
}
