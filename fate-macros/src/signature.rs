//! A function's signature, parsed with syn's type-level parsers only.
//!
//! syn's own `Signature` lives behind its `full` feature, which parses every
//! expression, statement and pattern of the language, and is most of syn's build
//! time. fate needs none of that: the body stays tokens, and an argument's pattern
//! only has to be told apart as "a plain binding" or "something else". So the
//! signature is parsed here from syn's `Type`, `Generics` and `ReturnType`, and a
//! clean build of `fate` costs what a macro crate's usually does.
//!
//! The grammar accepted is syn's: `const? async? unsafe? extern "abi"? fn name
//! <generics>(args, ...) -> ret where ...`; everything parsed prints back as written.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Abi, Attribute, Generics, Lifetime, ReturnType, Token, Type, token};

#[derive(Clone)]
pub(crate) struct Signature {
    pub(crate) constness: Option<Token![const]>,
    pub(crate) asyncness: Option<Token![async]>,
    pub(crate) unsafety: Option<Token![unsafe]>,
    pub(crate) abi: Option<Abi>,
    pub(crate) fn_token: Token![fn],
    pub(crate) ident: Ident,
    /// The parameters and the `where` clause (printed after the return type).
    pub(crate) generics: Generics,
    pub(crate) paren: token::Paren,
    pub(crate) inputs: Punctuated<FnArg, Token![,]>,
    /// A C variadic `...` (or `args: ...`), with its trailing tokens.
    pub(crate) variadic: Option<TokenStream>,
    pub(crate) output: ReturnType,
}

/// One argument.
#[derive(Clone)]
pub(crate) enum FnArg {
    /// `self`, `mut self`, `&self`, `&'a mut self`, `self: Type`, ...
    Receiver(Receiver),
    /// `pattern: Type`.
    Typed(PatType),
}

#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) attrs: Vec<Attribute>,
    /// Everything before `self` (`&`, a lifetime, `mut`).
    pub(crate) prefix: TokenStream,
    pub(crate) self_token: Token![self],
    pub(crate) ty: Option<(Token![:], Box<Type>)>,
}

#[derive(Clone)]
pub(crate) struct PatType {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) pat: Pat,
    pub(crate) colon_token: Token![:],
    pub(crate) ty: Box<Type>,
}

/// An argument's pattern, as far as fate looks into it.
#[derive(Clone)]
pub(crate) enum Pat {
    /// `name` or `mut name`: a binding that moves the argument.
    Binding {
        mutability: Option<Token![mut]>,
        ident: Ident,
    },
    /// Any other pattern (`_`, `ref x`, `(a, b)`, `Point { x, y }`, `x @ ..`), as written.
    Other(TokenStream),
}

impl Signature {
    /// The `self` argument, if the function is a method.
    pub(crate) fn receiver(&self) -> Option<&Receiver> {
        match self.inputs.first()? {
            FnArg::Receiver(receiver) => Some(receiver),
            FnArg::Typed(_) => None,
        }
    }
}

impl Parse for Signature {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let constness = input.parse()?;
        let asyncness = input.parse()?;
        let unsafety = input.parse()?;
        let abi = if input.peek(Token![extern]) {
            Some(input.parse()?)
        } else {
            None
        };
        let fn_token = input.parse()?;
        let ident = input.parse()?;
        let mut generics: Generics = input.parse()?;
        let content;
        let paren = syn::parenthesized!(content in input);
        let (inputs, variadic) = parse_arguments(&content)?;
        let output = input.parse()?;
        generics.where_clause = input.parse()?;
        Ok(Signature {
            constness,
            asyncness,
            unsafety,
            abi,
            fn_token,
            ident,
            generics,
            paren,
            inputs,
            variadic,
            output,
        })
    }
}

