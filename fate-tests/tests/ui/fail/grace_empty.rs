#[fate::supervised(grace = "")]
fn main() {}
