//! Serde types for the ODCS v3.1 fields Steward reads.
//!
//! Every field is optional or defaulted here, on purpose: missing or malformed
//! fields are reported by the profile and the policies with a path and a
//! position, which a serde error could not do as well. Fields Steward does not
//! read are not modelled; the whole document stays available as JSON in
//! [`crate::ParsedContract::document`] and byte-for-byte in git, so nothing a
//! producer wrote is lost.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub status: Option<String>,
    pub domain: Option<String>,
    pub data_product: Option<String>,
    pub tenant: Option<String>,
    pub description: Option<Description>,
    pub team: Option<Team>,
    #[serde(default)]
    pub support: Vec<SupportChannel>,
    #[serde(default)]
    pub servers: Vec<Server>,
    #[serde(default)]
    pub schema: Vec<SchemaObject>,
    pub sla_default_element: Option<String>,
    #[serde(default)]
    pub sla_properties: Vec<SlaProperty>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_properties: Vec<CustomProperty>,
}

/// ODCS v3 `description` is an object; older contracts use a plain string,
/// which is read as the purpose.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "DescriptionRepr")]
pub struct Description {
    pub purpose: Option<String>,
    pub usage: Option<String>,
    pub limitations: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DescriptionRepr {
    Text(String),
    Object { purpose: Option<String>, usage: Option<String>, limitations: Option<String> },
}

impl From<DescriptionRepr> for Description {
    fn from(r: DescriptionRepr) -> Self {
        match r {
            DescriptionRepr::Text(t) => Self { purpose: Some(t), ..Self::default() },
            DescriptionRepr::Object { purpose, usage, limitations } => Self { purpose, usage, limitations },
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub members: Vec<TeamMember>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMember {
    pub username: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportChannel {
    pub channel: Option<String>,
    pub tool: Option<String>,
    pub url: Option<String>,
    pub scope: Option<String>,
    pub description: Option<String>,
}

impl SupportChannel {
    /// The e-mail address of this channel, if it is an e-mail channel.
    pub fn email(&self) -> Option<&str> {
        if let Some(addr) = self.url.as_deref().and_then(|u| u.strip_prefix("mailto:")) {
            return Some(addr);
        }
        let channel = self.channel.as_deref()?;
        (self.tool.as_deref() == Some("email") || channel.contains('@')).then_some(channel).filter(|c| c.contains('@'))
    }

    /// Slack channel or incoming-webhook URL, if it is a Slack channel.
    pub fn slack(&self) -> Option<&str> {
        let is_slack = self.tool.as_deref() == Some("slack")
            || self.channel.as_deref().is_some_and(|c| c.starts_with('#'))
            || self.url.as_deref().is_some_and(|u| u.starts_with("https://hooks.slack.com/"));
        if !is_slack {
            return None;
        }
        self.url.as_deref().or(self.channel.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Server {
    pub server: Option<String>,
    #[serde(rename = "type")]
    pub server_type: Option<String>,
    pub environment: Option<String>,
    pub description: Option<String>,
    /// `s3` servers: `s3://bucket/prefix`.
    pub location: Option<String>,
    /// `local` servers: a directory.
    pub path: Option<String>,
    pub format: Option<String>,
}

impl Server {
    /// Where the data lives, whatever the server type calls it.
    pub fn data_location(&self) -> Option<&str> {
        self.location.as_deref().or(self.path.as_deref())
    }

    /// The field that holds [`Self::data_location`], for finding paths.
    pub fn location_field(&self) -> &'static str {
        if self.location.is_some() || self.path.is_none() && self.server_type.as_deref() == Some("s3") {
            "location"
        } else {
            "path"
        }
    }
}

/// One table: an ODCS schema object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaObject {
    pub name: Option<String>,
    pub physical_name: Option<String>,
    pub physical_type: Option<String>,
    pub logical_type: Option<String>,
    pub business_name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub properties: Vec<Property>,
}

/// One column: an ODCS schema property.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    pub name: Option<String>,
    pub physical_name: Option<String>,
    pub business_name: Option<String>,
    pub logical_type: Option<String>,
    pub physical_type: Option<String>,
    pub description: Option<String>,
    pub required: Option<bool>,
    pub unique: Option<bool>,
    pub primary_key: Option<bool>,
    pub primary_key_position: Option<i64>,
    pub partitioned: Option<bool>,
    pub partition_key_position: Option<i64>,
    pub classification: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Nested fields of an `object` column.
    #[serde(default)]
    pub properties: Vec<Property>,
    /// Element type of an `array` column.
    pub items: Option<Box<Property>>,
}

impl Property {
    pub fn is_partitioned(&self) -> bool {
        self.partitioned.unwrap_or(false)
    }

    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(false)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaProperty {
    pub property: Option<String>,
    pub value: Option<Value>,
    pub value_ext: Option<Value>,
    pub unit: Option<String>,
    pub element: Option<String>,
    pub driver: Option<String>,
    pub description: Option<String>,
    pub scheduler: Option<String>,
    pub schedule: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub role: Option<String>,
    pub access: Option<String>,
    pub description: Option<String>,
    pub first_level_approvers: Option<String>,
    pub second_level_approvers: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomProperty {
    pub property: Option<String>,
    pub value: Option<Value>,
}

/// The ODCS logical types (the `logicalType` enum of the v3.1 JSON Schema).
pub const LOGICAL_TYPES: [&str; 9] =
    ["string", "date", "timestamp", "time", "number", "integer", "object", "array", "boolean"];

impl Contract {
    /// A top-level `customProperties` value that is a string.
    pub fn custom_property(&self, name: &str) -> Option<(usize, &str)> {
        self.custom_properties.iter().enumerate().find_map(|(i, p)| {
            (p.property.as_deref() == Some(name))
                .then(|| p.value.as_ref().and_then(Value::as_str).map(|v| (i, v)))
                .flatten()
        })
    }

    /// The product classification (top-level custom property `classification`).
    pub fn classification(&self) -> Option<(usize, &str)> {
        self.custom_property("classification")
    }

    /// The major version, if `version` is semantic.
    pub fn semver(&self) -> Option<semver::Version> {
        self.version.as_deref().and_then(|v| semver::Version::parse(v).ok())
    }
}
