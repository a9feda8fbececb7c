//! The options: `name = "..."`, `grace = "..."`, `wait`, `crate = "..."`, `all_panics`,
//! the restart policy (`restart = N`, `within`, `backoff`, `max_backoff`), and for
//! `#[fate::test]` `timeout = "..."`.
//!
//! Parsed by hand over the token trees, one comma-separated option at a time, so that
//! every mistake is reported at once, each spanned on its own tokens.

use proc_macro2::{Delimiter, Ident, TokenStream, TokenTree};
use syn::LitStr;

/// Which attribute the options are for: each accepts its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attribute {
    /// `#[fate::supervised]`.
    Supervised,
    /// `#[fate::test]`.
    Test,
}

impl Attribute {
    /// The options it accepts, for error messages.
    fn options(self) -> &'static str {
        match self {
            Attribute::Supervised => {
                "`name = \"...\"`, `restart = N` (with `within`, `backoff`, `max_backoff`), \
                 `stall = \"...\"`, `max_poll = \"...\"`, `critical = false`, `exit_code = N`, \
                 `grace = \"...\"`, `wait`, `all_panics`, `signals`, `systemd = \"manual\"` or \
                 `crate = \"...\"`"
            }
            Attribute::Test => {
                "`grace = \"...\"`, `wait`, `timeout = \"...\"`, `all_panics` or `crate = \"...\"`"
            }
        }
    }
}

#[derive(Default)]
pub(crate) struct Args {
    pub(crate) name: Option<Name>,
    pub(crate) grace: Option<Grace>,
    /// The `wait` keyword.
    pub(crate) wait: Option<Ident>,
    pub(crate) krate: Option<syn::Path>,
    /// `timeout = "..."` (tests only).
    pub(crate) timeout: Option<Grace>,
    /// The `all_panics` keyword.
    pub(crate) all_panics: Option<Ident>,
    /// `restart = N`.
    pub(crate) restart: Option<Restart>,
    /// `within = "..."`, `backoff = "..."`, `max_backoff = "..."`: the rest of the
    /// restart policy.
    pub(crate) within: Option<Grace>,
    pub(crate) backoff: Option<Grace>,
    pub(crate) max_backoff: Option<Grace>,
    /// `critical = false` (or `true`, the default).
    pub(crate) critical: Option<Critical>,
    /// `stall = "..."`: the heartbeat budget.
    pub(crate) stall: Option<Grace>,
    /// `max_poll = "..."` (async workers): the longest one poll may run.
    pub(crate) max_poll: Option<Grace>,
    /// `exit_code = N`: the status the worker's failure ends the process with.
    pub(crate) exit_code: Option<ExitCode>,
    /// The `signals` keyword (`main` only).
    pub(crate) signals: Option<Ident>,
    /// `systemd = "manual"` (`main` only): `READY=1` at `fate::ready()`.
    pub(crate) systemd_manual: Option<TokenStream>,
}

impl Args {
    /// `critical = false`.
    pub(crate) fn not_critical(&self) -> bool {
        self.critical
            .as_ref()
            .is_some_and(|critical| !critical.value)
    }
}

/// `critical = ..`.
pub(crate) struct Critical {
    pub(crate) option: TokenStream,
    pub(crate) value: bool,
}

/// `exit_code = N`.
pub(crate) struct ExitCode {
    pub(crate) option: TokenStream,
    pub(crate) code: u8,
}

/// `restart = N`.
pub(crate) struct Restart {
    pub(crate) option: TokenStream,
    pub(crate) times: u32,
}

pub(crate) struct Name {
    /// `name = "..."`, for errors about the option as a whole.
    pub(crate) option: TokenStream,
    pub(crate) value: String,
}

/// A duration option (`grace`, `timeout`).
pub(crate) struct Grace {
    /// `grace = "..."`, for errors about the option as a whole.
    pub(crate) option: TokenStream,
    pub(crate) millis: u64,
}

/// Collects errors and combines them into one `syn::Error` at the end.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

pub(crate) fn parse(tokens: TokenStream, attribute: Attribute, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    for option in split_commas(tokens, attribute, errors) {
        if let Err(error) = parse_option(&option, attribute, &mut args) {
            errors.push(error);
        }
    }
    args
}

