//! The anonymiser: personal data out of recorded answers, deterministically for a seed.
//!
//! All answers of a run are anonymised together (one [`Anonymiser`]), so a value gets the same
//! placeholder in every file, and the same seed over the same answers gives the same bytes.
//! The rules, in the order they apply to each value:
//!
//! 1. **Account ids** (`U`, `DU`, `F`, `DF`, `I`, `DI` followed by 5 to 9 digits), anywhere:
//!    as a value, inside text, as an object key. Each becomes the same class followed by as
//!    many seeded random digits (`DU1234567` → `DU4830021`), the same one every time it appears.
//! 2. **Personal fields**, chosen by key (case and `_`/`-` ignored): names (`firstName`,
//!    `lastName`, `accountTitle`, `accountAlias`, `displayName`, `entityName`, `userName`,
//!    `CREDENTIAL`, `signatures`, ...), addresses (`street*`, `address*`, `city`, `postalCode`,
//!    `zip`, ...; every text under an address object), phone numbers, dates of birth, tax ids,
//!    user ids, hardware info (`hardware_info`, `MAC`, `deviceName`, ...), session ids, tokens
//!    and cookies. Every text or number under such a key becomes a placeholder of the same JSON
//!    type (`Person 1`, `1 Example Street`, `+1 555 0100`, `user1`, a seeded hex string of the
//!    same length for a session id or token, ...).
//! 3. **Personal patterns**, anywhere in text: e-mail addresses (`person1@example.com`),
//!    IPv4 addresses (`192.0.2.n`, the documentation range), MAC addresses
//!    (`00:00:5e:00:53:nn`).
//! 4. A text replaced by rule 2 is also replaced wherever else it appears whole (a name kept
//!    under `accountTitle` and repeated under `desc`).
//! 5. **Amounts**: every JSON number is multiplied by one factor per run (seeded, between 0.5
//!    and 2), keeping its sign, its decimal places and its JSON type (an integer stays an
//!    integer; a non-zero amount never becomes zero), unless its key names an identifier, a
//!    time, a count or a code (`conid`, `*Id`, `*time*`, `*date*`, `*count*`, `page*`,
//!    `*code`, `strike`, ...). Text that is a plain
//!    decimal number under a money key (`amount`, `value`, `balance`, `cash`, `pnl`,
//!    `equity`, `margin`, `funds`, `nlv`, `mv`, `cost`, `position`, ...) is scaled the same
//!    way and stays text, and so is an amount with a currency anywhere (`1,000,117 USD`,
//!    separators kept). Integers of ten digits and more read as epoch seconds or
//!    milliseconds and are left alone. `--keep-amounts` turns this rule off.
//! 6. **Flags**: a text that matches no rule but looks personal (two to four capitalised
//!    words like a person's name, a street address, a phone number, a long token-like string)
//!    is kept and flagged: REVIEW.md lists it for the human who shares the files.
//!
//! Every replacement and flag is reported per file ([`Change`]), with its JSON path.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use regex::Regex;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde_json::{Map, Number, Value};

/// What a replacement or flag was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Account,
    Name,
    Address,
    Email,
    Phone,
    BirthDate,
    TaxId,
    UserId,
    Ip,
    Mac,
    Hardware,
    Session,
    /// A text that looks personal but matched no rule: kept, for a human to judge.
    Flag,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Account => "account id",
            Kind::Name => "name",
            Kind::Address => "address",
            Kind::Email => "e-mail",
            Kind::Phone => "phone number",
            Kind::BirthDate => "date of birth",
            Kind::TaxId => "tax id",
            Kind::UserId => "user id",
            Kind::Ip => "IP address",
            Kind::Mac => "MAC address",
            Kind::Hardware => "hardware info",
            Kind::Session => "session id, token or cookie",
            Kind::Flag => "looks personal: review",
        }
    }
}

/// One replacement (or flag) in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Where, as a JSONPath (`$.accounts[0]`, `$.acctProps.<key>` for an object key).
    pub path: String,
    pub kind: Kind,
    /// The value as recorded (REVIEW.md shows it: that file is not to be shared).
    pub original: String,
    /// What the fixture carries instead (the original, for a flag).
    pub replacement: String,
}

/// The anonymiser of one run.
pub struct Anonymiser {
    rng: ChaCha8Rng,
    /// The amount factor; `None` with `--keep-amounts`.
    factor: Option<Decimal>,
    /// (kind, original) → placeholder, so a value reads the same everywhere.
    seen: BTreeMap<(Kind, String), String>,
    counters: BTreeMap<Kind, usize>,
}

static ACCOUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(DU|DF|DI|U|F|I)(\d{5,9})\b").expect("a valid regex"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("a valid regex")
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b")
        .expect("a valid regex")
});
static MAC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b").expect("a valid regex")
});
static MONEY_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(-?\d[\d,]*(?:\.\d+)?)( [A-Z]{3})?$").expect("a valid regex"));
static PERSON_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Z][a-z]+(\s+[A-Z]\.?)?(\s+[A-Z][a-z]+){1,3}$").expect("a valid regex")
});
static STREET_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b\d{1,5}\s+\w+(\s+\w+)*\s+(st|street|ave|avenue|rd|road|blvd|lane|ln|drive|dr|way|strasse|straße)\b")
        .expect("a valid regex")
});
static PHONE_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]?\d{3,4}$")
        .expect("a valid regex")
});
static TOKEN_LIKE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9+/=_-]{24,}$").expect("a valid regex"));

/// The key, lower case, without `_` and `-`.
fn norm(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The personal kind a key names, if any (rule 2).
fn personal_key(key: &str) -> Option<Kind> {
    let k = norm(key);
    let k = k.as_str();
    Some(match k {
        "firstname" | "lastname" | "middlename" | "fullname" | "givenname" | "familyname"
        | "entityname" | "accounttitle" | "accountalias" | "displayname" | "username"
        | "paperusername" | "credential" | "ownername" | "owner" | "signatures" | "signature"
        | "salutation" | "maidenname" | "nickname" | "legalname" | "preferredname" => Kind::Name,
        "street" | "street1" | "street2" | "street3" | "address" | "address1" | "address2"
        | "addressline" | "addressline1" | "addressline2" | "residentialaddress"
        | "mailingaddress" | "city" | "postalcode" | "zip" | "zipcode" | "postcode" => {
            Kind::Address
        }
        "phone" | "phonenumber" | "mobile" | "mobilephone" | "telephone" | "fax" | "cell" => {
            Kind::Phone
        }
        "dateofbirth" | "dob" | "birthdate" | "birthday" => Kind::BirthDate,
        "taxid"
        | "tin"
        | "ssn"
        | "taxpayerid"
        | "nationalid"
        | "passport"
        | "passportnumber"
        | "identificationnumber" => Kind::TaxId,
        "userid" | "user" | "uid" => Kind::UserId,
        "hardwareinfo" | "mac" | "macaddress" | "machineid" | "deviceid" | "devicename"
        | "hostname" => Kind::Hardware,
        "session" | "sessionid" | "token" | "accesstoken" | "refreshtoken" | "idtoken"
        | "cookie" | "cookies" | "oauthtoken" | "oauthtokensecret" | "livesessiontoken"
        | "sessiontoken" | "secret" | "ssotoken" | "bearertoken" | "authorization" => Kind::Session,
        "ip" | "ipaddress" | "clientip" => Kind::Ip,
        "email" | "emailaddress" | "mail" => Kind::Email,
        _ => return None,
    })
}

/// Whether a number under `key` is not an amount (rule 5).
fn not_an_amount(key: &str) -> bool {
    let k = norm(key);
    k == "id"
        || k.ends_with("id")
        || k.ends_with("ids")
        || k.starts_with("conid")
        || k.starts_with("page")
        || [
            "time",
            "date",
            "timestamp",
            "count",
            "num",
            "size",
            "index",
            "version",
            "code",
            "type",
            "status",
            "digits",
            "decimal",
            "precision",
            "increment",
            "multiplier",
            "strike",
            "expiry",
            "period",
            "limit",
            "max",
            "min",
            "days",
            "seq",
            "step",
            "interval",
            "rank",
        ]
        .iter()
        .any(|w| k.contains(w))
        || ["ts", "t", "day", "month", "year"].contains(&k.as_str())
}

/// Whether a text under `key` is a money figure when it reads as a number (rule 5).
fn money_key(key: &str) -> bool {
    let k = norm(key);
    [
        "amount",
        "value",
        "balance",
        "cash",
        "pnl",
        "equity",
        "margin",
        "funds",
        "nlv",
        "mv",
        "cost",
        "position",
        "liquid",
        "commission",
        "fee",
        "realized",
        "qty",
        "quantity",
        "mktval",
    ]
    .iter()
    .any(|w| k.contains(w))
}

impl Anonymiser {
    /// An anonymiser for one run; `keep_amounts` turns rule 5 off.
    pub fn new(seed: u64, keep_amounts: bool) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // 0.50 .. 1.99, two decimal places: visibly not 1.
        let hundredths = loop {
            let h: i64 = rng.random_range(50..200);
            if h != 100 {
                break h;
            }
        };
        Anonymiser {
            rng,
            factor: (!keep_amounts).then(|| Decimal::new(hundredths, 2)),
            seen: BTreeMap::new(),
            counters: BTreeMap::new(),
        }
    }

    /// The amount factor of this run (`None` with `--keep-amounts`).
    pub fn factor(&self) -> Option<Decimal> {
        self.factor
    }

    /// Anonymise every answer (in order); returns each with its changes.
    pub fn run(&mut self, answers: Vec<Value>) -> Vec<(Value, Vec<Change>)> {
        let mut out = Vec::new();
        for v in answers {
            let mut changes = Vec::new();
            let v = self.value(v, "$", None, false, &mut changes);
            out.push((v, changes));
        }
        // Rule 4: texts replaced by key, wherever else they appear whole.
        let by_key: Vec<(String, String, Kind)> = self
            .seen
            .iter()
            .filter(|((k, o), _)| !matches!(k, Kind::Account | Kind::Flag) && o.len() >= 3)
            .map(|((k, o), r)| (o.clone(), r.clone(), *k))
            .collect();
        for (v, changes) in &mut out {
            repeat(v, "$", &by_key, changes);
            changes.retain(|c| {
                // A flag on a text that rule 4 replaced is no longer a flag.
                c.kind != Kind::Flag || !by_key.iter().any(|(o, _, _)| *o == c.original)
            });
        }
        out
    }

    fn next(&mut self, kind: Kind) -> usize {
        let n = self.counters.entry(kind).or_default();
        *n += 1;
        *n
    }

    /// The placeholder of `original` as `kind`, the same every time.
    fn placeholder(&mut self, kind: Kind, original: &str) -> String {
        if let Some(p) = self.seen.get(&(kind, original.to_string())) {
            return p.clone();
        }
        let p = match kind {
            Kind::Account => {
                let split = original
                    .find(|c: char| c.is_ascii_digit())
                    .unwrap_or(original.len());
                let (class, digits) = original.split_at(split);
                let mut fresh: String = (0..digits.len())
                    .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
                    .collect();
                if fresh == digits {
                    fresh = digits.chars().rev().collect();
                }
                format!("{class}{fresh}")
            }
            Kind::Session => {
                let hex = b"0123456789abcdef";
                (0..original.len().max(8))
                    .map(|_| char::from(hex[self.rng.random_range(0..16usize)]))
                    .collect()
            }
            Kind::Flag => original.to_string(),
            _ => {
                let n = self.next(kind);
                match kind {
                    Kind::Name => format!("Person {n}"),
                    Kind::Address => format!("{n} Example Street"),
                    Kind::Email => format!("person{n}@example.com"),
                    Kind::Phone => format!("+1 555 01{n:02}"),
                    Kind::BirthDate => "1970-01-01".to_string(),
                    Kind::TaxId => format!("000-00-{n:04}"),
                    Kind::UserId => format!("user{n}"),
                    Kind::Ip => format!("192.0.2.{}", n % 254 + 1),
                    Kind::Mac => format!("00:00:5e:00:53:{:02x}", n % 256),
                    Kind::Hardware => format!("hardware-{n}"),
                    _ => unreachable!("handled above"),
                }
            }
        };
        self.seen.insert((kind, original.to_string()), p.clone());
        p
    }

    fn note(
        &mut self,
        changes: &mut Vec<Change>,
        path: &str,
        kind: Kind,
        original: &str,
    ) -> String {
        let replacement = self.placeholder(kind, original);
        changes.push(Change {
            path: path.to_string(),
            kind,
            original: original.to_string(),
            replacement: replacement.clone(),
        });
        replacement
    }

    /// One value at `path`, under `key`; `personal` is the kind of an enclosing personal key.
    fn value(
        &mut self,
        v: Value,
        path: &str,
        key: Option<&str>,
        in_address: bool,
        changes: &mut Vec<Change>,
    ) -> Value {
        let by_key = key
            .and_then(personal_key)
            .or(in_address.then_some(Kind::Address));
        match v {
            Value::Object(m) => {
                let address = in_address || by_key == Some(Kind::Address);
                let mut out = Map::new();
                for (k, v) in m {
                    let new_key = self.text_patterns(&k, &format!("{path}.<key>"), changes);
                    let child = format!("{path}.{new_key}");
                    let v = self.value(v, &child, Some(&k), address, changes);
                    out.insert(new_key, v);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| self.value(v, &format!("{path}[{i}]"), key, in_address, changes))
                    .collect(),
            ),
            Value::String(s) => {
                if let Some(kind) = by_key
                    && !s.is_empty()
                {
                    return Value::String(self.note(changes, path, kind, &s));
                }
                let replaced = self.text_patterns(&s, path, changes);
                if replaced != s {
                    return Value::String(replaced);
                }
                let with_currency = s.trim().ends_with(|c: char| c.is_ascii_uppercase());
                if let Some(scaled) = key
                    .filter(|k| with_currency || money_key(k))
                    .and_then(|_| self.scale_text(&s))
                {
                    return Value::String(scaled);
                }
                if looks_personal(&s) {
                    self.note(changes, path, Kind::Flag, &s);
                }
                Value::String(s)
            }
            Value::Number(n) => {
                if let Some(kind) = by_key {
                    let text = n.to_string();
                    let p = self.note(changes, path, kind, &text);
                    // Keep the type: a number stays a number (its digits, seeded).
                    return match kind {
                        Kind::UserId | Kind::TaxId | Kind::Phone | Kind::Session => {
                            digits_like(&text, &p)
                        }
                        _ => Value::String(p),
                    };
                }
                match key {
                    Some(k) if not_an_amount(k) => Value::Number(n),
                    _ => self.scale_number(n),
                }
            }
            other => other,
        }
    }

    /// Rules 1 and 3 inside a text.
    fn text_patterns(&mut self, s: &str, path: &str, changes: &mut Vec<Change>) -> String {
        let mut out = s.to_string();
        for (re, kind) in [
            (&*EMAIL, Kind::Email),
            (&*MAC, Kind::Mac),
            (&*IPV4, Kind::Ip),
            (&*ACCOUNT, Kind::Account),
        ] {
            let found: Vec<String> = re.find_iter(&out).map(|m| m.as_str().to_string()).collect();
            for original in found {
                let p = self.note(changes, path, kind, &original);
                out = out.replace(&original, &p);
            }
        }
        out
    }

    fn scale(&self, d: Decimal) -> Option<Decimal> {
        let factor = self.factor?;
        let scale = d.scale();
        let mut r = (d * factor).round_dp(scale);
        if r.is_zero() && !d.is_zero() {
            r = Decimal::new(1, scale);
            r.set_sign_negative(d.is_sign_negative());
        }
        r.rescale(scale);
        Some(r)
    }

    fn scale_number(&self, n: Number) -> Value {
        if self.factor.is_none() {
            return Value::Number(n);
        }
        if let Some(i) = n.as_i64() {
            // Epoch seconds and milliseconds (ten digits and more) are not amounts.
            if i.unsigned_abs() >= 1_000_000_000 {
                return Value::Number(n);
            }
            return self
                .scale(Decimal::from(i))
                .and_then(|d| d.to_i64())
                .map(|i| Value::Number(i.into()))
                .unwrap_or(Value::Number(n));
        }
        if n.as_u64().is_some() {
            return Value::Number(n);
        }
        let text = n.to_string();
        let d = Decimal::from_str_exact(&text)
            .ok()
            .or_else(|| Decimal::from_scientific(&text).ok())
            .or_else(|| n.as_f64().and_then(Decimal::from_f64));
        d.and_then(|d| self.scale(d))
            .and_then(|d| d.to_f64())
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Number(n))
    }

    /// A plain decimal (`250.10`), or an amount with thousands separators and a currency
    /// (`1,000,117 USD`), scaled in the same format.
    fn scale_text(&self, s: &str) -> Option<String> {
        let caps = MONEY_TEXT.captures(s.trim())?;
        let number = caps.get(1)?.as_str();
        let grouped = number.contains(',');
        let d = Decimal::from_str_exact(&number.replace(',', "")).ok()?;
        let scaled = self.scale(d)?.to_string();
        let scaled = if grouped { group(&scaled) } else { scaled };
        Some(format!(
            "{scaled}{}",
            caps.get(2).map_or("", |m| m.as_str())
        ))
    }
}

