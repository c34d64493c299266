//! Ansible's argument-spec type conversion as a serde `Deserializer` over templated task
//! arguments, so a module's `Params` struct can use plain Rust types and still accept what
//! Ansible accepts:
//!
//! - `bool`: Ansible's strict boolean (`yes`, `"on"`, `1`, `"false"`, ...; `truthy::boolean`);
//! - `String`: strings, and numbers or booleans printed as Python prints them (`True`);
//! - integers and floats: numbers, or strings holding one;
//! - `Vec<T>`: a list, a comma-separated string (`"a,b"`), or one value;
//! - `Option<T>`: null and undefined are absent;
//! - enums of unit variants: the variant's name as a string (`state: present`).
//!
//! Conversion errors describe the value; `params::parse` adds the parameter's name.

use std::fmt;

use minijinja::Value;
use minijinja::value::ValueKind;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::{python_type, value_to_text};

/// Templated arguments, read the lenient way Ansible converts module arguments.
pub struct Lenient(pub Value);

/// Why an argument could not be converted.
#[derive(Debug)]
pub struct ConvertError(String);

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConvertError {}

impl de::Error for ConvertError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ConvertError(msg.to_string())
    }
}

impl Lenient {
    fn is_absent(&self) -> bool {
        self.0.is_none() || self.0.is_undefined()
    }

    /// The value as text, for scalars.
    fn text(&self) -> Option<String> {
        match self.0.kind() {
            ValueKind::String | ValueKind::Number | ValueKind::Bool => Some(value_to_text(&self.0)),
            _ => None,
        }
    }

    fn wrong(&self, wanted: &str) -> ConvertError {
        ConvertError(format!(
            "'{}' (of type {}) cannot be converted to {wanted}",
            value_to_text(&self.0),
            python_type(&self.0)
        ))
    }

    fn integer(&self) -> Result<i64, ConvertError> {
        if let Some(i) = self.0.as_i64() {
            return Ok(i);
        }
        if self.0.kind() == ValueKind::Number {
            if let Ok(f) = f64::try_from(self.0.clone()) {
                if f.fract() == 0.0 {
                    return Ok(f as i64);
                }
            }
        }
        self.0
            .as_str()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| self.wrong("an int"))
    }

    fn float(&self) -> Result<f64, ConvertError> {
        if self.0.kind() == ValueKind::Number {
            if let Ok(f) = f64::try_from(self.0.clone()) {
                return Ok(f);
            }
        }
        self.0
            .as_str()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| self.wrong("a float"))
    }

    /// The items of a list argument: a list, a comma-separated string, or one value.
    fn items(&self) -> Result<Vec<Value>, ConvertError> {
        match self.0.kind() {
            ValueKind::Seq | ValueKind::Iterable => Ok(self
                .0
                .try_iter()
                .map_err(|e| ConvertError(e.to_string()))?
                .collect()),
            ValueKind::String => Ok(self
                .0
                .as_str()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Value::from)
                .collect()),
            ValueKind::Number | ValueKind::Bool => Ok(vec![self.0.clone()]),
            _ => Err(self.wrong("a list")),
        }
    }
}

