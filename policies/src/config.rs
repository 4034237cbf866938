//! The policy file: what a deployment configures about governance.
//! Defaults live in `policies/steward-policies.yaml`, compiled in; a policy
//! file is merged over them and names only what it changes.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::finding::Severity;
use crate::rules::{RULES, fixed_severity, rule_info};

/// The compiled-in default policy file.
pub const DEFAULT_POLICY_YAML: &str = include_str!("../steward-policies.yaml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy file: {0}")]
pub struct PolicyError(pub String);

/// A severity override in the policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeverityOverride {
    Error,
    Warning,
    Off,
}

impl SeverityOverride {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Off => "off",
        }
    }

    /// The severity it sets; `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Self::Error => Some(Severity::Error),
            Self::Warning => Some(Severity::Warning),
            Self::Off => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiPolicy {
    pub tags: Vec<String>,
    pub min_product_classification: String,
}

/// How breaking changes (a new major version) are rolled out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakingChangePolicy {
    /// A breaking proposal that affects consumers (accounts with grants or
    /// subscriptions) may be approved only this many days after it was
    /// submitted, so they hear of it and can prepare; 0: at once.
    pub notice_days: u32,
    /// When a newer major is published, the previous one is supported this
    /// many days (unless its contract names `endOfSupport`).
    pub support_days: u32,
    /// ... and kept this many days in all (unless its contract names
    /// `endOfLife`): then it is retired, its grants revoked. At least `support_days`.
    pub end_of_life_days: u32,
    /// Grantees still on an old major are reminded this many days before
    /// its end of support.
    pub reminder_days: u32,
    /// What happens to a retired major's catalog entries.
    pub retired_catalog: RetiredCatalog,
}

/// What happens to a retired major's catalog entries (its Glue database, its
/// `GET /products/{key}?major=N` answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetiredCatalog {
    /// Kept, read-only: no grant reaches it any more.
    Keep,
    /// Dropped: the Glue database is deleted (its data stays where it is)
    /// and Steward answers 404 for the major.
    Drop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationPolicy {
    pub defaults: Vec<String>,
    pub domains: BTreeMap<String, Vec<String>>,
}

/// A governance policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub server_types: Vec<String>,
    pub classifications: Vec<String>,
    pub default_product_classification: String,
    pub pii: PiiPolicy,
    pub min_slo_interval_minutes: u32,
    pub locations: LocationPolicy,
    pub severity: BTreeMap<String, SeverityOverride>,
    pub breaking_changes: BreakingChangePolicy,
}

