#[fate::supervised(timeout = "2s")]
fn main() {}
