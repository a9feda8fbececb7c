#[fate::test]
async fn needs_an_executor() {}

fn main() {}
