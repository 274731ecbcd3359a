//! Generates the raw client from the committed extended documents in `../openapi/`.
//!
//! For each document: progenitor (builder interface, one `Client` per API, `wire::Wire` as
//! the inner type, hooks required) writes `$OUT_DIR/<module>.rs`. Both documents also feed
//! `$OUT_DIR/operations.rs`: every operation's id, method, path, pacing, idempotency and
//! session marks, which the runtime reads to pace, retry and recover. Nothing here touches
//! the network.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use serde_json::Value;

const DOCUMENTS: &[(&str, &str, &str)] = &[
    ("ibkr-trading.json", "trading", "Trading"),
    (
        "ibkr-account-management.json",
        "account_management",
        "AccountManagement",
    ),
];
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let openapi = manifest.join("../openapi");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let mut table = Vec::new();
    for (file, module, api) in DOCUMENTS {
        let path = openapi.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let json: Value = serde_json::from_str(&text).expect("the committed document is JSON");
        collect_operations(&json, api, &mut table);
        generate(&path, &json, &out_dir.join(format!("{module}.rs")));
    }
    table.sort_by(|a, b| a.id.cmp(&b.id));
    std::fs::write(out_dir.join("operations.rs"), render_table(&table))
        .expect("write operations.rs");
}

fn generate(path: &Path, json: &Value, out: &Path) {
    let spec: openapiv3::OpenAPI = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("{} is not OpenAPI 3.0: {e}", path.display()));
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type("crate::wire::Wire".parse().expect("a type path"))
        // `x-rust-type: ibkr_gen::Secret` (openapi/overlays/50-secrets.yaml) names this
        // crate, which calls itself `ibkr_gen` (`extern crate self` in lib.rs).
        .with_crate("ibkr-gen", progenitor::CrateVers::Any, None);
    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor rejected {}: {e}", path.display()));
    let mut file: syn::File = syn::parse2(tokens).expect("progenitor emits valid Rust");
    let stripped = strip_api_version(&mut file);
    assert_eq!(
        stripped,
        operation_ids(json).len(),
        "{}: progenitor no longer adds one `api-version` header per call; revisit strip_api_version",
        path.display()
    );
    let joined = join_urls(&mut file);
    assert_eq!(
        joined,
        operation_ids(json).len(),
        "{}: progenitor no longer formats one `let url = format!(\"{{}}...\", client.baseurl, ..)` per call; revisit join_urls",
        path.display()
    );
    let (calls, outputs) = raw_calls(&file, json);
    file.items.extend(calls);
    file.items.push(decode_success(&outputs));
    let callable: std::collections::HashSet<String> = outputs
        .iter()
        .map(|(id, _)| heck::ToUpperCamelCase::to_upper_camel_case(id.as_str()))
        .collect();
    let api = api_module(&file, &callable);
    file.items.push(api);
    std::fs::write(out, prettyplease::unparse(&file)).expect("write generated client");
}

/// `impl RawCall for builder::X<'a>` for every operation's builder: its operationId and
/// what its `send` returns, read off the generated `send` itself. Also returns each
/// (operationId, output type), for [`decode_success`].
fn raw_calls(file: &syn::File, doc: &Value) -> (Vec<syn::Item>, Vec<(String, syn::Type)>) {
    let ids: std::collections::HashMap<String, String> = operation_ids(doc)
        .into_iter()
        .map(|id| (heck::ToUpperCamelCase::to_upper_camel_case(id.as_str()), id))
        .collect();
    let mut out = Vec::new();
    let mut outputs = Vec::new();
    for imp in builder_impls(file) {
        let Some(name) = type_name(&imp.self_ty).map(|i| i.to_string()) else {
            continue;
        };
        let Some(id) = ids.get(&name) else { continue };
        let Some(output) = imp.items.iter().find_map(|i| match i {
            syn::ImplItem::Fn(f) if f.sig.ident == "send" => send_output(&f.sig.output),
            _ => None,
        }) else {
            continue;
        };
        let ident = syn::Ident::new(&name, proc_macro2::Span::call_site());
        let tokens = quote::quote! {
            impl<'a> crate::RawCall for builder::#ident<'a> {
                const OPERATION: &'static str = #id;
                type Output = #output;
                fn send(
                    self,
                ) -> impl ::std::future::Future<
                    Output = ::std::result::Result<
                        crate::ResponseValue<Self::Output>,
                        crate::Error<()>,
                    >,
                > + Send {
                    builder::#ident::send(self)
                }
            }
        };
        out.push(syn::parse2(tokens).expect("a RawCall impl"));
        outputs.push((id.clone(), output));
    }
    (out, outputs)
}

