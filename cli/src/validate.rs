//! `steward validate`: check contracts offline, in parallel, like a compiler.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use steward_policies::{Policy, Previous, Report};
use steward_schemas::{MAX_DOCUMENT_BYTES, ParseError};

use crate::output::{self, FileResult, PreviousFile};
use crate::{EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, load_policy, usage_error};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// `file:line:col: error[STWnnn]: message`, with the source line.
    Text,
    /// One JSON document with every finding, for CI.
    Json,
}

/// Check contracts against the ODCS schema, the Steward profile and the governance rules.
///
/// Exit status: 0 when no contract has errors (warnings are fine), 1 when at
/// least one has, 2 on bad usage or when a file cannot be read.
#[derive(Args)]
pub struct ValidateArgs {
    /// Contract files, directories (searched for *.yaml and *.yml), or `-` for standard input.
    #[arg(required = true, value_name = "FILES")]
    files: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,

    /// The previous version of the contract: also report breaking changes against it.
    #[arg(long, value_name = "OLD.yaml")]
    previous: Option<PathBuf>,

    /// Policy file (defaults to the built-in policy; see `policies/steward-policies.yaml`).
    #[arg(long, env = "STEWARD_POLICY", value_name = "FILE")]
    policy: Option<PathBuf>,

    /// Do not print the offending source line under each text finding.
    #[arg(long)]
    no_snippets: bool,
}

pub fn run(args: ValidateArgs) -> u8 {
    let policy = match load_policy(args.policy.as_deref()) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    let previous = match args.previous.as_deref().map(read_previous).transpose() {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    let files = match expand(&args.files) {
        Ok(f) => f,
        Err(e) => return usage_error(e),
    };
    if files.is_empty() {
        return usage_error("no *.yaml or *.yml files found in the given directories");
    }

    let progress = (files.len() >= 200 && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} validating {pos}/{len} contracts {wide_bar} {eta}")
                .expect("static template"),
        );
        bar
    });
    let results: Vec<FileResult> = files
        .par_iter()
        .map(|path| {
            let r = check_file(path, &policy, previous.as_ref().map(|(p, f)| (p, f)));
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            r
        })
        .collect();
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }

    let rendered = match args.format {
        Format::Text => output::text(&results, !args.no_snippets),
        Format::Json => output::json(&results),
    };
    print!("{rendered}");

    let summary = output::summarize(&results);
    if summary.unreadable > 0 {
        EXIT_USAGE
    } else if summary.failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// The previous version, and how its findings are shown (name and source).
fn read_previous(path: &Path) -> Result<(Previous, Arc<PreviousFile>), String> {
    let bytes = read_input(path).map_err(|e| format!("cannot read previous version {}: {e}", path.display()))?;
    let bytes = bytes.map_err(|e| e.to_string())?;
    let previous =
        steward_policies::read_previous(&bytes).map_err(|e| format!("previous version {}:{e}", path.display()))?;
    let shown = PreviousFile { file: escape_controls(&path.display().to_string()), source: printable_source(&bytes) };
    Ok((previous, Arc::new(shown)))
}

fn check_file(path: &Path, policy: &Policy, previous: Option<(&Previous, &Arc<PreviousFile>)>) -> FileResult {
    let file = escape_controls(&path.display().to_string());
    let (previous, previous_file) = (previous.map(|p| p.0), previous.map(|p| Arc::clone(p.1)));
    match read_input(path) {
        Err(e) => FileResult { file, source: None, outcome: Err(format!("cannot read: {e}")), previous: None },
        Ok(Err(too_large)) => {
            FileResult { file, source: None, outcome: Ok(Report::unreadable(&too_large)), previous: None }
        }
        Ok(Ok(bytes)) => {
            let mut report = steward_policies::validate(&bytes, policy, previous);
            // Only findings are printed; do not hold thousands of typed contracts.
            report.contract = None;
            for f in &mut report.findings {
                if f.message.chars().any(char::is_control) {
                    f.message = escape_controls(&f.message);
                }
            }
            let source = (!report.findings.is_empty()).then(|| printable_source(&bytes));
            FileResult { file, source, outcome: Ok(report), previous: previous_file }
        }
    }
}