fn parse_arguments(
    input: ParseStream<'_>,
) -> syn::Result<(Punctuated<FnArg, Token![,]>, Option<TokenStream>)> {
    let mut inputs = Punctuated::new();
    while !input.is_empty() {
        let attrs = input.call(Attribute::parse_outer)?;
        if input.peek(Token![...]) || is_named_variadic(input) {
            let rest: TokenStream = input.parse()?;
            return Ok((inputs, Some(rest)));
        }
        let argument = if let Some(prefix) = receiver_prefix(input) {
            let prefix = parse_prefix(input, prefix)?;
            let self_token = input.parse()?;
            let ty = if input.peek(Token![:]) && !input.peek(Token![::]) {
                Some((input.parse()?, input.parse()?))
            } else {
                None
            };
            FnArg::Receiver(Receiver {
                attrs,
                prefix,
                self_token,
                ty,
            })
        } else {
            let pat = parse_pattern(input)?;
            let colon_token = input.parse()?;
            let ty = input.parse()?;
            FnArg::Typed(PatType {
                attrs,
                pat,
                colon_token,
                ty,
            })
        };
        inputs.push_value(argument);
        if input.is_empty() {
            break;
        }
        inputs.push_punct(input.parse()?);
    }
    Ok((inputs, None))
}

/// `args: ...`
fn is_named_variadic(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    let named = fork.call(<Ident as syn::ext::IdentExt>::parse_any).is_ok();
    named && fork.parse::<Token![:]>().is_ok() && fork.peek(Token![...])
}

/// How many tokens come before `self` when the argument is a receiver.
fn receiver_prefix(input: ParseStream<'_>) -> Option<usize> {
    let fork = input.fork();
    let mut count = 0;
    if fork.parse::<Token![&]>().is_ok() {
        count += 1;
        if fork.peek(syn::Lifetime) {
            let _: Lifetime = fork.parse().ok()?;
            count += 1;
        }
    }
    if fork.parse::<Token![mut]>().is_ok() {
        count += 1;
    }
    (fork.peek(Token![self]) && !fork.peek2(Token![::])).then_some(count)
}

fn parse_prefix(input: ParseStream<'_>, count: usize) -> syn::Result<TokenStream> {
    let mut prefix = TokenStream::new();
    for _ in 0..count {
        if input.peek(Token![&]) {
            input.parse::<Token![&]>()?.to_tokens(&mut prefix);
        } else if input.peek(syn::Lifetime) {
            input.parse::<Lifetime>()?.to_tokens(&mut prefix);
        } else {
            input.parse::<Token![mut]>()?.to_tokens(&mut prefix);
        }
    }
    Ok(prefix)
}

/// The tokens up to the argument's `:` (a `:` of a path's `::` or inside a group is
/// part of the pattern), classified.
fn parse_pattern(input: ParseStream<'_>) -> syn::Result<Pat> {
    let tokens = input.step(|cursor| {
        let mut rest = *cursor;
        let mut tokens = Vec::new();
        while let Some((token, next)) = rest.token_tree() {
            if let TokenTree::Punct(punct) = &token {
                let joined_to_next = matches!(
                    next.punct(),
                    Some((next_punct, _)) if next_punct.as_char() == ':'
                ) && punct.spacing() == proc_macro2::Spacing::Joint;
                let ends_a_path_separator = matches!(
                    tokens.last(),
                    Some(TokenTree::Punct(previous))
                        if previous.as_char() == ':' && previous.spacing() == proc_macro2::Spacing::Joint
                );
                if punct.as_char() == ':' && !joined_to_next && !ends_a_path_separator {
                    return Ok((tokens, rest));
                }
                if punct.as_char() == ',' {
                    break;
                }
            }
            tokens.push(token);
            rest = next;
        }
        Err(cursor.error("expected `pattern: Type`"))
    })?;
    if tokens.is_empty() {
        return Err(input.error("expected an argument's pattern before `:`"));
    }
    let pattern: TokenStream = tokens.iter().cloned().collect();
    syn::parse::Parser::parse2(
        |input: ParseStream<'_>| {
            pattern::single(input)?;
            if input.is_empty() {
                Ok(())
            } else {
                Err(input.error("expected `:` and the argument's type"))
            }
        },
        pattern,
    )?;
    Ok(classify(tokens))
}

/// Checks that tokens are a pattern, with the grammar of syn's `Pat::parse_single`
/// (patterns are checked, not kept: the signature prints them back as written).
mod pattern {
    use syn::parse::ParseStream;
    use syn::{AngleBracketedGenericArguments, Attribute, Ident, Lit, Path, Token, Type, token};

