type MyResult<T> = Result<T, String>;

#[fate::supervised]
fn read() -> std::io::Result<u8> {
    Ok(1)
}

#[fate::supervised]
fn parse() -> anyhow::Result<u8> {
    Ok(2)
}

#[fate::supervised(name = "checker")]
fn check() -> MyResult<u8> {
    Ok(3)
}

#[fate::supervised]
pub(crate) unsafe fn trusted() -> u8 {
    4
}

fn main() {
    let total = read().unwrap() + parse().unwrap() + check().unwrap();
    // SAFETY: `trusted` has no preconditions.
    assert_eq!(total + unsafe { trusted() }, 10);
}
