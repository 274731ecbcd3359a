//! [`PageRules`]: every selector and text of IBKR's login page, as versioned data.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::LoginError;

/// The rules built into this release (`page-rules.toml` beside this module).
pub const DEFAULT_PAGE_RULES: &str = include_str!("page-rules.toml");

/// The rules format this release reads.
pub const PAGE_RULES_VERSION: u32 = 1;

/// Where everything is on IBKR's login page: the form's selectors, the 2FA step and the
/// texts that tell the outcome.
///
/// The defaults ([`PageRules::default`]) come from `page-rules.toml`, embedded at build
/// time. When IBKR changes its page, a user copies that file, edits it and passes it with
/// `--page-rules FILE` ([`PageRules::from_file`]): no release needed.
///
/// ```
/// let rules = ibkr_gateway::login::PageRules::default();
/// assert_eq!(rules.form.username, "#xyz-field-username");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageRules {
    /// The format version; this release reads [`PAGE_RULES_VERSION`].
    pub version: u32,
    /// The login page's path and query, relative to the gateway's root.
    pub login_path: String,
    /// The login form.
    pub form: FormRules,
    /// The second factor.
    pub two_factor: TwoFactorRules,
    /// What the page shows after submit.
    pub outcome: OutcomeRules,
}

/// The login form's selectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormRules {
    /// The username input.
    pub username: String,
    /// The password input.
    pub password: String,
    /// The submit button.
    pub submit: String,
    /// The live/paper switch's input, read to know whether paper is selected.
    pub paper_toggle: String,
    /// What is clicked to flip the switch (its label).
    pub paper_toggle_click: String,
}

/// The 2FA step's selectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorRules {
    /// The 2FA step's container.
    pub container: String,
    /// The code input.
    pub code_input: String,
    /// The notice shown while a push notification waits for approval.
    pub push_notice: String,
}

/// The outcome markers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRules {
    /// The error box.
    pub error: String,
    /// The "skip" of a promotion shown after login.
    pub promo_skip: String,
    /// The page's success text (a hint only: the API decides).
    pub success_text: String,
    /// The error text for wrong credentials: the login stops at once and is never retried.
    pub invalid_credentials_text: String,
    /// The parts of the error that a paper user gets in live mode; all must appear. The
    /// login then clicks the paper toggle and submits once more.
    pub paper_user_in_live_mode: Vec<String>,
}

impl Default for PageRules {
    fn default() -> Self {
        Self::parse(DEFAULT_PAGE_RULES, "the built-in page-rules.toml")
            .expect("the built-in page-rules.toml parses")
    }
}

impl PageRules {
    /// Read rules from a TOML file (the format of the built-in `page-rules.toml`).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, LoginError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoginError::Config(format!("page rules {}: {e}", path.display())))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parse rules from TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, LoginError> {
        let rules: PageRules = toml::from_str(text)
            .map_err(|e| LoginError::Config(format!("page rules {origin}: {}", e.message())))?;
        if rules.version != PAGE_RULES_VERSION {
            return Err(LoginError::Config(format!(
                "page rules {origin}: version {} is not the one this release reads ({PAGE_RULES_VERSION}); \
                 start again from the built-in rules (`ibkr_gateway::login::DEFAULT_PAGE_RULES`)",
                rules.version
            )));
        }
        for (name, value) in rules.selectors() {
            if value.trim().is_empty() {
                return Err(LoginError::Config(format!(
                    "page rules {origin}: {name} is empty"
                )));
            }
        }
        if !rules.login_path.starts_with('/') {
            return Err(LoginError::Config(format!(
                "page rules {origin}: login_path must start with '/'"
            )));
        }
        Ok(rules)
    }

    /// Every selector with its name, for validation and for the page script.
    pub(crate) fn selectors(&self) -> [(&'static str, &str); 10] {
        [
            ("form.username", &self.form.username),
            ("form.password", &self.form.password),
            ("form.submit", &self.form.submit),
            ("form.paper_toggle", &self.form.paper_toggle),
            ("form.paper_toggle_click", &self.form.paper_toggle_click),
            ("two_factor.container", &self.two_factor.container),
            ("two_factor.code_input", &self.two_factor.code_input),
            ("two_factor.push_notice", &self.two_factor.push_notice),
            ("outcome.error", &self.outcome.error),
            ("outcome.promo_skip", &self.outcome.promo_skip),
        ]
    }
}
