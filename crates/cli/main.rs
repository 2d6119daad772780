//! The `yuqing` command line: the composition root. It parses arguments, loads the
//! configuration, calls into the library crates and turns their results into output and exit
//! codes (0 success, 1 the job ran but parts failed, 2 bad usage or invalid config/input).
//! It holds no pipeline logic of its own.

mod alerts_cmd;
mod check;
mod classify_cmd;
mod collect_cmd;
mod context;
mod data_cmd;
mod eval_extract;
mod extract_cmd;
mod report_cmd;
mod segment_cmd;
mod serve_cmd;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use context::UsageError;

// analysis allocates many small strings per article on several threads; mimalloc serves them
// with per-thread free lists (a fifth less CPU per imported article than the system allocator)
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// 舆情 — media monitoring for a publicity department: collect coverage of its units, extract
/// and understand it, search it, and report on it.
#[derive(Parser, Debug)]
#[command(name = "yuqing", version, about, long_about = None)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = "sources.toml"
    )]
    config: PathBuf,

    /// The data directory (SQLite store, search index, raw archive); default: [storage].dir
    /// from the configuration.
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate the configuration and the dictionaries; print every problem at once.
    Check(check::Args),
    /// Extract a saved page or feed offline (any charset) and print the article.
    Extract(extract_cmd::Args),
    /// Tag articles given as JSON Lines with the typical tags, topics and keywords.
    Classify(classify_cmd::ClassifyArgs),
    /// Train the typical-tags model from gold JSON Lines files.
    Train(classify_cmd::TrainArgs),
    /// Scan the due (or named) sources once: fetch, extract, analyse, store, index.
    Scan(collect_cmd::ScanArgs),
    /// The daemon: scans on the cron schedules of the configuration until SIGINT/SIGTERM.
    Run(collect_cmd::RunArgs),
    /// Write the daily brief or the weekly report (HTML, Markdown, JSON); `--send` e-mails it.
    #[command(subcommand)]
    Report(report_cmd::ReportCommand),
    /// Cut text into words as yuqing does (one output line per input line).
    Segment(segment_cmd::Args),
    /// The analysts' web page and JSON API.
    Serve(serve_cmd::Args),
    /// Run the whole pipeline offline on a sample web served on 127.0.0.1.
    Demo(collect_cmd::DemoArgs),
    /// Ingest already-extracted articles (JSON Lines) through analysis, store and index.
    Import(data_cmd::ImportArgs),
    /// Search the coverage.
    Search(data_cmd::SearchArgs),
    /// Rebuild the search index from the store.
    Reindex(data_cmd::ReindexArgs),
    /// Record an analyst's correction of a typical tag.
    Label(data_cmd::LabelArgs),
    /// Score extraction or classification against a corpus with ground truth.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Alerts (预警): evaluate the [[alert]] rules and send, test a channel, list what fired.
    #[command(subcommand)]
    Alerts(alerts_cmd::AlertsCommand),
}

#[derive(Subcommand, Debug)]
enum EvalCommand {
    /// Score extraction on a corpus folder; exits 1 when a floor is missed.
    Extract(eval_extract::Args),
    /// Score the typical tags against gold labels (cross-validated with --cv K).
    Classify(classify_cmd::EvalArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(args) => check::run(&cli, args),
        Command::Extract(args) => extract_cmd::run(args),
        Command::Eval(EvalCommand::Extract(args)) => eval_extract::run(args),
        Command::Eval(EvalCommand::Classify(args)) => classify_cmd::eval_classify(&cli, args),
        Command::Classify(args) => classify_cmd::classify(&cli, args),
        Command::Train(args) => classify_cmd::train_cmd(&cli, args),
        Command::Import(args) => data_cmd::import(&cli, args),
        Command::Scan(args) => collect_cmd::scan(&cli, args),
        Command::Run(args) => collect_cmd::run(&cli, args),
        Command::Demo(args) => collect_cmd::demo(&cli, args),
        Command::Report(cmd) => report_cmd::run(&cli, cmd),
        Command::Serve(args) => serve_cmd::run(&cli, args),
        Command::Segment(args) => segment_cmd::run(&cli, args),
        Command::Search(args) => data_cmd::search(&cli, args),
        Command::Reindex(args) => data_cmd::reindex(&cli, args),
        Command::Label(args) => data_cmd::label(&cli, args),
        Command::Alerts(cmd) => alerts_cmd::run(&cli, cmd),
    };
    match result {
        Ok(code) => code,
        // `yuqing search … | head`: the reader went away, which is not an error
        Err(err)
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
