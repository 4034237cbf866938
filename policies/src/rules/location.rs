//! Server types (STW014) and location ownership (STW013).
//!
//! A domain may only register data under the prefixes its policy grants it;
//! otherwise a producer could claim another team's bucket and then be granted
//! access to it through a share.

use steward_schemas::FieldPath;

use super::Ctx;

pub fn check(ctx: &mut Ctx<'_>) {
    let c = ctx.contract;
    let policy = ctx.policy;
    let domain = c.domain.as_deref().filter(|d| steward_schemas::DomainName::parse(d).is_ok());
    for (i, server) in c.servers.iter().enumerate() {
        let path = FieldPath::root().key("servers").index(i);
        let Some(kind) = server.server_type.as_deref() else {
            continue;
        };
        if !policy.server_types.iter().any(|t| t == kind) {
            ctx.report(
                "STW014",
                path.key("type"),
                format!("server type `{kind}` is not supported; use one of {}", policy.server_types.join(", ")),
            );
            continue;
        }
        let Some(location) = server.data_location() else {
            continue;
        };
        let loc_path = path.key(server.location_field());
        if let Err(why) = check_location_syntax(kind, location) {
            ctx.report("STW013", loc_path, why);
            continue;
        }
        // An invalid domain is reported by STW006; ownership needs a valid one.
        let Some(domain) = domain else { continue };
        let prefixes = policy.location_prefixes(domain);
        let normalized = location.strip_prefix("./").unwrap_or(location);
        if !prefixes.iter().any(|p| under_prefix(normalized, p)) {
            let shown = if prefixes.is_empty() { "(none configured)".to_owned() } else { prefixes.join(", ") };
            ctx.report(
                "STW013",
                loc_path,
                format!(
                    "location `{location}` is outside the prefixes domain `{domain}` owns: {shown}; move the data \
                     or ask the platform team to add the prefix to the policy file"
                ),
            );
        }
    }
}

fn under_prefix(location: &str, prefix: &str) -> bool {
    if prefix.ends_with('/') {
        location.starts_with(prefix) || location == prefix.trim_end_matches('/')
    } else {
        location == prefix || location.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
    }
}

fn check_location_syntax(kind: &str, location: &str) -> Result<(), String> {
    if location.chars().any(|c| c.is_control() || c == '\\') {
        return Err(format!("location `{}` contains a control character or backslash", location.escape_debug()));
    }
    if location.to_ascii_lowercase().contains("%2e") || location.to_ascii_lowercase().contains("%2f") {
        return Err(format!("location `{location}` contains an encoded `.` or `/`; write the path plainly"));
    }
    let body = match kind {
        "s3" => {
            let Some(rest) = location.strip_prefix("s3://") else {
                return Err(format!("s3 location `{location}` must start with `s3://`"));
            };
            let bucket = rest.split('/').next().unwrap_or("");
            if bucket.len() < 3
                || bucket.len() > 63
                || !bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            {
                return Err(format!("`{bucket}` in `{location}` is not a valid S3 bucket name"));
            }
            rest
        }
        _ => location,
    };
    if body.split('/').any(|seg| seg == ".." || seg == ".") && body != "." {
        return Err(format!("location `{location}` must not contain `.` or `..` segments"));
    }
    // Absolute local paths pass here; they must still match a configured prefix.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert!(under_prefix("s3://steward-sales/orders", "s3://steward-sales/"));
        assert!(!under_prefix("s3://steward-sales-evil/orders", "s3://steward-sales"));
        assert!(under_prefix("s3://steward-sales/orders", "s3://steward-sales"));
        assert!(!under_prefix("s3://steward-salesx/orders", "s3://steward-sales/"));
    }

    #[test]
    fn syntax() {
        assert!(check_location_syntax("s3", "s3://steward-sales/a/../b").is_err());
        assert!(check_location_syntax("s3", "https://x").is_err());
        assert!(check_location_syntax("s3", "s3://Bad_Bucket/x").is_err());
        assert!(check_location_syntax("local", "lake/sales/%2e%2e/hr").is_err());
        assert!(check_location_syntax("local", "lake/sales/../hr").is_err());
        assert!(check_location_syntax("local", "lake/sales/orders").is_ok());
    }
}
