#[fate::supervised(grace = "1.5ms")]
fn main() {}
