//! Kubernetes resource quantities (`resource.Quantity`), exact.
//!
//! Resource requests, limits, allocatable and overhead are all quantities (`500m`, `1.5Gi`, `1e3`).
//! The scheduler compares them as integers: cpu in milli units (`MilliValue()`), everything else in
//! units (`Value()`). Both round a fraction *away from zero*, like Go. This module parses the exact
//! grammar of `k8s.io/apimachinery/pkg/api/resource/quantity.go` (`parseQuantityString` and
//! `ParseQuantity`), keeps the value exactly as a count of nano units in an `i128`, and never uses
//! floating point.
//!
//! It must not know what a resource *means* (cpu vs memory): callers choose `value()` or
//! `milli_value()`.
//!
//! Known difference from Go: Go keeps arbitrary precision (`inf.Dec`) for huge decimal values such as
//! `1e40`; here a magnitude that does not fit in an `i128` count of nano units (about 1.7e29) is a
//! [`QuantityError::OutOfRange`]. Such values never occur in real node or pod resources.

use std::cmp::Ordering;
use std::fmt;

/// How the quantity was written; kept so that printing stays in the user's style (like Go's
/// `Quantity.Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `Ki`, `Mi`, … (powers of 1024).
    BinarySI,
    /// `n`, `u`, `m`, ``, `k`, `M`, `G`, `T`, `P`, `E`.
    DecimalSI,
    /// `1e3`, `1E-3`.
    DecimalExponent,
}

/// An exact Kubernetes quantity.
///
/// Equality and ordering compare the *value* only (`1Gi == 1073741824`), like Go's `Cmp`.
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    /// The value in units of 10⁻⁹ (nano). Parsing rounds finer values up (away from zero), as
    /// Go's `ParseQuantity` does.
    nanos: i128,
    format: Format,
}

/// Why a quantity string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("empty quantity; {}", ACCEPTED)]
    Empty,
    #[error("{input:?} is not a quantity: {problem}; {}", ACCEPTED)]
    Format { input: String, problem: String },
    #[error("{input:?} has an unknown suffix {suffix:?}; {}", ACCEPTED)]
    Suffix { input: String, suffix: String },
    #[error("{input:?} is too large to represent exactly (magnitude above ~1.7e29)")]
    OutOfRange { input: String },
}

const ACCEPTED: &str = "expected a number with an optional sign and fraction (`-1.5`, `.5`, `2`) \
     followed by a decimal suffix (n, u, m, k, M, G, T, P, E), a binary suffix (Ki, Mi, Gi, Ti, Pi, Ei) \
     or a decimal exponent (`1e3`, `1E-3`)";

const NANO: i128 = 1_000_000_000;

/// Go's `maxAllowed` cap for BinarySI quantities (`2^63 - 1`), in nanos.
const MAX_BINARY_NANOS: i128 = (i64::MAX as i128) * NANO;

/// Splits like Go's `parseQuantityString`: (positive, number text without sign, numerator digits,
/// denominator digits, suffix). The grammar is permissive in the same places as Go: `1.`, `.5`,
/// `+`, `-` and `.` are accepted (the last three mean zero).
fn split(input: &str) -> Result<(bool, &str, &str, &str), QuantityError> {
    let b = input.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut positive = true;
    match b.first() {
        Some(b'-') => {
            positive = false;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    // Leading zeros.
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        return Ok((positive, "", "", ""));
    }
    let num_start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let num = &input[num_start..pos];
    let mut denom = "";
    if pos < end && b[pos] == b'.' {
        pos += 1;
        let d_start = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &input[d_start..pos];
    }
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < end && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        let problem = if b[pos] == b'.' {
            "more than one decimal point".to_string()
        } else {
            match input[pos..].chars().next() {
                Some(c) => format!("unexpected character {c:?} at byte {pos}"),
                None => format!("unexpected byte at {pos}"),
            }
        };
        return Err(QuantityError::Format {
            input: input.to_string(),
            problem,
        });
    }
    Ok((positive, num, denom, &input[suffix_start..]))
}

