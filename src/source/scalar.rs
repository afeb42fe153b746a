//! Scalar resolution: what a YAML scalar means.
//!
//! Two readings are implemented side by side:
//! * the **YAML 1.2 core schema**, which is what placecheck stores in the document value, and
//! * the **YAML 1.1 reading of go-yaml v2**, which is what Kubernetes (`sigs.k8s.io/yaml`, used by
//!   kubectl and the API server) does with plain scalars. It is used only to detect scalars whose
//!   meaning differs between the two (`yes`, `on`, `0777`, `1_000`, …): the caller warns about
//!   them as `yaml-ambiguous-scalar`.
//!
//! This module must not know about documents, paths or Kubernetes kinds.

use serde_json::{Number, Value};

/// A plain (unquoted, untagged) scalar under the YAML 1.2 core schema.
///
/// Numbers JSON cannot hold (`.inf`, `.nan`, `1e400`) stay strings; integers beyond
/// `i64`/`u64` become `f64`.
pub(crate) fn resolve_plain(s: &str) -> Value {
    resolve_plain_special(s).unwrap_or_else(|| Value::String(s.to_owned()))
}

/// [`resolve_plain`] when the scalar is not a string (null, boolean, number); `None` means the
/// value is the text itself (the caller moves it into the value, saving a copy).
pub(crate) fn resolve_plain_special(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let first = *s.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    match core_number(s)? {
        Value::String(_) => None,
        v => Some(v),
    }
}

/// The number a plain scalar denotes under the core schema, if any.
fn core_number(s: &str) -> Option<Value> {
    if let Some(hex) = s.strip_prefix("0x") {
        return radix_int(hex, 16);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return radix_int(oct, 8);
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(decimal_int(s));
    }
    if is_core_float(s) {
        return s
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number);
    }
    None
}

fn decimal_int(s: &str) -> Value {
    if let Ok(i) = s.parse::<i64>() {
        return Value::from(i);
    }
    if let Ok(u) = s.strip_prefix('+').unwrap_or(s).parse::<u64>() {
        return Value::from(u);
    }
    s.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(s.to_owned()), Value::Number)
}

fn radix_int(digits: &str, radix: u32) -> Option<Value> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if let Ok(u) = u64::from_str_radix(digits, radix) {
        return Some(Value::from(u));
    }
    // Too large for u64: keep the magnitude as f64.
    let f = digits
        .chars()
        .filter_map(|c| c.to_digit(radix))
        .fold(0f64, |acc, d| acc * f64::from(radix) + f64::from(d));
    Number::from_f64(f).map(Value::Number)
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let f = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let e = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

/// A scalar with an explicit core tag (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`).
/// Unknown tags and values that do not fit the tag fall back to the untagged reading.
pub(crate) fn resolve_tagged(suffix: &str, s: &str, plain: bool) -> Value {
    let fallback = || {
        if plain {
            resolve_plain(s)
        } else {
            Value::String(s.to_owned())
        }
    };
    match suffix {
        "str" | "binary" | "timestamp" => Value::String(s.to_owned()),
        "null" => Value::Null,
        "bool" => match s {
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => fallback(),
        },
        "int" | "float" => match core_number(s.trim()) {
            Some(Value::Number(n)) if suffix == "float" => n
                .as_f64()
                .and_then(Number::from_f64)
                .map_or(fallback(), Value::Number),
            Some(v) => v,
            None => fallback(),
        },
        _ => fallback(),
    }
}

