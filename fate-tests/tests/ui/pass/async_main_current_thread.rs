//! `#[tokio::main(flavor = "current_thread")]` with other attributes around it, and
//! `main` returning `anyhow::Result` or `ExitCode`.

#[fate::supervised]
/// The program.
#[tokio::main(flavor = "current_thread")]
#[allow(clippy::needless_return)]
async fn main() -> anyhow::Result<()> {
    let code = exit_code().await;
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    return Ok(());
}

async fn exit_code() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