/// Base and exponent of a suffix, like Go's `suffixHandler.interpret`.
fn interpret(suffix: &str) -> Option<(u32, i64, Format)> {
    let dec = match suffix {
        "n" => Some(-9),
        "u" => Some(-6),
        "m" => Some(-3),
        "" => Some(0),
        "k" => Some(3),
        "M" => Some(6),
        "G" => Some(9),
        "T" => Some(12),
        "P" => Some(15),
        "E" => Some(18),
        _ => None,
    };
    if let Some(e) = dec {
        return Some((10, e, Format::DecimalSI));
    }
    let bin = match suffix {
        "Ki" => Some(10),
        "Mi" => Some(20),
        "Gi" => Some(30),
        "Ti" => Some(40),
        "Pi" => Some(50),
        "Ei" => Some(60),
        _ => None,
    };
    if let Some(e) = bin {
        return Some((2, e, Format::BinarySI));
    }
    let rest = suffix
        .strip_prefix('e')
        .or_else(|| suffix.strip_prefix('E'))?;
    if rest.is_empty() {
        return None;
    }
    // strconv.ParseInt accepts a leading '+' or '-'.
    let e: i64 = rest.parse().ok()?;
    Some((10, e, Format::DecimalExponent))
}

impl Quantity {
    /// Parses a quantity exactly as Kubernetes does.
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        if input.is_empty() {
            return Err(QuantityError::Empty);
        }
        let (positive, num, denom, suffix) = split(input)?;
        let (base, exponent, mut format) =
            interpret(suffix).ok_or_else(|| QuantityError::Suffix {
                input: input.to_string(),
                suffix: suffix.to_string(),
            })?;
        let oor = || QuantityError::OutOfRange {
            input: input.to_string(),
        };
        // Exact rational: digits / 10^len(denom), times base^exponent, in nanos:
        // mantissa * 10^(9 + exp10 - len(denom)) * 2^exp2.
        let digits = format!("{num}{denom}");
        let digits = digits.trim_start_matches('0');
        let denom_len = i64::try_from(denom.len()).map_err(|_| oor())?;
        let (exp10, exp2) = if base == 10 {
            (exponent, 0)
        } else {
            (0, exponent)
        };
        // value = digits × 2^exp2 × 10^(exp10 - len(denom)); in nanos the power of ten gains 9.
        // Like Go, the binary factor is applied before rounding up to whole nanos. `None` means the
        // result does not fit.
        let exact = || -> Option<i128> {
            if digits.is_empty() {
                return Some(0);
            }
            if digits.len() > 38 {
                return None;
            }
            let mantissa = digits
                .parse::<i128>()
                .ok()?
                .checked_mul(1i128.checked_shl(u32::try_from(exp2).ok()?)?)?;
            let shift = 9i64.checked_add(exp10)?.checked_sub(denom_len)?;
            if shift >= 0 {
                return mantissa.checked_mul(pow10(shift)?);
            }
            // Finer than nano: round up (on the magnitude), as ParseQuantity does.
            Some(match shift.checked_neg().and_then(pow10) {
                Some(p) => mantissa / p + i128::from(mantissa % p != 0),
                None => 1, // a non-zero value far below 1n rounds up to 1n
            })
        };
        let mut nanos = match exact() {
            Some(n) => n,
            // Go caps BinarySI at 2^63-1 (below); decimal values this large are not supported.
            None if format == Format::BinarySI => MAX_BINARY_NANOS,
            None => return Err(oor()),
        };
        if format == Format::BinarySI {
            // Go caps BinarySI quantities at 2^63-1 and shows |values| below 1 as DecimalSI.
            nanos = nanos.min(MAX_BINARY_NANOS);
            if nanos > 0 && nanos < NANO {
                format = Format::DecimalSI;
            }
        }
        Ok(Quantity {
            nanos: if positive { nanos } else { -nanos },
            format,
        })
    }

    /// Zero, DecimalSI.
    pub const fn zero() -> Quantity {
        Quantity {
            nanos: 0,
            format: Format::DecimalSI,
        }
    }

    /// An integer number of units, in the given format (e.g. `from_units(3, Format::DecimalSI)`).
    pub fn from_units(units: i64, format: Format) -> Quantity {
        Quantity {
            nanos: i128::from(units) * NANO,
            format,
        }
    }

    /// The exact value in nano units.
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// The value in units, a fraction rounded away from zero (Go's `Quantity.Value()`):
    /// `1.5` → 2, `100m` → 1, `-1.5` → -2.
    pub fn value(&self) -> i128 {
        div_away(self.nanos, NANO)
    }

    /// The value in milli units, rounded away from zero (Go's `Quantity.MilliValue()`):
    /// `0.1` → 100, `1u` → 1.
    pub fn milli_value(&self) -> i128 {
        div_away(self.nanos, 1_000_000)
    }

    /// Exact sum; `None` on overflow. Like Go's `Add`, a zero left-hand side takes the format of
    /// the right-hand side.
    pub fn checked_add(&self, other: &Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_add(other.nanos)?,
            format: if self.nanos == 0 {
                other.format
            } else {
                self.format
            },
        })
    }

    /// Exact difference; `None` on overflow.
    pub fn checked_sub(&self, other: &Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_sub(other.nanos)?,
            format: if self.nanos == 0 {
                other.format
            } else {
                self.format
            },
        })
    }

    /// A short human form for messages: binary quantities of at least 1Ki use the largest binary
    /// suffix that fits, with at most one decimal rounded half up (`1Gi`, `1.1Gi`, `1.5Gi` for
    /// `1500Mi`); everything else uses the canonical form (`500m`, `2`, `15k`).
    pub fn human(&self) -> String {
        if self.format == Format::BinarySI {
            let units = self.value();
            let mag = units.unsigned_abs();
            let sign = if units < 0 { "-" } else { "" };
            let suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
            let mut chosen = None;
            for (i, s) in suffixes.iter().enumerate() {
                let unit = 1u128 << (10 * (i + 1));
                if mag >= unit {
                    chosen = Some((unit, *s));
                }
            }
            if let Some((unit, s)) = chosen {
                if mag.is_multiple_of(unit) {
                    return format!("{sign}{}{s}", mag / unit);
                }
                // Tenths, rounded half up.
                let tenths = (mag * 10 + unit / 2) / unit;
                if tenths.is_multiple_of(10) {
                    return format!("{sign}{}{s}", tenths / 10);
                }
                return format!("{sign}{}.{}{s}", tenths / 10, tenths % 10);
            }
        }
        self.to_string()
    }
}

