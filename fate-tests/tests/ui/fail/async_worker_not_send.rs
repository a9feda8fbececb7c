//! A future that holds an `Rc` across an `.await` is not `Send`, and supervising it
//! does not make it `Send`.

use std::rc::Rc;

#[fate::supervised]
async fn count() -> usize {
    let shared = Rc::new(5);
    std::future::ready(()).await;
    *shared
}

fn require_send<T: Send>(_: T) {}

fn main() {
    require_send(count());
}
