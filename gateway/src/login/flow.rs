//! The browser login's steps, with the page rules (see the module docs for the order).

use std::time::{Duration, Instant};

use ibkr_ext::SessionState;

use super::api::Api;
use super::browser::{Chromium, PageState, find_chromium};
use super::{LoginConfig, LoginError};

/// How often the page is read while waiting.
const PAGE_POLL: Duration = Duration::from_millis(250);

/// How long the page may keep showing the 2FA input after a code was sent before the code
/// counts as refused.
const CODE_REFUSED_AFTER: Duration = Duration::from_secs(10);

/// How long an error text that was already answered (by the paper toggle's resubmit) is
/// taken for the old one.
const STALE_ERROR_GRACE: Duration = Duration::from_secs(5);

/// A TOTP code with less than this left in its 30-second step is not typed: the login waits
/// for the next step.
const TOTP_MARGIN_SECS: u64 = 4;

/// What happened on the page, for the report.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PageOutcome {
    /// A TOTP code was typed.
    pub(crate) two_factor: bool,
    /// The paper toggle was clicked after IBKR's "Live Account Mode ... Paper Trading user".
    pub(crate) paper_retry: bool,
    /// The page showed the success text.
    pub(crate) page_success: bool,
}

/// Run the browser login; `submitted` turns true once credentials were sent (a failure
/// after that was an attempt at IBKR).
pub(crate) async fn browser_login(
    cfg: &LoginConfig,
    api: &Api,
    submitted: &mut bool,
) -> Result<(PageOutcome, SessionState), LoginError> {
    let exe = find_chromium(cfg.chromium.as_deref())?;
    let chrome = Chromium::launch(&exe, cfg.page_timeout).await?;
    let result = drive(&chrome, cfg, api, submitted).await;
    if let Err(e) = &result {
        // Evidence for the user, with the inputs blanked first (a refused password is still
        // in its field). PageChanged saved its own.
        if *submitted && !matches!(e, LoginError::PageChanged { .. }) {
            match chrome.dump(&cfg.dump_dir()).await {
                Ok(dump) => tracing::warn!(kind = e.kind(), %dump, "saved the login page"),
                Err(why) => tracing::debug!(%why, "could not save the login page"),
            }
        }
    }
    chrome.close().await;
    result
}

