//! What every command shares: the connected [`Session`], [`connect`] and [`ready`], the
//! login options (`--oauth1`, `--oauth2`), and the helpers more than one command uses
//! (conids from the command line, `--answer` flags, durations, the Flex client).
//!
//! The bottom of the CLI's own modules: it imports only [`crate::args`],
//! [`crate::failure`], [`crate::print`] and [`crate::sim`], never a command module; the
//! command modules import it, and `dispatch` imports them.

use std::time::{Duration, SystemTime};

use ibkr_ext::oauth::{OAuth1Config, OAuth2Config};
use ibkr_ext::prelude::*;
use ibkr_ext::snapshot::Field;
use ibkr_ext::{AuthMode, IbkrBuilder};
use ibkr_flex::{FlexClient, FlexProgress, PollPolicy};

use crate::args::{Global, OutputFormat};
use crate::failure::{self, Failure};
use crate::sim::{self, Simulator};

/// A connected session: the client, and the simulator when one was started.
pub struct Session {
    pub ibkr: Ibkr,
    pub sim: Option<Simulator>,
    /// The output format (`Global::format`).
    pub format: OutputFormat,
}

impl Session {
    /// Whether this run prints JSON.
    pub fn json(&self) -> bool {
        self.format == OutputFormat::Json
    }
}

/// Connect as the global options say: to the embedded simulator when `use_sim` (or
/// `--sim-oauth`), else to `--gateway` with its certificate, account, local address and
/// login options.
pub async fn connect(global: &Global, use_sim: bool) -> Result<Session, Failure> {
    let (sim, sim_login) = if global.sim_oauth {
        let (gw, config) = sim::start_oauth().await?;
        (Some(gw), Some(config))
    } else if use_sim {
        (Some(sim::start().await?), None)
    } else {
        (None, None)
    };
    let mut builder = Ibkr::builder();
    if let Some(gw) = &sim {
        builder = builder.base_url(gw.base_url());
    } else if let Some(url) = &global.gateway {
        builder = builder.base_url(url);
    }
    if let Some(path) = &global.ca_cert {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("--ca-cert {}: {e}", path.display())))?;
        builder = builder.ca_cert(pem);
    }
    if let Some(a) = &global.account {
        builder = builder.account_id(a);
    }
    if let Some(ip) = global.local_address {
        builder = builder.local_address(ip);
    }
    if let Some(config) = sim_login {
        builder = builder.oauth1(config);
    } else if sim.is_none() {
        builder = login(builder, global)?;
    }
    let ibkr = builder.build()?;
    Ok(Session {
        ibkr,
        sim,
        format: global.format(),
    })
}

/// Open the brokerage session and settle the account: `--account`, else the gateway's
/// selected one.
pub async fn ready(s: &Session) -> Result<(Ibkr, String), Failure> {
    s.ibkr.ensure_brokerage_session().await?;
    if let Some(a) = s.ibkr.account_id() {
        return Ok((s.ibkr.clone(), a.to_string()));
    }
    let accounts = s.ibkr.api().get_accounts().await?;
    let account = accounts
        .selected_account
        .clone()
        .or_else(|| accounts.accounts.first().cloned())
        .ok_or_else(|| Failure::new(failure::GENERAL, "the gateway lists no brokerage account"))?;
    Ok((s.ibkr.with_account(&account), account))
}

/// Whether `url` is http:// to a loopback host, or https://.
fn check_scheme(url: &str) -> Result<(), Failure> {
    let parsed =
        url::Url::parse(url).map_err(|e| Failure::usage(format!("--gateway {url}: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(Failure::usage(format!(
                    "--gateway {url}: OAuth over plain http:// is allowed to loopback only (127.0.0.1, localhost); use https://"
                )))
            }
        }
        other => Err(Failure::usage(format!(
            "--gateway {url}: unsupported scheme {other}"
        ))),
    }
}

/// Add the OAuth login the flags ask for (none: the gateway's browser login).
fn login(mut builder: IbkrBuilder, global: &Global) -> Result<IbkrBuilder, Failure> {
    let (oauth1, oauth2) = (&global.oauth1, &global.oauth2);
    if oauth1.is_none() && oauth2.is_none() {
        return Ok(builder);
    }
    if let Some(url) = &global.gateway {
        check_scheme(url)?;
    }
    if let Some(path) = oauth1 {
        builder = builder.oauth1(OAuth1Config::from_file(path)?);
    } else if let Some(path) = oauth2 {
        builder = builder.oauth2(OAuth2Config::from_file(path)?);
    }
    Ok(builder)
}

fn remaining(at: SystemTime) -> String {
    let left = at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
        .as_secs();
    format!("{}h{:02}m", left / 3600, (left % 3600) / 60)
}

/// The login's mode and token expiry, for `ibkr status` (text lines, or JSON fields).
pub fn auth_summary(ibkr: &Ibkr) -> (String, Option<u64>) {
    let mode = ibkr.auth_mode();
    let expiry = ibkr
        .token_expiry()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let text = match (mode, ibkr.token_expiry()) {
        (AuthMode::Gateway, _) => mode.to_string(),
        (_, Some(at)) => format!("{mode}, token expires in {}", remaining(at)),
        (_, None) => format!("{mode}, no token yet"),
    };
    (text, expiry)
}

