#[fate::supervised]
fn main() -> Result<(), String> {
    Ok(())
}
