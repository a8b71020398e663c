//! DNS checks with hickory: the production host's TTL against the launch date (lower it a
//! week before), nameservers, MX, SPF, DMARC, the mail servers' PTR records, and CNAME at
//! the zone apex.
//!
//! The zone apex is taken to be the host without a leading `www.`. Names under reserved
//! top-level domains (.test, .example, .invalid, .localhost, .local) and IP addresses are
//! not looked up unless a nameserver is configured explicitly.

use std::{net::IpAddr, time::Duration};

use hickory_resolver::{
    config::{NameServerConfigGroup, ResolverConfig, ResolverOpts},
    name_server::TokioConnectionProvider,
    proto::rr::{RData, Record, RecordType},
    ResolveError, Resolver,
};
use url::Url;

use crate::{config::CheckConfig, finding::Finding, outcome::Coverage};

/// TTL (seconds) considered "lowered" for a DNS move.
pub const LOWERED_TTL: u32 = 300;
/// Days before launch from which the TTL should be low.
pub const TTL_LOWER_DAYS_BEFORE: i64 = 7;

/// The checks that look whenever the zone can be queried (the TTL check depends on the launch date).
pub const DNS_CHECKS: &[&str] = &["dns-ns-missing", "dns-mx-missing", "dns-spf-missing", "dns-dmarc-missing", "dns-ptr-mismatch", "dns-cname-at-apex"];
/// Every DNS check, `dns-ns-missing` first.
pub const ALL_DNS_CHECKS: &[&str] =
    &["dns-ns-missing", "dns-mx-missing", "dns-spf-missing", "dns-dmarc-missing", "dns-ptr-mismatch", "dns-cname-at-apex", "dns-ttl-not-lowered"];

const RESERVED_TLDS: &[&str] = &["test", "example", "invalid", "localhost", "local"];

/// Whether DNS checks apply to this URL under this configuration.
pub fn applies(config: &CheckConfig, url: &Url) -> bool {
    let Some(url::Host::Domain(host)) = url.host() else {
        return false;
    };
    if !host.contains('.') {
        return false;
    }
    let tld = host.trim_end_matches('.').rsplit('.').next().unwrap_or("");
    config.nameserver.is_some() || !RESERVED_TLDS.contains(&tld)
}

fn resolver(config: &CheckConfig) -> Result<Dns, String> {
    let mut opts = ResolverOpts::default();
    opts.timeout = config.limits.request_timeout.min(Duration::from_secs(5));
    opts.attempts = 2;
    opts.cache_size = 0;
    opts.edns0 = true;
    let builder = match config.nameserver {
        Some(ns) => {
            let group = NameServerConfigGroup::from_ips_clear(&[ns.ip()], ns.port(), true);
            Resolver::builder_with_config(ResolverConfig::from_parts(None, vec![], group), TokioConnectionProvider::default())
        }
        None => Resolver::builder_tokio().map_err(|e| format!("reading the system's DNS configuration: {e}"))?,
    };
    Ok(builder.with_options(opts).build())
}

/// Records of `kind` at `name`; an empty list when there are none.
async fn records(r: &Dns, name: &str, kind: RecordType) -> Result<Vec<Record>, String> {
    let fqdn = if name.ends_with('.') { name.to_string() } else { format!("{name}.") };
    match r.lookup(fqdn.as_str(), kind).await {
        Ok(l) => Ok(l.records().iter().filter(|rec| rec.record_type() == kind).cloned().collect()),
        Err(e) if no_data(&e) => Ok(Vec::new()),
        Err(e) => Err(format!("{kind} lookup of {name} failed: {e}")),
    }
}

