//! Installing IBKR's gateway: from IBKR's download URL, a zip or an unpacked folder, into a
//! folder of the user's, checked before it replaces anything.
//!
//! An install is IBKR's zip, unpacked as it is: `dist/<the gateway jar>`,
//! `build/lib/runtime/*.jar`, and `root/` (`conf.yaml`, `vertx.jks`, `logback.xml`).
//! It is unpacked into a temporary folder beside the target and moved into place only once
//! its layout checks out, so a failed download or a wrong zip never leaves half an install.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{GatewayError, Result, io};

/// IBKR's documented download of the current ("Standard") gateway.
pub const DOWNLOAD_URL: &str =
    "https://download2.interactivebrokers.com/portal/clientportal.gw.zip";

/// The gateway's jar, under `dist/`.
pub const GATEWAY_JAR: &str = "ibgroup.web.core.iblink.router.clientportal.gw.jar";

/// What a run leaves in a gateway folder, never copied or zipped: our state (`ibkr/`) and
/// the gateway's own `logs/` and `.vertx/`.
const RUN_TIME_LITTER: [&str; 3] = ["ibkr", "logs", ".vertx"];

/// The JVM's main class.
pub const MAIN_CLASS: &str = "ibgroup.web.core.clientportal.gw.GatewayStart";

/// Where an install comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A download (`https://...`).
    Url(String),
    /// A zip on disk.
    Zip(PathBuf),
    /// An unpacked gateway folder (copied).
    Dir(PathBuf),
}

impl Source {
    /// Read `--from`: a URL, a folder or a zip.
    pub fn parse(text: &str) -> Source {
        if text.starts_with("https://") || text.starts_with("http://") {
            Source::Url(text.to_string())
        } else if Path::new(text).is_dir() {
            Source::Dir(PathBuf::from(text))
        } else {
            Source::Zip(PathBuf::from(text))
        }
    }
}

impl Default for Source {
    fn default() -> Self {
        Source::Url(DOWNLOAD_URL.to_string())
    }
}

/// Which build of the gateway an install is, from its jar's manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BuildInfo {
    /// `Implementation-Version` (`ibgroup.web.core.iblink.router.clientportal.gw-20230424154245`).
    pub version: Option<String>,
    /// `When-Built` (`2023-04-24T15:42:44-0400`).
    pub built: Option<String>,
    /// `Git-Commit`, shortened (`a27ed42`).
    pub commit: Option<String>,
    /// `required.java.version`, when the jar states it.
    pub java: Option<String>,
}

impl std::fmt::Display for BuildInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let version = self.version.as_deref().unwrap_or("unknown version");
        write!(f, "{version}")?;
        if let Some(b) = &self.built {
            write!(f, ", built {b}")?;
        }
        if let Some(c) = &self.commit {
            write!(f, ", commit {c}")?;
        }
        Ok(())
    }
}

/// A gateway folder whose layout checks out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installation {
    dir: PathBuf,
}

impl Installation {
    /// Open an install, checking its layout.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Installation> {
        let dir = dir.into();
        if let Some(missing) = missing_piece(&dir) {
            return Err(GatewayError::NotInstalled { dir, missing });
        }
        Ok(Installation { dir })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The gateway's jar.
    pub fn jar(&self) -> PathBuf {
        self.dir.join("dist").join(GATEWAY_JAR)
    }

    /// Which build this is, from the jar's manifest.
    pub fn build_info(&self) -> Result<BuildInfo> {
        let path = self.jar();
        let file = std::fs::File::open(&path).map_err(io(&path))?;
        let bad = |reason: String| GatewayError::BadArchive {
            source_name: path.display().to_string(),
            reason,
        };
        let mut jar = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
        let mut manifest = String::new();
        jar.by_name("META-INF/MANIFEST.MF")
            .map_err(|e| bad(format!("no manifest: {e}")))?
            .take(64 * 1024)
            .read_to_string(&mut manifest)
            .map_err(|e| bad(format!("manifest: {e}")))?;
        let mut info = parse_manifest(&manifest);
        if let Ok(mut props) = jar.by_name("ibgroup/web/core/clientportal/gw/build.properties") {
            let mut text = String::new();
            let _ = (&mut props).take(64 * 1024).read_to_string(&mut text);
            info.java = text
                .lines()
                .find_map(|l| l.strip_prefix("required.java.version="))
                .map(|v| v.trim().to_string());
        }
        Ok(info)
    }
}

