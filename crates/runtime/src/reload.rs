//! Reloading the configuration: on SIGHUP, and when any file of it changes.
//!
//! As FAUCET does, the sha256 of every file read (the top file and its includes) decides
//! whether anything changed: a SIGHUP with nothing changed does nothing. The files are also
//! checked every `poll` (default one second), so an edit takes effect without a signal; a
//! change found that way must hold still for `settle` before it is loaded, so a file caught
//! half-written by its editor is not loaded (and rejected) on the way. A SIGHUP reloads at
//! once.
//!
//! A new configuration that loads goes to the controller task ([`ServerHandle::reload`]); one
//! that does not is reported there too ([`ServerHandle::reject_config`]), and the old one
//! stays in force. The same files are not loaded again until one of them changes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sluice_config::load::{FileDigest, faucet_sha256};
use tokio::signal::unix::Signal;
use tracing::{info, warn};

use crate::ServerHandle;

/// Watches the configuration whose top file is `path`.
#[derive(Debug)]
pub struct Reloader {
    path: PathBuf,
    /// The files of the configuration last loaded (or last rejected), with their hashes.
    seen: Vec<FileDigest>,
    poll: Duration,
    settle: Duration,
}

impl Reloader {
    /// A watcher of `path`, whose files as last loaded are `files` (empty if it did not load:
    /// then the next change of the top file is the next attempt).
    pub fn new(path: PathBuf, files: Vec<FileDigest>) -> Reloader {
        let seen = if files.is_empty() {
            vec![FileDigest {
                sha256: digest(&path),
                path: path.clone(),
            }]
        } else {
            files
        };
        Reloader {
            path,
            seen,
            poll: Duration::from_secs(1),
            settle: Duration::from_millis(300),
        }
    }

    /// Checks every `poll` instead of every second.
    pub fn with_poll(mut self, poll: Duration, settle: Duration) -> Reloader {
        self.poll = poll;
        self.settle = settle;
        self
    }

    /// The hashes now of the files last seen.
    fn current(&self) -> Vec<FileDigest> {
        self.seen
            .iter()
            .map(|f| FileDigest {
                sha256: digest(&f.path),
                path: f.path.clone(),
            })
            .collect()
    }

    /// Whether any file differs from what was last seen.
    fn changed(&self) -> bool {
        self.current() != self.seen
    }

    /// Runs until the server stops: reloads on `hup` and on file changes.
    pub async fn run(mut self, handle: ServerHandle, mut hup: Signal) {
        let mut tick = tokio::time::interval(self.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let signalled = tokio::select! {
                s = hup.recv() => {
                    if s.is_none() {
                        return;
                    }
                    true
                }
                _ = tick.tick() => false,
            };
            if !self.changed() {
                if signalled {
                    info!("SIGHUP: the configuration has not changed");
                }
                continue;
            }
            // A change seen by polling may be an editor still writing: let it finish. A
            // SIGHUP is the operator saying the files are ready: reload at once.
            if !signalled {
                let before = self.current();
                tokio::time::sleep(self.settle).await;
                if self.current() != before {
                    continue;
                }
            }
            if !self.reload(&handle).await {
                return;
            }
        }
    }

    /// Loads the configuration and hands the result to the controller. Returns false once
    /// the server has stopped.
    async fn reload(&mut self, handle: &ServerHandle) -> bool {
        let path = self.path.clone();
        let loaded = tokio::task::spawn_blocking(move || crate::config::load(&path)).await;
        let sent = match loaded {
            Ok(Ok(loaded)) => {
                for w in &loaded.warnings {
                    warn!("{w}");
                }
                info!("configuration {} changed: reloading", self.path.display());
                self.seen = loaded.config.files.clone();
                // Valves rebuilt, the old configuration dropped: memory to give back.
                crate::memory::note_churn();
                handle.reload(loaded.config).await
            }
            Ok(Err(errors)) => {
                // Remember the files as they are, so the same mistake is reported once.
                self.seen = self.current();
                handle.reject_config(errors.to_string()).await
            }
            Err(e) => handle.reject_config(format!("loading failed: {e}")).await,
        };
        sent.is_ok()
    }
}

/// A file's sha256 as FAUCET computes it, or `None` if it cannot be read.
fn digest(path: &Path) -> Option<[u8; 32]> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| faucet_sha256(&text))
}
