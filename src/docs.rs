//! Policy documentation generated from `meta` and the fixtures: `placecheck policies show ID`
//! and `docs/policies/<id>.md` (kept fresh by a test).

use std::fmt::Write as _;
use std::path::Path;

use crate::report::PolicyInfo;

/// Markdown for one policy: what, why, an example that fails, a fix.
pub fn policy_markdown(p: &PolicyInfo, fixtures: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", p.id);
    let _ = writeln!(s, "**{}** · default severity `{}`\n", p.title, p.severity);
    let _ = writeln!(s, "## Why\n\n{}\n", p.description);
    let _ = writeln!(s, "## Fix\n\n{}\n", p.remediation);
    for (dir, title) in [("fail", "Example that fails"), ("pass", "Example that passes")] {
        let d = fixtures.join(&p.id).join(dir);
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        let mut files: Vec<_> = rd.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        if let Some(f) = files.first()
            && let Ok(text) = std::fs::read_to_string(f)
        {
            let _ = writeln!(s, "## {title}\n\n`{}`:\n\n```yaml\n{}```\n", f.display(), text);
        }
    }
    s
}
