//! Property tests: the expander never panics, whatever tokens it is given.
//!
//! `expand::supervised(args, item)` is fed real worker and `main` signatures (with
//! real options), then the same cut, shuffled, spliced into each other, with tokens
//! and odd attributes inserted, groups re-delimited, at any depth; and also token
//! streams made up from nothing. For each input it must:
//!
//! - return, without panicking, a non-empty token stream, the same one each time;
//! - on an input it rejects, return the item unchanged followed by `compile_error!`s,
//!   each with a message;
//! - reject every item whose signature is not a function's (checked against `syn`'s
//!   own `ItemFn` with the body emptied), and every option it does not know;
//! - when it accepts a function whose body is valid Rust, return a valid Rust file
//!   that calls into `__private`.
//!
//! The number of cases is set for a few seconds in CI; `PROPTEST_CASES` runs more
//! (it applies to each of the properties).

use std::panic::{self, AssertUnwindSafe};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::expand::supervised;

/// Cases for each property, unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 2_000;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(CASES);
    Config {
        cases,
        // No `proptest-regressions/` files in the source tree: a failure prints its
        // minimal input, which belongs in a unit test.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------
// The corpus: real uses of the attribute, valid or misused.
// ---------------------------------------------------------------------------------

/// Functions the attribute accepts with no option, each a real shape of worker or root.
const VALID_ITEMS: &[&str] = &[
    "fn produce(tx: Sender<u32>) { for i in 0.. { tx.send(i).unwrap(); } }",
    "pub(crate) fn consume(rx: Receiver<Job>) -> std::io::Result<()> { for job in rx { job.run()?; } Ok(()) }",
    "/// Parses.\n#[inline] pub fn parse<T: FromStr>(s: &str) -> Result<T, T::Err> where T::Err: Display { s.trim().parse() }",
    "fn first<'a>(values: &'a [u32]) -> Option<&'a u32> { values.first() }",
    "fn evens(n: u32) -> impl Iterator<Item = u32> { (0..n).filter(|x| x % 2 == 0) }",
    "fn shown() -> Result<impl Display, io::Error> { Ok(7) }",
    "fn read(&self) -> anyhow::Result<u32> { let n = self.load()?; if n == 0 { return Err(anyhow!(\"zero\")); } Ok(n) }",
    "fn push(&mut self, value: u32) { self.values.push(value) }",
    "fn into_parts(self) -> (u32, u32) { (self.a, self.b) }",
    "fn boxed(self: Box<Self>) -> Box<dyn Fn() + Send> { Box::new(move || drop(self)) }",
    "fn sum((a, b): (u32, u32), [c, ..]: [u32; 3]) -> u32 { a + b + c }",
    "fn never_returns() -> ! { loop { std::thread::park(); } }",
    "unsafe fn raw(p: *const u8) -> u8 { unsafe { *p } }",
    "extern \"C-unwind\" fn callback(x: i32) -> i32 { x + 1 }",
    "extern \"Rust\" fn explicit(x: i32) -> i32 { x + 1 }",
    "fn inner_attrs() { #![allow(unused)] let x = 1; }",
    "async fn handle(request: u32) -> Result<(), Error> { tokio::time::sleep(D).await; check(request).await?; Ok(()) }",
    "pub async fn plain(x: &str) { println!(\"{x}\"); }",
    "async fn borrowed<'a, T: Sync>(items: &'a [T]) -> usize where T: Debug { items.len() }",
    "fn main() { run(); }",
    "fn main() -> Result<(), fate::Error> { Ok(()) }",
    "fn main() -> Result<(), Box<dyn std::error::Error>> { let x: u32 = \"7\".parse()?; Ok(()) }",
    "fn main() -> std::process::ExitCode { std::process::ExitCode::SUCCESS }",
    "fn main() -> anyhow::Result<()> { loop { std::thread::park(); } }",
    "#[tokio::main] async fn main() { tokio::spawn(work()); fate::cancelled().await; }",
    "#[tokio::main(flavor = \"current_thread\")] #[allow(unused)] async fn main() -> Result<(), anyhow::Error> { Ok(()) }",
    "#[async_std::main] async fn main() -> std::io::Result<()> { Ok(()) }",
];

/// Items the attribute must reject (misuse, or not a function).
const MISUSED_ITEMS: &[&str] = &[
    "const fn fixed() -> u32 { 1 }",
    "async fn main() { }",
    "fn main(args: Vec<String>) { }",
    "fn main<T>() { }",
    "fn main() where u8: Copy { }",
    "fn main() -> u32 { 0 }",
    "fn main() -> Option<()> { None }",
    "fn main() -> impl Display { 1 }",
    "struct Worker;",
    "impl Worker { fn run(&self) {} }",
    "impl X { fn main(&self) -> u32 { 3 } }",
    "mod m { fn f() {} }",
    "fn declared();",
    "trait T { fn f(); }",
    "let x = 1;",
    "fn f() ( )",
    "fn f() {} fn g() {}",
    "unsafe extern \"C\" fn variadic(x: i32, ...) { }",
    "extern \"C\" fn callback(x: i32) -> i32 { x + 1 }",
    "extern fn implicit_c(x: i32) -> i32 { x + 1 }",
    "",
];

/// Options that are valid on a worker.
const WORKER_ARGS: &[&str] = &[
    "",
    "name = \"consumer\"",
    "crate = \"::fate\"",
    "name = \"config loader\", crate = \"crate::fate\"",
    "name = r\"raw\"",
    "name = \"\u{1F980} caf\\u{e9}\"",
];

/// Options that are valid on `main`.
const MAIN_ARGS: &[&str] = &[
    "",
    "grace = \"2s\"",
    "wait",
    "grace = \"1.5s\", wait",
    "grace = \"500ms\", wait, crate = \"my::fate\",",
    "grace = \"307445734561825.86m\"",
    "grace = \" 2 s \"",
];

/// Options that are broken or misused.
const ARGS: &[&str] = &[
    "name = \"\"",
    "name = \"a\", name = \"b\"",
    "grace = \"1e3s\"",
    "grace = 2",
    "grace = \"99999999999999999999m\"",
    "grace = \"307445734561825.87m\"",
    "grace = \"18446744073709552s\"",
    "grace = \"0.0000001s\"",
    "grace = \"\u{663}s\"",
    "grace = \"-1s\"",
    "grace = \"0.999999m\"",
    "wait = true",
    "wait wait",
    "unknown",
    "crate = \"not a path\"",
    "crate = \"\"",
    "crate = \"::\"",
    "name = b\"bytes\"",
    "name = \"x\" \"y\"",
    "name = 'c'",
    "=",
    "= \"x\"",
    "(wait)",
    "name: \"x\"",
    "name = \"x\"; wait",
    "123 = \"x\"",
    "self",
];

/// Options with stray commas: an empty option is malformed, a compile error (one
/// trailing comma is fine).
const STRAY_COMMAS: &[&str] = &[", , ,", ",wait", "wait,,", "grace = \"1s\",,wait", ","];

/// Snippets to insert: odd attributes, qualifiers, signature pieces.
const SNIPPETS: &[&str] = &[
    "#[tokio::main]",
    "#[fate::supervised]",
    "#[supervised(wait)]",
    "#[cfg(test)]",
    "#[doc = \"docs\"]",
    "#[track_caller]",
    "#[main]",
    "#[path::to::main(x = 1)]",
    "#![inner]",
    "#[]",
    "#[=]",
    "#[(tokio)]",
    "#",
    "#!",
    "pub",
    "pub(crate)",
    "pub(in a::b)",
    "async",
    "const",
    "unsafe",
    "safe",
    "extern \"C\"",
    "extern",
    "fn",
    "main",
    "-> Result<(), fate::Error>",
    "-> impl Trait",
    "-> !",
    "->",
    "where T: Copy,",
    "<'a, T: 'a, const N: usize>",
    "(self)",
    "(&mut self, x: u32)",
    "(...)",
    "{ }",
    "{ #![allow(unused)] }",
    ";",
    "'a",
    "'static",
    "r#fn",
    "r#main",
    "_",
    "$crate",
    "::",
    "...",
];

fn parse(text: &str) -> TokenStream {
    text.parse()
        .unwrap_or_else(|error| panic!("corpus entry {text:?} does not lex: {error}"))
}

// ---------------------------------------------------------------------------------
// Mutations of token streams.
// ---------------------------------------------------------------------------------

/// One change to a token stream, at a place chosen by `path`: each number picks a
/// group (modulo how many there are) to go down into, as long as there is one.
#[derive(Clone, Debug)]
struct Mutation {
    path: Vec<usize>,
    kind: MutationKind,
}

#[derive(Clone, Debug)]
enum MutationKind {
    /// Removes the token at this index (modulo the length).
    Delete(usize),
    /// Writes the token at this index twice.
    Duplicate(usize),
    /// Swaps two tokens.
    Swap(usize, usize),
    /// Cuts the stream after this many tokens.
    Truncate(usize),
    /// Keeps only the tokens from this index on.
    DropFront(usize),
    /// Inserts these tokens at this index.
    Insert(usize, Tokens),
    /// Reverses the order of `len` tokens from this index.
    Reverse(usize, usize),
    /// Gives the group at this index (if any) this delimiter.
    Redelimit(usize, Delim),
    /// Replaces the token at this index by these tokens.
    Replace(usize, Tokens),
}

/// Tokens kept as text (proptest needs `Debug + Clone`; `TokenStream` is both, but
/// shrinks poorly): lexed when the mutation applies.
#[derive(Clone, Debug)]
enum Tokens {
    Text(&'static str),
    /// `count` token trees of a corpus entry, from `from` (modulo its length).
    Piece {
        of: &'static str,
        from: usize,
        count: usize,
    },
    Tree(Tree),
}

#[derive(Clone, Copy, Debug)]
enum Delim {
    Paren,
    Brace,
    Bracket,
    None,
}

impl Delim {
    fn to_delimiter(self) -> Delimiter {
        match self {
            Delim::Paren => Delimiter::Parenthesis,
            Delim::Brace => Delimiter::Brace,
            Delim::Bracket => Delimiter::Bracket,
            Delim::None => Delimiter::None,
        }
    }
}

impl Tokens {
    fn to_stream(&self) -> TokenStream {
        match self {
            Tokens::Text(text) => parse(text),
            Tokens::Piece { of, from, count } => {
                let all: Vec<TokenTree> = parse(of).into_iter().collect();
                let from = if all.is_empty() { 0 } else { from % all.len() };
                let to = (from + count).min(all.len());
                all[from..to].iter().cloned().collect()
            }
            Tokens::Tree(tree) => tree.to_stream(),
        }
    }
}

fn apply(stream: TokenStream, mutation: &Mutation) -> TokenStream {
    apply_at(stream, &mutation.path, &mutation.kind)
}

fn apply_at(stream: TokenStream, path: &[usize], kind: &MutationKind) -> TokenStream {
    let mut tokens: Vec<TokenTree> = stream.into_iter().collect();
    if let Some((&step, rest)) = path.split_first() {
        let groups: Vec<usize> = tokens
            .iter()
            .enumerate()
            .filter(|(_, token)| matches!(token, TokenTree::Group(_)))
            .map(|(index, _)| index)
            .collect();
        if !groups.is_empty() {
            let index = groups[step % groups.len()];
            if let TokenTree::Group(group) = &tokens[index] {
                let mut inner = Group::new(group.delimiter(), apply_at(group.stream(), rest, kind));
                inner.set_span(group.span());
                tokens[index] = TokenTree::Group(inner);
            }
            return tokens.into_iter().collect();
        }
    }
    let len = tokens.len();
    let at = |index: usize| if len == 0 { 0 } else { index % len };
    match kind {
        MutationKind::Delete(index) if len > 0 => {
            tokens.remove(at(*index));
        }
        MutationKind::Duplicate(index) if len > 0 => {
            let token = tokens[at(*index)].clone();
            tokens.insert(at(*index), token);
        }
        MutationKind::Swap(a, b) if len > 0 => tokens.swap(at(*a), at(*b)),
        MutationKind::Truncate(keep) => tokens.truncate(keep % (len + 1)),
        MutationKind::DropFront(from) => {
            tokens.drain(..from % (len + 1));
        }
        MutationKind::Insert(index, insert) => {
            let index = index % (len + 1);
            tokens.splice(index..index, insert.to_stream());
        }
        MutationKind::Reverse(from, count) if len > 0 => {
            let from = at(*from);
            let to = (from + count % (len - from + 1)).min(len);
            tokens[from..to].reverse();
        }
        MutationKind::Redelimit(index, delim) if len > 0 => {
            if let TokenTree::Group(group) = &tokens[at(*index)] {
                let mut changed = Group::new(delim.to_delimiter(), group.stream());
                changed.set_span(group.span());
                tokens[at(*index)] = TokenTree::Group(changed);
            }
        }
        MutationKind::Replace(index, with) if len > 0 => {
            let index = at(*index);
            tokens.splice(index..=index, with.to_stream());
        }
        _ => {}
    }
    tokens.into_iter().collect()
}

// ---------------------------------------------------------------------------------
// Arbitrary token trees.
// ---------------------------------------------------------------------------------

/// A token tree made up by proptest (kept as data so that it shrinks).
#[derive(Clone, Debug)]
enum Tree {
    Ident(String),
    Punct(char, bool),
    Literal(Lit),
    Lifetime(String),
    Group(Delim, Vec<Tree>),
}

#[derive(Clone, Debug)]
enum Lit {
    Str(String),
    ByteStr(Vec<u8>),
    Char(char),
    Int(u64),
    Suffixed(u8),
    Float(f64),
    CStr,
}

impl Tree {
    fn push_to(&self, out: &mut Vec<TokenTree>) {
        match self {
            Tree::Ident(name) => out.push(ident(name).into()),
            Tree::Punct(ch, joint) => {
                let spacing = if *joint {
                    Spacing::Joint
                } else {
                    Spacing::Alone
                };
                out.push(Punct::new(*ch, spacing).into());
            }
            Tree::Literal(lit) => out.push(
                match lit {
                    Lit::Str(text) => Literal::string(text),
                    Lit::ByteStr(bytes) => Literal::byte_string(bytes),
                    Lit::Char(ch) => Literal::character(*ch),
                    Lit::Int(n) => Literal::u64_unsuffixed(*n),
                    Lit::Suffixed(n) => Literal::u8_suffixed(*n),
                    Lit::Float(x) => Literal::f64_unsuffixed(*x),
                    Lit::CStr => "c\"nul\"".parse().expect("a C string literal"),
                }
                .into(),
            ),
            Tree::Lifetime(name) => {
                out.push(Punct::new('\'', Spacing::Joint).into());
                out.push(ident(name).into());
            }
            Tree::Group(delim, trees) => {
                let mut inner = Vec::new();
                for tree in trees {
                    tree.push_to(&mut inner);
                }
                out.push(Group::new(delim.to_delimiter(), inner.into_iter().collect()).into());
            }
        }
    }

    fn to_stream(&self) -> TokenStream {
        let mut out = Vec::new();
        self.push_to(&mut out);
        out.into_iter().collect()
    }
}

/// An identifier, raw when it must be (`r#fn`), as a macro input can hold.
fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

const IDENTS: &[&str] = &[
    "fn",
    "main",
    "async",
    "await",
    "const",
    "unsafe",
    "safe",
    "extern",
    "pub",
    "crate",
    "self",
    "Self",
    "super",
    "impl",
    "dyn",
    "where",
    "for",
    "mut",
    "ref",
    "move",
    "return",
    "loop",
    "struct",
    "mod",
    "use",
    "type",
    "static",
    "let",
    "if",
    "else",
    "match",
    "Result",
    "Option",
    "Box",
    "Send",
    "Sync",
    "u32",
    "name",
    "grace",
    "wait",
    "supervised",
    "fate",
    "__private",
    "tokio",
    "x",
    "_",
    "r#type",
    "r#match",
    "r#async",
    "r#fn",
    "é",
    "Ünïcödé",
    "a1",
];

const PUNCTS: &[char] = &[
    '=', '<', '>', '!', '~', '+', '-', '*', '/', '%', '^', '&', '|', '@', '.', ',', ';', ':', '#',
    '$', '?', '\'',
];

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        4 => proptest::sample::select(IDENTS).prop_map(|name| Tree::Ident(name.to_owned())),
        4 => (proptest::sample::select(PUNCTS), any::<bool>())
            .prop_map(|(ch, joint)| Tree::Punct(ch, joint)),
        1 => proptest::sample::select(&["a", "static", "_", "fn"][..])
            .prop_map(|name| Tree::Lifetime(name.to_owned())),
        2 => prop_oneof![
            any::<String>().prop_map(Lit::Str),
            proptest::sample::select(&["2s", "1.5s", "500ms", "", "::fate", "0", "1m", "x y"][..])
                .prop_map(|s| Lit::Str(s.to_owned())),
            proptest::collection::vec(any::<u8>(), 0..4).prop_map(Lit::ByteStr),
            any::<char>().prop_map(Lit::Char),
            any::<u64>().prop_map(Lit::Int),
            any::<u8>().prop_map(Lit::Suffixed),
            (0.0..1e9f64).prop_map(Lit::Float),
            Just(Lit::CStr),
        ]
        .prop_map(Tree::Literal),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        (
            prop_oneof![
                Just(Delim::Paren),
                Just(Delim::Brace),
                Just(Delim::Bracket),
                Just(Delim::None)
            ],
            proptest::collection::vec(inner, 0..6),
        )
            .prop_map(|(delim, trees)| Tree::Group(delim, trees))
    })
}

