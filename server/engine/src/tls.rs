//! TLS checks: the certificate is valid (trusted chain, in date, right name), does not
//! expire within 30 days, and covers both the www and the apex name.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio_rustls::rustls::{
    self,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    pki_types::{CertificateDer, ServerName, UnixTime},
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use url::Url;

use crate::{config::CheckConfig, finding::Finding, outcome::Coverage};

/// Certificates expiring sooner than this are reported.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// The check ids [`check`] evaluates.
pub const TLS_CHECKS: &[&str] = &["tls-certificate-invalid", "tls-certificate-expiring", "tls-name-mismatch"];

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(config: &CheckConfig) -> RootCertStore {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for pem in &config.extra_ca_pem {
        for cert in rustls_pemfile_certs(pem) {
            let _ = roots.add(cert);
        }
    }
    roots
}

/// Certificates from a PEM bundle.
fn rustls_pemfile_certs(pem: &str) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes()).filter_map(Result::ok).collect()
}

/// Accepts any certificate: used only to read the certificate after the verifying
/// handshake has already judged it.
#[derive(Debug)]
struct AcceptAll(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAll {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(&self, m: &[u8], c: &CertificateDer<'_>, d: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Where to connect for `url`: a `--resolve` override, else DNS (metadata addresses refused).
async fn address(config: &CheckConfig, url: &Url) -> Result<SocketAddr, String> {
    let host = url.host_str().ok_or("no host")?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let port = url.port_or_known_default().unwrap_or(443);
    if let Some(r) = config.resolve.iter().find(|r| r.host == host) {
        return Ok(SocketAddr::new(r.addr, port));
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port)).await.map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
    let addr = addrs.into_iter().next().ok_or_else(|| format!("{host} has no address"))?;
    if !config.allow_metadata && crate::fetch::is_metadata_address(addr.ip()) {
        return Err(format!("{host} resolves to a cloud metadata address"));
    }
    Ok(addr)
}

async fn handshake(addr: SocketAddr, name: &str, client: ClientConfig, timeout: Duration) -> Result<Vec<CertificateDer<'static>>, String> {
    let server_name = ServerName::try_from(name.to_string()).map_err(|e| format!("{name}: {e}"))?;
    let work = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("could not connect to {addr}: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(client)).connect(server_name, tcp).await.map_err(|e| e.to_string())?;
        Ok::<_, String>(tls.get_ref().1.peer_certificates().map(|c| c.iter().map(|c| c.clone().into_owned()).collect()).unwrap_or_default())
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| format!("no TLS handshake within {timeout:?}"))?
}

/// Runs the TLS checks for an https site (not applicable to plain http); returns the
/// findings and what each check covered.
pub async fn check(config: &CheckConfig, url: &Url) -> (Vec<Finding>, Coverage) {
    let mut out = Vec::new();
    let mut cov = Coverage::default();
    if url.scheme() != "https" {
        cov.not_applicable(TLS_CHECKS, "the site is served over plain http (no certificate)");
        return (out, cov);
    }
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        cov.skipped(TLS_CHECKS, "the URL has no host");
        return (out, cov);
    };
    let site = format!("{host}:{}", url.port_or_known_default().unwrap_or(443));
    let addr = match address(config, url).await {
        Ok(a) => a,
        Err(e) => {
            cov.skipped(TLS_CHECKS, format!("the TLS port could not be reached: {e}"));
            return (out, cov);
        }
    };
    cov.looked(TLS_CHECKS);
    let timeout = config.limits.request_timeout;
    let verifying = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_root_certificates(roots(config))
        .with_no_client_auth();
    if let Err(e) = handshake(addr, &host, verifying, timeout).await {
        if e.starts_with("could not connect") || e.starts_with("no TLS handshake within") {
            cov.skipped(TLS_CHECKS, format!("the TLS port could not be reached: {e}"));
            return (out, cov);
        }
        let (id, msg) = if e.contains("NotValidForName") || e.contains("not valid for name") {
            ("tls-name-mismatch", format!("The certificate is not valid for {host}: browsers show a security warning."))
        } else if e.contains("Expired") || e.contains("expired") {
            ("tls-certificate-invalid", "The TLS certificate has expired: browsers refuse the site.".to_string())
        } else if e.contains("UnknownIssuer") || e.contains("unknown issuer") {
            ("tls-certificate-invalid", "The TLS certificate is not issued by a trusted authority (self-signed or incomplete chain).".to_string())
        } else {
            ("tls-certificate-invalid", "The TLS handshake failed, so browsers cannot open the site securely.".to_string())
        };
        out.push(Finding::new(id, site.clone(), msg, e));
    }
    // Read the certificate itself for expiry and names, whatever the verdict above.
    let reading = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAll(provider())))
        .with_no_client_auth();
    let unreadable = |cov: &mut Coverage, why: String| {
        cov.skipped(&["tls-certificate-expiring", "tls-name-mismatch"], format!("the certificate could not be read: {why}"));
    };
    let chain = match handshake(addr, &host, reading, timeout).await {
        Ok(c) => c,
        Err(e) => {
            unreadable(&mut cov, e);
            return (out, cov);
        }
    };
    let Some(leaf) = chain.first() else {
        unreadable(&mut cov, "the server sent no certificate".into());
        return (out, cov);
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.as_ref()) else {
        unreadable(&mut cov, "it is not a valid X.509 certificate".into());
        return (out, cov);
    };
    let not_after = cert.validity().not_after.timestamp();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let days_left = (not_after - now) / 86_400;
    if not_after > now && days_left < EXPIRY_WARNING_DAYS {
        out.push(Finding::new(
            "tls-certificate-expiring",
            site.clone(),
            format!("The TLS certificate expires in {days_left} day(s): renew it before launch."),
            format!("notAfter {}", cert.validity().not_after),
        ));
    }
    // Both names a visitor may type must be covered.
    let names: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let domain = url.host().is_some_and(|h| matches!(h, url::Host::Domain(_))) && host.contains('.');
    if !domain && !out.iter().any(|f| f.check == "tls-name-mismatch") {
        cov.not_applicable(&["tls-name-mismatch"], "the site is addressed by IP address or a single-label name: no www/apex names to cover");
    }
    if domain {
        let apex = host.trim_start_matches("www.").to_string();
        let www = format!("www.{apex}");
        let missing: Vec<&String> = [&apex, &www].into_iter().filter(|n| !names.iter().any(|c| covers(c, n))).collect();
        if !missing.is_empty() {
            out.push(Finding::new(
                "tls-name-mismatch",
                site,
                format!(
                    "The certificate does not cover {}: visitors typing that name get a security warning.",
                    missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" and ")
                ),
                format!("certificate names: {}", if names.is_empty() { "none".to_string() } else { names.join(", ") }),
            ));
        }
    }
    (out, cov)
}

/// Whether certificate name `pattern` (possibly `*.example.com`) covers `name`.
pub fn covers(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => name.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == name,
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("*.example.com", "www.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(covers("example.com", "example.com"));
    }
}
