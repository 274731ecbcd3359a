//! The browser: a headless Chromium driven through the DevTools protocol (`chromiumoxide`).
//!
//! Only this file talks to Chromium. It knows how to find, fill and click an element, how to
//! read the page's state in one script, and how to dump the page with its inputs blanked; the
//! login's steps live in `flow.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::cdp::js_protocol::runtime::{CallArgument, CallFunctionOnParams};
use chromiumoxide::page::{Page, ScreenshotParams};
use futures::StreamExt as _;
use ibkr_gen::Secret;
use serde::Deserialize;
use tracing::instrument::WithSubscriber as _;

use super::{LoginError, PageDump, PageRules};

/// The environment variable naming the Chromium (or Chrome) binary to use.
pub const CHROMIUM_ENV: &str = "IBKR_CHROMIUM";

/// The names looked up on `PATH`, in order.
pub const CHROMIUM_NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// Find the browser: `explicit` if given, else `$IBKR_CHROMIUM`, else the first of
/// [`CHROMIUM_NAMES`] on `PATH`. No browser is ever downloaded.
pub fn find_chromium(explicit: Option<&Path>) -> Result<PathBuf, LoginError> {
    if let Some(p) = explicit {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(LoginError::Browser(format!(
                "{} does not exist or is not a file",
                p.display()
            )))
        };
    }
    if let Some(p) = std::env::var_os(CHROMIUM_ENV).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(LoginError::Browser(format!(
                "{CHROMIUM_ENV}={} does not exist or is not a file",
                p.display()
            )))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in CHROMIUM_NAMES {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(LoginError::Browser(format!(
        "no Chromium found: install it (Debian/Ubuntu: apt-get install chromium; macOS: brew install \
         --cask chromium), or set {CHROMIUM_ENV} to the browser's binary; looked on PATH for {}",
        CHROMIUM_NAMES.join(", ")
    )))
}

/// The browser's command-line switches (besides `--headless`, `--user-data-dir` and the
/// DevTools port, which the launcher adds).
pub const CHROMIUM_SWITCHES: [&str; 11] = [
    "no-sandbox",
    "disable-gpu",
    "disable-background-networking",
    "disable-component-update",
    "no-first-run",
    "disable-sync",
    // The gateway's certificate is self-signed (and, in the build IBKR ships, expired).
    "ignore-certificate-errors",
    "disable-dev-shm-usage",
    "disable-extensions",
    "password-store=basic",
    "use-mock-keychain",
];

/// A running headless Chromium with one page, and its throw-away profile.
pub(crate) struct Chromium {
    browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    pub(crate) page: Page,
    _profile: tempfile::TempDir,
}

/// What the page shows, read in one script.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct PageState {
    /// `document.readyState`.
    pub ready: String,
    pub username: bool,
    pub password: bool,
    pub submit: bool,
    /// The paper toggle's input exists.
    pub toggle: bool,
    /// It is checked (paper selected).
    pub toggle_checked: bool,
    /// The 2FA code input is visible.
    pub code_input: bool,
    /// The 2FA container is visible.
    pub two_factor: bool,
    /// The push notice is visible.
    pub push: bool,
    /// The error box's text, when visible and not empty.
    pub error: String,
    /// The promo's skip is visible.
    pub promo: bool,
    /// The page's text has the success text.
    pub success: bool,
}

/// Reads the page against the rules. The rules come as an argument (never spliced into
/// code); a selector that does not parse counts as absent.
const PROBE: &str = r#"function (r) {
  const q = (s) => { try { return document.querySelector(s); } catch (e) { return null; } };
  const visible = (e) => !!e && !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length)
      && getComputedStyle(e).visibility !== 'hidden';
  const text = document.body ? (document.body.innerText || '') : '';
  const err = q(r.outcome.error);
  const errText = visible(err) ? (err.innerText || '').trim() : '';
  const toggle = q(r.form.paper_toggle);
  return {
    ready: document.readyState,
    username: !!q(r.form.username),
    password: !!q(r.form.password),
    submit: !!q(r.form.submit),
    toggle: !!toggle,
    toggle_checked: !!(toggle && toggle.checked),
    code_input: visible(q(r.two_factor.code_input)),
    two_factor: visible(q(r.two_factor.container)),
    push: visible(q(r.two_factor.push_notice)),
    error: errText,
    promo: visible(q(r.outcome.promo_skip)),
    success: text.includes(r.outcome.success_text),
  };
}"#;

