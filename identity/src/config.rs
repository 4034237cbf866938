//! Trusted-issuer settings (`identity.trusted_issuers[*]` in Steward's
//! configuration) and their checks at load time.

use std::collections::BTreeMap;

use jsonwebtoken::Algorithm;
use serde::{Deserialize, Deserializer};
use steward_api::Role;

use crate::error::ConfigError;

/// One issuer whose JWTs the API accepts.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The exact `iss` of its tokens, e.g. `https://token.actions.githubusercontent.com`.
    pub issuer: String,
    /// Accepted `aud` values: one string or a list; a token must hold at least one.
    #[serde(deserialize_with = "one_or_many")]
    pub audience: Vec<String>,
    /// Where its keys are; default: `jwks_uri` of `{issuer}/.well-known/openid-configuration`.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Accepted `alg` values (default RS256 and ES256). `none` and HS* are refused.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    #[serde(default = "default_leeway")]
    pub leeway_secs: u64,
    /// The fewest seconds between two fetches of the JWKS (an unknown `kid`
    /// refetches at most this often, so junk kids cannot hammer the issuer).
    #[serde(default = "default_refetch")]
    pub refetch_interval_secs: u64,
    /// Claims → role and scopes; the first rule whose claims all match wins.
    pub rules: Vec<Rule>,
}

/// Maps tokens whose claims match to a Steward role.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Claim name → expected value. `*` matches any run of characters
    /// (`refs/heads/*`); everything else is literal. A list-valued claim
    /// matches if one of its items does.
    pub claims: BTreeMap<String, String>,
    pub role: Role,
    /// Domains for a producer, accounts for a consumer; none for the others.
    #[serde(default)]
    pub scopes: Vec<String>,
}

fn default_algorithms() -> Vec<String> {
    vec!["RS256".into(), "ES256".into()]
}

const fn default_leeway() -> u64 {
    60
}

const fn default_refetch() -> u64 {
    30
}

/// The longest leeway accepted: a larger skew would stretch a short-lived
/// CI token's life noticeably.
const MAX_LEEWAY_SECS: u64 = 300;

/// `audience: steward` or `audience: [steward, steward-prod]`.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// The algorithms an issuer may use. Only asymmetric ones: the keys come
/// from a public JWKS, and HMAC with a public key as its secret is the
/// classic algorithm-confusion forgery (RFC 8725 section 2.1, 3.1).
pub(crate) fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    if name.eq_ignore_ascii_case("none") {
        return Err("`none` is never allowed (unsigned tokens; RFC 8725 section 3.1)".into());
    }
    if name.to_ascii_uppercase().starts_with("HS") {
        return Err(format!(
            "`{name}` is never allowed: HMAC keys are secrets, an issuer's JWKS is public (RFC 8725 section 2.1)"
        ));
    }
    match name.parse::<Algorithm>() {
        Ok(a) if a.family() != jsonwebtoken::AlgorithmFamily::Hmac => Ok(a),
        _ => Err(format!(
            "`{name}` is not a supported algorithm; use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA"
        )),
    }
}

impl IssuerConfig {
    /// Settings for `issuer` and `audience` with the defaults and no rules.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: vec![audience.into()],
            jwks_uri: None,
            algorithms: default_algorithms(),
            leeway_secs: default_leeway(),
            refetch_interval_secs: default_refetch(),
            rules: Vec::new(),
        }
    }

    /// Checks what serde cannot: URLs, algorithms, rules. `index` names the
    /// entry in the error.
    pub fn check(&self, index: usize) -> Result<Vec<Algorithm>, ConfigError> {
        let algorithms = self.check_keys(index)?;
        check_rules(&self.rules, "rules", true).map_err(|message| ConfigError {
            index,
            issuer: self.issuer.clone(),
            message,
        })?;
        Ok(algorithms)
    }

    /// Everything but the rules: URLs, audience, algorithms, timings.
    pub(crate) fn check_keys(&self, index: usize) -> Result<Vec<Algorithm>, ConfigError> {
        let err = |message: String| ConfigError { index, issuer: self.issuer.clone(), message };
        check_url("issuer", &self.issuer).map_err(err)?;
        if let Some(uri) = &self.jwks_uri {
            check_url("jwks_uri", uri).map_err(err)?;
        }
        if self.audience.is_empty() || self.audience.iter().any(|a| a.trim().is_empty()) {
            return Err(err("audience: at least one non-empty audience is required".into()));
        }
        if self.algorithms.is_empty() {
            return Err(err("algorithms: at least one algorithm is required".into()));
        }
        let algorithms = self
            .algorithms
            .iter()
            .map(|a| parse_algorithm(a).map_err(|m| err(format!("algorithms: {m}"))))
            .collect::<Result<Vec<_>, _>>()?;
        if self.leeway_secs > MAX_LEEWAY_SECS {
            return Err(err(format!("leeway_secs: at most {MAX_LEEWAY_SECS}, not {}", self.leeway_secs)));
        }
        if self.refetch_interval_secs == 0 {
            return Err(err("refetch_interval_secs: at least 1".into()));
        }
        Ok(algorithms)
    }
}

