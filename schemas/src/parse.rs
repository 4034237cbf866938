//! Reading a contract document: size and encoding checks, a nesting-depth
//! pre-scan, YAML parsing with line/column errors, alias-bomb protection,
//! duplicate-key refusal, and typed access.

use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::DeserializeSeed;
use serde_json::Value;

use crate::model::Contract;
use crate::path::{FieldPath, Segment};
use crate::positions::{self, Pos, Positions};
use crate::prescan::{self, MAX_DEPTH};
use crate::value::{Checked, DUPLICATE_KEY};

/// Contracts larger than this are refused before parsing.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Most nodes a document may have once every alias is expanded. Real
/// contracts have a few thousand; a billion-laughs document has 10^9.
pub const MAX_EXPANDED_NODES: u64 = 250_000;

/// Why a document could not be read as YAML. Every variant has a position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("document is {size} bytes; the limit is {limit} bytes (1 MiB)")]
    TooLarge { size: usize, limit: usize },
    #[error(
        "document is not valid UTF-8: byte \\x{byte:02X} at offset {offset} (line {}, column {})",
        .pos.line,
        .pos.column
    )]
    NotUtf8 { pos: Pos, offset: usize, byte: u8 },
    #[error("document is empty; start from `steward init --domain D --product P`")]
    Empty,
    #[error("YAML syntax error: {message}")]
    Syntax { pos: Pos, message: String },
    #[error(
        "aliases expand to more than {limit} nodes (alias expansion bomb); write the values out instead of nesting aliases"
    )]
    AliasBomb { pos: Pos, limit: u64 },
    #[error("a contract is a YAML mapping (`key: value` lines), found {found}")]
    NotAMapping { pos: Pos, found: &'static str },
    #[error("nesting is deeper than {limit} levels; a contract needs a handful")]
    TooDeep { pos: Pos, limit: usize },
    #[error(
        "duplicate key `{}` at line {}, column {}: it is already at line {}, column {}; keep one",
        last_key(path), .second.line, .second.column, .first.line, .first.column
    )]
    DuplicateKey { path: FieldPath, first: Pos, second: Pos },
}

impl ParseError {
    pub fn pos(&self) -> Pos {
        match self {
            Self::TooLarge { .. } | Self::Empty => Pos::START,
            Self::NotUtf8 { pos, .. }
            | Self::Syntax { pos, .. }
            | Self::AliasBomb { pos, .. }
            | Self::NotAMapping { pos, .. }
            | Self::TooDeep { pos, .. } => *pos,
            Self::DuplicateKey { second, .. } => *second,
        }
    }
}

/// The last segment of a path, escaped for a message.
fn last_key(path: &FieldPath) -> String {
    match path.segments().last() {
        Some(Segment::Key(k)) => k.escape_debug().to_string(),
        Some(Segment::Index(i)) => i.to_string(),
        None => String::new(),
    }
}

/// A field of the wrong type for Steward's model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TypeError {
    pub path: FieldPath,
    pub message: String,
}

/// A YAML document read into JSON form, with positions on demand.
#[derive(Debug)]
pub struct Document {
    source: String,
    value: Value,
    positions: OnceLock<Positions>,
}