/// The first piece of IBKR's layout missing from `dir`.
fn missing_piece(dir: &Path) -> Option<String> {
    let jar = Path::new("dist").join(GATEWAY_JAR);
    let runtime = Path::new("build").join("lib").join("runtime");
    let root = Path::new("root");
    if !dir.join(&jar).is_file() {
        return Some(jar.display().to_string());
    }
    let has_jars = std::fs::read_dir(dir.join(&runtime))
        .ok()
        .is_some_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "jar"))
        });
    if !has_jars {
        return Some(format!("{}/*.jar", runtime.display()));
    }
    for file in ["conf.yaml", "vertx.jks", "logback.xml"] {
        if !dir.join(root).join(file).is_file() {
            return Some(root.join(file).display().to_string());
        }
    }
    None
}

/// Read a jar manifest's main section (continuation lines start with a space).
fn parse_manifest(text: &str) -> BuildInfo {
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(more) = line.strip_prefix(' ') {
            if let Some((_, v)) = entries.last_mut() {
                v.push_str(more);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            entries.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    BuildInfo {
        version: get("Implementation-Version"),
        built: get("When-Built"),
        commit: get("Git-Commit").map(|c| c.chars().take(7).collect()),
        java: None,
    }
}

/// What [`install`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Installed {
    /// A new install.
    New(Installation),
    /// The folder already held a gateway; nothing was changed (use `force` to replace it).
    Existing(Installation),
    /// The old install was replaced.
    Replaced(Installation),
}

impl Installed {
    /// The install, whichever way.
    pub fn installation(&self) -> &Installation {
        match self {
            Installed::New(i) | Installed::Existing(i) | Installed::Replaced(i) => i,
        }
    }
}

/// Progress of a download: bytes so far and the total when known.
pub type Progress<'a> = &'a (dyn Fn(u64, Option<u64>) + Send + Sync);

/// Install the gateway from `source` into `dir`. A folder that already holds a gateway is
/// left alone unless `force`.
pub async fn install(
    source: &Source,
    dir: &Path,
    force: bool,
    progress: Progress<'_>,
) -> Result<Installed> {
    let existing = Installation::open(dir).ok();
    if let (Some(existing), false) = (&existing, force) {
        return Ok(Installed::Existing(existing.clone()));
    }
    if existing.is_none() && dir.exists() && !is_empty_dir(dir) {
        return Err(GatewayError::BadConf {
            file: dir.to_path_buf(),
            reason: "the folder exists, is not empty and holds no gateway; choose another --dir"
                .into(),
        });
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let staging = tempfile_dir(parent)?;
    let unpacked = stage(source, staging.path(), progress).await?;
    let staged = Installation::open(&unpacked).map_err(|e| GatewayError::BadArchive {
        source_name: source_name(source),
        reason: e.to_string(),
    })?;
    if existing.is_some() {
        // Keep our own state (pid file, login budget) across a reinstall.
        let ours = crate::paths::state_dir(dir);
        if ours.is_dir() {
            std::fs::rename(&ours, crate::paths::state_dir(staged.dir())).map_err(io(&ours))?;
        }
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    } else if dir.exists() {
        std::fs::remove_dir(dir).map_err(io(dir))?;
    }
    std::fs::rename(staged.dir(), dir).map_err(io(dir))?;
    let installation = Installation::open(dir)?;
    Ok(if existing.is_some() {
        Installed::Replaced(installation)
    } else {
        Installed::New(installation)
    })
}

fn source_name(source: &Source) -> String {
    match source {
        Source::Url(u) => u.clone(),
        Source::Zip(p) | Source::Dir(p) => p.display().to_string(),
    }
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none())
}

/// A temporary folder beside the target (same file system, so the final move is a rename).
struct Staging(PathBuf);

impl Staging {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempfile_dir(parent: &Path) -> Result<Staging> {
    let name = format!(".ibkr-gateway-install-{}", std::process::id());
    let path = parent.join(name);
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).map_err(io(&path))?;
    Ok(Staging(path))
}

/// Put the source's gateway under `staging`; returns the gateway's folder.
async fn stage(source: &Source, staging: &Path, progress: Progress<'_>) -> Result<PathBuf> {
    let target = staging.join("clientportal.gw");
    match source {
        Source::Dir(from) => {
            Installation::open(from).map_err(|e| GatewayError::BadArchive {
                source_name: from.display().to_string(),
                reason: e.to_string(),
            })?;
            copy_dir(from, &target)?;
            Ok(target)
        }
        Source::Zip(zip) => {
            unzip(zip, &target)?;
            Ok(target)
        }
        Source::Url(url) => {
            let zip = staging.join("download.zip");
            download(url, &zip, progress).await?;
            unzip(&zip, &target)?;
            Ok(target)
        }
    }
}

async fn download(url: &str, to: &Path, progress: Progress<'_>) -> Result<()> {
    use futures::StreamExt;
    let failed = |reason: String| GatewayError::Download {
        url: url.to_string(),
        reason,
    };
    let client = crate::probe::http_builder()
        .map_err(failed)?
        .read_timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| failed(e.without_url().to_string()))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| failed(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let total = response.content_length();
    let mut file = std::fs::File::create(to).map_err(io(to))?;
    let mut done = 0u64;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| failed(e.without_url().to_string()))?;
        file.write_all(&chunk).map_err(io(to))?;
        done += chunk.len() as u64;
        progress(done, total);
    }
    file.flush().map_err(io(to))?;
    Ok(())
}

