//! Byte counts from Kubernetes resource quantities, exactly as the two Go call sites Seldon relies
//! on see them.
//!
//! Why it exists: the seldon module needs memory figures before the shared `crate::quantity`
//! module lands. This is a deliberately small, self-contained stand-in; [`parse_bytes`] is the one
//! function to swap for `Quantity::parse(..).value()` later. [`model_memory_as_int64`] stays: it
//! reproduces `resource.Quantity.AsInt64()`, which is *not* "the value rounded up" and which the
//! operator uses for `Model.spec.memory` (`operator/apis/mlops/v1alpha1/model_types.go`
//! AsSchedulerModel).
//!
//! Must not: know about manifests, containers or Seldon objects; it only reads quantity text.
//!
//! Parsing follows `k8s.io/apimachinery/pkg/api/resource` `ParseQuantity` (sign, digits,
//! optional fraction, suffix `n u m k M G T P E`, `Ki … Ei`, or an `e`/`E` exponent).

/// The suffix of a quantity: `value = digits × base^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    DecimalSi,
    DecimalExponent,
    BinarySi,
}

/// A quantity split the way `parseQuantityString` splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts {
    positive: bool,
    /// Integer digits without leading zeros ("0" when none).
    num: String,
    /// Fraction digits as written.
    denom: String,
    /// `10^exponent` (decimal formats) or `2^exponent` (binary).
    exponent: i32,
    format: Format,
}

fn split(text: &str) -> Result<Parts, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty quantity".to_string());
    }
    let b = s.as_bytes();
    let mut pos = 0;
    let mut positive = true;
    match b[0] {
        b'-' => {
            positive = false;
            pos = 1;
        }
        b'+' => pos = 1,
        _ => {}
    }
    while pos < b.len() && b[pos] == b'0' {
        pos += 1;
    }
    let start = pos;
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let mut num = s[start..pos].to_string();
    if num.is_empty() {
        num = "0".to_string();
    }
    let mut denom = String::new();
    if pos < b.len() && b[pos] == b'.' {
        pos += 1;
        let d0 = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = s[d0..pos].to_string();
    }
    if start == pos && denom.is_empty() && !s[..pos].bytes().any(|c| c.is_ascii_digit()) {
        return Err(format!("{s:?} is not a quantity (no digits)"));
    }
    let suffix = &s[pos..];
    let (exponent, format) = match suffix {
        "" => (0, Format::DecimalSi),
        "n" => (-9, Format::DecimalSi),
        "u" => (-6, Format::DecimalSi),
        "m" => (-3, Format::DecimalSi),
        "k" => (3, Format::DecimalSi),
        "M" => (6, Format::DecimalSi),
        "G" => (9, Format::DecimalSi),
        "T" => (12, Format::DecimalSi),
        "P" => (15, Format::DecimalSi),
        "E" => (18, Format::DecimalSi),
        "Ki" => (10, Format::BinarySi),
        "Mi" => (20, Format::BinarySi),
        "Gi" => (30, Format::BinarySi),
        "Ti" => (40, Format::BinarySi),
        "Pi" => (50, Format::BinarySi),
        "Ei" => (60, Format::BinarySi),
        other if other.len() > 1 && (other.starts_with('e') || other.starts_with('E')) => {
            let e: i64 = other[1..]
                .parse()
                .map_err(|_| format!("{s:?} has an unknown suffix {other:?}"))?;
            (
                i32::try_from(e).map_err(|_| format!("{s:?}: exponent out of range"))?,
                Format::DecimalExponent,
            )
        }
        other => return Err(format!("{s:?} has an unknown suffix {other:?}")),
    };
    Ok(Parts {
        positive,
        num,
        denom,
        exponent,
        format,
    })
}

