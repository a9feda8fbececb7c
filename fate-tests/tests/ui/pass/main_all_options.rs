#[fate::supervised(grace = "500ms", wait, crate = "::fate")]
fn main() -> Result<(), fate::Error> {
    Ok(())
}
