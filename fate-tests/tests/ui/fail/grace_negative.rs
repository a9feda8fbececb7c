#[fate::supervised(grace = "-1s")]
fn main() {}
