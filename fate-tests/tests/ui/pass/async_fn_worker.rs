//! `#[fate::supervised] async fn` is accepted. Calling it only makes the future (the
//! body runs when it is polled), the future's output is the function's, and with no
//! supervisor it behaves as the plain `async fn`.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

#[fate::supervised]
async fn work() -> u32 {
    1
}

#[fate::supervised]
async fn nothing() {}

#[fate::supervised(name = "fetcher")]
pub async fn fetch(url: &str) -> Result<usize, std::io::Error> {
    if url.is_empty() {
        return Err(std::io::Error::other("empty url"));
    }
    Ok(url.len())
}

#[fate::supervised]
async fn mark(ran: &Cell<bool>) {
    ran.set(true);
}

/// Polls a future that needs no waking up until it completes.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fn output_is<T, F: Future<Output = T>>(future: F) -> F {
    future
}

fn main() {
    let future = output_is::<u32, _>(work());
    assert_eq!(ready(future), 1);
    ready(output_is::<(), _>(nothing()));
    assert_eq!(ready(fetch("https://example.com")).unwrap(), 19);
    assert!(ready(fetch("")).is_err());

    let ran = Cell::new(false);
    let future = mark(&ran);
    assert!(!ran.get(), "calling an async fn runs nothing");
    ready(future);
    assert!(ran.get());
}
