#[fate::supervised(wait, wait)]
fn main() {}
