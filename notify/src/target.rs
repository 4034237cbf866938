//! Which webhook targets Steward may call.
//!
//! Webhook URLs come from consumers and producers, so without a policy a subscriber
//! could make Steward's network position do requests for them (SSRF): cloud metadata
//! at 169.254.169.254, an admin port on loopback, services on the private network.
//! A target must be `http`/`https` and, unless `allow_private` is set, every address
//! its host resolves to must be publicly routable; `allowed_hosts` narrows it further.
//!
//! Checking the name once and letting the HTTP client resolve it again would leave a
//! window for DNS rebinding (public answer at check time, 127.0.0.1 at connect time).
//! So the sender's HTTP client resolves through [`VettingResolver`], which applies the
//! same address policy to the very answer it hands to the connector: the address
//! connected to is always one that was vetted. IP-literal URLs never reach a resolver
//! and are checked in [`vet_url`].

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::error::NotifyError;
use crate::webhook::WebhookSettings;

/// Why `ip` must not be called from Steward, or `None` if it is a public unicast address.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

/// IPv4 special-purpose blocks that are not globally reachable (RFC 6890 and the IANA
/// IPv4 Special-Purpose Address Registry).
fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    const RULES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "unspecified (0.0.0.0/8)"),
        ([10, 0, 0, 0], 8, "private (10.0.0.0/8)"),
        ([100, 64, 0, 0], 10, "carrier-grade NAT (100.64.0.0/10)"),
        ([127, 0, 0, 0], 8, "loopback (127.0.0.0/8)"),
        ([169, 254, 0, 0], 16, "link-local / cloud metadata (169.254.0.0/16)"),
        ([172, 16, 0, 0], 12, "private (172.16.0.0/12)"),
        ([192, 0, 0, 0], 24, "IETF protocol assignments (192.0.0.0/24)"),
        ([192, 0, 2, 0], 24, "documentation (192.0.2.0/24)"),
        ([192, 88, 99, 0], 24, "6to4 relay anycast (192.88.99.0/24)"),
        ([192, 168, 0, 0], 16, "private (192.168.0.0/16)"),
        ([198, 18, 0, 0], 15, "benchmarking (198.18.0.0/15)"),
        ([198, 51, 100, 0], 24, "documentation (198.51.100.0/24)"),
        ([203, 0, 113, 0], 24, "documentation (203.0.113.0/24)"),
        ([224, 0, 0, 0], 4, "multicast (224.0.0.0/4)"),
        ([240, 0, 0, 0], 4, "reserved or broadcast (240.0.0.0/4)"),
    ];
    RULES.iter().find(|(net, prefix, _)| in_v4(ip, *net, *prefix)).map(|(_, _, why)| *why)
}

