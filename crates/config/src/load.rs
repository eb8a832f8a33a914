//! Reading the files of a configuration: the top file, `include` and `include-optional`, with
//! FAUCET's rules, through a [`Source`] supplied by the caller (this crate does no I/O).
//!
//! FAUCET's rules (`config_parser_util.dp_include`):
//! * the top-level keys allowed in every file are `dps`, `vlans`, `acls`, `routers`, `meters`,
//!   `include`, `include-optional` and `version` (`version` must be 2, checked in the top file);
//! * each file's sections are merged into the ones read so far with a dict update, and then its
//!   includes are read in order, so an included file overrides same-named entries of the file
//!   that includes it, and a later include overrides an earlier one;
//! * include paths are relative to the including file;
//! * a required include that is missing or broken fails the whole configuration; an optional one
//!   is skipped with a warning (its hash is recorded as absent, so that creating it later is
//!   noticed);
//! * a file that is already part of the chain of files being loaded cannot be included again
//!   (FAUCET's include-loop check; it also rejects some repeated includes that are not loops,
//!   and sluice keeps that verdict).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{ConfigError, ConfigWarning, WarningKind};
use crate::yaml::{self, FileId, Node, Pos, Value};

/// Why a [`Source`] could not give a file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// There is no regular file at that path.
    NotFound,
    /// The file exists but could not be read (permissions, not UTF-8, ...).
    Unreadable(String),
}

/// Where configuration files come from. The binary reads the file system; tests and the lab use
/// [`MemorySource`].
pub trait Source {
    /// Returns the text of the file at `path` (a path returned by [`Source::canonical`]).
    ///
    /// # Errors
    /// [`SourceError::NotFound`] when there is no regular file there, otherwise
    /// [`SourceError::Unreadable`].
    fn read(&self, path: &Path) -> Result<String, SourceError>;

    /// The canonical form of a path, used to recognise the same file reached twice (FAUCET
    /// uses `os.path.realpath`). The default removes `.` and `..` components lexically.
    fn canonical(&self, path: &Path) -> PathBuf {
        normalize(path)
    }
}

/// An in-memory [`Source`]: a map from paths to file contents.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    files: HashMap<PathBuf, String>,
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file; `path` is normalised lexically.
    pub fn insert(&mut self, path: impl AsRef<Path>, text: impl Into<String>) -> &mut Self {
        self.files.insert(normalize(path.as_ref()), text.into());
        self
    }

    /// Builder form of [`MemorySource::insert`].
    pub fn with(mut self, path: impl AsRef<Path>, text: impl Into<String>) -> Self {
        self.insert(path, text);
        self
    }
}

impl Source for MemorySource {
    fn read(&self, path: &Path) -> Result<String, SourceError> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or(SourceError::NotFound)
    }
}

/// Removes `.` and `..` components without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let popped =
                    matches!(out.components().next_back(), Some(Component::Normal(_))) && out.pop();
                if !popped && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A file read while loading, with the sha256 of its contents (FAUCET's `config_hashes`, used
/// to decide whether a reload is needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDigest {
    /// The canonical path of the file.
    pub path: PathBuf,
    /// The sha256 of the file's text, as FAUCET computes it (newlines normalised to `\n`);
    /// `None` for an `include-optional` file that was missing or could not be loaded.
    #[serde(serialize_with = "ser_sha256")]
    pub sha256: Option<[u8; 32]>,
}

