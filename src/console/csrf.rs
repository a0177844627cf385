//! Cross-site request forgery protection. The browser presents the officer's client
//! certificate to any page that asks, exactly like a cookie, so a hostile page could make it
//! post a form here. Two independent checks stop that: every form carries a token bound to the
//! officer and the day (an HMAC under a secret of this node), and a request the browser marks
//! as cross-site (`Sec-Fetch-Site`, `Origin`) is refused outright.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Issues and checks form tokens.
#[derive(Clone)]
pub struct Csrf {
    secret: [u8; 32],
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csrf(..)")
    }
}

impl Csrf {
    /// A token issuer with this node's secret.
    pub fn new(secret: [u8; 32]) -> Self {
        Self { secret }
    }

    fn keyed(&self, identity: &str, day: i64) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).ok()?;
        mac.update(b"tiemeng/console-form/v1\n");
        mac.update(identity.as_bytes());
        mac.update(&day.to_be_bytes());
        Some(mac)
    }

    /// The token for `identity` on `day` (days since the epoch).
    pub fn token(&self, identity: &str, day: i64) -> String {
        self.keyed(identity, day).map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())).unwrap_or_default()
    }

    /// True when `token` was issued to `identity` today or yesterday (a form left open
    /// overnight on the duty desk still works). The comparison is constant-time.
    pub fn check(&self, identity: &str, day: i64, token: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(token) else { return false };
        [day, day - 1].iter().any(|d| self.keyed(identity, *d).is_some_and(|mac| mac.verify_slice(&given).is_ok()))
    }
}

/// True when the browser says the request comes from another site.
pub fn cross_site(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match (header("origin"), header("host")) {
        (Some(origin), Some(host)) => origin.split("://").nth(1) != Some(host),
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_the_officer_and_expire_after_a_day() {
        let csrf = Csrf::new([7; 32]);
        let token = csrf.token("urn:tiemeng:officer:zj-taishun-luoyang:330329001", 100);
        assert!(csrf.check("urn:tiemeng:officer:zj-taishun-luoyang:330329001", 100, &token));
        assert!(csrf.check("urn:tiemeng:officer:zj-taishun-luoyang:330329001", 101, &token), "overnight");
        assert!(!csrf.check("urn:tiemeng:officer:zj-taishun-luoyang:330329001", 102, &token), "two days later");
        assert!(!csrf.check("urn:tiemeng:officer:zj-taishun-luoyang:330329002", 100, &token), "another officer");
        assert!(
            !Csrf::new([8; 32]).check("urn:tiemeng:officer:zj-taishun-luoyang:330329001", 100, &token),
            "another node"
        );
        assert!(!csrf.check("urn:tiemeng:officer:zj-taishun-luoyang:330329001", 100, "forged"));
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        let mut headers = HeaderMap::new();
        assert!(!cross_site(&headers), "plain clients (curl, the CLI) send neither header");
        headers.insert("host", "localhost:7443".parse().unwrap());
        headers.insert("origin", "https://localhost:7443".parse().unwrap());
        assert!(!cross_site(&headers));
        headers.insert("origin", "https://evil.example".parse().unwrap());
        assert!(cross_site(&headers));
        headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(cross_site(&headers));
        headers.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(!cross_site(&headers));
    }
}
