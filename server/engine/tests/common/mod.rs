//! Fixture web servers for the engine's tests: plain HTTP and HTTPS (with a CA the test
//! generates), all on 127.0.0.1 — never the internet.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::{net::SocketAddr, sync::Arc};

use axum::Router;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    service::TowerToHyperService,
};

pub async fn serve_http(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A test CA and a server certificate for `names`, signed by it.
pub struct TestPki {
    pub ca_pem: String,
    pub cert_der: rustls_pki_types::CertificateDer<'static>,
    pub key_der: rustls_pki_types::PrivateKeyDer<'static>,
}

pub use tokio_rustls::rustls::pki_types as rustls_pki_types;

pub fn pki(names: &[&str]) -> TestPki {
    pki_with(names, |_| {})
}

/// Like [`pki`], with a chance to change the server certificate's parameters (validity…).
pub fn pki_with(names: &[&str], tweak: impl FnOnce(&mut rcgen::CertificateParams)) -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Preflight test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    tweak(&mut params);
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    TestPki { ca_pem: ca.pem(), cert_der: cert.der().clone(), key_der: rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()) }
}

pub async fn serve_https(app: Router, pki: &TestPki) -> SocketAddr {
    use tokio_rustls::rustls::{crypto::ring::default_provider, ServerConfig};
    let config = ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![pki.cert_der.clone()], pki.key_der.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(tls), service).await;
            });
        }
    });
    addr
}

/// Runs the engine quietly.
pub async fn check(config: &preflight_engine::CheckConfig) -> preflight_engine::Report {
    preflight_engine::run(config, &|_| {}).await.expect("the run starts")
}

pub fn ids(report: &preflight_engine::Report) -> Vec<String> {
    let mut v: Vec<String> = report.findings.iter().map(|f| f.check.clone()).collect();
    v.sort();
    v.dedup();
    v
}
