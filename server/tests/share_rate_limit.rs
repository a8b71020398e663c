//! Share pages are public URLs, so each address gets a budget per minute on them. (Its own
//! test binary: the budget is process-wide.)

mod common;

use axum::{body::Body, http::Method, http::StatusCode};
use sqlx::SqlitePool;

use common::*;

#[sqlx::test(migrations = false)]
async fn share_pages_are_rate_limited(pool: SqlitePool) {
    let app = preflight_server::router(state(pool).await);
    let mut statuses = Vec::new();
    for _ in 0..preflight_server::middleware::SHARE_REQUESTS_PER_MINUTE + 5 {
        statuses.push(send(&app, browser(Method::GET, "/share/pfs_guess").body(Body::empty()).unwrap()).await);
    }
    assert!(statuses[..10].iter().all(|r| r.status == StatusCode::NOT_FOUND));
    let last = statuses.last().unwrap();
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(last.header("retry-after").parse::<u64>().unwrap() <= 60);
    // Other pages are not affected.
    assert_ne!(send(&app, browser(Method::GET, "/login").body(Body::empty()).unwrap()).await.status, StatusCode::TOO_MANY_REQUESTS);
}
