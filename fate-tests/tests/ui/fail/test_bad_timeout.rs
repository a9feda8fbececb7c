#[fate::test(timeout = "soon")]
fn hurries() {}

fn main() {}
