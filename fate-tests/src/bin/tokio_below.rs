//! `#[fate::supervised]` below `#[tokio::main(flavor = "current_thread")]`.

#[tokio::main(flavor = "current_thread")]
#[fate::supervised]
async fn main() -> Result<(), fate::Error> {
    fate_tests::tokio_scenario(&fate_tests::scenario()).await
}
