#[fate::supervised(name = "root", grace = "2x", colour = "red")]
fn main(args: Vec<String>) -> i32 {
    args.len() as i32
}
