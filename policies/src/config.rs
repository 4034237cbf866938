//! The policy file: what a deployment configures about governance.
//! Defaults live in `policies/steward-policies.yaml`, compiled in.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::finding::Severity;
use crate::rules::{RULES, rule_info};

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

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiiPolicy {
    pub tags: Vec<String>,
    pub min_product_classification: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationPolicy {
    #[serde(default)]
    pub defaults: Vec<String>,
    #[serde(default)]
    pub domains: BTreeMap<String, Vec<String>>,
}

/// A governance policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub server_types: Vec<String>,
    pub classifications: Vec<String>,
    pub default_product_classification: String,
    pub pii: PiiPolicy,
    pub min_slo_interval_minutes: u32,
    pub locations: LocationPolicy,
    #[serde(default)]
    pub severity: BTreeMap<String, SeverityOverride>,
}

impl Default for Policy {
    fn default() -> Self {
        Self::from_yaml(DEFAULT_POLICY_YAML).expect("the built-in policy is valid")
    }
}

impl Policy {
    /// Reads and checks a policy file; errors name the line and column.
    pub fn from_yaml(text: &str) -> Result<Self, PolicyError> {
        let policy: Policy = steward_schemas::parse::from_yaml_str(text).map_err(PolicyError)?;
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
        for id in self.severity.keys() {
            if rule_info(id).is_none() {
                let known: Vec<&str> = RULES.iter().map(|r| r.id).collect();
                return err(format!("`severity` names unknown rule `{id}`; known rules: {}", known.join(", ")));
            }
        }
        for prefix in self.locations.defaults.iter().chain(self.locations.domains.values().flatten()) {
            if prefix.split('/').any(|s| s == "..") {
                return err(format!("location prefix `{prefix}` must not contain `..`"));
            }
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
        match self.severity.get(rule) {
            Some(SeverityOverride::Off) => None,
            Some(SeverityOverride::Error) => Some(Severity::Error),
            Some(SeverityOverride::Warning) => Some(Severity::Warning),
            None => Some(rule_info(rule).map_or(Severity::Error, |r| r.default_severity)),
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
}
