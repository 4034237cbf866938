//! Standard output that survives a closed pipe, and rendering validation
//! results: compiler-style text and JSON for CI.

use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;
use steward_api::FindingDocument;
use steward_policies::{Finding, Report, Source};

/// `println!` for command output: a closed pipe ends the process quietly
/// (see [`write_stdout`]) where `println!` would panic.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for command output; see [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

/// Writes command output. When the reader has gone away (`steward proposals
/// list | head -1`) the rest is of no use to anyone: exit quietly with
/// [`crate::EXIT_BROKEN_PIPE`]. Any other failure (a full disk) is reported
/// and exits [`crate::EXIT_USAGE`], like a file that cannot be written.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    let mut stdout = io::stdout().lock();
    // Flush each piece so a closed pipe is noticed here, not at exit.
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        drop(stdout);
        stdout_failed(&e);
    }
}

fn stdout_failed(e: &io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(crate::EXIT_BROKEN_PIPE.into());
    }
    eprintln!("steward: error: cannot write to standard output: {e}");
    std::process::exit(crate::EXIT_USAGE.into());
}

/// A backstop for code that still prints with `print!` (and for libraries):
/// std panics with "failed printing to stdout: Broken pipe" there. Exit as
/// [`write_stdout`] does instead of printing a panic; every other panic goes
/// to the default hook.
pub fn quiet_closed_stdout_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.to_ascii_lowercase().contains("broken pipe") {
            std::process::exit(crate::EXIT_BROKEN_PIPE.into());
        }
        default(info);
    }));
}

/// The result for one input file.
pub struct FileResult {
    pub file: String,
    pub source: Option<String>,
    pub outcome: Result<Report, String>,
    /// The `--previous` version, where findings about removed things point.
    pub previous: Option<Arc<PreviousFile>>,
}

/// The previous version as findings show it: its name and printable source.
pub struct PreviousFile {
    pub file: String,
    pub source: String,
}

impl FileResult {
    /// The file name and source a finding's position is in.
    fn located(&self, f: &Finding) -> (&str, Option<&str>) {
        match (&self.previous, f.source) {
            (Some(p), Source::Previous) => (&p.file, Some(&p.source)),
            _ => (&self.file, self.source.as_deref()),
        }
    }
}

/// `file:line:col: error[STW004]: message`, then the source line and a caret.
pub fn text(results: &[FileResult], snippets: bool) -> String {
    let mut out = String::new();
    for r in results {
        match &r.outcome {
            Err(e) => out.push_str(&format!("{}: error: {e}\n", r.file)),
            Ok(report) => {
                for f in &report.findings {
                    let (file, source) = r.located(f);
                    out.push_str(&format!(
                        "{}:{}:{}: {}[{}]: {}\n",
                        file,
                        f.line,
                        f.column,
                        f.severity.as_str(),
                        f.rule,
                        f.message
                    ));
                    if snippets && let Some(src) = source {
                        out.push_str(&snippet(src, f));
                    }
                }
            }
        }
    }
    let s = summarize(results);
    out.push_str(&format!(
        "checked {} contract(s): {} passed, {} failed ({} error(s), {} warning(s)){}\n",
        s.files,
        s.passed,
        s.failed,
        s.errors,
        s.warnings,
        if s.unreadable > 0 { format!(", {} unreadable", s.unreadable) } else { String::new() }
    ));
    out
}

fn snippet(source: &str, f: &Finding) -> String {
    let Some(line) = source.lines().nth(f.line.saturating_sub(1)) else {
        return String::new();
    };
    let width = f.line.to_string().len();
    let caret_pad: String =
        line.chars().take(f.column.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    format!("{:width$} |\n{} | {}\n{:width$} | {caret_pad}^\n", "", f.line, line.trim_end(), "", width = width)
}

#[derive(Serialize, Default)]
pub struct Summary {
    pub files: usize,
    pub passed: usize,
    pub failed: usize,
    pub unreadable: usize,
    pub errors: usize,
    pub warnings: usize,
}

pub fn summarize(results: &[FileResult]) -> Summary {
    let mut s = Summary { files: results.len(), ..Summary::default() };
    for r in results {
        match &r.outcome {
            Err(_) => s.unreadable += 1,
            Ok(rep) => {
                s.errors += rep.errors();
                s.warnings += rep.warnings();
                if rep.is_ok() { s.passed += 1 } else { s.failed += 1 }
            }
        }
    }
    s
}

#[derive(Serialize)]
struct JsonFile<'a> {
    file: &'a str,
    product: Option<String>,
    ok: bool,
    errors: usize,
    warnings: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    io_error: Option<&'a str>,
    findings: Vec<JsonFinding<'a>>,
}

/// A finding with the file its position is in (the `--previous` file for
/// findings about removed things).
#[derive(Serialize)]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    file: &'a str,
}

#[derive(Serialize)]
struct JsonOut<'a> {
    files: Vec<JsonFile<'a>>,
    summary: Summary,
}

pub fn json(results: &[FileResult]) -> String {
    let files = results
        .iter()
        .map(|r| match &r.outcome {
            Ok(rep) => JsonFile {
                file: &r.file,
                product: rep.key.as_ref().map(ToString::to_string),
                ok: rep.is_ok(),
                errors: rep.errors(),
                warnings: rep.warnings(),
                io_error: None,
                findings: rep.findings.iter().map(|f| JsonFinding { finding: f, file: r.located(f).0 }).collect(),
            },
            Err(e) => JsonFile {
                file: &r.file,
                product: None,
                ok: false,
                errors: 0,
                warnings: 0,
                io_error: Some(e),
                findings: Vec::new(),
            },
        })
        .collect();
    let out = JsonOut { files, summary: summarize(results) };
    serde_json::to_string_pretty(&out).expect("findings serialize") + "\n"
}

/// A finding the server answered with, compiler style. Findings about a
/// removed table or column point into the published version, not `file`.
pub fn render_finding_json(file: Option<&str>, f: &steward_api::Finding) -> String {
    let prefix = match (f.document, file) {
        (FindingDocument::Published, _) => "published version:".to_owned(),
        (FindingDocument::Proposal, Some(file)) => format!("{file}:"),
        (FindingDocument::Proposal, None) => String::new(),
    };
    format!("{prefix}{}:{}: {}[{}]: {}", f.line, f.column, f.severity.as_str(), f.rule, f.message)
}
