struct MyError;

impl From<fate::Error> for MyError {
    fn from(_: fate::Error) -> Self {
        MyError
    }
}

#[fate::supervised]
fn main() -> Result<(), MyError> {
    Ok(())
}
