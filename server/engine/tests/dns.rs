//! DNS checks against a nameserver the test runs on 127.0.0.1 with a static zone.

use std::{collections::HashMap, net::SocketAddr, str::FromStr, sync::Arc};

use hickory_resolver::proto::{
    op::{Message, MessageType, ResponseCode},
    rr::{
        rdata::{A, CNAME, MX, NS, PTR, TXT},
        Name, RData, Record, RecordType,
    },
};
use preflight_engine::{CheckConfig, CheckStatus, EnvProfile};

type Zone = HashMap<(String, RecordType), Vec<Record>>;

fn rec(name: &str, ttl: u32, data: RData) -> Record {
    Record::from_rdata(Name::from_str(name).unwrap(), ttl, data)
}

fn zone(records: Vec<Record>) -> Zone {
    let mut z: Zone = HashMap::new();
    for r in records {
        z.entry((r.name().to_ascii().to_ascii_lowercase(), r.record_type())).or_default().push(r);
    }
    z
}

/// A tiny authoritative server: answers from the zone, NXDOMAIN for unknown names.
async fn nameserver(zone: Zone) -> SocketAddr {
    nameserver_failing(zone, vec![]).await
}

/// The same server, answering SERVFAIL to queries of the `failing` record types.
async fn nameserver_failing(zone: Zone, failing: Vec<RecordType>) -> SocketAddr {
    let sock = Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                continue;
            };
            let Ok(req) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut resp = Message::new();
            resp.set_id(req.id()).set_message_type(MessageType::Response).set_op_code(req.op_code()).set_authoritative(true);
            resp.set_recursion_desired(req.recursion_desired());
            resp.add_queries(req.queries().to_vec());
            let mut known_name = false;
            for q in req.queries() {
                let name = q.name().to_ascii().to_ascii_lowercase();
                known_name |= zone.keys().any(|(n, _)| *n == name);
                if let Some(rs) = zone.get(&(name, q.query_type())) {
                    resp.add_answers(rs.clone());
                }
            }
            resp.set_response_code(if known_name { ResponseCode::NoError } else { ResponseCode::NXDomain });
            if req.queries().iter().any(|q| failing.contains(&q.query_type())) {
                resp.take_answers();
                resp.set_response_code(ResponseCode::ServFail);
            }
            if let Ok(bytes) = resp.to_vec() {
                let _ = sock.send_to(&bytes, peer).await;
            }
        }
    });
    addr
}

fn in_days(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Findings and each DNS check's (status, reason).
type Statuses = HashMap<String, (CheckStatus, String)>;

async fn run(url: &str, zone: Zone, launch_in: Option<i64>) -> (Vec<preflight_engine::Finding>, Statuses) {
    let ns = nameserver(zone).await;
    let mut config = CheckConfig::new(url).unwrap();
    config.nameserver = Some(ns);
    config.launch_date = launch_in.map(in_days);
    run_with(config).await
}

async fn run_with(config: CheckConfig) -> (Vec<preflight_engine::Finding>, Statuses) {
    let (f, cov) = preflight_engine::dns::check(&config, &config.start_url.clone()).await;
    let statuses = cov.outcomes(&f, "").into_iter().filter(|o| o.id.starts_with("dns-")).map(|o| (o.id, (o.status, o.reason))).collect();
    (f, statuses)
}

fn status<'a>(s: &'a Statuses, id: &str) -> (CheckStatus, &'a str) {
    let (st, r) = &s[id];
    (*st, r.as_str())
}

fn name(s: &str) -> Name {
    Name::from_str(s).unwrap()
}

fn txt(s: &str) -> RData {
    RData::TXT(TXT::new(vec![s.to_string()]))
}

fn good_zone(www_ttl: u32) -> Zone {
    zone(vec![
        rec("shop.test.", 3600, RData::NS(NS(name("ns1.shop.test.")))),
        rec("shop.test.", 3600, RData::MX(MX::new(10, name("mail.shop.test.")))),
        rec("shop.test.", 3600, txt("v=spf1 mx -all")),
        rec("shop.test.", 300, RData::A(A::new(127, 0, 0, 1))),
        rec("_dmarc.shop.test.", 3600, txt("v=DMARC1; p=quarantine")),
        rec("www.shop.test.", www_ttl, RData::A(A::new(127, 0, 0, 1))),
        rec("mail.shop.test.", 3600, RData::A(A::new(192, 0, 2, 25))),
        rec("25.2.0.192.in-addr.arpa.", 3600, RData::PTR(PTR(name("mail.shop.test.")))),
    ])
}

