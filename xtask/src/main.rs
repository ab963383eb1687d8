//! The project's own tasks: `cargo xtask import-docs` writes the spec in `schema/` from the doc
//! pages, `cargo xtask codegen` turns the spec into `generated/`.

mod bench;
mod codegen;
mod docs;
mod import;
mod yaml;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  import-docs [PAGE]
                    write schema/openapi.yaml from the doc pages in schema/docs/ and
                    schema/overlay.yaml; a PAGE outside schema/docs/ first replaces the page of
                    the same name there
  import-docs --check
                    write nothing; fail if schema/openapi.yaml is stale or the overlay has
                    entries that match nothing on the pages
  codegen           regenerate generated/ from schema/openapi.yaml
  codegen --check   write nothing; name each stale file and fail if any
  bench             openssl speed, the criterion benchmarks, openssl speed; write BENCHMARKS.md
  parse-docs [PAGE] print what the doc pages in schema/docs/ say, as JSON (the importer's input)";

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
        ["parse-docs", rest @ ..] => return parse_docs(rest),
        ["import-docs", "--check"] => return import_docs(None, true),
        ["import-docs"] => return import_docs(None, false),
        ["import-docs", page] if !page.starts_with('-') => {
            return import_docs(Some(std::path::Path::new(page)), false);
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

/// `cargo xtask parse-docs [PAGE]`: the doc pages as the importer reads them.
fn parse_docs(pages: &[&str]) -> ExitCode {
    let root = codegen::repo_root();
    let read = match pages {
        [] => docs::pages(&root.join("schema/docs")),
        [page] => docs::read_page(std::path::Path::new(page))
            .map(|p| vec![(std::path::PathBuf::from(page), p)]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match read {
        Ok(pages) => {
            let json: Vec<serde_json::Value> = pages
                .iter()
                .map(|(path, page)| serde_json::json!({"page": path.display().to_string(), "content": page}))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask import-docs [--check | PAGE]`: the pages and the overlay → schema/openapi.yaml.
fn import_docs(page: Option<&std::path::Path>, check: bool) -> ExitCode {
    let root = codegen::repo_root();
    let run = || -> Result<import::Outcome, import::Error> {
        if let Some(page) = page {
            import::replace_page(&root, page)?;
        }
        import::generate(&root, check)
    };
    match run() {
        Ok(outcome) => {
            for entry in &outcome.stale_entries {
                eprintln!("warning: overlay entry matches nothing on the pages: {entry}");
            }
            if !outcome.spec_up_to_date {
                eprintln!("stale: schema/openapi.yaml (run `cargo xtask import-docs`)");
            }
            let clean = outcome.spec_up_to_date && outcome.stale_entries.is_empty();
            if clean || !check {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