fn pow10(e: i64) -> Option<i128> {
    let e = u32::try_from(e).ok()?;
    10i128.checked_pow(e)
}

/// Division rounding away from zero (Go's `inf.RoundUp` / `negativeScaleInt64`).
fn div_away(n: i128, d: i128) -> i128 {
    let q = n / d;
    if n % d == 0 {
        q
    } else if n > 0 {
        q + 1
    } else {
        q - 1
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}
impl Eq for Quantity {}
impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}
impl std::hash::Hash for Quantity {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl Default for Quantity {
    fn default() -> Self {
        Quantity::zero()
    }
}

/// Saturating addition (quantities in real manifests never approach the `i128` range; use
/// [`Quantity::checked_add`] to detect overflow).
impl std::ops::Add for Quantity {
    type Output = Quantity;
    fn add(self, rhs: Quantity) -> Quantity {
        self.checked_add(&rhs).unwrap_or(Quantity {
            nanos: if rhs.nanos > 0 { i128::MAX } else { i128::MIN },
            format: self.format,
        })
    }
}

impl std::ops::AddAssign for Quantity {
    fn add_assign(&mut self, rhs: Quantity) {
        *self = *self + rhs;
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

/// The canonical form, following Go's `CanonicalizeBytes`: binary quantities that are whole and
/// at least 1024 in magnitude print with the largest exact binary suffix (`1536Mi`); everything else
/// prints with the largest exact decimal exponent that is a multiple of 3 (`1500m`, `15k`, `2`).
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        let sign = if self.nanos < 0 { "-" } else { "" };
        let mag = self.nanos.unsigned_abs();
        let nano = NANO as u128;
        if self.format == Format::BinarySI && mag.is_multiple_of(nano) && mag / nano >= 1024 {
            let mut units = mag / nano;
            let mut k = 0;
            while k < 6 && units.is_multiple_of(1024) {
                units /= 1024;
                k += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][k];
            return write!(f, "{sign}{units}{suffix}");
        }
        // Decimal: mag nanos = m * 10^(exp) with exp a multiple of 3, as large as exactness allows.
        let mut m = mag;
        let mut exp: i32 = -9;
        while m.is_multiple_of(1000) {
            m /= 1000;
            exp += 3;
        }
        if self.format == Format::DecimalExponent {
            if exp == 0 {
                return write!(f, "{sign}{m}");
            }
            return write!(f, "{sign}{m}e{exp}");
        }
        let suffix = match exp {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            0 => "",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            18 => "E",
            _ => return write!(f, "{sign}{m}e{exp}"),
        };
        write!(f, "{sign}{m}{suffix}")
    }
}

impl serde::Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parses a memory-like quantity (`1Gi`, `512M`, `1.5G`) into bytes, a fraction rounded up like
/// `Value()`.
pub fn parse_bytes(input: &str) -> Result<i128, QuantityError> {
    Quantity::parse(input).map(|q| q.value())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        match Quantity::parse(s) {
            Ok(q) => q,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn decimal_si() {
        assert_eq!(q("1").value(), 1);
        assert_eq!(q("500m").milli_value(), 500);
        assert_eq!(q("500m").value(), 1);
        assert_eq!(q("1k").value(), 1000);
        assert_eq!(q("2M").value(), 2_000_000);
        assert_eq!(q("3G").value(), 3_000_000_000);
        assert_eq!(q("1T").value(), 1_000_000_000_000);
        assert_eq!(q("1P").value(), 1_000_000_000_000_000);
        assert_eq!(q("1E").value(), 1_000_000_000_000_000_000);
        assert_eq!(q("1n").nanos(), 1);
        assert_eq!(q("1u").nanos(), 1000);
        assert_eq!(q("1u").milli_value(), 1);
        assert_eq!(q("0").value(), 0);
    }

    #[test]
    fn binary_si() {
        assert_eq!(q("1Ki").value(), 1024);
        assert_eq!(q("1Mi").value(), 1 << 20);
        assert_eq!(q("1Gi").value(), 1 << 30);
        assert_eq!(q("1.5Gi").value(), 1_610_612_736);
        assert_eq!(q("1Ti").value(), 1 << 40);
        assert_eq!(q("1Pi").value(), 1 << 50);
        assert_eq!(q("1Ei").value(), 1 << 60);
        // Capped at 2^63-1 like Go's maxAllowed.
        assert_eq!(q("16Ei").value(), i128::from(i64::MAX));
        assert_eq!(q("0.5Ki").value(), 512);
        // The binary factor applies before rounding to nanos: 1e-10 × 1024 = 102.4n → 103n.
        assert_eq!(q("0.0000000001Ki").nanos(), 103);
        assert_eq!(q("99999999999999999999Ei").value(), i128::from(i64::MAX));
    }

    #[test]
    fn exponent_signs_fractions() {
        assert_eq!(q("1e3").value(), 1000);
        assert_eq!(q("1E3").value(), 1000);
        assert_eq!(q("1e+3").value(), 1000);
        assert_eq!(q("1e-3").milli_value(), 1);
        assert_eq!(q("-1").value(), -1);
        assert_eq!(q("+1").value(), 1);
        assert_eq!(q("1.5").value(), 2);
        assert_eq!(q("-1.5").value(), -2);
        assert_eq!(q("0.1").milli_value(), 100);
        assert_eq!(q(".5").milli_value(), 500);
        assert_eq!(q("1.").value(), 1);
        assert_eq!(q("1.G").value(), 1_000_000_000);
        assert_eq!(q("007").value(), 7);
        // Finer than nano rounds up to the next nano.
        assert_eq!(q("1.0000000001").nanos(), 1_000_000_001);
        assert_eq!(q("0.0000000000001").nanos(), 1);
        assert_eq!(q("1e-20").nanos(), 1);
    }

    #[test]
    fn go_quirks_mean_zero() {
        // parseQuantityString returns "0" when only a sign or a dot remain.
        // A bare suffix is accepted too: "Gi" and "m" are zero.
        for s in ["+", "-", ".", "-.", "000", "Gi", "m"] {
            assert!(q(s).is_zero(), "{s}");
        }
    }

    #[test]
    fn invalid() {
        for s in [
            "", "abc", "1.5.5", "10XB", " 1", "1 ", "1mi", "1K", "1e", "1e-", "1Gb", "--1", "1,5",
            "1ki", "1e3.5", "1E+", "١",
        ] {
            let err = Quantity::parse(s);
            assert!(err.is_err(), "{s:?} should fail, got {err:?}");
        }
        let msg = match Quantity::parse("10XB") {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        assert!(msg.contains("'X'") || msg.contains("\"X\""), "{msg}");
        assert!(msg.contains("Ki, Mi"), "{msg}");
        let msg = match Quantity::parse("1.5.5") {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        assert!(msg.contains("more than one decimal point"), "{msg}");
        assert_eq!(Quantity::parse(""), Err(QuantityError::Empty));
        assert!(matches!(
            Quantity::parse("1e100"),
            Err(QuantityError::OutOfRange { .. })
        ));
        assert!(matches!(
            Quantity::parse("1Ki5"),
            Err(QuantityError::Suffix { .. })
        ));
    }

    #[test]
    fn never_panics() {
        // Every string of up to 3 characters over the grammar's alphabet, plus extremes.
        let alphabet: Vec<char> = "0123456789.+-eEinumkKMGTPa é".chars().collect();
        let mut inputs = vec![
            "1.000000000e-9223372036854775808".to_string(),
            "1e-9223372036854775808".to_string(),
            "1e9223372036854775807".to_string(),
            "9".repeat(40),
            format!("0.{}1", "0".repeat(100)),
            "99999999999999999999Ei".to_string(),
        ];
        for a in &alphabet {
            for b in &alphabet {
                for c in &alphabet {
                    inputs.push(format!("{a}{b}{c}"));
                }
            }
        }
        for s in inputs {
            if let Ok(q) = Quantity::parse(&s) {
                let _ = (q.value(), q.milli_value(), q.to_string(), q.human(), q + q);
            }
        }
    }

    #[test]
    fn compare_and_add() {
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1000m"), q("1"));
        assert!(q("1Gi") > q("1G"));
        assert!(q("999m") < q("1"));
        assert_eq!(q("1Gi") + q("512Mi"), q("1.5Gi"));
        assert_eq!((q("1") + q("500m")).milli_value(), 1500);
        assert_eq!(
            Quantity::zero().checked_add(&q("1Gi")).map(|x| x.format()),
            Some(Format::BinarySI)
        );
    }

    #[test]
    fn display() {
        assert_eq!(q("1Gi").to_string(), "1Gi");
        assert_eq!(q("1.5Gi").to_string(), "1536Mi");
        assert_eq!(q("1.5").to_string(), "1500m");
        assert_eq!(q("15000").to_string(), "15k");
        assert_eq!(q("1500").to_string(), "1500");
        assert_eq!(q("0.5Ki").to_string(), "512");
        assert_eq!(q("1e3").to_string(), "1e3");
        assert_eq!(q("0").to_string(), "0");
        assert_eq!(q("-2Mi").to_string(), "-2Mi");
        assert_eq!(q("100Mi").human(), "100Mi");
        assert_eq!(q("1.1Gi").human(), "1.1Gi");
        assert_eq!(q("1500Mi").human(), "1.5Gi");
        assert_eq!(q("2").human(), "2");
        assert_eq!(q("250m").human(), "250m");
    }

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("1Gi"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5"), Ok(2));
        assert!(parse_bytes("abc").is_err());
    }
}
