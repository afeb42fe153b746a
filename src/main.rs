//! The `placecheck` binary: everything is in the library; see `cli.rs`.

fn main() -> std::process::ExitCode {
    placecheck::cli::main()
}
