//! `async fn main() -> ExitCode` under tokio's current-thread runtime.

use std::process::ExitCode;

#[fate::supervised]
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    if tokio::spawn(work()).await.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[fate::supervised]
async fn work() {}
