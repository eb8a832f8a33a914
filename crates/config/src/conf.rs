//! The checks every FAUCET config object (`Conf`) does on its mapping: unknown keys are
//! rejected, each value must have the key's Python type (`None` always passes and means "use
//! the default"; `true` passes as an int, as Python's `bool` is an `int`), and errors are
//! collected with their position and path.

use crate::error::{ConfigError, ConfigWarning, WarningKind};
use crate::load::LoadedFile;
use crate::yaml::{Node, Pos, Value};

/// The Python type (or union of types) a key accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    /// `int` (booleans pass).
    Int,
    /// `bool`.
    Bool,
    /// `str`.
    Str,
    /// `float` (an int does not pass).
    Float,
    /// `list`.
    List,
    /// `dict`.
    Dict,
    /// `(str, int)`.
    StrInt,
    /// `(list, str, int)`.
    ListStrInt,
    /// `(dict, list)`.
    DictList,
}

impl Ty {
    pub(crate) fn accepts(self, value: &Value) -> bool {
        let int = matches!(value, Value::Int(_) | Value::Bool(_));
        let s = matches!(value, Value::Str(_));
        match self {
            Ty::Int => int,
            Ty::Bool => matches!(value, Value::Bool(_)),
            Ty::Str => s,
            Ty::Float => matches!(value, Value::Float(_)),
            Ty::List => matches!(value, Value::Seq(_)),
            Ty::Dict => matches!(value, Value::Map(_)),
            Ty::StrInt => s || int,
            Ty::ListStrInt => s || int || matches!(value, Value::Seq(_)),
            Ty::DictList => matches!(value, Value::Map(_) | Value::Seq(_)),
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Ty::Int => "an integer",
            Ty::Bool => "true or false",
            Ty::Str => "a string",
            Ty::Float => "a float (such as 1.0)",
            Ty::List => "a list",
            Ty::Dict => "a mapping",
            Ty::StrInt => "a name or a number",
            Ty::ListStrInt => "a port, or a list of ports",
            Ty::DictList => "a mapping or a list",
        }
    }
}

/// A key schema: each known key and its type.
pub(crate) type Schema = [(&'static str, Ty)];

/// Collects errors and warnings, and knows the file names for positions.
pub(crate) struct Ctx<'a> {
    pub files: &'a [LoadedFile],
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<ConfigWarning>,
    /// Objects (by node identity) that FAUCET has already changed in place, for the few
    /// places where a second use of the same object then fails.
    changed: std::collections::HashSet<(&'static str, u64)>,
}

impl<'a> Ctx<'a> {
    pub fn new(files: &'a [LoadedFile]) -> Self {
        Ctx {
            files,
            errors: Vec::new(),
            warnings: Vec::new(),
            changed: std::collections::HashSet::new(),
        }
    }

    /// Records that FAUCET changes the object `id` in place (as `kind`); returns whether it
    /// had been changed before.
    pub fn changed_before(&mut self, kind: &'static str, id: u64) -> bool {
        id != 0 && !self.changed.insert((kind, id))
    }

    fn file_name(&self, pos: Pos) -> String {
        self.files
            .get(pos.file as usize)
            .map(|f| f.display.clone())
            .unwrap_or_default()
    }

    /// Records an error at `pos`.
    pub fn error(&mut self, pos: Pos, path: &str, reason: impl Into<String>) {
        let error = ConfigError {
            file: self.file_name(pos),
            line: pos.line,
            col: pos.col,
            path: path.to_string(),
            reason: reason.into(),
        };
        if !self.errors.contains(&error) {
            self.errors.push(error);
        }
    }

    /// Records a warning at `pos`.
    pub fn warn(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.note(WarningKind::Warning, pos, path, message);
    }

    /// Records, at `pos`, that a sluice extension FAUCET rejects is used.
    pub fn extension(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.note(WarningKind::Extension, pos, path, message);
    }

    fn note(&mut self, kind: WarningKind, pos: Pos, path: &str, message: impl Into<String>) {
        let warning = ConfigWarning {
            kind,
            file: self.file_name(pos),
            line: pos.line,
            col: pos.col,
            path: path.to_string(),
            message: message.into(),
        };
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    /// The number of errors so far (to tell whether a step added any).
    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// Checks a mapping against a schema (FAUCET's `_check_unknown_conf` and
    /// `_check_conf_types`). Returns `None`, after recording an error, when `node` is not a
    /// mapping.
    pub fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        what: &str,
        schema: &'static Schema,
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.error(
                node.pos,
                path,
                format!("{what} must be a mapping, not {}", node.value.type_name()),
            );
            return None;
        };
        Some(self.fields_of(entries, node.pos, path, what, schema))
    }

    /// [`Ctx::fields`] on the entries of a mapping.
    pub fn fields_of<'n, I>(
        &mut self,
        entries: I,
        pos: Pos,
        path: &str,
        what: &str,
        schema: &'static Schema,
    ) -> Fields<'n>
    where
        I: IntoIterator<Item = &'n (Node, Node)>,
    {
        let mut fields = Fields {
            path: path.to_string(),
            pos,
            present: Vec::new(),
            wrong: Vec::new(),
            nulls: Vec::new(),
        };
        for (key, value) in entries {
            let known = key
                .value
                .as_str()
                .and_then(|k| schema.iter().find(|(name, _)| *name == k));
            let Some(&(name, ty)) = known else {
                let shown = key.value.py_str();
                let mut reason = format!("unknown key {} in {what}", key.value.py_repr());
                if let Some(s) = key.value.as_str()
                    && let Some(hint) = suggest(s, schema.iter().map(|(n, _)| *n))
                {
                    reason.push_str(&format!(" (did you mean '{hint}'?)"));
                }
                self.error(key.pos, &join(path, &shown), reason);
                continue;
            };
            if matches!(value.value, Value::Null) {
                fields.nulls.push(name);
                continue;
            }
            if !ty.accepts(&value.value) {
                self.error(
                    value.pos,
                    &join(path, name),
                    format!(
                        "must be {}, not {} ({})",
                        ty.describe(),
                        value.value.type_name(),
                        short(&value.value)
                    ),
                );
                fields.wrong.push(name);
                continue;
            }
            fields.present.push((name, value));
        }
        fields
    }
}

