// `restart` calls the worker again with a clone of each argument.
struct Connection;

#[fate::supervised(restart = 3)]
fn serve(connection: Connection, port: u16) -> Result<(), std::io::Error> {
    let _ = (connection, port);
    Ok(())
}

fn main() {
    let _ = serve(Connection, 80);
}
