#[fate::supervised]
fn main() -> &'static str {
    "done"
}
