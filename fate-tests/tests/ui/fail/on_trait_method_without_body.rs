trait Job {
    #[fate::supervised]
    fn run(&self);
}

struct Worker;

impl Job for Worker {
    fn run(&self) {}
}

fn main() {
    Worker.run();
}
