//! YAML text to a tree of positioned values, resolved the way FAUCET's loader does it.
//!
//! FAUCET loads its files with `ruamel.yaml` `YAML(typ="safe")`, which follows YAML 1.2. That
//! decides, for every plain scalar, whether it is a bool, an int, a float, a date, a null or a
//! string, and FAUCET's type checks then run on the result (`enabled: yes` is the *string*
//! "yes" and is rejected; `017` is the *int* 17; `2019-01-01` is a date and fits no key). The
//! typed deserialisers of the Rust YAML crates resolve scalars with other rules, so this module
//! reads the event stream of serde-saphyr's parser (`granit-parser`, re-exported by
//! serde-saphyr) and builds the values itself:
//!
//! * plain scalars are resolved with ruamel's YAML 1.2 implicit resolvers; quoted and block
//!   scalars are strings; the standard `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
//!   `!!binary`, `!!timestamp`, `!!set`, `!!seq` and `!!map` tags are honoured, any other tag
//!   is an error (as in FAUCET);
//! * anchors and aliases work; merge keys (`<<`) are flattened with ruamel's precedence;
//! * a repeated key in one mapping is an error, with Python's idea of equality (`1`, `0x1`
//!   and `true` are the same key, `"1"` is another one);
//! * only one document per file.
//!
//! Every node keeps its line and column, so later errors can point at it.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span, StructureStyle, Tag};

/// Which loaded file a node came from (an index into the loader's file table).
pub(crate) type FileId = u32;

/// Where a node starts: file, 1-based line and 1-based column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
}

/// A YAML node: a value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub pos: Pos,
    /// Identity of a mapping or sequence (0 for scalars): an alias refers to the same object
    /// as its anchor, as in Python, which matters where FAUCET changes a shared object.
    pub id: u64,
}

