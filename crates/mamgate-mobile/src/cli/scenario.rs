//! Scenario files: a JSON list of steps, each a simulator command (or an HTTP call to drive the
//! server or an emulator) with the outcome it must end with.
//!
//! ```json
//! {"name": "success path",
//!  "steps": [
//!   {"run": "add-server ${SERVER}", "expect": "added"},
//!   {"run": ["login", "${SERVER}", "--user", "${USER}"], "expect": "enrolled"},
//!   {"http": {"method": "PUT", "url": "${SERVER}/api/v4/config/patch", "bearer": "${ADMIN_TOKEN}",
//!             "body": {"IntuneSettings": {"Enable": true}}},
//!    "expect_status": 200, "save_header": {"Token": "NAME"}},
//!   {"run": "read ${SERVER}", "expect": "content_blocked", "message_contains": "Intune"}
//!  ]}
//! ```
//! `${NAME}` comes from `--var NAME=VALUE`, then the environment; `${ENTRA}` and `${INTUNE}`
//! are the emulator URLs. A `run` string is split on whitespace; use the array form for
//! arguments with spaces. `lines_contain` checks the extra output (status, watch).

use std::collections::BTreeMap;
use std::path::Path;

use clap::Parser;
use serde::Deserialize;
use serde_json::Value;

use super::{execute, EmulatorArgs, StepLine};
use crate::error::MobileError;

/// A scenario file.
#[derive(Debug, Clone, Deserialize)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub steps: Vec<Step>,
}

/// One step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A simulator command: a string (split on whitespace) or a list of words.
    #[serde(default)]
    pub run: Option<Value>,
    /// The outcome code the command must end with.
    #[serde(default)]
    pub expect: Option<String>,
    #[serde(default)]
    pub message_contains: Option<String>,
    #[serde(default)]
    pub lines_contain: Option<String>,
    /// An HTTP call instead of a command.
    #[serde(default)]
    pub http: Option<HttpStep>,
    #[serde(default)]
    pub expect_status: Option<u16>,
    /// Response header name → variable to store its value in.
    #[serde(default)]
    pub save_header: BTreeMap<String, String>,
}

/// An HTTP call a step makes (admin API, emulator control endpoints).
#[derive(Debug, Clone, Deserialize)]
pub struct HttpStep {
    #[serde(default = "get")]
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub bearer: Option<String>,
    #[serde(default)]
    pub body: Option<Value>,
}

fn get() -> String {
    "GET".into()
}

/// Replaces `${NAME}` in every string of `v`.
fn substitute(v: &Value, vars: &BTreeMap<String, String>) -> Result<Value, MobileError> {
    Ok(match v {
        Value::String(s) => Value::String(substitute_str(s, vars)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| substitute(x, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), substitute(x, vars)?)))
                .collect::<Result<_, MobileError>>()?,
        ),
        other => other.clone(),
    })
}

fn substitute_str(s: &str, vars: &BTreeMap<String, String>) -> Result<String, MobileError> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| MobileError::Usage(format!("unclosed ${{ in {s:?}")))?;
        let name = &after[..end];
        let value = vars
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
            .ok_or_else(|| {
                MobileError::Usage(format!(
                    "variable {name} is not set (use --var {name}=VALUE)"
                ))
            })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Reads and runs a scenario file; true when every step matched.
pub async fn run_file(
    device: &Path,
    path: &Path,
    vars: &[String],
    emulators: &EmulatorArgs,
    out: &mut dyn FnMut(String),
) -> Result<bool, MobileError> {
    let text = std::fs::read_to_string(path).map_err(|e| MobileError::io(path, e))?;
    let scenario: Scenario = serde_json::from_str(&text).map_err(|source| MobileError::Json {
        path: path.display().to_string(),
        source,
    })?;
    let mut map = BTreeMap::new();
    for v in vars {
        let (k, val) = v
            .split_once('=')
            .ok_or_else(|| MobileError::Usage(format!("--var {v}: expected NAME=VALUE")))?;
        map.insert(k.to_string(), val.to_string());
    }
    if let Some(e) = &emulators.entra {
        map.entry("ENTRA".into()).or_insert_with(|| e.clone());
    }
    if let Some(i) = &emulators.intune {
        map.entry("INTUNE".into()).or_insert_with(|| i.clone());
    }
    run(device, &scenario, map, emulators, out).await
}