    /// What a pattern was, as far as its enclosing pattern cares.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(super) enum Shape {
        /// A range with a bound missing (`a..`, `..=b`): not allowed bare in a slice.
        OpenRange,
        Other,
    }

    /// A pattern without a top-level `|`.
    pub(super) fn single(input: ParseStream<'_>) -> syn::Result<Shape> {
        let lookahead = input.lookahead1();
        if lookahead.peek(Ident)
            && (input.peek2(Token![::])
                || input.peek2(Token![!])
                || input.peek2(token::Brace)
                || input.peek2(token::Paren)
                || input.peek2(Token![..]))
            || input.peek(Token![self]) && input.peek2(Token![::])
            || lookahead.peek(Token![::])
            || lookahead.peek(Token![<])
            || input.peek(Token![Self])
            || input.peek(Token![super])
            || input.peek(Token![crate])
        {
            path_or_macro_or_struct_or_range(input)
        } else if lookahead.peek(Token![_]) {
            input.parse::<Token![_]>()?;
            Ok(Shape::Other)
        } else if input.peek(Token![box]) {
            input.parse::<Token![box]>()?;
            single(input).map(|_| Shape::Other)
        } else if input.peek(Token![-]) || lookahead.peek(Lit) || lookahead.peek(Token![const]) {
            range_bound(input)?;
            range_after_start(input)
        } else if lookahead.peek(Token![ref])
            || lookahead.peek(Token![mut])
            || input.peek(Token![self])
            || input.peek(Ident)
        {
            binding(input)
        } else if lookahead.peek(Token![&]) {
            input.parse::<Token![&]>()?;
            input.parse::<Option<Token![mut]>>()?;
            single(input).map(|_| Shape::Other)
        } else if lookahead.peek(token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            list(&content, |_| Ok(()))
        } else if lookahead.peek(token::Bracket) {
            let content;
            syn::bracketed!(content in input);
            list(&content, |shape| match shape {
                Shape::OpenRange => Err(content
                    .error("range pattern is not allowed unparenthesized inside slice pattern")),
                Shape::Other => Ok(()),
            })
        } else if lookahead.peek(Token![..]) && !input.peek(Token![...]) {
            // `..` alone is a rest pattern; `..b` and `..=b` are open ranges.
            let closed = range_limits(input)?;
            match (range_bound(input)?, closed) {
                (true, _) => Ok(Shape::OpenRange),
                (false, false) => Ok(Shape::Other),
                (false, true) => Err(input.error("expected range upper bound")),
            }
        } else {
            Err(lookahead.error())
        }
    }

    /// A pattern that may have `|` (and a leading one).
    fn multi(input: ParseStream<'_>) -> syn::Result<Shape> {
        let leading: Option<Token![|]> = input.parse()?;
        let mut shape = single(input)?;
        if leading.is_some() {
            shape = Shape::Other;
        }
        while input.peek(Token![|]) && !input.peek(Token![||]) && !input.peek(Token![|=]) {
            input.parse::<Token![|]>()?;
            single(input)?;
            shape = Shape::Other;
        }
        Ok(shape)
    }

    /// The elements of a tuple, tuple-struct or slice pattern, each seen by `check`.
    fn list(
        input: ParseStream<'_>,
        check: impl Fn(Shape) -> syn::Result<()>,
    ) -> syn::Result<Shape> {
        while !input.is_empty() {
            check(multi(input)?)?;
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(Shape::Other)
    }

    fn path_or_macro_or_struct_or_range(input: ParseStream<'_>) -> syn::Result<Shape> {
        let plain = qualified_path(input)?;
        if plain && input.peek(Token![!]) && !input.peek(Token![!=]) {
            input.parse::<Token![!]>()?;
            let lookahead = input.lookahead1();
            if lookahead.peek(token::Paren)
                || lookahead.peek(token::Bracket)
                || lookahead.peek(token::Brace)
            {
                input.parse::<proc_macro2::Group>()?;
                Ok(Shape::Other)
            } else {
                Err(lookahead.error())
            }
        } else if input.peek(token::Brace) {
            let content;
            syn::braced!(content in input);
            fields(&content)?;
            Ok(Shape::Other)
        } else if input.peek(token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            list(&content, |_| Ok(()))
        } else {
            range_after_start(input)
        }
    }

    /// After a range's start (or a lone literal or path): `..b`, `..=b`, `..`, or
    /// nothing.
    fn range_after_start(input: ParseStream<'_>) -> syn::Result<Shape> {
        if !input.peek(Token![..]) {
            return Ok(Shape::Other);
        }
        let closed = range_limits(input)?;
        match (range_bound(input)?, closed) {
            (true, _) => Ok(Shape::Other),
            (false, false) => Ok(Shape::OpenRange),
            (false, true) => Err(input.error("expected range upper bound")),
        }
    }

    /// `..`, `..=` or `...`; whether the range is closed.
    fn range_limits(input: ParseStream<'_>) -> syn::Result<bool> {
        if input.peek(Token![..=]) {
            input.parse::<Token![..=]>()?;
            Ok(true)
        } else if input.peek(Token![...]) {
            input.parse::<Token![...]>()?;
            Ok(true)
        } else {
            input.parse::<Token![..]>()?;
            Ok(false)
        }
    }

    /// `<T as Trait>::x::y`, `::a::b`, `a::<T>::b` (expression style); whether it is
    /// a plain path (no generic arguments, no `<T as Trait>`), which a macro needs.
    fn qualified_path(input: ParseStream<'_>) -> syn::Result<bool> {
        let mut plain = true;
        if input.peek(Token![<]) {
            input.parse::<Token![<]>()?;
            input.parse::<Type>()?;
            if input.parse::<Option<Token![as]>>()?.is_some() {
                input.parse::<Path>()?;
            }
            input.parse::<Token![>]>()?;
            input.parse::<Token![::]>()?;
            plain = false;
        } else {
            input.parse::<Option<Token![::]>>()?;
        }
        loop {
            if input.peek(Token![super])
                || input.peek(Token![self])
                || input.peek(Token![crate])
                || input.peek(Token![Self])
            {
                input.call(<Ident as syn::ext::IdentExt>::parse_any)?;
            } else {
                input.parse::<Ident>()?;
            }
            if input.peek(Token![::]) && input.peek3(Token![<]) {
                input.parse::<AngleBracketedGenericArguments>()?;
                plain = false;
            }
            if input.peek(Token![::]) && !input.peek3(token::Paren) {
                input.parse::<Token![::]>()?;
            } else {
                return Ok(plain);
            }
        }
    }

    /// The fields of a struct pattern.
    fn fields(input: ParseStream<'_>) -> syn::Result<()> {
        while !input.is_empty() {
            input.call(Attribute::parse_outer)?;
            if input.peek(Token![..]) {
                input.parse::<Token![..]>()?;
                break;
            }
            let boxed = input.parse::<Option<Token![box]>>()?.is_some();
            let by_ref = input.parse::<Option<Token![ref]>>()?.is_some();
            let mutable = input.parse::<Option<Token![mut]>>()?.is_some();
            let shorthand_only = boxed || by_ref || mutable;
            let named = if !shorthand_only && input.peek(syn::LitInt) {
                input.parse::<syn::Index>()?;
                false
            } else {
                input.parse::<Ident>()?;
                true
            };
            if !named || !shorthand_only && input.peek(Token![:]) {
                input.parse::<Token![:]>()?;
                multi(input)?;
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    }

    fn binding(input: ParseStream<'_>) -> syn::Result<Shape> {
        input.parse::<Option<Token![ref]>>()?;
        input.parse::<Option<Token![mut]>>()?;
        if input.peek(Token![self]) {
            input.call(<Ident as syn::ext::IdentExt>::parse_any)?;
        } else {
            input.parse::<Ident>()?;
        }
        if input.peek(Token![@]) {
            input.parse::<Token![@]>()?;
            single(input)?;
        }
        Ok(Shape::Other)
    }

    /// A literal, path or `const { .. }` bound of a range; whether there was one.
    fn range_bound(input: ParseStream<'_>) -> syn::Result<bool> {
        if input.is_empty()
            || input.peek(Token![|])
            || input.peek(Token![=])
            || input.peek(Token![:]) && !input.peek(Token![::])
            || input.peek(Token![,])
            || input.peek(Token![;])
            || input.peek(Token![if])
        {
            return Ok(false);
        }
        let lookahead = input.lookahead1();
        if input.peek(Token![-]) || lookahead.peek(Lit) {
            input.parse::<Option<Token![-]>>()?;
            input.parse::<Lit>()?;
        } else if lookahead.peek(Ident)
            || lookahead.peek(Token![::])
            || lookahead.peek(Token![<])
            || lookahead.peek(Token![self])
            || lookahead.peek(Token![Self])
            || lookahead.peek(Token![super])
            || lookahead.peek(Token![crate])
        {
            qualified_path(input)?;
        } else if lookahead.peek(Token![const]) {
            input.parse::<Token![const]>()?;
            let content;
            syn::braced!(content in input);
            let _: proc_macro2::TokenStream = content.parse()?;
        } else {
            return Err(lookahead.error());
        }
        Ok(true)
    }
}

fn classify(tokens: Vec<TokenTree>) -> Pat {
    let binding = |token: &TokenTree| match token {
        TokenTree::Ident(ident) if !is_keyword_pattern(ident) => Some(ident.clone()),
        _ => None,
    };
    match tokens.as_slice() {
        [only] => {
            if let Some(ident) = binding(only) {
                return Pat::Binding {
                    mutability: None,
                    ident,
                };
            }
        }
        [TokenTree::Ident(mutability), name] if mutability == "mut" => {
            if let Some(ident) = binding(name) {
                return Pat::Binding {
                    mutability: Some(Token![mut](mutability.span())),
                    ident,
                };
            }
        }
        _ => {}
    }
    Pat::Other(tokens.into_iter().collect())
}

/// Idents that are patterns but not bindings.
fn is_keyword_pattern(ident: &Ident) -> bool {
    [
        "_", "mut", "ref", "true", "false", "self", "Self", "crate", "super",
    ]
    .iter()
    .any(|word| ident == word)
}

impl ToTokens for Signature {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.constness.to_tokens(tokens);
        self.asyncness.to_tokens(tokens);
        self.unsafety.to_tokens(tokens);
        self.abi.to_tokens(tokens);
        self.fn_token.to_tokens(tokens);
        self.ident.to_tokens(tokens);
        self.generics.to_tokens(tokens);
        self.paren.surround(tokens, |tokens| {
            self.inputs.to_tokens(tokens);
            if let Some(variadic) = &self.variadic {
                if !self.inputs.empty_or_trailing() {
                    <Token![,]>::default().to_tokens(tokens);
                }
                variadic.to_tokens(tokens);
            }
        });
        self.output.to_tokens(tokens);
        self.generics.where_clause.to_tokens(tokens);
    }
}

impl ToTokens for FnArg {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            FnArg::Receiver(receiver) => receiver.to_tokens(tokens),
            FnArg::Typed(typed) => {
                tokens.append_all(&typed.attrs);
                typed.pat.to_tokens(tokens);
                typed.colon_token.to_tokens(tokens);
                typed.ty.to_tokens(tokens);
            }
        }
    }
}

impl ToTokens for Receiver {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append_all(&self.attrs);
        self.prefix.to_tokens(tokens);
        self.self_token.to_tokens(tokens);
        if let Some((colon, ty)) = &self.ty {
            colon.to_tokens(tokens);
            ty.to_tokens(tokens);
        }
    }
}

impl ToTokens for Pat {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Pat::Binding { mutability, ident } => {
                mutability.to_tokens(tokens);
                ident.to_tokens(tokens);
            }
            Pat::Other(pattern) => pattern.to_tokens(tokens),
        }
    }
}

impl Pat {
    /// The plain binding `ident`.
    pub(crate) fn binding(ident: Ident) -> Pat {
        Pat::Binding {
            mutability: None,
            ident,
        }
    }
}
