#[fate::supervised(name = "root")]
fn main() {}
