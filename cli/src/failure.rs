//! Errors as the user sees them: one line that says what to do, and an exit code.

use ibkr_ext::Error;

/// Not a failure to report: stdout was closed by its reader. `main` exits 0.
const CLOSED_PIPE: u8 = 0;
/// Exit code for any other failure.
pub const GENERAL: u8 = 1;
/// Exit code for bad usage (clap uses 2 as well).
pub const USAGE: u8 = 2;
/// Exit code when the session is the problem.
pub const SESSION: u8 = 3;
/// Exit code when an order was not placed.
pub const ORDER_NOT_PLACED: u8 = 4;
/// Exit code when part of an order group is live and part is not.
pub const ORDER_PARTLY_PLACED: u8 = 5;
/// Exit code when an order may or may not have been placed (no answer after sending).
pub const ORDER_STATE_UNKNOWN: u8 = 6;
/// Exit code when the gateway's allow-list refused this client (404 "Access Denied").
pub const GATEWAY_REFUSED: u8 = 7;
/// Exit code when the gateway runs but cannot reach IBKR.
pub const GATEWAY_UNREACHABLE: u8 = 8;
/// Exit code when the unattended login stopped for a human: wrong credentials, a changed
/// login page, or a spent failure budget.
pub const LOGIN_STOPPED: u8 = 9;

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

    /// The reader of stdout went away (`| head`): stop quietly, exit 0 (see `print`).
    pub fn closed_pipe() -> Self {
        Self::new(CLOSED_PIPE, "")
    }

    pub fn is_closed_pipe(&self) -> bool {
        self.code == CLOSED_PIPE
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::NotAuthenticated { .. } | Error::NoBrokerageSession { .. } => SESSION,
            Error::OrderRejected { .. } | Error::TooManyQuestions { .. } => ORDER_NOT_PLACED,
            Error::OrderStateUnknown {
                client_order_ids, ..
            } => {
                let coid = client_order_ids.first().map(String::as_str).unwrap_or("");
                return Failure::new(
                    ORDER_STATE_UNKNOWN,
                    format!(
                        "{e}\nnext: run `ibkr orders` (or `ibkr order find {coid}`) to see whether it is live; do not place it again until you know"
                    ),
                );
            }
            Error::AccessDenied { .. } => GATEWAY_REFUSED,
            Error::UpstreamUnreachable { .. } => GATEWAY_UNREACHABLE,
            Error::OutcomeUnknown { .. } => {
                return Failure::new(ORDER_STATE_UNKNOWN, e.to_string());
            }
            Error::Transport { source, .. } => {
                let hint = if source.is_certificate() {
                    "the gateway's TLS certificate is not trusted: only loopback names trust it \
                     as it is; pin it with --ca-cert PEM_FILE (the Docker image exports it to \
                     /opt/ibkr/gateway-cert.pem)"
                } else {
                    "is the gateway running? (start one with `ibkr gateway start`, or try --sim)"
                };
                return Failure::new(GENERAL, format!("{e}: {hint}"));
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
