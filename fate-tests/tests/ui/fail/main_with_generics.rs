#[fate::supervised]
fn main<T>() {}
