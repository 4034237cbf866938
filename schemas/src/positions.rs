//! Line/column positions of nodes, resolved on demand.
//!
//! serde_yaml does not expose node positions, so a second, event-level pass
//! (yaml-rust2) maps every path to where its node starts. The pass is only
//! run when a finding needs a position or the document uses anchors (to bound
//! alias expansion); valid documents never pay for it.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

use crate::parse::MAX_EXPANDED_NODES;
use crate::path::{FieldPath, Segment};
use crate::prescan::MAX_DEPTH;

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

/// Positions of every node of a document, stored as a tree so that no node
/// holds a copy of its path (memory stays linear in the number of nodes).
#[derive(Debug, Default)]
pub struct Positions {
    /// Node id → where it starts; id 0 is the root once it has been seen.
    pos: Vec<Pos>,
    /// (parent id, segment) → (child id, where its key is, for duplicate reports).
    children: HashMap<(u32, Segment), (u32, Pos)>,
}

/// A key that appears twice in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    pub path: FieldPath,
    pub first: Pos,
    pub second: Pos,
}

/// What the event pass found besides positions.
pub(crate) struct Scan {
    pub positions: Positions,
    /// Nodes the document would have with every alias expanded.
    pub expanded_nodes: u64,
    /// Where the first alias that pushed the count over the limit is.
    pub alias_bomb_at: Option<Pos>,
    /// Where nesting first passed [`MAX_DEPTH`] (the pass stops there).
    pub too_deep_at: Option<Pos>,
    /// The first duplicated key, with both positions.
    pub duplicate: Option<DuplicateKey>,
    /// Parser events read: the work done, bounded by the document's size.
    pub events: u64,
}

impl Positions {
    /// Where `path` starts; for a path that does not exist (a missing field),
    /// where its nearest existing ancestor starts.
    pub fn locate(&self, path: &FieldPath) -> Pos {
        let Some(mut found) = self.pos.first().copied() else {
            return Pos::START;
        };
        let mut id = 0;
        for seg in path.segments() {
            match self.children.get(&(id, seg.clone())) {
                Some(&(child, _)) => {
                    id = child;
                    found = self.pos[child as usize];
                }
                None => break,
            }
        }
        found
    }

    pub fn len(&self) -> usize {
        self.pos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    fn add(&mut self, pos: Pos) -> u32 {
        self.pos.push(pos);
        u32::try_from(self.pos.len() - 1).unwrap_or(u32::MAX)
    }
}

/// The work the position pass does on a document, for tests that bound it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventWork {
    /// Parser events read.
    pub events: u64,
    /// The pass stopped because nesting passed [`MAX_DEPTH`].
    pub stopped_too_deep: bool,
    /// Nodes with every alias expanded (counted, never built).
    pub expanded_nodes: u64,
}

/// Runs the position pass over `source` and says how much work it did.
pub fn event_work(source: &str) -> EventWork {
    let s = scan(source, MAX_EXPANDED_NODES);
    EventWork { events: s.events, stopped_too_deep: s.too_deep_at.is_some(), expanded_nodes: s.expanded_nodes }
}

/// Runs the event pass. `alias_limit` bounds the expanded node count.
///
/// Events are pulled one at a time rather than through yaml-rust2's
/// recursive loader, and nesting past [`MAX_DEPTH`] stops the pass, so no
/// input can exhaust the stack here whatever the pre-scan let through.
pub(crate) fn scan(source: &str, alias_limit: u64) -> Scan {
    let mut recv = Receiver {
        positions: Positions::default(),
        stack: Vec::new(),
        path: Vec::new(),
        anchors: HashMap::new(),
        anchor_starts: Vec::new(),
        expanded: 0,
        limit: alias_limit,
        bomb: None,
        duplicate: None,
        root_done: false,
    };
    let mut parser = Parser::new_from_str(source);
    let mut events = 0;
    let mut too_deep_at = None;
    // A syntax error here was already reported by serde_yaml; keep what was indexed.
    while let Ok((ev, mark)) = parser.next_token() {
        events += 1;
        if matches!(ev, Event::DocumentEnd | Event::StreamEnd) {
            break;
        }
        recv.on_event(ev, mark);
        if recv.stack.len() > MAX_DEPTH {
            too_deep_at = Some(Pos::from_marker(mark));
            break;
        }
        if recv.bomb.is_some() {
            break;
        }
    }
    Scan {
        positions: recv.positions,
        expanded_nodes: recv.expanded,
        alias_bomb_at: recv.bomb,
        too_deep_at,
        duplicate: recv.duplicate,
        events,
    }
}

enum Frame {
    Mapping {
        id: u32,
        /// The pending key, and where it is (None for alias and complex keys,
        /// whose text is not the key serde sees).
        key: Option<(String, Option<Pos>)>,
        /// Keys that are themselves collections are not indexed.
        in_complex_key: bool,
        /// No key seen yet: yaml-rust2 marks a block mapping at its first
        /// `:`, so the first key's position replaces it.
        fresh: bool,
    },
    Sequence {
        id: u32,
        next: usize,
    },
    /// A collection used as a mapping key.
    ComplexKey,
}

