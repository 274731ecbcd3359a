//! The `<FlexStatementResponse>` envelopes of SendRequest and GetStatement
//! (fixtures flex/web_service/*.xml; texts from ibflex's `client.py` table,
//! `flex-web-service.md` §1).

use chrono::Utc;

use crate::clock::eastern;

/// A Flex error code and whether IBKR marks it `Warn` (retry) or `Fail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlexCode {
    /// 1001: the legacy servlet paths answer this since May 2026.
    CouldNotGenerate,
    /// 1012: the token has expired.
    TokenExpired,
    /// 1014: the query id is unknown.
    QueryInvalid,
    /// 1015: the token is unknown.
    TokenInvalid,
    /// 1017: the reference code is unknown.
    ReferenceInvalid,
    /// 1018: polled faster than the per-token limit.
    TooManyRequests,
    /// 1019: the statement is still being generated.
    InProgress,
    /// 1020: a required parameter is missing.
    InvalidRequest,
}

impl FlexCode {
    fn number(self) -> u16 {
        match self {
            FlexCode::CouldNotGenerate => 1001,
            FlexCode::TokenExpired => 1012,
            FlexCode::QueryInvalid => 1014,
            FlexCode::TokenInvalid => 1015,
            FlexCode::ReferenceInvalid => 1017,
            FlexCode::TooManyRequests => 1018,
            FlexCode::InProgress => 1019,
            FlexCode::InvalidRequest => 1020,
        }
    }

    fn message(self) -> &'static str {
        match self {
            FlexCode::CouldNotGenerate => {
                "Statement could not be generated at this time. Please try again shortly."
            }
            FlexCode::TokenExpired => "Token has expired.",
            FlexCode::QueryInvalid => "Query is invalid.",
            FlexCode::TokenInvalid => "Token is invalid.",
            FlexCode::ReferenceInvalid => "Reference code is invalid.",
            FlexCode::TooManyRequests => {
                "Too many requests have been made from this token. Please try again shortly."
            }
            FlexCode::InProgress => "Statement generation in progress. Please try again shortly.",
            FlexCode::InvalidRequest => "Invalid request or unable to validate request.",
        }
    }

    fn status(self) -> &'static str {
        match self {
            FlexCode::TooManyRequests | FlexCode::InProgress => "Warn",
            _ => "Fail",
        }
    }
}

/// `28 August, 2012 10:37 AM EDT` (the `timestamp` attribute, US/Eastern).
fn timestamp() -> String {
    let (local, zone) = eastern(Utc::now());
    format!("{} {zone}", local.format("%-d %B, %Y %I:%M %p"))
}

/// The SendRequest success envelope.
pub(crate) fn success(reference_code: &str, url: &str) -> String {
    format!(
        "<FlexStatementResponse timestamp=\"{}\"><Status>Success</Status><ReferenceCode>{reference_code}</ReferenceCode><Url>{url}</Url></FlexStatementResponse>",
        timestamp()
    )
}

/// A Warn/Fail envelope.
pub(crate) fn failure(code: FlexCode) -> String {
    format!(
        "<FlexStatementResponse timestamp=\"{}\"><Status>{}</Status><ErrorCode>{}</ErrorCode><ErrorMessage>{}</ErrorMessage></FlexStatementResponse>",
        timestamp(),
        code.status(),
        code.number(),
        code.message()
    )
}