fn trees(max: usize) -> impl Strategy<Value = Vec<Tree>> {
    proptest::collection::vec(tree(), 0..max)
}

fn stream_of(trees: &[Tree]) -> TokenStream {
    trees.iter().flat_map(Tree::to_stream).collect()
}

fn delim() -> impl Strategy<Value = Delim> {
    prop_oneof![
        Just(Delim::Paren),
        Just(Delim::Brace),
        Just(Delim::Bracket),
        Just(Delim::None)
    ]
}

fn tokens() -> impl Strategy<Value = Tokens> {
    prop_oneof![
        3 => proptest::sample::select(SNIPPETS).prop_map(Tokens::Text),
        // A piece of another corpus entry: signatures spliced into each other.
        2 => (
            proptest::sample::select(corpus_texts()),
            any::<usize>(),
            0usize..8
        )
            .prop_map(|(of, from, count)| Tokens::Piece { of, from, count }),
        2 => tree().prop_map(Tokens::Tree),
    ]
}

fn corpus_texts() -> Vec<&'static str> {
    VALID_ITEMS
        .iter()
        .chain(MISUSED_ITEMS)
        .chain(WORKER_ARGS)
        .chain(MAIN_ARGS)
        .chain(ARGS)
        .chain(STRAY_COMMAS)
        .copied()
        .collect()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let kind = prop_oneof![
        3 => any::<usize>().prop_map(MutationKind::Delete),
        1 => any::<usize>().prop_map(MutationKind::Duplicate),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| MutationKind::Swap(a, b)),
        1 => any::<usize>().prop_map(MutationKind::Truncate),
        1 => any::<usize>().prop_map(MutationKind::DropFront),
        3 => (any::<usize>(), tokens()).prop_map(|(at, t)| MutationKind::Insert(at, t)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| MutationKind::Reverse(a, n)),
        1 => (any::<usize>(), delim()).prop_map(|(a, d)| MutationKind::Redelimit(a, d)),
        2 => (any::<usize>(), tokens()).prop_map(|(at, t)| MutationKind::Replace(at, t)),
    ];
    (proptest::collection::vec(any::<usize>(), 0..3), kind)
        .prop_map(|(path, kind)| Mutation { path, kind })
}

