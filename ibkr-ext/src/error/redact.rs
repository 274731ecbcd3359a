//! Masking what must never be shown (tokens, cookies, session ids, account numbers) in
//! text that may reach an error message or a log.

/// The first 200 characters of a body, redacted.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.chars().take(200).collect();
    redact(&text)
}

/// Mask what must never be shown: session ids and tokens (the value after a
/// secret-looking key, and any 32+ hex run), whole `Authorization`, `Cookie` and
/// `Set-Cookie` headers, `Bearer`/`OAuth` credentials, secrets in query strings, and
/// account numbers (`U1234567` → `U***4567`).
pub fn redact(text: &str) -> String {
    /// Keys whose value is masked up to the next delimiter.
    const SECRET_KEYS: &[&str] = &[
        "session",
        "token",
        "secret",
        "signature",
        "password",
        "diffie_hellman",
        "api",
    ];
    /// Keys whose value is masked to the end of the line (or of the quoted string).
    const HEADER_KEYS: &[&str] = &["authorization", "set-cookie", "cookie"];
    /// Credential schemes: the word after them is masked.
    const SCHEMES: &[&str] = &["bearer ", "oauth ", "basic "];
    let masked = ibkr_gen::wire::mask_accounts(text);
    let lower = masked.to_ascii_lowercase();
    let bytes = masked.as_bytes();
    let mut out = String::with_capacity(masked.len());
    let mut i = 0;
    while i < bytes.len() {
        let at_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let rest = &lower[i..];
        if at_word && let Some(scheme) = SCHEMES.iter().find(|s| rest.starts_with(**s)) {
            let end = i + scheme.len();
            out.push_str(&masked[i..end]);
            i = mask_until(&masked, end, &mut out, |c| {
                c == '"' || c == '\'' || c == ',' || c.is_whitespace()
            });
            continue;
        }
        // Keys match inside words too (`oauth_token`, `sessionId`); `api` (the gateway's
        // cookie) only as a word of its own.
        let header = HEADER_KEYS.iter().find(|k| rest.starts_with(**k));
        let key = header.or_else(|| {
            SECRET_KEYS
                .iter()
                .find(|k| rest.starts_with(**k) && (at_word || **k != "api"))
        });
        if let Some(key) = key {
            // The rest of the key's word (`session_id`, `tokenSecret`), then the separator.
            let word_end = i
                + key.len()
                + lower[i + key.len()..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(lower.len() - i - key.len());
            let sep_len = masked[word_end..]
                .find(|c: char| !matches!(c, '"' | ':' | '=' | ' ' | '\''))
                .unwrap_or(masked.len() - word_end);
            let sep = &masked[word_end..word_end + sep_len];
            out.push_str(&masked[i..word_end + sep_len]);
            i = word_end + sep_len;
            if !sep.contains([':', '=']) {
                continue;
            }
            i = if header.is_some() {
                let quoted = sep.contains('"');
                mask_until(&masked, i, &mut out, |c| {
                    c == '\n' || c == '\r' || (quoted && c == '"')
                })
            } else {
                mask_until(&masked, i, &mut out, |c| {
                    matches!(c, '"' | '\'' | ',' | ';' | '}' | '&') || c.is_whitespace()
                })
            };
            continue;
        }
        let Some(c) = masked[i..].chars().next() else {
            break;
        };
        out.push(c);
        i += c.len_utf8();
    }
    mask_long_hex(&out)
}

/// Write `***` for `text[from..]` up to the first `stop` character (nothing for an empty
/// value); return where the copying resumes.
fn mask_until(text: &str, from: usize, out: &mut String, stop: impl Fn(char) -> bool) -> usize {
    let len = text[from..].find(stop).unwrap_or(text.len() - from);
    if len > 0 {
        out.push_str("***");
    }
    from + len
}

fn mask_long_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        flush_run(&mut out, &mut run);
        out.push(c);
    }
    flush_run(&mut out, &mut run);
    out
}

fn flush_run(out: &mut String, run: &mut String) {
    if run.len() >= 32 {
        out.push_str("***");
    } else {
        out.push_str(run);
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_masks_session_ids_tokens_and_accounts() {
        let tickle = r#"{"session":"ce109cbeb462a76dc3f6f4182c830cc1","ssoExpires":585695,"userId":99996016,"acct":"U1234567"}"#;
        let r = redact(tickle);
        assert!(!r.contains("ce109cbeb462a76dc3f6f4182c830cc1"), "{r}");
        assert!(r.contains("\"session\":\"***\""), "{r}");
        assert!(r.contains("U***4567") && !r.contains("U1234567"), "{r}");
        assert!(r.contains("585695"), "non-secret values stay: {r}");
        let oauth =
            "oauth_token=abcdef12; api=c8fh17fnjr01hfnrh39rhfh8shd1hd93 Authorization: OAuth xyz";
        let r = redact(oauth);
        assert!(!r.contains("abcdef12"), "{r}");
        assert!(!r.contains("c8fh17fnjr01"), "{r}");
        assert!(!r.contains("xyz"), "{r}");
    }

    #[test]
    fn redact_masks_whole_auth_headers_cookies_and_query_tokens() {
        let cases = [
            (
                "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
                "eyJ",
            ),
            (r#"{"authorization":"Bearer eyJhbGciOi.J9x.yz"}"#, "eyJ"),
            ("bearer abc.def.ghi sent", "abc.def"),
            (
                r#"Cookie: api={"session":"0123456789abcdef"}; x-sess-uuid=0.1d2f"#,
                "0123456789abcdef",
            ),
            ("Set-Cookie: x-sess-uuid=0.5a4f3e2d; Path=/", "5a4f3e2d"),
            (
                "wss://api.ibkr.com/v1/api/ws?oauth_token=TOKEN123&x=1",
                "TOKEN123",
            ),
            ("GET /ws?session=sess-42 HTTP/1.1", "sess-42"),
            (
                r#"{"live_session_token_signature":"9f8e7d","diffie_hellman_response":"a1b2"}"#,
                "9f8e7d",
            ),
            (r#"{"diffie_hellman_response":"a1b2c3"}"#, "a1b2c3"),
        ];
        for (text, secret) in cases {
            let r = redact(text);
            assert!(!r.contains(secret), "{text:?} -> {r:?}");
            assert!(r.contains("***"), "{text:?} -> {r:?}");
        }
        // Ordinary text passes untouched.
        let plain = "placeOrder: price 150.25 for conid 265598 (Submitted)";
        assert_eq!(redact(plain), plain);
    }
}
