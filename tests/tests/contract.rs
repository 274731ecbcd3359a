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

/// A fixture folder must name an operation: a misspelled one would otherwise fall back to a
/// schema-built example without a word.
#[test]
fn every_fixture_folder_names_an_operation() {
    let root = ibkr_contract_tests::fixtures_root();
    for kind in ["responses", "excerpts"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind)) else {
            continue;
        };
        for entry in entries.flatten() {
            if !entry.path().is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                ibkr_gen::operations::all().iter().any(|o| o.id == name),
                "fixtures/{kind}/{name}: no operation has this operationId (a typo?)"
            );
        }
    }
}