#[tokio::test]
async fn a_well_prepared_zone_passes() {
    let (f, st) = run("https://www.shop.test/", good_zone(300), Some(3)).await;
    assert!(f.is_empty(), "{f:#?}");
    for id in ["dns-ns-missing", "dns-mx-missing", "dns-spf-missing", "dns-dmarc-missing", "dns-ptr-mismatch", "dns-cname-at-apex", "dns-ttl-not-lowered"] {
        assert_eq!(status(&st, id).0, CheckStatus::Passed, "{id}: {st:?}");
    }
}

#[tokio::test]
async fn a_long_ttl_the_week_before_launch_is_reported_but_not_a_month_before() {
    let (f, _) = run("https://www.shop.test/", good_zone(86_400), Some(2)).await;
    assert_eq!(f.iter().map(|f| f.check.as_str()).collect::<Vec<_>>(), vec!["dns-ttl-not-lowered"], "{f:#?}");
    assert!(f[0].message.contains("Launch is in 2 day") && f[0].evidence.contains("86400"), "{f:?}");
    let (early, st) = run("https://www.shop.test/", good_zone(86_400), Some(30)).await;
    assert!(early.is_empty(), "too early to insist: {early:#?}");
    assert_eq!(status(&st, "dns-ttl-not-lowered"), (CheckStatus::NotApplicable, "more than 7 days before launch (30 days to go)"));
    let (unknown, st) = run("https://www.shop.test/", good_zone(86_400), None).await;
    assert!(unknown.is_empty());
    assert_eq!(status(&st, "dns-ttl-not-lowered"), (CheckStatus::NotApplicable, "no launch date set"));
    let (after, st) = run("https://www.shop.test/", good_zone(86_400), Some(-3)).await;
    assert!(after.is_empty());
    assert_eq!(status(&st, "dns-ttl-not-lowered"), (CheckStatus::NotApplicable, "launch day has passed"));
}

#[tokio::test]
async fn a_careless_zone_shows_every_problem() {
    let z = zone(vec![rec("bad.test.", 3600, RData::CNAME(CNAME(name("lb.hosting.test.")))), rec("www.bad.test.", 3600, RData::A(A::new(127, 0, 0, 1)))]);
    let (f, _) = run("https://www.bad.test/", z, None).await;
    let ids: Vec<&str> = f.iter().map(|f| f.check.as_str()).collect();
    for id in ["dns-ns-missing", "dns-cname-at-apex", "dns-mx-missing", "dns-spf-missing", "dns-dmarc-missing"] {
        assert!(ids.contains(&id), "{id} missing: {f:#?}");
    }
}

#[tokio::test]
async fn mail_servers_need_forward_confirmed_ptr_records() {
    let z = zone(vec![
        rec("mail.test.", 3600, RData::NS(NS(name("ns.mail.test.")))),
        rec("mail.test.", 3600, RData::MX(MX::new(10, name("mx1.mail.test.")))),
        rec("mail.test.", 3600, RData::MX(MX::new(20, name("mx2.mail.test.")))),
        rec("mail.test.", 3600, txt("v=spf1 mx -all")),
        rec("_dmarc.mail.test.", 3600, txt("v=DMARC1; p=none")),
        rec("mx1.mail.test.", 3600, RData::A(A::new(192, 0, 2, 26))),
        rec("26.2.0.192.in-addr.arpa.", 3600, RData::PTR(PTR(name("other.mail.test.")))),
        rec("other.mail.test.", 3600, RData::A(A::new(192, 0, 2, 99))),
        rec("mx2.mail.test.", 3600, RData::A(A::new(192, 0, 2, 27))),
    ]);
    let (f, _) = run("https://mail.test/", z, None).await;
    let ptr: Vec<&preflight_engine::Finding> = f.iter().filter(|f| f.check == "dns-ptr-mismatch").collect();
    assert_eq!(ptr.len(), 2, "{f:#?}");
    assert!(ptr.iter().any(|p| p.message.contains("does not resolve back")));
    assert!(ptr.iter().any(|p| p.message.contains("no PTR record")));
}

