struct Worker;

#[fate::supervised]
impl Worker {
    fn run(&self) {}
}

fn main() {
    Worker.run();
}
