#[fate::supervised]
fn main(args: Vec<String>) {
    drop(args);
}