/// `pub mod api`: every operation as a call that runs through a [`Runner`](crate::Runner)
/// when it is awaited. `Api` has the generated `Client`'s methods (and their docs); each
/// returns a wrapper of the operation's builder with the same setters, which implements
/// `IntoFuture` by handing the builder to the runner. `ibkr-ext` is the runner (its session:
/// lane, pacing, recovery, typed errors), so `ibkr.api().get_accounts().await` names the
/// operation once. Read off the generated code itself: the `impl Client` methods and each
/// builder's setters.
fn api_module(file: &syn::File, callable: &std::collections::HashSet<String>) -> syn::Item {
    use quote::quote;
    let mut methods = Vec::new();
    let mut wrappers = Vec::new();
    let client_fns = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(imp)
                if imp.trait_.is_none()
                    && type_name(&imp.self_ty).is_some_and(|i| i == "Client") =>
            {
                Some(imp.items.iter())
            }
            _ => None,
        })
        .flatten()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) => Some(f),
            _ => None,
        });
    for f in client_fns {
        let syn::ReturnType::Type(_, ret) = &f.sig.output else {
            continue;
        };
        let Some(name) = type_name(ret) else {
            continue;
        };
        if !callable.contains(&name.to_string()) || f.sig.inputs.len() != 1 {
            continue;
        }
        let method = &f.sig.ident;
        let docs = doc_attrs(&f.attrs);
        methods.push(quote! {
            #(#docs)*
            pub fn #method(&self) -> #name<'a, R> {
                #name {
                    inner: super::builder::#name::new(self.client),
                    runner: self.runner,
                }
            }
        });
        let setters = builder_impls(file)
            .filter(|imp| type_name(&imp.self_ty).is_some_and(|i| i == name))
            .flat_map(|imp| imp.items.iter())
            .filter_map(|item| match item {
                syn::ImplItem::Fn(f)
                    if f.sig.ident != "new"
                        && f.sig.ident != "send"
                        && matches!(f.vis, syn::Visibility::Public(_)) =>
                {
                    Some(f)
                }
                _ => None,
            })
            .map(|f| {
                let mut sig = f.sig.clone();
                let mut args = Vec::new();
                for input in sig.inputs.iter_mut() {
                    match input {
                        syn::FnArg::Receiver(r) => r.mutability = None,
                        syn::FnArg::Typed(t) => {
                            if let syn::Pat::Ident(p) = &mut *t.pat {
                                p.mutability = None;
                                args.push(p.ident.clone());
                            }
                        }
                    }
                }
                let setter = &sig.ident;
                let docs = doc_attrs(&f.attrs);
                quote! {
                    #(#docs)*
                    pub #sig {
                        Self {
                            inner: self.inner.#setter(#(#args),*),
                            runner: self.runner,
                        }
                    }
                }
            });
        let doc = format!(
            "[`Api::{method}`] as a call: set its parameters, then `.await` it (it runs through the runner)."
        );
        wrappers.push(quote! {
            #[doc = #doc]
            #[must_use = "a call is sent only when it is awaited"]
            pub struct #name<'a, R: ?Sized> {
                inner: super::builder::#name<'a>,
                runner: &'a R,
            }
            impl<'a, R: ?Sized> #name<'a, R> {
                #(#setters)*
            }
            impl<'a, R: crate::Runner + ?Sized> ::std::future::IntoFuture for #name<'a, R> {
                type Output = ::std::result::Result<
                    <super::builder::#name<'a> as crate::RawCall>::Output,
                    R::Error,
                >;
                type IntoFuture = crate::CallFuture<'a, Self::Output>;
                fn into_future(self) -> Self::IntoFuture {
                    self.runner.run(self.inner)
                }
            }
        });
    }
    let tokens = quote! {
        /// Every operation as a call that runs through a [`Runner`](crate::Runner) when it
        /// is awaited: `api.get_accounts().await`. The setters are the builder's own.
        pub mod api {
            #[allow(unused_imports)]
            use super::types;
            /// The operations of this API, each a call run by `R` when awaited.
            pub struct Api<'a, R: ?Sized> {
                client: &'a super::Client,
                runner: &'a R,
            }
            impl<'a, R: ?Sized> Clone for Api<'a, R> {
                fn clone(&self) -> Self {
                    *self
                }
            }
            impl<'a, R: ?Sized> Copy for Api<'a, R> {}
            impl<'a, R: ?Sized> Api<'a, R> {
                /// The operations of `client`, run by `runner`.
                pub fn new(client: &'a super::Client, runner: &'a R) -> Self {
                    Self { client, runner }
                }
                #(#methods)*
            }
            #(#wrappers)*
        }
    };
    syn::parse2(tokens).expect("the api module")
}