/// How go-yaml v2 (Kubernetes) reads a plain scalar, when that differs from the core-schema value
/// `core` (`None`: the core value is the string `s` itself): returns a description such as
/// "the boolean true" or "the integer 511 (octal)".
///
/// go-yaml v2 does not implement YAML 1.1 sexagesimal numbers (`1:30` stays a string there) and
/// reads timestamps into `interface{}` as strings, so neither is reported.
pub(crate) fn kubernetes_reading(s: &str, core: Option<&Value>) -> Option<String> {
    let first = *s.as_bytes().first()?;
    match first {
        b'y' | b'Y' | b'n' | b'N' | b'o' | b'O' => {
            let b = match s {
                "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => true,
                "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => false,
                _ => return None,
            };
            return (core != Some(&Value::Bool(b))).then(|| format!("the boolean {b}"));
        }
        b'0'..=b'9' | b'-' | b'+' | b'.' => {}
        _ => return None,
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some((v, base)) = go_parse_int(&plain) {
        let same = core.and_then(Value::as_i64).map(i128::from) == Some(v)
            || core.and_then(Value::as_u64).map(i128::from) == Some(v);
        if same {
            return None;
        }
        let note = match base {
            8 => " (octal)",
            2 => " (binary)",
            16 => " (hexadecimal)",
            _ => "",
        };
        return Some(format!("the integer {v}{note}"));
    }
    if is_core_float(&plain) {
        let f: f64 = plain.parse().ok()?;
        if core.and_then(Value::as_f64) == Some(f) || !f.is_finite() {
            return None;
        }
        return Some(format!("the number {f}"));
    }
    None
}

/// Go's `strconv.ParseInt(s, 0, 64)` then `ParseUint(s, 0, 64)`: an optional sign, then `0x`,
/// `0o`, `0b` or a leading `0` (octal) prefix, or decimal. Returns the value and its base.
fn go_parse_int(s: &str) -> Option<(i128, u32)> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.get(..2).map(str::to_ascii_lowercase);
    let (digits, base) = match lower.as_deref() {
        Some("0x") => (&body[2..], 16),
        Some("0o") => (&body[2..], 8),
        Some("0b") => (&body[2..], 2),
        _ if body.len() > 1 && body.starts_with('0') => (&body[1..], 8),
        _ => (body, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    let magnitude = i128::from(u64::from_str_radix(digits, base).ok()?);
    let v = if neg { -magnitude } else { magnitude };
    // ParseInt covers i64; ParseUint covers the rest of u64 (non-negative only).
    (v >= i128::from(i64::MIN)).then_some((v, base))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn core_schema() {
        for (s, v) in [
            ("", json!(null)),
            ("~", json!(null)),
            ("True", json!(true)),
            ("FALSE", json!(false)),
            ("yes", json!("yes")),
            ("12", json!(12)),
            ("-12", json!(-12)),
            ("+12", json!(12)),
            ("0777", json!(777)),
            ("0o17", json!(15)),
            ("0x1F", json!(31)),
            ("1.5", json!(1.5)),
            ("1e3", json!(1000.0)),
            (".5", json!(0.5)),
            ("1_000", json!("1_000")),
            (".inf", json!(".inf")),
            ("1e400", json!("1e400")),
            ("18446744073709551615", json!(18446744073709551615u64)),
            ("1:30", json!("1:30")),
            ("2Gi", json!("2Gi")),
            ("-", json!("-")),
            (".", json!(".")),
            ("0x", json!("0x")),
        ] {
            assert_eq!(resolve_plain(s), v, "{s}");
        }
        assert!(resolve_plain("99999999999999999999999").is_f64());
        assert!(resolve_plain("0xFFFFFFFFFFFFFFFFFFFF").is_f64());
    }

    #[test]
    fn tags() {
        assert_eq!(resolve_tagged("str", "12", true), json!("12"));
        assert_eq!(resolve_tagged("int", "12", false), json!(12));
        assert_eq!(resolve_tagged("float", "12", false), json!(12.0));
        assert_eq!(resolve_tagged("bool", "true", false), json!(true));
        assert_eq!(resolve_tagged("int", "abc", false), json!("abc"));
    }

    #[test]
    fn kubernetes_readings() {
        let k = |s: &str| kubernetes_reading(s, resolve_plain_special(s).as_ref());
        assert_eq!(k("yes").as_deref(), Some("the boolean true"));
        assert_eq!(k("Off").as_deref(), Some("the boolean false"));
        assert_eq!(k("y").as_deref(), Some("the boolean true"));
        assert_eq!(k("0777").as_deref(), Some("the integer 511 (octal)"));
        assert_eq!(k("012").as_deref(), Some("the integer 10 (octal)"));
        assert_eq!(k("-012").as_deref(), Some("the integer -10 (octal)"));
        assert_eq!(k("1_000").as_deref(), Some("the integer 1000"));
        assert_eq!(k("0b101").as_deref(), Some("the integer 5 (binary)"));
        assert_eq!(k("1_000.5").as_deref(), Some("the number 1000.5"));
        for same in [
            "true",
            "no-schedule",
            "12",
            "0",
            "00",
            "08",
            "0x1F",
            "0o17",
            "1.5",
            "1:30",
            "nope",
            "2024-01-01",
            ".inf",
        ] {
            assert_eq!(k(same), None, "{same}");
        }
    }
}
