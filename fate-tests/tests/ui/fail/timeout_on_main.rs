#[fate::supervised(timeout = "10s")]
fn main() {}