/// Unpack IBKR's zip into `target`. The zip may hold the layout at its top or inside one
/// folder; entries that would leave the target are refused.
fn unzip(zip: &Path, target: &Path) -> Result<()> {
    let bad = |reason: String| GatewayError::BadArchive {
        source_name: zip.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(zip).map_err(io(zip))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip: {e}")))?;
    let jar_suffix = format!("dist/{GATEWAY_JAR}");
    let prefix = archive
        .file_names()
        .find_map(|n| n.strip_suffix(&jar_suffix).map(str::to_string))
        .ok_or_else(|| bad(format!("it has no {jar_suffix}")))?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        let Some(name) = entry.enclosed_name() else {
            return Err(bad(format!("entry {:?} leaves the folder", entry.name())));
        };
        let Ok(relative) = name.strip_prefix(&prefix) else {
            continue;
        };
        let out = target.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&out).map_err(io(&out))?;
            continue;
        }
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let mut file = std::fs::File::create(&out).map_err(io(&out))?;
        std::io::copy(&mut entry, &mut file).map_err(io(&out))?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode & 0o755));
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let path = entry.path();
        let out = to.join(entry.file_name());
        if RUN_TIME_LITTER.iter().any(|l| entry.file_name() == *l) {
            continue;
        }
        if path.is_dir() {
            copy_dir(&path, &out)?;
        } else {
            std::fs::copy(&path, &out).map_err(io(&out))?;
        }
    }
    Ok(())
}

/// Write an unpacked gateway folder as a zip shaped like IBKR's download (for tests and
/// container builds that start from a folder).
pub fn zip_dir(from: &Path, zip: &Path) -> Result<()> {
    let file = std::fs::File::create(zip).map_err(io(zip))?;
    let mut writer = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    fn walk(
        base: &Path,
        dir: &Path,
        writer: &mut zip::ZipWriter<std::fs::File>,
        options: zip::write::SimpleFileOptions,
    ) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            if RUN_TIME_LITTER.contains(&name.as_str()) {
                continue;
            }
            let failed = |e: zip::result::ZipError| GatewayError::Io {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            };
            if path.is_dir() {
                writer
                    .add_directory(format!("{name}/"), options)
                    .map_err(failed)?;
                walk(base, &path, writer, options)?;
            } else {
                writer.start_file(name.clone(), options).map_err(failed)?;
                let mut f = std::fs::File::open(&path).map_err(io(&path))?;
                std::io::copy(&mut f, writer).map_err(io(&path))?;
            }
        }
        Ok(())
    }
    walk(from, from, &mut writer, options)?;
    writer.finish().map_err(|e| GatewayError::Io {
        path: zip.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_continuation_lines_join() {
        let m = "Manifest-Version: 1.0\r\nWhen-Built: 2023-04-24T15:42:44-0400\r\nGit-Commit: a27ed42161ad96c53e715ca5c5e3e3fa4cff5262+[working tree dif\r\n fs]\r\n\r\nName: common\r\nImplementation-Version: ibgroup.web.core.iblink.router.clientportal.gw\r\n -20230424154245\r\n";
        let info = parse_manifest(m);
        assert_eq!(info.commit.as_deref(), Some("a27ed42"));
        assert_eq!(info.built.as_deref(), Some("2023-04-24T15:42:44-0400"));
        assert_eq!(
            info.version.as_deref(),
            Some("ibgroup.web.core.iblink.router.clientportal.gw-20230424154245")
        );
    }

    #[test]
    fn source_parse_tells_urls_folders_and_zips_apart() {
        assert_eq!(
            Source::parse("https://x/y.zip"),
            Source::Url("https://x/y.zip".into())
        );
        assert_eq!(Source::parse("."), Source::Dir(PathBuf::from(".")));
        assert_eq!(
            Source::parse("gw.zip"),
            Source::Zip(PathBuf::from("gw.zip"))
        );
    }
}