/// The comma-separated options; one trailing comma is fine, an empty option is not.
fn split_commas(
    tokens: TokenStream,
    attribute: Attribute,
    errors: &mut Errors,
) -> Vec<Vec<TokenTree>> {
    let mut options: Vec<Vec<TokenTree>> = vec![Vec::new()];
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                if options.last().is_some_and(Vec::is_empty) {
                    errors.push(syn::Error::new(
                        p.span(),
                        format!(
                            "unexpected `,`: expected an option, {}",
                            attribute.options()
                        ),
                    ));
                } else {
                    options.push(Vec::new());
                }
            }
            _ => options.last_mut().expect("never empty").push(token),
        }
    }
    options.retain(|option| !option.is_empty());
    options
}

fn parse_option(option: &[TokenTree], attribute: Attribute, args: &mut Args) -> syn::Result<()> {
    let key = match &option[0] {
        TokenTree::Ident(ident) => ident.clone(),
        other => {
            return Err(syn::Error::new(
                other.span(),
                format!("expected an option: {}", attribute.options()),
            ));
        }
    };
    let key_name = key.to_string();
    let value = match option.get(1) {
        None => None,
        Some(TokenTree::Punct(eq)) if eq.as_char() == '=' => match &option[2..] {
            [value] => Some(value),
            [] => {
                return Err(syn::Error::new(
                    eq.span(),
                    format!("expected a value after `{key_name} =`"),
                ));
            }
            [TokenTree::Punct(minus), TokenTree::Literal(_), ..] if minus.as_char() == '-' => {
                return Err(syn::Error::new(
                    minus.span(),
                    format!("`{key_name}` cannot be negative"),
                ));
            }
            [_, extra, ..] => {
                return Err(syn::Error::new(
                    extra.span(),
                    "unexpected tokens: options are separated by commas",
                ));
            }
        },
        Some(other) => {
            return Err(syn::Error::new(
                other.span(),
                format!("expected `=` or `,` after `{key_name}`"),
            ));
        }
    };
    let string = |value: Option<&TokenTree>, example: &str| -> syn::Result<LitStr> {
        let Some(value) = value else {
            return Err(syn::Error::new(
                key.span(),
                format!("`{key_name}` needs a value, as in `{key_name} = {example}`"),
            ));
        };
        let lit = syn::parse2::<LitStr>(unwrap_none_group(value)).map_err(|_| {
            syn::Error::new(
                value.span(),
                format!("expected a string, as in `{key_name} = {example}`"),
            )
        })?;
        if !lit.suffix().is_empty() {
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "unexpected suffix `{}` after the string, as in `{key_name} = {example}`",
                    lit.suffix()
                ),
            ));
        }
        Ok(lit)
    };
    let duplicate = || syn::Error::new(key.span(), format!("`{key_name}` set multiple times"));
    let whole: TokenStream = option.iter().cloned().collect();
    match key_name.as_str() {
        "name" => {
            let lit = string(value, "\"consumer\"")?;
            if lit.value().is_empty() {
                return Err(syn::Error::new(
                    lit.span(),
                    "a worker's name cannot be empty",
                ));
            }
            let name = Name {
                option: whole,
                value: lit.value(),
            };
            if args.name.replace(name).is_some() {
                return Err(duplicate());
            }
        }
        "grace" | "timeout" | "within" | "backoff" | "max_backoff" | "stall" | "max_poll" => {
            let lit = string(value, "\"2s\"")?;
            let what = match key_name.as_str() {
                "grace" => "grace period",
                "within" => "restart window",
                "backoff" | "max_backoff" => "backoff",
                "stall" => "heartbeat budget",
                "max_poll" => "poll budget",
                _ => "timeout",
            };
            let millis = parse_duration(&lit.value()).map_err(|why| {
                syn::Error::new(
                    lit.span(),
                    format!(
                        "invalid {what} {:?}: {why}; write a number and a unit, as in \
                         \"500ms\", \"2s\" or \"1m\"",
                        lit.value()
                    ),
                )
            })?;
            let duration = Grace {
                option: whole,
                millis,
            };
            let slot = match key_name.as_str() {
                "grace" => &mut args.grace,
                "timeout" => {
                    if attribute != Attribute::Test {
                        return Err(syn::Error::new(
                            key.span(),
                            "`timeout` is an option of `#[fate::test]`; a program's `main` runs \
                             as long as it runs",
                        ));
                    }
                    &mut args.timeout
                }
                budget @ ("stall" | "max_poll") => {
                    if attribute == Attribute::Test {
                        return Err(syn::Error::new(
                            key.span(),
                            format!(
                                "`{budget}` is an option of a worker, \
                                 `#[fate::supervised({budget} = \"..\")]`; a test's budget is \
                                 `timeout`"
                            ),
                        ));
                    }
                    if duration.millis == 0 {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!(
                                "a `{budget}` of 0 would fail the worker at once: give it time"
                            ),
                        ));
                    }
                    if budget == "stall" {
                        &mut args.stall
                    } else {
                        &mut args.max_poll
                    }
                }
                restart_option => {
                    if attribute == Attribute::Test {
                        return Err(restart_on_test(&key));
                    }
                    if restart_option == "within" && duration.millis == 0 {
                        return Err(syn::Error::new(
                            lit.span(),
                            "the restart window cannot be 0: `within = \"10s\"` allows `restart \
                             = N` restarts in any 10 s",
                        ));
                    }
                    match restart_option {
                        "within" => &mut args.within,
                        "backoff" => &mut args.backoff,
                        _ => &mut args.max_backoff,
                    }
                }
            };
            if slot.replace(duration).is_some() {
                return Err(duplicate());
            }
        }
        "restart" => {
            if attribute == Attribute::Test {
                return Err(restart_on_test(&key));
            }
            let Some(value) = value else {
                return Err(syn::Error::new(
                    key.span(),
                    "`restart` needs a number, as in `restart = 3` (at most 3 restarts within \
                     `within`, 5 s unless set)",
                ));
            };
            let lit = syn::parse2::<syn::LitInt>(unwrap_none_group(value)).map_err(|_| {
                syn::Error::new(
                    value.span(),
                    "expected a whole number of restarts, as in `restart = 3`",
                )
            })?;
            if !lit.suffix().is_empty() {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "unexpected suffix `{}`: write the number alone, as in `restart = 3`",
                        lit.suffix()
                    ),
                ));
            }
            let times: u32 = lit.base10_parse().map_err(|_| {
                syn::Error::new(lit.span(), "too many restarts: at most 4294967295")
            })?;
            if times == 0 {
                return Err(syn::Error::new(
                    lit.span(),
                    "`restart = 0` restarts nothing: remove the option, or allow at least one \
                     restart",
                ));
            }
            let restart = Restart {
                option: whole,
                times,
            };
            if args.restart.replace(restart).is_some() {
                return Err(duplicate());
            }
        }
        "exit_code" => {
            if attribute == Attribute::Test {
                return Err(syn::Error::new(
                    key.span(),
                    "`exit_code` is an option of a worker, `#[fate::supervised(exit_code = 78)]`: \
                     a test's failure is the test harness's to report",
                ));
            }
            let Some(value) = value else {
                return Err(syn::Error::new(
                    key.span(),
                    "`exit_code` needs a status, as in `exit_code = 78`: the status the \
                     process ends with when this worker's failure is the first",
                ));
            };
            let code = exit_code(value)?;
            let exit_code = ExitCode {
                option: whole,
                code,
            };
            if args.exit_code.replace(exit_code).is_some() {
                return Err(duplicate());
            }
        }
        "critical" => {
            if attribute == Attribute::Test {
                return Err(syn::Error::new(
                    key.span(),
                    "`critical` is an option of a worker, `#[fate::supervised(critical = false)]`",
                ));
            }
            let Some(value) = value else {
                return Err(syn::Error::new(
                    key.span(),
                    "`critical` needs a value: `critical = false` reports the worker's failures \
                     without failing its root",
                ));
            };
            let lit = syn::parse2::<syn::LitBool>(unwrap_none_group(value)).map_err(|_| {
                syn::Error::new(
                    value.span(),
                    "expected `true` or `false`, as in `critical = false`",
                )
            })?;
            let critical = Critical {
                option: whole,
                value: lit.value,
            };
            if args.critical.replace(critical).is_some() {
                return Err(duplicate());
            }
        }
        "systemd" => {
            if attribute == Attribute::Test {
                return Err(syn::Error::new(
                    key.span(),
                    "`systemd` is an option of `#[fate::supervised] fn main`",
                ));
            }
            let lit = string(value, "\"manual\"")?;
            if lit.value() != "manual" {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "expected `systemd = \"manual\"` (READY=1 at `fate::ready()`), found {:?}; \
                         without the option, READY=1 is sent when `main`'s body starts",
                        lit.value()
                    ),
                ));
            }
            if args.systemd_manual.replace(whole).is_some() {
                return Err(duplicate());
            }
        }
        "signals" => {
            if attribute == Attribute::Test {
                return Err(syn::Error::new(
                    key.span(),
                    "`signals` is an option of `#[fate::supervised] fn main`: a test does not \
                     stop on a signal",
                ));
            }
            if let Some(value) = value {
                return Err(syn::Error::new(
                    value.span(),
                    "`signals` takes no value: write `signals` to stop gracefully on SIGINT and \
                     SIGTERM, or leave it out",
                ));
            }
            if args.signals.replace(key.clone()).is_some() {
                return Err(duplicate());
            }
        }
        "all_panics" => {
            if let Some(value) = value {
                return Err(syn::Error::new(
                    value.span(),
                    "`all_panics` takes no value: write `all_panics` to make every panic of the \
                     process a failure, or leave it out",
                ));
            }
            if args.all_panics.replace(key.clone()).is_some() {
                return Err(duplicate());
            }
        }
        "wait" => {
            if let Some(value) = value {
                return Err(syn::Error::new(
                    value.span(),
                    "`wait` takes no value: write `wait` to wait for running workers, or leave it out",
                ));
            }
            if args.wait.replace(key.clone()).is_some() {
                return Err(duplicate());
            }
        }
        "crate" => {
            let lit = string(value, "\"::fate\"")?;
            let path = lit.parse::<syn::Path>().map_err(|_| {
                syn::Error::new(
                    lit.span(),
                    format!(
                        "expected a path to the fate crate, as in `crate = \"::fate\"`, found {:?}",
                        lit.value()
                    ),
                )
            })?;
            if args.krate.replace(path).is_some() {
                return Err(duplicate());
            }
        }
        _ => {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "unknown option `{key_name}`; expected {}",
                    attribute.options()
                ),
            ));
        }
    }
    Ok(())
}

