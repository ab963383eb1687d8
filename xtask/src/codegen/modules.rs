//! The generated items, put in their modules (see [`super::layout`]) and written as a person would
//! write them: the standard, serde and chrono names they use imported once, instead of
//! `::std::string::String` on every field, and each family's use of `common` imported by name.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Group, Ident, Spacing, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::visit::Visit;

use super::Error;
use super::layout::{COMMON, Family, Home};

/// Paths the generators write in full, and the name each is written as. The first three
/// are in the prelude; the others are imported where a module uses them.
const SHORT: &[(&[&str], &str)] = &[
    (&["std", "string", "String"], "String"),
    (&["std", "option", "Option"], "Option"),
    (&["std", "vec", "Vec"], "Vec"),
    (&["std", "result", "Result"], "Result"),
    (&["std", "boxed", "Box"], "Box"),
    (&["std", "default", "Default"], "Default"),
    (&["std", "convert", "From"], "From"),
    (&["std", "convert", "TryFrom"], "TryFrom"),
    (&["std", "convert", "Into"], "Into"),
    (&["std", "iter", "IntoIterator"], "IntoIterator"),
    (&["serde", "Serialize"], "Serialize"),
    (&["serde", "Deserialize"], "Deserialize"),
    (&["chrono", "DateTime"], "DateTime"),
    (&["chrono", "FixedOffset"], "FixedOffset"),
    (&["chrono", "offset", "FixedOffset"], "FixedOffset"),
];

/// The names of [`SHORT`] that are not in the prelude: imported from their crate where used.
const IMPORTED: &[(&str, &str)] = &[
    ("chrono", "DateTime"),
    ("chrono", "FixedOffset"),
    ("serde", "Deserialize"),
    ("serde", "Serialize"),
];

/// Fails when a generated item would take a name the short paths use (`Result`, `String`…).
pub fn check_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), Error> {
    for name in names {
        if SHORT.iter().any(|(_, short)| *short == name) {
            return Err(Error::spec(
                format!("#/components/schemas/{name}"),
                format!(
                    "{name} is a name the generated code uses for the standard library, serde or \
                     chrono: give the component another name"
                ),
            ));
        }
    }
    Ok(())
}

/// The name an item is placed by: a type's, a constant's, the type an `impl` is for, or a
/// macro call's first argument.
pub fn item_name(item: &syn::Item) -> Option<String> {
    match item {
        syn::Item::Struct(item) => Some(item.ident.to_string()),
        syn::Item::Enum(item) => Some(item.ident.to_string()),
        syn::Item::Const(item) => Some(item.ident.to_string()),
        syn::Item::Type(item) => Some(item.ident.to_string()),
        syn::Item::Mod(item) => Some(item.ident.to_string()),
        syn::Item::Impl(item) => {
            let mut ty = &*item.self_ty;
            while let syn::Type::Reference(reference) = ty {
                ty = &reference.elem;
            }
            match ty {
                syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            }
        }
        syn::Item::Macro(item) => item.mac.tokens.clone().into_iter().find_map(|t| match t {
            TokenTree::Ident(ident) => Some(ident.to_string()),
            _ => None,
        }),
        _ => None,
    }
}

/// Keywords that may come just before a path: after any other identifier, `::` continues a path.
const BEFORE_PATH: &[&str] = &[
    "as", "async", "const", "dyn", "else", "fn", "for", "if", "impl", "in", "let", "match", "move",
    "mut", "pub", "ref", "return", "static", "type", "unsafe", "where", "while",
];

