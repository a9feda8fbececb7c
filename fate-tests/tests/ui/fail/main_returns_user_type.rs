struct MyType;

#[fate::supervised]
fn main() -> MyType {
    MyType
}
