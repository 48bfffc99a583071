//! `reformctl`: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = reformctl::Cli::parse();
    reformctl::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Exit codes by kind of failure are documented in `reformctl::outcome`.
    std::process::ExitCode::from(runtime.block_on(reformctl::main(cli)))
}