/// `resource.Quantity.Value()` of `text` in bytes: rounded up to a whole number (away from zero),
/// capped at `i64::MAX` like Kubernetes caps quantities. This is what the downward API hands the
/// agent for `requests.memory`.
///
/// Quantities with more than 36 significant digits are refused rather than approximated.
pub fn parse_bytes(text: &str) -> Result<i128, String> {
    let p = split(text)?;
    let digits = format!("{}{}", p.num, p.denom);
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    let trimmed = digits.trim_end_matches('0');
    let mut dec_exp: i64 = digits.len() as i64 - trimmed.len() as i64 - p.denom.len() as i64;
    let mut bin_exp: u32 = 0;
    match p.format {
        Format::BinarySi => bin_exp = p.exponent.max(0) as u32,
        _ => dec_exp += i64::from(p.exponent),
    }
    if trimmed.len() > 36 {
        return Err(format!("{text:?} has too many digits to evaluate exactly"));
    }
    let mantissa: u128 = trimmed
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    const CAP: u128 = i64::MAX as u128;
    let magnitude: u128 = if dec_exp >= 0 {
        let mut v = mantissa;
        let mut over = false;
        for _ in 0..dec_exp.min(40) {
            v = match v.checked_mul(10) {
                Some(x) => x,
                None => {
                    over = true;
                    break;
                }
            };
        }
        if dec_exp > 40 {
            over = true;
        }
        if !over {
            v = v
                .checked_shl(bin_exp)
                .filter(|x| x >> bin_exp == v)
                .unwrap_or(u128::MAX);
        }
        if over { u128::MAX } else { v }
    } else {
        // value = mantissa * 2^bin / 10^(-dec_exp), rounded up
        let numer = match mantissa
            .checked_shl(bin_exp)
            .filter(|x| x >> bin_exp == mantissa)
        {
            Some(n) => n,
            None => return Err(format!("{text:?} is too large to evaluate exactly")),
        };
        let k = (-dec_exp) as u32;
        match 10u128.checked_pow(k) {
            Some(den) => numer.div_ceil(den),
            // denominator beyond 10^38 and numerator below 2^128: the value is below 1
            None => 1,
        }
    };
    let capped = magnitude.min(CAP) as i128;
    Ok(if p.positive { capped } else { -capped })
}

/// `resource.Quantity.AsInt64()` after `ParseQuantity(text)`: `Some` only when Kubernetes keeps the
/// quantity in its fast `int64Amount` form at a non-negative scale without overflow. Notably
/// `100m`, `1000m`, `0.0`, `1.5Gi`, `1Pi`, and any number of 19+ digits give `None`, while
/// `1.5G`, `100Ki` and `1e3` give a value.
pub fn model_memory_as_int64(text: &str) -> Result<Option<i64>, String> {
    let s = text.trim();
    if s == "0" {
        return Ok(Some(0));
    }
    let p = split(s)?;
    // ParseQuantity: precision/scale/mantissa per format.
    let (mut scale, precision, mantissa): (i64, i64, i64) = match p.format {
        Format::DecimalSi | Format::DecimalExponent => (
            i64::from(p.exponent),
            18 - (p.num.len() + p.denom.len()) as i64,
            1,
        ),
        Format::BinarySi => {
            if p.exponent >= 0 && p.denom.is_empty() {
                let precision =
                    15 - p.num.len() as i64 - ((p.exponent as f32) * 3.0 / 10.0) as i64 - 1;
                (0, precision, 1i64 << p.exponent)
            } else {
                (0, -1, 1)
            }
        }
    };
    if precision < 0 {
        return Ok(None); // inf.Dec slow path: AsInt64 reports false
    }
    scale -= p.denom.len() as i64;
    if scale < -9 {
        return Ok(None);
    }
    let shifted = format!("{}{}", p.num, p.denom);
    let value: i64 = match shifted.parse() {
        Ok(v) => v,
        Err(_) => return Err(format!("{s:?} is not a number")),
    };
    let Some(mut result) = value.checked_mul(mantissa) else {
        return Ok(None);
    };
    if !p.positive {
        result = -result;
    }
    // int64Amount.AsInt64
    if scale == 0 {
        return Ok(Some(result));
    }
    if scale < 0 {
        return Ok(None);
    }
    let mut v = result;
    for _ in 0..scale {
        match v.checked_mul(10) {
            Some(x) => v = x,
            None => return Ok(None),
        }
    }
    Ok(Some(v))
}

