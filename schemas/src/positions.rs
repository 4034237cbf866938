//! Line/column positions of nodes, resolved on demand.
//!
//! serde_yaml does not expose node positions, so a second, event-level pass
//! (yaml-rust2) maps every path to where its node starts. The pass is only
//! run when a finding needs a position or the document uses anchors (to bound
//! alias expansion); valid documents never pay for it.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::path::FieldPath;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };

    fn from_marker(m: Marker) -> Self {
        Self { line: m.line().max(1), column: m.col() + 1 }
    }
}

/// Positions of every node of a document, keyed by path.
#[derive(Debug, Default)]
pub struct Positions {
    nodes: HashMap<FieldPath, Pos>,
}

/// What the event pass found besides positions.
pub(crate) struct Scan {
    pub positions: Positions,
    /// Nodes the document would have with every alias expanded.
    #[cfg_attr(not(test), allow(dead_code))]
    pub expanded_nodes: u64,
    /// Where the first alias that pushed the count over the limit is.
    pub alias_bomb_at: Option<Pos>,
}

impl Positions {
    /// Where `path` starts; for a path that does not exist (a missing field),
    /// where its nearest existing ancestor starts.
    pub fn locate(&self, path: &FieldPath) -> Pos {
        let mut current = Some(path.clone());
        while let Some(p) = current {
            if let Some(pos) = self.nodes.get(&p) {
                return *pos;
            }
            current = p.parent();
        }
        Pos::START
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// Runs the event pass. `alias_limit` bounds the expanded node count.
pub(crate) fn scan(source: &str, alias_limit: u64) -> Scan {
    let mut recv = Receiver {
        positions: Positions::default(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        anchor_starts: Vec::new(),
        expanded: 0,
        limit: alias_limit,
        bomb: None,
        root_done: false,
    };
    // A syntax error here was already reported by serde_yaml; keep what was indexed.
    let _ = Parser::new_from_str(source).load(&mut recv, false);
    Scan { positions: recv.positions, expanded_nodes: recv.expanded, alias_bomb_at: recv.bomb }
}

enum Frame {
    Mapping {
        path: FieldPath,
        key: Option<String>,
        /// Keys that are themselves collections are not indexed.
        in_complex_key: bool,
        /// No key seen yet: yaml-rust2 marks a block mapping at its first
        /// `:`, so the first key's position replaces it.
        fresh: bool,
    },
    Sequence {
        path: FieldPath,
        next: usize,
    },
    /// A collection used as a mapping key.
    ComplexKey,
}

struct Receiver {
    positions: Positions,
    stack: Vec<Frame>,
    anchors: HashMap<usize, u64>,
    /// (anchor id, expanded count when the anchored collection started)
    anchor_starts: Vec<(usize, u64, usize)>,
    expanded: u64,
    limit: u64,
    bomb: Option<Pos>,
    root_done: bool,
}

enum Role {
    Key,
    Value(FieldPath),
    Ignored,
}

impl Receiver {
    /// Decides what the node that starts now is, and advances the parent.
    fn next_role(&mut self) -> Role {
        match self.stack.last_mut() {
            None if self.root_done => Role::Ignored,
            None => {
                self.root_done = true;
                Role::Value(FieldPath::root())
            }
            Some(Frame::ComplexKey) => Role::Ignored,
            Some(Frame::Mapping { path, key, .. }) => match key.take() {
                None => Role::Key,
                Some(k) => Role::Value(path.clone().key(&k)),
            },
            Some(Frame::Sequence { path, next }) => {
                let p = path.clone().index(*next);
                *next += 1;
                Role::Value(p)
            }
        }
    }

    fn set_key(&mut self, text: String, mark: Marker) {
        if let Some(Frame::Mapping { key, fresh, path, .. }) = self.stack.last_mut() {
            *key = Some(text);
            if std::mem::take(fresh) {
                self.positions.nodes.insert(path.clone(), Pos::from_marker(mark));
            }
        }
    }

    fn open(&mut self, anchor: usize, sequence: bool, mark: Marker) {
        self.expanded += 1;
        let depth = self.stack.len();
        if anchor > 0 {
            self.anchor_starts.push((anchor, self.expanded - 1, depth));
        }
        let frame = match self.next_role() {
            Role::Value(path) => {
                self.positions.nodes.insert(path.clone(), Pos::from_marker(mark));
                if sequence {
                    Frame::Sequence { path, next: 0 }
                } else {
                    Frame::Mapping { path, key: None, in_complex_key: false, fresh: true }
                }
            }
            Role::Key => {
                if let Some(Frame::Mapping { in_complex_key, .. }) = self.stack.last_mut() {
                    *in_complex_key = true;
                }
                Frame::ComplexKey
            }
            Role::Ignored => Frame::ComplexKey,
        };
        self.stack.push(frame);
    }

    fn close(&mut self) {
        self.stack.pop();
        let depth = self.stack.len();
        if let Some(&(anchor, start, d)) = self.anchor_starts.last()
            && d == depth
        {
            self.anchor_starts.pop();
            self.anchors.insert(anchor, self.expanded - start);
        }
        if let Some(Frame::Mapping { in_complex_key, key, .. }) = self.stack.last_mut()
            && *in_complex_key
        {
            *in_complex_key = false;
            *key = Some("?".to_owned());
        }
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, _, anchor, _) => {
                self.expanded += 1;
                if anchor > 0 {
                    self.anchors.insert(anchor, 1);
                }
                match self.next_role() {
                    Role::Key => self.set_key(text, mark),
                    Role::Value(path) => {
                        self.positions.nodes.insert(path, Pos::from_marker(mark));
                    }
                    Role::Ignored => {}
                }
            }
            Event::Alias(id) => {
                let size = self.anchors.get(&id).copied().unwrap_or(1);
                self.expanded = self.expanded.saturating_add(size);
                if self.expanded > self.limit && self.bomb.is_none() {
                    self.bomb = Some(Pos::from_marker(mark));
                }
                match self.next_role() {
                    Role::Key => self.set_key("*".to_owned(), mark),
                    Role::Value(path) => {
                        self.positions.nodes.insert(path, Pos::from_marker(mark));
                    }
                    Role::Ignored => {}
                }
            }
            Event::MappingStart(anchor, _) => self.open(anchor, false, mark),
            Event::SequenceStart(anchor, _) => self.open(anchor, true, mark),
            Event::MappingEnd | Event::SequenceEnd => self.close(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nodes_and_missing_fields() {
        let src = "domain: sales\nschema:\n  - name: orders\n    properties:\n      - name: id\n        logicalType: string\n";
        let p = scan(src, 1000).positions;
        let at = |path: &FieldPath| p.locate(path);
        assert_eq!(at(&FieldPath::root().key("domain")), Pos { line: 1, column: 9 });
        let col = FieldPath::root().key("schema").index(0).key("properties").index(0);
        assert_eq!(at(&col.clone().key("logicalType")), Pos { line: 6, column: 22 });
        // A missing field points at its parent.
        assert_eq!(at(&col.clone().key("description")), Pos { line: 5, column: 9 });
    }

    #[test]
    fn counts_alias_expansion() {
        let src = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
        let s = scan(src, 5_000);
        assert!(s.expanded_nodes > 10_000, "{}", s.expanded_nodes);
        assert_eq!(s.alias_bomb_at.map(|p| p.line), Some(4));
        let s = scan(src, 1_000_000);
        assert!(s.alias_bomb_at.is_none());
    }
}
