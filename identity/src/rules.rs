//! Claims → role: the first rule of the issuer whose claims all match.

use serde_json::{Map, Value};

use crate::config::Rule;

/// Does the claim value match `pattern`? Strings compare as text, numbers
/// and booleans by their JSON text (`true`, `42`); a list matches if one of
/// its items does (e.g. `groups`); objects and null never match.
pub(crate) fn claim_matches(pattern: &str, value: &Value) -> bool {
    match value {
        Value::String(s) => glob(pattern, s),
        Value::Bool(_) | Value::Number(_) => glob(pattern, &value.to_string()),
        Value::Array(items) => items.iter().any(|v| !v.is_array() && claim_matches(pattern, v)),
        Value::Null | Value::Object(_) => false,
    }
}

/// The index of the first rule all of whose claims match.
pub(crate) fn first_match(rules: &[Rule], claims: &Map<String, Value>) -> Option<usize> {
    rules.iter().position(|rule| {
        rule.claims.iter().all(|(name, pattern)| claims.get(name).is_some_and(|v| claim_matches(pattern, v)))
    })
}

/// The indexes of every rule all of whose claims match (a person whose
/// groups map to several roles holds them all).
pub(crate) fn all_matches(rules: &[Rule], claims: &Map<String, Value>) -> Vec<usize> {
    (0..rules.len())
        .filter(|&i| {
            rules[i].claims.iter().all(|(name, pattern)| claims.get(name).is_some_and(|v| claim_matches(pattern, v)))
        })
        .collect()
}

/// `*` matches any run of characters (`/` included); the rest is literal.
/// Iterative with one backtrack point, so the cost is at most
/// O(pattern × text) with no recursion, whatever a token holds.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was and the text position it is matched up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            // Let the last `*` take one more character and retry.
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;
    use steward_api::Role;

    use super::*;

    #[test]
    fn glob_is_literal_except_star() {
        assert!(glob("refs/heads/*", "refs/heads/main"));
        assert!(glob("refs/heads/*", "refs/heads/feature/x"));
        assert!(!glob("refs/heads/*", "refs/tags/v1"));
        assert!(glob("refs/heads/main", "refs/heads/main"));
        assert!(!glob("refs/heads/main", "refs/heads/main2"));
        assert!(!glob("refs/heads/main", "refs/heads/mai"));
        assert!(glob("acme/*-pipeline", "acme/orders-pipeline"));
        assert!(!glob("acme/*-pipeline", "acme/orders-pipeline-evil"));
        assert!(glob("*", ""));
        assert!(!glob("a", ""));
        // `?` and `[` are literal, not glob syntax.
        assert!(!glob("refs/heads/?", "refs/heads/x"));
        assert!(glob("a?b", "a?b"));
    }

    #[test]
    fn glob_is_not_exponential() {
        let text = "a".repeat(4000);
        let pattern = format!("{}b", "*a".repeat(50));
        let start = std::time::Instant::now();
        assert!(!glob(&pattern, &text));
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn the_first_rule_whose_claims_all_match_wins() {
        let rule = |claims: &[(&str, &str)], role| Rule {
            claims: claims.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
            role,
            scopes: vec![],
        };
        let rules = vec![
            rule(&[("repository", "acme/orders"), ("ref", "refs/heads/main")], Role::Producer),
            rule(&[("repository", "acme/*")], Role::Consumer),
            rule(&[("groups", "stewards"), ("email_verified", "true")], Role::Reviewer),
        ];
        let claims = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            first_match(&rules, &claims(json!({"repository": "acme/orders", "ref": "refs/heads/main"}))),
            Some(0)
        );
        assert_eq!(
            first_match(&rules, &claims(json!({"repository": "acme/orders", "ref": "refs/heads/dev"}))),
            Some(1)
        );
        assert_eq!(first_match(&rules, &claims(json!({"repository": "evil/orders"}))), None);
        // A missing claim never matches, even against `*`.
        assert_eq!(first_match(&rules, &claims(json!({"ref": "refs/heads/main"}))), None);
        assert_eq!(first_match(&rules, &claims(json!({"groups": ["x", "stewards"], "email_verified": true}))), Some(2));
        assert_eq!(first_match(&rules, &claims(json!({"groups": ["x"], "email_verified": true}))), None);
        assert_eq!(first_match(&rules, &claims(json!({"groups": {"stewards": 1}, "email_verified": true}))), None);
    }
}
