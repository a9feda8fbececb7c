//! `#[fate::supervised]` below `#[tokio::main]`: tokio first makes `main` a sync
//! function that blocks on the body, which fate then supervises.

#[tokio::main]
#[fate::supervised(grace = "500ms")]
async fn main() {
    assert_eq!(tokio::spawn(work(1)).await.unwrap(), Ok(2));
}

#[fate::supervised]
async fn work(n: u32) -> Result<u32, String> {
    Ok(n + 1)
}