/// The name has no records of the type (NOERROR with no answers, or NXDOMAIN) — not a
/// failed lookup: hickory also reports SERVFAIL and REFUSED answers as "no records found",
/// which must not become a false "no MX records" finding.
fn no_data(e: &ResolveError) -> bool {
    use hickory_resolver::proto::{op::ResponseCode, ProtoErrorKind};
    match e.proto().map(|p| p.kind()) {
        Some(ProtoErrorKind::NoRecordsFound { response_code, .. }) => matches!(*response_code, ResponseCode::NoError | ResponseCode::NXDomain),
        _ => e.is_nx_domain(),
    }
}

fn txt_strings(recs: &[Record]) -> Vec<String> {
    recs.iter()
        .filter_map(|r| match r.data() {
            RData::TXT(t) => Some(t.txt_data().iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect::<String>()),
            _ => None,
        })
        .collect()
}

/// Days from today (UTC) to a `YYYY-MM-DD` date.
fn days_until(date: &str) -> Option<i64> {
    let mut parts = date.trim().split('-');
    let (y, m, d): (i32, u32, u32) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    let target = days_from_civil(y, m, d)?;
    let today = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64 / 86_400;
    Some(target - today)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i32, m: u32, d: u32) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The resolver the checks ask.
type Dns = Resolver<TokioConnectionProvider>;

/// Runs the DNS checks for the site's host; returns findings and what each check covered.
pub async fn check(config: &CheckConfig, url: &Url) -> (Vec<Finding>, Coverage) {
    let mut out = Vec::new();
    let mut cov = Coverage::default();
    if config.skip_dns {
        cov.skipped(ALL_DNS_CHECKS, "DNS checks were turned off for this run");
        return (out, cov);
    }
    if !applies(config, url) {
        let why = match url.host() {
            Some(url::Host::Domain(h)) if h.contains('.') => {
                "a reserved test name (.test, .example, .invalid, .localhost, .local) is looked up only with an explicit nameserver"
            }
            _ => "the site is addressed by IP address or a single-label name: there is no DNS zone to check",
        };
        cov.not_applicable(ALL_DNS_CHECKS, why);
        return (out, cov);
    }
    if !config.env.is_production() {
        cov.looked(ALL_DNS_CHECKS).scope_to(config.env);
        return (out, cov);
    }
    let host = url.host_str().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
    let apex = host.strip_prefix("www.").unwrap_or(&host).to_string();
    let r = match resolver(config) {
        Ok(r) => r,
        Err(e) => {
            cov.skipped(ALL_DNS_CHECKS, format!("DNS could not be queried: {e}"));
            return (out, cov);
        }
    };
    cov.looked(DNS_CHECKS);
    if !nameservers(&r, &apex, &mut out, &mut cov).await {
        return (out, cov);
    }
    cname_at_apex(&r, &apex, &mut out, &mut cov).await;
    ttl_before_launch(config, &r, &host, &mut out, &mut cov).await;
    let mx = mail(&r, &apex, &mut out, &mut cov).await;
    for mail_host in mx.iter().take(3) {
        mail_server_ptr(&r, mail_host, &mut out).await;
    }
    (out, cov)
}

/// `dns-ns-missing`. `false` when the zone's nameservers did not answer: nothing else can be
/// asked then.
async fn nameservers(r: &Dns, apex: &str, out: &mut Vec<Finding>, cov: &mut Coverage) -> bool {
    match records(r, apex, RecordType::NS).await {
        Ok(v) if v.is_empty() => out.push(Finding::new(
            "dns-ns-missing",
            apex,
            format!("{apex} has no NS records: the zone is not delegated (or the name is wrong)."),
            "NS lookup returned nothing",
        )),
        Err(e) => {
            out.push(Finding::new("dns-ns-missing", apex, format!("The nameservers of {apex} did not answer."), e));
            cov.skipped(&ALL_DNS_CHECKS[1..], format!("the nameservers of {apex} did not answer"));
            return false;
        }
        Ok(_) => {}
    }
    true
}