async fn drive(
    chrome: &Chromium,
    cfg: &LoginConfig,
    api: &Api,
    submitted: &mut bool,
) -> Result<(PageOutcome, SessionState), LoginError> {
    let rules = &cfg.rules;
    let url = cfg.login_page_url()?;
    tracing::info!(page = %strip_query(url.as_str()), "opening the login page");
    chrome.goto(url.as_str(), cfg.page_timeout).await?;

    // 1. The form.
    let form = wait_for_form(chrome, cfg).await?;

    // 2. Live or paper.
    if form.toggle {
        if form.toggle_checked != cfg.paper {
            tracing::info!(paper = cfg.paper, "clicking the live/paper toggle");
            chrome.click(&rules.form.paper_toggle_click).await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    } else if cfg.paper {
        tracing::warn!(
            selector = %rules.form.paper_toggle,
            "no live/paper toggle on the page; logging in without it"
        );
    }

    // 3. Username, password, submit.
    submit_form(chrome, cfg).await?;
    *submitted = true;

    // 4. The first of: API authenticated, success, 2FA, push, error, promo.
    let mut outcome = PageOutcome::default();
    let started = Instant::now();
    let until = started + cfg.deadline;
    let mut next_api_check = Instant::now() + Duration::from_millis(500);
    let mut code_sent: Option<Instant> = None;
    let mut push_seen = false;
    let mut unreadable = 0u32;
    // After the paper toggle's resubmit, the old error shows until the answer replaces it.
    let mut stale_error: Option<(String, Instant)> = None;
    loop {
        let now = Instant::now();
        if now >= next_api_check {
            next_api_check = now + super::api::POLL_INTERVAL;
            if let Some(state) = api.authenticated().await {
                return Ok((outcome, state));
            }
        }
        if Instant::now() >= until {
            return Err(if outcome.page_success {
                LoginError::NotAuthenticated(cfg.deadline)
            } else if push_seen {
                LoginError::TwoFactorUnanswered(format!(
                    "the push notification was not approved within {:?}",
                    cfg.deadline
                ))
            } else if code_sent.is_some() {
                LoginError::TwoFactorUnanswered(format!(
                    "a TOTP code was sent but the session did not authenticate within {:?}",
                    cfg.deadline
                ))
            } else {
                LoginError::Timeout(format!(
                    "after submit, the page showed none of success, 2FA, error or promo within {:?}, \
                     and the API did not authenticate",
                    cfg.deadline
                ))
            });
        }
        let state = match chrome.state(rules).await {
            Ok(s) => {
                unreadable = 0;
                s
            }
            Err(e) => {
                // Mid-navigation the page has no context for a moment.
                unreadable += 1;
                if unreadable > 40 {
                    return Err(e);
                }
                tokio::time::sleep(PAGE_POLL).await;
                continue;
            }
        };

        let stale = stale_error
            .as_ref()
            .is_some_and(|(m, since)| *m == state.error && since.elapsed() < STALE_ERROR_GRACE);
        if !state.error.is_empty() && !stale {
            let message = state.error.clone();
            if message.contains(&rules.outcome.invalid_credentials_text) {
                return Err(LoginError::InvalidCredentials { message });
            }
            let paper_user = !rules.outcome.paper_user_in_live_mode.is_empty()
                && rules
                    .outcome
                    .paper_user_in_live_mode
                    .iter()
                    .all(|part| message.contains(part.as_str()));
            if paper_user && !outcome.paper_retry && state.toggle {
                tracing::info!(
                    "IBKR says the user is a paper user in live mode: clicking the toggle and submitting once more"
                );
                outcome.paper_retry = true;
                chrome.click(&rules.form.paper_toggle_click).await?;
                tokio::time::sleep(Duration::from_millis(300)).await;
                submit_form(chrome, cfg).await?;
                stale_error = Some((message, Instant::now()));
                tokio::time::sleep(PAGE_POLL).await;
                continue;
            }
            return Err(LoginError::Rejected { message });
        }

        if state.code_input {
            match code_sent {
                None => {
                    send_code(chrome, cfg).await?;
                    outcome.two_factor = true;
                    code_sent = Some(Instant::now());
                }
                Some(at) if at.elapsed() > CODE_REFUSED_AFTER && !state.success => {
                    return Err(LoginError::TwoFactorUnanswered(
                        "IBKR did not accept the TOTP code (is the secret the one of this username, \
                         and the clock right?)"
                            .into(),
                    ));
                }
                Some(_) => {}
            }
        } else if state.push || (state.two_factor && code_sent.is_none()) {
            if !push_seen {
                tracing::info!("IBKR waits for a 2FA approval (push notification)");
            }
            push_seen = true;
        }

        if state.promo {
            tracing::info!("skipping IBKR's promotion");
            let _ = chrome.click(&rules.outcome.promo_skip).await;
        }

        if state.success && !outcome.page_success {
            tracing::info!("the page reports success; waiting for the API");
            outcome.page_success = true;
        }
        tokio::time::sleep(PAGE_POLL).await;
    }
}

/// Wait until the form's three elements are there. A page that loaded but lacks one of
/// them after the page timeout changed: dump it and stop.
async fn wait_for_form(chrome: &Chromium, cfg: &LoginConfig) -> Result<PageState, LoginError> {
    let rules = &cfg.rules;
    let until = Instant::now() + cfg.page_timeout;
    let mut last = PageState::default();
    loop {
        if let Ok(s) = chrome.state(rules).await {
            if s.username && s.password && s.submit {
                return Ok(s);
            }
            last = s;
        }
        if Instant::now() >= until {
            break;
        }
        tokio::time::sleep(PAGE_POLL).await;
    }
    if last.ready != "complete" && last.ready != "interactive" {
        return Err(LoginError::Timeout(format!(
            "the login page did not finish loading within {:?}",
            cfg.page_timeout
        )));
    }
    let missing: Vec<&str> = [
        (last.username, rules.form.username.as_str()),
        (last.password, rules.form.password.as_str()),
        (last.submit, rules.form.submit.as_str()),
    ]
    .into_iter()
    .filter(|(found, _)| !found)
    .map(|(_, sel)| sel)
    .collect();
    let url = chrome.url().await;
    let dump = chrome.dump(&cfg.dump_dir()).await?;
    tracing::error!(missing = %missing.join(", "), %url, %dump, "IBKR's login page changed");
    Err(LoginError::PageChanged {
        missing: missing.join(", "),
        url,
        dump: Box::new(dump),
    })
}

async fn submit_form(chrome: &Chromium, cfg: &LoginConfig) -> Result<(), LoginError> {
    let rules = &cfg.rules;
    chrome
        .fill(&rules.form.username, &cfg.credentials.username)
        .await?;
    chrome
        .fill(&rules.form.password, &cfg.credentials.password)
        .await?;
    tracing::info!("submitting the login form");
    chrome.click(&rules.form.submit).await
}

async fn send_code(chrome: &Chromium, cfg: &LoginConfig) -> Result<(), LoginError> {
    if cfg.credentials.totp_secret.is_none() {
        return Err(LoginError::TwoFactorUnanswered(
            "IBKR asks for a 2FA code and no TOTP secret was given (totp_secret in the credentials \
             file, or IBKR_TOTP_SECRET)"
                .into(),
        ));
    }
    let mut now = unix_now();
    let left = 30 - now % 30;
    if left < TOTP_MARGIN_SECS {
        tokio::time::sleep(Duration::from_secs(left)).await;
        now = unix_now();
    }
    let code = cfg
        .credentials
        .totp_code_at(now)?
        .expect("a TOTP secret was checked above");
    tracing::info!("typing the TOTP code");
    let input = &cfg.rules.two_factor.code_input;
    chrome.fill(input, &code).await?;
    chrome.press_enter(input).await
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}
