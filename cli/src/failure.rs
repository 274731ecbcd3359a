//! Errors as the user sees them: one line that says what to do, and an exit code.

use ibkr_ext::Error;

/// Exit code for any other failure.
pub const GENERAL: u8 = 1;
/// Exit code for bad usage (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// Exit code when the session is the problem.
pub const SESSION: u8 = 3;
/// Exit code when an order was not placed.
pub const ORDER_NOT_PLACED: u8 = 4;

/// A failed command.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(USAGE, message)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::NotAuthenticated { .. } | Error::NoBrokerageSession { .. } => SESSION,
            Error::UnansweredQuestion { .. }
            | Error::OrderRejected { .. }
            | Error::TooManyQuestions { .. } => ORDER_NOT_PLACED,
            Error::Transport { .. } => {
                return Failure::new(
                    GENERAL,
                    format!("{e}: is the gateway running? (start one, or try --sim)"),
                );
            }
            _ => GENERAL,
        };
        Failure::new(code, e.to_string())
    }
}

impl From<ibkr_flex::FlexError> for Failure {
    fn from(e: ibkr_flex::FlexError) -> Self {
        Failure::new(GENERAL, format!("flex: {e}"))
    }
}

impl From<ibkr_flex::ParseError> for Failure {
    fn from(e: ibkr_flex::ParseError) -> Self {
        Failure::new(GENERAL, format!("flex: {e}"))
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::new(GENERAL, e.to_string())
    }
}

impl From<ibkr_sim::SimError> for Failure {
    fn from(e: ibkr_sim::SimError) -> Self {
        Failure::new(GENERAL, format!("simulator: {e}"))
    }
}
