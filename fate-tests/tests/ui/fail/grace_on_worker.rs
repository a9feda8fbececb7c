#[fate::supervised(grace = "2s")]
fn work() {}

fn main() {
    work();
}
