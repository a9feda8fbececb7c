#[fate::supervised]
fn main() -> Option<()> {
    Some(())
}
