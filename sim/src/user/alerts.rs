//! Price alerts of an account: saved (created or modified), listed, activated or
//! deactivated, deleted (`/iserver/account/{acct}/alert*`; shapes from cpapi-v1 "Alerts").

/// One alert condition as the client sent it (`conidex`, `operator`, `type`, `value`, ...).
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    /// 1 = price (cpapi-v1 lists 1 price, 3 time, 4 margin, 5 trade, 6 volume, 7 MTA market,
    /// 8 MTA position, 9 MTA account daily PnL).
    pub kind: i64,
    pub conidex: String,
    pub operator: String,
    pub value: String,
    pub time_zone: String,
}

/// One alert.
#[derive(Debug, Clone)]
pub(crate) struct Alert {
    /// The alert's id, which IBKR calls `order_id`.
    pub id: u64,
    pub account: String,
    pub name: String,
    pub message: String,
    pub active: bool,
    pub repeatable: bool,
    pub outside_rth: bool,
    pub send_message: bool,
    pub show_popup: bool,
    pub email: String,
    pub tif: String,
    pub expire_time: String,
    pub created_ms: i64,
    pub conditions: Vec<Condition>,
}

/// Every account's alerts.
#[derive(Debug, Default)]
pub(crate) struct AlertBook {
    alerts: Vec<Alert>,
    minted: u64,
}

/// The first alert id (below 2^31: the spec types alert ids as int32).
const FIRST_ID: u64 = 1_264_000_001;

impl AlertBook {
    /// A fresh alert id.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.minted += 1;
        FIRST_ID + self.minted
    }

    pub(crate) fn of(&self, account: &str) -> impl Iterator<Item = &Alert> {
        self.alerts.iter().filter(move |a| a.account == account)
    }

    pub(crate) fn get(&self, id: u64) -> Option<&Alert> {
        self.alerts.iter().find(|a| a.id == id)
    }

    pub(crate) fn get_mut(&mut self, account: &str, id: u64) -> Option<&mut Alert> {
        self.alerts
            .iter_mut()
            .find(|a| a.id == id && a.account == account)
    }

    pub(crate) fn insert(&mut self, alert: Alert) {
        self.alerts.push(alert);
    }

    /// Remove one alert of `account` (or all of them for id 0); how many went.
    pub(crate) fn delete(&mut self, account: &str, id: u64) -> usize {
        let before = self.alerts.len();
        self.alerts
            .retain(|a| a.account != account || (id != 0 && a.id != id));
        before - self.alerts.len()
    }
}
