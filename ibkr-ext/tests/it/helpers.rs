//! The account helpers against the simulated gateway: positions (every page), summary,
//! ledger, P&L, trades, watchlists, scanner, alerts, contracts, option chains and account
//! switching; bad input gets a typed error and changes nothing.

use ibkr_ext::alerts::{Crossing, PriceAlert};
use ibkr_ext::scanner::ScanRequest;
use ibkr_ext::{Conid, Error, Ibkr};
use ibkr_sim::{Gateway, Limits, RunningGateway};
use rust_decimal::Decimal;

const ACCOUNT: &str = "DU1234567";
const SECOND: &str = "DU7654321";
const AAPL: Conid = Conid(265598);
const IBM: Conid = Conid(8314);

async fn sim_with(limits: Limits) -> RunningGateway {
    Gateway::builder()
        .seed(7)
        .account(ACCOUNT)
        .extra_account(SECOND)
        .limits(limits)
        .start()
        .await
        .expect("simulator starts")
}

async fn client(gw: &RunningGateway) -> Ibkr {
    let ibkr = Ibkr::builder()
        .base_url(gw.base_url())
        .without_pacing()
        .without_keepalive()
        .build()
        .expect("client builds");
    ibkr.ensure_brokerage_session()
        .await
        .expect("brokerage session");
    ibkr
}

async fn sim() -> (RunningGateway, Ibkr) {
    let gw = sim_with(Limits::unlimited()).await;
    let ibkr = client(&gw).await;
    (gw, ibkr)
}

fn not_found(e: &Error) -> bool {
    matches!(e, Error::NotFound { .. })
}

#[tokio::test]
async fn positions_come_from_the_seeded_trades_with_money_as_decimals() {
    let (gw, ibkr) = sim().await;
    let positions = ibkr.positions().await.expect("positions");
    assert!(!positions.is_empty(), "the simulator seeds trades");
    for p in &positions {
        assert_eq!(p.account, ACCOUNT);
        assert!(!p.symbol.is_empty());
        assert!(!p.position.is_zero());
        let held = gw.inspect().position(ACCOUNT, p.conid.0 as u64);
        assert_eq!(p.position, Decimal::try_from(held).expect("finite"));
        assert!(p.market_value.is_some() && p.avg_cost.is_some(), "{p:?}");
    }
    let first = &positions[0];
    let only = ibkr
        .positions_for(first.conid)
        .await
        .expect("positions_for");
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].conid, first.conid);
    assert_eq!(only[0].position, first.position);
}

#[tokio::test]
async fn summary_ledger_and_pnl_describe_the_account() {
    let (_gw, ibkr) = sim().await;
    let s = ibkr.summary().await.expect("summary");
    assert_eq!(s.account, ACCOUNT);
    assert!(
        s.net_liquidation.is_some_and(|n| n > Decimal::ZERO),
        "{s:?}"
    );
    assert!(s.buying_power.is_some(), "{s:?}");
    assert!(s.maint_margin.is_some(), "{s:?}");

    let ledger = ibkr.ledger().await.expect("ledger");
    assert_eq!(ledger[0].currency, "BASE", "BASE first");
    assert!(ledger.iter().any(|l| l.currency == "USD"));

    let pnl = ibkr.pnl().await.expect("pnl");
    assert!(
        pnl.iter()
            .any(|r| r.account == ACCOUNT && r.partition == format!("{ACCOUNT}.Core")),
        "{pnl:?}"
    );
}

#[tokio::test]
async fn trades_list_the_last_days_and_refuse_a_bad_window() {
    let (_gw, ibkr) = sim().await;
    let trades = ibkr.trades(7).await.expect("trades");
    assert!(!trades.is_empty());
    assert!(
        trades
            .iter()
            .all(|t| !t.execution_id.is_empty() && !t.size.is_zero())
    );
    assert!(matches!(
        ibkr.trades(0).await,
        Err(Error::InvalidRequest { .. })
    ));
}

