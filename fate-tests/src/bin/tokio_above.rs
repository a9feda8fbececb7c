//! `#[fate::supervised]` above `#[tokio::main(flavor = "current_thread")]`.

#[fate::supervised]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), fate::Error> {
    fate_tests::tokio_scenario(&fate_tests::scenario()).await
}