/// The inherent impls of the generated `builder` module (one per operation's builder).
fn builder_impls(file: &syn::File) -> impl Iterator<Item = &syn::ItemImpl> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items.iter())
        .filter_map(|item| match item {
            syn::Item::Impl(imp) if imp.trait_.is_none() => Some(imp),
            _ => None,
        })
}

/// The last segment of a type path: `GetAccounts` for `builder::GetAccounts<'_>`.
fn type_name(ty: &syn::Type) -> Option<&syn::Ident> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| &s.ident),
        _ => None,
    }
}

/// The doc comments among `attrs`, to copy onto a wrapper.
fn doc_attrs(attrs: &[syn::Attribute]) -> Vec<&syn::Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("doc")).collect()
}

/// `pub fn decode_success(operation, body)`: decode a success body of one of this API's
/// operations into its generated type, exactly as its `send` would, and serialize the value
/// back (what the typed client keeps). For tools that hold a body and an operationId rather
/// than a builder (`ibkr capture --check`). Operations whose answer is not JSON (`()`, a
/// byte stream) have no arm: `None`, like an unknown id.
fn decode_success(outputs: &[(String, syn::Type)]) -> syn::Item {
    let arms = outputs
        .iter()
        .filter(|(_, ty)| {
            let text = quote::quote!(#ty).to_string();
            text != "()" && !text.contains("ByteStream")
        })
        .map(|(id, ty)| {
            quote::quote! {
                #id => Some(
                    ::serde_json::from_slice::<#ty>(body)
                        .and_then(|v| ::serde_json::to_value(&v))
                ),
            }
        });
    let tokens = quote::quote! {
        /// Decode a success `body` of `operation` (an operationId of this API) into its
        /// generated type, as its builder's `send` would, and serialize the value back.
        /// `None` for an id of another API or an answer that is not JSON.
        pub fn decode_success(
            operation: &str,
            body: &[u8],
        ) -> Option<::std::result::Result<::serde_json::Value, ::serde_json::Error>> {
            match operation {
                #(#arms)*
                _ => None,
            }
        }
    };
    syn::parse2(tokens).expect("a decode_success fn")
}

/// Progenitor gives every request an `api-version` header (the document's version), which
/// IBKR does not read and the wire rules forbid. Remove it where it is made, in each
/// builder's `send`, instead of inserting and deleting it on every call; the header map it
/// was the only entry of then allocates nothing. Returns how many were removed.
fn strip_api_version(file: &mut syn::File) -> usize {
    let mut removed = 0;
    for f in builder_sends(file) {
        let stmts = &mut f.block.stmts;
        let Some(at) = stmts
            .iter()
            .position(|st| quote::quote!(#st).to_string().contains("\"api-version\""))
        else {
            continue;
        };
        stmts.remove(at);
        removed += 1;
        // `let mut header_map = HeaderMap::with_capacity(N)`: one entry fewer.
        for st in stmts.iter_mut() {
            let Some((pat, init)) = local_init(st, "mut header_map") else {
                continue;
            };
            let syn::Expr::Call(call) = init else {
                continue;
            };
            let is_capacity = matches!(&*call.func, syn::Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "with_capacity"));
            if !is_capacity {
                continue;
            }
            let mut empty = false;
            if let Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(n),
                ..
            })) = call.args.first_mut()
            {
                let fewer = n.base10_parse::<usize>().unwrap_or(1).saturating_sub(1);
                *n = syn::LitInt::new(&format!("{fewer}usize"), n.span());
                empty = fewer == 0;
            }
            // Nothing is appended to an empty map any more: it need not be `mut`.
            if let (true, syn::Pat::Ident(ident)) = (empty, pat) {
                ident.mutability = None;
            }
        }
    }
    removed
}

