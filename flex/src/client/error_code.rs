//! The Flex Web Service `ErrorCode`s (1001–1021) and whether waiting helps.

use std::fmt;

/// An `ErrorCode` of a Flex Web Service envelope. Codes this version does not know are
/// kept as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlexErrorCode {
    /// 1001: the statement could not be generated at this time; try again shortly.
    GenerationFailed,
    /// 1003: the statement is not available (e.g. for that date range).
    NotAvailable,
    /// 1004: the statement is incomplete at this time.
    Incomplete,
    /// 1005: settlement data is not ready.
    SettlementNotReady,
    /// 1006: FIFO P/L data is not ready.
    FifoPnlNotReady,
    /// 1007: MTM P/L data is not ready.
    MtmPnlNotReady,
    /// 1008: MTM and FIFO P/L data are not ready.
    MtmAndFifoPnlNotReady,
    /// 1009: the server is under heavy load.
    ServerBusy,
    /// 1010: legacy Flex queries are no longer supported.
    LegacyQueryUnsupported,
    /// 1011: the service account is inactive.
    AccountInactive,
    /// 1012: the token has expired; create a new one.
    TokenExpired,
    /// 1013: IP restriction: this address may not use the token.
    IpRestricted,
    /// 1014: the query is invalid.
    QueryInvalid,
    /// 1015: the token is invalid.
    TokenInvalid,
    /// 1016: the account is invalid.
    AccountInvalid,
    /// 1017: the reference code is invalid (send the request again).
    ReferenceCodeInvalid,
    /// 1018: too many requests (1 per second, 10 per minute per token).
    TooManyRequests,
    /// 1019: statement generation in progress; poll again shortly.
    InProgress,
    /// 1020: invalid request or unable to validate it.
    InvalidRequest,
    /// 1021: the statement could not be retrieved at this time.
    RetrievalFailed,
    /// A code this version does not know, as written.
    Other(String),
}

impl FlexErrorCode {
    /// Reads the `ErrorCode` text.
    pub fn parse(text: &str) -> Self {
        match text.trim() {
            "1001" => Self::GenerationFailed,
            "1003" => Self::NotAvailable,
            "1004" => Self::Incomplete,
            "1005" => Self::SettlementNotReady,
            "1006" => Self::FifoPnlNotReady,
            "1007" => Self::MtmPnlNotReady,
            "1008" => Self::MtmAndFifoPnlNotReady,
            "1009" => Self::ServerBusy,
            "1010" => Self::LegacyQueryUnsupported,
            "1011" => Self::AccountInactive,
            "1012" => Self::TokenExpired,
            "1013" => Self::IpRestricted,
            "1014" => Self::QueryInvalid,
            "1015" => Self::TokenInvalid,
            "1016" => Self::AccountInvalid,
            "1017" => Self::ReferenceCodeInvalid,
            "1018" => Self::TooManyRequests,
            "1019" => Self::InProgress,
            "1020" => Self::InvalidRequest,
            "1021" => Self::RetrievalFailed,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The numeric code, when it is one.
    pub fn code(&self) -> Option<u32> {
        Some(match self {
            Self::GenerationFailed => 1001,
            Self::NotAvailable => 1003,
            Self::Incomplete => 1004,
            Self::SettlementNotReady => 1005,
            Self::FifoPnlNotReady => 1006,
            Self::MtmPnlNotReady => 1007,
            Self::MtmAndFifoPnlNotReady => 1008,
            Self::ServerBusy => 1009,
            Self::LegacyQueryUnsupported => 1010,
            Self::AccountInactive => 1011,
            Self::TokenExpired => 1012,
            Self::IpRestricted => 1013,
            Self::QueryInvalid => 1014,
            Self::TokenInvalid => 1015,
            Self::AccountInvalid => 1016,
            Self::ReferenceCodeInvalid => 1017,
            Self::TooManyRequests => 1018,
            Self::InProgress => 1019,
            Self::InvalidRequest => 1020,
            Self::RetrievalFailed => 1021,
            Self::Other(text) => return text.parse().ok(),
        })
    }

    /// Whether waiting and asking again can succeed (1001, 1004–1009, 1018, 1019, 1021).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::GenerationFailed
                | Self::Incomplete
                | Self::SettlementNotReady
                | Self::FifoPnlNotReady
                | Self::MtmPnlNotReady
                | Self::MtmAndFifoPnlNotReady
                | Self::ServerBusy
                | Self::TooManyRequests
                | Self::InProgress
                | Self::RetrievalFailed
        )
    }

    /// Whether this is the rate limit (1018): wait at least a minute.
    pub fn is_throttling(&self) -> bool {
        matches!(self, Self::TooManyRequests)
    }

    /// Whether a fresh SendRequest may help (1017, 1020 seen right after SendRequest).
    pub fn wants_new_request(&self) -> bool {
        matches!(self, Self::ReferenceCodeInvalid | Self::InvalidRequest)
    }

    /// What the user should do about it.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::TokenExpired | Self::TokenInvalid => {
                "create a new Flex Web Service token in Account Management"
            }
            Self::IpRestricted => "allow this IP address for the token, or use an allowed machine",
            Self::QueryInvalid => "check the query id in Account Management > Flex Queries",
            Self::AccountInactive | Self::AccountInvalid => {
                "check that the account and the Flex Web Service are active"
            }
            Self::LegacyQueryUnsupported => "recreate the query as a current Flex query",
            Self::NotAvailable => "check the date range (at most 365 days) and the query's period",
            Self::TooManyRequests => {
                "wait at least a minute; IB allows 1 request/s and 10/min per token"
            }
            Self::InvalidRequest => "check the token and the query id",
            Self::ReferenceCodeInvalid => "send the request again",
            _ if self.is_retryable() => "try again shortly",
            _ => "see the error message",
        }
    }
}

impl fmt::Display for FlexErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Other(text) => f.write_str(text),
            known => write!(f, "{}", known.code().unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FlexErrorCode;

    #[test]
    fn every_documented_code_round_trips_and_is_classified() {
        let retryable = [1001, 1004, 1005, 1006, 1007, 1008, 1009, 1018, 1019, 1021];
        for code in (1001..=1021).filter(|c| *c != 1002) {
            let parsed = FlexErrorCode::parse(&code.to_string());
            assert!(!matches!(parsed, FlexErrorCode::Other(_)), "{code}");
            assert_eq!(parsed.code(), Some(code));
            assert_eq!(parsed.is_retryable(), retryable.contains(&code), "{code}");
        }
    }

    #[test]
    fn unknown_codes_are_kept() {
        let code = FlexErrorCode::parse("1099");
        assert_eq!(code, FlexErrorCode::Other("1099".to_owned()));
        assert_eq!(code.code(), Some(1099));
        assert!(!code.is_retryable());
        assert_eq!(FlexErrorCode::parse("oops").code(), None);
    }
}
