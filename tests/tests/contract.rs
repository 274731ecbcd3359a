//! Contract tests of every operation: the request the generated client sends, and the
//! answers it decodes (every recorded answer in `fixtures/responses/<operationId>/`, or one
//! built from the schema where none was ever published). One test binary, one module per tag.

mod contract {
    mod account_management;
    mod accounts;
    mod alerts;
    mod banking;
    mod contracts;
    mod errors;
    mod event_contracts;
    mod fa_allocation;
    mod market_data;
    mod notifications;
    mod oauth;
    mod orders;
    mod portfolio;
    mod portfolio_analyst;
    mod reports;
    mod restrictions;
    mod scanner;
    mod session;
    mod sso;
    mod utilities;
    mod watchlists;
    mod websocket;
}
