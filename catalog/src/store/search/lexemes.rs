//! The vocabulary of the search index (`search_lexemes`, both databases),
//! which turns the last query word — a prefix that may still be being typed
//! — into the few exact words it starts.
//!
//! Why: a prefix match is the expensive kind in both engines. FTS5 merges
//! every doclist the prefix starts into one in-memory list before it can
//! intersect it (a common word with a domain filter: 3 ms warm against
//! 0.3 ms for the same word exact, and a search runs that match three or four
//! times); PostgreSQL cannot estimate a `word:*` tsquery. An OR of exact
//! words streams.
//!
//! The vocabulary is a superset of the indexed words: words are added on
//! publish and never removed (a stale word only adds an alternative that
//! matches nothing). Expansion is used only when the prefix and every word in
//! its range are plain ASCII (`[a-z0-9]`) and there are at most
//! [`PREFIX_EXPANSIONS_MAX`]; otherwise the prefix form stays.
//!
//! PostgreSQL's lexemes are read back from the stored `tsvector`, so they are
//! exactly what the index holds. SQLite's are computed here from the text
//! given to FTS5 ([`fts_words`]), an approximation of its `unicode61`
//! tokenizer that errs on the side of more words: what matters is that every
//! plain ASCII token FTS5 makes is in the vocabulary. For ASCII text the
//! two split alike (at every character that is not a letter or digit, then
//! lower-cased); a word with other characters is added as written, plus its
//! ASCII spellings (diacritics removed, as `unicode61` removes them, and the
//! ASCII runs between the other characters). The migration that created the
//! SQLite table filled it from FTS5's own vocabulary (`fts5vocab`).

use std::collections::BTreeSet;

use sqlx::{AnyConnection, Row};
use unicode_normalization::UnicodeNormalization;

use super::StoreError;

/// The last query word is expanded to at most this many exact words; a
/// prefix that starts more keeps the prefix form.
const PREFIX_EXPANSIONS_MAX: usize = 16;

fn plain(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The words in the catalog that start with `prefix`, if there are at most
/// [`PREFIX_EXPANSIONS_MAX`] and all are plain ASCII; `None` means "keep the
/// prefix form". An empty list means nothing in the catalog can match.
pub(super) async fn expand_prefix(conn: &mut AnyConnection, prefix: &str) -> Result<Option<Vec<String>>, StoreError> {
    if !plain(prefix) {
        return Ok(None);
    }
    // Byte order (PostgreSQL: the column's "C" collation; SQLite: BINARY):
    // the words sharing the prefix come first, contiguous.
    let rows = sqlx::query("SELECT lexeme FROM search_lexemes WHERE lexeme >= $1 ORDER BY lexeme LIMIT $2")
        .bind(prefix)
        .bind(PREFIX_EXPANSIONS_MAX as i64 + 1)
        .fetch_all(&mut *conn)
        .await?;
    let mut words = Vec::new();
    for r in &rows {
        let word: String = r.try_get(0)?;
        if !word.starts_with(prefix) {
            break;
        }
        if !plain(&word) {
            return Ok(None);
        }
        words.push(word);
    }
    Ok((words.len() <= PREFIX_EXPANSIONS_MAX).then_some(words))
}

/// The words FTS5's `unicode61` tokenizer may index for `texts`, and more
/// (see the module docs).
pub(crate) fn fts_words<'a>(texts: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for text in texts {
        for token in text.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()) {
            let lower = token.to_lowercase();
            if lower.is_ascii() {
                out.insert(lower);
                continue;
            }
            let folded: String = lower.nfd().filter(char::is_ascii).collect();
            out.extend(folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned));
            out.extend(lower.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned));
            out.insert(lower);
        }
    }
    out
}

/// Adds `words` to the vocabulary (SQLite; PostgreSQL reads its lexemes back
/// from the stored document on publish).
pub(crate) async fn add_sqlite(conn: &mut AnyConnection, words: &BTreeSet<String>) -> Result<(), StoreError> {
    let words: Vec<&String> = words.iter().collect();
    for chunk in words.chunks(500) {
        let values = (1..=chunk.len()).map(|i| format!("(${i})")).collect::<Vec<_>>().join(", ");
        let sql = format!("INSERT INTO search_lexemes (lexeme) VALUES {values} ON CONFLICT DO NOTHING");
        let q = chunk.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |q, w| q.bind(w.as_str()));
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_text_splits_like_unicode61() {
        let words = fts_words(["order id", "Customer-Email 2fa", "a_b"]);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        assert_eq!(words, ["2fa", "a", "b", "customer", "email", "id", "order"]);
    }

    #[test]
    fn other_words_add_their_ascii_spellings() {
        let words = fts_words(["Révenue straße 日本"]);
        for w in ["révenue", "revenue", "r", "venue", "straße", "stra", "e", "日本"] {
            assert!(words.contains(w), "{w} in {words:?}");
        }
    }

    #[test]
    fn plain_is_lower_ascii_letters_and_digits() {
        assert!(plain("order2"));
        assert!(!plain(""));
        assert!(!plain("Order"));
        assert!(!plain("révenue"));
    }
}
