//! What one role may read of another's secrets, in one place.
//!
//! The security model (DESIGN.md): subscriber targets, e-mail addresses and
//! secret-bearing URLs are shown in full only to their owner; the product's
//! producers and admins see them redacted. Everything that shows such a
//! value to someone who is not its owner goes through this module:
//!
//! * [`url`] — a secret-bearing URL as `scheme://host:port/…` (path, query,
//!   fragment and userinfo dropped) — the same form `steward-notify` uses in
//!   its errors, so a URL reads the same in an error and in a listing.
//! * [`email`] — `j***@example.com`.
//! * [`target`] — a subscription or alert target of any channel.
//! * [`text`] — URLs and e-mail addresses inside free text (outbox errors and
//!   dedup keys).
//! * [`json`] — the declared secret keys ([`SECRET_KEYS`]) of a JSON payload
//!   (outbox jobs, audit events).
//! * [`contract_value`], [`contract_text`], [`contract_texts`] and
//!   [`product_detail`]: the contract fields declared to hold credentials
//!   (see [`contract_secrets`]).
//!
//! Owners of contract secrets: a contract's contacts belong to the team that
//! publishes it, so the product's producers (producer tokens whose domains
//! include the product's) read the contract as written. Everyone else —
//! consumers, reviewers, producers of other domains and admins — reads the
//! declared fields redacted (an admin is trusted with operations, not with
//! the producer's credentials, as for subscriptions). Steward itself (the SLO
//! monitor sending an alert, the outbox worker delivering a webhook) reads
//! the store directly and always has the full value.

use serde_json::Value;

use crate::auth::{Principal, Role};
use crate::service::subscriptions::Channel;

/// What a redacted value that is not a URL becomes.
pub const REDACTED: &str = "(redacted)";

/// A secret-bearing URL for someone who is not its owner: scheme, host and
/// port only. Something that does not parse as a URL is hidden entirely.
pub fn url(raw: &str) -> String {
    let shown = steward_notify::redact_url(raw.trim());
    if shown == "(malformed URL)" { REDACTED.to_owned() } else { shown }
}

/// An e-mail address for someone who is not its owner: the first character
/// of the local part and the domain (`j***@example.com`).
pub fn email(raw: &str) -> String {
    match raw.trim().rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ => REDACTED.to_owned(),
    }
}

/// A notification target (subscription or alert) of `channel` for someone
/// who is not its owner. SNS topic ARNs keep region and account (the account
/// is shown beside the subscription anyway) and lose the topic name.
/// `channel` is a stored name: a subscription's channel, or an alert's
/// (`email`, `slack`); anything else is judged by the target's shape.
pub fn target(channel: &str, raw: &str) -> String {
    match channel.parse::<Channel>().ok() {
        Some(Channel::Email) => email(raw),
        Some(Channel::Sns) => match raw.rsplit_once(':') {
            Some((prefix, _)) if raw.starts_with("arn:") => format!("{prefix}:…"),
            _ => REDACTED.to_owned(),
        },
        Some(Channel::Webhook) | None => guess(raw),
    }
}

/// A value of unknown kind: a URL, an e-mail address, or left as is.
fn guess(raw: &str) -> String {
    let t = raw.trim();
    if let Some(addr) = t.strip_prefix("mailto:") {
        format!("mailto:{}", email(addr))
    } else if t.contains("://") {
        url(t)
    } else if t.contains('@') && !t.contains(char::is_whitespace) {
        email(t)
    } else {
        raw.to_owned()
    }
}

fn is_url_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | ',' | '|')
}

/// Free text with every URL (anything `scheme://…`) and e-mail address in
/// it redacted. For machine-made text (errors, dedup keys), not for prose:
/// it cannot tell a harmless link from a credential, so it hides both.
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while !rest.is_empty() {
        // The next token: a run of URL characters, or one other character.
        let end = rest.char_indices().find(|&(_, c)| !is_url_char(c)).map_or(rest.len(), |(i, _)| i);
        if end == 0 {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let (word, tail) = rest.split_at(end);
        out.push_str(&redact_word(word));
        rest = tail;
    }
    out
}

