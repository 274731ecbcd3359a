//! Tool arguments: read so that a wrong one is named, and money read as an exact decimal.
//!
//! rmcp's own `Parameters` answers a bad argument with a JSON-RPC error whose text does not
//! say which field was wrong. [`Parameters`] here reads the arguments with
//! `serde_path_to_error`, so the error names the field (`quantity: invalid type: ...`); the
//! server turns it into a *tool* error (`isError: true`), which a model can read and fix,
//! and the session goes on. The `#[tool]` macro takes the input schema from any argument
//! type named `Parameters`, so the schema is the inner type's.

use std::borrow::Cow;
use std::str::FromStr;

use rmcp::handler::server::common::FromContextPart;
use rmcp::handler::server::tool::ToolCallContext;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

/// The JSON-RPC `data` key that carries the failing field of a bad argument.
pub const FIELD_KEY: &str = "field";

/// A tool's arguments, read from the call's JSON object.
pub struct Parameters<T>(pub T);

impl<T: schemars::JsonSchema> schemars::JsonSchema for Parameters<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<S, T: serde::de::DeserializeOwned> FromContextPart<ToolCallContext<'_, S>> for Parameters<T> {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, rmcp::ErrorData> {
        let arguments = Value::Object(context.arguments.take().unwrap_or_default());
        serde_path_to_error::deserialize(arguments)
            .map(Parameters)
            .map_err(|e| {
                let field = e.path().to_string();
                let message = if field == "." {
                    e.inner().to_string()
                } else {
                    format!("{field}: {}", e.inner())
                };
                rmcp::ErrorData::invalid_params(message, Some(json!({ FIELD_KEY: field })))
            })
    }
}

/// The field a [`Parameters`] error names; `None` for any other error.
pub fn field_of(e: &rmcp::ErrorData) -> Option<Value> {
    e.data.as_ref()?.get(FIELD_KEY).cloned()
}

/// An amount (a quantity or a price): exact decimal text (`"193.05"`) or a JSON number
/// (read from its shortest text, so `193.05` is 193.05, never 193.0499999...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub Decimal);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Amount;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a decimal number, as a JSON number or as text like \"193.05\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Amount, E> {
                Decimal::from_str(s.trim())
                    .or_else(|_| Decimal::from_scientific(s.trim()))
                    .map(Amount)
                    .map_err(|_| E::custom(format!("{s:?} is not a decimal number")))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Amount, E> {
                Ok(Amount(Decimal::from(n)))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Amount, E> {
                Ok(Amount(Decimal::from(n)))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Amount, E> {
                if !n.is_finite() {
                    return Err(E::custom("not a finite number"));
                }
                // f64's Display is the shortest text that reads back as the same number.
                self.visit_str(&n.to_string())
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl schemars::JsonSchema for Amount {
    fn schema_name() -> Cow<'static, str> {
        "Amount".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": ["number", "string"],
            "description": "A decimal amount: a JSON number or exact decimal text such as \"193.05\"."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Probe {
        #[allow(dead_code)]
        quantity: Amount,
    }

    #[test]
    fn amounts_keep_their_digits() {
        let a: Amount = serde_json::from_value(json!(193.05)).unwrap();
        assert_eq!(a.0.to_string(), "193.05");
        let b: Amount = serde_json::from_value(json!("0.1")).unwrap();
        assert_eq!(b.0.to_string(), "0.1");
        assert!(serde_json::from_value::<Amount>(json!("ten")).is_err());
    }

    #[test]
    fn a_bad_argument_names_its_field() {
        let e = serde_path_to_error::deserialize::<_, Probe>(json!({"quantity": "ten"}))
            .err()
            .unwrap();
        assert_eq!(e.path().to_string(), "quantity");
    }
}
