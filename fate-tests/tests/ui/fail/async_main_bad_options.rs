//! Bad options on an async `main` are reported once, at the options, before fate
//! moves itself below `#[tokio::main]`.

#[fate::supervised(grace = "2 weeks", name = "server")]
#[tokio::main]
async fn main() {}
