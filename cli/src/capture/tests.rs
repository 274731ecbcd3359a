//! The capture against the simulator: what it calls, what it writes, what it hides.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ibkr_ext::Ibkr;
use ibkr_sim::{Fault, FaultRule, RunningGateway};
use serde_json::{Value, json};

use super::*;

/// Personal data the simulator does not carry, planted in fields the schema declares.
const NAME: &str = "Jane Q. Public";
const EMAIL: &str = "jane.public@example.org";
const ADDRESS: &str = "42 Wallaby Way, Sydney";
const IP: &str = "203.0.113.77";
const SESSION: &str = "f3c9a1e0b7d24e6a9c1b2d3e4f5a6b7c";

async fn simulator(faults: Vec<FaultRule>) -> RunningGateway {
    // IBKR's pacing is the wire's and the simulator's own tests' subject; here it would only
    // stretch one capture to 10 s.
    let mut b = crate::sim::builder()
        .brokerage_session(true)
        .limits(ibkr_sim::Limits::unlimited());
    for f in faults {
        b = b.fault(f);
    }
    b.start().await.expect("the simulator starts")
}

fn client(gw: &RunningGateway) -> Ibkr {
    Ibkr::builder()
        .base_url(gw.base_url())
        .without_pacing()
        .build()
        .expect("a client")
}

fn planted() -> Vec<FaultRule> {
    vec![
        FaultRule::new(
            "/portfolio/accounts",
            Fault::Amend(json!({"accountTitle": NAME, "desc": EMAIL, "accountAlias": ADDRESS})),
        ),
        FaultRule::new("/sso/validate", Fault::Amend(json!({"IP": IP}))),
        FaultRule::new("/tickle", Fault::Amend(json!({"session": SESSION}))),
    ]
}