/// One run of URL characters: the URL inside it (after any `prefix:`, e.g.
/// `notify.alert:…:slack:https://…`) or an e-mail address.
fn redact_word(word: &str) -> String {
    if let Some(at) = word.find("://") {
        // The scheme is the alphanumeric run (with + - .) just before `://`.
        let start = word[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(at, |(i, _)| i);
        let trailing = word.len() - word.trim_end_matches(['.', ';', ':', '!', '?']).len();
        let (u, punct) = word[start..].split_at(word.len() - start - trailing);
        return format!("{}{}{}", &word[..start], url(u), punct);
    }
    if let Some(at) = word.find('@') {
        // `prefix:local@domain`: keep the prefix (a channel name in a dedup key).
        let start = word[..at].rfind(':').map_or(0, |i| i + 1);
        let (local, domain) = (&word[start..at], &word[at + 1..]);
        if !local.is_empty() && domain.contains('.') {
            let domain = domain.trim_end_matches(['.', ';', ':', '!', '?']);
            let punct = &word[at + 1 + domain.len()..];
            return format!("{}{}{}", &word[..start], email(&format!("{local}@{domain}")), punct);
        }
    }
    word.to_owned()
}

/// Keys of JSON payloads (outbox jobs, audit events) whose values are
/// notification targets or secret-bearing URLs.
pub const SECRET_KEYS: [&str; 4] = ["target", "url", "webhook", "email"];

/// A JSON payload with the values of [`SECRET_KEYS`] redacted, at any depth.
/// An object with a `channel` says how to read its `target`.
pub fn json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let channel = map.get("channel").and_then(Value::as_str).unwrap_or("").to_owned();
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if SECRET_KEYS.contains(&k.as_str()) => {
                        *s = if k == "target" { target(&channel, s) } else { guess(s) };
                    }
                    other => json(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json),
        _ => {}
    }
}

/// Does `who` own the contract secrets of a product in `domain` (its producers)?
pub fn owns_contract(who: &Principal, domain: &str) -> bool {
    who.holds(Role::Producer) && who.domains().iter().any(|d| d == domain)
}

/// A URL with credentials in its authority (`scheme://user:secret@host`).
fn has_userinfo(s: &str) -> bool {
    s.split_once("://").is_some_and(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or("").contains('@'))
}

/// The contract fields declared to hold credentials, as the string values
/// found in a parsed contract:
///
/// * `support[].url`, every value except `mailto:` addresses: Slack and
///   Teams incoming-webhook URLs are the credential, and a link cannot be
///   told from a webhook by its shape. (Support e-mail addresses are the
///   contact the product publishes for its consumers, and stay readable.)
/// * `support[].channel` when it holds a URL (some contracts put the webhook there).
/// * `servers[]` string fields holding a URL with a query string (signed
///   URLs, SAS tokens) or userinfo.
/// * Any string in the contract that is a URL with userinfo.
pub fn contract_secrets(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for s in doc.get("support").and_then(Value::as_array).into_iter().flatten() {
        if let Some(u) = s.get("url").and_then(Value::as_str)
            && !u.trim().is_empty()
            && !u.trim_start().to_ascii_lowercase().starts_with("mailto:")
        {
            out.push(u.to_owned());
        }
        if let Some(c) = s.get("channel").and_then(Value::as_str)
            && c.contains("://")
        {
            out.push(c.to_owned());
        }
    }
    fn walk(v: &Value, under_servers: bool, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.contains("://") && (has_userinfo(s) || under_servers && s.contains('?')) => {
                out.push(s.clone())
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, under_servers, out)),
            Value::Object(m) => m.iter().for_each(|(k, x)| walk(x, under_servers || k == "servers", out)),
            _ => {}
        }
    }
    walk(doc, false, &mut out);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// A parsed contract with its declared credential fields redacted.
pub fn contract_value(doc: &mut Value) {
    let secrets = contract_secrets(doc);
    fn walk(v: &mut Value, secrets: &[String]) {
        match v {
            Value::String(s) if secrets.iter().any(|x| x == s) => *s = url(s),
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, secrets)),
            Value::Object(m) => m.values_mut().for_each(|x| walk(x, secrets)),
            _ => {}
        }
    }
    walk(doc, &secrets);
}

/// Contract text with its declared credential fields redacted (see
/// [`contract_texts`]).
pub fn contract_text(text: &str) -> String {
    contract_texts(&[text]).pop().unwrap_or_default()
}