/// A corpus entry (args, item) with mutations applied to either.
#[derive(Clone, Debug)]
struct Mutated {
    args: &'static str,
    item: &'static str,
    args_mutations: Vec<Mutation>,
    item_mutations: Vec<Mutation>,
}

impl Mutated {
    fn streams(&self) -> (TokenStream, TokenStream) {
        let args = self.args_mutations.iter().fold(parse(self.args), apply);
        let item = self.item_mutations.iter().fold(parse(self.item), apply);
        (args, item)
    }
}

fn mutated() -> impl Strategy<Value = Mutated> {
    let items: Vec<&'static str> = VALID_ITEMS.iter().chain(MISUSED_ITEMS).copied().collect();
    let few = |most: usize| {
        prop_oneof![
            1 => Just(Vec::new()),
            1 => proptest::collection::vec(mutation(), 1..most),
        ]
    };
    (
        proptest::sample::select(items),
        any::<usize>(),
        few(3),
        few(5),
    )
        .prop_map(|(item, pick, args_mutations, item_mutations)| {
            // Mostly options that fit the item's role, sometimes broken ones.
            let fitting = if item.contains("fn main") {
                MAIN_ARGS
            } else {
                WORKER_ARGS
            };
            let args = if pick % 8 == 0 {
                STRAY_COMMAS[(pick / 8) % STRAY_COMMAS.len()]
            } else if pick % 4 == 0 {
                ARGS[(pick / 4) % ARGS.len()]
            } else {
                fitting[(pick / 4) % fitting.len()]
            };
            Mutated {
                args,
                item,
                args_mutations,
                item_mutations,
            }
        })
}

