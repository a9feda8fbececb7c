//! `main` takes no arguments, async or not.

#[tokio::main]
#[fate::supervised]
async fn main(args: Vec<String>) {
    drop(args);
}