/// Contract texts (e.g. two versions for a diff) with their declared
/// credential fields redacted.
///
/// Line-preserving when it can be: each secret value found in the parsed
/// document is replaced where it appears verbatim in the text, so comments,
/// layout and line numbers (which findings point at) stay, and a diff shows
/// only real changes. The result is parsed again and checked; if a secret
/// was written in a form that is not verbatim (escapes, folded scalars) or
/// the check fails for any reason, every text is replaced by the redacted
/// parsed document (as JSON, which is YAML) — all of them, so a diff still
/// compares like with like. A text that does not parse has every URL and
/// e-mail address in it redacted.
pub fn contract_texts(texts: &[&str]) -> Vec<String> {
    let line_wise: Option<Vec<String>> = texts.iter().map(|t| replace_verbatim(t)).collect();
    if let Some(done) = line_wise {
        return done;
    }
    texts
        .iter()
        .map(|t| match parse(t) {
            Some(mut v) => {
                contract_value(&mut v);
                serde_json::to_string_pretty(&v).unwrap_or_else(|_| REDACTED.to_owned()) + "\n"
            }
            None => text(t),
        })
        .collect()
}

fn parse(text: &str) -> Option<Value> {
    steward_schemas::Document::from_str(text).ok().map(|d| d.value().clone())
}

/// `None` when the line-preserving replacement cannot be shown to be complete.
fn replace_verbatim(raw: &str) -> Option<String> {
    let Some(doc) = parse(raw) else { return Some(text(raw)) };
    // A URL with nothing past its host hides nothing; leaving it keeps the check simple.
    let secrets: Vec<String> = contract_secrets(&doc).into_iter().filter(|s| !url(s).contains(s.as_str())).collect();
    if secrets.is_empty() {
        return Some(raw.to_owned());
    }
    let mut out = raw.to_owned();
    for s in &secrets {
        if !out.contains(s.as_str()) {
            return None;
        }
        out = out.replace(s.as_str(), &url(s));
    }
    // The check: no secret survives anywhere in what the text now says.
    let again = parse(&out)?;
    let leaks = |v: &Value| -> bool {
        fn any(v: &Value, f: &dyn Fn(&str) -> bool) -> bool {
            match v {
                Value::String(s) => f(s),
                Value::Array(a) => a.iter().any(|x| any(x, f)),
                Value::Object(m) => m.iter().any(|(k, x)| f(k) || any(x, f)),
                _ => false,
            }
        }
        any(v, &|s: &str| secrets.iter().any(|x| s.contains(x.as_str())))
    };
    (!leaks(&again) && contract_secrets(&again).iter().all(|s| secrets.iter().all(|x| !s.contains(x.as_str()))))
        .then_some(out)
}