/// `1234567.5` → `1,234,567.5`.
fn group(plain: &str) -> String {
    let (sign, rest) = plain.strip_prefix('-').map_or(("", plain), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// A number placeholder with the digits of `placeholder` (or 1s), as long as the original.
fn digits_like(original: &str, placeholder: &str) -> Value {
    let digits: String = placeholder
        .chars()
        .filter(char::is_ascii_digit)
        .chain(std::iter::repeat('1'))
        .take(original.trim_start_matches('-').len().clamp(1, 18))
        .collect();
    let digits = digits.trim_start_matches('0');
    Value::Number(digits.parse::<u64>().unwrap_or(1).into())
}

/// Rule 6: a text that looks like a person's name, a street address, a phone number or a
/// token.
fn looks_personal(s: &str) -> bool {
    const NOT_PEOPLE: &[&str] = &[
        "Inc", "Corp", "Ltd", "Fund", "Etf", "Trust", "Group", "Holdings", "Co", "Plc", "Index",
        "Sector", "Market", "Markets", "Bank", "Exchange", "Stock", "Stocks", "Options", "Futures",
        "Bonds", "Account", "Accounts", "Order", "Orders",
    ];
    let s = s.trim();
    (PERSON_LIKE.is_match(s) && !s.split_whitespace().any(|w| NOT_PEOPLE.contains(&w)))
        || STREET_LIKE.is_match(s)
        || PHONE_LIKE.is_match(s)
        || (TOKEN_LIKE.is_match(s)
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars().any(|c| c.is_ascii_alphabetic())
            && !s.contains('_'))
}

/// Rule 4 over an anonymised value.
fn repeat(v: &mut Value, path: &str, by_key: &[(String, String, Kind)], changes: &mut Vec<Change>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                repeat(child, &format!("{path}.{k}"), by_key, changes);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                repeat(child, &format!("{path}[{i}]"), by_key, changes);
            }
        }
        Value::String(s) => {
            for (original, replacement, kind) in by_key {
                if s.contains(original.as_str()) {
                    *s = s.replace(original.as_str(), replacement);
                    changes.push(Change {
                        path: path.to_string(),
                        kind: *kind,
                        original: original.clone(),
                        replacement: replacement.clone(),
                    });
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(v: Value, seed: u64, keep: bool) -> (Value, Vec<Change>) {
        Anonymiser::new(seed, keep)
            .run(vec![v])
            .pop()
            .expect("one answer in, one out")
    }

    #[test]
    fn account_ids_keep_their_class_and_length_everywhere_they_appear() {
        let (v, changes) = one(
            json!({"accounts": ["DU1234567", "U7654321"], "acctProps": {"DU1234567": {"x": true}},
                   "desc": "DU1234567 - paper"}),
            7,
            true,
        );
        let paper = v["accounts"][0].as_str().unwrap().to_string();
        let live = v["accounts"][1].as_str().unwrap();
        assert!(paper.starts_with("DU") && paper.len() == 9 && paper != "DU1234567");
        assert!(live.starts_with('U') && live.len() == 8 && live != "U7654321");
        assert!(
            v["acctProps"].get(&paper).is_some(),
            "the key is the same placeholder"
        );
        assert_eq!(v["desc"], json!(format!("{paper} - paper")));
        assert!(!v.to_string().contains("1234567"));
        assert!(changes.iter().all(|c| c.kind == Kind::Account));
    }

    #[test]
    fn amounts_keep_sign_scale_and_type_and_ids_and_times_are_left_alone() {
        let (v, _) = one(
            json!({"cash": -1234.56, "qty": 100, "conid": 265598, "orderId": 12,
                   "lastExecutionTime_r": 1700000000000i64, "amount": "250.10", "zero": 0,
                   "stock": "1,024,601 USD", "opening": 1733500000}),
            3,
            false,
        );
        let cash = v["cash"].as_f64().unwrap();
        assert!(cash < 0.0 && cash != -1234.56);
        assert_eq!(format!("{cash}").split('.').nth(1).map(str::len), Some(2));
        assert!(v["qty"].is_i64() && v["qty"] != json!(100));
        assert_eq!(v["conid"], json!(265598));
        assert_eq!(v["orderId"], json!(12));
        assert_eq!(v["lastExecutionTime_r"], json!(1700000000000i64));
        let amount = v["amount"].as_str().unwrap();
        assert!(amount != "250.10" && amount.split('.').nth(1).map(str::len) == Some(2));
        assert_eq!(v["zero"], json!(0));
        let stock = v["stock"].as_str().unwrap();
        assert!(stock.ends_with(" USD") && stock.contains(',') && stock != "1,024,601 USD");
        assert_eq!(v["opening"], json!(1733500000));
        let (kept, _) = one(json!({"cash": -1234.56}), 3, true);
        assert_eq!(kept["cash"], json!(-1234.56));
    }

    #[test]
    fn free_text_that_looks_like_a_name_is_flagged_not_passed_silently() {
        let (v, changes) = one(
            json!({"note": "Maria Example", "company": "APPLE INC"}),
            1,
            true,
        );
        assert_eq!(v["note"], json!("Maria Example"), "a flag keeps the text");
        assert_eq!(
            changes
                .iter()
                .map(|c| (c.path.as_str(), c.kind))
                .collect::<Vec<_>>(),
            [("$.note", Kind::Flag)]
        );
    }
}