/// `dns-cname-at-apex`: a CNAME at the apex breaks MX, NS and TXT there.
async fn cname_at_apex(r: &Dns, apex: &str, out: &mut Vec<Finding>, cov: &mut Coverage) {
    match records(r, apex, RecordType::CNAME).await {
        Err(e) => {
            cov.skipped(&["dns-cname-at-apex"], format!("the CNAME lookup failed: {e}"));
        }
        Ok(c) => {
            if let Some(rec) = c.first() {
                out.push(Finding::new("dns-cname-at-apex", apex, "The zone apex is a CNAME: mail, nameserver and TXT records cannot live beside it. Use A/AAAA (or your DNS host's ALIAS/flattening) instead.", format!("{apex} CNAME {}", rec.data())));
            }
        }
    }
}

/// `dns-ttl-not-lowered`: in the last days before launch, the site's records must have a short
/// TTL so the switch takes effect quickly.
async fn ttl_before_launch(config: &CheckConfig, r: &Dns, host: &str, out: &mut Vec<Finding>, cov: &mut Coverage) {
    let days = match config.launch_date.as_deref().map(|d| (d, days_until(d))) {
        None => {
            cov.not_applicable(&["dns-ttl-not-lowered"], "no launch date set");
            return;
        }
        Some((d, None)) => {
            cov.skipped(&["dns-ttl-not-lowered"], format!("the launch date \"{d}\" is not a YYYY-MM-DD date"));
            return;
        }
        Some((_, Some(days))) if days > TTL_LOWER_DAYS_BEFORE => {
            cov.not_applicable(&["dns-ttl-not-lowered"], format!("more than {TTL_LOWER_DAYS_BEFORE} days before launch ({days} days to go)"));
            return;
        }
        Some((_, Some(days))) if days < 0 => {
            cov.not_applicable(&["dns-ttl-not-lowered"], "launch day has passed");
            return;
        }
        Some((_, Some(days))) => days,
    };
    let mut max_ttl: Option<(u32, String)> = None;
    for kind in [RecordType::CNAME, RecordType::A, RecordType::AAAA] {
        if let Ok(recs) = records(r, host, kind).await {
            for rec in recs {
                if max_ttl.as_ref().is_none_or(|(t, _)| rec.ttl() > *t) {
                    max_ttl = Some((rec.ttl(), format!("{host} {} TTL {} s", rec.record_type(), rec.ttl())));
                }
            }
        }
    }
    let Some((ttl, evidence)) = max_ttl else {
        cov.skipped(&["dns-ttl-not-lowered"], format!("{host} has no A, AAAA or CNAME record to read a TTL from"));
        return;
    };
    cov.looked(&["dns-ttl-not-lowered"]);
    if ttl > LOWERED_TTL {
        out.push(Finding::new(
            "dns-ttl-not-lowered",
            host,
            format!(
                "Launch is in {days} day(s) but {host} still has a TTL of {ttl} s: lower it to {LOWERED_TTL} s or less so the DNS switch takes effect quickly."
            ),
            evidence,
        ));
    }
}

