//! Helpers shared by the integration tests.
// A panic in a test is a failed test: the no-panic lints are for the library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(dead_code)]

use std::path::PathBuf;

/// A file of the repository, by its path from the root.
pub fn repo_file(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// The fenced ```json blocks of a doc page.
pub fn json_examples(page: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match (&mut current, line.trim()) {
            (None, "```json") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```json block");
    blocks
}

/// The request example of a doc page: the URL after "`URL` ".
pub fn request_example(page: &str) -> String {
    let lines: Vec<&str> = page
        .lines()
        .filter_map(|l| l.trim().strip_prefix("`URL` "))
        .collect();
    assert_eq!(lines.len(), 1, "expected one request example");
    lines[0].trim().to_owned()
}
