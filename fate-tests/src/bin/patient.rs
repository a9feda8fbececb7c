//! `#[fate::supervised(grace = "2s", wait)] fn main()`: the body gets time to finish
//! after a failure, and waits for the running workers after a success.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};
use std::thread;

use fate_tests::{scenario, unknown};

type Held = Option<Pin<Box<dyn Future<Output = ()>>>>;

thread_local! {
    static HELD: RefCell<Held> = const { RefCell::new(None) };
}

#[fate::supervised(grace = "2s", wait)]
fn main() -> Result<(), fate::Error> {
    match scenario().as_str() {
        // 3. main joins a worker that returned an Err whose Display fails / panics: the
        //    join gives back that Err, unchanged.
        "join_display_error" => {
            let joined = thread::spawn(fate_tests::returns_bad_display).join();
            match joined {
                Ok(result) => println!("joined: Ok({result:?})"),
                Err(_) => println!("joined: the thread panicked"),
            }
            Ok(())
        }
        "join_display_panic" => {
            let joined = thread::spawn(fate_tests::returns_panicky_display).join();
            match joined {
                Ok(result) => println!("joined: Ok({result:?})"),
                Err(_) => println!("joined: the thread panicked"),
            }
            Ok(())
        }
        // 7. A thread keeps a running supervised future in a thread-local; the
        //    thread-local's destructor drops it as the thread exits. With
        //    `tls_first` the thread-local is set up before fate's own (so it is
        //    destroyed after fate's); with `tls_last`, after.
        "tls_first" | "tls_last" => {
            let first = scenario() == "tls_first";
            thread::Builder::new()
                .name("holder".to_owned())
                .spawn(move || hold_in_thread_local(first))
                .expect("spawn")
                .join()
                .expect("the holder returns");
            println!("joined the holder");
            Ok(())
        }
        other => unknown(other),
    }
}

fn hold_in_thread_local(first: bool) {
    if first {
        HELD.with(|_| {});
    }
    let mut future: Pin<Box<dyn Future<Output = ()>>> = Box::pin(fate_tests::idle());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(future.as_mut().poll(&mut cx).is_pending());
    HELD.with(|held| *held.borrow_mut() = Some(future));
}
