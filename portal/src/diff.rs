//! Unified diffs of contract YAML, rendered line by line, with the change
//! blocks that a breaking-change finding points at marked.
//!
//! Findings name what broke (`column `order_lines.quantity` was removed`)
//! and where in the new document (line numbers); the diff knows which lines
//! changed. A change block (a run of added and removed lines) is marked
//! breaking when one of its added lines is a finding's line, when one of its
//! lines is the `name:` of a column or table a finding names, or (for
//! partition-key changes) when it touches partition settings. Reviewers then
//! see the rule and message right above the lines it is about.

use maud::{Markup, html};
use steward_catalog::service::proposals::{FindingDocument, StoredFinding};

/// Whether a finding's rule marks a breaking change (the policies' own list).
pub fn is_breaking_rule(rule: &str) -> bool {
    steward_policies::is_breaking(rule)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Header,
    Hunk,
    Context,
    Added,
    Removed,
}

#[derive(Debug, Clone)]
pub struct Line<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub old_no: Option<usize>,
    pub new_no: Option<usize>,
    /// The finding this line's change block breaks, if any.
    pub breaking: Option<usize>,
    /// On the first line of a marked block: every breaking finding that
    /// points into the block (their notes are shown above it).
    pub notes: Vec<usize>,
}

/// Parses a unified diff (as `similar` writes it).
pub fn parse(diff: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let (mut old, mut new) = (0usize, 0usize);
    let mut in_hunk = false;
    for raw in diff.lines() {
        let mut line =
            Line { kind: Kind::Context, text: raw, old_no: None, new_no: None, breaking: None, notes: Vec::new() };
        if let Some(rest) = raw.strip_prefix("@@") {
            in_hunk = true;
            line.kind = Kind::Hunk;
            // @@ -a,b +c,d @@
            let mut nums = rest.split_whitespace();
            old = nums.next().and_then(|s| start_of(s, '-')).unwrap_or(1);
            new = nums.next().and_then(|s| start_of(s, '+')).unwrap_or(1);
        } else if !in_hunk || raw.starts_with("diff ") {
            in_hunk = false;
            line.kind = Kind::Header;
        } else if let Some(t) = raw.strip_prefix('+') {
            line = Line { kind: Kind::Added, text: t, new_no: Some(new), ..line };
            new += 1;
        } else if let Some(t) = raw.strip_prefix('-') {
            line = Line { kind: Kind::Removed, text: t, old_no: Some(old), ..line };
            old += 1;
        } else if raw.starts_with('\\') {
            line.kind = Kind::Header;
        } else {
            let t = raw.strip_prefix(' ').unwrap_or(raw);
            line = Line { kind: Kind::Context, text: t, old_no: Some(old), new_no: Some(new), ..line };
            old += 1;
            new += 1;
        }
        out.push(line);
    }
    out
}

fn start_of(range: &str, sign: char) -> Option<usize> {
    range.strip_prefix(sign)?.split(',').next()?.parse().ok()
}

/// Identifiers a finding names in backquotes, last dotted segment
/// (`order_lines.quantity` → `quantity`, `order_lines` → `order_lines`).
fn named(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).filter_map(|s| s.rsplit('.').next()).filter(|s| !s.is_empty()).collect()
}

/// Does changed line `l` belong to what finding `f` is about? Its line is
/// the finding's (in the proposal for added lines, in the version it was
/// judged against for removed ones), or it is the `name:` of the column or
/// table the message names, or (partition keys) a partition setting.
fn points_at(l: &Line<'_>, f: &StoredFinding) -> bool {
    let item = l.text.trim().trim_start_matches("- ").trim();
    let by_line = f.line > 0
        && match f.document {
            FindingDocument::Proposal => l.kind == Kind::Added && l.new_no == Some(f.line),
            FindingDocument::Published => l.kind == Kind::Removed && l.old_no == Some(f.line),
        };
    let by_name = || named(&f.message).iter().any(|n| item == format!("name: {n}"));
    let by_partition = || f.rule == "STW103" && item.starts_with("partition");
    by_line || by_name() || by_partition()
}

