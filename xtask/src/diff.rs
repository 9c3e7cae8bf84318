//! Readable unified diffs between a committed generated file and its regenerated content.

use similar::TextDiff;

/// A unified diff (three lines of context) from `committed` to `regenerated`, labelled with `path`.
pub fn unified(path: &str, committed: &str, regenerated: &str) -> String {
    TextDiff::from_lines(committed, regenerated)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{path} (committed)"),
            &format!("{path} (regenerated)"),
        )
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_lines_with_labels() {
        let diff = unified("sdk/src/x/generated.rs", "a\nb\nc\n", "a\nB\nc\n");
        assert!(diff.contains("--- sdk/src/x/generated.rs (committed)"));
        assert!(diff.contains("+++ sdk/src/x/generated.rs (regenerated)"));
        assert!(diff.contains("-b\n"));
        assert!(diff.contains("+B\n"));
    }
}
