//! Share pages are public URLs, so each address gets a budget per minute on them. (Its own
//! test binary: the budget is process-wide.)

mod common;

use axum::{body::Body, http::Method, http::StatusCode};

use common::*;

/// The budget is per address and per process: the SQLite and PostgreSQL runs of the test each
/// come from their own address.
static NEXT_ADDRESS: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

preflight_store::db_test! {
    async fn share_pages_are_rate_limited(pool) {
        let app = preflight_server::router(state(pool).await);
        let from = std::net::SocketAddr::from(([10, 0, 0, NEXT_ADDRESS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)], 40000));
        let mut statuses = Vec::new();
        for _ in 0..preflight_server::middleware::SHARE_REQUESTS_PER_MINUTE + 5 {
            let req = browser(Method::GET, "/share/pfs_guess").extension(axum::extract::ConnectInfo(from)).body(Body::empty()).unwrap();
            statuses.push(send(&app, req).await);
        }
        assert!(statuses[..10].iter().all(|r| r.status == StatusCode::NOT_FOUND));
        let last = statuses.last().unwrap();
        assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(last.header("retry-after").parse::<u64>().unwrap() <= 60);
        // Other pages are not affected.
        assert_ne!(send(&app, browser(Method::GET, "/login").body(Body::empty()).unwrap()).await.status, StatusCode::TOO_MANY_REQUESTS);
    }
}
