//! `harness fetch`: a data set downloaded once into the Hugging Face cache.

use crate::data::datasets::{hub::HubCache, Dataset};
use anyhow::Result;
use std::process::ExitCode;

/// Download a data set (mnist, cifar10) from the Hugging Face Hub into its cache
/// ($HF_HOME/hub, default ~/.cache/huggingface/hub), so that later runs work offline.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(value_parser = parse_dataset)]
    pub dataset: Dataset,
}

fn parse_dataset(name: &str) -> Result<Dataset, String> {
    serde_yaml::from_str::<Dataset>(name)
        .map_err(|_| format!("`{name}`: known data sets are digits, mnist, cifar10"))
}

pub fn main(args: Args) -> Result<ExitCode> {
    let hub = HubCache::from_env();
    let (train, test) = hub.fetch(args.dataset)?;
    println!("{}: {}", args.dataset, train.display());
    println!("{}: {}", args.dataset, test.display());
    Ok(ExitCode::SUCCESS)
}
