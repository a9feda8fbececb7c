#[fate::supervised(wait)]
fn work() {}

fn main() {
    work();
}