fn ser_sha256<S: serde::Serializer>(hash: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
    match hash {
        Some(h) => s.collect_str(&h.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        None => s.serialize_none(),
    }
}

impl FileDigest {
    /// The hash as lowercase hex, as FAUCET prints it.
    pub fn sha256_hex(&self) -> Option<String> {
        self.sha256
            .map(|h| h.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// The sha256 FAUCET computes for a file: Python reads files in text mode, so `\r\n` and `\r`
/// count as `\n`.
pub fn faucet_sha256(text: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    if text.contains('\r') {
        hasher.update(text.replace("\r\n", "\n").replace('\r', "\n").as_bytes());
    } else {
        hasher.update(text.as_bytes());
    }
    hasher.finalize().into()
}

/// The top-level sections, in FAUCET's order.
pub(crate) const SECTIONS: [&str; 5] = ["acls", "dps", "meters", "routers", "vlans"];

/// Where a section entry is: entry `entry` of the section mapping found at top-level entry
/// `top` of file root `root`, or an entry of the loader's small arena (for the rare sections
/// written as a list of pairs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Addr {
    Map {
        root: usize,
        top: usize,
        entry: usize,
    },
    Extra(usize),
}

/// One top-level section (`vlans`, ...): a Python dict of entries, each an address into the
/// parsed files, so sections can be copied cheaply the way FAUCET copies them.
#[derive(Debug, Clone, Default)]
struct Section {
    entries: Vec<Addr>,
    index: HashMap<SectionKey, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SectionKey {
    Str(String),
    Num(i128),
    Other(String),
}

fn section_key(node: &Node) -> SectionKey {
    match &node.value {
        Value::Str(s) => SectionKey::Str(s.clone()),
        Value::Int(i) => SectionKey::Num(*i),
        Value::Bool(b) => SectionKey::Num(i128::from(*b)),
        other => SectionKey::Other(format!("{}:{}", other.type_name(), other.py_str())),
    }
}

type Sections = [Section; 5];

/// A file in the loader's table.
#[derive(Debug, Clone)]
pub(crate) struct LoadedFile {
    /// How the file is named in messages.
    pub display: String,
    /// The canonical path.
    pub path: PathBuf,
    /// The file's text, for source snippets.
    pub text: Option<String>,
}

/// Everything the loader read: the merged sections and the file table.
#[derive(Debug, Default)]
pub(crate) struct Files {
    /// For each of [`SECTIONS`], the merged entries in dict order.
    sections: Vec<Vec<Addr>>,
    /// The parsed root of each file that parsed.
    roots: Vec<Node>,
    /// Section entries that are not in a mapping of a file (list-of-pairs sections).
    extra: Vec<(Node, Node)>,
    /// Every file read (and every optional include that was not), in the order FAUCET records
    /// them.
    pub digests: Vec<FileDigest>,
    /// The file table, indexed by [`FileId`].
    pub files: Vec<LoadedFile>,
    /// Warnings (skipped optional includes, ...).
    pub warnings: Vec<ConfigWarning>,
}

impl Files {
    /// The merged entries of a section (`"dps"`, ...), in dict order.
    pub fn section(&self, name: &str) -> Vec<&(Node, Node)> {
        let Some(i) = SECTIONS.iter().position(|s| *s == name) else {
            return Vec::new();
        };
        self.sections.get(i).map_or_else(Vec::new, |addrs| {
            addrs.iter().filter_map(|a| self.entry(*a)).collect()
        })
    }

    fn entry(&self, addr: Addr) -> Option<&(Node, Node)> {
        match addr {
            Addr::Map { root, top, entry } => {
                let Value::Map(tops) = &self.roots.get(root)?.value else {
                    return None;
                };
                let Value::Map(entries) = &tops.get(top)?.1.value else {
                    return None;
                };
                entries.get(entry)
            }
            Addr::Extra(i) => self.extra.get(i),
        }
    }
}

/// A failed load: the errors, plus what was read before it failed.
#[derive(Debug, Default)]
pub(crate) struct ReadFailed {
    pub errors: Vec<ConfigError>,
    pub loaded: Files,
}

enum Fail {
    /// The file could not be included; an optional include is skipped.
    Soft(ConfigError),
    /// FAUCET crashes on this, even for an optional include.
    Fatal(ConfigError),
}

impl Fail {
    fn into_error(self) -> ConfigError {
        match self {
            Fail::Soft(e) | Fail::Fatal(e) => e,
        }
    }
}

/// How deep includes may nest (a guard; FAUCET's loop check usually stops them earlier).
const MAX_INCLUDE_DEPTH: usize = 64;

struct Loader<'a> {
    source: &'a dyn Source,
    files: Vec<LoadedFile>,
    roots: Vec<Node>,
    extra: Vec<(Node, Node)>,
    warnings: Vec<ConfigWarning>,
    parsed: HashMap<PathBuf, (FileId, Option<usize>)>,
}

/// Reads the top file and everything it includes, and merges the sections.
pub(crate) fn load(source: &dyn Source, top: &Path) -> Result<Files, Box<ReadFailed>> {
    let mut loader = Loader {
        source,
        files: Vec::new(),
        roots: Vec::new(),
        extra: Vec::new(),
        warnings: Vec::new(),
        parsed: HashMap::new(),
    };
    let top_display = top.display().to_string();
    let canonical = source.canonical(top);
    let result = loader.load_top(&canonical, &top_display);
    let mut loaded = Files {
        sections: Vec::new(),
        roots: std::mem::take(&mut loader.roots),
        extra: std::mem::take(&mut loader.extra),
        digests: Vec::new(),
        files: std::mem::take(&mut loader.files),
        warnings: std::mem::take(&mut loader.warnings),
    };
    match result {
        Ok((hashes, sections)) => {
            loaded.digests = hashes
                .into_iter()
                .map(|(path, sha256)| FileDigest { path, sha256 })
                .collect();
            loaded.sections = sections.into_iter().map(|s| s.entries).collect();
            Ok(loaded)
        }
        Err(error) => Err(Box::new(ReadFailed {
            errors: vec![error],
            loaded,
        })),
    }
}

fn file_error(
    display: &str,
    pos: Option<Pos>,
    path: &str,
    reason: impl Into<String>,
) -> ConfigError {
    ConfigError {
        file: display.to_string(),
        line: pos.map_or(0, |p| p.line),
        col: pos.map_or(0, |p| p.col),
        path: path.to_string(),
        reason: reason.into(),
    }
}

type Hashes = Vec<(PathBuf, Option<[u8; 32]>)>;

impl Loader<'_> {
    /// Reads and parses a file once; later reads of the same path reuse the result. Returns
    /// the index of the file's root in `roots` (`None` for an empty file).
    fn read(&mut self, path: &Path, display: &str) -> Result<(FileId, Option<usize>), ConfigError> {
        if let Some((id, root)) = self.parsed.get(path) {
            return Ok((*id, *root));
        }
        let text = match self.source.read(path) {
            Ok(text) => text,
            Err(SourceError::NotFound) => {
                return Err(file_error(
                    display,
                    None,
                    "",
                    "file not found (or not a regular file)",
                ));
            }
            Err(SourceError::Unreadable(why)) => {
                return Err(file_error(
                    display,
                    None,
                    "",
                    format!("cannot read the file: {why}"),
                ));
            }
        };
        let id = FileId::try_from(self.files.len()).unwrap_or(FileId::MAX);
        let parsed = yaml::parse(&text, id);
        self.files.push(LoadedFile {
            display: display.to_string(),
            path: path.to_path_buf(),
            text: Some(text),
        });
        match parsed {
            Ok(node) => {
                let root = node.map(|n| {
                    self.roots.push(n);
                    self.roots.len() - 1
                });
                self.parsed.insert(path.to_path_buf(), (id, root));
                Ok((id, root))
            }
            Err(e) => Err(ConfigError {
                file: display.to_string(),
                line: e.line,
                col: e.col,
                path: String::new(),
                reason: format!("invalid YAML: {}", e.message),
            }),
        }
    }

    fn load_top(&mut self, path: &Path, display: &str) -> Result<(Hashes, Sections), ConfigError> {
        let (_, root) = self.read(path, display)?;
        let Some(root) = root else {
            return Err(file_error(
                display,
                None,
                "",
                "the configuration file is empty",
            ));
        };
        let root = &self.roots[root];
        let Value::Map(entries) = &root.value else {
            return Err(file_error(
                display,
                Some(root.pos),
                "",
                format!(
                    "the top level of a configuration must be a mapping (dps:, vlans:, ...), \
                     not {}",
                    root.value.type_name()
                ),
            ));
        };
        if let Some((_, version)) = entries
            .iter()
            .find(|(k, _)| k.value.as_str() == Some("version"))
        {
            let ok = match &version.value {
                Value::Int(2) => true,
                Value::Float(f) => *f == 2.0,
                _ => false,
            };
            if !ok {
                return Err(file_error(
                    display,
                    Some(version.pos),
                    "version",
                    format!(
                        "only config version 2 is supported, not {}",
                        version.value.py_repr()
                    ),
                ));
            }
        }
        let mut hashes: Hashes = Vec::new();
        let mut sections: Sections = Default::default();
        match self.include(&mut hashes, path, display, &mut sections, 0, None) {
            Ok(()) => {}
            Err(fail) => return Err(fail.into_error()),
        }
        let dps = &sections[1];
        if dps.entries.is_empty() {
            return Err(file_error(
                display,
                None,
                "dps",
                "no DPs are configured (a configuration needs a `dps:` section with at least \
                 one switch)",
            ));
        }
        Ok((hashes, sections))
    }

    /// FAUCET's `dp_include`: on success the file's sections (and its includes') are merged
    /// into `sections`, and its hash (and its includes') into `hashes`.
    fn include(
        &mut self,
        hashes: &mut Hashes,
        path: &Path,
        display: &str,
        sections: &mut Sections,
        depth: usize,
        included_at: Option<(&str, Pos)>,
    ) -> Result<(), Fail> {
        let at = |reason: String| match included_at {
            Some((file, pos)) => Fail::Soft(file_error(file, Some(pos), "", reason)),
            None => Fail::Soft(file_error(display, None, "", reason)),
        };
        if depth > MAX_INCLUDE_DEPTH {
            return Err(at(format!(
                "includes are nested more than {MAX_INCLUDE_DEPTH} files deep"
            )));
        }
        let (_, root) = match self.read(path, display) {
            Ok(r) => r,
            Err(mut e) => {
                if let Some((file, pos)) = included_at {
                    e.reason = format!("cannot include {display}: {}", e.reason);
                    if e.line == 0 {
                        e.file = file.to_string();
                        e.line = pos.line;
                        e.col = pos.col;
                    }
                }
                return Err(Fail::Soft(e));
            }
        };
        let Some(root_index) = root else {
            return Err(at(format!("{display} is empty")));
        };
        let root = &self.roots[root_index];
        let entries: &[(Node, Node)] = match &root.value {
            Value::Map(entries) if !entries.is_empty() => entries,
            value if is_falsy(value) => {
                return Err(at(format!("{display} is empty")));
            }
            value => {
                return Err(Fail::Fatal(file_error(
                    display,
                    Some(root.pos),
                    "",
                    format!(
                        "the top level of an included file must be a mapping, not {}",
                        value.type_name()
                    ),
                )));
            }
        };
        // Unknown top-level keys make the file unloadable.
        for (key, _) in entries {
            let known = key.value.as_str().is_some_and(|k| {
                SECTIONS.contains(&k) || matches!(k, "include" | "include-optional" | "version")
            });
            if !known {
                return Err(Fail::Soft(file_error(
                    display,
                    Some(key.pos),
                    &key.value.py_str(),
                    format!(
                        "unknown top-level key {}; expected one of dps, vlans, acls, routers, \
                         meters, include, include-optional, version",
                        key.value.py_repr()
                    ),
                )));
            }
        }
        let text_hash = self
            .files
            .iter()
            .find(|f| f.path == path)
            .and_then(|f| f.text.as_deref())
            .map(faucet_sha256);
        let mut new_hashes = hashes.clone();
        set_hash(&mut new_hashes, path, text_hash);
        let mut new_sections = sections.clone();
        // The section entries and include lists of this file (copied out, as the recursion
        // below needs the loader mutably).
        let sections_here: Vec<(usize, usize)> = SECTIONS
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                entries
                    .iter()
                    .position(|(k, _)| k.value.as_str() == Some(name))
                    .map(|top| (i, top))
            })
            .collect();
        let directives: Vec<(&str, bool, Node)> = [("include", true), ("include-optional", false)]
            .into_iter()
            .filter_map(|(directive, required)| {
                entries
                    .iter()
                    .find(|(k, _)| k.value.as_str() == Some(directive))
                    .map(|(_, v)| (directive, required, v.clone()))
            })
            .collect();
        for (i, top) in sections_here {
            self.update_section(&mut new_sections[i], root_index, top, display, SECTIONS[i])?;
        }
        for (directive, required, value) in &directives {
            let (directive, required) = (*directive, *required);
            let Value::Seq(items) = &value.value else {
                return Err(Fail::Soft(file_error(
                    display,
                    Some(value.pos),
                    directive,
                    format!(
                        "{directive} must be a list of file names, not {}",
                        value.value.type_name()
                    ),
                )));
            };
            for item in items {
                let name = item.value.py_str();
                let include_path = self.source.canonical(&resolve_include(path, &name));
                let include_display = display_include(display, &name);
                if hashes.iter().any(|(p, _)| *p == include_path) {
                    return Err(Fail::Soft(file_error(
                        display,
                        Some(item.pos),
                        directive,
                        format!(
                            "include loop: {include_display} is already loaded by a file that \
                             includes this one"
                        ),
                    )));
                }
                let result = self.include(
                    &mut new_hashes,
                    &include_path,
                    &include_display,
                    &mut new_sections,
                    depth + 1,
                    Some((display, item.pos)),
                );
                match result {
                    Ok(()) => {}
                    Err(Fail::Fatal(e)) => return Err(Fail::Fatal(e)),
                    Err(Fail::Soft(e)) if required => {
                        return Err(Fail::Soft(e));
                    }
                    Err(Fail::Soft(e)) => {
                        set_hash(&mut new_hashes, &include_path, None);
                        self.warnings.push(ConfigWarning {
                            kind: WarningKind::Warning,
                            file: display.to_string(),
                            line: item.pos.line,
                            col: item.pos.col,
                            path: directive.to_string(),
                            message: format!(
                                "skipping optional include {include_display}: {}",
                                e.reason
                            ),
                        });
                    }
                }
            }
        }
        for (path, hash) in new_hashes {
            set_hash(hashes, &path, hash);
        }
        *sections = new_sections;
        Ok(())
    }

    /// `top_confs[name].update(value)`, with Python's rules for what `update` accepts.
    fn update_section(
        &mut self,
        section: &mut Section,
        root: usize,
        top: usize,
        display: &str,
        name: &str,
    ) -> Result<(), Fail> {
        let Value::Map(tops) = &self.roots[root].value else {
            return Ok(());
        };
        let value = &tops[top].1;
        let bad = |why: &str| {
            Fail::Soft(file_error(
                display,
                Some(value.pos),
                name,
                format!("`{name}` must be a mapping of names to settings, {why}"),
            ))
        };
        let mut added: Vec<(SectionKey, Addr)> = Vec::new();
        let mut extra: Vec<(Node, Node)> = Vec::new();
        match &value.value {
            Value::Map(entries) => {
                for (entry, (key, _)) in entries.iter().enumerate() {
                    added.push((section_key(key), Addr::Map { root, top, entry }));
                }
            }
            Value::Str(s) if s.is_empty() => {}
            Value::Seq(items) => {
                // dict.update accepts a list of key/value pairs.
                for item in items {
                    match &item.value {
                        Value::Seq(pair) if pair.len() == 2 => {
                            if matches!(pair[0].value, Value::Seq(_) | Value::Map(_)) {
                                return Err(bad("not a list with an unhashable key"));
                            }
                            let addr = Addr::Extra(self.extra.len() + extra.len());
                            added.push((section_key(&pair[0]), addr));
                            extra.push((pair[0].clone(), pair[1].clone()));
                        }
                        _ => return Err(bad("not a list")),
                    }
                }
            }
            other => return Err(bad(&format!("not {}", other.type_name()))),
        }
        self.extra.extend(extra);
        for (id, addr) in added {
            match section.index.get(&id) {
                Some(&position) => section.entries[position] = addr,
                None => {
                    section.index.insert(id, section.entries.len());
                    section.entries.push(addr);
                }
            }
        }
        Ok(())
    }
}

fn set_hash(hashes: &mut Hashes, path: &Path, hash: Option<[u8; 32]>) {
    match hashes.iter_mut().find(|(p, _)| p == path) {
        Some(entry) => entry.1 = hash,
        None => hashes.push((path.to_path_buf(), hash)),
    }
}

fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Float(f) => *f == 0.0,
        Value::Str(s) => s.is_empty(),
        Value::Seq(items) => items.is_empty(),
        Value::Map(entries) => entries.is_empty(),
        Value::Date(_) | Value::Opaque(_) => false,
    }
}

fn resolve_include(including: &Path, name: &str) -> PathBuf {
    let include = Path::new(name);
    if include.is_absolute() {
        include.to_path_buf()
    } else {
        including
            .parent()
            .map_or_else(|| include.to_path_buf(), |dir| dir.join(include))
    }
}

fn display_include(including_display: &str, name: &str) -> String {
    normalize(&resolve_include(Path::new(including_display), name))
        .display()
        .to_string()
}
