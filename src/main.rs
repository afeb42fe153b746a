//! The `placecheck` binary: everything is in the library; see `cli.rs`.

fn main() -> std::process::ExitCode {
    placecheck::cli::main()
}

// placecheck allocates millions of small values for a large fleet (YAML → JSON → Rego
// input); mimalloc measured faster than the system allocator here (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
