#[fate::supervised]
struct Worker;

fn main() {
    let _ = Worker;
}
