//! RS256 compact JWS (RFC 7515): what OAuth 2.0's client assertion and the sso-sessions
//! body are.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::Pkcs1v15Sign;
use sha2::{Digest, Sha256};

use super::keys::PrivateKey;

/// `base64url(header).base64url(claims).base64url(RSASSA-PKCS1-v1_5-SHA256 signature)`.
pub(crate) fn rs256(
    key: &PrivateKey,
    kid: &str,
    claims: &serde_json::Value,
) -> Result<String, String> {
    let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
    let mut token = URL_SAFE_NO_PAD.encode(header.to_string());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let digest = Sha256::digest(token.as_bytes());
    let signature = key
        .0
        .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .map_err(|e| format!("RS256 signing failed: {e}"))?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(token)
}

/// The `exp` claim of a JWT, read without checking its signature (only to know when to
/// renew a token IBKR gave us).
pub(crate) fn unverified_exp(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::RsaPublicKey;

    #[test]
    fn an_rs256_token_verifies_with_the_public_key() {
        let key = PrivateKey(rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap());
        let claims = serde_json::json!({"iss": "me", "exp": 1_900_000_000u64});
        let token = rs256(&key, "k1", &claims).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], "k1");
        let signed = format!("{}.{}", parts[0], parts[1]);
        let public = RsaPublicKey::from(&key.0);
        public
            .verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(signed.as_bytes()),
                &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
            )
            .unwrap();
        assert_eq!(unverified_exp(&token), Some(1_900_000_000));
    }
}
