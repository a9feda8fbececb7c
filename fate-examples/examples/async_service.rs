//! A small tokio service: an accept loop hands requests to handler tasks, a metrics
//! task buffers counters and flushes them to a file, and a health checker runs on its
//! own. Every task is detached (`tokio::spawn` without keeping the handle), so without
//! fate a panic in one of them is swallowed by tokio and the service runs on, broken.
//!
//! Request 5 is malformed and its handler panics. fate reports it and cancels; the
//! accept loop and the metrics task notice `fate::cancelled()`, the metrics are flushed
//! within the grace period, and `main` returns the handler's report.
//!
//! Run it with `cargo run --example async_service [METRICS_FILE]`.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

#[fate::supervised(grace = "2s")]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let metrics_file = std::env::args_os().nth(1).map_or_else(
        || std::env::temp_dir().join("fate-async-metrics.txt"),
        PathBuf::from,
    );
    let (served_tx, served_rx) = mpsc::unbounded_channel();
    let metrics = tokio::spawn(metrics(served_rx, metrics_file));
    tokio::spawn(health_check());
    // The accept loop: a request every 10 ms, until the service is cancelled.
    let mut request = 0;
    loop {
        tokio::select! {
            () = fate::cancelled() => break,
            () = tokio::time::sleep(Duration::from_millis(10)) => {
                request += 1;
                tokio::spawn(handle(request, served_tx.clone()));
            }
        }
    }
    // Returning from `main` shuts tokio down, which drops the tasks still running: give
    // the metrics task its chance to flush first.
    metrics.await??;
    Ok(())
}

/// Serves one request.
#[fate::supervised]
async fn handle(request: u32, served: mpsc::UnboundedSender<u32>) {
    tokio::time::sleep(Duration::from_millis(5)).await;
    if request == 5 {
        panic!("request {request} is malformed: missing header `host`");
    }
    let _ = served.send(request);
}

/// Counts served requests; flushes the count to a file when the service is cancelled.
#[fate::supervised]
async fn metrics(mut served: mpsc::UnboundedReceiver<u32>, file: PathBuf) -> std::io::Result<()> {
    let mut count = 0;
    loop {
        tokio::select! {
            Some(_) = served.recv() => count += 1,
            () = fate::cancelled() => break,
        }
    }
    tokio::fs::write(&file, format!("served {count}\n")).await?;
    eprintln!("metrics: flushed to {}", file.display());
    Ok(())
}

/// Pings a dependency every 50 ms until cancelled.
#[fate::supervised]
async fn health_check() {
    while !fate::is_cancelled() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