impl<'de> de::Deserializer<'de> for Lenient {
    type Error = ConvertError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        let v = &self.0;
        match v.kind() {
            ValueKind::Undefined | ValueKind::None => visitor.visit_unit(),
            ValueKind::Bool => visitor.visit_bool(v.is_true()),
            ValueKind::Number => match v.as_i64() {
                Some(i) => visitor.visit_i64(i),
                None => visitor.visit_f64(self.float()?),
            },
            ValueKind::String => visitor.visit_string(v.as_str().unwrap_or_default().to_string()),
            ValueKind::Bytes => visitor.visit_byte_buf(v.as_bytes().unwrap_or_default().to_vec()),
            ValueKind::Seq | ValueKind::Iterable => visitor.visit_seq(Items(self.items()?.into_iter())),
            ValueKind::Map => self.deserialize_map(visitor),
            _ => visitor.visit_string(value_to_text(v)),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match crate::truthy::boolean(&self.0) {
            Some(b) => visitor.visit_bool(b),
            None => Err(ConvertError(format!(
                "'{}' (of type {}) is not a valid boolean; use true or false",
                value_to_text(&self.0),
                python_type(&self.0)
            ))),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        visitor.visit_i64(self.integer()?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        let i = self.integer()?;
        let u = u64::try_from(i).map_err(|_| self.wrong("a positive int"))?;
        visitor.visit_u64(u)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        visitor.visit_f64(self.float()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        match self.text() {
            Some(t) => visitor.visit_string(t),
            None => Err(ConvertError(format!(
                "expected a string, got a {}",
                python_type(&self.0)
            ))),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        if self.is_absent() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        visitor.visit_seq(Items(self.items()?.into_iter()))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, ConvertError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        if self.0.kind() != ValueKind::Map {
            return Err(ConvertError(format!(
                "expected a mapping, got a {}",
                python_type(&self.0)
            )));
        }
        let keys: Vec<Value> = self
            .0
            .try_iter()
            .map_err(|e| ConvertError(e.to_string()))?
            .collect();
        let pairs: Vec<(Value, Value)> = keys
            .into_iter()
            .map(|k| {
                let v = self.0.get_item(&k).unwrap_or_default();
                (k, v)
            })
            .collect();
        visitor.visit_map(Pairs {
            pairs: pairs.into_iter(),
            value: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        match self.text() {
            Some(name) => visitor.visit_enum(name.into_deserializer()),
            None => Err(ConvertError(format!(
                "expected one of the choices, got a {}",
                python_type(&self.0)
            ))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, ConvertError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        visitor.visit_unit()
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConvertError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u32 u128 f32 bytes byte_buf unit_struct identifier
    }
}

/// The items of a list, each read leniently.
struct Items(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Items {
    type Error = ConvertError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ConvertError> {
        match self.0.next() {
            Some(v) => seed.deserialize(Lenient(v)).map(Some),
            None => Ok(None),
        }
    }
}

/// The entries of a mapping, each value read leniently.
struct Pairs {
    pairs: std::vec::IntoIter<(Value, Value)>,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Pairs {
    type Error = ConvertError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ConvertError> {
        match self.pairs.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(Lenient(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ConvertError> {
        let v = self.value.take().unwrap_or_default();
        seed.deserialize(Lenient(v))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum State {
        Present,
        Absent,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct P {
        name: String,
        flag: Option<bool>,
        count: Option<u64>,
        names: Option<Vec<String>>,
        state: Option<State>,
    }

    fn read(v: serde_json::Value) -> Result<P, ConvertError> {
        P::deserialize(Lenient(Value::from(minijinja::value::Serde(&v))))
    }

    #[test]
    fn converts_as_ansible_does() {
        let p = read(serde_json::json!({
            "name": 42, "flag": "yes", "count": "3", "names": "a, b", "state": "absent"
        }))
        .expect("converts");
        assert_eq!(p.name, "42");
        assert_eq!(p.flag, Some(true));
        assert_eq!(p.count, Some(3));
        assert_eq!(p.names, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(p.state, Some(State::Absent));
        let p = read(serde_json::json!({"name": true, "flag": null, "names": ["x", 1]})).expect("converts");
        assert_eq!(p.name, "True");
        assert_eq!(p.flag, None);
        assert_eq!(p.names, Some(vec!["x".to_string(), "1".to_string()]));
    }

    #[test]
    fn refuses_what_ansible_refuses() {
        let err = read(serde_json::json!({"name": "x", "flag": "maybe"})).expect_err("bad bool");
        assert!(err.to_string().contains("not a valid boolean"), "{err}");
        let err = read(serde_json::json!({"name": "x", "state": "gone"})).expect_err("bad choice");
        assert!(err.to_string().contains("present"), "{err}");
        let err = read(serde_json::json!({"name": ["x"]})).expect_err("list for a string");
        assert!(err.to_string().contains("expected a string"), "{err}");
        let err = read(serde_json::json!({"flag": true})).expect_err("missing name");
        assert!(err.to_string().contains("name"), "{err}");
    }
}