// ---------------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------------

/// Expands, failing the test with the input if the expander panics.
fn expand_without_panic(args: &TokenStream, item: &TokenStream) -> TokenStream {
    let (a, i) = (args.clone(), item.clone());
    match panic::catch_unwind(AssertUnwindSafe(move || supervised(a, i))) {
        Ok(tokens) => tokens,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            panic!("the expander panicked ({message}) on\n  args: {args}\n  item: {item}")
        }
    }
}

/// The messages of the `compile_error!`s in `tokens`, at any depth.
fn compile_errors(tokens: &TokenStream) -> Vec<Option<String>> {
    let mut found = Vec::new();
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (index, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Ident(name) if name == "compile_error" => {
                let bang =
                    matches!(trees.get(index + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                let message = match trees.get(index + 2) {
                    Some(TokenTree::Group(group)) if bang => {
                        syn::parse2::<syn::LitStr>(group.stream())
                            .ok()
                            .map(|lit| lit.value())
                    }
                    _ => None,
                };
                found.push(message);
            }
            TokenTree::Group(group) => found.extend(compile_errors(&group.stream())),
            _ => {}
        }
    }
    found
}

fn mentions(tokens: &TokenStream, needle: &str) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        TokenTree::Ident(name) => name == needle,
        TokenTree::Group(group) => mentions(&group.stream(), needle),
        _ => false,
    })
}

