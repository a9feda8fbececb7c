#[fate::supervised(name = consumer)]
fn work() {}

fn main() {
    work();
}