/// Blanks every input's value (property and attribute) and every textarea, in the page,
/// before a screenshot or a copy of the HTML.
const BLANK_INPUTS: &str = r#"function () {
  let n = 0;
  for (const e of document.querySelectorAll('input, textarea')) {
    if (e.type === 'checkbox' || e.type === 'radio') continue;
    e.value = '';
    if (e.hasAttribute('value')) e.setAttribute('value', '');
    if (e.tagName === 'TEXTAREA') e.textContent = '';
    n += 1;
  }
  return n;
}"#;

/// Clears and focuses the element it is called on.
const CLEAR_AND_FOCUS: &str = "function () { this.value = ''; this.focus(); return true; }";

/// Clicks the element it is called on (for elements a mouse cannot reach).
const JS_CLICK: &str = "function () { this.click(); return true; }";

fn browser_err(what: &str, e: impl std::fmt::Display) -> LoginError {
    LoginError::Browser(format!("{what}: {e}"))
}

impl Chromium {
    /// Start `exe` headless with a fresh profile and open a blank page.
    pub(crate) async fn launch(exe: &Path, timeout: Duration) -> Result<Self, LoginError> {
        let profile = tempfile::Builder::new()
            .prefix("ibkr-login-chromium-")
            .tempdir()
            .map_err(|e| browser_err("a temporary profile", e))?;
        let config = BrowserConfig::builder()
            .chrome_executable(exe)
            .disable_default_args()
            .no_sandbox()
            .user_data_dir(profile.path())
            .args(CHROMIUM_SWITCHES)
            .launch_timeout(timeout)
            .request_timeout(timeout)
            .window_size(1280, 1024)
            .build()
            .map_err(|e| browser_err("configuration", e))?;
        let (browser, mut handler) = Browser::launch(config)
            .await
            .map_err(|e| browser_err(&format!("starting {}", exe.display()), e))?;
        // chromiumoxide logs every DevTools message at trace level, the keys typed into the
        // password field among them; its task gets a subscriber that drops those events.
        let quiet = tracing::Dispatch::new(QuietDevtools(tracing::dispatcher::get_default(|d| {
            d.clone()
        })));
        let handler = tokio::spawn(
            async move {
                while let Some(event) = handler.next().await {
                    if event.is_err() {
                        tracing::debug!("DevTools connection reported an error");
                    }
                }
            }
            .with_subscriber(quiet),
        );
        let me = Self {
            page: match browser.new_page("about:blank").await {
                Ok(p) => p,
                Err(e) => {
                    let mut browser = browser;
                    let _ = browser.kill().await;
                    let _ = tokio::time::timeout(Duration::from_secs(5), browser.wait()).await;
                    handler.abort();
                    return Err(browser_err("opening a page", e));
                }
            },
            browser,
            handler,
            _profile: profile,
        };
        Ok(me)
    }

    /// Go to `url` and wait for the load, at most `timeout`.
    pub(crate) async fn goto(&self, url: &str, timeout: Duration) -> Result<(), LoginError> {
        match tokio::time::timeout(timeout, self.page.goto(url)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(browser_err("loading the login page", e)),
            Err(_) => Err(LoginError::Timeout(format!(
                "the login page did not load within {timeout:?}"
            ))),
        }
    }

    /// Read the page's state.
    pub(crate) async fn state(&self, rules: &PageRules) -> Result<PageState, LoginError> {
        let rules = serde_json::to_value(rules).map_err(|e| browser_err("rules", e))?;
        let call = CallFunctionOnParams::builder()
            .function_declaration(PROBE)
            .argument(CallArgument::builder().value(rules).build())
            .return_by_value(true)
            .build()
            .map_err(|e| browser_err("probe", e))?;
        let result = self
            .page
            .evaluate_function(call)
            .await
            .map_err(|e| browser_err("reading the page", e))?;
        result
            .into_value()
            .map_err(|e| browser_err("reading the page", e))
    }

    /// Type `value` into the element at `selector`, after clearing it.
    pub(crate) async fn fill(&self, selector: &str, value: &Secret) -> Result<(), LoginError> {
        let el = self
            .page
            .find_element(selector)
            .await
            .map_err(|e| browser_err(&format!("finding {selector}"), e))?;
        el.call_js_fn(CLEAR_AND_FOCUS, false)
            .await
            .map_err(|e| browser_err(&format!("focusing {selector}"), e))?;
        el.type_str(value.expose())
            .await
            .map_err(|e| browser_err(&format!("typing into {selector}"), e))?;
        Ok(())
    }

    /// Press Enter in the element at `selector`.
    pub(crate) async fn press_enter(&self, selector: &str) -> Result<(), LoginError> {
        let el = self
            .page
            .find_element(selector)
            .await
            .map_err(|e| browser_err(&format!("finding {selector}"), e))?;
        el.press_key("Enter")
            .await
            .map_err(|e| browser_err(&format!("pressing Enter in {selector}"), e))?;
        Ok(())
    }