/// IPv6: only global unicast (`2000::/3`) may be called, minus the special-purpose
/// blocks inside it; the forms that carry an IPv4 address are judged by that address
/// where it can be recovered, and refused where it cannot. Ranges from RFC 6890 and
/// the IANA IPv6 Special-Purpose Address Registry
/// (<https://www.iana.org/assignments/iana-ipv6-special-registry>).
fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(ip);
    let segments = ip.segments();
    let embedded_v4 = |low: u128| Ipv4Addr::from((low & 0xffff_ffff) as u32);
    if ip.is_unspecified() {
        return Some("unspecified (::)");
    }
    if ip.is_loopback() {
        return Some("loopback (::1)");
    }
    // IPv4-mapped (::ffff:0:0/96, RFC 4291): the socket layer connects to the IPv4 address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4).map(|_| "IPv4-mapped address (::ffff:0:0/96) of a forbidden IPv4 range");
    }
    // IPv4-compatible (::/96, deprecated by RFC 4291).
    if bits >> 32 == 0 {
        return forbidden_v4(embedded_v4(bits)).map(|_| "IPv4-compatible address of a forbidden IPv4 range");
    }
    // NAT64 well-known prefix (64:ff9b::/96, RFC 6052): a translator connects to the IPv4 address.
    if bits >> 32 == 0x0064_ff9b_0000_0000_0000_0000 {
        return forbidden_v4(embedded_v4(bits)).map(|_| "NAT64 address (64:ff9b::/96) of a forbidden IPv4 range");
    }
    // Local-use NAT64 (64:ff9b:1::/48, RFC 8215): the IPv4 position depends on the
    // operator's prefix length, so it cannot be judged: refuse.
    if bits >> 80 == 0x0064_ff9b_0001 {
        return Some("local-use NAT64 (64:ff9b:1::/48)");
    }
    // Everything else outside global unicast: ULA, link-local, site-local, multicast,
    // discard-only (100::/64), IPv4-translated (::ffff:0:0:0/96), reserved space.
    if segments[0] & 0xe000 != 0x2000 {
        return Some(match segments[0] {
            s if s & 0xfe00 == 0xfc00 => "unique local (fc00::/7)",
            s if s & 0xffc0 == 0xfe80 => "link-local (fe80::/10)",
            s if s & 0xffc0 == 0xfec0 => "site-local (fec0::/10)",
            s if s & 0xff00 == 0xff00 => "multicast (ff00::/8)",
            0x0100 if segments[1..4] == [0, 0, 0] => "discard-only (100::/64)",
            _ => "not global unicast (outside 2000::/3)",
        });
    }
    match segments[0] {
        // Teredo tunnels to an obfuscated IPv4 address behind a relay: refuse.
        0x2001 if segments[1] == 0 => Some("Teredo (2001::/32)"),
        0x2001 if segments[1] == 0x0db8 => Some("documentation (2001:db8::/32)"),
        // The rest of the IETF protocol assignments (ORCHID, benchmarking, AMT, ...).
        0x2001 if segments[1] < 0x0200 => Some("IETF protocol assignments (2001::/23)"),
        // 6to4 (RFC 3056, deprecated by RFC 7526) relays to an embedded IPv4 address: refuse.
        0x2002 => Some("6to4 (2002::/16)"),
        0x3fff if segments[1] < 0x1000 => Some("documentation (3fff::/20)"),
        _ => None,
    }
}

fn normalize_host(host: &str) -> String {
    host.trim().trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase()
}

/// The URL as it may appear in errors, logs and the admin's dead-letter list: scheme,
/// host and port only. Webhook paths are often credentials (a Slack incoming-webhook
/// URL *is* the secret), so they are never echoed.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(url) => {
            let host = url.host_str().unwrap_or("");
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            let rest = if url.path() == "/" && url.query().is_none() { "/" } else { "/…" };
            format!("{}://{host}{port}{rest}", url.scheme())
        }
        Err(_) => "(malformed URL)".to_owned(),
    }
}

fn refused(url: &str, reason: impl Into<String>) -> NotifyError {
    NotifyError::TargetRefused { url: redact_url(url), reason: reason.into() }
}

/// Checks everything about a target that needs no DNS: scheme, allowlist and, for an
/// IP-literal host, the address policy. Returns the parsed URL.
pub(crate) fn vet_url(raw: &str, settings: &WebhookSettings) -> Result<Url, NotifyError> {
    let url = Url::parse(raw)
        .map_err(|e| NotifyError::InvalidAddress { address: redact_url(raw), reason: format!("not a URL: {e}") })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refused(raw, format!("scheme {:?} is not http or https", url.scheme())));
    }
    let host = url.host().ok_or_else(|| refused(raw, "no host"))?;
    let host_name = match &host {
        Host::Domain(d) => normalize_host(d),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => ip.to_string(),
    };
    if !settings.allowed_hosts.is_empty() && !settings.allowed_hosts.iter().any(|h| normalize_host(h) == host_name) {
        return Err(refused(raw, format!("host {host_name:?} is not in allowed_hosts")));
    }
    if !settings.allow_private {
        let literal = match host {
            Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            Host::Domain(_) => None,
        };
        if let Some(reason) = literal.and_then(forbidden_reason) {
            return Err(refused(raw, format!("address {host_name} is {reason}")));
        }
    }
    Ok(url)
}