/// Progenitor formats each request's whole URL, `format!("{}/iserver/account/{}/orders",
/// client.baseurl, encode_path(..))`, and reqwest parses it again on every call: the
/// scheme and host are most of that work. Rewrite each into
/// `client.inner.endpoint(&client.baseurl, "/iserver/..")?`, which parses the base once
/// per session (`wire::endpoint`). Returns how many were rewritten.
fn join_urls(file: &mut syn::File) -> usize {
    use syn::punctuated::Punctuated;
    let mut joined = 0;
    for f in builder_sends(file) {
        for st in f.block.stmts.iter_mut() {
            let Some((_, init)) = local_init(st, "url") else {
                continue;
            };
            let syn::Expr::Macro(mac) = &*init else {
                continue;
            };
            if !mac.mac.path.is_ident("format") {
                continue;
            }
            let Ok(args) = mac
                .mac
                .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
            else {
                continue;
            };
            let mut args = args.into_iter();
            let (
                Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(template),
                    ..
                })),
                Some(base),
            ) = (args.next(), args.next())
            else {
                continue;
            };
            let Some(path) = template.value().strip_prefix("{}").map(str::to_string) else {
                continue;
            };
            if quote::quote!(#base).to_string() != "client . baseurl" {
                continue;
            }
            let rest: Vec<syn::Expr> = args.collect();
            let path = syn::LitStr::new(&path, template.span());
            let path_expr: syn::Expr = if rest.is_empty() {
                syn::parse_quote!(#path)
            } else {
                syn::parse_quote!(&format!(#path, #(#rest),*))
            };
            *init = syn::parse_quote!(
                client
                    .inner
                    .endpoint(&client.baseurl, #path_expr)
                    .map_err(Error::InvalidRequest)?
            );
            joined += 1;
        }
    }
    joined
}

/// Every `send` of the generated `builder` module: where each call makes its request.
fn builder_sends(file: &mut syn::File) -> impl Iterator<Item = &mut syn::ImplItemFn> {
    file.items
        .iter_mut()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut(),
            _ => None,
        })
        .flat_map(|(_, items)| items.iter_mut())
        .filter_map(|item| match item {
            syn::Item::Impl(imp) => Some(imp.items.iter_mut()),
            _ => None,
        })
        .flatten()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
            _ => None,
        })
}

/// `let <pattern> = <init>;` where the pattern reads `pattern` (`"mut header_map"`): the
/// pattern and the initializer, both to rewrite.
fn local_init<'a>(
    st: &'a mut syn::Stmt,
    pattern: &str,
) -> Option<(&'a mut syn::Pat, &'a mut syn::Expr)> {
    let syn::Stmt::Local(local) = st else {
        return None;
    };
    let pat = &local.pat;
    if quote::quote!(#pat).to_string() != pattern {
        return None;
    }
    let init = local.init.as_mut()?;
    Some((&mut local.pat, &mut *init.expr))
}

/// `T` of `-> Result<ResponseValue<T>, Error<()>>`.
fn send_output(ret: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = ret else {
        return None;
    };
    let generic = |ty: &syn::Type| -> Option<syn::Type> {
        let syn::Type::Path(p) = ty else { return None };
        let syn::PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
            return None;
        };
        match args.args.first()? {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }
    };
    generic(&generic(ty)?)
}

fn operation_ids(doc: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    for item in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
    {
        for method in METHODS {
            if let Some(id) = item
                .pointer(&format!("/{method}/operationId"))
                .and_then(Value::as_str)
            {
                ids.push(id.to_string());
            }
        }
    }
    ids
}

/// One operation of the table, as `render_table` writes it.
struct Row {
    id: String,
    api: &'static str,
    method: String,
    path: String,
    pacing: Option<String>,
    idempotent: bool,
    /// `x-ibkr-brokerage-session: true`.
    brokerage_session: bool,
    /// `x-ibkr-first-use-404: true`.
    first_use_404: bool,
    tag: String,
    summary: String,
}

