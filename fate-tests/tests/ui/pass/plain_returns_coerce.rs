// Values that are never a `Result` skip the `Err` check, but coercions in the body
// still see the declared return type.
use std::fmt::Display;

#[fate::supervised]
fn boxed(flag: bool) -> Box<dyn Display> {
    if flag {
        return Box::new("early");
    }
    Box::new(7)
}

#[fate::supervised]
async fn boxed_later(flag: bool) -> Box<dyn Display + Send> {
    if flag {
        return Box::new("early");
    }
    Box::new(7)
}

#[fate::supervised]
fn pair(a: u8) -> (u8, Option<&'static str>) {
    (a, None)
}

#[fate::supervised]
fn never_returns() -> ! {
    loop {
        std::thread::park();
    }
}

fn main() {
    assert_eq!(boxed(true).to_string(), "early");
    assert_eq!(boxed(false).to_string(), "7");
    let _ = boxed_later(true);
    assert_eq!(pair(1), (1, None));
    let _ = never_returns as fn() -> !;
}
