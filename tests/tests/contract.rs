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
        let dir = root.join(kind);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
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

/// A fixture's name says what backs it (see `fixtures/SOURCES.md`): `rec_` a body captured
/// from a real gateway, `doc_` an example on an IBKR documentation page, `spec_` an example in
/// IBKR's OpenAPI document, `unverified_` a body whose origin could not be traced. `OPERATIONS.md`
/// ranks each operation's evidence by these prefixes, so an unprefixed file would be miscounted.
#[test]
fn every_fixture_file_names_its_evidence() {
    const PREFIXES: [&str; 4] = ["spec_", "doc_", "rec_", "unverified_"];
    fn walk(dir: &std::path::Path, bad: &mut Vec<String>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, bad);
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if !PREFIXES.iter().any(|p| name.starts_with(p)) {
                bad.push(path.display().to_string());
            }
        }
    }
    let root = ibkr_contract_tests::fixtures_root();
    let mut bad = Vec::new();
    for kind in ["responses", "excerpts"] {
        walk(&root.join(kind), &mut bad);
    }
    bad.sort();
    assert!(
        bad.is_empty(),
        "fixture files not named by their evidence (spec_, doc_, rec_ or unverified_):\n{}",
        bad.join("\n")
    );
}
