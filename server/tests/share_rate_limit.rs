//! Share pages are public URLs, so each address gets a budget per minute on them, kept in the
//! database: several servers behind one address share it.

mod common;

use axum::{body::Body, http::Method, http::StatusCode};

use common::*;

preflight_store::db_test! {
    async fn share_pages_are_rate_limited_across_servers(pool) {
        let first = preflight_server::router(state(pool.clone()).await);
        // A second server: its own pool on the same database.
        let other_pool = preflight_store::db::connect(pool.connect_options().database_url.as_ref()).await.unwrap();
        let second = preflight_server::router(state(other_pool).await);
        let from = std::net::SocketAddr::from(([10, 0, 0, 1], 40000));
        let mut statuses = Vec::new();
        for i in 0..preflight_server::middleware::SHARE_REQUESTS_PER_MINUTE + 5 {
            let req = browser(Method::GET, "/share/pfs_guess").extension(axum::extract::ConnectInfo(from)).body(Body::empty()).unwrap();
            statuses.push(send(if i % 2 == 0 { &first } else { &second }, req).await);
        }
        assert!(statuses[..10].iter().all(|r| r.status == StatusCode::NOT_FOUND));
        let limited = statuses.iter().position(|r| r.status == StatusCode::TOO_MANY_REQUESTS).expect("the budget ran out");
        assert_eq!(limited, preflight_server::middleware::SHARE_REQUESTS_PER_MINUTE as usize, "the two servers counted together");
        let last = statuses.last().unwrap();
        assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(last.header("retry-after").parse::<u64>().unwrap() <= 60);
        // Another address, and other pages, are not affected.
        let elsewhere = std::net::SocketAddr::from(([10, 0, 0, 2], 40000));
        let req = browser(Method::GET, "/share/pfs_guess").extension(axum::extract::ConnectInfo(elsewhere)).body(Body::empty()).unwrap();
        assert_eq!(send(&second, req).await.status, StatusCode::NOT_FOUND);
        assert_ne!(send(&first, browser(Method::GET, "/login").body(Body::empty()).unwrap()).await.status, StatusCode::TOO_MANY_REQUESTS);
    }
}
