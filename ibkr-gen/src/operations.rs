//! Every operation of both APIs with what the runtime needs to know about it: pacing from
//! `x-ibkr-pacing`, idempotency from `x-ibkr-idempotent`, and how its answers depend on the
//! session from `x-ibkr-brokerage-session` and `x-ibkr-first-use-404`, read from the
//! documents by `build.rs`.

use std::time::Duration;

/// Which of the two APIs an operation belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// `/v1/api` (gateway or OAuth).
    Trading,
    /// `/gw/api` account management.
    AccountManagement,
}

/// At most `count` requests per `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per period.
    pub count: u32,
    /// The period.
    pub per: Duration,
}

/// One operation of the API.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// The operationId (camelCase).
    pub id: &'static str,
    /// The generated method's name (snake_case), which is also what the hooks are told.
    pub method_name: &'static str,
    /// Which API.
    pub api: Api,
    /// HTTP method, upper-case.
    pub method: &'static str,
    /// Path template, e.g. `/iserver/account/{accountId}/orders`.
    pub path: &'static str,
    /// Tag (the family of endpoints).
    pub tag: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// False for calls that must never be repeated blindly (order placement and the like).
    pub idempotent: bool,
    /// IBKR's documented rate limits for this operation.
    pub rates: &'static [Rate],
    /// IBKR's documented concurrency limit (history: 5).
    pub concurrency: Option<u32>,
    /// Goes through the brokerage session, so it may answer `400 no bridge` when that session
    /// is closed; the wire then opens it (`x-ibkr-brokerage-session`, every `/iserver/` call).
    pub brokerage_session: bool,
    /// Answers a session's first request with 404; the wire repeats it once
    /// (`x-ibkr-first-use-404`, `/hmds/history`).
    pub first_use_404: bool,
}

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

impl Operation {
    /// This row's position in [`all`]; `None` for a copy that is not one of the table's rows.
    pub(crate) fn index(&'static self) -> Option<usize> {
        let offset =
            (self as *const Operation as usize).checked_sub(OPERATIONS.as_ptr() as usize)?;
        let at = offset / std::mem::size_of::<Operation>();
        OPERATIONS
            .get(at)
            .filter(|row| std::ptr::eq(*row, self))
            .map(|_| at)
    }
}

/// Every operation, sorted by id.
pub fn all() -> &'static [Operation] {
    OPERATIONS
}

/// The operation with this operationId (`getAccounts`) or method name (`get_accounts`).
pub fn find(id: &str) -> Option<&'static Operation> {
    // Generated calls name their operation by method name (`get_accounts`): look there
    // first when the name has the look of one.
    let by_method = || {
        BY_METHOD_NAME
            .binary_search_by(|(name, _)| (*name).cmp(id))
            .ok()
            .map(|i| &OPERATIONS[BY_METHOD_NAME[i].1])
    };
    let by_id = || {
        OPERATIONS
            .binary_search_by(|op| op.id.cmp(id))
            .ok()
            .map(|i| &OPERATIONS[i])
    };
    if id.contains('_') {
        by_method().or_else(by_id)
    } else {
        by_id().or_else(by_method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_found_by_id_and_by_method_name() {
        let op = find("placeOrder").expect("seed operation");
        assert_eq!(op.method_name, "place_order");
        assert!(!op.idempotent);
        assert_eq!(find("place_order").map(|o| o.id), Some("placeOrder"));
        let history = find("get_market_data_history").unwrap();
        assert_eq!(history.concurrency, Some(5));
        let orders = find("getLiveOrders").unwrap();
        assert_eq!(
            orders.rates,
            &[Rate {
                count: 1,
                per: Duration::from_secs(5)
            }]
        );
        assert!(find("noSuchOperation").is_none());
        assert!(orders.brokerage_session && !orders.first_use_404);
        let hmds = find("getHmdsHistory").unwrap();
        assert!(hmds.first_use_404 && !hmds.brokerage_session);
    }
}
