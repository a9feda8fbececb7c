#[fate::supervised]
fn main() {}