/// A loaded value, with the Python type FAUCET would see.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `~`, `null`, an empty value.
    Null,
    /// `true`/`false` (three spellings each).
    Bool(bool),
    /// An integer. Python's are unbounded; values beyond `i128` saturate.
    Int(i128),
    /// A float (`1.5`, `1e3`, `.inf`).
    Float(f64),
    /// A string.
    Str(String),
    /// A YAML timestamp (`2019-01-01`): a `datetime.date` in FAUCET, which fits no key.
    Date(String),
    /// `!!binary` (Python `bytes`), or `!!set` (Python `set`): values no FAUCET key accepts.
    Opaque(&'static str),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, with unique keys in Python dict order.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// The name of this value's type, as a user would say it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Date(_) => "a date",
            Value::Opaque(what) => what,
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Python's `str()` of a scalar value (used where FAUCET compares keys as strings).
    pub fn py_str(&self) -> String {
        match self {
            Value::Null => "None".to_string(),
            Value::Bool(true) => "True".to_string(),
            Value::Bool(false) => "False".to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => py_float_str(*f),
            Value::Str(s) => s.clone(),
            Value::Date(d) => d.clone(),
            Value::Opaque(what) => format!("<{what}>"),
            Value::Seq(items) => {
                let inner: Vec<String> = items.iter().map(|n| n.value.py_repr()).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Map(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.value.py_repr(), v.value.py_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    /// Python's `repr()`-like rendering, for messages.
    pub fn py_repr(&self) -> String {
        match self {
            Value::Str(s) => format!("'{s}'"),
            other => other.py_str(),
        }
    }

    /// The value as a string slice, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Python `isinstance(v, int)`: integers and booleans.
    pub fn as_int(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i128::from(*b)),
            _ => None,
        }
    }
}

/// Python's `str()` of a float: `1.0`, `0.5`, `1e+300`, `inf`, `nan`.
pub(crate) fn py_float_str(f: f64) -> String {
    if f.is_nan() {
        "nan".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// A YAML problem: the message and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub message: String,
    pub line: u32,
    pub col: u32,
}

/// The most nested collections accepted (deeper input is rejected, not recursed into).
const MAX_DEPTH: usize = 128;
/// The most nodes one file may expand to, counting alias copies (alias-bomb guard).
const MAX_NODES: usize = 4_000_000;

/// Parses one YAML file. `Ok(None)` is an empty stream (no document).
pub(crate) fn parse(text: &str, file: FileId) -> Result<Option<Node>, YamlError> {
    Builder::new(file).run(text)
}

/// What a mapping key means, for Python-style duplicate detection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyId {
    Null,
    /// Ints, bools and integral floats (Python: `1 == 1.0 == True`).
    Num(i128),
    Float(u64),
    Str(String),
    Date(String),
    Tuple(Vec<KeyId>),
    Opaque(&'static str),
}

/// Whether a value can be a mapping key (Python: hashable), without building its [`KeyId`].
fn key_id_check(value: &Value) -> Result<(), &'static str> {
    match value {
        Value::Map(_) | Value::Opaque("a set") => Err("found unhashable key"),
        Value::Seq(items) => {
            for item in items {
                if matches!(item.value, Value::Seq(_) | Value::Map(_)) {
                    return Err("found unhashable key");
                }
                key_id_check(&item.value)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Python `==` between two hashable key values.
fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Str(_), _) | (_, Value::Str(_)) => false,
        _ => key_id(a).ok() == key_id(b).ok(),
    }
}

fn key_id(value: &Value) -> Result<KeyId, &'static str> {
    Ok(match value {
        Value::Null => KeyId::Null,
        Value::Bool(b) => KeyId::Num(i128::from(*b)),
        Value::Int(i) => KeyId::Num(*i),
        Value::Float(f) => {
            if f.is_finite() && *f == f.trunc() && f.abs() < 1e30 {
                // An integral float equals the int of the same value in Python.
                #[allow(clippy::cast_possible_truncation)]
                KeyId::Num(*f as i128)
            } else {
                KeyId::Float(f.to_bits())
            }
        }
        Value::Str(s) => KeyId::Str(s.clone()),
        Value::Date(d) => KeyId::Date(d.clone()),
        Value::Opaque("a set") => return Err("found unhashable key"),
        Value::Opaque(what) => KeyId::Opaque(what),
        Value::Seq(items) => {
            // ruamel turns a list key into a tuple; a tuple holding a list or a dict cannot
            // be hashed.
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                if matches!(item.value, Value::Seq(_) | Value::Map(_)) {
                    return Err("found unhashable key");
                }
                ids.push(key_id(&item.value)?);
            }
            KeyId::Tuple(ids)
        }
        Value::Map(_) => return Err("found unhashable key"),
    })
}

/// A scalar's meaning before it becomes a [`Value`]: merge and value keys are special.
enum Scalar {
    Value(Value),
    /// A plain `<<`: the merge key.
    Merge,
    /// A plain `=`: ruamel's "value" tag, an error except as a mapping key.
    ValueKey,
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Entry, Node)>,
        key: Option<Entry>,
        pos: Pos,
        anchor: usize,
        tag_set: bool,
    },
}

/// A mapping key as written, before merge keys are flattened.
struct Entry {
    node: Node,
    merge: bool,
}

/// A finished node, plus whether it was a merge key (only meaningful as a mapping key).
struct Done {
    node: Node,
    merge: bool,
    /// A plain `=`, which is only allowed as a mapping key.
    value_key: bool,
}

struct Builder {
    file: FileId,
    /// Lines (1-based) that start inside a flow collection or a multi-line quoted or plain
    /// scalar, where tabs are allowed.
    tab_ok: Vec<(usize, usize)>,
    /// Block scalars (`|`, `>`): the header's line.
    block_scalars: Vec<usize>,
    /// Open flow collections: their first line.
    flow_open: Vec<Option<usize>>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
    next_id: u64,
}

impl Builder {
    fn new(file: FileId) -> Self {
        Builder {
            file,
            tab_ok: Vec::new(),
            block_scalars: Vec::new(),
            flow_open: Vec::new(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            root: None,
            documents: 0,
            next_id: u64::from(file) << 32,
        }
    }

    fn pos(&self, span: &Span) -> Pos {
        Pos {
            file: self.file,
            line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            col: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        }
    }

    fn err(pos: Pos, message: impl Into<String>) -> YamlError {
        YamlError {
            message: message.into(),
            line: pos.line,
            col: pos.col,
        }
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(Self::err(
                pos,
                "the document expands to too many values (aliases nested too deeply?)",
            ));
        }
        Ok(())
    }

