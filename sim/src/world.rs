//! Everything the simulated gateway remembers, behind one lock.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::flex::config::FlexConfig;
use crate::flex::desk::FlexDesk;
use crate::ids::IdMint;
use crate::journal::Journal;
use crate::market::catalog::{Catalog, Contract};
use crate::market::quotes::Quotes;
use crate::trading::precautions::Precautions;
use crate::trading::valuation::{self, Holding, Valuation};
use crate::trading::{Desk, Env};
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

/// The whole mutable state.
#[derive(Debug)]
pub(crate) struct World {
    pub settings: Settings,
    pub catalog: Catalog,
    pub quotes: Quotes,
    pub ids: IdMint,
    pub session: Session,
    pub md: MarketDataSession,
    /// Books, orders, executions, the pending reply, suppressed questions.
    pub trading: Desk,
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
        let mut world = World {
            catalog: Catalog::new(),
            quotes: Quotes::new(settings.seed),
            ids,
            session,
            md: MarketDataSession::default(),
            trading: Desk::new(&settings.accounts),
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
        let seed = world.settings.seed;
        let primary = world.primary_account().to_string();
        let (desk, mut env) = world.trade();
        crate::trading::seeded_history::seed(desk, &mut env, seed, &primary);
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

    /// The trading desk and what it borrows from the rest of the world for one call.
    pub(crate) fn trade(&mut self) -> (&mut Desk, Env<'_>) {
        let env = Env {
            catalog: &self.catalog,
            quotes: &mut self.quotes,
            ids: &mut self.ids,
            journal: &mut self.journal,
            market_data: &self.md.ever_requested,
            precautions: &self.settings.precautions,
        };
        (&mut self.trading, env)
    }

    /// Value `account` at current prices (empty if unknown).
    pub(crate) fn valuation(&mut self, account: &str) -> Valuation {
        let (desk, mut env) = self.trade();
        valuation::value(desk, &mut env, account)
    }

    /// Match the live orders on `conid` against its current last price.
    pub(crate) fn match_resting(&mut self, conid: u64) {
        let (desk, mut env) = self.trade();
        desk.match_resting(&mut env, conid);
    }

    pub(crate) fn contract(&self, conid: u64) -> Option<Contract> {
        self.catalog.get(conid).cloned()
    }

    /// The current last price of a conid (its opening price if never quoted).
    pub(crate) fn last_price(&mut self, contract: &Contract) -> f64 {
        self.quotes.last(contract)
    }

    /// Start a new brokerage session: market-data subscriptions, the hmds warm-up, suppressed
    /// questions and pending replies belong to the old one.
    pub(crate) fn begin_brokerage_session(&mut self) {
        self.session.brokerage = true;
        self.session.competing = false;
        self.md = MarketDataSession::default();
        self.selected_account = self.primary_account().to_string();
        self.account_chosen = false;
        self.trading.begin_session(&mut self.journal);
    }

    /// Whether `account` is one of the simulated accounts.
    pub(crate) fn has_account(&self, account: &str) -> bool {
        self.trading.has_account(account)
    }

    /// End the brokerage session (logout, drop, competing takeover).
    pub(crate) fn end_brokerage_session(&mut self) {
        self.session.brokerage = false;
        self.md = MarketDataSession::default();
        self.drop_pending(crate::journal::OrderOutcome::Invalidated);
    }

    /// Forget the pending reply (if any), marking its orders with `outcome`.
    pub(crate) fn drop_pending(&mut self, outcome: crate::journal::OrderOutcome) {
        self.trading.drop_pending(&mut self.journal, outcome);
    }
}
