use std::process::ExitCode;

#[fate::supervised]
fn main() -> ExitCode {
    ExitCode::SUCCESS
}
