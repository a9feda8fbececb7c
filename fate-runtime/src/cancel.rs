//! Cancellation: how workers learn that their root has failed and should stop:
//! by asking ([`is_cancelled`]), by blocking ([`wait_cancelled`]) or by awaiting
//! ([`cancelled`]).
//!
//! A root cancels once, at its first failure. Workers look at the root of the thread
//! they run on (see [`context`](crate::context)); with no root, nothing is ever
//! cancelled.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::context;
use crate::root::Root;
use crate::sync::Arc;

/// Cancels the current root without a failure: a graceful stop.
///
/// Workers see the cancellation as they would a failure's ([`is_cancelled`],
/// [`wait_cancelled`], [`cancelled()`]), the grace period applies, and the root then
/// ends as if its body had returned: `main` returns its value (a blocked body is cut
/// off when the grace period is over, and the process exits with status 0), and
/// [`Supervisor::run`](crate::Supervisor::run) returns the body's value (or, if the body
/// has not returned by then, an [`Error`](crate::Error) of kind
/// [`FailureKind::Cancelled`](crate::FailureKind::Cancelled)). A failure during the
/// grace period is still a failure. Called from the body's own thread, it never cuts
/// the body off: the body is on its way out. With no root, it does nothing; a root
/// cancelled already stays as it is.
pub fn cancel() {
    if let Some(root) = context::current_root() {
        root.cancel(root.is_body_thread());
    }
}

/// Whether the current root has been cancelled: by a failure, or by [`cancel`].
///
/// Cheap enough to call in a loop (a thread-local read and an atomic load). `false`
/// when no supervisor is active.
pub fn is_cancelled() -> bool {
    context::with_current_root(|root| root.is_some_and(|root| root.is_cancelled()))
}

/// Blocks until the current root is cancelled or `timeout` has passed, and returns
/// whether it was cancelled.
///
/// The wake-up is immediate (no polling), so `while !fate::wait_cancelled(period) {
/// ... }` is a loop that runs every `period` and stops at once on a failure. With no
/// supervisor active, nothing can cancel: it sleeps for `timeout` and returns `false`.
pub fn wait_cancelled(timeout: Duration) -> bool {
    context::touch();
    match context::current_root() {
        Some(root) => root.wait_cancelled(timeout),
        None => {
            std::thread::sleep(timeout);
            false
        }
    }
}

/// A future that completes when the current root cancels.
///
/// Made by [`cancelled()`]. It remembers the root that is current where it is made, so
/// it can be awaited on any executor thread. Cheap (no allocation until it first
/// waits), `Send`, `Sync`, `Unpin`, and cancel-safe: dropping it loses nothing, so it
/// fits in `tokio::select!` in a loop; registering and waking it cost O(1) however
/// many tasks wait. With no root active it never completes, since nothing can cancel.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Cancelled {
    root: Option<Arc<Root>>,
    /// Its place among the root's wakers, once registered.
    key: Option<usize>,
}
/// Completes when the current root cancels (at its first failure).
///
/// ```
/// use std::time::Duration;
///
/// #[fate::supervised]
/// async fn buffer_until_cancelled(lines: Vec<&'static str>) -> usize {
///     fate::cancelled().await; // a sibling failed: time to flush
///     lines.len()
/// }
///
/// #[fate::supervised]
/// async fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
///     text.parse()
/// }
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// let result = fate::Supervisor::new().grace(Duration::from_secs(5)).run(move || {
///     let runtime = tokio::runtime::Runtime::new().unwrap();
///     runtime.block_on(async {
///         let buffer = tokio::spawn(buffer_until_cancelled(vec!["a", "b"]));
///         let _ = tokio::spawn(parse("seven")).await; // fails: cancels the root
///         tx.send(buffer.await.unwrap()).unwrap(); // the buffer saw it and finished
///     })
/// });
/// assert_eq!(result.unwrap_err().worker(), "parse");
/// assert_eq!(rx.recv().unwrap(), 2);
/// ```
pub fn cancelled() -> Cancelled {
    Cancelled {
        root: context::current_root(),
        key: None,
    }
}

impl Future for Cancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match &this.root {
            Some(root) if root.is_cancelled() => Poll::Ready(()),
            Some(root) if !root.register_waker(&mut this.key, cx.waker()) => Poll::Ready(()),
            _ => Poll::Pending,
        }
    }
}

impl Drop for Cancelled {
    fn drop(&mut self) {
        if let (Some(root), Some(key)) = (&self.root, self.key) {
            root.unregister_waker(key);
        }
    }
}