/// A product's detail as read by someone who does not own its contract
/// secrets: contact URLs, the `steward.contact` table parameter and table
/// locations with credentials are redacted.
pub fn product_detail(p: &mut crate::model::ProductDetail) {
    let secret_url = |s: &str| s.contains("://") && !s.trim_start().to_ascii_lowercase().starts_with("mailto:");
    for c in &mut p.contacts {
        if let Some(u) = c.url.as_mut()
            && !u.trim().is_empty()
            && !u.trim_start().to_ascii_lowercase().starts_with("mailto:")
        {
            *u = url(u);
        }
        if let Some(ch) = c.channel.as_mut()
            && ch.contains("://")
        {
            *ch = url(ch);
        }
    }
    for t in &mut p.tables {
        if let Some(c) = t.parameters.get_mut("steward.contact")
            && secret_url(c)
        {
            *c = url(c);
        }
        if has_userinfo(&t.location) || t.location.contains('?') {
            t.location = url(&t.location);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOOK: &str = "https://hooks.slack.com/services/T0/B0/XYZsecret";

    #[test]
    fn urls_keep_scheme_host_and_port() {
        assert_eq!(url(HOOK), "https://hooks.slack.com/…");
        assert_eq!(url("https://bot:pw@example.com:8443/x?token=1#f"), "https://example.com:8443/…");
        assert_eq!(url("not a url"), REDACTED);
    }

    #[test]
    fn emails_and_targets() {
        assert_eq!(email("jane.doe@example.com"), "j***@example.com");
        assert_eq!(email("nonsense"), REDACTED);
        assert_eq!(target("email", "ops@example.com"), "o***@example.com");
        assert_eq!(target("webhook", HOOK), "https://hooks.slack.com/…");
        assert_eq!(target("sns", "arn:aws:sns:eu-west-1:123456789012:orders"), "arn:aws:sns:eu-west-1:123456789012:…");
    }

    #[test]
    fn free_text_loses_urls_and_addresses() {
        let dedup = format!("notify.alert:slo:sales.orders:slack:{HOOK}");
        assert_eq!(text(&dedup), "notify.alert:slo:sales.orders:slack:https://hooks.slack.com/…");
        assert_eq!(
            text(&format!("POST {HOOK}?a=b failed (timeout); mail to jane@example.com.")),
            "POST https://hooks.slack.com/… failed (timeout); mail to j***@example.com."
        );
        assert_eq!(text("notify.alert:x:email:ops@example.com"), "notify.alert:x:email:o***@example.com");
        assert_eq!(text("s3://b/p?sig=1"), "s3://b/…");
        assert_eq!(text("nothing secret here: 3 of 4"), "nothing secret here: 3 of 4");
    }

    #[test]
    fn json_payloads_lose_declared_keys() {
        let mut v = serde_json::json!({"channel": "slack", "target": HOOK, "text": "late",
            "nested": [{"channel": "email", "target": "jane@example.com"}]});
        json(&mut v);
        assert_eq!(v["target"], "https://hooks.slack.com/…");
        assert_eq!(v["text"], "late");
        assert_eq!(v["nested"][0]["target"], "j***@example.com");
    }

    fn contract(slack_line: &str) -> String {
        format!(
            "domain: sales\ndataProduct: orders\n# the team's channel\nsupport:\n  - channel: ops@example.com\n    url: mailto:ops@example.com\n  - channel: \"#sales\"\n    tool: slack\n{slack_line}\nservers:\n  - server: prod\n    location: s3://u:p@bucket/orders/\n"
        )
    }

    #[test]
    fn contract_text_is_redacted_line_by_line() {
        let text = contract(&format!("    url: {HOOK}"));
        let out = contract_text(&text);
        assert!(!out.contains("XYZsecret") && !out.contains("u:p@"), "{out}");
        assert!(out.contains("    url: https://hooks.slack.com/…\n"), "{out}");
        assert!(out.contains("mailto:ops@example.com") && out.contains("# the team's channel"), "{out}");
        assert_eq!(out.lines().count(), text.lines().count());
    }

    #[test]
    fn secrets_not_written_verbatim_fall_back_to_the_parsed_document() {
        // Escaped in a double-quoted scalar: the raw text never has the URL verbatim.
        let escaped = HOOK.replace("XYZ", "\\x58YZ");
        let a = contract(&format!("    url: \"{escaped}\""));
        let b = contract(&format!("    url: {HOOK}"));
        let out = contract_texts(&[&a, &b]);
        for o in &out {
            assert!(!o.contains("secret"), "{o}");
            assert!(o.contains("https://hooks.slack.com/…"), "{o}");
        }
        assert_eq!(out[0], out[1], "both texts take the same form");
    }

    #[test]
    fn product_detail_contacts_are_redacted() {
        let mut p: crate::model::ProductDetail = serde_json::from_value(serde_json::json!({
            "key": "sales.orders", "domain": "sales", "product": "orders", "version": "1", "status": "active",
            "name": "n", "description": {"purpose": "p", "usage": null, "limitations": null}, "owner_team": "t",
            "contacts": [{"channel": "#x", "tool": "slack", "url": HOOK},
                         {"channel": "ops@example.com", "tool": "email", "url": "mailto:ops@example.com"}],
            "classification": "internal", "tags": [], "slo": [], "database": "sales_orders",
            "tables": [{"database": "sales_orders", "name": "t", "description": "", "location": "s3://b/t/",
                        "format": "parquet", "columns": [], "partition_keys": [],
                        "parameters": {"steward.contact": HOOK}}]
        }))
        .unwrap();
        product_detail(&mut p);
        assert_eq!(p.contacts[0].url.as_deref(), Some("https://hooks.slack.com/…"));
        assert_eq!(p.contacts[1].url.as_deref(), Some("mailto:ops@example.com"));
        assert_eq!(p.tables[0].parameters["steward.contact"], "https://hooks.slack.com/…");
        assert_eq!(p.tables[0].location, "s3://b/t/");
    }
}
