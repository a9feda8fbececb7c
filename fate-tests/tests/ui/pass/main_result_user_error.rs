#[derive(Debug)]
enum AppError {
    Worker(fate::Error),
}

impl From<fate::Error> for AppError {
    fn from(error: fate::Error) -> Self {
        AppError::Worker(error)
    }
}

#[fate::supervised]
fn main() -> Result<(), AppError> {
    Ok(())
}
