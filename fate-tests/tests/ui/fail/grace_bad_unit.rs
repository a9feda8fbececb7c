#[fate::supervised(grace = "2x")]
fn main() {}
