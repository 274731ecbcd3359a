//! What the wire does with an answer: deliver it, or how to send the call again. A pure
//! function of the answer, the operation's rules and what the call has already tried, so
//! every rule of [`retry`](super::retry) is one row of a table (see the tests).
//!
//! The rules, in the order [`Call::classify`] applies them:
//!
//! - `400 no bridge` from an operation marked `x-ibkr-brokerage-session` (when the wire may
//!   recover): open the brokerage session, then repeat the call once if it is repeatable;
//!   a call that is not still opens the session, for the next call. This is the one place
//!   that recognises `no bridge`; the body is read only when this rule asks for it.
//! - Anything else from a call that is not repeatable (not idempotent, or a streamed body)
//!   is the answer.
//! - A connection that could not be made, `429` and `503`: wait (backoff with jitter, at
//!   least `Retry-After`), then repeat, at most [`RetryPolicy::max_retries`] times; a 429 or
//!   503 only while the wait ends within [`RetryPolicy::rate_limit_budget`].
//! - `401` with a signer: renew its token, then repeat once.
//! - `404` from an operation marked `x-ibkr-first-use-404`: repeat once at once.
//! - Anything else, a transport failure that may have reached IBKR included, is the answer.

use std::time::Duration;

use reqwest::StatusCode;

use super::retry::{RetryPolicy, retry_after};
use crate::operations::Operation;

/// What the wire knows about a call before it sends it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rules {
    /// The operation is idempotent and its body can be copied, so it may be sent again.
    pub repeatable: bool,
    /// The operation answers `no bridge` when the brokerage session is closed
    /// (`x-ibkr-brokerage-session`).
    pub brokerage_session: bool,
    /// The operation answers a session's first request with 404 (`x-ibkr-first-use-404`).
    pub first_use_404: bool,
    /// The wire has a recovery hook and this clone may call it.
    pub can_recover: bool,
    /// The wire has a signer, whose token can be renewed.
    pub can_renew: bool,
}

impl Rules {
    /// The rules of `op` (an operation the table does not know is not repeatable and has no
    /// session marks) for a call whose body can (`copyable`) or cannot be copied.
    pub fn new(op: Option<&Operation>, copyable: bool, can_recover: bool, can_renew: bool) -> Self {
        Rules {
            repeatable: copyable && op.is_some_and(|o| o.idempotent),
            brokerage_session: op.is_some_and(|o| o.brokerage_session),
            first_use_404: op.is_some_and(|o| o.first_use_404),
            can_recover,
            can_renew,
        }
    }
}

/// What one call has tried so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tried {
    /// Retries after a failed connection, a 429 or a 503.
    pub retries: u32,
    /// The signer was asked to renew its token.
    pub renewed: bool,
    /// The recovery hook was asked to open the brokerage session.
    pub recovered: bool,
    /// The first-use 404 was repeated.
    pub repeated_404: bool,
}

impl Tried {
    /// Record that the wire follows `next`.
    pub fn note(&mut self, next: Next) {
        match next {
            Next::Retry(_) => self.retries += 1,
            Next::Renew => self.renewed = true,
            Next::OpenSession { .. } => self.recovered = true,
            Next::Repeat => self.repeated_404 = true,
            Next::Deliver | Next::ReadBody => {}
        }
    }
}

/// What came back from one attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reply<'a> {
    /// The connection could not be made: nothing reached IBKR.
    NotConnected,
    /// The transport failed after the request may have left (a timeout, a reset).
    Failed,
    /// IBKR answered. `body` is `None` until [`Next::ReadBody`] asks for it.
    Answered {
        status: StatusCode,
        retry_after: Option<Duration>,
        body: Option<&'a [u8]>,
    },
}

impl<'a> Reply<'a> {
    /// What an attempt's outcome says, before anyone read the body.
    pub fn of(outcome: &reqwest::Result<reqwest::Response>) -> Self {
        match outcome {
            Ok(response) => Reply::Answered {
                status: response.status(),
                retry_after: retry_after(response.headers()),
                body: None,
            },
            Err(e) if e.is_connect() => Reply::NotConnected,
            Err(_) => Reply::Failed,
        }
    }

    /// An answer whose body was read.
    pub fn with_body(response: &reqwest::Response, body: &'a [u8]) -> Self {
        Reply::Answered {
            status: response.status(),
            retry_after: retry_after(response.headers()),
            body: Some(body),
        }
    }
}

/// What the wire does next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Next {
    /// The answer (or the transport error) is the call's result.
    Deliver,
    /// Wait this long, then send the call again.
    Retry(Duration),
    /// Renew the signer's token; send the call again if it was renewed.
    Renew,
    /// Open the brokerage session; then send the call again if `then_repeat` and the
    /// session opened, else deliver the answer.
    OpenSession { then_repeat: bool },
    /// Send the call again at once (the first-use 404).
    Repeat,
    /// Read the answer's body and classify it again: whether it is `no bridge` decides.
    ReadBody,
}

