#[fate::supervised]
fn main() -> anyhow::Result<()> {
    Ok(())
}