    fn run(mut self, text: &str) -> Result<Option<Node>, YamlError> {
        let mut parser = Parser::new_from_str(text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| YamlError {
                message: e.info(),
                line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
                col: u32::try_from(e.marker().col() + 1).unwrap_or(u32::MAX),
            })?;
            let pos = self.pos(&span);
            match event {
                Event::DocumentStart(..) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(Self::err(
                            pos,
                            "expected a single document in the file, found another one",
                        ));
                    }
                    // Anchors do not cross documents.
                    self.anchors.clear();
                }
                Event::Scalar(text, style, anchor, tag) => {
                    match style {
                        ScalarStyle::Literal | ScalarStyle::Folded => {
                            self.block_scalars.push(span.start.line());
                        }
                        _ if span.end.line() > span.start.line() => {
                            self.tab_ok.push((span.start.line() + 1, span.end.line()));
                        }
                        _ => {}
                    }
                    let scalar = resolve_scalar(&text, style, tag.as_deref())
                        .map_err(|m| Self::err(pos, m))?;
                    self.count(1, pos)?;
                    let done = match scalar {
                        Scalar::Value(value) => Done {
                            node: Node { value, pos, id: 0 },
                            merge: false,
                            value_key: false,
                        },
                        Scalar::Merge => Done {
                            node: Node {
                                value: Value::Str("<<".to_string()),
                                pos,
                                id: 0,
                            },
                            merge: true,
                            value_key: false,
                        },
                        Scalar::ValueKey => Done {
                            node: Node {
                                value: Value::Str("=".to_string()),
                                pos,
                                id: 0,
                            },
                            merge: false,
                            value_key: true,
                        },
                    };
                    if anchor != 0 {
                        self.anchors.insert(anchor, (done.node.clone(), 1));
                    }
                    self.push(done)?;
                }
                Event::Alias(id) => {
                    let Some((node, size)) = self.anchors.get(&id) else {
                        return Err(Self::err(
                            pos,
                            "this alias refers to an anchor that is not complete yet \
                             (recursive aliases are not supported)",
                        ));
                    };
                    let (node, size) = (node.clone(), *size);
                    self.count(size, pos)?;
                    self.push(Done {
                        node,
                        merge: false,
                        value_key: false,
                    })?;
                }
                Event::SequenceStart(style, anchor, tag) => {
                    self.open(pos)?;
                    self.flow_open
                        .push((style == StructureStyle::Flow).then_some(span.start.line()));
                    if let Some(tag) = tag.as_deref() {
                        check_collection_tag(tag, "seq").map_err(|m| Self::err(pos, m))?;
                    }
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        pos,
                        anchor,
                    });
                }
                Event::MappingStart(style, anchor, tag) => {
                    self.open(pos)?;
                    self.flow_open
                        .push((style == StructureStyle::Flow).then_some(span.start.line()));
                    let mut tag_set = false;
                    if let Some(tag) = tag.as_deref() {
                        if tag.core_suffix() == Some("set")
                            || (tag.handle() == "tag:yaml.org,2002:" && tag.suffix() == "set")
                        {
                            tag_set = true;
                        } else {
                            check_collection_tag(tag, "map").map_err(|m| Self::err(pos, m))?;
                        }
                    }
                    self.stack.push(Frame::Map {
                        entries: Vec::with_capacity(4),
                        key: None,
                        pos,
                        anchor,
                        tag_set,
                    });
                }
                Event::SequenceEnd => {
                    self.close_flow(span.end.line());
                    let Some(Frame::Seq { items, pos, anchor }) = self.stack.pop() else {
                        return Err(Self::err(pos, "unbalanced sequence end"));
                    };
                    self.next_id += 1;
                    let node = Node {
                        value: Value::Seq(items),
                        pos,
                        id: self.next_id,
                    };
                    self.finish(node, anchor)?;
                }
                Event::MappingEnd => {
                    self.close_flow(span.end.line());
                    let Some(Frame::Map {
                        entries,
                        key,
                        pos,
                        anchor,
                        tag_set,
                    }) = self.stack.pop()
                    else {
                        return Err(Self::err(pos, "unbalanced mapping end"));
                    };
                    if key.is_some() {
                        return Err(Self::err(pos, "a mapping key has no value"));
                    }
                    let value = if tag_set {
                        Value::Opaque("a set")
                    } else {
                        Value::Map(construct_map(entries, pos)?)
                    };
                    self.next_id += 1;
                    self.finish(
                        Node {
                            value,
                            pos,
                            id: self.next_id,
                        },
                        anchor,
                    )?;
                }
                _ => {}
            }
        }
        check_tabs(text, &self.tab_ok, &self.block_scalars)?;
        Ok(self.root)
    }

    fn close_flow(&mut self, end_line: usize) {
        if let Some(Some(start)) = self.flow_open.pop()
            && end_line > start
        {
            self.tab_ok.push((start + 1, end_line));
        }
    }

    fn open(&mut self, pos: Pos) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Self::err(
                pos,
                format!("collections are nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.count(1, pos)
    }

    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            let size = node_count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.push(Done {
            node,
            merge: false,
            value_key: false,
        })
    }

    fn push(&mut self, done: Done) -> Result<(), YamlError> {
        let pos = done.node.pos;
        match self.stack.last_mut() {
            None => {
                if done.merge || done.value_key {
                    return Err(Self::err(
                        pos,
                        "could not determine a constructor for this plain scalar",
                    ));
                }
                self.root = Some(done.node);
            }
            Some(Frame::Seq { items, .. }) => {
                if done.merge || done.value_key {
                    return Err(Self::err(
                        pos,
                        "could not determine a constructor for this plain scalar",
                    ));
                }
                items.push(done.node);
            }
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    *key = Some(Entry {
                        node: done.node,
                        merge: done.merge,
                    });
                }
                Some(k) => {
                    if done.merge || done.value_key {
                        return Err(Self::err(
                            pos,
                            "could not determine a constructor for this plain scalar",
                        ));
                    }
                    entries.push((k, done.node));
                }
            },
        }
        Ok(())
    }
}

