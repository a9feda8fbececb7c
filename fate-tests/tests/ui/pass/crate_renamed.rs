extern crate fate as renamed;

#[renamed::supervised(crate = "renamed")]
fn work() -> Result<u8, renamed::Error> {
    Ok(1)
}

#[renamed::supervised(crate = "::renamed", grace = "1s")]
fn main() -> Result<(), renamed::Error> {
    assert_eq!(work()?, 1);
    Ok(())
}