/// Rewrites every path of [`SHORT`] in `tokens`, in macro calls and in the paths serde attributes
/// name as strings too, to its short name; any other path from the root (`::std::fmt::Debug`,
/// `::http::Method`) loses its leading `::`.
pub fn shorten(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut index = 0;
    while let Some(tree) = trees.get(index) {
        // A path starts here unless `::` continues one: after a name (`foo::bar`) or after the
        // `>` of a qualified path (`<[_]>::len`); after `->` a type starts.
        let before = out.len().checked_sub(2).and_then(|i| out.get(i));
        let starts_path = match out.last() {
            Some(TokenTree::Ident(ident)) => BEFORE_PATH.iter().any(|k| ident == k),
            Some(TokenTree::Punct(punct)) if punct.as_char() == '>' => {
                matches!(before, Some(TokenTree::Punct(p)) if p.as_char() == '-')
            }
            _ => true,
        };
        // `impl<'a> ::std::iter::IntoIterator`: after the `>` of generics a known path starts too
        // (no qualified path goes on with one).
        let after_generics = matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == '>');
        if (starts_path || after_generics)
            && let Some((length, short)) = short_path_at(&trees, index)
        {
            out.push(TokenTree::Ident(Ident::new(
                short,
                proc_macro2::Span::call_site(),
            )));
            index += length;
            continue;
        }
        if starts_path && leading_colons_at(&trees, index) {
            // `::std::fmt::Debug` → `std::fmt::Debug`: the two `:` go.
            index += 2;
            continue;
        }
        out.push(match tree {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), shorten(group.stream()));
                inner.set_span(group.span());
                TokenTree::Group(inner)
            }
            TokenTree::Literal(literal) => TokenTree::Literal(shorten_literal(literal)),
            other => other.clone(),
        });
        index += 1;
    }
    out.into_iter().collect()
}

/// Whether `::` followed by a name starts at `index`.
fn leading_colons_at(trees: &[TokenTree], index: usize) -> bool {
    matches!(
        (trees.get(index), trees.get(index + 1), trees.get(index + 2)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)), Some(TokenTree::Ident(_)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

/// A string literal that is a path of [`SHORT`] and more (`"::std::option::Option::is_none"`, as
/// serde's `skip_serializing_if` names a function), shortened.
fn shorten_literal(literal: &proc_macro2::Literal) -> proc_macro2::Literal {
    let text = literal.to_string();
    let Some(path) = text
        .strip_prefix("\"::")
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return literal.clone();
    };
    let segments: Vec<&str> = path.split("::").collect();
    for (long, short) in SHORT {
        if let Some(rest) = segments.strip_prefix(*long) {
            let mut shortened = vec![*short];
            shortened.extend(rest);
            return proc_macro2::Literal::string(&shortened.join("::"));
        }
    }
    literal.clone()
}

/// The length in tokens and the short name of a path of [`SHORT`] that starts at `index` with
/// `::`.
fn short_path_at(trees: &[TokenTree], index: usize) -> Option<(usize, &'static str)> {
    SHORT.iter().find_map(|(segments, short)| {
        let mut at = index;
        for segment in *segments {
            let colons = matches!(
                (trees.get(at), trees.get(at + 1)),
                (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                    if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
            );
            let name = matches!(trees.get(at + 2), Some(TokenTree::Ident(i)) if i == segment);
            if !(colons && name) {
                return None;
            }
            at += 3;
        }
        Some((at - index, *short))
    })
}

/// The generated names a module refers to: the first segment of its paths, and the type names in
/// the calls of `request_builder!` (the calls of `open_enum!` hold variants, not types).
fn referenced_names(file: &syn::File) -> BTreeSet<String> {
    struct Names(BTreeSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_path(&mut self, path: &'ast syn::Path) {
            if path.leading_colon.is_none()
                && let Some(first) = path.segments.first()
            {
                self.0.insert(first.ident.to_string());
            }
            syn::visit::visit_path(self, path);
        }

        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            if mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "request_builder")
            {
                all_idents(mac.tokens.clone(), &mut self.0);
            }
            syn::visit::visit_macro(self, mac);
        }
    }
    let mut names = Names(BTreeSet::new());
    names.visit_file(file);
    names.0
}

/// Every identifier of `tokens`, at any depth.
fn all_idents(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => {
                out.insert(ident.to_string());
            }
            TokenTree::Group(group) => all_idents(group.stream(), out),
            _ => {}
        }
    }
}

/// One module's file, before formatting: its doc, its items and the imports they need.
pub struct Module {
    /// `common`, or a family's tag.
    pub name: String,
    pub file: syn::File,
}

