//! A worker that restarts: `poll_feed` reads a feed whose server drops the first two
//! connections. `restart = 3` calls it again (with the same arguments) after 50 ms,
//! then 100 ms; the third attempt succeeds and the program ends normally, each
//! restart one line on stderr.
//!
//! `cargo run --example restart`; with `-- always` the server never comes back: after
//! the third restart the failure ends the program, its report listing the attempts.

use std::sync::atomic::{AtomicU32, Ordering};

static CONNECTIONS: AtomicU32 = AtomicU32::new(0);

#[derive(Clone, Debug)]
struct Feed {
    url: String,
    always_down: bool,
}

#[fate::supervised(restart = 3, within = "10s", backoff = "50ms")]
fn poll_feed(feed: Feed) -> Result<usize, std::io::Error> {
    let attempt = CONNECTIONS.fetch_add(1, Ordering::SeqCst) + 1;
    if feed.always_down || attempt <= 2 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            format!("{} dropped connection {attempt}", feed.url),
        ));
    }
    Ok(42)
}

#[fate::supervised]
fn main() -> Result<(), fate::Error> {
    let feed = Feed {
        url: "feed.example".to_owned(),
        always_down: std::env::args().nth(1).as_deref() == Some("always"),
    };
    let items = std::thread::spawn(move || poll_feed(feed))
        .join()
        .expect("poll_feed does not panic");
    if let Ok(items) = items {
        println!("read {items} items");
    }
    Ok(())
}