/// What the contract harness would find in `answer` as a fixture of `op`: a decode error,
/// undeclared fields, values the generated type does not keep. Paths with their account ids
/// and amounts masked, so a fixture and the raw answer compare.
fn harness_problems(op: &Op, answer: &Value) -> BTreeSet<String> {
    let doc = spec::document(op.row.api);
    let Some(schema) = op.success_schema() else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    match ibkr_ext::raw_api::decode_success(op.id(), answer.to_string().as_bytes()) {
        Some(Ok(decoded)) => {
            for p in ibkr_contract_tests::values::unequal(doc, answer, &decoded) {
                out.insert(p.split(": recorded").next().unwrap_or_default().to_string());
            }
        }
        Some(Err(e)) => {
            out.insert(format!("does not decode: {e}"));
        }
        None => {}
    }
    for p in ibkr_contract_tests::values::undeclared(doc, schema, answer) {
        out.insert(format!("{p} is not in the schema"));
    }
    let account = regex::Regex::new(r"\b(DU|DF|U|F)\d{5,9}\b").expect("a regex");
    out.into_iter()
        .map(|p| account.replace_all(&p, "<account>").into_owned())
        .collect()
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).expect("a folder").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string();
                out.insert(rel, std::fs::read_to_string(&p).expect("text"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The operation a journal entry was, by method and path template.
fn operation_of(method: &str, path: &str) -> Option<Op> {
    let segments: Vec<&str> = path.split('/').collect();
    spec::all().into_iter().find(|o| {
        let t: Vec<&str> = o.row.path.split('/').collect();
        o.row.method == method
            && o.row.api == Api::Trading
            && t.len() == segments.len()
            && t.iter()
                .zip(&segments)
                .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
    })
}

/// One capture of the whole safe set, on a simulator with personal data planted in its
/// answers: every request it sent was a safe read; every answer it wrote decodes the way the
/// contract harness decodes a fixture; none of the planted data is in a fixture, each piece
/// is in REVIEW.md; and the same answers with the same seed give the same bytes.
#[tokio::test]
async fn a_capture_of_the_safe_set_sends_only_reads_hides_personal_data_and_decodes() {
    let gw = simulator(planted()).await;
    let ibkr = client(&gw);
    let progress = indicatif::ProgressBar::hidden();
    let outcomes = collect(&ibkr, &Plan::default(), &progress).await;

    // 1. The journal: nothing but safe trading-API reads (the session's own tickles are reads too).
    let journal = gw.inspect().requests();
    assert!(!journal.is_empty());
    for r in &journal {
        let op = operation_of(&r.method, &r.path)
            .unwrap_or_else(|| panic!("{} {}: no operation of the trading API", r.method, r.path));
        assert!(
            op.sendable(),
            "{} {} ({}) is not a safe read",
            r.method,
            r.path,
            op.id()
        );
    }

    // 2. Every answered operation was answered 2xx and none failed.
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match &o.fate {
            Fate::Failed { error, .. } => Some(format!("{}: {error}", o.op.id())),
            _ => None,
        })
        .collect();
    assert!(
        failed.is_empty(),
        "failed on the simulator:\n{}",
        failed.join("\n")
    );

    // 3. Written, anonymised: none of the planted data survives; each piece is in REVIEW.md.
    let dir = tempfile::tempdir().expect("a temp dir");
    let written = write(dir.path(), &outcomes, 7, false, "20250101").expect("written");
    let files = tree(dir.path());
    let review = &files["REVIEW.md"];
    for planted in [NAME, EMAIL, ADDRESS, IP, SESSION] {
        for (name, text) in files.iter().filter(|(n, _)| n.ends_with(".json")) {
            assert!(!text.contains(planted), "{planted:?} survives in {name}");
        }
        assert!(
            review.contains(planted),
            "{planted:?} is not listed in REVIEW.md"
        );
        assert!(!files["SOURCES.md"].contains(planted));
    }
    let account = ibkr_ext::raw_api::operations::find("getAccounts").map(|_| "DU1234567");
    for (name, text) in &files {
        if name.ends_with(".json") {
            assert!(
                !text.contains(account.unwrap_or_default()),
                "the account id survives in {name}"
            );
        }
    }

    // 4. Each fixture decodes as the contract harness decodes one (the generated type takes
    //    it, every field declared, every value equal), except where the simulator's own
    //    answer already differs from the schema: the capture adds no difference.
    let raw_answers: BTreeMap<&str, &[u8]> = outcomes
        .iter()
        .filter_map(|o| match &o.fate {
            Fate::Answered { body } => Some((o.op.id(), body.as_slice())),
            _ => None,
        })
        .collect();
    let mut added = Vec::new();
    let mut inherited = BTreeSet::new();
    for path in &written.files {
        let id = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .expect("an operation folder");
        let op = spec::all()
            .into_iter()
            .find(|o| o.id() == id)
            .expect("an operation");
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("a file")).expect("JSON");
        let raw: Value = serde_json::from_slice(raw_answers[id.as_str()]).expect("JSON");
        let in_fixture = harness_problems(&op, &fixture);
        let in_raw = harness_problems(&op, &raw);
        if !in_raw.is_empty() {
            inherited.insert(id.clone());
        }
        for p in in_fixture.difference(&in_raw) {
            added.push(format!("{id}: {p}"));
        }
    }
    assert!(
        added.is_empty(),
        "the capture made these differences:\n{}",
        added.join("\n")
    );
    eprintln!(
        "{} fixtures; the simulator's own answers differ from the schema in: {inherited:?}",
        written.files.len()
    );

    // 5. The same answers and seed give the same bytes; another seed does not.
    let again = tempfile::tempdir().expect("a temp dir");
    write(again.path(), &outcomes, 7, false, "20250101").expect("written");
    assert_eq!(tree(again.path()), files);
    let other = tempfile::tempdir().expect("a temp dir");
    write(other.path(), &outcomes, 8, false, "20250101").expect("written");
    assert_ne!(tree(other.path()), files);
    assert!(
        files
            .keys()
            .any(|k| k == "listPortfolioAccounts/rec_capture_20250101_1.json")
    );
}

