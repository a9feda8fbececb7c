#[fate::supervised]
const fn work() -> u32 {
    1
}

const ONE: u32 = work();

fn main() {
    let _ = ONE;
}
