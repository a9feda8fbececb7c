#[fate::test(name = "other")]
fn named() {}

fn main() {}