#[tokio::test]
async fn a_watchlist_is_created_listed_shown_and_deleted() {
    let (_gw, ibkr) = sim().await;
    let w = ibkr
        .create_watchlist("1001", "Tech", &[AAPL, IBM])
        .await
        .expect("created");
    assert_eq!(w.name, "Tech");
    let conids: Vec<Conid> = w.instruments.iter().map(|i| i.conid).collect();
    assert_eq!(conids, [AAPL, IBM]);
    assert_eq!(w.instruments[0].symbol, "AAPL");
    let lists = ibkr.watchlists().await.expect("list");
    assert!(lists.iter().any(|l| l.id == "1001" && l.name == "Tech"));
    assert_eq!(ibkr.watchlist(" 1001 ").await.expect("show").id, "1001");
    ibkr.delete_watchlist("1001").await.expect("deleted");
    assert!(ibkr.watchlists().await.expect("list").is_empty());
}

#[tokio::test]
async fn an_unknown_watchlist_id_is_not_found_and_nothing_is_deleted() {
    let (gw, ibkr) = sim().await;
    ibkr.create_watchlist("7", "Keep", &[AAPL])
        .await
        .expect("created");
    let e = ibkr.delete_watchlist("8").await.expect_err("unknown id");
    assert!(not_found(&e), "{e}");
    assert!(
        e.to_string().contains("7 (Keep)"),
        "names the real ones: {e}"
    );
    assert!(not_found(
        &ibkr.watchlist("8").await.expect_err("unknown id")
    ));
    assert_eq!(gw.inspect().count("DELETE", "/iserver/watchlist"), 0);
    assert_eq!(ibkr.watchlists().await.expect("list").len(), 1);
    assert!(matches!(
        ibkr.create_watchlist("abc", "Bad", &[AAPL]).await,
        Err(Error::InvalidRequest { .. })
    ));
}

#[tokio::test]
async fn scanner_params_are_asked_once_per_fifteen_minutes() {
    // IBKR's own limits: a second params request would be answered 429.
    let gw = sim_with(Limits::default()).await;
    let ibkr = client(&gw).await;
    let p = ibkr.scanner_params().await.expect("params");
    assert!(p.scan_types.iter().any(|s| s.code == "TOP_PERC_GAIN"));
    assert!(p.locations.iter().any(|l| l.code == "STK.US.MAJOR"));
    let again = ibkr.scanner_params().await.expect("cached params");
    assert_eq!(p, again);
    assert_eq!(gw.inspect().count("GET", "/iserver/scanner/params"), 1);
}

#[tokio::test]
async fn a_scan_ranks_contracts_and_an_empty_one_is_an_error() {
    let (_gw, ibkr) = sim().await;
    let found = ibkr
        .scan(&ScanRequest::us_stocks("MOST_ACTIVE"))
        .await
        .expect("scan");
    assert!(!found.is_empty());
    assert_eq!(found[0].rank, 1);
    let none = ibkr
        .scan(&ScanRequest::us_stocks("MOST_ACTIVE").filter("priceBelow", 0.01))
        .await
        .expect_err("nothing trades below a cent");
    assert!(not_found(&none), "{none}");
}

#[tokio::test]
async fn an_alert_is_created_paused_and_deleted_and_unknown_ids_change_nothing() {
    let (gw, ibkr) = sim().await;
    let alert = PriceAlert::new("AAPL high", AAPL, Crossing::Above, Decimal::from(10_000));
    let id = ibkr.create_alert(&alert).await.expect("created");
    let list = ibkr.alerts().await.expect("alerts");
    assert!(
        list.iter()
            .any(|a| a.id == id && a.active && a.name == "AAPL high")
    );
    ibkr.activate_alert(id, false).await.expect("paused");
    assert!(
        ibkr.alerts()
            .await
            .expect("alerts")
            .iter()
            .any(|a| a.id == id && !a.active)
    );
    let e = ibkr.delete_alert(id + 1).await.expect_err("unknown id");
    assert!(not_found(&e), "{e}");
    assert!(not_found(
        &ibkr
            .activate_alert(id + 1, true)
            .await
            .expect_err("unknown")
    ));
    assert_eq!(ibkr.alerts().await.expect("alerts").len(), 1);
    let deletes = gw
        .inspect()
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 0, "nothing sent for an unknown id");
    ibkr.delete_alert(id).await.expect("deleted");
    assert!(ibkr.alerts().await.expect("alerts").is_empty());
}

