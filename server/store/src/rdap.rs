//! Domain registration expiry through RDAP (RFC 9082/9083): after a production run, the
//! registrable domain of its site is looked up at most once a day, and the team is told when
//! the registration expires within 60, then 30 days.
//!
//! The RDAP service is `--rdap-url` (default `https://rdap.org`, which redirects to the
//! registry's own server); tests point it at a loopback server. IP addresses, reserved names
//! (`.test`, `.example`, `.invalid`, `.localhost`, `.local`) and the documentation domains
//! (`example.com`, `.net`, `.org`) are never looked up.

use std::time::Duration;

use super::error::AppResult;

/// How often one domain is looked up.
pub const LOOKUP_EVERY_SECS: i64 = 86_400;

/// The registrable domain of a host (`shop.example.co.uk` → `example.co.uk`), or `None` when
/// it has none worth looking up.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') || preflight_engine::fetch::is_reserved_name(&host) {
        return None;
    }
    let domain = psl::domain_str(&host)?.to_string();
    if ["example.com", "example.net", "example.org"].contains(&domain.as_str()) {
        return None;
    }
    Some(domain)
}

/// The registration's expiry (unix seconds) as the RDAP service tells it; `Ok(None)` when the
/// answer has no expiration event.
pub async fn expiry(http: &reqwest::Client, base: &str, domain: &str) -> Result<Option<i64>, String> {
    let url = format!("{}/domain/{domain}", base.trim_end_matches('/'));
    let res = http
        .get(&url)
        .header(http::header::ACCEPT, "application/rdap+json, application/json")
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .map_err(|e| format!("RDAP lookup of {domain}: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("RDAP lookup of {domain}: the service answered {}", res.status()));
    }
    let body: serde_json::Value = res.json().await.map_err(|e| format!("RDAP lookup of {domain}: not RDAP JSON ({e})"))?;
    Ok(expiration(&body))
}

/// The `expiration` event of an RDAP domain answer.
pub fn expiration(body: &serde_json::Value) -> Option<i64> {
    body["events"]
        .as_array()?
        .iter()
        .find(|e| e["eventAction"].as_str().is_some_and(|a| a.eq_ignore_ascii_case("expiration")))
        .and_then(|e| e["eventDate"].as_str())
        .and_then(|d| d.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_second())
}

/// The threshold an expiry `days_left` away has crossed: 60 or 30 days.
pub fn threshold(days_left: i64) -> Option<i64> {
    [30, 60].into_iter().find(|t| days_left <= *t)
}

/// The RDAP client: the crawler's DNS guard, a few redirects (rdap.org sends the question on to
/// the registry), no cookies.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(preflight_engine::fetch::guarded_resolver())
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("Preflight/", env!("CARGO_PKG_VERSION"), " (RDAP)"))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("the RDAP client builds")
}

/// After a production run: looks up its site's domain (at most daily) and tells about an
/// expiry within 60, then 30 days — once per expiry date and threshold.
pub async fn after_run(store: &crate::Store, run: &preflight_model::RunSummary, t: i64) -> AppResult<()> {
    let Some(base) = &store.rdap_base else { return Ok(()) };
    if run.env_kind != "production" || run.state != preflight_model::RunState::Completed {
        return Ok(());
    }
    let Some(domain) = url::Url::parse(&run.base_url).ok().and_then(|u| u.host_str().and_then(registrable_domain)) else { return Ok(()) };
    let checked: Option<i64> = sqlx::query_scalar("SELECT checked_at FROM domain_checks WHERE domain = $1").bind(&domain).fetch_optional(&store.pool).await?;
    if checked.is_some_and(|c| t - c < LOOKUP_EVERY_SECS) {
        return Ok(());
    }
    let found = expiry(&http_client(), base, &domain).await;
    let (expires, error) = match &found {
        Ok(e) => (*e, String::new()),
        Err(why) => (None, why.clone()),
    };
    let mut tx = super::db::begin_write(&store.pool).await?;
    sqlx::query(
        "INSERT INTO domain_checks (domain, checked_at, expires_at, error) VALUES ($1, $2, $3, $4)
         ON CONFLICT (domain) DO UPDATE SET checked_at = excluded.checked_at, expires_at = excluded.expires_at, error = excluded.error",
    )
    .bind(&domain)
    .bind(t)
    .bind(expires)
    .bind(&error)
    .execute(&mut *tx)
    .await?;
    let mut told = Vec::new();
    if let Some(exp) = expires {
        let days = (exp - t).div_euclid(86_400);
        if let Some(limit) = threshold(days) {
            let date = preflight_model::format_date_ts(exp);
            let notice = super::notify::Notice {
                rule: "domain-expiry",
                project_id: run.project_id,
                key: format!("domain-expiry:{domain}:{exp}:{limit}"),
                title: if days < 0 {
                    format!("The domain {domain} has expired ({date})")
                } else {
                    format!("The domain {domain} expires in {days} days ({date})")
                },
                body: "Renew the registration with the registrar before it lapses: the site, its e-mail and its certificates depend on it.".into(),
                link: format!("/runs/{}", run.id),
                audience: super::notify::Audience::Team,
                data: serde_json::json!({"domain": domain, "expires_at": exp, "days_left": days, "threshold_days": limit}),
            };
            told = super::notify::emit_in(store, &mut tx, &notice, t).await?;
        }
    }
    tx.commit().await?;
    super::notify::after_commit(store, run.project_id, &told).await;
    if let Err(why) = found {
        tracing::warn!("{why}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registrable_public_domains_are_looked_up() {
        assert_eq!(registrable_domain("www.shop.co.uk").as_deref(), Some("shop.co.uk"));
        assert_eq!(registrable_domain("WWW.Acme-Shop.com.").as_deref(), Some("acme-shop.com"));
        for none in ["127.0.0.1", "::1", "www.acme.test", "localhost", "intranet.local", "www.example.com", "co.uk"] {
            assert_eq!(registrable_domain(none), None, "{none}");
        }
    }

    #[test]
    fn the_expiration_event_is_read_and_thresholds_are_60_and_30_days() {
        let body = serde_json::json!({"objectClassName": "domain", "ldhName": "ACME-SHOP.COM", "events": [
            {"eventAction": "registration", "eventDate": "2019-05-01T10:00:00Z"},
            {"eventAction": "expiration", "eventDate": "2027-05-01T10:00:00Z"},
            {"eventAction": "last update of RDAP database", "eventDate": "2026-11-30T08:00:00Z"}]});
        assert_eq!(expiration(&body), Some("2027-05-01T10:00:00Z".parse::<jiff::Timestamp>().unwrap().as_second()));
        assert_eq!(expiration(&serde_json::json!({"events": []})), None);
        assert_eq!((threshold(61), threshold(60), threshold(31), threshold(30), threshold(-2)), (None, Some(60), Some(60), Some(30), Some(30)));
    }
}
