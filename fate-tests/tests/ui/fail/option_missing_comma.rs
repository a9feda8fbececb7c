#[fate::supervised(grace = "2s" wait)]
fn main() {}
