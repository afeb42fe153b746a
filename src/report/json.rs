//! JSON output (placeholder, being written).
use std::io::{self, Write};

use super::{Report, Reporter};

pub struct Json;

impl Reporter for Json {
    fn report(&self, report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, report.findings)?;
        writeln!(w)
    }
}