/// FAUCET's YAML parser (libyaml, through ruamel.yaml.clib) rejects tabs where an
/// indentation space is expected: at the start of a line in block context (even a blank or
/// comment line), after a block sequence entry `- ` or a `? `, and in the indentation of a
/// block scalar. Tabs inside flow collections and quoted scalars, after `key:` and at the end
/// of a line are fine.
fn check_tabs(
    text: &str,
    tab_ok: &[(usize, usize)],
    block_scalars: &[usize],
) -> Result<(), YamlError> {
    if !text.contains('\t') {
        return Ok(());
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let err = |line: usize, col: usize| YamlError {
        message: "found a tab character where an indentation space is expected (YAML \
                  indentation must use spaces)"
            .to_string(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(col + 1).unwrap_or(u32::MAX),
    };
    let mut in_block_scalar: Option<(usize, Option<usize>)> = None;
    for (i, raw) in lines.iter().enumerate() {
        let number = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let bytes = line.as_bytes();
        let spaces = bytes.iter().take_while(|&&b| b == b' ').count();
        if let Some((header, indent)) = in_block_scalar
            && number > header
        {
            {
                let rest = &bytes[spaces..];
                let blank = rest.iter().all(|&b| b == b' ' || b == b'\t');
                match indent {
                    None => {
                        if rest.first() == Some(&b'\t') {
                            return Err(err(number, spaces));
                        }
                        if !blank {
                            in_block_scalar = Some((header, Some(spaces)));
                        }
                        continue;
                    }
                    Some(indent) => {
                        if spaces < indent && rest.first() == Some(&b'\t') {
                            return Err(err(number, spaces));
                        }
                        if spaces >= indent || rest.is_empty() {
                            continue;
                        }
                        in_block_scalar = None;
                    }
                }
            }
        }
        if block_scalars.contains(&number) {
            in_block_scalar = Some((number, None));
        }
        if tab_ok.iter().any(|&(a, b)| (a..=b).contains(&number)) {
            continue;
        }
        if in_block_scalar.is_some_and(|(header, _)| header < number) {
            continue;
        }
        // Block context: spaces, then `- ` / `? ` indicators separated by blanks.
        let mut j = spaces;
        loop {
            match bytes.get(j) {
                Some(b'\t') => return Err(err(number, j)),
                Some(b'-' | b'?') if bytes.get(j + 1).is_none_or(|b| *b == b' ' || *b == b'\t') => {
                    j += 1;
                    while bytes.get(j) == Some(&b' ') {
                        j += 1;
                    }
                }
                _ => break,
            }
        }
    }
    Ok(())
}

fn node_count(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| node_count(k) + node_count(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// Builds a Python dict from a mapping's entries, flattening merge keys as ruamel does.
fn construct_map(entries: Vec<(Entry, Node)>, pos: Pos) -> Result<Vec<(Node, Node)>, YamlError> {
    let mut merged: Vec<(Node, Node)> = Vec::new();
    let mut own: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if !key.merge {
            own.push((key.node, value));
            continue;
        }
        if !merged.is_empty() {
            return Err(Builder::err(
                key.node.pos,
                "found a second merge key \"<<\" in this mapping",
            ));
        }
        match value.value {
            Value::Map(items) => merged.extend(items),
            Value::Seq(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    match item.value {
                        Value::Map(sub) => parts.push(sub),
                        other => {
                            return Err(Builder::err(
                                item.pos,
                                format!(
                                    "expected a mapping for merging, but found {}",
                                    other.type_name()
                                ),
                            ));
                        }
                    }
                }
                // The first mapping in the list wins: ruamel reverses the list and lets
                // later entries override earlier ones.
                for part in parts.into_iter().rev() {
                    merged.extend(part);
                }
            }
            other => {
                return Err(Builder::err(
                    value.pos,
                    format!(
                        "expected a mapping or list of mappings for merging, but found {}",
                        other.type_name()
                    ),
                ));
            }
        }
    }
    let check_duplicates = merged.is_empty();
    let total = merged.len() + own.len();
    let mut out: Vec<(Node, Node)> = Vec::with_capacity(total);
    // Small mappings (almost all of a configuration) are checked pairwise, without hashing.
    let mut index: Option<HashMap<KeyId, usize>> =
        (total > 16).then(|| HashMap::with_capacity(total));
    for (key, value) in merged.into_iter().chain(own) {
        let found = match &mut index {
            Some(index) => {
                let id = key_id(&key.value).map_err(|m| Builder::err(key.pos, m))?;
                match index.get(&id) {
                    Some(&at) => Some(at),
                    None => {
                        index.insert(id, out.len());
                        None
                    }
                }
            }
            None => {
                // Validate hashability as ruamel does.
                key_id_check(&key.value).map_err(|m| Builder::err(key.pos, m))?;
                out.iter().position(|(k, _)| py_eq(&k.value, &key.value))
            }
        };
        match found {
            Some(at) => {
                if check_duplicates {
                    return Err(Builder::err(
                        key.pos,
                        format!(
                            "duplicate key {} in a mapping (first defined at line {})",
                            key.value.py_repr(),
                            out[at].0.pos.line
                        ),
                    ));
                }
                // Python dict update: the later value wins, the key keeps its place.
                out[at].1 = value;
            }
            None => out.push((key, value)),
        }
    }
    let _ = pos;
    Ok(out)
}

fn check_collection_tag(tag: &Tag, kind: &str) -> Result<(), String> {
    if tag.handle() == "tag:yaml.org,2002:" && tag.suffix() == kind {
        return Ok(());
    }
    Err(format!(
        "could not determine a constructor for the tag '{}{}'",
        tag.handle(),
        tag.suffix()
    ))
}

fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Scalar, String> {
    if let Some(tag) = tag {
        if tag.handle() == "!" && tag.suffix().is_empty() {
            // The non-specific tag `!` makes a scalar a string.
            return Ok(Scalar::Value(Value::Str(text.to_string())));
        }
        if tag.handle() != "tag:yaml.org,2002:" {
            return Err(format!(
                "could not determine a constructor for the tag '{}{}'",
                tag.handle(),
                tag.suffix()
            ));
        }
        let value = match tag.suffix() {
            "str" => Value::Str(text.to_string()),
            "int" => Value::Int(construct_int(text)?),
            "float" => Value::Float(construct_float(text)?),
            "bool" => match text.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "y" => Value::Bool(true),
                "false" | "no" | "off" | "n" => Value::Bool(false),
                _ => return Err(format!("'{text}' is not a boolean")),
            },
            "null" => Value::Null,
            "binary" => Value::Opaque("binary data"),
            "timestamp" => Value::Date(text.to_string()),
            "merge" => return Ok(Scalar::Merge),
            other => {
                return Err(format!(
                    "could not determine a constructor for the tag 'tag:yaml.org,2002:{other}'"
                ));
            }
        };
        return Ok(Scalar::Value(value));
    }
    if style != ScalarStyle::Plain {
        return Ok(Scalar::Value(Value::Str(text.to_string())));
    }
    resolve_plain(text)
}

/// ruamel's YAML 1.2 implicit resolution of a plain scalar.
fn resolve_plain(s: &str) -> Result<Scalar, String> {
    // Fast path: plain decimal digits (port numbers, VIDs, ...).
    if !s.is_empty() && s.len() <= 30 && s.bytes().all(|b| b.is_ascii_digit()) {
        let mut value: i128 = 0;
        for b in s.bytes() {
            value = value * 10 + i128::from(b - b'0');
        }
        return Ok(Scalar::Value(Value::Int(value)));
    }
    let first = s.chars().next();
    let value = match first {
        None => Value::Null,
        Some('~') if s == "~" => Value::Null,
        Some('n' | 'N') if matches!(s, "null" | "Null" | "NULL") => Value::Null,
        Some('t' | 'T' | 'f' | 'F') => match s {
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => Value::Str(s.to_string()),
        },
        Some('<') if s == "<<" => return Ok(Scalar::Merge),
        Some('=') if s == "=" => return Ok(Scalar::ValueKey),
        Some(c) if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => {
            if is_float(s) {
                Value::Float(construct_float(s)?)
            } else if is_int(s) {
                Value::Int(construct_int(s)?)
            } else if c.is_ascii_digit() && is_timestamp(s) {
                check_timestamp(s)?;
                Value::Date(s.to_string())
            } else {
                Value::Str(s.to_string())
            }
        }
        Some(_) => Value::Str(s.to_string()),
    };
    Ok(Scalar::Value(value))
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

/// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?[0-9_]+ | [-+]?0x[0-9a-fA-F_]+`
fn is_int(s: &str) -> bool {
    let u = strip_sign(s);
    if let Some(rest) = u.strip_prefix("0b") {
        return all(rest, |c| matches!(c, '0' | '1' | '_'));
    }
    if let Some(rest) = u.strip_prefix("0x") {
        return all(rest, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if let Some(rest) = u.strip_prefix("0o")
        && all(rest, |c| matches!(c, '0'..='7' | '_'))
    {
        return true;
    }
    all(u, |c| c.is_ascii_digit() || c == '_')
}

/// ruamel's 1.2 float resolver.
fn is_float(s: &str) -> bool {
    let u = strip_sign(s);
    if matches!(u, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let digits_us = |t: &str| t.chars().all(|c| c.is_ascii_digit() || c == '_');
    let exponent = |t: &str, sign_required: bool| -> bool {
        // [eE][-+]?[0-9]+ (sign required in the `.5e+1` form)
        let Some(t) = t.strip_prefix(['e', 'E']) else {
            return false;
        };
        let unsigned = t.strip_prefix(['-', '+']);
        if sign_required && unsigned.is_none() {
            return false;
        }
        let t = unsigned.unwrap_or(t);
        all(t, |c| c.is_ascii_digit())
    };
    if let Some(frac_and_exp) = u.strip_prefix('.') {
        // [-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        let end = frac_and_exp.find(['e', 'E']).unwrap_or(frac_and_exp.len());
        let (frac, exp) = frac_and_exp.split_at(end);
        return !frac.is_empty() && digits_us(frac) && (exp.is_empty() || exponent(exp, true));
    }
    // [0-9][0-9_]* then either \.[0-9_]*(exp)? or exp
    if !u.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let int_end = u
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(u.len());
    let rest = &u[int_end..];
    if let Some(after_dot) = rest.strip_prefix('.') {
        let end = after_dot.find(['e', 'E']).unwrap_or(after_dot.len());
        let (frac, exp) = after_dot.split_at(end);
        return digits_us(frac) && (exp.is_empty() || exponent(exp, false));
    }
    !rest.is_empty() && exponent(rest, false)
}

/// `[0-9]{4}-[0-9]{2}-[0-9]{2}` or the long date-time form.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if b.len() == 10
        && (0..4).all(d)
        && b[4] == b'-'
        && d(5)
        && d(6)
        && b[7] == b'-'
        && d(8)
        && d(9)
    {
        return true;
    }
    // [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?
    //   ([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?
    let mut i = 0;
    let digits = |i: &mut usize, min: usize, max: usize| -> bool {
        let start = *i;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start >= min
    };
    let lit = |i: &mut usize, c: u8| -> bool {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    if !(digits(&mut i, 4, 4) && lit(&mut i, b'-') && digits(&mut i, 1, 2) && lit(&mut i, b'-')) {
        return false;
    }
    if !digits(&mut i, 1, 2) {
        return false;
    }
    if lit(&mut i, b'T') || lit(&mut i, b't') {
    } else {
        let start = i;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if !(digits(&mut i, 1, 2)
        && lit(&mut i, b':')
        && digits(&mut i, 2, 2)
        && lit(&mut i, b':')
        && digits(&mut i, 2, 2))
    {
        return false;
    }
    if lit(&mut i, b'.') {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    if i == b.len() {
        return true;
    }
    if lit(&mut i, b'Z') {
        return i == b.len();
    }
    if lit(&mut i, b'-') || lit(&mut i, b'+') {
        if !digits(&mut i, 1, 2) {
            return false;
        }
        if lit(&mut i, b':') && !digits(&mut i, 2, 2) {
            return false;
        }
        return i == b.len();
    }
    false
}

/// A timestamp whose fields are out of range is a load error in FAUCET (Python raises).
fn check_timestamp(s: &str) -> Result<(), String> {
    let mut parts = s.splitn(3, '-');
    let year: i32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let month: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let day: u32 = parts
        .next()
        .map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("'{s}' is not a valid date (month must be 1..12)")),
    };
    if year < 1 || day < 1 || day > days {
        return Err(format!("'{s}' is not a valid date"));
    }
    Ok(())
}

/// ruamel's `construct_yaml_int` for YAML 1.2.
pub(crate) fn construct_int(text: &str) -> Result<i128, String> {
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    let bad = || format!("invalid integer '{text}'");
    let (digits, radix) = if let Some(rest) = body.strip_prefix("0b") {
        (rest, 2)
    } else if let Some(rest) = body.strip_prefix("0x") {
        (rest, 16)
    } else if let Some(rest) = body.strip_prefix("0o") {
        (rest, 8)
    } else {
        (body, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(bad());
    }
    let mut value: i128 = 0;
    for c in digits.chars() {
        let d = i128::from(c.to_digit(radix).unwrap_or(0));
        value = value.saturating_mul(i128::from(radix)).saturating_add(d);
    }
    Ok(if negative { -value } else { value })
}

fn construct_float(text: &str) -> Result<f64, String> {
    let cleaned: String = text
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let (negative, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    let value = match body {
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        _ => body
            .parse::<f64>()
            .map_err(|_| format!("invalid float '{text}'"))?,
    };
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        let node = parse(&format!("a: {text}\n"), 0).unwrap().unwrap();
        match node.value {
            Value::Map(mut entries) => entries.remove(0).1.value,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scalars_resolve_like_ruamel_yaml_1_2() {
        assert_eq!(value("yes"), Value::Str("yes".into()));
        assert_eq!(value("True"), Value::Bool(true));
        assert_eq!(value("017"), Value::Int(17));
        assert_eq!(value("0o17"), Value::Int(15));
        assert_eq!(value("0x5adc15c0"), Value::Int(0x5adc_15c0));
        assert_eq!(value("0b101"), Value::Int(5));
        assert_eq!(value("1_000"), Value::Int(1000));
        assert_eq!(value("+1"), Value::Int(1));
        assert_eq!(value("-0x10"), Value::Int(-16));
        assert_eq!(value("1e3"), Value::Float(1000.0));
        assert_eq!(value("1."), Value::Float(1.0));
        assert_eq!(value(".5"), Value::Float(0.5));
        assert_eq!(value("2019-01-01"), Value::Date("2019-01-01".into()));
        assert_eq!(
            value("00:00:00:00:00:01"),
            Value::Str("00:00:00:00:00:01".into())
        );
        assert_eq!(value("12:30"), Value::Str("12:30".into()));
        assert_eq!(value("'5'"), Value::Str("5".into()));
        assert_eq!(value("!!str 5"), Value::Str("5".into()));
        assert_eq!(value("!!int '0x10'"), Value::Int(16));
        assert_eq!(value("~"), Value::Null);
        assert_eq!(value(""), Value::Null);
        assert_eq!(value("0o"), Value::Str("0o".into()));
        assert_eq!(value("NaN"), Value::Str("NaN".into()));
        assert!(matches!(value(".NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(value("0x1g"), Value::Str("0x1g".into()));
    }

    #[test]
    fn bad_scalars_fail_the_file() {
        assert!(parse("a: 0x_\n", 0).is_err());
        assert!(parse("a: =\n", 0).is_err());
        assert!(parse("a: !foo 5\n", 0).is_err());
        assert!(parse("a: 2019-13-01\n", 0).is_err());
    }

    #[test]
    fn duplicate_keys_use_python_equality() {
        assert!(parse("a: 1\na: 2\n", 0).is_err());
        assert!(parse("1: a\ntrue: b\n", 0).is_err());
        assert!(parse("1: a\n0x1: b\n", 0).is_err());
        assert!(parse("1: a\n'1': b\n", 0).is_ok());
    }

    #[test]
    fn merge_keys_follow_ruamel_precedence() {
        let text = "b: &b {x: 1, y: 1}\nc: &c {y: 2, z: 2}\nd:\n  <<: [*b, *c]\n  z: 3\n";
        let node = parse(text, 0).unwrap().unwrap();
        let Value::Map(top) = node.value else {
            panic!()
        };
        let Value::Map(d) = &top[2].1.value else {
            panic!()
        };
        let got: Vec<(String, String)> = d
            .iter()
            .map(|(k, v)| (k.value.py_str(), v.value.py_str()))
            .collect();
        let want = [("y", "1"), ("z", "3"), ("x", "1")];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
        assert!(parse("a: {<<: 5}\n", 0).is_err());
        assert!(parse("b: &b {x: 1}\na: {<<: *b, <<: *b}\n", 0).is_err());
    }

    #[test]
    fn tabs_follow_libyaml() {
        assert!(parse("a:\tb\n", 0).is_ok());
        assert!(parse("a: b\t\n", 0).is_ok());
        assert!(parse("{a:\tb}\n", 0).is_ok());
        assert!(parse("a: [1,\n\t2]\n", 0).is_ok());
        assert!(parse("a: \"x\ty\"\n", 0).is_ok());
        assert!(parse("\ta: 1\n", 0).is_err());
        assert!(parse("a:\n\t- b\n", 0).is_err());
        assert!(parse("a:\n  - \tb\n", 0).is_err());
        assert!(parse("a: |\n  \tx\n", 0).is_err());
        assert!(parse("a: |\n  x\tx\n", 0).is_ok());
    }

    #[test]
    fn more_than_one_document_is_an_error() {
        assert!(parse("a: 1\n---\nb: 2\n", 0).is_err());
        assert_eq!(parse("", 0).unwrap(), None);
    }

    #[test]
    fn nesting_and_alias_bombs_are_bounded() {
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(parse(&deep, 0).is_err());
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(parse(&bomb, 0).is_err());
    }
}