struct Receiver {
    positions: Positions,
    stack: Vec<Frame>,
    /// The path of the innermost open collection (one segment per level).
    path: Vec<Segment>,
    anchors: HashMap<usize, u64>,
    /// (anchor id, expanded count when the anchored collection started)
    anchor_starts: Vec<(usize, u64, usize)>,
    expanded: u64,
    limit: u64,
    bomb: Option<Pos>,
    duplicate: Option<DuplicateKey>,
    root_done: bool,
}

enum Role {
    Key,
    /// A node of the tree: its parent and segment (none for the root).
    Value(Option<(u32, Segment, Option<Pos>)>),
    Ignored,
}

impl Receiver {
    /// Decides what the node that starts now is, and advances the parent.
    fn next_role(&mut self) -> Role {
        match self.stack.last_mut() {
            None if self.root_done => Role::Ignored,
            None => {
                self.root_done = true;
                Role::Value(None)
            }
            Some(Frame::ComplexKey) => Role::Ignored,
            Some(Frame::Mapping { id, key, .. }) => match key.take() {
                None => Role::Key,
                Some((k, at)) => Role::Value(Some((*id, Segment::Key(k), at))),
            },
            Some(Frame::Sequence { id, next }) => {
                let seg = Segment::Index(*next);
                *next += 1;
                Role::Value(Some((*id, seg, None)))
            }
        }
    }

    /// Records a node; returns its id and the segment that leads to it.
    fn add_node(&mut self, parent: Option<(u32, Segment, Option<Pos>)>, pos: Pos) -> (u32, Option<Segment>) {
        let id = self.positions.add(pos);
        let Some((parent, seg, key_at)) = parent else {
            return (id, None);
        };
        let old = self.positions.children.insert((parent, seg.clone()), (id, key_at.unwrap_or(pos)));
        if let (Some((_, first)), Some(second), true) = (old, key_at, self.duplicate.is_none()) {
            let path = FieldPath::from_segments(self.path.iter().chain(std::iter::once(&seg)).cloned().collect());
            self.duplicate = Some(DuplicateKey { path, first, second });
        }
        (id, Some(seg))
    }

    fn set_key(&mut self, text: String, mark: Marker, exact: bool) {
        if let Some(Frame::Mapping { key, fresh, id, .. }) = self.stack.last_mut() {
            let at = Pos::from_marker(mark);
            *key = Some((text, exact.then_some(at)));
            if std::mem::take(fresh) {
                self.positions.pos[*id as usize] = at;
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
            Role::Value(parent) => {
                let (id, seg) = self.add_node(parent, Pos::from_marker(mark));
                self.path.extend(seg);
                if sequence {
                    Frame::Sequence { id, next: 0 }
                } else {
                    Frame::Mapping { id, key: None, in_complex_key: false, fresh: true }
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
        if let Some(Frame::Mapping { .. } | Frame::Sequence { .. }) = self.stack.pop()
            && !self.stack.is_empty()
        {
            self.path.pop();
        }
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
            *key = Some(("?".to_owned(), None));
        }
    }

    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(text, _, anchor, _) => {
                self.expanded += 1;
                if anchor > 0 {
                    self.anchors.insert(anchor, 1);
                }
                match self.next_role() {
                    Role::Key => self.set_key(text, mark, true),
                    Role::Value(parent) => {
                        self.add_node(parent, Pos::from_marker(mark));
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
                    Role::Key => self.set_key("*".to_owned(), mark, false),
                    Role::Value(parent) => {
                        self.add_node(parent, Pos::from_marker(mark));
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
        // The pass stops at the first alias past the limit.
        assert!(s.expanded_nodes > 5_000, "{}", s.expanded_nodes);
        assert_eq!(s.alias_bomb_at.map(|p| p.line), Some(4));
        let s = scan(src, 1_000_000);
        assert!(s.alias_bomb_at.is_none());
        assert!(s.expanded_nodes > 10_000, "{}", s.expanded_nodes);
    }

    #[test]
    fn finds_duplicate_keys_with_both_positions() {
        let s = scan("a: 1\nb:\n  c: 1\n  d: 2\n  'c': 3\n", u64::MAX);
        let d = s.duplicate.unwrap();
        assert_eq!(d.path.to_string(), "b.c");
        assert_eq!((d.first, d.second), (Pos { line: 3, column: 3 }, Pos { line: 5, column: 3 }));
        // Alias keys are not compared by their `*` spelling.
        assert!(scan("x: &x k\ny: &y l\nm: {*x : 1, *y : 2}\n", u64::MAX).duplicate.is_none());
    }

    #[test]
    fn stops_past_the_depth_limit_without_recursing() {
        let run = |text: String| {
            std::thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || scan(&text, u64::MAX))
                .unwrap()
                .join()
                .unwrap()
        };
        let s = run(format!("a: &a 1\nb:\n{}x\n", "  - ".repeat(5000)));
        assert_eq!(s.too_deep_at, Some(Pos { line: 3, column: 4 * 128 - 1 }));
        assert!(s.events < 300, "{}", s.events);
        // yaml-rust2's scanner refuses 255 open flow levels before we see them.
        let s = run(format!("a: {}", "[".repeat(100_000)));
        assert!(s.events < 300, "{}", s.events);
    }
}