/// Symbols and conids from the command line, in order.
pub(crate) async fn conids_of(
    ibkr: &Ibkr,
    items: &[String],
) -> Result<Vec<(String, Conid)>, Failure> {
    // StockQuery keys its symbol trimmed and upper-cased; look it up by the same key
    // (" aapl" once indexed the map by the raw text and panicked).
    let keys: Vec<String> = items.iter().map(|i| i.trim().to_uppercase()).collect();
    if let Some(blank) = items.iter().find(|i| i.trim().is_empty()) {
        return Err(Failure::usage(format!(
            "{blank:?} is neither a symbol nor a conid"
        )));
    }
    let queries: Vec<StockQuery> = keys
        .iter()
        .filter(|k| k.parse::<i64>().is_err())
        .map(|k| StockQuery::new(k.as_str()))
        .collect();
    let resolved = ibkr.resolve_conids(&queries).await?;
    keys.into_iter()
        .map(|k| match k.parse::<i64>() {
            Ok(n) => Ok((k, Conid(n))),
            Err(_) => match resolved.get(&k) {
                Some(c) => Ok((k, *c)),
                None => Err(Failure::new(
                    failure::GENERAL,
                    format!("{k}: not resolved to a conid"),
                )),
            },
        })
        .collect()
}

/// The snapshot fields `snapshot` and `watch` show when none are given.
pub const DEFAULT_SNAPSHOT_FIELDS: &[Field] = &[
    Field::LastPrice,
    Field::Bid,
    Field::Ask,
    Field::Volume,
    Field::ChangePercent,
];

/// `--field` flags (names like `LastPrice` or ids like `31`) as fields; none given, the
/// default ones.
pub fn snapshot_fields(fields: &[String]) -> Result<Vec<Field>, Failure> {
    if fields.is_empty() {
        return Ok(DEFAULT_SNAPSHOT_FIELDS.to_vec());
    }
    fields
        .iter()
        .map(|f| {
            Field::parse(f).ok_or_else(|| {
                Failure::usage(format!(
                    "unknown field {f:?}: use a name like LastPrice or an id like 31"
                ))
            })
        })
        .collect()
}

/// `--answer MSGID=yes|no` flags as the SDK's answer policy.
pub fn parse_answers(answers: &[String]) -> Result<AnswerPolicy, Failure> {
    let mut policy = AnswerPolicy::new();
    for a in answers {
        let (id, yes) = a.split_once('=').ok_or_else(|| {
            Failure::usage(format!("--answer {a:?}: write MSGID=yes or MSGID=no"))
        })?;
        let yes = match yes.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" => true,
            "no" | "n" | "false" => false,
            other => {
                return Err(Failure::usage(format!(
                    "--answer {a:?}: {other:?} is neither yes nor no"
                )));
            }
        };
        policy = policy.answer(id.trim(), yes);
    }
    Ok(policy)
}

/// IBKR's text (a question, a rejection) on one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Flex client, reporting its progress on stderr; `fast` polls at the simulator's pace.
pub fn flex_client(token: String, base: Option<&str>, fast: bool) -> Result<FlexClient, Failure> {
    let mut b = FlexClient::builder(token).on_progress(|p| match p {
        FlexProgress::Requesting { attempt } => {
            note!("flex: requesting the statement (attempt {attempt})")
        }
        FlexProgress::Waiting { delay, because } => match because {
            Some(code) => note!(
                "flex: IBKR says {code:?}; waiting {:.1} s",
                delay.as_secs_f64()
            ),
            None => note!(
                "flex: waiting {:.1} s for IBKR to generate it",
                delay.as_secs_f64()
            ),
        },
        FlexProgress::Polling { attempt } => {
            note!("flex: asking for the statement (poll {attempt})")
        }
        FlexProgress::Done { bytes } => note!("flex: received {bytes} bytes"),
        #[allow(unreachable_patterns)]
        other => note!("flex: {other:?}"),
    });
    if let Some(base) = base {
        b = b.base_url(base);
    }
    if fast {
        b = b.policy(PollPolicy {
            first_poll_delay: Duration::from_millis(300),
            poll_interval: Duration::from_millis(300),
            min_request_gap: Duration::from_millis(250),
            ..PollPolicy::default()
        });
    }
    Ok(b.build()?)
}

/// `30s`, `5m`, `2h`, `1h30m`, `500ms`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).map_err(|e| e.to_string());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("{text:?}: a unit is missing (s, m, h, ms)"))?;
        let (number, tail) = rest.split_at(digits);
        let n: f64 = number
            .parse()
            .map_err(|_| format!("{text:?}: not a duration like 30s, 5m or 1h"))?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let scale = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(format!("{text:?}: unknown unit {unit:?} (s, m, h, ms)")),
        };
        total += Duration::try_from_secs_f64(n * scale).map_err(|e| e.to_string())?;
        rest = next;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_for_loopback_only() {
        assert!(check_scheme("http://127.0.0.1:5000/v1/api").is_ok());
        assert!(check_scheme("http://localhost:5000/v1/api").is_ok());
        assert!(check_scheme("http://[::1]:5000/v1/api").is_ok());
        assert!(check_scheme("https://1.api.ibkr.com/v1/api").is_ok());
        assert!(check_scheme("http://api.ibkr.com/v1/api").is_err());
        assert!(check_scheme("http://10.0.0.5/v1/api").is_err());
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("m").is_err());
    }
}
