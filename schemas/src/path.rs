//! `FieldPath`: where a node sits in a contract, e.g.
//! `schema[0].properties[2].classification`. The same spelling as
//! serde_path_to_error, so every source of findings agrees.

use std::fmt;

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    pub fn key(mut self, key: &str) -> Self {
        self.0.push(Segment::Key(key.to_owned()));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Segment::Index(index));
        self
    }

    pub fn from_segments(segments: Vec<Segment>) -> Self {
        Self(segments)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn parent(&self) -> Option<Self> {
        (!self.0.is_empty()).then(|| Self(self.0[..self.0.len() - 1].to_vec()))
    }

    /// From a JSON pointer (`/schema/0/name`), as JSON Schema validators report.
    pub fn from_json_pointer(pointer: &str) -> Self {
        let segments = pointer
            .split('/')
            .skip(1)
            .map(|raw| {
                let s = raw.replace("~1", "/").replace("~0", "~");
                match s.parse::<usize>() {
                    Ok(i) if !s.starts_with('+') => Segment::Index(i),
                    _ => Segment::Key(s),
                }
            })
            .collect();
        Self(segments)
    }

    /// From serde_path_to_error's spelling (`schema[0].name`).
    pub fn from_serde_path(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as S;
        let segments = path
            .iter()
            .filter_map(|seg| match seg {
                S::Seq { index } => Some(Segment::Index(*index)),
                S::Map { key } => Some(Segment::Key(key.clone())),
                S::Enum { variant } => Some(Segment::Key(variant.clone())),
                S::Unknown => None,
            })
            .collect();
        Self(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for FieldPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling() {
        let p = FieldPath::root().key("schema").index(0).key("properties").index(2).key("name");
        assert_eq!(p.to_string(), "schema[0].properties[2].name");
        assert_eq!(FieldPath::from_json_pointer("/schema/0/properties/2/name"), p);
        assert_eq!(p.parent().unwrap().to_string(), "schema[0].properties[2]");
        assert_eq!(FieldPath::root().to_string(), "(document)");
    }
}
