//! `crate = "..."` on an async worker and on an async `main` (which fate moves below
//! the executor's attribute, keeping its options).

extern crate fate as renamed;

#[renamed::supervised(crate = "renamed")]
async fn work() -> Result<u8, renamed::Error> {
    Ok(1)
}

#[renamed::supervised(crate = "::renamed", grace = "1s")]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), renamed::Error> {
    assert_eq!(work().await?, 1);
    Ok(())
}