    /// Click the element at `selector`: with the mouse where it can be reached, else
    /// through the DOM.
    pub(crate) async fn click(&self, selector: &str) -> Result<(), LoginError> {
        let el = self
            .page
            .find_element(selector)
            .await
            .map_err(|e| browser_err(&format!("finding {selector}"), e))?;
        if el.click().await.is_err() {
            el.call_js_fn(JS_CLICK, false)
                .await
                .map_err(|e| browser_err(&format!("clicking {selector}"), e))?;
        }
        Ok(())
    }

    /// Blank every input in the page, then save a screenshot and the HTML in `dir`.
    pub(crate) async fn dump(&self, dir: &Path) -> Result<PageDump, LoginError> {
        self.blank_inputs().await?;
        std::fs::create_dir_all(dir)
            .map_err(|e| LoginError::Config(format!("dump directory {}: {e}", dir.display())))?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let dump = PageDump {
            screenshot: dir.join(format!("login-page-{stamp}.png")),
            html: dir.join(format!("login-page-{stamp}.html")),
        };
        let html = self
            .page
            .evaluate("document.documentElement.outerHTML")
            .await
            .map_err(|e| browser_err("reading the page's HTML", e))?
            .into_value::<String>()
            .map_err(|e| browser_err("reading the page's HTML", e))?;
        std::fs::write(&dump.html, html)
            .map_err(|e| LoginError::Config(format!("{}: {e}", dump.html.display())))?;
        let png = self
            .page
            .screenshot(
                ScreenshotParams::builder()
                    .format(CaptureScreenshotFormat::Png)
                    .full_page(true)
                    .build(),
            )
            .await
            .map_err(|e| browser_err("taking a screenshot", e))?;
        std::fs::write(&dump.screenshot, png)
            .map_err(|e| LoginError::Config(format!("{}: {e}", dump.screenshot.display())))?;
        Ok(dump)
    }

    /// Blank every input's value in the page.
    pub(crate) async fn blank_inputs(&self) -> Result<(), LoginError> {
        self.page
            .evaluate_function(BLANK_INPUTS)
            .await
            .map_err(|e| browser_err("blanking the inputs", e))?;
        Ok(())
    }

    /// The page's address without its query.
    pub(crate) async fn url(&self) -> String {
        match self.page.url().await {
            Ok(Some(u)) => u.split(['?', '#']).next().unwrap_or_default().to_string(),
            _ => String::from("(unknown)"),
        }
    }

    /// Close the browser and wait for its process to end.
    pub(crate) async fn close(mut self) {
        self.close_browser().await;
    }

    async fn close_browser(&mut self) {
        let closed = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        if !matches!(closed, Ok(Ok(_))) {
            let _ = self.browser.kill().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.wait()).await;
        self.handler.abort();
    }
}

/// A subscriber for chromiumoxide's own task: it forwards everything to the subscriber
/// that was in force when the browser started, except the events of
/// `chromiumoxide::conn` and `chromiumoxide::cmd`, which print whole DevTools messages
/// (typed keys included).
struct QuietDevtools(tracing::Dispatch);

impl QuietDevtools {
    fn silenced(meta: &tracing::Metadata<'_>) -> bool {
        let t = meta.target();
        t.starts_with("chromiumoxide::conn") || t.starts_with("chromiumoxide::cmd")
    }
}

impl tracing::Subscriber for QuietDevtools {
    fn register_callsite(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if Self::silenced(meta) {
            tracing::subscriber::Interest::sometimes()
        } else {
            self.0.register_callsite(meta)
        }
    }
    fn enabled(&self, meta: &tracing::Metadata<'_>) -> bool {
        !Self::silenced(meta) && self.0.enabled(meta)
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        self.0.new_span(span)
    }
    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        self.0.record(span, values)
    }
    fn record_follows_from(&self, span: &tracing::span::Id, follows: &tracing::span::Id) {
        self.0.record_follows_from(span, follows)
    }
    fn event(&self, event: &tracing::Event<'_>) {
        if !Self::silenced(event.metadata()) {
            self.0.event(event)
        }
    }
    fn enter(&self, span: &tracing::span::Id) {
        self.0.enter(span)
    }
    fn exit(&self, span: &tracing::span::Id) {
        self.0.exit(span)
    }
    fn clone_span(&self, id: &tracing::span::Id) -> tracing::span::Id {
        self.0.clone_span(id)
    }
    fn try_close(&self, id: tracing::span::Id) -> bool {
        self.0.try_close(id)
    }
}
