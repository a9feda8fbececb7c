#[fate::supervised(grace = "1.5s")]
fn main() {}