/// Checks a list of claim rules; `field` names the list in messages.
pub(crate) fn check_rules(rules: &[Rule], field: &str, required: bool) -> Result<(), String> {
    if required && rules.is_empty() {
        return Err(format!("{field}: at least one rule is required (a token that matches no rule is refused)"));
    }
    for (i, rule) in rules.iter().enumerate() {
        // A rule without claims would admit every token the issuer signs
        // for this audience: for a CI issuer, every repository on the platform.
        if rule.claims.is_empty() {
            return Err(format!("{field}[{i}]: name at least one claim to match"));
        }
        if let Some((name, _)) = rule.claims.iter().find(|(_, v)| v.trim().is_empty()) {
            return Err(format!("{field}[{i}].claims.{name}: the value is empty"));
        }
        match rule.role {
            Role::Producer | Role::Consumer if rule.scopes.is_empty() => {
                let what = if rule.role == Role::Producer { "domains" } else { "accounts" };
                return Err(format!("{field}[{i}]: a {} rule needs scopes ({what})", rule.role));
            }
            Role::Admin | Role::Reviewer if !rule.scopes.is_empty() => {
                return Err(format!(
                    "{field}[{i}]: role {} takes no scopes; scopes are for producers and consumers",
                    rule.role
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// `https://...`; plain `http://` only to a loopback host (tests, a local
/// issuer): keys fetched in clear text could be swapped by anyone on the path.
pub(crate) fn check_url(field: &str, url: &str) -> Result<(), String> {
    if url.starts_with("https://") && url.len() > "https://".len() {
        return Ok(());
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once(':').filter(|(h, _)| !h.is_empty() && !h.ends_with(':')).map_or(host, |(h, _)| h);
        if matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Ok(());
        }
    }
    Err(format!("{field}: `{url}` must be an https:// URL (http:// only to a loopback host)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> IssuerConfig {
        let mut c = IssuerConfig::new("https://token.actions.githubusercontent.com", "steward");
        c.rules.push(Rule {
            claims: BTreeMap::from([("repository".into(), "acme/orders".into())]),
            role: Role::Producer,
            scopes: vec!["sales".into()],
        });
        c
    }

    #[test]
    fn none_and_hmac_are_refused_at_load() {
        for bad in ["none", "None", "HS256", "HS384", "HS512", "hs256"] {
            let mut c = issuer();
            c.algorithms = vec!["RS256".into(), bad.into()];
            let e = c.check(0).unwrap_err().to_string();
            assert!(e.contains("algorithms") && e.contains("never allowed"), "{bad}: {e}");
        }
        let mut c = issuer();
        c.algorithms = vec!["RS1".into()];
        assert!(c.check(0).unwrap_err().to_string().contains("not a supported algorithm"));
        assert_eq!(issuer().check(0).unwrap(), vec![Algorithm::RS256, Algorithm::ES256]);
    }

    #[test]
    fn urls_must_be_https_except_loopback() {
        let mut c = issuer();
        c.issuer = "http://idp.example.com".into();
        assert!(c.check(0).unwrap_err().to_string().contains("https://"));
        for ok in ["http://127.0.0.1:8080", "http://localhost/x", "http://[::1]:9/"] {
            c.issuer = ok.into();
            assert!(c.check(0).is_ok(), "{ok}");
        }
        c.issuer = "http://127.0.0.1.evil.example".into();
        assert!(c.check(0).is_err());
    }

    #[test]
    fn rules_need_claims_and_fitting_scopes() {
        let mut c = issuer();
        c.rules[0].claims.clear();
        assert!(c.check(0).unwrap_err().to_string().contains("at least one claim"));
        let mut c = issuer();
        c.rules[0].scopes.clear();
        assert!(c.check(3).unwrap_err().to_string().contains("trusted_issuers[3]"));
        let mut c = issuer();
        c.rules[0].role = Role::Reviewer;
        assert!(c.check(0).unwrap_err().to_string().contains("takes no scopes"));
        let mut c = issuer();
        c.rules.clear();
        assert!(c.check(0).is_err());
        let mut c = issuer();
        c.leeway_secs = 3600;
        assert!(c.check(0).unwrap_err().to_string().contains("leeway_secs"));
    }

    #[test]
    fn audience_is_one_or_many() {
        let one: IssuerConfig = serde_json::from_value(serde_json::json!({
            "issuer": "https://i", "audience": "a", "rules": []
        }))
        .unwrap();
        assert_eq!(one.audience, vec!["a"]);
        assert_eq!(one.leeway_secs, 60);
        assert_eq!(one.algorithms, vec!["RS256", "ES256"]);
        let many: IssuerConfig = serde_json::from_value(serde_json::json!({
            "issuer": "https://i", "audience": ["a", "b"], "rules": []
        }))
        .unwrap();
        assert_eq!(many.audience, vec!["a", "b"]);
    }
}
