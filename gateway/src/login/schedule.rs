//! [`Schedule`]: IBKR's nightly reset and maintenance, when a logout is expected.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The region whose midnight ends the session: IBKR resets sessions "at midnight for New
/// York, U.S.; Zug, Switzerland; or Hong Kong time depending on your nearest connection",
/// and `/iserver` is briefly down at about 01:00 local time there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    /// New York (America/New_York): the Americas.
    #[default]
    NewYork,
    /// Zug (Europe/Zurich): Europe.
    Zug,
    /// Hong Kong (Asia/Hong_Kong): Asia-Pacific.
    HongKong,
}

impl Region {
    /// The region's time zone.
    pub fn tz(self) -> Tz {
        match self {
            Region::NewYork => chrono_tz::America::New_York,
            Region::Zug => chrono_tz::Europe::Zurich,
            Region::HongKong => chrono_tz::Asia::Hong_Kong,
        }
    }
}

impl std::str::FromStr for Region {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace(['_', ' '], "-").as_str() {
            "new-york" | "newyork" | "ny" | "us" | "america" | "americas" => Ok(Region::NewYork),
            "zug" | "eu" | "europe" | "ch" => Ok(Region::Zug),
            "hong-kong" | "hongkong" | "hk" | "asia" => Ok(Region::HongKong),
            other => Err(format!(
                "unknown region {other:?}: use new-york, zug or hong-kong"
            )),
        }
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Region::NewYork => "new-york",
            Region::Zug => "zug",
            Region::HongKong => "hong-kong",
        })
    }
}

/// A span of time when IBKR ends or cannot open sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends: the first moment a login is worth trying again.
    pub end: DateTime<Utc>,
}

/// When logouts are expected, and when to log in again after one.
///
/// The rule: in the region's time zone (with its daylight saving), the nightly window runs
/// from 23:55 to 01:30 local time. It covers the midnight reset and the maintenance at
/// about 01:00, when `/iserver` is briefly down. A logout inside it is not a failure. The
/// next attempt is at the window's end plus a random jitter (up to 10 min by default), so
/// that many gateways do not all log in at the same second. IBKR's Saturday-evening
/// maintenance has no published hours and is not modelled: a failure then counts as any
/// other (the budget's backoff spaces attempts by minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The region whose midnight applies.
    pub region: Region,
    /// The window's start, local time, the evening before.
    pub window_start: NaiveTime,
    /// The window's end, local time.
    pub window_end: NaiveTime,
    /// The largest random delay added after the window.
    pub jitter: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Self::new(Region::default())
    }
}

impl Schedule {
    /// The default rule for `region`: 23:55 to 01:30 local, up to 10 min of jitter.
    pub fn new(region: Region) -> Self {
        Self {
            region,
            window_start: NaiveTime::from_hms_opt(23, 55, 0).expect("valid time"),
            window_end: NaiveTime::from_hms_opt(1, 30, 0).expect("valid time"),
            jitter: Duration::from_secs(10 * 60),
        }
    }

    /// The same rule with at most `jitter` after the window.
    pub fn with_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// The window `now` falls in, if any.
    pub fn window_at(&self, now: DateTime<Utc>) -> Option<Window> {
        let tz = self.region.tz();
        let local = now.with_timezone(&tz);
        // The window that ends on the local date of `now`, and the one that ends the next
        // day (it starts this evening).
        for end_date in [
            local.date_naive(),
            local.date_naive() + chrono::Days::new(1),
        ] {
            let end = resolve(&tz, end_date.and_time(self.window_end));
            let start_date = if self.window_start > self.window_end {
                end_date - chrono::Days::new(1)
            } else {
                end_date
            };
            let start = resolve(&tz, start_date.and_time(self.window_start));
            if let (Some(start), Some(end)) = (start, end)
                && start <= now
                && now < end
            {
                return Some(Window { start, end });
            }
        }
        None
    }

    /// Whether a logout at `now` is expected (inside the nightly window).
    pub fn expects_logout(&self, now: DateTime<Utc>) -> bool {
        self.window_at(now).is_some()
    }

    /// When a login may be tried after a logout at `now`: `now` outside the window, else
    /// the window's end plus a random jitter.
    pub fn next_login_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self.window_at(now) {
            Some(w) => w.end + chrono::Duration::from_std(self.random_jitter()).unwrap_or_default(),
            None => now,
        }
    }

    fn random_jitter(&self) -> Duration {
        use rand::{Rng as _, SeedableRng as _};
        let max = self.jitter.as_millis() as u64;
        if max == 0 {
            return Duration::ZERO;
        }
        // Spreading gateways apart needs no cryptographic randomness: the clock's
        // nanoseconds and the process id seed it.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default()
            ^ (u64::from(std::process::id()) << 32);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        Duration::from_millis(rng.random_range(0..=max))
    }
}

/// A local time as UTC; across a DST gap, the moment after it; across an overlap, the
/// earlier one.
fn resolve(tz: &Tz, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        chrono::LocalResult::None => tz
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc)),
    }
}