/// Mail for the domain: `dns-mx-missing`, `dns-spf-missing`, `dns-dmarc-missing`. Answers the
/// mail servers (for `dns-ptr-mismatch`).
async fn mail(r: &Dns, apex: &str, out: &mut Vec<Finding>, cov: &mut Coverage) -> Vec<String> {
    let mx: Vec<String> = match records(r, apex, RecordType::MX).await {
        Ok(v) => v
            .iter()
            .filter_map(|rec| match rec.data() {
                RData::MX(m) => Some(m.exchange().to_ascii().trim_end_matches('.').to_string()),
                _ => None,
            })
            .collect(),
        Err(e) => {
            cov.skipped(&["dns-mx-missing", "dns-ptr-mismatch"], format!("the MX lookup failed: {e}"));
            Vec::new()
        }
    };
    if mx.is_empty() && cov.is_looked("dns-mx-missing") {
        cov.not_applicable(&["dns-ptr-mismatch"], format!("{apex} has no mail servers to check"));
        out.push(Finding::new("dns-mx-missing", apex, format!("{apex} has no MX records: mail to its addresses bounces."), "MX lookup returned nothing"));
    }
    let txt = match records(r, apex, RecordType::TXT).await {
        Ok(recs) => Some(txt_strings(&recs)),
        Err(e) => {
            cov.skipped(&["dns-spf-missing"], format!("the TXT lookup failed: {e}"));
            None
        }
    };
    if txt.is_some_and(|txt| !txt.iter().any(|t| t.trim_start().to_ascii_lowercase().starts_with("v=spf1"))) {
        out.push(Finding::new(
            "dns-spf-missing",
            apex,
            format!("{apex} publishes no SPF record: its mail is more likely to land in spam."),
            "no TXT record starting with v=spf1",
        ));
    }
    let dmarc = match records(r, &format!("_dmarc.{apex}"), RecordType::TXT).await {
        Ok(recs) => Some(txt_strings(&recs)),
        Err(e) => {
            cov.skipped(&["dns-dmarc-missing"], format!("the TXT lookup of _dmarc.{apex} failed: {e}"));
            None
        }
    };
    if dmarc.is_some_and(|dmarc| !dmarc.iter().any(|t| t.trim_start().to_ascii_lowercase().starts_with("v=dmarc1"))) {
        out.push(Finding::new(
            "dns-dmarc-missing",
            format!("_dmarc.{apex}"),
            format!("{apex} publishes no DMARC policy."),
            "no TXT record starting with v=DMARC1 at _dmarc",
        ));
    }
    mx
}

/// `dns-ptr-mismatch` for one mail server: each of its (first two) addresses needs a PTR
/// record whose name resolves back to the address (forward-confirmed reverse DNS).
async fn mail_server_ptr(r: &Dns, mail_host: &str, out: &mut Vec<Finding>) {
    let ips: Vec<IpAddr> = records(r, mail_host, RecordType::A)
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|rec| match rec.data() {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            _ => None,
        })
        .collect();
    for ip in ips.into_iter().take(2) {
        let reverse = reverse_name(ip);
        let names: Vec<String> = records(r, &reverse, RecordType::PTR)
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|rec| match rec.data() {
                RData::PTR(p) => Some(p.0.to_ascii().trim_end_matches('.').to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        if names.is_empty() {
            out.push(Finding::new(
                "dns-ptr-mismatch",
                mail_host,
                format!("The mail server {mail_host} ({ip}) has no PTR record: many receivers reject its mail."),
                format!("no PTR at {reverse}"),
            ));
            continue;
        }
        let mut confirmed = false;
        for n in &names {
            let back = records(r, n, RecordType::A).await.unwrap_or_default();
            if back.iter().any(|rec| matches!(rec.data(), RData::A(a) if IpAddr::V4(a.0) == ip)) {
                confirmed = true;
            }
        }
        if !confirmed {
            out.push(Finding::new(
                "dns-ptr-mismatch",
                mail_host,
                format!("The PTR of mail server {mail_host} ({ip}) points at a name that does not resolve back to it."),
                format!("{reverse} PTR {}", names.join(", ")),
            ));
        }
    }
}

fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::new();
            for b in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s + "ip6.arpa"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_and_reverse_names() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(reverse_name("192.0.2.10".parse().unwrap()), "10.2.0.192.in-addr.arpa");
        assert!(reverse_name("2001:db8::1".parse().unwrap()).ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"));
    }

    #[test]
    fn reserved_names_are_not_looked_up_without_a_nameserver() {
        let mut c = CheckConfig::new("https://www.shop.test/").unwrap();
        assert!(!applies(&c, &c.start_url.clone()));
        c.nameserver = Some("127.0.0.1:53".parse().unwrap());
        assert!(applies(&c, &c.start_url.clone()));
        let ip = CheckConfig::new("http://127.0.0.1:8080/").unwrap();
        assert!(!applies(&ip, &ip.start_url.clone()));
    }
}
