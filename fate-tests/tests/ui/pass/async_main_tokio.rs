//! `#[fate::supervised]` above `#[tokio::main]`, with the options.

#[fate::supervised(grace = "1s", wait)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = tokio::spawn(work(20)).await?;
    assert_eq!(n, 21);
    Ok(())
}

#[fate::supervised]
async fn work(n: u32) -> u32 {
    n + 1
}
