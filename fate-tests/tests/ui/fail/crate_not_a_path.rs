#[fate::supervised(crate = "not a path!")]
fn main() {}