/// A policy file as written: every key optional. [`Policy::from_yaml`]
/// merges it over the defaults, so a file names only what it changes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    server_types: Option<Vec<String>>,
    classifications: Option<Vec<String>>,
    default_product_classification: Option<String>,
    pii: Option<PiiFile>,
    min_slo_interval_minutes: Option<u32>,
    locations: Option<LocationFile>,
    severity: Option<BTreeMap<String, SeverityOverride>>,
    breaking_changes: Option<BreakingChangesFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakingChangesFile {
    notice_days: Option<u32>,
    support_days: Option<u32>,
    end_of_life_days: Option<u32>,
    reminder_days: Option<u32>,
    retired_catalog: Option<RetiredCatalog>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PiiFile {
    tags: Option<Vec<String>>,
    min_product_classification: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationFile {
    defaults: Option<Vec<String>>,
    domains: Option<BTreeMap<String, Vec<String>>>,
}

impl Default for Policy {
    fn default() -> Self {
        static BUILT_IN: OnceLock<Policy> = OnceLock::new();
        BUILT_IN.get_or_init(built_in).clone()
    }
}

/// The compiled-in file, which must name every setting.
fn built_in() -> Policy {
    let file = parse(DEFAULT_POLICY_YAML).expect("the built-in policy parses");
    let pii = file.pii.expect("built-in pii");
    let locations = file.locations.expect("built-in locations");
    let policy = Policy {
        server_types: file.server_types.expect("built-in server_types"),
        classifications: file.classifications.expect("built-in classifications"),
        default_product_classification: file.default_product_classification.expect("built-in default classification"),
        pii: PiiPolicy {
            tags: pii.tags.expect("built-in pii.tags"),
            min_product_classification: pii.min_product_classification.expect("built-in pii level"),
        },
        min_slo_interval_minutes: file.min_slo_interval_minutes.expect("built-in min_slo_interval_minutes"),
        locations: LocationPolicy {
            defaults: locations.defaults.expect("built-in locations.defaults"),
            domains: locations.domains.unwrap_or_default(),
        },
        severity: file.severity.unwrap_or_default(),
        breaking_changes: {
            let b = file.breaking_changes.expect("built-in breaking_changes");
            BreakingChangePolicy {
                notice_days: b.notice_days.expect("built-in breaking_changes.notice_days"),
                support_days: b.support_days.expect("built-in breaking_changes.support_days"),
                end_of_life_days: b.end_of_life_days.expect("built-in breaking_changes.end_of_life_days"),
                reminder_days: b.reminder_days.expect("built-in breaking_changes.reminder_days"),
                retired_catalog: b.retired_catalog.expect("built-in breaking_changes.retired_catalog"),
            }
        },
    };
    policy.check().expect("the built-in policy is valid");
    policy
}

fn parse(text: &str) -> Result<PolicyFile, PolicyError> {
    // A file of comments only changes nothing (contracts, unlike policies, may not be empty).
    if text.lines().map(str::trim).all(|l| l.is_empty() || l.starts_with('#') || l == "---") {
        return Ok(PolicyFile::default());
    }
    steward_schemas::parse::from_yaml_str(text).map_err(PolicyError)
}

impl Policy {
    /// Reads a policy file and merges it over the defaults: each setting the
    /// file names replaces the default one, the others stay; `severity` and
    /// `locations.domains` are merged by key. The result is checked; errors
    /// name the line and column.
    pub fn from_yaml(text: &str) -> Result<Self, PolicyError> {
        fn set<T>(slot: &mut T, value: Option<T>) {
            if let Some(v) = value {
                *slot = v;
            }
        }
        let file = parse(text)?;
        let mut policy = Policy::default();
        set(&mut policy.server_types, file.server_types);
        set(&mut policy.classifications, file.classifications);
        set(&mut policy.default_product_classification, file.default_product_classification);
        if let Some(pii) = file.pii {
            set(&mut policy.pii.tags, pii.tags);
            set(&mut policy.pii.min_product_classification, pii.min_product_classification);
        }
        set(&mut policy.min_slo_interval_minutes, file.min_slo_interval_minutes);
        if let Some(locations) = file.locations {
            set(&mut policy.locations.defaults, locations.defaults);
            policy.locations.domains.extend(locations.domains.unwrap_or_default());
        }
        policy.severity.extend(file.severity.unwrap_or_default());
        if let Some(b) = file.breaking_changes {
            let slot = &mut policy.breaking_changes;
            set(&mut slot.notice_days, b.notice_days);
            set(&mut slot.support_days, b.support_days);
            set(&mut slot.end_of_life_days, b.end_of_life_days);
            set(&mut slot.reminder_days, b.reminder_days);
            set(&mut slot.retired_catalog, b.retired_catalog);
        }
        policy.check()?;
        Ok(policy)
    }

    fn check(&self) -> Result<(), PolicyError> {
        let err = |m: String| Err(PolicyError(m));
        if self.classifications.is_empty() {
            return err("`classifications` must list at least one level".into());
        }
        for (what, level) in [
            ("default_product_classification", &self.default_product_classification),
            ("pii.min_product_classification", &self.pii.min_product_classification),
        ] {
            if self.level(level).is_none() {
                return err(format!(
                    "`{what}: {level}` is not one of `classifications` ({})",
                    self.classifications.join(", ")
                ));
            }
        }
        for (id, level) in &self.severity {
            let Some(rule) = rule_info(id) else {
                let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
                return err(format!("`severity` names unknown rule `{id}`; known rules: {}", known.join(", ")));
            };
            if let Some(why) = fixed_severity(id)
                && Some(rule.default_severity) != level.severity()
            {
                return err(format!(
                    "`severity.{id}: {}` is not allowed: {id} is always {}, because {why}; remove the line",
                    level.as_str(),
                    match rule.default_severity {
                        Severity::Error => "an error",
                        Severity::Warning => "a warning",
                    }
                ));
            }
        }
        for prefix in self.locations.defaults.iter().chain(self.locations.domains.values().flatten()) {
            if prefix.split('/').any(|s| s == "..") {
                return err(format!("location prefix `{prefix}` must not contain `..`"));
            }
        }
        let b = &self.breaking_changes;
        if b.end_of_life_days < b.support_days {
            return err(format!(
                "`breaking_changes.end_of_life_days: {}` must be at least `support_days` ({}): a major is supported until it is retired at the latest",
                b.end_of_life_days, b.support_days
            ));
        }
        if self.min_slo_interval_minutes == 0 {
            return err("`min_slo_interval_minutes` must be at least 1".into());
        }
        Ok(())
    }

    /// The rank of a classification level (0 = least sensitive).
    pub fn level(&self, name: &str) -> Option<usize> {
        self.classifications.iter().position(|c| c == name)
    }

    /// The effective severity of a rule, or `None` if it is turned off.
    pub fn severity_of(&self, rule: &str) -> Option<Severity> {
        let default = rule_info(rule).map_or(Severity::Error, |r| r.default_severity);
        // A policy built in code is not checked like a file: fixed stays fixed.
        if fixed_severity(rule).is_some() {
            return Some(default);
        }
        match self.severity.get(rule) {
            Some(level) => level.severity(),
            None => Some(default),
        }
    }

    /// The location prefixes a domain owns.
    pub fn location_prefixes(&self, domain: &str) -> Vec<String> {
        match self.locations.domains.get(domain) {
            Some(own) => own.clone(),
            None => self
                .locations
                .defaults
                .iter()
                .map(|p| p.replace("{domain-kebab}", &domain.replace('_', "-")).replace("{domain}", domain))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_loads() {
        let p = Policy::default();
        assert_eq!(p.level("restricted"), Some(3));
        assert_eq!(p.location_prefixes("sales"), vec!["s3://steward-sales/", "lake/sales/"]);
        assert_eq!(p.location_prefixes("web_shop"), vec!["s3://steward-web-shop/", "lake/web_shop/"]);
        assert_eq!(p.severity_of("STW005"), Some(Severity::Warning));
        assert_eq!(p.severity_of("STW001"), Some(Severity::Error));
    }

    #[test]
    fn bad_policy_files_name_the_problem() {
        let base = DEFAULT_POLICY_YAML;
        let e = Policy::from_yaml(&format!("{base}\nsurprise: 1\n")).unwrap_err().to_string();
        assert!(e.contains("surprise"), "{e}");
        let e = Policy::from_yaml(&base.replace("STW016: warning", "STW999: off")).unwrap_err().to_string();
        assert!(e.contains("STW999"), "{e}");
        let e = Policy::from_yaml(
            &base.replace("default_product_classification: internal", "default_product_classification: secret"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("secret"), "{e}");
        let e = Policy::from_yaml(&base.replace("min_slo_interval_minutes: 5", "min_slo_interval_minutes: often"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line ") && e.contains("min_slo_interval_minutes"), "{e}");
    }

    #[test]
    fn domains_can_own_their_prefixes() {
        let p = Policy::from_yaml(
            &DEFAULT_POLICY_YAML.replace("domains: {}", "domains:\n    sales: [\"s3://acme-sales/\"]"),
        )
        .unwrap();
        assert_eq!(p.location_prefixes("sales"), vec!["s3://acme-sales/"]);
        assert_eq!(p.location_prefixes("hr"), vec!["s3://steward-hr/", "lake/hr/"]);
    }

    #[test]
    fn breaking_change_notice_is_off_by_default_and_set_by_a_file() {
        assert_eq!(Policy::default().breaking_changes.notice_days, 0);
        let p = Policy::from_yaml("breaking_changes:\n  notice_days: 14\n").unwrap();
        assert_eq!(p.breaking_changes.notice_days, 14);
        assert_eq!(p.pii, Policy::default().pii, "the rest stays");
        let e = Policy::from_yaml("breaking_changes:\n  notice_days: -1\n").unwrap_err().to_string();
        assert!(e.contains("notice_days") || e.contains("line 2"), "{e}");
        let e = Policy::from_yaml("breaking_changes:\n  notice: 3\n").unwrap_err().to_string();
        assert!(e.contains("notice"), "{e}");
    }
}
