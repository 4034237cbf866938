//! A single linear pass over the text that bounds nesting depth before any
//! YAML parser runs.
//!
//! yaml-rust2's loader recurses once per level, and libyaml (under
//! serde_yaml) does work proportional to the flow depth for every token, so
//! a 10 KB document could overflow the stack and a 100 KB one stall the CPU
//! long before serde_yaml's own depth limit applies. This pass follows block
//! indentation, flow brackets, quoted, plain and block scalars, comments and
//! document markers the way libyaml's scanner does, closely enough never to
//! count fewer levels than a parser reaches; in odd or invalid documents it
//! may count more. It stops at the first token past [`MAX_DEPTH`].

use crate::positions::Pos;

/// Most levels of nested collections a document may have; the top-level
/// mapping is level 1. serde_yaml's own limit is the same, so every document
/// the pre-scan lets through nests no deeper than serde_yaml accepts.
pub const MAX_DEPTH: usize = 128;

/// What the pre-scan measured on a document within the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthScan {
    /// The deepest nesting seen: an upper bound of what a parser reaches.
    pub max_depth: usize,
    /// Characters and line breaks visited; never more than the text's bytes.
    pub steps: usize,
}

/// Measures the nesting depth of `text`; `Err` is where [`MAX_DEPTH`] was passed.
pub fn scan_depth(text: &str) -> Result<DepthScan, Pos> {
    let mut s = Scanner {
        c: Cursor { b: text.as_bytes(), i: 0, line: 1, col: 0, steps: 0 },
        block: Vec::new(),
        flow: Vec::new(),
        pairs: 0,
        max_depth: 0,
        node_start: None,
        plain_open: false,
        block_scalar: None,
    };
    s.run()?;
    Ok(DepthScan { max_depth: s.max_depth, steps: s.c.steps })
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    /// 0-based, in characters, like libyaml's marks.
    col: usize,
    steps: usize,
}

