//! What to tell the user when a handshake fails: IBKR's known answers (a new consumer's
//! `401 Invalid Consumer`, 410 Gone, Akamai's 403) and a wrong clock, each turned into a
//! sentence that says what to do; and [`send`], which sends a handshake step and gives
//! its body or that sentence.

use std::time::{Duration, SystemTime};

use ibkr_gen::wire::SignError;
use reqwest::StatusCode;
use reqwest::header::{DATE, HeaderMap};

/// The largest clock difference IBKR tolerates on `oauth_timestamp` (it rejects older ones).
const TOLERATED_SKEW: Duration = Duration::from_secs(60);

/// Akamai sits in front of api.ibkr.com and refuses some cloud-datacenter IPs.
pub(crate) const AKAMAI: &str = "Akamai in front of api.ibkr.com blocks some cloud-datacenter IP \
     ranges (a TLS failure or a 403 at connect): try from another network or ask IBKR to allow your IP";

/// How far the local clock is off IBKR's, from the answer's `Date` header, when it is
/// off by more than IBKR tolerates.
pub(crate) fn clock_skew(headers: &HeaderMap) -> Option<String> {
    let date = headers.get(DATE)?.to_str().ok()?;
    let theirs =
        chrono::DateTime::parse_from_rfc2822(date.replace("GMT", "+0000").as_str()).ok()?;
    let theirs =
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(theirs.timestamp()).ok()?);
    let now = SystemTime::now();
    let (skew, ahead) = match now.duration_since(theirs) {
        Ok(d) => (d, true),
        Err(e) => (e.duration(), false),
    };
    (skew > TOLERATED_SKEW).then(|| {
        format!(
            "your clock is {} s {} IBKR's: signed timestamps that far off are refused; sync the clock (NTP)",
            skew.as_secs(),
            if ahead { "ahead of" } else { "behind" }
        )
    })
}

/// Which consumer key a message is about, by its last 4 characters at most: enough to
/// tell two keys apart, never enough to use one. A key of 4 characters or fewer is not
/// named at all.
fn key_hint(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    match chars.len() {
        0..=4 => String::new(),
        n => format!(
            " for the consumer key ending in {}",
            chars[n - 4..].iter().collect::<String>()
        ),
    }
}

/// The advice for an HTTP failure of a handshake step.
pub(crate) fn for_status(
    status: StatusCode,
    body: &str,
    headers: &HeaderMap,
    consumer: Option<&str>,
) -> String {
    let lower = body.to_ascii_lowercase();
    let excerpt = crate::error::redact(body.get(..200).unwrap_or(body).trim());
    let skew = clock_skew(headers);
    let mut text = match status.as_u16() {
        401 if lower.contains("invalid consumer") => format!(
            "IBKR answered 401 Invalid Consumer{}: new consumer keys work only after IBKR's next server reset \
             (after midnight New York, sometimes only after the weekend), so wait and try again; regenerating \
             only the access token works at once. Also check consumer_key and realm (test_realm for TESTCONS)",
            consumer.map(key_hint).unwrap_or_default()
        ),
        401 if lower.contains("timestamp") || lower.contains("nonce") => format!(
            "IBKR refused the request's timestamp or nonce ({excerpt}): sync your clock (NTP) and try again"
        ),
        401 => format!(
            "IBKR answered 401 ({excerpt}): check that signature_key is the private half of the signature key \
             you uploaded, and access_token/access_token_secret belong to this consumer"
        ),
        403 => format!("IBKR answered 403 ({excerpt}): {AKAMAI}"),
        410 => {
            "IBKR answered 410 Gone: try one of its other hosts, 1.api.ibkr.com ... 7.api.ibkr.com \
                (set the base URL to e.g. https://1.api.ibkr.com/v1/api)"
                .to_string()
        }
        s if s >= 500 => format!("IBKR's side failed (HTTP {s}: {excerpt}): try again in a minute"),
        s => format!("IBKR answered HTTP {s}: {excerpt}"),
    };
    if let Some(skew) = skew {
        text.push_str("; ");
        text.push_str(&skew);
    }
    text
}

/// A handshake step's error.
pub(crate) fn fail(step: &'static str, reason: impl Into<String>) -> SignError {
    SignError {
        step,
        reason: reason.into(),
    }
}

