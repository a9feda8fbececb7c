//! An async worker and an async `main` written by a `macro_rules!` macro, with the
//! options passed through.

macro_rules! supervised_async_main {
    ($grace:literal, $name:literal) => {
        #[fate::supervised(name = $name)]
        async fn work() -> Result<(), String> {
            Ok(())
        }

        #[fate::supervised(grace = $grace)]
        #[tokio::main]
        async fn main() -> Result<(), fate::Error> {
            work().await.unwrap();
            Ok(())
        }
    };
}

supervised_async_main!("2s", "worker");
