//! The project's own tasks. `cargo xtask codegen` turns the spec in `schema/` into `generated/`.

mod bench;
mod codegen;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  codegen           regenerate generated/ from schema/openapi.yaml
  codegen --check   write nothing; name each stale file and fail if any
  bench             openssl speed, the criterion benchmarks, openssl speed; write BENCHMARKS.md";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let check = match args.as_slice() {
        ["bench"] => {
            return match bench::bench(&codegen::repo_root()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        ["codegen"] => false,
        ["codegen", "--check"] => true,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match codegen::generate(&codegen::Target::project(), check) {
        Ok(codegen::Outcome::UpToDate) => ExitCode::SUCCESS,
        Ok(codegen::Outcome::Stale(files)) => {
            for file in &files {
                eprintln!("stale: {} (run `cargo xtask codegen`)", file.display());
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
