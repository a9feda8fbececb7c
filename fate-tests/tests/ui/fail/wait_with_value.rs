#[fate::supervised(wait = true)]
fn main() {}