/// Puts `items` (each with its home) in modules: `common` first, then the families in the spec's
/// order. `names` holds each item name's home, so that a family imports what it uses from
/// `common` and is refused if it refers to another family.
pub fn assemble(
    families: &[Family],
    items: Vec<(Home, TokenStream)>,
) -> Result<Vec<Module>, Error> {
    let mut by_home: BTreeMap<Home, TokenStream> = BTreeMap::new();
    for (home, tokens) in items {
        by_home.entry(home).or_default().extend(shorten(tokens));
    }
    let parse = |name: &str, tokens: TokenStream| -> Result<syn::File, Error> {
        syn::parse2(tokens).map_err(|source| Error::Syntax {
            file: format!("{name}.rs"),
            message: source.to_string(),
        })
    };
    let mut homes: BTreeMap<String, String> = BTreeMap::new();
    let mut files: Vec<(String, Option<&Family>, syn::File)> = Vec::new();
    let common = parse(COMMON, by_home.remove(&None).unwrap_or_default())?;
    files.push((COMMON.to_owned(), None, common));
    for family in families {
        let tokens = by_home
            .remove(&Some(family.tag.clone()))
            .unwrap_or_default();
        files.push((
            family.tag.clone(),
            Some(family),
            parse(&family.tag, tokens)?,
        ));
    }
    if let Some((Some(tag), _)) = by_home.into_iter().next() {
        return Err(Error::spec(
            "#/tags",
            format!("items for {tag}, which is not a tag"),
        ));
    }
    for (module, _, file) in &files {
        for item in &file.items {
            if let Some(name) = item_name(item)
                && !matches!(item, syn::Item::Impl(_) | syn::Item::Macro(_))
            {
                // A name defined in several modules (an error constant) is each one's own.
                homes.entry(name).or_insert_with(|| module.clone());
            }
        }
    }

    let mut modules = Vec::new();
    for (module, family, mut file) in files {
        let used = referenced_names(&file);
        let local: BTreeSet<String> = file.items.iter().filter_map(item_name).collect();
        let mut from_common = Vec::new();
        for name in used.iter().filter(|name| !local.contains(*name)) {
            match homes.get(name) {
                Some(home) if home == COMMON => from_common.push(format_ident!("{name}")),
                Some(home) => {
                    return Err(Error::spec(
                        "#/tags",
                        format!("the {module} module refers to {name} of the {home} module"),
                    ));
                }
                None => {}
            }
        }
        // The imported short names appear in attributes too (`#[derive(Serialize)]`), which
        // are tokens, not paths: every identifier counts.
        let mut every_ident = BTreeSet::new();
        all_idents(quote!(#file), &mut every_ident);
        let mut imports: Vec<syn::Item> = Vec::new();
        for (krate, names) in [("chrono", "chrono"), ("serde", "serde")] {
            let names: Vec<Ident> = IMPORTED
                .iter()
                .filter(|(from, name)| *from == names && every_ident.contains(*name))
                .map(|(_, name)| format_ident!("{name}"))
                .collect();
            if !names.is_empty() {
                let krate = format_ident!("{krate}");
                imports.push(syn::parse_quote!(use #krate::{#(#names),*};));
            }
        }
        if !from_common.is_empty() {
            imports.push(syn::parse_quote!(pub use super::common::{#(#from_common),*};));
        }
        let doc = match family {
            Some(family) => format!(
                "{}\n\nThe `{}` family: its requests and answers, its operations on \
                 [`{}`], and its notifications. Compiled with the `{}` feature.",
                family.description.trim(),
                family.tag,
                family.handle,
                family.feature
            ),
            None => "The types several families share (the error body and its codes, the \
                     notification envelope, the enums more than one family answers with)."
                .to_owned(),
        };
        imports.append(&mut file.items);
        file.items = imports;
        file.attrs = vec![syn::parse_quote!(#![doc = #doc])];
        modules.push(Module { name: module, file });
    }
    Ok(modules)
}

/// `mod.rs`: the modules, each family behind its feature.
pub fn declarations(families: &[Family]) -> TokenStream {
    let common = format_ident!("{COMMON}");
    let mut out = quote! {
        pub mod #common;
    };
    for family in families {
        let (module, feature) = (format_ident!("{}", family.tag), &family.feature);
        out.extend(quote! {
            #[cfg(feature = #feature)]
            #[cfg_attr(docsrs, doc(cfg(feature = #feature)))]
            pub mod #module;
        });
    }
    out
}
