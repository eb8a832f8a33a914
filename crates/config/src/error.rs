//! Configuration errors and warnings: where (file, line, column, YAML path) and what, in plain
//! English.

use std::fmt;

use serde::Serialize;

/// One problem found in a configuration.
///
/// `Display` gives the one-line form `faucet.yaml:12:20: dps.sw1.interfaces.3.native_vlan:
/// VLAN "offce" is not defined`; [`ConfigError::render`] adds the source line with a caret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    /// The file the offending value was written in (empty when no file is involved).
    pub file: String,
    /// 1-based line of the offending value (0 when unknown).
    pub line: u32,
    /// 1-based column of the offending value (0 when unknown).
    pub col: u32,
    /// Where in the configuration: `dps.sw1.interfaces.3.native_vlan`; list items are
    /// written `acls.office[0]`. Empty for problems with a whole file.
    pub path: String,
    /// What is wrong, in plain English.
    pub reason: String,
}

impl ConfigError {
    /// Renders the error with the offending source line and a caret under the column, when
    /// `source` (the text of [`ConfigError::file`]) is given.
    pub fn render(&self, source: Option<&str>) -> String {
        let mut out = self.to_string();
        let Some(text) = source else {
            return out;
        };
        if self.line == 0 {
            return out;
        }
        let Some(line) = text.lines().nth(self.line as usize - 1) else {
            return out;
        };
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        let caret_at = line
            .chars()
            .take(self.col.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect::<String>();
        out.push_str(&format!(
            "\n{pad} |\n{number} | {line}\n{pad} | {caret_at}^"
        ));
        out
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}", self.file)?;
            if self.line > 0 {
                write!(f, ":{}:{}", self.line, self.col)?;
            }
            write!(f, ": ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Something worth telling the user that does not make the configuration invalid for sluice:
/// a warning (FAUCET accepts it too, such as a skipped `include-optional` file), or the use of
/// a sluice extension (which FAUCET rejects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigWarning {
    /// A warning, or a note that a sluice extension is used.
    pub kind: WarningKind,
    /// The file the value was written in (empty when no file is involved).
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub col: u32,
    /// Where in the configuration (may be empty).
    pub path: String,
    /// What is worth knowing.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}", self.file)?;
            if self.line > 0 {
                write!(f, ":{}:{}", self.line, self.col)?;
            }
            write!(f, ": ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        match self.kind {
            WarningKind::Warning => write!(f, "warning: {}", self.message),
            WarningKind::Extension => write!(
                f,
                "note: sluice extension, which FAUCET rejects: {}",
                self.message
            ),
        }
    }
}

/// What a [`ConfigWarning`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Worth knowing; FAUCET accepts it too.
    Warning,
    /// A sluice extension: sluice accepts and runs it, FAUCET's checker rejects the file.
    Extension,
}
