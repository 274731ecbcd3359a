//! Finding Java: `JAVA_HOME`, then `PATH`; IBKR requires Java 8 update 192 or newer.

use std::path::{Path, PathBuf};

use crate::error::{GatewayError, Result};

/// A Java runtime the gateway can run on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Java {
    /// The `java` executable.
    pub path: PathBuf,
    /// Its version as it prints it (`17.0.15`, `1.8.0_392`).
    pub version: String,
}

/// The oldest Java IBKR supports: 8u192.
pub const MINIMUM: (u32, u32) = (8, 192);

const EXE: &str = if cfg!(windows) { "java.exe" } else { "java" };

/// Find `java` (`$JAVA_HOME/bin/java`, else the first on `PATH`) and check its version.
pub fn find() -> Result<Java> {
    let from_home = std::env::var_os("JAVA_HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join("bin").join(EXE));
    let path = match from_home {
        Some(p) if p.is_file() => p,
        Some(p) => {
            return Err(GatewayError::Java(format!(
                "JAVA_HOME points to {}, which has no bin/{EXE}; fix JAVA_HOME or unset it. {}",
                p.parent().and_then(Path::parent).unwrap_or(&p).display(),
                install_hint()
            )));
        }
        None => on_path().ok_or_else(|| {
            GatewayError::Java(format!(
                "no Java found (JAVA_HOME is not set and `{EXE}` is not on PATH); the gateway needs Java 8u192 or newer. {}",
                install_hint()
            ))
        })?,
    };
    check(&path)
}

/// Check the version of the `java` at `path`.
pub fn check(path: &Path) -> Result<Java> {
    let output = std::process::Command::new(path)
        .arg("-version")
        .output()
        .map_err(|e| {
            GatewayError::Java(format!(
                "{} -version failed: {e}. {}",
                path.display(),
                install_hint()
            ))
        })?;
    let text = String::from_utf8_lossy(&output.stderr).to_string()
        + &String::from_utf8_lossy(&output.stdout);
    let version = parse_version(&text).ok_or_else(|| {
        GatewayError::Java(format!(
            "{} -version printed no version I can read: {:?}",
            path.display(),
            text.lines().next().unwrap_or("")
        ))
    })?;
    if !new_enough(&version) {
        return Err(GatewayError::Java(format!(
            "{} is Java {version}; IBKR's gateway needs Java 8 update 192 or newer. {}",
            path.display(),
            install_hint()
        )));
    }
    Ok(Java {
        path: path.to_path_buf(),
        version,
    })
}

fn on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(EXE))
        .find(|p| p.is_file())
}

/// The quoted version of `java -version`'s first line: `openjdk version "17.0.15" 2025-04-15`.
pub fn parse_version(text: &str) -> Option<String> {
    let line = text.lines().find(|l| l.contains("version"))?;
    let start = line.find('"')? + 1;
    let end = start + line[start..].find('"')?;
    Some(line[start..end].to_string())
}

/// Whether a version string is 8u192 or newer (`1.8.0_192`, `11.0.24`, `17`, `25-ea`).
pub fn new_enough(version: &str) -> bool {
    let numbers: Vec<u32> = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match numbers.as_slice() {
        [1, 8, _, update, ..] => *update >= MINIMUM.1,
        [1, minor, ..] => *minor > 8,
        [major, ..] => *major > 8,
        [] => false,
    }
}

/// How to install a JRE on this OS.
pub fn install_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        "Install one: `brew install --cask temurin@17`, or from adoptium.net; then set JAVA_HOME or put java on PATH."
    } else if cfg!(windows) {
        "Install one: `winget install EclipseAdoptium.Temurin.17.JRE`, or from adoptium.net; then set JAVA_HOME."
    } else {
        "Install one: `sudo apt-get install openjdk-17-jre-headless` (Debian, Ubuntu), `sudo dnf install java-17-openjdk-headless` (Fedora), or from adoptium.net."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_and_judged_against_8u192() {
        assert_eq!(
            parse_version("openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime").as_deref(),
            Some("17.0.15")
        );
        assert_eq!(
            parse_version("java version \"1.8.0_191\"").as_deref(),
            Some("1.8.0_191")
        );
        assert!(!new_enough("1.8.0_191"));
        assert!(new_enough("1.8.0_192"));
        assert!(!new_enough("1.7.0_80"));
        assert!(new_enough("11.0.24"));
        assert!(new_enough("25-ea"));
        assert!(!new_enough("garbage"));
    }
}