/// Breaking findings among `findings`.
pub fn breaking_count(findings: &[StoredFinding]) -> usize {
    findings.iter().filter(|f| is_breaking_rule(&f.rule)).count()
}

/// Marks change blocks that breaking findings point at, and notes every
/// finding on its block. Returns how many breaking findings are marked
/// somewhere (compare with [`breaking_count`]: the rest point at no
/// changed line, which the page says).
pub fn mark_breaking(lines: &mut [Line<'_>], findings: &[StoredFinding]) -> usize {
    let breaking: Vec<(usize, &StoredFinding)> =
        findings.iter().enumerate().filter(|(_, f)| is_breaking_rule(&f.rule)).collect();
    if breaking.is_empty() {
        return 0;
    }
    let mut found = vec![false; findings.len()];
    let mut i = 0;
    while i < lines.len() {
        if !matches!(lines[i].kind, Kind::Added | Kind::Removed) {
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && matches!(lines[i].kind, Kind::Added | Kind::Removed) {
            i += 1;
        }
        let notes: Vec<usize> =
            breaking.iter().filter(|(_, f)| lines[start..i].iter().any(|l| points_at(l, f))).map(|&(n, _)| n).collect();
        if let Some(&first) = notes.first() {
            for l in &mut lines[start..i] {
                l.breaking = Some(first);
            }
            for &n in &notes {
                found[n] = true;
            }
            lines[start].notes = notes;
        }
    }
    found.iter().filter(|&&f| f).count()
}

/// The diff as HTML; `findings` supply the notes above breaking blocks.
pub fn render(lines: &[Line<'_>], findings: &[StoredFinding]) -> Markup {
    html! {
        div.diff tabindex="0" role="region" aria-label="Schema diff" {
            @for l in lines {
                @for f in l.notes.iter().filter_map(|&n| findings.get(n)) {
                    div.note.brk-note { "⚠ breaking " strong { (f.rule) } ": " (f.message) }
                }
                @let class = line_class(l);
                @let sign = match l.kind { Kind::Added => "+", Kind::Removed => "-", Kind::Context => " ", _ => "" };
                div class=(class) {
                    span.no { (l.old_no.map(|n| n.to_string()).unwrap_or_default()) }
                    span.no { (l.new_no.map(|n| n.to_string()).unwrap_or_default()) }
                    span.code { (sign) (l.text) }
                }
            }
        }
    }
}

fn line_class(l: &Line<'_>) -> &'static str {
    match (l.kind, l.breaking.is_some()) {
        (Kind::Header, _) => "l hdr",
        (Kind::Hunk, _) => "l hunk",
        (Kind::Context, _) => "l ctx",
        (Kind::Added, false) => "l add",
        (Kind::Added, true) => "l add brk",
        (Kind::Removed, false) => "l del",
        (Kind::Removed, true) => "l del brk",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "--- published\n+++ proposal 2\n@@ -3,7 +3,7 @@\n id: x\n-version: 1.0.0\n+version: 2.0.0\n status: active\n@@ -40,12 +40,6 @@\n         classification: public\n-      - name: quantity\n-        logicalType: integer\n-        required: true\n       - name: amount\n";

    fn finding(rule: &str, line: usize, message: &str) -> StoredFinding {
        StoredFinding {
            rule: rule.into(),
            severity: steward_api::Severity::Warning,
            message: message.into(),
            path: "schema[0].properties".into(),
            line,
            column: 7,
            document: FindingDocument::Proposal,
        }
    }

    #[test]
    fn numbers_lines_from_hunk_headers() {
        let lines = parse(DIFF);
        assert_eq!(lines[0].kind, Kind::Header);
        assert_eq!(lines[1].kind, Kind::Header);
        assert_eq!((lines[4].kind, lines[4].old_no, lines[4].text), (Kind::Removed, Some(4), "version: 1.0.0"));
        assert_eq!((lines[5].kind, lines[5].new_no), (Kind::Added, Some(4)));
        assert_eq!((lines[6].old_no, lines[6].new_no), (Some(5), Some(5)));
        assert_eq!(lines[9].old_no, Some(41));
    }

    #[test]
    fn marks_the_removed_column_only() {
        let mut lines = parse(DIFF);
        let findings = vec![finding(
            "STW101",
            39,
            "column `order_lines.quantity` was removed (allowed: major version raised from 1 to 2)",
        )];
        assert_eq!(mark_breaking(&mut lines, &findings), 1);
        let marked: Vec<&str> = lines.iter().filter(|l| l.breaking.is_some()).map(|l| l.text).collect();
        assert_eq!(marked, ["      - name: quantity", "        logicalType: integer", "        required: true"]);
        let html = render(&lines, &findings).into_string();
        assert!(html.contains("brk-note"), "{html}");
        assert!(html.contains("STW101"));
    }

    #[test]
    fn marks_by_line_and_ignores_other_rules() {
        let mut lines = parse(DIFF);
        assert_eq!(mark_breaking(&mut lines, &[finding("STW010", 4, "style")]), 0);
        assert_eq!(mark_breaking(&mut lines, &[finding("STW102", 4, "column `t.c`: type changed")]), 1);
        assert_eq!(lines[4].breaking, Some(0));
        assert_eq!(lines[5].breaking, Some(0));
        assert_eq!(lines[9].breaking, None);
    }

    #[test]
    fn a_finding_in_the_published_version_marks_the_removed_lines_at_its_old_line() {
        let mut lines = parse(DIFF);
        // Old line 41 is the removed `- name: quantity`; the message names no column.
        let mut removed = finding("STW101", 41, "a column was removed");
        removed.document = FindingDocument::Published;
        assert_eq!(mark_breaking(&mut lines, &[removed.clone()]), 1);
        assert_eq!(lines[9].breaking, Some(0));
        // The same line number read as the proposal's matches no added line.
        let mut lines = parse(DIFF);
        removed.document = FindingDocument::Proposal;
        assert_eq!(mark_breaking(&mut lines, &[removed]), 0);
    }

    #[test]
    fn a_narrowed_physical_type_is_marked_at_its_line() {
        // What the policies report for `int` → `smallint`: the physicalType line of the proposal.
        let diff = "--- version 1.0.0\n+++ proposal 2\n@@ -50,3 +50,3 @@\n       - name: quantity\n         logicalType: integer\n-        physicalType: int\n+        physicalType: smallint\n";
        let mut lines = parse(diff);
        let narrowed = finding(
            "STW102",
            52,
            "column `order_lines.quantity`: physicalType narrowed or changed from `int` to `smallint`",
        );
        assert_eq!(mark_breaking(&mut lines, std::slice::from_ref(&narrowed)), 1);
        let marked: Vec<&str> = lines.iter().filter(|l| l.breaking.is_some()).map(|l| l.text).collect();
        assert_eq!(marked, ["        physicalType: int", "        physicalType: smallint"]);
        // Pointing at the unchanged logicalType line (the old location) marks nothing.
        let mut lines = parse(diff);
        assert_eq!(mark_breaking(&mut lines, &[finding("STW102", 51, "column `order_lines.quantity`: narrowed")]), 0);
        assert_eq!(breaking_count(&[narrowed]), 1);
    }

    #[test]
    fn every_finding_on_a_block_gets_its_note() {
        let mut lines = parse(DIFF);
        let findings = vec![
            finding("STW101", 0, "column `order_lines.quantity` was removed"),
            finding("STW104", 0, "column `order_lines.quantity` became required"),
            finding("STW105", 0, "table `nowhere` was removed"),
        ];
        assert_eq!(mark_breaking(&mut lines, &findings), 2, "the third points at no changed line");
        assert_eq!(lines[9].notes, [0, 1]);
        let html = render(&lines, &findings).into_string();
        assert_eq!(html.matches("brk-note").count(), 2, "{html}");
    }

    #[test]
    fn escapes_diff_text() {
        let lines = parse("--- a\n+++ b\n@@ -1 +1 @@\n-<script>x</script>\n+ok\n");
        let html = render(&lines, &[]).into_string();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
