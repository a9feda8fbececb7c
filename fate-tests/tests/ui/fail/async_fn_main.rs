#[fate::supervised]
async fn main() {}
