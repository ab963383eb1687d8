//! `cargo xtask codegen`: schema/openapi.yaml → generated/*.rs.
//!
//! The spec is read and checked ([`spec`]), its component schemas become Rust types ([`types`]:
//! typify for the structs, our own open enums and one-or-many lists), its operations become request
//! types and client methods ([`operations`]), its notifications (`x-webhooks`) constants that tie
//! each decrypted resource to its notification ([`webhooks`]), and prettyplease formats the
//! result. The output is a pure function of the spec, so regenerating an unchanged spec writes
//! byte-identical files.

mod downloads;
mod error;
mod layout;
mod modules;
mod operations;
mod polish;
mod spec;
mod types;
mod webhooks;

use std::path::{Path, PathBuf};

pub use error::Error;

/// What to generate from where.
pub struct Target {
    /// The OpenAPI document.
    pub spec: PathBuf,
    /// The folder the generated files go to.
    pub out_dir: PathBuf,
    /// How the preamble names the spec, relative to the repository root.
    pub spec_label: String,
}

impl Target {
    /// The project's own spec and `generated/`.
    pub fn project() -> Self {
        let root = repo_root();
        Self {
            spec: root.join("schema/openapi.yaml"),
            out_dir: root.join("generated"),
            spec_label: "schema/openapi.yaml".to_owned(),
        }
    }
}

/// The result of a run.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every file matched (with `--check`) or was written.
    UpToDate,
    /// With `--check`: these files differ from what the spec generates.
    Stale(Vec<PathBuf>),
}

/// The repository root: the parent of `xtask/`.
pub fn repo_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

/// Generates every file of `target`; with `check`, writes nothing and reports stale files.
pub fn generate(target: &Target, check: bool) -> Result<Outcome, Error> {
    let files = render(target)?;
    let mut stale = Vec::new();
    // A file the spec no longer generates (a family gone) is stale too: removed, or reported.
    let produced: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let leftovers = std::fs::read_dir(&target.out_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|name| produced.iter().any(|p| name == *p))
        });
    for path in leftovers {
        if !check {
            std::fs::remove_file(&path).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
            eprintln!("removed {}", path.display());
            continue;
        }
        stale.push(path);
    }
    for (name, contents) in files {
        let path = target.out_dir.join(name);
        let up_to_date =
            ensure_file_contents(&path, &contents, check).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        if !up_to_date {
            stale.push(path);
        }
    }
    Ok(if stale.is_empty() {
        Outcome::UpToDate
    } else {
        Outcome::Stale(stale)
    })
}

/// The generated files of `target`, by file name, without touching the disk beyond the spec.
pub fn render(target: &Target) -> Result<Vec<(String, String)>, Error> {
    let text = std::fs::read_to_string(&target.spec).map_err(|source| Error::Read {
        path: target.spec.clone(),
        source,
    })?;
    render_text(&text, &target.spec_label)
}

/// The generated files of a spec given as text; `spec_label` names it in the preamble: `mod.rs`,
/// `common.rs` and one file per family.
pub fn render_text(text: &str, spec_label: &str) -> Result<Vec<(String, String)>, Error> {
    let spec = spec::Spec::parse(text)?;
    let families = layout::families(&spec)?;
    let homes = layout::component_homes(&spec, &families)?;
    modules::check_names(homes.keys().map(String::as_str))?;
    for family in &families {
        if homes.contains_key(&family.handle) {
            return Err(Error::spec(
                format!("#/components/schemas/{}", family.handle),
                format!(
                    "{} is the handle of the family {}: give the component another name",
                    family.handle, family.tag
                ),
            ));
        }
    }
    let types: syn::File = syn::parse2(types::generate(&spec)?).map_err(|e| Error::Syntax {
        file: "the data types".to_owned(),
        message: e.to_string(),
    })?;
    // Each data type goes where its component does; what is not a component's (typify's error
    // module) is common.
    let mut items: Vec<(layout::Home, proc_macro2::TokenStream)> = types
        .items
        .into_iter()
        .map(|item| {
            let home = modules::item_name(&item)
                .and_then(|name| homes.get(&name).cloned())
                .flatten();
            (home, quote::quote!(#item))
        })
        .collect();
    items.extend(operations::generate(&spec, &families, &homes)?);
    items.extend(webhooks::generate(&spec, &families)?);
    items.extend(downloads::generate(&spec, &families)?);
    let mut files = Vec::new();
    for module in modules::assemble(&families, items)? {
        let name = format!("{}.rs", module.name);
        let what = match module.name.as_str() {
            layout::COMMON => "shared types".to_owned(),
            family => format!("{family} family"),
        };
        let text = format_file(&name, spec_label, &what, module.file)?;
        files.push((name, text));
    }
    let declarations: syn::File =
        syn::parse2(modules::declarations(&families)).map_err(|e| Error::Syntax {
            file: "mod.rs".to_owned(),
            message: e.to_string(),
        })?;
    files.push((
        "mod.rs".to_owned(),
        format_file("mod.rs", spec_label, "modules", declarations)?,
    ));
    Ok(files)
}

/// Formats a file with prettyplease and puts the preamble in front.
fn format_file(
    name: &str,
    spec_label: &str,
    what: &str,
    mut file: syn::File,
) -> Result<String, Error> {
    polish::doc_lines(&mut file);
    let body = polish::macro_calls(&prettyplease::unparse(&file));
    let _ = name;
    Ok(format!(
        "// @generated by `cargo xtask codegen` from {spec_label}: the {what} of the spec.\n\
         // Do not edit by hand: change the spec or the generator, then run `cargo xtask codegen`.\n\n\
         {body}"
    ))
}

/// Writes `contents` to `path` unless it already holds them. With `check`, writes nothing.
/// Returns whether the file was up to date. `cargo xtask import-docs` writes the spec with it too.
pub fn ensure_file_contents(path: &Path, contents: &str, check: bool) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(true);
    }
    if !check {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, contents)?;
        eprintln!("wrote {}", path.display());
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests;
