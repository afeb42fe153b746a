//! Human output (placeholder, being written).
use std::io::{self, Write};

use super::{Report, Reporter};

pub struct Human;

impl Reporter for Human {
    fn report(&self, report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
        for f in report.findings {
            writeln!(w, "{}[{}]: {}", f.severity, f.policy, f.message)?;
        }
        Ok(())
    }
}
