#[fate::supervised]
async fn work() -> u32 {
    1
}

fn main() {
    let _ = work();
}
