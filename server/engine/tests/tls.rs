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
    preflight_engine::tls::check(&config, &config.start_url.clone()).await
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
