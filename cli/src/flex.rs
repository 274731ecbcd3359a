//! `ibkr flex fetch` and `ibkr flex parse`: Flex statements from IBKR (or the simulator) and
//! from files.

use ibkr_flex::{FlexRequest, GenericReport};

use crate::args::{FileFormat, Global};
use crate::context::flex_client;
use crate::failure::Failure;
use crate::output;
use crate::sim::{self, SIM_FLEX_TOKEN};

/// `ibkr flex parse`.
pub fn parse(
    file: &std::path::Path,
    section: Option<&str>,
    format: FileFormat,
) -> Result<(), Failure> {
    let input = std::fs::File::open(file)
        .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let report = GenericReport::from_reader(std::io::BufReader::new(input))?;
    output::flex(&report, section, format)
}

/// `ibkr flex fetch`: the token from `IBKR_FLEX_TOKEN` (the simulator's with `--sim`).
pub async fn fetch(
    g: &Global,
    query: &str,
    out: Option<&std::path::Path>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(), Failure> {
    let sim = if g.sim {
        Some(sim::start().await?)
    } else {
        None
    };
    let token = match &sim {
        Some(_) => SIM_FLEX_TOKEN.to_string(),
        None => std::env::var("IBKR_FLEX_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| Failure::usage("set IBKR_FLEX_TOKEN to your Flex Web Service token (it is never taken from a flag)"))?,
    };
    let client = flex_client(
        token,
        sim.as_ref().map(|s| s.flex_base_url()),
        sim.is_some(),
    )?;
    let mut request = FlexRequest::new(query);
    if let (Some(f), Some(t)) = (from, to) {
        let day = |s: &str| {
            chrono::NaiveDate::parse_from_str(s, "%Y%m%d")
                .map_err(|_| Failure::usage(format!("{s:?} is not a yyyymmdd date")))
        };
        request = request.period(day(f)?, day(t)?);
    } else if from.is_some() || to.is_some() {
        return Err(Failure::usage("--from and --to go together"));
    }
    let download = client.fetch(request).await?;
    match out {
        Some(path) => {
            std::fs::write(path, download.bytes())?;
            note!(
                "flex: wrote {} ({} bytes)",
                path.display(),
                download.bytes().len()
            );
        }
        None => {
            crate::print::bytes(download.bytes())?;
        }
    }
    Ok(())
}
