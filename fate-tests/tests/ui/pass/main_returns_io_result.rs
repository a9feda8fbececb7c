#[fate::supervised]
fn main() -> std::io::Result<()> {
    Ok(())
}
