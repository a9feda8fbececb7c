#[fate::supervised]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let number: u8 = "7".parse()?;
    assert_eq!(number, 7);
    Ok(())
}