#[tokio::test]
async fn contract_details_and_rules() {
    let (_gw, ibkr) = sim().await;
    let c = ibkr.contract(AAPL).await.expect("details");
    assert_eq!(c.symbol, "AAPL");
    assert_eq!(c.company, "APPLE INC");
    assert_eq!(c.currency, "USD");
    let rules = ibkr.contract_rules(AAPL, true).await.expect("rules");
    assert!(!rules.order_types.is_empty(), "{rules:?}");
    assert!(ibkr.contract(Conid(1)).await.is_err());
}

/// The first month the simulator lists options for AAPL, as YYYYMM.
async fn an_option_month(ibkr: &Ibkr) -> String {
    let e = ibkr
        .chain("AAPL", "199001")
        .await
        .expect_err("no options in 1990");
    assert!(not_found(&e), "{e}");
    let text = e.to_string();
    let months = text
        .split("months with options: ")
        .nth(1)
        .expect("the error names the months with options");
    months
        .split(", ")
        .nth(1)
        .expect("at least two months")
        .trim()
        .to_string()
}

#[tokio::test]
async fn an_option_chain_lists_every_strike_with_calls_and_puts() {
    let (_gw, ibkr) = sim().await;
    let month = an_option_month(&ibkr).await;
    let chain = ibkr.chain(" aapl ", &month).await.expect("chain");
    assert_eq!(chain.underlying, AAPL);
    assert!(chain.strikes.len() > 5);
    assert!(chain.strikes.windows(2).all(|w| w[0] < w[1]));
    assert!(chain.options.iter().any(|o| o.right == "C"));
    assert!(chain.options.iter().any(|o| o.right == "P"));
    assert!(
        chain
            .options
            .iter()
            .all(|o| o.expiry.starts_with(&month) && chain.strikes.contains(&o.strike)),
        "{:?}",
        chain.options.first()
    );
}

#[tokio::test]
async fn a_bad_expiry_is_refused() {
    let (_gw, ibkr) = sim().await;
    assert!(matches!(
        ibkr.chain("AAPL", "2027-01").await,
        Err(Error::InvalidRequest { .. })
    ));
    assert!(not_found(
        &ibkr
            .chain("AAPL", "203912")
            .await
            .expect_err("no options that far out")
    ));
}

#[tokio::test]
async fn switching_to_an_account_of_the_login_selects_it() {
    let (_gw, ibkr) = sim().await;
    let second = ibkr.switch_account(SECOND).await.expect("switched");
    assert_eq!(second.account_id(), Some(SECOND));
    let accounts = ibkr.api().get_accounts().await.expect("accounts");
    assert_eq!(accounts.selected_account.as_deref(), Some(SECOND));
    assert_eq!(second.summary().await.expect("summary").account, SECOND);
}

#[tokio::test]
async fn an_account_the_login_does_not_have_is_refused_and_nothing_changes() {
    let (gw, ibkr) = sim().await;
    let e = ibkr.switch_account("U0000000").await.expect_err("not ours");
    assert!(not_found(&e), "{e}");
    assert!(
        !e.to_string().contains("U0000000"),
        "account numbers are masked: {e}"
    );
    assert_eq!(gw.inspect().count("POST", "/iserver/account"), 0);
    let accounts = ibkr.api().get_accounts().await.expect("accounts");
    assert_eq!(accounts.selected_account.as_deref(), Some(ACCOUNT));
}
