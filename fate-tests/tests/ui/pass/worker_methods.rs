struct Counter(u32);

impl Counter {
    #[fate::supervised]
    fn get(&self) -> u32 {
        self.0
    }

    #[fate::supervised]
    fn bump(&mut self) -> Result<(), String> {
        self.0 += 1;
        Ok(())
    }

    #[fate::supervised]
    fn into_inner(self) -> u32 {
        self.0
    }

    #[fate::supervised]
    fn new() -> Self {
        Counter(0)
    }
}

fn main() {
    let mut counter = Counter::new();
    counter.bump().unwrap();
    assert_eq!(counter.get(), 1);
    assert_eq!(counter.into_inner(), 1);
}
