//! Everything the simulated gateway remembers, behind one lock.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use crate::flex::config::FlexConfig;
use crate::flex::desk::FlexDesk;
use crate::ids::IdMint;
use crate::journal::Journal;
use crate::market::catalog::{Catalog, Contract};
use crate::market::quotes::Quotes;
use crate::trading::book::{AccountBook, CashMovement, Execution, Order};
use crate::trading::precautions::Precautions;
use crate::trading::questions::Question;
use crate::trading::ticket::Ticket;
use crate::trading::valuation::Holding;
use crate::user::UserState;

/// The world behind its lock: the handle `Shared`, the WebSocket, the login page and most
/// handlers hold.
pub(crate) type WorldHandle = crate::lock::Handle<World>;

/// Fixed settings chosen at build time.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub seed: u64,
    pub accounts: Vec<String>,
    pub precautions: Precautions,
    pub flex: FlexConfig,
}

/// The login state (`client-portal-api.md` §2).
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// SSO (read-only) session alive; when false every request answers 401.
    pub logged_in: bool,
    /// Brokerage session (`ssodh/init` done); when false `/iserver/*` answers 400 no bridge.
    pub brokerage: bool,
    /// Another platform holds the brokerage session.
    pub competing: bool,
    /// The 32-hex session id `/tickle` reports.
    pub id: String,
}

/// Market-data state of one brokerage session.
#[derive(Debug, Default)]
pub(crate) struct MarketDataSession {
    /// conid → fields requested so far; present means the pre-flight was done.
    pub snapshot_fields: HashMap<u64, BTreeSet<String>>,
    /// conids a snapshot was ever requested for in this session (the o354 rule).
    pub ever_requested: HashSet<u64>,
    /// Whether `/hmds/history` already answered its first-call 404.
    pub hmds_warm: bool,
    /// Underlyings searched with `/iserver/secdef/search` (without `name=true`), which unlocks
    /// `/iserver/secdef/strikes` for them.
    pub searched: HashSet<u64>,
    /// Whether `/iserver/account/pnl/partitioned` already gave its empty first answer.
    pub pnl_warm: bool,
}

/// What a pending reply id stands for.
#[derive(Debug, Clone)]
pub(crate) enum PendingWork {
    /// New orders for an account.
    Place {
        account: String,
        tickets: Vec<Ticket>,
    },
    /// A modification of a live order.
    Modify { order_id: u64, ticket: Ticket },
}

/// An order waiting for the client's answer to a question.
#[derive(Debug, Clone)]
pub(crate) struct PendingReply {
    pub reply_id: String,
    pub work: PendingWork,
    /// Questions still to ask after the current one.
    pub remaining: VecDeque<Question>,
    /// Indices of the journal's order records this submission created.
    pub records: Vec<usize>,
}

/// The whole mutable state.
#[derive(Debug)]
pub(crate) struct World {
    pub settings: Settings,
    pub catalog: Catalog,
    pub quotes: Quotes,
    pub ids: IdMint,
    pub session: Session,
    pub md: MarketDataSession,
    pub books: Vec<AccountBook>,
    pub orders: Vec<Order>,
    pub executions: Vec<Execution>,
    pub cash_movements: Vec<CashMovement>,
    pub pending: Option<PendingReply>,
    pub suppressed: BTreeSet<String>,
    pub flex: FlexDesk,
    pub journal: Journal,
    /// The account `/iserver` calls act on (`POST /iserver/account` switches it; ibind-anchor
    /// §1 #6); the primary account at the start of every brokerage session.
    pub selected_account: String,
    /// Whether the account was chosen (`/iserver/account` or `/iserver/dynaccount`) in this
    /// brokerage session; multi-account users get 503 from order status until it is.
    pub account_chosen: bool,
    /// Watchlists, alerts, allocation groups, notifications.
    pub user: UserState,
    /// `/portfolio/{acct}/positions` answers from this cache until
    /// `POST /portfolio/{acct}/positions/invalidate` (ibind-anchor §1 #64); `/portfolio2` is live.
    pub positions_cache: HashMap<String, Vec<Holding>>,
}

impl World {
    pub(crate) fn new(settings: Settings, brokerage: bool) -> Self {
        let mut ids = IdMint::new(settings.seed);
        let session = Session {
            logged_in: true,
            brokerage,
            competing: false,
            id: ids.session_id(),
        };
        let books = settings
            .accounts
            .iter()
            .map(|a| AccountBook::new(a))
            .collect();
        let mut world = World {
            catalog: Catalog::new(),
            quotes: Quotes::new(settings.seed),
            ids,
            session,
            md: MarketDataSession::default(),
            books,
            orders: Vec::new(),
            executions: Vec::new(),
            cash_movements: Vec::new(),
            pending: None,
            suppressed: BTreeSet::new(),
            flex: FlexDesk::default(),
            journal: Journal::default(),
            selected_account: settings
                .accounts
                .first()
                .cloned()
                .unwrap_or_else(|| "DU1234567".to_string()),
            account_chosen: false,
            user: UserState::new(&settings.accounts),
            positions_cache: HashMap::new(),
            settings,
        };
        crate::trading::seeded_history::seed(&mut world);
        world
    }

    /// The primary account id.
    pub(crate) fn primary_account(&self) -> &str {
        self.settings
            .accounts
            .first()
            .map(String::as_str)
            .unwrap_or("DU1234567")
    }

    pub(crate) fn book(&self, account: &str) -> Option<&AccountBook> {
        self.books.iter().find(|b| b.id == account)
    }

    pub(crate) fn book_mut(&mut self, account: &str) -> Option<&mut AccountBook> {
        self.books.iter_mut().find(|b| b.id == account)
    }

    pub(crate) fn contract(&self, conid: u64) -> Option<Contract> {
        self.catalog.get(conid).cloned()
    }

    /// The current last price of a conid (its opening price if never quoted).
    pub(crate) fn last_price(&mut self, contract: &Contract) -> f64 {
        self.quotes.get(contract.conid, contract.ref_price).last
    }

    /// Start a new brokerage session: market-data subscriptions, the hmds warm-up, suppressed
    /// questions and pending replies belong to the old one.
    pub(crate) fn begin_brokerage_session(&mut self) {
        self.session.brokerage = true;
        self.session.competing = false;
        self.md = MarketDataSession::default();
        self.suppressed.clear();
        self.selected_account = self.primary_account().to_string();
        self.account_chosen = false;
        self.drop_pending(crate::journal::OrderOutcome::Invalidated);
    }

    /// Whether `account` is one of the simulated accounts.
    pub(crate) fn has_account(&self, account: &str) -> bool {
        self.settings.accounts.iter().any(|a| a == account)
    }

    /// End the brokerage session (logout, drop, competing takeover).
    pub(crate) fn end_brokerage_session(&mut self) {
        self.session.brokerage = false;
        self.md = MarketDataSession::default();
        self.drop_pending(crate::journal::OrderOutcome::Invalidated);
    }

    /// Forget the pending reply (if any), marking its orders with `outcome`.
    pub(crate) fn drop_pending(&mut self, outcome: crate::journal::OrderOutcome) {
        if let Some(p) = self.pending.take() {
            for i in p.records {
                if let Some(r) = self.journal.orders.get_mut(i) {
                    r.outcome = outcome.clone();
                }
            }
        }
    }
}
