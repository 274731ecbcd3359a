//! FYI notifications and their settings (`/fyi/*`; shapes from cpapi-v1 "FYIs and
//! Notifications" and the spec's `notifications`, `fyiSettings`, `deliveryOptions`).

use crate::clock::now_ms;

/// One notification.
#[derive(Debug, Clone)]
pub(crate) struct Notification {
    pub id: String,
    /// Epoch seconds.
    pub date_s: i64,
    pub code: &'static str,
    pub title: String,
    pub body: String,
    pub read: bool,
}

/// One FYI type: code, name, description, enabled.
#[derive(Debug, Clone)]
pub(crate) struct Setting {
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub enabled: bool,
}

/// A device registered for push delivery.
#[derive(Debug, Clone)]
pub(crate) struct Device {
    pub id: String,
    pub name: String,
    pub ui_name: String,
    pub enabled: bool,
}

/// The user's FYI state.
#[derive(Debug)]
pub(crate) struct Fyi {
    /// Newest first.
    pub notifications: Vec<Notification>,
    pub settings: Vec<Setting>,
    pub email: bool,
    pub devices: Vec<Device>,
    pub disclaimers_read: Vec<String>,
}

/// IBKR's FYI type codes (the spec's `typecodes` enum) with their names.
pub(crate) const TYPES: &[(&str, &str, &str)] = &[
    (
        "BA",
        "Borrow Availability",
        "Notify me when a stock I am short becomes hard to borrow.",
    ),
    (
        "CA",
        "Comparable Algo",
        "Notify me about algos comparable to the orders I place.",
    ),
    (
        "DA",
        "Dividends Advisory",
        "Notify me of upcoming dividends on my positions.",
    ),
    (
        "EA",
        "Upcoming Earnings",
        "Notify me of upcoming earnings announcements on my positions.",
    ),
    (
        "MF",
        "Mutual Fund Advisory",
        "Notify me of lower-cost share classes of my mutual funds.",
    ),
    (
        "OE",
        "Option Expiration",
        "Notify me of options expiring in my account.",
    ),
    (
        "PR",
        "Portfolio Builder Rebalance",
        "Notify me when my portfolio drifts from its targets.",
    ),
    (
        "SE",
        "Suspend Eligibility",
        "Notify me when a position becomes ineligible for margin.",
    ),
    (
        "SG",
        "Short Term Gain turning Long Term",
        "Notify me when a short-term gain turns long-term.",
    ),
    (
        "SM",
        "Short Sale Margin",
        "Notify me of margin changes on short sales.",
    ),
    (
        "T2",
        "Assignment Realizing Long-Term Gains",
        "Notify me when an assignment realizes long-term gains.",
    ),
    (
        "TO",
        "Takeover Tender Offer",
        "Notify me of tender offers on my positions.",
    ),
    (
        "UA",
        "User Alert",
        "Notify me when one of my alerts triggers.",
    ),
    (
        "M8",
        "M871 Trades",
        "Notify me of trades subject to Section 871(m).",
    ),
    (
        "PS",
        "Platform Use Suggestions",
        "Suggest platform features I may find useful.",
    ),
    (
        "DL",
        "Unexercised Option Loss Prevention Reminder",
        "Remind me of in-the-money options before expiry.",
    ),
    (
        "PT",
        "Position Transfer",
        "Notify me of position transfers into my account.",
    ),
    (
        "CB",
        "Missing Cost Basis",
        "Notify me when a position lacks cost basis.",
    ),
    ("MS", "Milestones", "Notify me of account milestones."),
    (
        "TD",
        "MiFID \u{2161} 10% Deprecation Notice",
        "Notify me when my portfolio falls by 10 %.",
    ),
    ("ST", "Save Taxes", "Notify me of tax-saving opportunities."),
    ("TI", "Trade Idea", "Notify me of trade ideas."),
    ("CT", "Cash Transfer", "Notify me of cash transfers."),
];

impl Fyi {
    /// Three unread notifications of the last days, every type enabled, email delivery on.
    pub(crate) fn seeded() -> Self {
        let now_s = now_ms() / 1000;
        let day = 86_400;
        let notifications = vec![
            Notification {
                id: format!("{}", now_s - day),
                date_s: now_s - day,
                code: "DA",
                title: "Upcoming Dividend: SPY".to_string(),
                body: "SPDR S&P 500 ETF TRUST (SPY) goes ex-dividend in 3 days.".to_string(),
                read: false,
            },
            Notification {
                id: format!("{}", now_s - 2 * day),
                date_s: now_s - 2 * day,
                code: "EA",
                title: "Upcoming Earnings: AAPL".to_string(),
                body: "APPLE INC (AAPL) reports earnings next week.".to_string(),
                read: false,
            },
            Notification {
                id: format!("{}", now_s - 5 * day),
                date_s: now_s - 5 * day,
                code: "PS",
                title: "Try the Portfolio Checkup".to_string(),
                body: "See your portfolio's risk and performance in one place.".to_string(),
                read: false,
            },
        ];
        Fyi {
            notifications,
            settings: TYPES
                .iter()
                .map(|&(code, name, description)| Setting {
                    code,
                    name,
                    description,
                    enabled: true,
                })
                .collect(),
            email: true,
            devices: Vec::new(),
            disclaimers_read: Vec::new(),
        }
    }

    pub(crate) fn unread(&self) -> usize {
        self.notifications.iter().filter(|n| !n.read).count()
    }

    /// Whether a type code is one of IBKR's.
    pub(crate) fn known_type(code: &str) -> bool {
        TYPES.iter().any(|t| t.0 == code)
    }
}