/// `item` with its last token, if it is a `{ ... }` group, emptied: what `syn` then
/// says of it is what it says of the signature alone.
fn with_empty_body(item: &TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    if let Some(TokenTree::Group(body)) = tokens.last() {
        if body.delimiter() == Delimiter::Brace {
            let last = tokens.len() - 1;
            tokens[last] = Group::new(Delimiter::Brace, TokenStream::new()).into();
        }
    }
    tokens.into_iter().collect()
}

/// Whether every comma-separated option starts with a known name and has the shape
/// `key` or `key = value`. An input failing this must be rejected.
fn options_look_known(args: &TokenStream) -> bool {
    let mut options: Vec<Vec<TokenTree>> = vec![Vec::new()];
    for tree in args.clone() {
        match &tree {
            TokenTree::Punct(p) if p.as_char() == ',' => options.push(Vec::new()),
            _ => options.last_mut().expect("never empty").push(tree),
        }
    }
    options
        .iter()
        .filter(|option| !option.is_empty())
        .all(|option| {
            let known_key = matches!(&option[0], TokenTree::Ident(key)
            if ["name", "grace", "wait", "crate"].contains(&key.to_string().as_str()));
            let shape = match option.len() {
                1 => true,
                3 => matches!(&option[1], TokenTree::Punct(eq) if eq.as_char() == '='),
                _ => false,
            };
            known_key && shape
        })
}