/// Send one handshake step's request: the answer's body when IBKR says 200 or 201;
/// otherwise what went wrong and what to do ([`for_transport`], [`for_status`] naming
/// `consumer`), with `on_refusal` added to a 4xx.
pub(crate) async fn send(
    step: &'static str,
    request: reqwest::RequestBuilder,
    consumer: Option<&str>,
    on_refusal: Option<&str>,
) -> Result<String, SignError> {
    let sent = request
        .send()
        .await
        .map_err(|e| fail(step, for_transport(&e)))?;
    let status = sent.status();
    let headers = sent.headers().clone();
    let body = sent
        .text()
        .await
        .map_err(|e| fail(step, for_transport(&e)))?;
    if status == StatusCode::OK || status == StatusCode::CREATED {
        return Ok(body);
    }
    let mut text = for_status(status, &body, &headers, consumer);
    if let Some(hint) = on_refusal.filter(|_| status.is_client_error()) {
        text.push_str("; ");
        text.push_str(hint);
    }
    Err(fail(step, text))
}

/// The advice for a transport failure of a handshake step (no answer at all).
pub(crate) fn for_transport(error: &reqwest::Error) -> String {
    let mut chain = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&e.to_string());
        source = e.source();
    }
    // reqwest's own text carries the URL; it holds no secret here (the query has none),
    // but keep the message short and stable.
    let chain = crate::error::redact(&chain);
    let lower = chain.to_ascii_lowercase();
    if error.is_timeout() {
        format!("IBKR did not answer in time ({chain})")
    } else if lower.contains("tls") || lower.contains("certificate") || lower.contains("handshake")
    {
        format!("the TLS connection failed ({chain}): {AKAMAI}")
    } else if error.is_connect() {
        format!("could not connect ({chain}); if this host reaches other sites, {AKAMAI}")
    } else {
        format!("the request failed ({chain})")
    }
}

// For the session owner's `ssodh/init` error (not wired yet).
/// A sentence for a `ssodh/init` failure over OAuth (IBKR's paper-account 500 `failed to
/// generate sso dh token`, or 410), for the session owner's error.
pub(crate) fn for_brokerage_session(status: u16, body: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    match status {
        500 if lower.contains("sso dh token") || lower.is_empty() || lower.contains("internal") => Some(
            "IBKR could not open the brokerage session (ssodh/init answered 500; seen on paper accounts over \
             OAuth): check that the consumer is enabled for this (paper) account, or ask IBKR API support \
             promptly, while they still have the logs"
                .to_string(),
        ),
        410 => Some(
            "ssodh/init answered 410 Gone: try another host, 1.api.ibkr.com ... 7.api.ibkr.com".to_string(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_consumer_says_to_wait_for_the_server_reset() {
        let text = for_status(
            StatusCode::UNAUTHORIZED,
            r#"{"error":"id: 39687, error: invalid consumer","statusCode":401}"#,
            &HeaderMap::new(),
            Some("ABCDEFGHI"),
        );
        assert!(text.contains("next server reset"), "{text}");
        // The key is named by its last 4 characters, never more.
        assert!(text.contains("ending in FGHI"), "{text}");
        assert!(!text.contains("EFGHI"), "{text}");
        let short = for_status(
            StatusCode::UNAUTHORIZED,
            "invalid consumer",
            &HeaderMap::new(),
            Some("WXYZ"),
        );
        assert!(!short.contains("WXYZ"), "{short}");
    }

    #[test]
    fn gone_points_at_the_numbered_hosts() {
        let text = for_status(StatusCode::GONE, "", &HeaderMap::new(), None);
        assert!(text.contains("1.api.ibkr.com"), "{text}");
    }

    #[test]
    fn forbidden_mentions_akamai() {
        let text = for_status(
            StatusCode::FORBIDDEN,
            "<html>Access Denied</html>",
            &HeaderMap::new(),
            None,
        );
        assert!(text.contains("Akamai"), "{text}");
    }

    #[test]
    fn a_skewed_clock_is_reported_from_the_date_header() {
        let mut headers = HeaderMap::new();
        headers.insert(DATE, "Tue, 15 Nov 1994 08:12:31 GMT".parse().unwrap());
        let text = for_status(StatusCode::UNAUTHORIZED, "", &headers, None);
        assert!(
            text.contains("ahead of IBKR's") && text.contains("NTP"),
            "{text}"
        );
        let now = chrono::Utc::now().to_rfc2822();
        headers.insert(DATE, now.parse().unwrap());
        assert!(clock_skew(&headers).is_none());
    }
}