/// `--check` names a field the schema does not declare and a value of the wrong type, by path.
#[tokio::test]
async fn check_reports_an_undeclared_field_and_a_type_mismatch_with_their_paths() {
    let gw = simulator(vec![FaultRule::new(
        "/portfolio/accounts",
        Fault::Amend(json!({"brandNewField": 1, "accountTitle": 12})),
    )])
    .await;
    let ibkr = client(&gw);
    let plan = Plan::new(&["listPortfolioAccounts".to_string()], None).expect("a safe operation");
    let outcomes = collect(&ibkr, &plan, &indicatif::ProgressBar::hidden()).await;
    let wanted: Vec<&Outcome> = outcomes.iter().filter(|o| o.wanted).collect();
    assert_eq!(wanted.len(), 1);
    let Fate::Answered { body, .. } = &wanted[0].fate else {
        panic!(
            "listPortfolioAccounts was not answered: {:?}",
            wanted[0].fate
        )
    };
    let op = wanted[0].op;
    let f = schema::check(
        op.id(),
        spec::document(op.row.api),
        op.success_schema().expect("a JSON answer"),
        body,
    );
    assert_eq!(f.undeclared, ["$[].brandNewField"]);
    assert_eq!(
        f.mismatches,
        [(
            "$[].accountTitle".to_string(),
            "string".to_string(),
            "integer".to_string()
        )]
    );
    assert_eq!(check_report(&outcomes).unwrap(), 1);
}

/// The safe list holds no call the spec marks non-idempotent, whatever its method, and the
/// calls that move money or change the session are not on it.
#[test]
fn the_safe_list_holds_no_write() {
    let all = spec::all();
    assert_eq!(all.len(), ibkr_ext::raw_api::operations::all().len());
    for op in all.iter().filter(|o| o.mark() == Mark::Safe) {
        assert_ne!(
            op.node.get("x-ibkr-idempotent"),
            Some(&Value::Bool(false)),
            "{} is marked safe and non-idempotent",
            op.id()
        );
        assert!(
            op.row.idempotent,
            "{}: the runtime would not repeat it",
            op.id()
        );
        if matches!(op.row.method, "POST" | "PUT" | "DELETE" | "PATCH") {
            assert_eq!(
                op.node.get("x-ibkr-idempotent"),
                Some(&Value::Bool(true)),
                "{}",
                op.id()
            );
        }
    }
    for id in [
        "placeOrder",
        "modifyOrder",
        "cancelOrder",
        "replyToOrderQuestion",
        "previewOrder",
        "logout",
        "getMarketDataSnapshot",
        "createWatchlist",
        "deleteAlert",
        "switchAccount",
        "transferCashExternally",
        "openWebsocket",
    ] {
        let op = all.iter().find(|o| o.id() == id).expect(id);
        assert!(!op.sendable(), "{id} must never be captured");
    }
}

/// `send` refuses an unsafe operation itself: nothing reaches the gateway.
#[tokio::test]
async fn send_refuses_an_unsafe_operation() {
    let gw = simulator(Vec::new()).await;
    let ibkr = client(&gw);
    let place = spec::all()
        .into_iter()
        .find(|o| o.id() == "placeOrder")
        .expect("placeOrder");
    let call = Call {
        path: vec![("accountId", "DU1234567".to_string())],
        query: Vec::new(),
        body: Some(json!({"orders": []})),
    };
    assert!(send(&ibkr, &place, &call).await.is_err());
    assert!(
        gw.inspect()
            .requests()
            .iter()
            .all(|r| !r.path.ends_with("/orders"))
    );
}

/// `--only` names operations that exist and are safe.
#[test]
fn only_refuses_an_unsafe_or_unknown_operation() {
    assert!(Plan::new(&["placeOrder".into()], None).is_err());
    assert!(Plan::new(&["noSuchThing".into()], None).is_err());
    assert!(Plan::new(&["getAccountLedger".into()], None).is_ok());
}