/// The status of `exit_code = N`: 1 to 255, and none of those that already mean
/// something else to whoever reads the status: fate's own classes (8, 9), a shell's
/// (126, 127, and 129 to 192, "killed by signal n"), systemd's own failures (200 to
/// 244) and 255 (`exit(-1)`).
fn exit_code(value: &TokenTree) -> syn::Result<u8> {
    let lit = syn::parse2::<syn::LitInt>(unwrap_none_group(value)).map_err(|_| {
        syn::Error::new(
            value.span(),
            "expected an exit status from 1 to 254, as in `exit_code = 78`",
        )
    })?;
    if !lit.suffix().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "unexpected suffix `{}`: write the status alone, as in `exit_code = 78`",
                lit.suffix()
            ),
        ));
    }
    let code: u64 = lit
        .base10_parse()
        .map_err(|_| syn::Error::new(lit.span(), "an exit status is at most 255"))?;
    let taken = |what: String| {
        syn::Error::new(
            lit.span(),
            format!(
                "`exit_code = {code}` {what}: choose another status, such as 78 (a bad \
                 configuration, as sysexits.h has it)"
            ),
        )
    };
    match code {
        0 => Err(syn::Error::new(
            lit.span(),
            "`exit_code = 0` would end the process as a success after a failure: use a \
             status from 1 to 254",
        )),
        8 => Err(taken("is fate's own status for a stalled worker".into())),
        9 => Err(taken(
            "is fate's own status for a stop cut off by its grace period".into(),
        )),
        126 | 127 => Err(taken(
            "means \"cannot run\" or \"not found\" to a shell".into(),
        )),
        129..=192 => Err(taken(format!(
            "reads as \"killed by signal {}\" (128 + n)",
            code - 128
        ))),
        200..=244 => Err(taken(
            "is one of systemd's own statuses (its failures to start a service)".into(),
        )),
        255 => Err(taken("is what `exit(-1)` gives".into())),
        1..=254 => Ok(code as u8),
        _ => Err(syn::Error::new(lit.span(), "an exit status is at most 255")),
    }
}

