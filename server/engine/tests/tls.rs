//! TLS checks against servers with certificates the tests generate (a test CA).

mod common;

use axum::Router;
use common::*;
use preflight_engine::{CheckConfig, ResolveOverride};

async fn tls_findings(names: &[&str], host: &str, trust: bool, tweak: impl FnOnce(&mut rcgen::CertificateParams)) -> Vec<preflight_engine::Finding> {
    let pki = pki_with(names, tweak);
    let addr = serve_https(Router::new().fallback(|| async { "ok" }), &pki).await;
    let mut config = CheckConfig::new(&format!("https://{host}:{}/", addr.port())).unwrap();
    config.resolve.push(ResolveOverride { host: host.into(), port: addr.port(), addr: addr.ip() });
    if trust {
        config.extra_ca_pem.push(pki.ca_pem.clone());
    }
    preflight_engine::tls::check(&config, &config.start_url.clone()).await.0
}

fn ids(f: &[preflight_engine::Finding]) -> Vec<&str> {
    f.iter().map(|f| f.check.as_str()).collect()
}

#[tokio::test]
async fn a_valid_certificate_for_www_and_apex_passes() {
    let f = tls_findings(&["www.shop.test", "shop.test"], "www.shop.test", true, |_| {}).await;
    assert!(f.is_empty(), "{f:#?}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_invalid() {
    let f = tls_findings(&["www.shop.test", "shop.test"], "www.shop.test", false, |_| {}).await;
    assert_eq!(ids(&f), vec!["tls-certificate-invalid"], "{f:#?}");
    assert!(f[0].message.contains("trusted authority"), "{}", f[0].message);
}

#[tokio::test]
async fn an_expired_certificate_is_invalid() {
    let f = tls_findings(&["www.shop.test", "shop.test"], "www.shop.test", true, |p| {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    })
    .await;
    assert_eq!(ids(&f), vec!["tls-certificate-invalid"], "{f:#?}");
    assert!(f[0].message.contains("expired"));
}

#[tokio::test]
async fn a_certificate_expiring_soon_is_reported() {
    let f = tls_findings(&["www.shop.test", "shop.test"], "www.shop.test", true, |p| {
        p.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(10);
    })
    .await;
    assert_eq!(ids(&f), vec!["tls-certificate-expiring"], "{f:#?}");
    assert!(f[0].message.contains("expires in 9 day") || f[0].message.contains("expires in 10 day"), "{}", f[0].message);
}

#[tokio::test]
async fn a_certificate_missing_the_apex_is_a_name_mismatch() {
    let f = tls_findings(&["www.shop.test"], "www.shop.test", true, |_| {}).await;
    assert_eq!(ids(&f), vec!["tls-name-mismatch"], "{f:#?}");
    assert!(f[0].message.contains("shop.test") && f[0].evidence.contains("www.shop.test"));
    // Served for another name altogether: the handshake itself fails on the name.
    let g = tls_findings(&["other.test"], "www.shop.test", true, |_| {}).await;
    assert!(ids(&g).contains(&"tls-name-mismatch"), "{g:#?}");
}

/// Each TLS check's status after checking `url` (with the test CA trusted when given).
async fn tls_statuses(config: CheckConfig) -> Vec<(String, preflight_engine::CheckStatus, String)> {
    let (f, cov) = preflight_engine::tls::check(&config, &config.start_url.clone()).await;
    cov.outcomes(&f, "").into_iter().filter(|o| o.id.starts_with("tls-")).map(|o| (o.id, o.status, o.reason)).collect()
}

#[tokio::test]
async fn tls_checks_say_why_they_did_not_look() {
    use preflight_engine::CheckStatus::*;
    // Plain http: no certificate at all.
    let st = tls_statuses(CheckConfig::new("http://www.shop.test/").unwrap()).await;
    assert!(st.iter().all(|(_, s, r)| *s == NotApplicable && r.contains("plain http")), "{st:?}");
    // Nothing listens on the TLS port: skipped, not passed and not "invalid".
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut c = CheckConfig::new(&format!("https://www.shop.test:{port}/")).unwrap();
    c.resolve.push(ResolveOverride { host: "www.shop.test".into(), port, addr: "127.0.0.1".parse().unwrap() });
    let st = tls_statuses(c).await;
    assert!(st.iter().all(|(_, s, r)| *s == Skipped && r.contains("could not be reached")), "{st:?}");
    // A good certificate on an IP address: valid and in date, but no www/apex names to cover.
    let pki = pki_with(&["127.0.0.1"], |_| {});
    let addr = serve_https(Router::new().fallback(|| async { "ok" }), &pki).await;
    let mut c = CheckConfig::new(&format!("https://127.0.0.1:{}/", addr.port())).unwrap();
    c.extra_ca_pem.push(pki.ca_pem.clone());
    let st = tls_statuses(c).await;
    let get = |id: &str| st.iter().find(|(i, _, _)| i == id).map(|(_, s, r)| (*s, r.clone())).unwrap();
    assert_eq!(get("tls-certificate-invalid").0, Passed, "{st:?}");
    assert_eq!(get("tls-certificate-expiring").0, Passed);
    assert_eq!(get("tls-name-mismatch").0, NotApplicable);
    assert!(get("tls-name-mismatch").1.contains("IP address"));
    // Something listens but hangs up without a TLS handshake: the handshake fails (a finding)
    // and the certificate could not be read (skipped, never passed).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            drop(sock);
        }
    });
    let mut c = CheckConfig::new(&format!("https://www.shop.test:{port}/")).unwrap();
    c.resolve.push(ResolveOverride { host: "www.shop.test".into(), port, addr: "127.0.0.1".parse().unwrap() });
    let st = tls_statuses(c).await;
    let get = |id: &str| st.iter().find(|(i, _, _)| i == id).map(|(_, s, r)| (*s, r.clone())).unwrap();
    assert_eq!(get("tls-certificate-invalid").0, Failed, "{st:?}");
    for id in ["tls-certificate-expiring", "tls-name-mismatch"] {
        let (s, r) = get(id);
        assert!(s == Skipped && r.starts_with("the certificate could not be read"), "{id}: {s:?} {r}");
    }
}
