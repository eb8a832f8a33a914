//! `sluice check [FILE...]`: load and validate FAUCET configuration files, as FAUCET's
//! `check_faucet_config` does, and say exactly what is wrong and where.
//!
//! Without a FILE, the configuration is found as FAUCET finds it: the first existing file of
//! the colon-separated FAUCET_CONFIG (default `/etc/faucet/faucet.yaml:/etc/ryu/faucet/faucet.yaml`).
//! Exit status 0 when every file is valid (a one-line summary each, or with `--expand` the
//! whole resolved configuration), 1 when any is not (every error found, with its file, line,
//! column, YAML path and source line, on stderr). A file that is valid only because sluice
//! extensions are allowed (such as a remote `mirror`) is accepted, with a note at each use on
//! stderr and "FAUCET rejects this file" in its summary.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use sluice_runtime::config::{first_existing, load};

/// FAUCET's default configuration locations.
const DEFAULT_CONFIG: &str = "/etc/faucet/faucet.yaml:/etc/ryu/faucet/faucet.yaml";

/// Arguments of `sluice check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Configuration files to check (default: the first existing file of FAUCET_CONFIG, else
    /// /etc/faucet/faucet.yaml, else /etc/ryu/faucet/faucet.yaml).
    files: Vec<PathBuf>,
    /// Print the fully resolved configuration (every default filled in, every reference
    /// resolved) instead of a summary.
    #[arg(long)]
    expand: bool,
    /// With --expand, print JSON instead of YAML.
    #[arg(long, requires = "expand")]
    json: bool,
    /// Print only errors (and nothing when the configuration is valid).
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `sluice check`; exits with status 1 when a configuration is invalid.
pub(crate) fn main(args: CheckArgs) -> anyhow::Result<()> {
    let files = if args.files.is_empty() {
        let list = std::env::var("FAUCET_CONFIG").unwrap_or_else(|_| DEFAULT_CONFIG.into());
        match first_existing(&list) {
            Some(path) => vec![path],
            None => {
                eprintln!("sluice check: no configuration file given, and none of {list} exists");
                std::process::exit(1);
            }
        }
    } else {
        args.files
    };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let mut failed = false;
    for path in &files {
        match load(path) {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    writeln!(stderr, "{warning}")?;
                }
                for dp in loaded.config.dps.values() {
                    for u in sluice_core::pipeline::acl::unmatchable(dp) {
                        writeln!(
                            stderr,
                            "{}: warning: DP {}: rule {} of ACL {} can never match ({}): it installs no flow",
                            path.display(),
                            dp.name,
                            u.rule + 1,
                            u.acl,
                            u.why
                        )?;
                    }
                }
                if args.expand {
                    let text = if args.json {
                        loaded.config.to_json() + "\n"
                    } else {
                        loaded.config.to_yaml()
                    };
                    write!(stdout, "{text}")?;
                } else if !args.quiet {
                    // Honest about what FAUCET would say: valid for sluice, but not FAUCET.
                    let verdict = if loaded.uses_extensions() {
                        "OK with sluice extensions (FAUCET rejects this file)"
                    } else {
                        "OK"
                    };
                    writeln!(
                        stdout,
                        "{}: {verdict}, {}",
                        path.display(),
                        loaded.config.summary()
                    )?;
                }
            }
            Err(errors) => {
                failed = true;
                for warning in &errors.warnings {
                    writeln!(stderr, "{warning}")?;
                }
                writeln!(stderr, "{}\n", errors.render())?;
                let n = errors.errors.len();
                writeln!(
                    stderr,
                    "{}: invalid, {n} error{}",
                    path.display(),
                    if n == 1 { "" } else { "s" }
                )?;
            }
        }
    }
    stdout.flush()?;
    stderr.flush()?;
    if failed {
        std::process::exit(1);
    }
    Ok(())
}
