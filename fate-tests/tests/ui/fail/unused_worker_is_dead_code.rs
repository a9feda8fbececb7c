// An unused supervised function is reported like any unused function.
#![deny(dead_code)]

#[fate::supervised]
fn never_called(x: u32) -> Result<u32, String> {
    Ok(x)
}

#[fate::supervised]
async fn never_awaited(x: u32) -> u32 {
    x
}

fn main() {}