/// An operation is repeated only when its spec says so: GET and HEAD unless marked
/// `x-ibkr-idempotent: false`, any other method only when marked `true` (`cargo xtask check`
/// insists on the mark).
fn idempotent(method: &str, op: &Value) -> bool {
    match op.get("x-ibkr-idempotent").and_then(Value::as_bool) {
        Some(mark) => mark,
        None => matches!(method, "get" | "head"),
    }
}

fn collect_operations(doc: &Value, api: &'static str, out: &mut Vec<Row>) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let s = |k: &str| op.get(k).and_then(Value::as_str).map(String::from);
            let flag = |k: &str| op.get(k).and_then(Value::as_bool) == Some(true);
            out.push(Row {
                id: s("operationId").expect("check guarantees an operationId"),
                api,
                method: method.to_uppercase(),
                path: path.clone(),
                pacing: s("x-ibkr-pacing"),
                idempotent: idempotent(method, op),
                brokerage_session: flag("x-ibkr-brokerage-session"),
                first_use_404: flag("x-ibkr-first-use-404"),
                tag: op
                    .pointer("/tags/0")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                summary: s("summary").unwrap_or_default(),
            });
        }
    }
}

/// `10/s`, `1/5s`, `1/min`, `1/15min` → (count, milliseconds); `concurrency: 5` → limit.
fn parse_pacing(spec: &str) -> (Vec<(u32, u64)>, Option<u32>) {
    let mut rates = Vec::new();
    let mut concurrency = None;
    for term in spec.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if let Some(n) = term.strip_prefix("concurrency:") {
            concurrency = Some(n.trim().parse().expect("concurrency: <n>"));
            continue;
        }
        let (count, period) = term.split_once('/').expect("<n>/<period>");
        let period = period.trim();
        let split = period
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(period.len());
        let (num, unit) = period.split_at(split);
        let num: u64 = if num.is_empty() {
            1
        } else {
            num.parse().expect("period number")
        };
        let unit_ms = match unit {
            "s" => 1_000,
            "min" => 60_000,
            other => panic!("x-ibkr-pacing unit {other:?} in {spec:?}"),
        };
        rates.push((count.trim().parse().expect("count"), num * unit_ms));
    }
    (rates, concurrency)
}

fn render_table(rows: &[Row]) -> String {
    use heck::ToSnakeCase;
    let mut s =
        String::from("// Generated by build.rs from ../openapi/*.json. Sorted by operation id.\n");
    s.push_str("pub(crate) static OPERATIONS: &[Operation] = &[\n");
    for row in rows {
        let Row {
            id,
            api,
            method,
            path,
            pacing,
            idempotent,
            brokerage_session,
            first_use_404,
            tag,
            summary,
        } = row;
        // progenitor names methods (and reports operations to hooks) in snake case.
        let method_name = id.to_snake_case();
        let (rates, concurrency) = pacing.as_deref().map(parse_pacing).unwrap_or_default();
        let rates: Vec<String> = rates
            .iter()
            .map(|(n, ms)| format!("Rate {{ count: {n}, per: Duration::from_millis({ms}) }}"))
            .collect();
        let _ = writeln!(
            s,
            "    Operation {{ id: {id:?}, method_name: {method_name:?}, api: Api::{api}, method: {method:?}, path: {path:?}, tag: {tag:?}, summary: {summary:?}, idempotent: {idempotent}, rates: &[{}], concurrency: {}, brokerage_session: {brokerage_session}, first_use_404: {first_use_404} }},",
            rates.join(", "),
            concurrency.map_or("None".to_string(), |c| format!("Some({c})")),
        );
    }
    s.push_str("];\n");
    // Index by method name, for lookups from the hooks.
    let mut by_method: Vec<(String, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.to_snake_case(), i))
        .collect();
    by_method.sort();
    s.push_str("pub(crate) static BY_METHOD_NAME: &[(&str, usize)] = &[\n");
    for (name, i) in by_method {
        let _ = writeln!(s, "    ({name:?}, {i}),");
    }
    s.push_str("];\n");
    s
}