/// Checks a webhook URL against the target policy and returns the addresses Steward
/// would connect to. Used when a subscription is created (answer 400 on error) and
/// usable as a dry run; deliveries apply the same policy at connect time.
pub async fn check_target(url: &str, settings: &WebhookSettings) -> Result<Vec<SocketAddr>, NotifyError> {
    let parsed = vet_url(url, settings)?;
    let port = parsed.port_or_known_default().ok_or_else(|| refused(url, "no port"))?;
    match parsed.host() {
        Some(Host::Ipv4(ip)) => Ok(vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(Host::Ipv6(ip)) => Ok(vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(Host::Domain(domain)) => {
            let timeout = Duration::from_secs(settings.timeout_secs.max(1));
            let addrs = resolve_vetted(domain, port, settings.allow_private, timeout).await.map_err(|e| match e {
                ResolveError::Lookup(reason) => NotifyError::Resolve { host: domain.to_owned(), reason },
                ResolveError::Refused(r) => refused(url, r.to_string()),
            })?;
            Ok(addrs)
        }
        None => Err(refused(url, "no host")),
    }
}

/// A resolved name whose addresses break the target policy. Travels through reqwest's
/// error chain so the sender can report it as a permanent [`NotifyError::TargetRefused`].
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {ip}, which is {reason}")]
pub(crate) struct RefusedAddress {
    host: String,
    ip: IpAddr,
    reason: &'static str,
}

#[derive(Debug)]
enum ResolveError {
    Lookup(String),
    Refused(RefusedAddress),
}

async fn resolve_vetted(
    host: &str,
    port: u16,
    allow_private: bool,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let lookup = tokio::net::lookup_host((host, port));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(timeout, lookup).await {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(e)) => return Err(ResolveError::Lookup(e.to_string())),
        Err(_) => return Err(ResolveError::Lookup("DNS lookup timed out".to_owned())),
    };
    if addrs.is_empty() {
        return Err(ResolveError::Lookup("no addresses".to_owned()));
    }
    if !allow_private {
        // One bad address refuses the name: mixing a public and a private answer is a known trick.
        for addr in &addrs {
            if let Some(reason) = forbidden_reason(addr.ip()) {
                return Err(ResolveError::Refused(RefusedAddress { host: host.to_owned(), ip: addr.ip(), reason }));
            }
        }
    }
    Ok(addrs)
}

/// The HTTP client's resolver: the system resolver plus the address policy, so that the
/// address reqwest connects to is the one that was vetted (no DNS-rebinding window).
#[derive(Debug, Clone)]
pub(crate) struct VettingResolver {
    pub(crate) allow_private: bool,
    pub(crate) timeout: Duration,
}

impl Resolve for VettingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let addrs = resolve_vetted(name.as_str(), 0, this.allow_private, this.timeout).await.map_err(
                |e| -> Box<dyn StdError + Send + Sync> {
                    match e {
                        ResolveError::Refused(r) => Box::new(r),
                        ResolveError::Lookup(reason) => reason.into(),
                    }
                },
            )?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Finds a [`RefusedAddress`] anywhere in an error's source chain.
pub(crate) fn find_refusal<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a RefusedAddress> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<RefusedAddress>() {
            return Some(r);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> WebhookSettings {
        WebhookSettings::default()
    }

    fn open() -> WebhookSettings {
        WebhookSettings { allow_private: true, ..WebhookSettings::default() }
    }

    #[test]
    fn forbidden_ranges() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
        ] {
            let parsed: IpAddr = ip.parse().unwrap();
            assert!(forbidden_reason(parsed).is_some(), "{ip} should be forbidden");
        }
    }

    #[test]
    fn ipv6_forms_that_reach_ipv4_or_tunnels_are_refused() {
        for (ip, why) in [
            // IPv4-mapped: judged as the IPv4 address.
            ("::ffff:7f00:1", "IPv4-mapped"),
            ("::ffff:0:0", "IPv4-mapped"),
            ("::ffff:a9fe:a9fe", "IPv4-mapped"),
            // NAT64 well-known prefix: judged as the embedded IPv4 address.
            ("64:ff9b::7f00:1", "NAT64"),
            ("64:ff9b::a00:1", "NAT64"),
            // Local-use NAT64, Teredo and 6to4: refused whatever they embed.
            ("64:ff9b:1::1", "local-use NAT64"),
            ("64:ff9b:1:ffff::808:808", "local-use NAT64"),
            ("2001::1", "Teredo"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
            ("2002:808:808::1", "6to4"),
            ("2002:a9fe:a9fe::1", "6to4"),
            // Other special-purpose and non-global space.
            ("2001:10::1", "IETF protocol assignments"),
            ("2001:2::1", "IETF protocol assignments"),
            ("100::1", "discard-only"),
            ("::ffff:0:808:808", "not global unicast"),
            ("3fff::1", "documentation"),
            ("4000::1", "not global unicast"),
        ] {
            let reason = forbidden_reason(ip.parse().unwrap());
            assert!(reason.is_some_and(|r| r.contains(why)), "{ip}: {reason:?}, expected {why}");
        }
        // Embedded public IPv4 addresses stay reachable through mapping and NAT64.
        for ip in ["::ffff:808:808", "64:ff9b::808:808", "2001:4860:4860::8888", "2a00:1450::1"] {
            assert_eq!(forbidden_reason(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in ["93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            let parsed: IpAddr = ip.parse().unwrap();
            assert_eq!(forbidden_reason(parsed), None, "{ip} should be allowed");
        }
    }

    #[tokio::test]
    async fn check_target_refuses_private_literals_and_schemes() {
        for url in [
            "http://127.0.0.1/hook",
            "http://[::1]:8080/hook",
            "https://10.0.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "ftp://93.184.215.14/",
            "file:///etc/passwd",
            "gopher://93.184.215.14/",
        ] {
            let err = check_target(url, &strict()).await.expect_err(url);
            assert!(matches!(err, NotifyError::TargetRefused { .. }), "{url}: {err}");
            assert!(!err.is_retryable(), "{url}");
        }
    }

    #[tokio::test]
    async fn allow_private_lets_private_literals_through() {
        for (url, expected) in [
            ("http://127.0.0.1:9000/hook", "127.0.0.1:9000"),
            ("http://[::1]/hook", "[::1]:80"),
            ("https://10.0.0.1/", "10.0.0.1:443"),
            ("http://192.168.1.1/", "192.168.1.1:80"),
            ("http://169.254.169.254/", "169.254.169.254:80"),
            ("http://[::ffff:127.0.0.1]/", "[::ffff:127.0.0.1]:80"),
        ] {
            let addrs = check_target(url, &open()).await.expect(url);
            assert_eq!(addrs, vec![expected.parse::<SocketAddr>().unwrap()], "{url}");
        }
        // The scheme rule holds even then.
        assert!(check_target("ftp://127.0.0.1/", &open()).await.is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() {
        let err = check_target("http://localhost:8080/", &strict()).await.unwrap_err();
        assert!(matches!(err, NotifyError::TargetRefused { .. }), "{err}");
        let addrs = check_target("http://localhost:8080/", &open()).await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080), "{addrs:?}");
    }

    #[tokio::test]
    async fn allowed_hosts_restricts() {
        let settings =
            WebhookSettings { allowed_hosts: vec!["Hooks.Example.com.".into(), "127.0.0.1".into()], ..open() };
        assert!(check_target("http://127.0.0.1:1/", &settings).await.is_ok());
        let err = check_target("http://127.0.0.2:1/", &settings).await.unwrap_err();
        assert!(matches!(err, NotifyError::TargetRefused { .. }), "{err}");
        assert!(vet_url("https://hooks.example.com/x", &settings).is_ok());
        assert!(vet_url("https://evil.example.com/x", &settings).is_err());
    }

    #[test]
    fn redaction_keeps_only_scheme_host_and_port() {
        assert_eq!(redact_url("https://hooks.slack.com/services/T0/B0/secret"), "https://hooks.slack.com/…");
        assert_eq!(redact_url("http://127.0.0.1:8080/?token=x"), "http://127.0.0.1:8080/…");
        assert_eq!(redact_url("https://example.com"), "https://example.com/");
        assert_eq!(redact_url("http://[::1]:9/a"), "http://[::1]:9/…");
        assert_eq!(redact_url("nonsense secret"), "(malformed URL)");
        let err = vet_url("ftp://h/secret-path", &strict()).unwrap_err();
        assert!(!err.to_string().contains("secret-path"), "{err}");
    }

    #[test]
    fn malformed_url_is_a_bad_address() {
        let err = vet_url("not a url", &strict()).unwrap_err();
        assert!(matches!(err, NotifyError::InvalidAddress { .. }));
        assert!(!err.is_retryable());
    }
}
