//! An unsupported return type on an async `main`, seen through `#[tokio::main]`.

#[fate::supervised]
#[tokio::main]
async fn main() -> i32 {
    0
}
