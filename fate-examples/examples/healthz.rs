//! A liveness endpoint: `GET /healthz` serves `fate::status()` as JSON, with 200 while
//! the program is live and 503 once a watched worker has stalled (or a worker failed),
//! so that Kubernetes' `livenessProbe` restarts a process that is alive but stuck.
//!
//! The worker `crunch` (`stall = "500ms"`, not critical: the program goes on) beats
//! for `STUCK_AFTER_MS` (default 3000) milliseconds, then waits on a lock that never
//! comes free, as a real deadlock would. SIGTERM or SIGINT stop the server gracefully.
//!
//! `cargo run -p fate-examples --features healthz --example healthz`, then
//! `curl -i http://127.0.0.1:8080/healthz` (`HEALTHZ_ADDR` sets the address).

use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

/// Liveness: 200 with the status, or 503 with it.
async fn healthz() -> (StatusCode, Json<fate::Status>) {
    let status = fate::status();
    let code = if status.is_healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(status))
}

/// Works in a loop, beating each round, until it gets stuck.
#[fate::supervised(stall = "500ms", critical = false)]
fn crunch(stuck_after: Duration) {
    let started = std::time::Instant::now();
    while started.elapsed() < stuck_after {
        std::thread::sleep(Duration::from_millis(50)); // a job
        fate::heartbeat();
    }
    let lock = std::sync::Mutex::new(());
    let _held = lock.lock();
    std::mem::forget(lock.lock()); // the deadlock
}

#[fate::supervised(signals, grace = "2s")]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stuck_after = std::env::var("STUCK_AFTER_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(3000);
    std::thread::Builder::new()
        .name("cruncher".into())
        .spawn(move || crunch(Duration::from_millis(stuck_after)))?;
    let addr = std::env::var("HEALTHZ_ADDR").unwrap_or_else(|_| "0.0.0.0:8080".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "healthz: listening on http://{}/healthz",
        listener.local_addr()?
    );
    let app = Router::new().route("/healthz", get(healthz));
    axum::serve(listener, app)
        .with_graceful_shutdown(fate::cancelled())
        .await?;
    Ok(())
}
