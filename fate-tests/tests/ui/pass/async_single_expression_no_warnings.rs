// Single-expression bodies, `mut` and `_` arguments: no warning in user code.
#![deny(warnings)]

#[fate::supervised]
async fn length(text: &str) -> usize {
    text.len()
}

#[fate::supervised]
async fn count(mut n: u32, _unused: u32) -> Result<u32, String> {
    n += 1;
    Ok(n)
}

#[fate::supervised]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

fn main() {
    let _ = (length("abc"), count(1, 2), evens(4).count());
}