/// A value shortened for messages.
pub(crate) fn short(value: &Value) -> String {
    let text = value.py_repr();
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(37).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// `path.key` (or `key` at the top).
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        let mut out = String::with_capacity(path.len() + key.len() + 1);
        out.push_str(path);
        out.push('.');
        out.push_str(key);
        out
    }
}

/// `path[index]`.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The closest known name, for "did you mean" hints.
pub(crate) fn suggest<'k>(word: &str, known: impl Iterator<Item = &'k str>) -> Option<&'k str> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in known {
        let d = edit_distance(word, candidate);
        let limit = (candidate.len().max(word.len()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The checked keys of one mapping.
pub(crate) struct Fields<'n> {
    /// The mapping's path.
    pub path: String,
    /// The mapping's position.
    pub pos: Pos,
    present: Vec<(&'static str, &'n Node)>,
    wrong: Vec<&'static str>,
    nulls: Vec<&'static str>,
}

impl<'n> Fields<'n> {
    /// The value of a known key, if present, not null, and of the right type.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.present
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, node)| *node)
    }

    /// Whether the key had a type error (so checks that depend on it are skipped).
    pub fn wrong(&self, key: &str) -> bool {
        self.wrong.contains(&key)
    }

    /// Whether the key was written with an explicit null.
    pub fn is_null(&self, key: &str) -> bool {
        self.nulls.contains(&key)
    }

    /// Path of a key.
    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Position of a key's value, or of the mapping.
    pub fn pos_of(&self, key: &str) -> Pos {
        self.get(key).map_or(self.pos, |n| n.pos)
    }

    /// An integer (booleans as 0/1).
    pub fn int(&self, key: &str) -> Option<i128> {
        self.get(key).and_then(|n| n.value.as_int())
    }

    /// A boolean.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key).map(|n| &n.value) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// A string.
    pub fn str(&self, key: &str) -> Option<&'n str> {
        self.get(key).and_then(|n| n.value.as_str())
    }

    /// A float.
    pub fn float(&self, key: &str) -> Option<f64> {
        match self.get(key).map(|n| &n.value) {
            Some(Value::Float(f)) => Some(*f),
            _ => None,
        }
    }

    /// A list.
    pub fn list(&self, key: &str) -> Option<&'n [Node]> {
        match self.get(key).map(|n| &n.value) {
            Some(Value::Seq(items)) => Some(items),
            _ => None,
        }
    }

    /// A mapping's entries.
    pub fn map(&self, key: &str) -> Option<&'n [(Node, Node)]> {
        match self.get(key).map(|n| &n.value) {
            Some(Value::Map(entries)) => Some(entries),
            _ => None,
        }
    }

    /// The present keys, in the order written.
    pub fn present(&self) -> impl Iterator<Item = (&'static str, &'n Node)> + '_ {
        self.present.iter().copied()
    }
}

/// Python truthiness.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Seq(items) => !items.is_empty(),
        Value::Map(entries) => !entries.is_empty(),
        Value::Date(_) | Value::Opaque(_) => true,
    }
}

/// Saturating conversion of a Python int to `i64`.
pub(crate) fn sat_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}
