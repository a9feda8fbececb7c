#[fate::supervised(name = "")]
fn work() {}

fn main() {
    work();
}
