#[fate::supervised(name = "producer", name = "consumer")]
fn work() {}

fn main() {
    work();
}
