#[fate::supervised]
fn main() -> Result<(), fate::Error> {
    Ok(())
}