/// Checks every property for one input; returns whether it was accepted.
fn check(args: &TokenStream, item: &TokenStream) -> Result<bool, TestCaseError> {
    let output = expand_without_panic(args, item);
    let again = expand_without_panic(args, item);
    let context = || format!("\n  args: {args}\n  item: {item}\n  output: {output}");
    prop_assert!(!output.is_empty(), "empty expansion{}", context());
    prop_assert_eq!(
        output.to_string(),
        again.to_string(),
        "not deterministic{}",
        context()
    );

    let errors = compile_errors(&output);
    if !errors.is_empty() {
        for message in &errors {
            prop_assert!(
                message.as_ref().is_some_and(|m| !m.is_empty()),
                "a compile_error! without a message{}",
                context()
            );
        }
        // The item comes back unchanged, first, so that the user's code still
        // type-checks next to the errors.
        let kept: Vec<String> = output
            .clone()
            .into_iter()
            .take(item.clone().into_iter().count())
            .map(|tree| tree.to_string())
            .collect();
        let original: Vec<String> = item.clone().into_iter().map(|t| t.to_string()).collect();
        prop_assert_eq!(kept, original, "the item was not kept{}", context());
        return Ok(false);
    }

    // Accepted: the signature must be a function's, and the options known ones.
    prop_assert!(
        syn::parse2::<syn::ItemFn>(with_empty_body(item)).is_ok(),
        "accepted an item that is not a function{}",
        context()
    );
    prop_assert!(
        options_look_known(args),
        "accepted unknown options{}",
        context()
    );
    prop_assert!(
        mentions(&output, "__private") || mentions(&output, "supervised"),
        "accepted, but the expansion does not supervise{}",
        context()
    );
    if syn::parse2::<syn::ItemFn>(item.clone()).is_ok() {
        if let Err(error) = syn::parse2::<syn::File>(output.clone()) {
            prop_assert!(
                false,
                "accepted a valid function, but the expansion is not valid Rust: {}{}",
                error,
                context()
            );
        }
    }
    Ok(true)
}

