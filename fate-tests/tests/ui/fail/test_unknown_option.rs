#[fate::test(retries = 3)]
fn flaky() {}

fn main() {}
