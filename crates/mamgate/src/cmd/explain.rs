use std::process::ExitCode;

use mamgate_core::ErrorId;

/// `mamgate explain ID`.
#[derive(clap::Args)]
pub struct Args {
    /// A server error id, an AADSTS code or an enrollment outcome ("Enrollment Failed").
    id: Vec<String>,
    /// List every known id.
    #[arg(long)]
    list: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list || args.id.is_empty() {
        for e in ErrorId::ALL {
            let entry = e.entry();
            let status = entry
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into());
            println!("{status:>4}  {}", entry.id);
        }
        return Ok(if args.list {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        });
    }
    let id = args.id.join(" ");
    let Some(found) = ErrorId::lookup(&id) else {
        eprintln!("mamgate explain: unknown id {id:?}; `mamgate explain --list` shows every id");
        return Ok(ExitCode::from(2));
    };
    let e = found.entry();
    println!("{}", e.id);
    match e.status {
        Some(s) => println!("  status:       {s}"),
        None => println!("  status:       (not an HTTP error)"),
    }
    println!("  message:      {}", e.message);
    println!("  user sees:    {}", e.user_message);
    println!("  retry:        {}", e.retry.as_str());
    println!("  fallback:     {}", e.fallback.as_str());
    println!("  cause:        {}", e.cause);
    println!("  next steps:   {}", e.next_steps);
    println!("  admin checks: {}", e.admin_checks);
    Ok(ExitCode::SUCCESS)
}
