#[fate::supervised]
fn main() -> () {}
