#[fate::supervised]
fn main() -> i32 {
    0
}