/// Runs a parsed scenario; every step runs and prints PASS/FAIL, the result is all-passed.
pub async fn run(
    device: &Path,
    scenario: &Scenario,
    mut vars: BTreeMap<String, String>,
    emulators: &EmulatorArgs,
    out: &mut dyn FnMut(String),
) -> Result<bool, MobileError> {
    out(format!("scenario: {}", scenario.name));
    let http = crate::http::client();
    let mut all = true;
    for (i, step) in scenario.steps.iter().enumerate() {
        let n = i + 1;
        let (label, failure) = match (&step.run, &step.http) {
            (Some(run), None) => {
                let words: Vec<String> = match substitute(run, &vars)? {
                    Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
                    Value::Array(a) => a
                        .iter()
                        .map(|w| {
                            w.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| w.to_string())
                        })
                        .collect(),
                    _ => {
                        return Err(MobileError::Usage(format!(
                            "step {n}: run must be a string or a list"
                        )))
                    }
                };
                let label = words.join(" ");
                let line = StepLine::try_parse_from(&words)
                    .map_err(|e| MobileError::Usage(format!("step {n}: {e}")))?;
                let failure = match execute(device, &line.command, emulators).await {
                    Ok(r) => {
                        out(format!("  [{n}] {}: {}", r.code, r.message));
                        for l in &r.lines {
                            out(format!("      {l}"));
                        }
                        check_result(step, &r.code, &r.message, &r.lines, &vars)?
                    }
                    Err(e) => Some(format!("error: {e}")),
                };
                (label, failure)
            }
            (None, Some(h)) => {
                let url = substitute_str(&h.url, &vars)?;
                let method = reqwest::Method::from_bytes(h.method.to_ascii_uppercase().as_bytes())
                    .map_err(|_| {
                        MobileError::Usage(format!("step {n}: bad method {}", h.method))
                    })?;
                let mut req = http.request(method, &url);
                if let Some(b) = &h.bearer {
                    req = req.bearer_auth(substitute_str(b, &vars)?);
                }
                if let Some(body) = &h.body {
                    req = req.json(&substitute(body, &vars)?);
                }
                let label = format!("{} {url}", h.method);
                let failure = match req.send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        for (header, var) in &step.save_header {
                            if let Some(v) = r
                                .headers()
                                .get(header.as_str())
                                .and_then(|v| v.to_str().ok())
                            {
                                vars.insert(var.clone(), v.to_string());
                            }
                        }
                        let text = r.text().await.unwrap_or_default();
                        out(format!("  [{n}] HTTP {status}"));
                        match step.expect_status {
                            Some(want) if want != status => {
                                Some(format!("expected HTTP {want}, got {status}: {text}"))
                            }
                            None if !(200..300).contains(&status) => {
                                Some(format!("HTTP {status}: {text}"))
                            }
                            _ => None,
                        }
                    }
                    Err(e) => Some(format!("request failed: {e}")),
                };
                (label, failure)
            }
            _ => {
                return Err(MobileError::Usage(format!(
                    "step {n}: exactly one of run or http"
                )))
            }
        };
        match failure {
            None => out(format!("PASS {n}: {label}")),
            Some(why) => {
                all = false;
                out(format!("FAIL {n}: {label}: {why}"));
            }
        }
    }
    out(if all {
        "scenario passed".into()
    } else {
        "scenario FAILED".into()
    });
    Ok(all)
}

fn check_result(
    step: &Step,
    code: &str,
    message: &str,
    lines: &[String],
    vars: &BTreeMap<String, String>,
) -> Result<Option<String>, MobileError> {
    if let Some(want) = &step.expect {
        if want != code {
            return Ok(Some(format!("expected {want}, got {code}")));
        }
    }
    if let Some(want) = &step.message_contains {
        let want = substitute_str(want, vars)?;
        if !message.contains(&want) {
            return Ok(Some(format!("message does not contain {want:?}")));
        }
    }
    if let Some(want) = &step.lines_contain {
        let want = substitute_str(want, vars)?;
        if !lines.iter().any(|l| l.contains(&want)) {
            return Ok(Some(format!("no output line contains {want:?}")));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution() {
        let vars: BTreeMap<String, String> = [("A".to_string(), "x".to_string())].into();
        assert_eq!(substitute_str("${A}/y${A}", &vars).unwrap(), "x/yx");
        assert!(substitute_str("${MAMGATE_SURELY_UNSET_VAR}", &vars).is_err());
        assert!(substitute_str("${A", &vars).is_err());
        let v = substitute(&serde_json::json!({"k": ["${A}", 1]}), &vars).unwrap();
        assert_eq!(v, serde_json::json!({"k": ["x", 1]}));
    }

    #[test]
    fn shipped_scenarios_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let s: Scenario =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert!(!s.steps.is_empty(), "{}", path.display());
            n += 1;
        }
        assert!(n >= 4);
    }
}
