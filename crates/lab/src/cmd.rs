//! Running the system tools (`ovs-vsctl`, `ip`, ...).

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// A command that could not run or failed.
#[derive(Debug, thiserror::Error)]
pub enum CmdError {
    /// The program is missing or could not start.
    #[error(
        "could not run `{cmd}`: {source} (is it installed? see README: the test command installs it)"
    )]
    Spawn {
        /// The command line.
        cmd: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The program exited with an error.
    #[error("`{cmd}` failed ({status}): {stderr}")]
    Failed {
        /// The command line.
        cmd: String,
        /// Its exit status.
        status: String,
        /// What it wrote to stderr.
        stderr: String,
    },
}

/// Runs `program args...` and returns its standard output.
///
/// # Errors
/// [`CmdError`] if it cannot start or exits with a failure.
pub fn run(program: &str, args: &[&str]) -> Result<String, CmdError> {
    let cmd = format!("{program} {}", args.join(" "));
    let out = command(program, args)
        .output()
        .map_err(|source| CmdError::Spawn {
            cmd: cmd.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(CmdError::Failed {
            cmd,
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A [`Command`] for `program args...` in a process group of its own, so that a Ctrl-C at the
/// terminal reaches only the program that started it (which then cleans up, using more
/// commands) and not the commands themselves.
pub fn command(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).process_group(0);
    cmd
}

/// Whether `program args...` runs and exits successfully; its output is discarded.
pub fn succeeds(program: &str, args: &[&str]) -> bool {
    command(program, args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