/// One call as [`classify`](Call::classify) sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Call<'p> {
    pub policy: &'p RetryPolicy,
    pub rules: Rules,
    pub tried: Tried,
}

impl<'p> Call<'p> {
    pub fn new(policy: &'p RetryPolicy, rules: Rules) -> Self {
        Call {
            policy,
            rules,
            tried: Tried::default(),
        }
    }

    /// What to do with `reply`, `elapsed` after the call started; `jitter` is a uniform
    /// draw from `[0, 1)` for the backoff (see [`RetryPolicy::delay`]).
    pub fn classify(&self, reply: &Reply<'_>, elapsed: Duration, jitter: f64) -> Next {
        let (rules, tried, policy) = (&self.rules, &self.tried, self.policy);
        let retries_left = rules.repeatable && tried.retries < policy.max_retries;
        let (status, retry_after, body) = match *reply {
            Reply::NotConnected if retries_left => {
                return Next::Retry(policy.delay_with(tried.retries, None, jitter));
            }
            Reply::NotConnected | Reply::Failed => return Next::Deliver,
            Reply::Answered {
                status,
                retry_after,
                body,
            } => (status, retry_after, body),
        };
        match status {
            StatusCode::BAD_REQUEST
                if rules.brokerage_session && rules.can_recover && !tried.recovered =>
            {
                match body {
                    None => Next::ReadBody,
                    Some(body) if crate::error_body::mentions_no_bridge(body) => {
                        Next::OpenSession {
                            then_repeat: rules.repeatable,
                        }
                    }
                    Some(_) => Next::Deliver,
                }
            }
            _ if !rules.repeatable => Next::Deliver,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                let delay = policy.delay_with(tried.retries, retry_after, jitter);
                if retries_left && elapsed + delay <= policy.rate_limit_budget {
                    Next::Retry(delay)
                } else {
                    Next::Deliver
                }
            }
            StatusCode::UNAUTHORIZED if rules.can_renew && !tried.renewed => Next::Renew,
            StatusCode::NOT_FOUND if rules.first_use_404 && !tried.repeated_404 => Next::Repeat,
            _ => Next::Deliver,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_BRIDGE: &[u8] = br#"{"error":"Bad Request: no bridge","statusCode":400}"#;
    const OTHER_400: &[u8] = br#"{"error":"conid is required","statusCode":400}"#;
    const MS: Duration = Duration::from_millis(1);

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            base_delay: 100 * MS,
            max_delay: 1000 * MS,
            rate_limit_budget: 2000 * MS,
        }
    }

    /// Every rule on: an idempotent call with both session marks, through a wire that can
    /// recover and renew.
    const ALL: Rules = Rules {
        repeatable: true,
        brokerage_session: true,
        first_use_404: true,
        can_recover: true,
        can_renew: true,
    };
    const NOT_REPEATABLE: Rules = Rules {
        repeatable: false,
        ..ALL
    };
    const FRESH: Tried = Tried {
        retries: 0,
        renewed: false,
        recovered: false,
        repeated_404: false,
    };

    fn answered(status: u16, body: Option<&[u8]>) -> Reply<'_> {
        Reply::Answered {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            body,
        }
    }

    fn classify(rules: Rules, tried: Tried, reply: Reply<'_>) -> Next {
        let policy = policy();
        let call = Call {
            policy: &policy,
            rules,
            tried,
        };
        // No jitter: the first backoff is half of 100 ms.
        call.classify(&reply, Duration::ZERO, 0.0)
    }

    #[test]
    fn the_table() {
        let retried = Tried {
            retries: 3,
            ..FRESH
        };
        let renewed = Tried {
            renewed: true,
            ..FRESH
        };
        let recovered = Tried {
            recovered: true,
            ..FRESH
        };
        let repeated = Tried {
            repeated_404: true,
            ..FRESH
        };
        let no_session_marks = Rules {
            brokerage_session: false,
            first_use_404: false,
            ..ALL
        };
        let no_hooks = Rules {
            can_recover: false,
            can_renew: false,
            ..ALL
        };
        #[rustfmt::skip]
        let table: &[(&str, Rules, Tried, Reply<'_>, Next)] = &[
            ("200 is the answer", ALL, FRESH, answered(200, None), Next::Deliver),
            ("500 is the answer", ALL, FRESH, answered(500, None), Next::Deliver),
            // Transport failures.
            ("no connection: retry", ALL, FRESH, Reply::NotConnected, Next::Retry(50 * MS)),
            ("no connection, retries spent", ALL, retried, Reply::NotConnected, Next::Deliver),
            ("no connection, not repeatable", NOT_REPEATABLE, FRESH, Reply::NotConnected, Next::Deliver),
            ("a timeout may have reached IBKR", ALL, FRESH, Reply::Failed, Next::Deliver),
            // 429 and 503.
            ("429: retry", ALL, FRESH, answered(429, None), Next::Retry(50 * MS)),
            ("503: retry", ALL, FRESH, answered(503, None), Next::Retry(50 * MS)),
            ("429, retries spent", ALL, retried, answered(429, None), Next::Deliver),
            ("429, not repeatable", NOT_REPEATABLE, FRESH, answered(429, None), Next::Deliver),
            ("503, not repeatable", NOT_REPEATABLE, FRESH, answered(503, None), Next::Deliver),
            // 401.
            ("401: renew", ALL, FRESH, answered(401, None), Next::Renew),
            ("401 after renewing", ALL, renewed, answered(401, None), Next::Deliver),
            ("401 without a signer", no_hooks, FRESH, answered(401, None), Next::Deliver),
            ("401, not repeatable", NOT_REPEATABLE, FRESH, answered(401, None), Next::Deliver),
            // The first-use 404.
            ("first-use 404: repeat", ALL, FRESH, answered(404, None), Next::Repeat),
            ("404 again", ALL, repeated, answered(404, None), Next::Deliver),
            ("404 from an unmarked operation", no_session_marks, FRESH, answered(404, None), Next::Deliver),
            ("first-use 404, not repeatable", NOT_REPEATABLE, FRESH, answered(404, None), Next::Deliver),
            // `no bridge`.
            ("400: read the body", ALL, FRESH, answered(400, None), Next::ReadBody),
            ("no bridge: open, repeat", ALL, FRESH, answered(400, Some(NO_BRIDGE)), Next::OpenSession { then_repeat: true }),
            ("another 400", ALL, FRESH, answered(400, Some(OTHER_400)), Next::Deliver),
            ("no bridge after recovering", ALL, recovered, answered(400, None), Next::Deliver),
            ("400 from an unmarked operation", no_session_marks, FRESH, answered(400, None), Next::Deliver),
            ("400 without a recovery hook", no_hooks, FRESH, answered(400, None), Next::Deliver),
            ("not repeatable: read the body", NOT_REPEATABLE, FRESH, answered(400, None), Next::ReadBody),
            ("not repeatable: open, deliver", NOT_REPEATABLE, FRESH, answered(400, Some(NO_BRIDGE)), Next::OpenSession { then_repeat: false }),
            ("not repeatable, another 400", NOT_REPEATABLE, FRESH, answered(400, Some(OTHER_400)), Next::Deliver),
        ];
        for (name, rules, tried, reply, want) in table {
            assert_eq!(classify(*rules, *tried, *reply), *want, "{name}");
        }
    }

    #[test]
    fn an_unknown_operation_is_never_repeated_and_has_no_session_marks() {
        let rules = Rules::new(None, true, true, true);
        assert_eq!(
            rules,
            Rules {
                repeatable: false,
                brokerage_session: false,
                first_use_404: false,
                can_recover: true,
                can_renew: true,
            }
        );
        for status in [400, 401, 404, 429, 503] {
            assert_eq!(
                classify(rules, FRESH, answered(status, Some(NO_BRIDGE))),
                Next::Deliver,
                "{status}"
            );
        }
    }

    #[test]
    fn the_rules_come_from_the_operation_table() {
        let find = |id| crate::operations::find(id).expect(id);
        let rules = |id| Rules::new(Some(find(id)), true, true, true);
        let accounts = rules("getAccounts");
        assert!(accounts.repeatable && accounts.brokerage_session && !accounts.first_use_404);
        let hmds = rules("getHmdsHistory");
        assert!(hmds.repeatable && !hmds.brokerage_session && hmds.first_use_404);
        let order = rules("placeOrder");
        assert!(!order.repeatable && order.brokerage_session);
        let ledger = rules("getAccountLedger");
        assert!(ledger.repeatable && !ledger.brokerage_session);
        // A body that cannot be copied (a stream) cannot be sent twice.
        assert!(!Rules::new(Some(find("getAccounts")), false, true, true).repeatable);
    }

    #[test]
    fn a_429_is_retried_only_while_the_wait_ends_within_the_budget() {
        let policy = policy();
        let call = Call::new(&policy, ALL);
        let reply = Reply::Answered {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_millis(300)),
            body: None,
        };
        // `Retry-After` wins over a shorter backoff.
        assert_eq!(call.classify(&reply, 1700 * MS, 0.0), Next::Retry(300 * MS));
        assert_eq!(call.classify(&reply, 1701 * MS, 0.0), Next::Deliver);
        // A connection failure is not bounded by the budget.
        assert_eq!(
            call.classify(&Reply::NotConnected, 5000 * MS, 1.0),
            Next::Retry(100 * MS)
        );
    }

    #[test]
    fn noting_a_step_uses_up_its_once() {
        let mut tried = FRESH;
        for next in [
            Next::Retry(MS),
            Next::Retry(MS),
            Next::Renew,
            Next::OpenSession { then_repeat: true },
            Next::Repeat,
            Next::Deliver,
            Next::ReadBody,
        ] {
            tried.note(next);
        }
        assert_eq!(
            tried,
            Tried {
                retries: 2,
                renewed: true,
                recovered: true,
                repeated_404: true,
            }
        );
    }
}