fn restart_on_test(key: &Ident) -> syn::Error {
    syn::Error::new(
        key.span(),
        format!(
            "`{key}` is an option of a worker, `#[fate::supervised(restart = N)]`: a test runs \
             once"
        ),
    )
}

/// Literals that come through `macro_rules!` are wrapped in invisible groups.
fn unwrap_none_group(token: &TokenTree) -> TokenStream {
    match token {
        TokenTree::Group(group) if group.delimiter() == Delimiter::None => group.stream(),
        other => other.clone().into(),
    }
}

/// Parses `"0"`, `"500ms"`, `"2s"`, `"1.5s"`, `"1m"` into milliseconds.
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty".into());
    }
    if text.starts_with('-') {
        return Err("a duration cannot be negative".into());
    }
    if text.starts_with('+') {
        return Err("write the number without a sign".into());
    }
    if text == "0" {
        return Ok(0);
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = (&text[..split], text[split..].trim());
    if number.is_empty() {
        return Err(format!("`{text}` is not a number"));
    }
    let unit_ms = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "" => return Err("missing unit (ms, s or m)".into()),
        other => return Err(format!("unknown unit `{other}` (use ms, s or m)")),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(fraction.is_empty() || digits(fraction)) || number.ends_with('.') {
        return Err("not a number".into());
    }
    let whole: u64 = whole.parse().map_err(|_| "too large")?;
    let mut millis = whole.checked_mul(unit_ms).ok_or("too large")?;
    if !fraction.is_empty() {
        if unit_ms == 1 {
            return Err("milliseconds must be whole".into());
        }
        if fraction.len() > 6 {
            return Err("more precise than a millisecond".into());
        }
        let divisor = 10u64.pow(fraction.len() as u32);
        let fraction: u64 = fraction.parse().map_err(|_| "not a number")?;
        let scaled = fraction * unit_ms;
        if scaled % divisor != 0 {
            return Err("more precise than a millisecond".into());
        }
        millis = millis.checked_add(scaled / divisor).ok_or("too large")?;
    }
    Ok(millis)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("2s"), Ok(2000));
        assert_eq!(parse_duration("1.5s"), Ok(1500));
        assert_eq!(parse_duration("0.25s"), Ok(250));
        assert_eq!(parse_duration("1m"), Ok(60_000));
        assert_eq!(parse_duration("0.5m"), Ok(30_000));
        assert!(parse_duration("2").is_err());
        assert_eq!(
            parse_duration("2x"),
            Err("unknown unit `x` (use ms, s or m)".to_owned())
        );
        assert_eq!(
            parse_duration("1h"),
            Err("unknown unit `h` (use ms, s or m)".to_owned())
        );
        assert_eq!(
            parse_duration("2 weeks"),
            Err("unknown unit `weeks` (use ms, s or m)".to_owned())
        );
        assert_eq!(parse_duration("1.5 s"), Ok(1500));
        assert_eq!(
            parse_duration("soon"),
            Err("`soon` is not a number".to_owned())
        );
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1.s").is_err());
        assert!(parse_duration(".5s").is_err());
        assert!(parse_duration("1.5ms").is_err());
        assert!(parse_duration("0.0001s").is_err());
        assert_eq!(
            parse_duration("-1s"),
            Err("a duration cannot be negative".to_owned())
        );
        assert_eq!(parse_duration(""), Err("it is empty".to_owned()));
        assert_eq!(parse_duration("  "), Err("it is empty".to_owned()));
        assert!(parse_duration("99999999999999999999s").is_err());
    }
}
