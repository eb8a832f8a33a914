//! FAUCET's configuration (`faucet.yaml`): loading, validation and a typed, resolved model.
//!
//! Pure: no I/O, no clock. Files are read through a [`Source`] the caller supplies (the
//! binary reads the file system; tests use [`MemorySource`]).
//!
//! sluice accepts and rejects exactly the configurations FAUCET 1.10 accepts and rejects
//! (checked case by case against FAUCET's own `check_faucet_config`), but reports every
//! problem it finds, each with its file, line, column, YAML path and a plain-English reason:
//!
//! ```
//! use sluice_config::load_str;
//!
//! let yaml = "
//! vlans:
//!   office: {vid: 100}
//! dps:
//!   sw1:
//!     dp_id: 1
//!     interfaces:
//!       1: {native_vlan: offce}
//! ";
//! let errors = load_str(yaml).unwrap_err();
//! assert_eq!(
//!     errors.errors[0].to_string(),
//!     "faucet.yaml:8:24: dps.sw1.interfaces.1.native_vlan: VLAN \"offce\" is not defined \
//!      (did you mean \"office\"?); only a VLAN given by its VID (an integer) is created \
//!      implicitly"
//! );
//! ```
//!
//! The layers:
//! * [`yaml`](crate) — YAML 1.2 as FAUCET's loader reads it (duplicate keys are errors, `yes`
//!   is a string, `017` is 17, merge keys work), every node with its position;
//! * [`load`] — the top file and its `include`/`include-optional` files, with a sha256 of each
//!   file read (for reload detection);
//! * the builder — FAUCET's rules, object by object, collecting every error;
//! * [`model`] — the result: [`Config`], with every reference resolved and every default
//!   (including derived ones such as `learn_jitter`) filled in.

mod build;
mod conf;
pub mod error;
pub mod load;
pub mod model;
mod syntax;
mod yaml;

use std::path::Path;

pub use error::{ConfigError, ConfigWarning, WarningKind};
pub use load::{FileDigest, MemorySource, Source, SourceError, faucet_sha256};
pub use model::*;

/// A configuration that loaded and validated.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The resolved configuration.
    pub config: Config,
    /// Things worth knowing (skipped optional includes, ...), and the sluice extensions used
    /// (see [`Loaded::uses_extensions`]).
    pub warnings: Vec<ConfigWarning>,
}

impl Loaded {
    /// Whether the configuration uses a sluice extension (such as a remote `mirror`), so
    /// that FAUCET's checker would reject it although sluice accepts it.
    pub fn uses_extensions(&self) -> bool {
        self.warnings
            .iter()
            .any(|w| w.kind == WarningKind::Extension)
    }
}

/// A configuration that did not load: every error found, plus what is needed to show them.
#[derive(Debug, Clone)]
pub struct LoadErrors {
    /// The errors, in the order found.
    pub errors: Vec<ConfigError>,
    /// Warnings found along the way.
    pub warnings: Vec<ConfigWarning>,
    /// The files read before the load failed, with their hashes (FAUCET records these too,
    /// so that fixing the file triggers a reload).
    pub files: Vec<FileDigest>,
    /// (file name as shown in errors, text) of every file read, for snippets.
    sources: Vec<(String, String)>,
}

impl LoadErrors {
    /// The text of a file read during the load, by the name used in errors.
    pub fn source(&self, file: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|(name, _)| name == file)
            .map(|(_, text)| text.as_str())
    }

    /// Every error with its source line and a caret, separated by blank lines.
    pub fn render(&self) -> String {
        self.errors
            .iter()
            .map(|e| e.render(self.source(&e.file)))
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

impl std::fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// Loads and validates the configuration whose top file is `path`, reading it and its
/// includes through `source`.
///
/// # Errors
/// Every problem found, when FAUCET would reject the configuration.
pub fn load(source: &dyn Source, path: &Path) -> Result<Loaded, LoadErrors> {
    let read = match load::load(source, path) {
        Ok(read) => read,
        Err(failed) => {
            return Err(LoadErrors {
                errors: failed.errors,
                warnings: failed.loaded.warnings,
                files: failed.loaded.digests,
                sources: sources_of(&failed.loaded.files),
            });
        }
    };
    let mut ctx = conf::Ctx::new(&read.files);
    ctx.warnings.extend(read.warnings.iter().cloned());
    let config = build::build(&read, &mut ctx);
    let conf::Ctx {
        errors, warnings, ..
    } = ctx;
    match config {
        Some(config) if errors.is_empty() => Ok(Loaded { config, warnings }),
        _ => Err(LoadErrors {
            errors,
            warnings,
            files: read.digests.clone(),
            sources: sources_of(&read.files),
        }),
    }
}

/// Loads a configuration held in a string, as a file named `faucet.yaml` (includes fail).
///
/// # Errors
/// Every problem found, when FAUCET would reject the configuration.
pub fn load_str(text: &str) -> Result<Loaded, LoadErrors> {
    let source = MemorySource::new().with("faucet.yaml", text);
    load(&source, Path::new("faucet.yaml"))
}

fn sources_of(files: &[load::LoadedFile]) -> Vec<(String, String)> {
    files
        .iter()
        .filter_map(|f| f.text.clone().map(|t| (f.display.clone(), t)))
        .collect()
}

impl Config {
    /// The whole resolved configuration as YAML (`sluice check --expand`).
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }

    /// The whole resolved configuration as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A one-line summary: `2 DPs, 96 ports, 3 VLANs, 4 ACLs`.
    pub fn summary(&self) -> String {
        let ports: usize = self.dps.values().map(|d| d.ports.len()).sum();
        let mut vlans: Vec<Vid> = self
            .dps
            .values()
            .flat_map(|d| d.vlans.keys().copied())
            .collect();
        vlans.sort_unstable();
        vlans.dedup();
        let mut acls: Vec<&str> = self
            .dps
            .values()
            .flat_map(|d| d.acls.iter().map(|a| a.name.as_str()))
            .collect();
        acls.sort_unstable();
        acls.dedup();
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{}, {}, {}, {}",
            plural(self.dps.len(), "DP", "DPs"),
            plural(ports, "port", "ports"),
            plural(vlans.len(), "VLAN", "VLANs"),
            plural(acls.len(), "ACL", "ACLs"),
        )
    }
}