#[tokio::test]
async fn a_zone_without_mail_servers_has_no_ptr_to_check_and_no_address_no_ttl() {
    let z = zone(vec![
        rec("web.test.", 3600, RData::NS(NS(name("ns.web.test.")))),
        rec("web.test.", 3600, txt("v=spf1 -all")),
        rec("_dmarc.web.test.", 3600, txt("v=DMARC1; p=reject")),
    ]);
    let (f, st) = run("https://web.test/", z, Some(2)).await;
    assert_eq!(f.iter().map(|f| f.check.as_str()).collect::<Vec<_>>(), vec!["dns-mx-missing"], "{f:#?}");
    assert_eq!(status(&st, "dns-ptr-mismatch"), (CheckStatus::NotApplicable, "web.test has no mail servers to check"));
    assert_eq!(status(&st, "dns-ttl-not-lowered"), (CheckStatus::Skipped, "web.test has no A, AAAA or CNAME record to read a TTL from"));
}

#[tokio::test]
async fn dns_checks_say_why_they_did_not_look() {
    // A dev run: the zone's mail and TTL are production matters.
    let mut dev = CheckConfig::new("https://dev.shop.test/").unwrap();
    dev.nameserver = Some(nameserver(good_zone(300)).await);
    dev.env = EnvProfile::Dev;
    let (f, st) = run_with(dev).await;
    assert!(f.is_empty());
    assert_eq!(status(&st, "dns-mx-missing"), (CheckStatus::NotApplicable, "production-only check on a dev run"));
    // A reserved test name without a nameserver, and an IP address: nothing to look up.
    let (_, st) = run_with(CheckConfig::new("https://www.shop.test/").unwrap()).await;
    assert_eq!(status(&st, "dns-ns-missing").0, CheckStatus::NotApplicable);
    assert!(status(&st, "dns-ns-missing").1.contains("reserved test name"));
    let (_, st) = run_with(CheckConfig::new("http://127.0.0.1:8080/").unwrap()).await;
    assert!(status(&st, "dns-spf-missing").1.contains("IP address"), "{st:?}");
    // Turned off.
    let mut off = CheckConfig::new("https://www.shop.test/").unwrap();
    off.skip_dns = true;
    let (_, st) = run_with(off).await;
    assert_eq!(status(&st, "dns-dmarc-missing"), (CheckStatus::Skipped, "DNS checks were turned off for this run"));
    // A nameserver that never answers: the NS check fails, the rest could not look.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut dead = CheckConfig::new("https://www.shop.test/").unwrap();
    dead.nameserver = Some(silent.local_addr().unwrap());
    dead.limits.request_timeout = std::time::Duration::from_millis(300);
    let (f, st) = run_with(dead).await;
    assert_eq!(f.iter().map(|f| f.check.as_str()).collect::<Vec<_>>(), vec!["dns-ns-missing"]);
    assert_eq!(status(&st, "dns-ns-missing").0, CheckStatus::Failed);
    assert_eq!(status(&st, "dns-mx-missing"), (CheckStatus::Skipped, "the nameservers of shop.test did not answer"));
    // Nameservers that fail some lookups: those checks could not look — never a false finding.
    let ns = nameserver_failing(good_zone(300), vec![RecordType::CNAME, RecordType::MX, RecordType::TXT]).await;
    let mut flaky = CheckConfig::new("https://www.shop.test/").unwrap();
    flaky.nameserver = Some(ns);
    flaky.limits.request_timeout = std::time::Duration::from_millis(500);
    let (f, st) = run_with(flaky).await;
    assert!(f.is_empty(), "{f:#?}");
    for (id, why) in [
        ("dns-cname-at-apex", "the CNAME lookup failed"),
        ("dns-mx-missing", "the MX lookup failed"),
        ("dns-ptr-mismatch", "the MX lookup failed"),
        ("dns-spf-missing", "the TXT lookup failed"),
        ("dns-dmarc-missing", "the TXT lookup of _dmarc.shop.test failed"),
    ] {
        let (s, r) = status(&st, id);
        assert!(s == CheckStatus::Skipped && r.starts_with(why), "{id}: {s:?} {r}");
    }
    assert_eq!(status(&st, "dns-ns-missing").0, CheckStatus::Passed);
    // A launch date that is not a date: the TTL check says so.
    let ns = nameserver(good_zone(300)).await;
    let mut odd = CheckConfig::new("https://www.shop.test/").unwrap();
    odd.nameserver = Some(ns);
    odd.launch_date = Some("next Tuesday".into());
    let (_, st) = run_with(odd).await;
    assert_eq!(status(&st, "dns-ttl-not-lowered"), (CheckStatus::Skipped, "the launch date \"next Tuesday\" is not a YYYY-MM-DD date"));
}
