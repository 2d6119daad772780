//! `yuqing segment`: how yuqing cuts text into words (for checking the dictionaries, and for
//! comparing with other segmenters).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crate::Cli;
use crate::context::{self, UsageError};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A UTF-8 text file; `-` or nothing reads standard input.
    file: Option<PathBuf>,
    /// jieba's default dictionary, no normalisation: what Python jieba would do.
    #[arg(long)]
    plain: bool,
    /// Print the speed to standard error (segmentation only, reading and writing excluded).
    #[arg(long)]
    stats: bool,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    match args.file.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            text = std::fs::read_to_string(p).map_err(|e| {
                UsageError(format!("cannot read {} as UTF-8 text: {e}", p.display()))
            })?;
        }
        _ => {
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                UsageError(format!("cannot read standard input as UTF-8 text: {e}"))
            })?;
        }
    }
    let analyzer = if args.plain {
        None
    } else {
        Some(
            context::classifier(cli, true)?
                .classifier
                .analyzer()
                .clone(),
        )
    };
    let lines: Vec<&str> = text.lines().collect();
    // load the dictionary before the clock starts
    yuqing_text::Analyzer::plain_cut("");
    let start = Instant::now();
    let cut: Vec<Vec<String>> = lines
        .iter()
        .map(|l| match &analyzer {
            Some(a) => a.cut(l),
            None => yuqing_text::Analyzer::plain_cut(l),
        })
        .collect();
    let secs = start.elapsed().as_secs_f64();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for words in &cut {
        writeln!(out, "{}", words.join(" "))?;
    }
    out.flush()?;
    if args.stats {
        let bytes: usize = lines.iter().map(|l| l.len()).sum();
        let words: usize = cut.iter().map(Vec::len).sum();
        eprintln!(
            "segmented {bytes} bytes into {words} words in {secs:.3} s: {:.2} MB/s",
            bytes as f64 / 1e6 / secs.max(1e-9)
        );
    }
    Ok(ExitCode::SUCCESS)
}