impl Document {
    /// Reads a contract from raw bytes. Never panics; every error has a position.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(ParseError::TooLarge { size: bytes.len(), limit: MAX_DOCUMENT_BYTES });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let offset = e.valid_up_to();
            ParseError::NotUtf8 { pos: pos_of_offset(bytes, offset), offset, byte: bytes[offset] }
        })?;
        Self::from_str(text)
    }

    /// Reads a contract from text. Never panics; every error has a position.
    #[allow(clippy::should_implement_trait)] // Fallible with its own error; FromStr adds nothing.
    pub fn from_str(text: &str) -> Result<Self, ParseError> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(ParseError::TooLarge { size: text.len(), limit: MAX_DOCUMENT_BYTES });
        }
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        if body.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
        }) {
            return Err(ParseError::Empty);
        }
        // Before any parser: yaml-rust2 recurses per level and libyaml's work per
        // token grows with the flow depth.
        prescan::scan_depth(body).map_err(|pos| ParseError::TooDeep { pos, limit: MAX_DEPTH })?;
        let mut positions = None;
        // Anchors are rare in contracts; only then is expansion measured before serde_yaml expands.
        if body.contains('&') {
            let scan = positions::scan(body, MAX_EXPANDED_NODES);
            if let Some(pos) = scan.too_deep_at {
                return Err(ParseError::TooDeep { pos, limit: MAX_DEPTH });
            }
            if let Some(pos) = scan.alias_bomb_at {
                return Err(ParseError::AliasBomb { pos, limit: MAX_EXPANDED_NODES });
            }
            positions = Some(scan);
        }
        let value = match Checked.deserialize(serde_yaml::Deserializer::from_str(body)) {
            Ok(v) => v,
            Err(e) if e.to_string().contains(DUPLICATE_KEY) => {
                let scan = positions.unwrap_or_else(|| positions::scan(body, u64::MAX));
                return Err(match scan.duplicate {
                    Some(d) => ParseError::DuplicateKey { path: d.path, first: d.first, second: d.second },
                    // The two parsers disagree on what the keys are: say where serde_yaml stopped.
                    None => syntax_error(&e),
                });
            }
            Err(e) => return Err(syntax_error(&e)),
        };
        if !value.is_object() {
            let found = match value {
                Value::Null => "nothing",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a single string",
                Value::Array(_) => "a list",
                Value::Object(_) => unreachable!("checked above"),
            };
            return Err(ParseError::NotAMapping { pos: first_content_pos(body), found });
        }
        let cell = OnceLock::new();
        if let Some(scan) = positions {
            let _ = cell.set(scan.positions);
        }
        Ok(Self { source: body.to_owned(), value, positions: cell })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The whole document as JSON: every field, including those Steward does not model.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Where `path` starts in the source (its nearest ancestor if it is missing).
    pub fn locate(&self, path: &FieldPath) -> Pos {
        self.positions.get_or_init(|| positions::scan(&self.source, u64::MAX).positions).locate(path)
    }

    /// The typed model. Fails on the first field of the wrong type.
    pub fn contract(&self) -> Result<Contract, TypeError> {
        serde_path_to_error::deserialize(&self.value)
            .map_err(|e| TypeError { path: FieldPath::from_serde_path(e.path()), message: e.inner().to_string() })
    }
}

/// Parses and types in one step, for callers that do not report schema findings.
pub fn parse_contract(text: &str) -> Result<(Document, Contract), String> {
    let doc = Document::from_str(text).map_err(|e| {
        let p = e.pos();
        format!("{}:{}: {e}", p.line, p.column)
    })?;
    let contract = doc.contract().map_err(|e| {
        let p = doc.locate(&e.path);
        format!("{}:{}: {e}", p.line, p.column)
    })?;
    Ok((doc, contract))
}

fn syntax_error(e: &serde_yaml::Error) -> ParseError {
    let pos = e.location().map(|l| Pos { line: l.line(), column: l.column() }).unwrap_or(Pos::START);
    // serde_yaml appends " at line L column C"; the position is reported separately.
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    // Only aliases can take a document past the pre-scan's depth bound.
    if message.contains("recursion limit exceeded") {
        return ParseError::TooDeep { pos, limit: MAX_DEPTH };
    }
    if message.contains("repetition limit exceeded") {
        return ParseError::AliasBomb { pos, limit: MAX_EXPANDED_NODES };
    }
    ParseError::Syntax { pos, message }
}

/// Line and column (in characters) of a byte offset; the bytes before it are valid UTF-8.
fn pos_of_offset(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let chars = before[line_start..].iter().filter(|b| (**b & 0xC0) != 0x80).count();
    Pos { line, column: chars + 1 }
}

fn first_content_pos(text: &str) -> Pos {
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') && trimmed != "---" {
            return Pos { line: i + 1, column: line.len() - trimmed.len() + 1 };
        }
    }
    Pos::START
}

/// Deserializes a string-keyed YAML value into `T`, for config files.
pub fn from_yaml_str<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
    let doc = Document::from_str(text).map_err(|e| {
        let p = e.pos();
        format!("line {}, column {}: {e}", p.line, p.column)
    })?;
    serde_path_to_error::deserialize(doc.value()).map_err(|e| {
        let path = FieldPath::from_serde_path(e.path());
        let p = doc.locate(&path);
        format!("line {}, column {}: {path}: {}", p.line, p.column, e.inner())
    })
}