impl Cursor<'_> {
    fn eof(&self) -> bool {
        self.i >= self.b.len()
    }

    /// The byte `k` ahead, 0 past the end (callers check `eof` where a NUL matters).
    fn at(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    /// Length of the line break `k` bytes ahead, 0 if none. libyaml also
    /// breaks lines at NEL, LS and PS; missing one would hide a line from us.
    fn break_len(&self, k: usize) -> usize {
        let b = &self.b[(self.i + k).min(self.b.len())..];
        match b {
            [b'\r', b'\n', ..] => 2,
            [b'\r' | b'\n', ..] => 1,
            [0xC2, 0x85, ..] => 2,
            [0xE2, 0x80, 0xA8 | 0xA9, ..] => 3,
            _ => 0,
        }
    }

    fn is_break(&self) -> bool {
        self.break_len(0) > 0
    }

    /// Space, tab, line break or end of text, `k` bytes ahead.
    fn blank_at(&self, k: usize) -> bool {
        self.i + k >= self.b.len() || matches!(self.at(k), b' ' | b'\t') || self.break_len(k) > 0
    }

    /// Moves over one character or one line break.
    fn adv(&mut self) {
        if self.eof() {
            return;
        }
        self.steps += 1;
        let br = self.break_len(0);
        if br > 0 {
            self.i += br;
            self.line += 1;
            self.col = 0;
            return;
        }
        let lead = self.at(0);
        self.i += match lead {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        self.col += 1;
    }

    fn skip_spaces(&mut self) {
        while !self.eof() && self.at(0) == b' ' {
            self.adv();
        }
    }

    fn skip_blanks(&mut self) {
        while !self.eof() && matches!(self.at(0), b' ' | b'\t') {
            self.adv();
        }
    }

    /// Anchor, alias or tag names end at a blank or a flow indicator.
    fn skip_name(&mut self) {
        self.adv();
        while !self.blank_at(0) && !matches!(self.at(0), b',' | b'[' | b']' | b'{' | b'}') {
            self.adv();
        }
    }

    fn skip_line(&mut self) {
        while !self.eof() && !self.is_break() {
            self.adv();
        }
    }

    fn doc_marker(&self) -> bool {
        self.col == 0
            && (self.b[self.i..].starts_with(b"---") || self.b[self.i..].starts_with(b"..."))
            && self.blank_at(3)
    }

    fn bom(&self) -> bool {
        self.col == 0 && self.b[self.i..].starts_with("\u{feff}".as_bytes())
    }

    fn pos(&self) -> Pos {
        Pos { line: self.line, column: self.col + 1 }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Seq,
    Map,
}

/// An open flow collection.
struct Flow {
    seq: bool,
    /// The current entry of a flow sequence is an implicit single-pair mapping.
    pair: bool,
    /// Its own depth.
    depth: usize,
    /// Deepest level reached by the current entry. A `:` after it makes the
    /// entry a key, one level deeper, after the fact.
    entry_max: usize,
    /// Deepest level reached by earlier entries.
    max: usize,
}

#[derive(Clone, Copy)]
enum Mode {
    LineStart,
    Token,
    Plain,
    FlowToken,
    FlowPlain,
    Double,
    Single,
    Comment,
}

struct Scanner<'a> {
    c: Cursor<'a>,
    /// Open block collections: (column, kind). An indentless sequence sits on
    /// the mapping of the same column.
    block: Vec<(usize, Kind)>,
    flow: Vec<Flow>,
    pairs: usize,
    max_depth: usize,
    /// Column of the node being read (its properties included): where a
    /// block mapping starts if a `:` follows.
    node_start: Option<usize>,
    /// A block plain scalar ended a line and may continue on the next.
    plain_open: bool,
    /// A block scalar header was read: (libyaml's indent, explicit indentation).
    block_scalar: Option<(isize, Option<usize>)>,
}

impl Scanner<'_> {
    fn run(&mut self) -> Result<(), Pos> {
        let mut mode = Mode::LineStart;
        while !self.c.eof() {
            mode = match mode {
                Mode::LineStart => self.line_start(),
                Mode::Token => self.token()?,
                Mode::Plain => self.plain()?,
                Mode::FlowToken => self.flow_token()?,
                Mode::FlowPlain => self.flow_plain(),
                Mode::Double => self.double(),
                Mode::Single => self.single(),
                Mode::Comment => {
                    self.c.skip_line();
                    self.c.adv();
                    if self.flow.is_empty() { Mode::LineStart } else { Mode::FlowToken }
                }
            };
        }
        Ok(())
    }

    fn depth(&self) -> usize {
        // A flow collection in block context may be a mapping key: one level more.
        let flow = if self.flow.is_empty() { 0 } else { 1 + self.flow.len() + self.pairs };
        self.block.len() + flow
    }

    fn check(&mut self, depth: usize) -> Result<(), Pos> {
        self.max_depth = self.max_depth.max(depth);
        if depth > MAX_DEPTH { Err(self.c.pos()) } else { Ok(()) }
    }

    fn open_block(&mut self, col: usize, kind: Kind) -> Result<(), Pos> {
        if kind == Kind::Map && self.block.last() == Some(&(col, Kind::Seq)) {
            // A key at the column of a sequence ends that sequence.
            self.block.pop();
        }
        if self.block.last() != Some(&(col, kind)) {
            self.block.push((col, kind));
            self.check(self.depth())?;
        }
        Ok(())
    }

    fn open_flow(&mut self, seq: bool) -> Result<(), Pos> {
        let depth = self.depth() + if self.flow.is_empty() { 2 } else { 1 };
        self.flow.push(Flow { seq, pair: false, depth, entry_max: depth, max: depth });
        self.check(depth)?;
        self.c.adv();
        Ok(())
    }

    fn close_flow(&mut self) {
        if let Some(f) = self.flow.pop() {
            if f.pair {
                self.pairs -= 1;
            }
            if let Some(parent) = self.flow.last_mut() {
                parent.entry_max = parent.entry_max.max(f.max.max(f.entry_max));
            }
        }
        self.c.adv();
    }

    /// `:` or `?` in a flow sequence: the entry is a single-pair mapping.
    fn open_pair(&mut self) -> Result<(), Pos> {
        let Some(f) = self.flow.last_mut() else { return Ok(()) };
        if !f.seq || f.pair {
            return Ok(());
        }
        f.pair = true;
        f.entry_max = (f.entry_max + 1).max(f.depth + 1);
        let deepest = f.entry_max;
        self.pairs += 1;
        self.check(deepest)
    }

    fn next_entry(&mut self) {
        if let Some(f) = self.flow.last_mut() {
            if f.pair {
                f.pair = false;
                self.pairs -= 1;
            }
            f.max = f.max.max(f.entry_max);
            f.entry_max = f.depth;
        }
        self.c.adv();
    }

    /// At column 0 in block context (or inside a block scalar).
    fn line_start(&mut self) -> Mode {
        if let Some((indent, explicit)) = self.block_scalar.take() {
            self.block_scalar_body(indent, explicit);
        } else {
            if self.c.bom() {
                self.c.adv();
            }
            self.c.skip_spaces();
        }
        self.c.skip_blanks();
        if self.c.eof() {
            return Mode::LineStart;
        }
        if self.c.is_break() {
            self.c.adv();
            return Mode::LineStart;
        }
        let col = self.c.col;
        if std::mem::take(&mut self.plain_open) {
            let parent = self.block.last().map_or(-1, |b| b.0 as isize);
            if col as isize > parent && !self.c.doc_marker() && self.c.at(0) != b'#' {
                return Mode::Plain;
            }
        }
        if self.c.doc_marker() {
            self.block.clear();
            self.node_start = None;
            for _ in 0..3 {
                self.c.adv();
            }
            return Mode::Token;
        }
        if matches!(self.c.at(0), b'#' | b'%') && (col == 0 || self.c.at(0) == b'#') {
            return Mode::Comment;
        }
        while self.block.last().is_some_and(|b| b.0 > col) {
            self.block.pop();
        }
        self.node_start = None;
        Mode::Token
    }

    /// Skips the lines of a block scalar as libyaml delimits them, leaving
    /// the cursor after the leading spaces of the first line that is not
    /// part of it.
    fn block_scalar_body(&mut self, parent: isize, explicit: Option<usize>) {
        let mut indent = explicit.map(|m| if parent >= 0 { parent as usize + m } else { m });
        let mut max_blank = 0;
        loop {
            while !self.c.eof() && self.c.at(0) == b' ' && indent.is_none_or(|i| self.c.col < i) {
                self.c.adv();
            }
            if self.c.eof() {
                return;
            }
            if indent.is_none() {
                max_blank = max_blank.max(self.c.col);
            }
            if self.c.is_break() {
                self.c.adv();
                continue;
            }
            let need = *indent.get_or_insert_with(|| max_blank.max((parent + 1).max(1) as usize));
            if self.c.col < need {
                return;
            }
            self.c.skip_line();
            self.c.adv();
        }
    }

    /// Block context, between tokens.
    fn token(&mut self) -> Result<Mode, Pos> {
        loop {
            self.c.skip_blanks();
            if self.c.eof() {
                return Ok(Mode::Token);
            }
            if self.c.is_break() {
                self.c.adv();
                return Ok(Mode::LineStart);
            }
            let col = self.c.col;
            let blank_next = self.c.blank_at(1);
            match self.c.at(0) {
                b'#' => return Ok(Mode::Comment),
                b'-' if blank_next => {
                    self.open_block(col, Kind::Seq)?;
                    self.node_start = None;
                    self.c.adv();
                }
                b'?' if blank_next => {
                    self.open_block(col, Kind::Map)?;
                    self.node_start = None;
                    self.c.adv();
                }
                b':' if blank_next => {
                    let at = self.node_start.take().unwrap_or(col);
                    self.open_block(at, Kind::Map)?;
                    self.c.adv();
                }
                b'&' | b'!' | b'*' => {
                    self.node_start.get_or_insert(col);
                    self.c.skip_name();
                }
                b'"' => {
                    self.node_start.get_or_insert(col);
                    self.c.adv();
                    return Ok(Mode::Double);
                }
                b'\'' => {
                    self.node_start.get_or_insert(col);
                    self.c.adv();
                    return Ok(Mode::Single);
                }
                b @ (b'[' | b'{') => {
                    self.node_start.get_or_insert(col);
                    self.open_flow(b == b'[')?;
                    return Ok(Mode::FlowToken);
                }
                b'|' | b'>' => {
                    self.c.adv();
                    let mut explicit = None;
                    while matches!(self.c.at(0), b'+' | b'-' | b'0'..=b'9') {
                        if let d @ b'1'..=b'9' = self.c.at(0) {
                            explicit = Some(usize::from(d - b'0'));
                        }
                        self.c.adv();
                    }
                    let parent = self.block.last().map_or(-1, |b| b.0 as isize);
                    self.block_scalar = Some((parent, explicit));
                    // The rest of the header line is a comment (or an error).
                    return Ok(Mode::Comment);
                }
                b']' | b'}' | b',' => self.c.adv(),
                _ => {
                    self.node_start.get_or_insert(col);
                    return Ok(Mode::Plain);
                }
            }
        }
    }

    /// Inside a block plain scalar.
    fn plain(&mut self) -> Result<Mode, Pos> {
        loop {
            if self.c.eof() {
                return Ok(Mode::Plain);
            }
            if self.c.is_break() {
                self.c.adv();
                self.plain_open = true;
                return Ok(Mode::LineStart);
            }
            match self.c.at(0) {
                b':' if self.c.blank_at(1) => {
                    let at = self.node_start.take().unwrap_or(self.c.col);
                    self.open_block(at, Kind::Map)?;
                    self.c.adv();
                    return Ok(Mode::Token);
                }
                b' ' | b'\t' if self.c.at(1) == b'#' => {
                    self.c.adv();
                    return Ok(Mode::Comment);
                }
                _ => self.c.adv(),
            }
        }
    }

    /// Flow context, between tokens.
    fn flow_token(&mut self) -> Result<Mode, Pos> {
        loop {
            while !self.c.eof() && (matches!(self.c.at(0), b' ' | b'\t') || self.c.is_break() || self.c.bom()) {
                self.c.adv();
            }
            if self.c.eof() {
                return Ok(Mode::FlowToken);
            }
            match self.c.at(0) {
                b'#' => return Ok(Mode::Comment),
                b @ (b'[' | b'{') => self.open_flow(b == b'[')?,
                b']' | b'}' => {
                    self.close_flow();
                    if self.flow.is_empty() {
                        // Back in block context: a `:` may make the collection a key.
                        return Ok(Mode::Token);
                    }
                }
                b',' => self.next_entry(),
                // libyaml reads a `:` starting a flow token as a value indicator.
                b':' => {
                    self.open_pair()?;
                    self.c.adv();
                }
                b'?' if self.c.blank_at(1) => {
                    self.open_pair()?;
                    self.c.adv();
                }
                b'&' | b'!' | b'*' => self.c.skip_name(),
                b'"' => {
                    self.c.adv();
                    return Ok(Mode::Double);
                }
                b'\'' => {
                    self.c.adv();
                    return Ok(Mode::Single);
                }
                _ => return Ok(Mode::FlowPlain),
            }
        }
    }

    /// Inside a flow plain scalar, which may span lines.
    fn flow_plain(&mut self) -> Mode {
        let mut after_blank = false;
        loop {
            if self.c.eof() {
                return Mode::FlowPlain;
            }
            match self.c.at(0) {
                b',' | b'[' | b']' | b'{' | b'}' => return Mode::FlowToken,
                b':' if self.c.blank_at(1) || matches!(self.c.at(1), b',' | b'[' | b']' | b'{' | b'}' | b'?') => {
                    return Mode::FlowToken;
                }
                b'#' if after_blank => return Mode::Comment,
                _ => {}
            }
            after_blank = self.c.blank_at(0);
            self.c.adv();
        }
    }

    fn after_quoted(&self) -> Mode {
        if self.flow.is_empty() { Mode::Token } else { Mode::FlowToken }
    }

    fn double(&mut self) -> Mode {
        while !self.c.eof() {
            match self.c.at(0) {
                b'\\' => {
                    self.c.adv();
                    if !self.c.eof() {
                        self.c.adv();
                    }
                }
                b'"' => {
                    self.c.adv();
                    return self.after_quoted();
                }
                _ => self.c.adv(),
            }
        }
        Mode::Double
    }

    fn single(&mut self) -> Mode {
        while !self.c.eof() {
            if self.c.at(0) == b'\'' {
                self.c.adv();
                if self.c.at(0) != b'\'' || self.c.eof() {
                    return self.after_quoted();
                }
            }
            self.c.adv();
        }
        Mode::Single
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(text: &str) -> usize {
        scan_depth(text).unwrap_or_else(|p| panic!("refused at {p:?}: {text}")).max_depth
    }

    #[test]
    fn counts_block_and_flow_levels() {
        assert_eq!(depth("a: 1\n"), 1);
        assert_eq!(depth("a:\n  b:\n    c: 1\n"), 3);
        assert_eq!(depth("a:\n- x\n- y\nb: 2\n"), 2);
        assert_eq!(depth("- - - x\n"), 3);
        assert_eq!(depth("- a: 1\n  b: 2\n"), 2);
        // A flow collection in block context counts one extra level (it may be a key).
        assert_eq!(depth("a: [1, [2]]\n"), 4);
        assert_eq!(depth("a: {b: {c: 1}}\n"), 4);
        // Implicit single-pair mappings in flow sequences, also after the fact.
        assert_eq!(depth("a: [b: [c: 1]]\n"), 6);
        assert_eq!(depth("a: [[[x]: 1]: 2]\n"), 7);
    }

    #[test]
    fn quoted_block_scalars_and_comments_do_not_count() {
        assert_eq!(depth("a: \"[[[{{\"\nb: '[[['' [['\n# [[[[\nc: x # [[[\n"), 1);
        assert_eq!(depth("a: |\n  [[[[\n  - - -\nb: >2\n   [[[\n  {{{\n"), 1);
        assert_eq!(depth("a: don't [[[ stop\n  'b [[[\nc: 1\n"), 1);
        assert_eq!(depth("a: \"multi\n  line [[[ \\\" [[\"\n"), 1);
    }

    #[test]
    fn never_under_counts_tricky_shapes() {
        // A line libyaml reads as structure after a plain scalar is counted.
        let deep = format!("key: a\n  'b\nx: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert!(scan_depth(&deep).is_err());
        // NEL ends a comment for libyaml.
        let deep = format!("# c\u{85}{}\n", "[".repeat(200));
        assert!(scan_depth(&deep).is_err());
        // A block scalar whose first line is under-indented is empty.
        let deep = format!("a: |\n        \n  {}\n", "[".repeat(200));
        assert!(scan_depth(&deep).is_err());
        // Second documents are parsed too.
        let deep = format!("a: 1\n---\n{}\n", "- ".repeat(200));
        assert!(scan_depth(&deep).is_err());
    }

    #[test]
    fn reports_where_the_limit_was_passed() {
        let deep = format!("a:\n  b: {}\n", "[".repeat(500));
        // `a` and `b` are levels 1 and 2, the first `[` level 4: the 126th passes 128.
        assert_eq!(scan_depth(&deep), Err(Pos { line: 2, column: 6 + 125 }));
        let ok = format!("a: {}{}\n", "[".repeat(MAX_DEPTH - 2), "]".repeat(MAX_DEPTH - 2));
        assert_eq!(depth(&ok), MAX_DEPTH);
    }
}