/// The source as snippets show it: never raw bytes or control characters a
/// terminal would act on. Invalid UTF-8 becomes U+FFFD; C0 controls their
/// Unicode control pictures (`␀`, `␛`), C1 controls U+FFFD: one character
/// each, so carets stay aligned. Tabs and line breaks are kept.
fn printable_source(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let keep = c == '\t' || c == '\n' || (c == '\r' && chars.peek() == Some(&'\n'));
        out.push(match c {
            _ if keep || !c.is_control() => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            _ => '\u{fffd}',
        });
    }
    out
}

/// Control characters in a one-line text (a message, a file name) as escapes.
fn escape_controls(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// Reads a file (or stdin for `-`) without reading more than the size limit allows.
fn read_input(path: &Path) -> std::io::Result<Result<Vec<u8>, ParseError>> {
    let mut reader: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        if size > MAX_DOCUMENT_BYTES as u64 {
            return Ok(Err(ParseError::TooLarge {
                size: usize::try_from(size).unwrap_or(usize::MAX),
                limit: MAX_DOCUMENT_BYTES,
            }));
        }
        Box::new(file)
    };
    let mut bytes = Vec::new();
    reader.by_ref().take(MAX_DOCUMENT_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        let rest = std::io::copy(&mut reader, &mut std::io::sink())?;
        return Ok(Err(ParseError::TooLarge {
            size: bytes.len() + usize::try_from(rest).unwrap_or(usize::MAX),
            limit: MAX_DOCUMENT_BYTES,
        }));
    }
    Ok(Ok(bytes))
}

/// Expands directories into their YAML files (sorted); files are kept as given.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, &mut out).map_err(|e| format!("cannot read directory {}: {e}", input.display()))?;
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The service marks findings about removed things as in the published version.
    #[test]
    fn server_findings_in_the_published_version_say_so() {
        let finding = |json: &str| serde_json::from_str::<steward_api::Finding>(json).unwrap();
        let f = finding(
            r#"{"rule": "STW101", "severity": "error", "message": "column `t.c` was removed",
                "path": "schema[0].properties[2]", "line": 41, "column": 9, "document": "published"}"#,
        );
        assert_eq!(
            crate::output::render_finding_json(Some("new.yaml"), &f),
            "published version:41:9: error[STW101]: column `t.c` was removed"
        );
        // Stored before findings named their document: in the proposal.
        let f = finding(
            r#"{"rule": "STW104", "severity": "error", "message": "m", "path": "version", "line": 4, "column": 1}"#,
        );
        assert_eq!(crate::output::render_finding_json(Some("new.yaml"), &f), "new.yaml:4:1: error[STW104]: m");
    }

    #[test]
    fn output_never_carries_raw_bytes_or_control_characters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.yaml");
        let mut bytes = b"domain: \x1b[2Jsales\ndataProduct: ord".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b"ers\x07\n");
        std::fs::write(&path, &bytes).unwrap();
        let result = check_file(&path, &Policy::default(), None);
        let text = crate::output::text(std::slice::from_ref(&result), true);
        assert!(text.contains("byte \\xFF at offset 34 (line 2, column 17)"), "{text}");
        assert!(text.contains("dataProduct: ord\u{fffd}\u{fffd}ers\u{2407}"), "{text}");
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");

        let doc = "domain: sales\nx: \"\\e[31mred\\0\"\n";
        std::fs::write(&path, doc).unwrap();
        let result = check_file(&path, &Policy::default(), None);
        let text = crate::output::text(std::slice::from_ref(&result), true);
        assert!(text.contains("STW017"), "{text}");
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
    }
}
