#[fate::supervised(grace = "2")]
fn main() {}