#[test]
fn the_corpus_is_classified_as_documented() {
    for item in VALID_ITEMS {
        let accepted =
            check(&TokenStream::new(), &parse(item)).unwrap_or_else(|error| panic!("{error}"));
        assert!(accepted, "rejected {item}");
    }
    for item in MISUSED_ITEMS {
        let accepted =
            check(&TokenStream::new(), &parse(item)).unwrap_or_else(|error| panic!("{error}"));
        assert!(!accepted, "accepted the misuse {item}");
    }
    let on_both = |args: &str| {
        ["fn worker() -> io::Result<()> { Ok(()) }", "fn main() {}"]
            .map(|item| check(&parse(args), &parse(item)).unwrap_or_else(|error| panic!("{error}")))
    };
    for args in WORKER_ARGS {
        assert!(on_both(args)[0], "rejected the options {args} on a worker");
    }
    for args in MAIN_ARGS {
        assert!(on_both(args)[1], "rejected the options {args} on main");
    }
    for args in ARGS {
        assert_eq!(on_both(args), [false, false], "accepted the options {args}");
    }
}

#[test]
fn stray_commas_are_rejected_and_a_trailing_one_is_fine() {
    for args in STRAY_COMMAS {
        let accepted =
            check(&parse(args), &parse("fn main() {}")).unwrap_or_else(|error| panic!("{error}"));
        assert!(!accepted, "{args}");
    }
    for args in ["wait,", "grace = \"1s\", wait,"] {
        let accepted =
            check(&parse(args), &parse("fn main() {}")).unwrap_or_else(|error| panic!("{error}"));
        assert!(accepted, "{args}");
    }
}

proptest! {
    #![proptest_config(config())]

    /// Real signatures and options, cut, shuffled, spliced and sprinkled with odd
    /// tokens and attributes.
    #[test]
    fn mutated_real_uses_never_panic(case in mutated()) {
        let (args, item) = case.streams();
        check(&args, &item)?;
    }

    /// Streams made up from nothing, alone or after a real signature's start.
    #[test]
    fn arbitrary_tokens_never_panic(
        args in trees(6),
        prefix in proptest::sample::select(&["", "fn", "fn main", "async fn f", "pub fn f()", "#[tokio::main] async fn main()", "fn f() ->"][..]),
        rest in trees(10),
    ) {
        let args = stream_of(&args);
        let item: TokenStream = parse(prefix).into_iter().chain(stream_of(&rest)).collect();
        check(&args, &item)?;
    }
}
