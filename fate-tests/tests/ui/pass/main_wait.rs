#[fate::supervised(wait)]
fn main() {}
