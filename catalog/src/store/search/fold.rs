//! Light folding of English plurals, so `order` and `orders`, `category`
//! and `categories` find the same products.
//!
//! Matching is "same stem": a document word matches a query word when both
//! fold to the same stem. The index keeps the words as written and the query
//! asks for every word that folds to the query word's stem ([`forms`]: at most
//! four, and the rules are invertible, so the set is exact). That is the same
//! match as folding the indexed lexemes, without re-indexing a catalog when
//! the rules change, and it is one function for SQLite and PostgreSQL.
//!
//! The rules are deliberately few (an S-stemmer, as Lucene's
//! `EnglishMinimalStemmer`, plus `-sses`, `-xes`, `-ches`, `-shes`): they only
//! undo plurals, never derive (`ordering` stays `ordering`), and leave words
//! with digits or non-ASCII letters alone. Known misses, on purpose: `caches`
//! folds to `cach` (so `cache` alone does not find it, `cache*` as the last
//! word does), `statuses` to `statuse`.

use std::borrow::Cow;

/// The stem of a lower-case word: its plural ending undone.
pub fn stem(word: &str) -> Cow<'_, str> {
    let n = word.len();
    if n < 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return Cow::Borrowed(word);
    }
    let b = word.as_bytes();
    if word.ends_with("ies") && n > 4 && !matches!(b[n - 4], b'a' | b'e') {
        return Cow::Owned(format!("{}y", &word[..n - 3]));
    }
    if n > 3 && (word.ends_with("sses") || word.ends_with("xes") || word.ends_with("ches") || word.ends_with("shes")) {
        return Cow::Borrowed(&word[..n - 2]);
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return Cow::Borrowed(word);
    }
    match word.strip_suffix('s') {
        Some(singular) => Cow::Borrowed(singular),
        None => Cow::Borrowed(word),
    }
}

/// Every word with the same stem as `word` (its singular and plurals), the
/// stem first.
pub fn forms(word: &str) -> Vec<String> {
    let s = stem(word).into_owned();
    let mut candidates = vec![s.clone(), format!("{s}s"), format!("{s}es")];
    if let Some(root) = s.strip_suffix('y') {
        candidates.push(format!("{root}ies"));
    }
    let mut out: Vec<String> = candidates.into_iter().filter(|c| stem(c) == s.as_str()).collect();
    out.dedup();
    out
}

/// The prefixes that find every word starting like one of `word`'s forms
/// (for the last query word, which may still be being typed): the stem
/// covers its `-s` and `-es` plurals, so only an `-ies` form adds one.
pub fn prefix_roots(word: &str) -> Vec<String> {
    let s = stem(word).into_owned();
    let mut out: Vec<String> = vec![s.clone()];
    for f in forms(word) {
        if !f.starts_with(s.as_str()) {
            out.push(f);
        }
    }
    out
}

/// Does the identifier word `candidate` (a column name part) match the
/// query word `query`: same stem, or, for the last query word, starting with
/// one of its [`prefix_roots`]?
pub fn word_matches(candidate: &str, query: &str, prefix: bool) -> bool {
    if prefix {
        prefix_roots(query).iter().any(|r| candidate.starts_with(r.as_str()))
    } else {
        stem(candidate) == stem(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_fold_to_one_stem() {
        for (plural, singular) in [
            ("orders", "order"),
            ("categories", "category"),
            ("addresses", "address"),
            ("boxes", "box"),
            ("batches", "batch"),
            ("hashes", "hash"),
            ("sales", "sale"),
            ("metrics", "metric"),
            ("ids", "id"),
        ] {
            assert_eq!(stem(plural), stem(singular), "{plural} / {singular}");
        }
        for kept in ["status", "address", "analysis", "id", "bus", "v2s", "données", "ordering"] {
            assert_eq!(stem(kept), kept);
        }
    }

    #[test]
    fn forms_are_exactly_the_words_with_the_stem() {
        assert_eq!(forms("order"), ["order", "orders"]);
        assert_eq!(forms("orders"), ["order", "orders"]);
        assert_eq!(forms("category"), ["category", "categorys", "categories"]);
        assert_eq!(forms("classes"), ["class", "classes"]);
        assert_eq!(forms("status"), ["status"]);
        for w in ["orders", "category", "boxes", "address", "sale", "x"] {
            for f in forms(w) {
                assert_eq!(stem(&f), stem(w), "{f} is a form of {w}");
            }
        }
    }

    #[test]
    fn stems_are_stable() {
        for w in ["orders", "categories", "glasses", "boxes", "atlases", "shoes", "buses", "class"] {
            let s = stem(w).into_owned();
            assert_eq!(stem(&s), s.as_str(), "{w}");
        }
    }

    #[test]
    fn prefix_roots_cover_the_ies_form() {
        assert_eq!(prefix_roots("categories"), ["category", "categories"]);
        assert_eq!(prefix_roots("order"), ["order"]);
        assert!(word_matches("orders", "order", true));
        assert!(word_matches("order", "orders", false));
        assert!(word_matches("categories", "category", false));
        assert!(!word_matches("ordering", "order", false));
        assert!(word_matches("ordering", "order", true));
    }
}
