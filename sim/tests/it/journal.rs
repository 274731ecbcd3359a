//! The request journal: everything by default (tests inspect all they sent), a ring of the
//! last requests when a capacity is set (standalone simulators run for days).

use crate::common::sim_with;
use ibkr_sim::{Gateway, Limits};

#[tokio::test]
async fn a_journal_with_a_capacity_keeps_the_last_requests_and_their_statuses() {
    let s = sim_with(
        Gateway::builder()
            .plain_http()
            .brokerage_session(true)
            .limits(Limits::unlimited())
            .with_journal_capacity(Some(100)),
    )
    .await;
    for _ in 0..250 {
        s.post_empty("/tickle").await;
    }
    let inspect = s.gw.inspect();
    let requests = inspect.requests();
    assert_eq!(requests.len(), 100);
    assert_eq!(inspect.dropped_requests(), 150);
    assert!(
        requests
            .iter()
            .all(|r| r.path == "/tickle" && r.status == Some(200))
    );
}

#[tokio::test]
async fn by_default_the_journal_keeps_every_request() {
    let s = sim_with(
        Gateway::builder()
            .plain_http()
            .brokerage_session(true)
            .limits(Limits::unlimited()),
    )
    .await;
    for _ in 0..250 {
        s.post_empty("/tickle").await;
    }
    assert_eq!(s.gw.inspect().count("POST", "/tickle"), 250);
    assert_eq!(s.gw.inspect().dropped_requests(), 0);
}