/// Human form of a byte count for messages: `3Gi`, `1.1Gi`, `500Mi`, `1000000` (bytes).
pub fn human_bytes(bytes: i128) -> String {
    const UNITS: [(&str, u32); 5] = [("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)];
    let neg = bytes < 0;
    let b = bytes.unsigned_abs();
    for (name, shift) in UNITS {
        let unit = 1u128 << shift;
        if b >= unit {
            let sign = if neg { "-" } else { "" };
            if b.is_multiple_of(unit) {
                return format!("{sign}{}{name}", b / unit);
            }
            // two decimals, trailing zeros dropped
            let hundredths = (b * 100 + unit / 2) / unit;
            let whole = hundredths / 100;
            let frac = hundredths % 100;
            let frac = if frac.is_multiple_of(10) {
                format!("{}", frac / 10)
            } else {
                format!("{frac:02}")
            };
            if frac == "0" {
                return format!("{sign}~{whole}{name}");
            }
            return format!("{sign}{whole}.{frac}{name}");
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    // k8s.io/apimachinery/pkg/api/resource ParseQuantity + Quantity.Value (rounds up)
    #[test]
    fn values_round_up() {
        assert_eq!(parse_bytes("1Gi").unwrap(), 1 << 30);
        assert_eq!(parse_bytes("1G").unwrap(), 1_000_000_000);
        assert_eq!(parse_bytes("100Ki").unwrap(), 102_400);
        assert_eq!(parse_bytes("1.5Gi").unwrap(), 1_610_612_736);
        assert_eq!(parse_bytes("100m").unwrap(), 1);
        assert_eq!(parse_bytes("1e3").unwrap(), 1000);
        assert_eq!(parse_bytes("0").unwrap(), 0);
        assert_eq!(parse_bytes("500M").unwrap(), 500_000_000);
        assert_eq!(parse_bytes("10E").unwrap(), i64::MAX as i128);
        assert!(parse_bytes("1Gb").is_err());
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("Gi").is_err());
    }

    // operator/apis/mlops/v1alpha1/model_types.go AsSchedulerModel (Quantity.AsInt64)
    #[test]
    fn as_int64_fast_path_only() {
        assert_eq!(model_memory_as_int64("100Ki").unwrap(), Some(102_400));
        assert_eq!(model_memory_as_int64("3Gi").unwrap(), Some(3 << 30));
        assert_eq!(model_memory_as_int64("1.5G").unwrap(), Some(1_500_000_000));
        assert_eq!(model_memory_as_int64("1e3").unwrap(), Some(1000));
        assert_eq!(model_memory_as_int64("10Ti").unwrap(), Some(10 << 40));
        assert_eq!(model_memory_as_int64("100m").unwrap(), None);
        assert_eq!(model_memory_as_int64("1000m").unwrap(), None);
        assert_eq!(model_memory_as_int64("0.0").unwrap(), None);
        assert_eq!(model_memory_as_int64("1.5Gi").unwrap(), None);
        assert_eq!(model_memory_as_int64("1Pi").unwrap(), None);
        assert_eq!(model_memory_as_int64("1000000000000000000").unwrap(), None);
        assert_eq!(model_memory_as_int64("-1Gi").unwrap(), Some(-(1 << 30)));
        assert!(model_memory_as_int64("lots").is_err());
    }

    #[test]
    fn human_forms() {
        assert_eq!(human_bytes(3 << 30), "3Gi");
        assert_eq!(human_bytes(1_181_116_008), "1.1Gi");
        assert_eq!(human_bytes(1_000_000), "976.56Ki");
        assert_eq!(human_bytes(512), "512 bytes");
    }
}
